"""The pairs and assets the Kraken emulator lists, with Kraken's instrument metadata.

Values follow the shape of Kraken's ``instrument`` channel (precisions, increments,
minimums, margin limits) with realistic magnitudes; they are not a copy of a live list.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from tickwire.exchanges.base.market import SymbolSpec

__all__ = ["DEFAULT_PAIRS", "KrakenAsset", "KrakenPair", "asset_for", "resolve_pairs"]


@dataclass(frozen=True, slots=True)
class KrakenPair:
    """A synthetic-market symbol plus the fields only Kraken's ``instrument`` shows."""

    spec: SymbolSpec
    cost_precision: int = 5
    marginable: bool = False
    has_index: bool = True
    margin_initial: Decimal | None = None  # only marginable pairs carry the three margin fields
    position_limit_long: int | None = None
    position_limit_short: int | None = None

    @property
    def symbol(self) -> str:
        """``BASE/QUOTE`` as Kraken v2 spells it (``BTC/USD``)."""
        return self.spec.symbol


@dataclass(frozen=True, slots=True)
class KrakenAsset:
    """An ``instrument`` asset entry."""

    id: str
    precision: int
    precision_display: int
    collateral_value: Decimal
    margin_rate: Decimal
    borrowable: bool = True


def _pair(
    symbol: str,
    price: str,
    price_precision: int,
    level_qty: str,
    qty_min: str,
    cost_min: str,
    *,
    cost_precision: int = 5,
    limits: tuple[int, int] | None = None,
) -> KrakenPair:
    base, quote = symbol.split("/")
    spec = SymbolSpec(
        symbol=symbol,
        base=base,
        quote=quote,
        price=Decimal(price),
        price_precision=price_precision,
        qty_precision=8,
        level_qty=Decimal(level_qty),
        qty_min=Decimal(qty_min),
        cost_min=Decimal(cost_min),
    )
    if limits is None:
        return KrakenPair(spec, cost_precision=cost_precision)
    return KrakenPair(
        spec,
        cost_precision=cost_precision,
        marginable=True,
        margin_initial=Decimal("0.20"),
        position_limit_long=limits[0],
        position_limit_short=limits[1],
    )


DEFAULT_PAIRS: tuple[KrakenPair, ...] = (
    _pair("BTC/USD", "66788.0", 1, "0.5", "0.00005", "0.50", limits=(250, 200)),
    _pair("ETH/USD", "3150.25", 2, "6", "0.002", "0.50", limits=(1000, 600)),
    _pair("SOL/USD", "145.37", 2, "40", "0.02", "0.50", limits=(10000, 5000)),
    _pair("ETH/BTC", "0.04715", 5, "3", "0.002", "0.00002", cost_precision=10, limits=(1000, 600)),
)
"""BTC/USD (price precision 1), ETH/USD (2), SOL/USD (2), ETH/BTC (5); sizes at 8 decimals."""

_ASSETS: dict[str, KrakenAsset] = {
    "USD": KrakenAsset("USD", 4, 2, Decimal("1.00"), Decimal("0.025000")),
    "BTC": KrakenAsset("BTC", 10, 5, Decimal("0.95"), Decimal("0.010000")),
    "ETH": KrakenAsset("ETH", 10, 5, Decimal("0.95"), Decimal("0.020000")),
    "SOL": KrakenAsset("SOL", 10, 5, Decimal("0.90"), Decimal("0.020000")),
}


def asset_for(asset_id: str) -> KrakenAsset:
    """The asset entry for ``asset_id`` (crypto-like defaults for unknown ids)."""
    return _ASSETS.get(asset_id) or KrakenAsset(
        asset_id, 10, 5, Decimal("0.00"), Decimal("0.020000"), borrowable=False
    )


def resolve_pairs(symbols: Iterable[str | SymbolSpec | KrakenPair] | None) -> list[KrakenPair]:
    """Turn the emulator's ``symbols`` argument into pairs.

    A string picks one of :data:`DEFAULT_PAIRS`; a bare :class:`SymbolSpec` becomes a
    non-marginable pair; ``None`` means all defaults.
    """
    if symbols is None:
        return list(DEFAULT_PAIRS)
    known = {p.symbol: p for p in DEFAULT_PAIRS}
    pairs: list[KrakenPair] = []
    for item in symbols:
        if isinstance(item, KrakenPair):
            pairs.append(item)
        elif isinstance(item, SymbolSpec):
            pairs.append(KrakenPair(item))
        elif item in known:
            pairs.append(known[item])
        else:
            raise ValueError(f"unknown default pair {item!r}; pass a SymbolSpec instead")
    if len({p.symbol for p in pairs}) != len(pairs):
        raise ValueError("duplicate symbols")
    return pairs
