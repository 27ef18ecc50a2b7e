"""The latest market state of a client, for programs that poll instead of stream.

::

    state = client.snapshot()              # one immutable value, taken now
    btc = state["BTC/USD"]
    print(btc.bid, btc.ask, btc.last_trade)
    client.ticker("BTC/USD")               # the last Ticker, or None

Kept on the receive path at the cost of one dict store per ticker and trade (adapters
record each as they deliver it, see :class:`~tickwire.core.client.BaseClient`); the
snapshot itself is built only when asked for. Best bid and ask come from the live,
integrity-checked book where the symbol has one that is in sync, else from the last
ticker.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal

import msgspec

from tickwire.core.book import OrderBook
from tickwire.core.types import Ticker, Trade

__all__ = ["MarketSnapshot", "SymbolState", "take_snapshot"]


class SymbolState(msgspec.Struct, frozen=True, kw_only=True):
    """One symbol's latest state: last ticker, best bid and ask, last trade."""

    symbol: str
    ticker: Ticker | None = None
    bid: Decimal | None = None
    bid_size: Decimal | None = None
    ask: Decimal | None = None
    ask_size: Decimal | None = None
    last_trade: Trade | None = None


class MarketSnapshot(msgspec.Struct, frozen=True, kw_only=True):
    """Every symbol the client has market data for, as of ``ts`` (ns, local time)."""

    venue: str
    ts: int
    symbols: tuple[SymbolState, ...] = ()

    def __getitem__(self, symbol: str) -> SymbolState:
        """The state of ``symbol``; ``KeyError`` when the client has nothing for it."""
        for state in self.symbols:
            if state.symbol == symbol:
                return state
        raise KeyError(symbol)

    def __iter__(self) -> Iterator[SymbolState]:
        """Every symbol's state, sorted by symbol."""
        return iter(self.symbols)

    def __len__(self) -> int:
        """How many symbols the snapshot holds."""
        return len(self.symbols)


def take_snapshot(
    venue: str,
    ts: int,
    tickers: Mapping[str, Ticker],
    trades: Mapping[str, Trade],
    books: Mapping[str, OrderBook],
) -> MarketSnapshot:
    """Build the snapshot from the client's latest tickers, trades and books."""
    states = []
    for symbol in sorted({*tickers, *trades, *books}):
        ticker = tickers.get(symbol)
        bid = bid_size = ask = ask_size = None
        if ticker is not None:
            bid, bid_size, ask, ask_size = ticker.bid, ticker.bid_size, ticker.ask, ticker.ask_size
        book = books.get(symbol)
        if book is not None and book.synced:
            best_bid, best_ask = book.best_bid, book.best_ask
            bid, bid_size = (best_bid.price, best_bid.size) if best_bid else (None, None)
            ask, ask_size = (best_ask.price, best_ask.size) if best_ask else (None, None)
        states.append(
            SymbolState(
                symbol=symbol,
                ticker=ticker,
                bid=bid,
                bid_size=bid_size,
                ask=ask,
                ask_size=ask_size,
                last_trade=trades.get(symbol),
            )
        )
    return MarketSnapshot(venue=venue, ts=ts, symbols=tuple(states))
