"""The symbols the KuCoin emulator lists, with the fields only KuCoin's ``/api/v2/symbols`` shows.

KuCoin spells symbols ``BASE-QUOTE`` (``BTC-USDT``); the synthetic market underneath keys
them in unified ``BASE/QUOTE`` spelling. A :class:`KucoinSymbol` carries both. Increments
and minimums have KuCoin's real magnitudes for these pairs (reference §11), not a copy of a
live list.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from tickwire.exchanges.base.market import SymbolSpec

__all__ = ["DEFAULT_SYMBOLS", "KucoinSymbol", "resolve_symbols"]


@dataclass(frozen=True, slots=True)
class KucoinSymbol:
    """A synthetic-market pair plus its KuCoin instrument metadata (decimals as ``Decimal``)."""

    spec: SymbolSpec
    market: str  # KuCoin trading area: "USDS" for USDT pairs, "BTC" for BTC-quoted ones
    base_max_size: Decimal = Decimal("10000000000")
    quote_min_size: Decimal = Decimal("0.1")
    quote_max_size: Decimal = Decimal("99999999")
    quote_increment: Decimal = Decimal("0.000001")
    margin: bool = True

    @property
    def name(self) -> str:
        """``BASE-QUOTE``, as KuCoin spells it."""
        return f"{self.spec.base}-{self.spec.quote}"

    @property
    def price_increment(self) -> Decimal:
        """The tick (``priceIncrement``)."""
        return self.spec.tick

    @property
    def base_increment(self) -> Decimal:
        """The size step (``baseIncrement``)."""
        return self.spec.lot


def _symbol(
    base: str,
    quote: str,
    price: str,
    price_precision: int,
    qty_precision: int,
    level_qty: str,
    base_min: str,
    *,
    market: str = "USDS",
    quote_min: str = "0.1",
    quote_increment: str = "0.000001",
) -> KucoinSymbol:
    spec = SymbolSpec(
        symbol=f"{base}/{quote}",
        base=base,
        quote=quote,
        price=Decimal(price),
        price_precision=price_precision,
        qty_precision=qty_precision,
        level_qty=Decimal(level_qty),
        qty_min=Decimal(base_min),
        cost_min=Decimal(quote_min),
    )
    return KucoinSymbol(
        spec,
        market=market,
        quote_min_size=Decimal(quote_min),
        quote_increment=Decimal(quote_increment),
    )


DEFAULT_SYMBOLS: tuple[KucoinSymbol, ...] = (
    _symbol("BTC", "USDT", "67158.1", 1, 8, "0.4", "0.00001"),
    _symbol("ETH", "USDT", "3150.25", 2, 7, "5", "0.0001"),
    _symbol("SOL", "USDT", "145.37", 2, 4, "40", "0.01"),
    _symbol(
        "ETH",
        "BTC",
        "0.04715",
        5,
        7,
        "3",
        "0.0001",
        market="BTC",
        quote_min="0.00001",
        quote_increment="0.000000001",
    ),
)
"""BTC-USDT (tick 0.1, lot 1e-8), ETH-USDT (0.01, 1e-7), SOL-USDT (0.01, 1e-4), ETH-BTC
(0.00001, 1e-7): the assets the Kraken emulator lists, in KuCoin spelling."""


def resolve_symbols(
    symbols: Iterable[str | SymbolSpec | KucoinSymbol] | None,
) -> list[KucoinSymbol]:
    """Turn the emulator's ``symbols`` argument into :class:`KucoinSymbol` objects.

    A string names one of :data:`DEFAULT_SYMBOLS` (``"BTC-USDT"``, or ``"BTC/USDT"``); a
    bare :class:`SymbolSpec` becomes a ``USDS``-market symbol; ``None`` means all defaults.
    """
    if symbols is None:
        return list(DEFAULT_SYMBOLS)
    known = {s.name: s for s in DEFAULT_SYMBOLS} | {s.spec.symbol: s for s in DEFAULT_SYMBOLS}
    chosen: list[KucoinSymbol] = []
    for item in symbols:
        if isinstance(item, KucoinSymbol):
            chosen.append(item)
        elif isinstance(item, SymbolSpec):
            chosen.append(KucoinSymbol(item, market="USDS"))
        elif item in known:
            chosen.append(known[item])
        else:
            raise ValueError(f"unknown default symbol {item!r}; pass a SymbolSpec instead")
    if len({s.name for s in chosen}) != len(chosen):
        raise ValueError("duplicate symbols")
    if not chosen:
        raise ValueError("the emulator needs at least one symbol")
    return chosen
