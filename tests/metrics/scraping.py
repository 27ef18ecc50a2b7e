"""Scraping a real ``/metrics`` endpoint and reading it with prometheus_client's parser."""

from __future__ import annotations

from collections.abc import Callable

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from tickwire.core.types import Event, StreamState, StreamStatus


class Scrape:
    """One scrape: the text as served, and every sample by name and labels."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.samples: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
        self.types: dict[str, str] = {}
        for family in text_string_to_metric_families(text):
            self.types[family.name] = family.type
            for sample in family.samples:
                key = (sample.name, frozenset(sample.labels.items()))
                assert key not in self.samples, f"a series twice: {key}"
                self.samples[key] = sample.value

    def value(self, name: str, **labels: str) -> float:
        """The sample ``name`` with exactly these labels (KeyError when absent)."""
        return self.samples[(name, frozenset(labels.items()))]

    def series(self, name: str, **labels: str) -> dict[frozenset[tuple[str, str]], float]:
        """Every sample ``name`` whose labels include ``labels``."""
        wanted = set(labels.items())
        return {
            found: value
            for (sample, found), value in self.samples.items()
            if sample == name and wanted <= found
        }


async def scrape(url: str) -> Scrape:
    """GET ``url`` over a real socket and parse it."""
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        return Scrape(await response.text())


def status(state: StreamState, symbol: str | None = None) -> Callable[[Event], bool]:
    """Matches a status in ``state`` (about ``symbol``, when given)."""

    def match(event: Event) -> bool:
        return (
            isinstance(event, StreamStatus)
            and event.state is state
            and (symbol is None or event.symbol == symbol)
        )

    return match
