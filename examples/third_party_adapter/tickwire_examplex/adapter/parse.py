"""Pure functions from examplex market-data frames to tickwire's normalized types."""

from __future__ import annotations

from tickwire.core.parsing import decimals
from tickwire.core.types import Instrument, Side, Ticker, Trade
from tickwire.core.validation import check_price, check_size
from tickwire_examplex.adapter import schemas

VENUE = "examplex"


def to_unified(market: str) -> str:
    """``btc_usd`` → ``BTC/USD``."""
    base, _, quote = market.partition("_")
    return f"{base.upper()}/{quote.upper()}"


def to_native(symbol: str) -> str:
    """``BTC/USD`` → ``btc_usd``."""
    return symbol.replace("/", "_").lower()


def to_instrument(market: schemas.Market) -> Instrument:
    """A listed market's trading rules."""
    return Instrument(
        venue=VENUE, symbol=to_unified(market.market), native_symbol=market.market,
        base=market.base, quote=market.quote, price_increment=market.tick,
        size_increment=market.lot, min_size=market.min_qty,
        price_precision=decimals(market.tick, VENUE), size_precision=decimals(market.lot, VENUE),
    )  # fmt: skip


def to_ticker(msg: schemas.Ticker, received: int) -> Ticker:
    """A ticker frame (prices and sizes checked: nothing impossible is delivered)."""
    return Ticker(
        venue=VENUE, symbol=to_unified(msg.market), bid=check_price(msg.bid),
        bid_size=check_size(msg.bid_qty), ask=check_price(msg.ask),
        ask_size=check_size(msg.ask_qty),
        last=None if msg.last is None else check_price(msg.last),
        ts=msg.time, received=received,
    )  # fmt: skip


def to_trade(msg: schemas.Trade, received: int) -> Trade:
    """A trade frame."""
    return Trade(
        venue=VENUE, symbol=to_unified(msg.market), trade_id=str(msg.tid),
        price=check_price(msg.price), size=check_size(msg.qty), side=Side(msg.taker),
        ts=msg.time, received=received,
    )  # fmt: skip
