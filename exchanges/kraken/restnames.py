"""How Kraken's REST API spells assets and pairs, and the reply envelope.

WebSocket v2 says ``BTC/USD``; REST keeps Kraken's older names. An asset has a code
(``XXBT``, ``ZUSD``: the X/Z-prefixed four letters of the first listed assets; newer
ones are bare, ``SOL``) and an ``altname`` (``XBT``, ``USD``). A pair's result key is
its code (``XXBTZUSD``, or ``SOLUSD`` when either side is a newer asset), its
``altname`` joins the altnames (``XBTUSD``), its ``wsname`` puts a slash between them
(``XBT/USD``). A request may name a pair by any of these, or by the v2 symbol.

Every reply is ``{"error": [...], "result": {...}}``, HTTP 200 even for most refusals
(``{"error": ["EGeneral:Invalid arguments"], "result": {}}``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from aiohttp import web

from tickwire.exchanges.kraken.instruments import KrakenPair

__all__ = [
    "INVALID_ARGUMENTS",
    "UNKNOWN_ASSET",
    "UNKNOWN_PAIR",
    "PairName",
    "RestNames",
    "decimal_text",
    "fail",
    "ok",
]

INVALID_ARGUMENTS = "EGeneral:Invalid arguments"
UNKNOWN_PAIR = "EQuery:Unknown asset pair"
UNKNOWN_ASSET = "EQuery:Unknown asset"

#: Kraken's alternative names, and the assets it lists with an X (crypto) or Z (fiat)
#: prefix; everything else is spelled as is.
_ALTNAMES = {"BTC": "XBT", "DOGE": "XDG"}
_PREFIXED = {"XBT": "X", "ETH": "X", "LTC": "X", "XRP": "X", "XDG": "X", "ETC": "X",
             "USD": "Z", "EUR": "Z", "GBP": "Z", "JPY": "Z", "CAD": "Z"}  # fmt: skip


def asset_code(asset: str) -> tuple[str, str]:
    """``(code, altname)`` of a unified asset id: ``BTC`` → ``("XXBT", "XBT")``."""
    alt = _ALTNAMES.get(asset, asset)
    prefix = _PREFIXED.get(alt)
    return (prefix + alt if prefix else alt), alt


@dataclass(frozen=True, slots=True)
class PairName:
    """One pair's REST names."""

    pair: KrakenPair
    code: str  # the result key: XXBTZUSD
    altname: str  # XBTUSD
    wsname: str  # XBT/USD
    base: str  # asset code: XXBT
    quote: str  # ZUSD

    @property
    def symbol(self) -> str:
        """The v2 (and engine) symbol: ``BTC/USD``."""
        return self.pair.symbol


class RestNames:
    """The REST names of the emulator's pairs and their assets."""

    def __init__(self, pairs: Iterable[KrakenPair]) -> None:
        self.pairs: dict[str, PairName] = {}  # by code
        self.assets: dict[str, str] = {}  # asset code -> unified id (XXBT -> BTC)
        self._lookup: dict[str, PairName] = {}
        self._asset_lookup: dict[str, str] = {}  # code, altname or unified id -> code
        for pair in pairs:
            spec = pair.spec
            (base, base_alt), (quote, quote_alt) = asset_code(spec.base), asset_code(spec.quote)
            legacy = base != base_alt and quote != quote_alt
            code = base + quote if legacy else base_alt + quote_alt
            name = PairName(
                pair, code, base_alt + quote_alt, f"{base_alt}/{quote_alt}", base, quote
            )
            self.pairs[code] = name
            for alias in (code, name.altname, name.wsname, pair.symbol, spec.base + spec.quote):
                self._lookup.setdefault(alias.upper(), name)
            for unified, asset, alt in (
                (spec.base, base, base_alt),
                (spec.quote, quote, quote_alt),
            ):
                self.assets[asset] = unified
                for alias in (asset, alt, unified):
                    self._asset_lookup.setdefault(alias.upper(), asset)

    def pair(self, name: str) -> PairName | None:
        """The pair a request names (any of its spellings, case-insensitive)."""
        return self._lookup.get(name.strip().upper())

    def by_symbol(self, symbol: str) -> PairName:
        """The pair of v2/engine symbol ``symbol``."""
        return self._lookup[symbol.upper()]

    def asset(self, name: str) -> str | None:
        """The asset code a request names (``XBT``, ``XXBT`` or ``BTC`` → ``XXBT``)."""
        return self._asset_lookup.get(name.strip().upper())

    def code_of(self, unified: str) -> str:
        """The asset code of a unified asset id (also for assets no pair lists)."""
        return asset_code(unified)[0]


def decimal_text(value: Decimal, places: int) -> str:
    """``value`` as Kraken writes amounts: a string with exactly ``places`` decimals."""
    return f"{value:.{places}f}"


def ok(result: Mapping[str, Any] | list[Any]) -> web.Response:
    """A successful reply."""
    return web.json_response({"error": [], "result": result})


def fail(*errors: str, status: int = 200) -> web.Response:
    """A refusal: Kraken's error strings, an empty result."""
    return web.json_response({"error": list(errors), "result": {}}, status=status)
