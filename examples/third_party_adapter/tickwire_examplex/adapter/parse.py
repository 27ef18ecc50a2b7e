"""Pure functions from examplex frames to tickwire's normalized types."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tickwire.core.errors import (
    AuthError,
    ExchangeError,
    InsufficientFunds,
    InvalidOrder,
    SubscriptionError,
    UnknownOrder,
)
from tickwire.core.types import (
    Balance,
    BookLevel,
    BookUpdate,
    Channel,
    Instrument,
    OrderStatus,
    OrderType,
    OrderUpdate,
    Side,
    Ticker,
    Trade,
)
from tickwire_examplex.adapter import schemas

__all__ = [
    "VENUE",
    "check_options",
    "error_for",
    "to_balance",
    "to_book",
    "to_instrument",
    "to_native",
    "to_order",
    "to_ticker",
    "to_trade",
    "to_unified",
]

VENUE = "examplex"

_STATES = {
    "open": OrderStatus.OPEN,
    "partial": OrderStatus.PARTIALLY_FILLED,
    "filled": OrderStatus.FILLED,
    "canceled": OrderStatus.CANCELED,
    "rejected": OrderStatus.REJECTED,
}

# One table maps every venue error code to the core error tree.
_ERRORS: dict[str, type[ExchangeError]] = {
    "unknown_market": SubscriptionError,
    "unknown_channel": SubscriptionError,
    "auth": AuthError,
    "not_logged_in": AuthError,
    "invalid_order": InvalidOrder,
    "insufficient_funds": InsufficientFunds,
    "unknown_order": UnknownOrder,
}


def check_options(channel: Channel, options: Mapping[str, Any]) -> None:
    """Refuse options examplex does not know; ``depth`` (book) must be a level count."""
    allowed = {"depth"} if channel is Channel.BOOK else set()
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise ValueError(f"examplex {channel} takes no option(s) {unknown}")
    depth = options.get("depth", 1)
    if not isinstance(depth, int) or depth < 1:
        raise ValueError(f"depth={depth!r} is not a positive number of levels")


def error_for(err: schemas.Err) -> ExchangeError:
    """The core error for a refusal (``ExchangeError`` for codes without a subclass)."""
    return _ERRORS.get(err.code, ExchangeError)(VENUE, err.code, err.msg or err.code)


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
        venue=VENUE,
        symbol=to_unified(market.market),
        native_symbol=market.market,
        base=market.base,
        quote=market.quote,
        price_increment=market.tick,
        size_increment=market.lot,
        min_size=market.min_qty,
        price_precision=max(0, -int(market.tick.as_tuple().exponent)),
        size_precision=max(0, -int(market.lot.as_tuple().exponent)),
    )


def to_ticker(msg: schemas.Ticker, received: int) -> Ticker:
    """A ticker frame."""
    return Ticker(
        venue=VENUE,
        symbol=to_unified(msg.market),
        bid=msg.bid,
        bid_size=msg.bid_qty,
        ask=msg.ask,
        ask_size=msg.ask_qty,
        last=msg.last,
        ts=msg.time,
        received=received,
    )


def to_trade(msg: schemas.Trade, received: int) -> Trade:
    """A trade frame."""
    return Trade(
        venue=VENUE,
        symbol=to_unified(msg.market),
        trade_id=str(msg.tid),
        price=msg.price,
        size=msg.qty,
        side=Side(msg.taker),
        ts=msg.time,
        received=received,
    )


def to_book(msg: schemas.Book, received: int) -> BookUpdate:
    """A book frame as delivered: a snapshot best-first, a delta as sent."""
    bids = [BookLevel(p, q) for p, q in msg.bids]
    asks = [BookLevel(p, q) for p, q in msg.asks]
    snapshot = msg.kind == "snapshot"
    if snapshot:
        bids.sort(key=lambda level: level.price, reverse=True)
        asks.sort(key=lambda level: level.price)
    return BookUpdate(
        venue=VENUE,
        symbol=to_unified(msg.market),
        bids=tuple(bids),
        asks=tuple(asks),
        snapshot=snapshot,
        sequence=msg.seq,
        ts=msg.time,
        received=received,
    )


def to_order(msg: schemas.Order, received: int) -> OrderUpdate:
    """An order frame, on tickwire's one lifecycle."""
    return OrderUpdate(
        venue=VENUE,
        symbol=to_unified(msg.market),
        order_id=msg.oid,
        client_id=msg.cid,
        side=Side(msg.side),
        order_type=OrderType(msg.kind),
        status=_STATES[msg.state],
        price=msg.price,
        size=msg.qty,
        filled=msg.filled,
        remaining=msg.qty - msg.filled,
        avg_price=msg.avg,
        last_fill_price=msg.fill_price,
        last_fill_size=msg.fill_qty,
        fee=msg.fee,
        fee_asset=msg.fee_asset,
        ts=msg.time,
        received=received,
    )


def to_balance(msg: schemas.Balance, received: int) -> Balance:
    """A balance frame."""
    return Balance(
        venue=VENUE,
        asset=msg.asset,
        total=msg.total,
        available=msg.free,
        hold=msg.locked,
        ts=msg.time,
        received=received,
    )
