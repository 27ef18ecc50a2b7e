"""Who is subscribed to which topic, and the frames each market step owes them.

:class:`Feed` turns each :class:`~tickwire.exchanges.base.market.MarketChange` into KuCoin
pushes. Publishing is synchronous: a market step, its sequence numbers and the queueing of
all its frames happen without an ``await`` in between, so a REST snapshot taken between
two steps always sits exactly on the sequence of the last increment published.

Sequences (reference §6, §7): every symbol has one increasing engine sequence. Each step
consumes numbers for its trades and its changed levels, and its ``/market/level2``
increment spans them all (``sequenceStart``..``sequenceEnd``), so consecutive increments
are contiguous. As on the venue, a row's sequence is that price's *last* change: a
maker level hit by a trade carries the trade's sequence; some rows skip numbers inside
the span (updates of the same price collapsed into one row); rarely, a ``price "0"`` row
only advances the sequence.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterable
from decimal import Decimal

from tickwire.exchanges.base.faults import SKIP_SEQUENCE, FaultPlan
from tickwire.exchanges.base.market import Level, MarketChange, MarketTrade, SyntheticMarket
from tickwire.exchanges.base.server import Connection
from tickwire.exchanges.kucoin import frames
from tickwire.exchanges.kucoin.history import History
from tickwire.exchanges.kucoin.symbols import KucoinSymbol
from tickwire.exchanges.kucoin.topics import (
    CANDLE_TYPES,
    CANDLES,
    DEPTH5,
    DEPTH50,
    LEVEL1,
    LEVEL2,
    MATCH,
    SNAPSHOT,
    TICKER,
    Topic,
)

__all__ = ["SNAPSHOT_PERIOD_NS", "Feed"]

SNAPSHOT_PERIOD_NS = 2_000_000_000
"""``/market/snapshot`` pushes at most every 2 s per symbol, as documented."""

#: Odds that a row follows collapsed updates (skipped sequence numbers before it), and
#: that an increment ends with a sequence-only ``price "0"`` row.
COLLAPSE_ODDS = 0.1
ZERO_ROW_ODDS = 0.03

Row = tuple[Decimal, Decimal, int]
_ZERO = Decimal(0)


class Feed:
    """Public subscriptions of all connections, the per-symbol sequences, and publication."""

    def __init__(
        self,
        market: SyntheticMarket,
        symbols: Iterable[KucoinSymbol],
        rng: random.Random,
        first_sequence: Callable[[], int] | None = None,
        *,
        faults: FaultPlan | None = None,
        history_seed: object = 0,
    ) -> None:
        self.market = market
        self.symbols = {s.name: s for s in symbols}
        self._by_spec = {s.spec.symbol: s.name for s in self.symbols.values()}
        self.rng = rng
        # Order ids draw from their own stream, so that whether anyone watches trades
        # never changes the sequence numbering.
        self._ids = random.Random(rng.getrandbits(64))
        start = first_sequence or (lambda: rng.randint(1_000_000_000, 15_000_000_000))
        self.sequences: dict[str, int] = {name: start() for name in self.symbols}
        self.subs: dict[str, dict[Connection, None]] = {}
        self.faults = faults if faults is not None else FaultPlan()
        """Where a ``skip_sequence`` shot (keyed by KuCoin symbol) is taken from."""
        self._last_snapshot: dict[str, int] = dict.fromkeys(self.symbols, 0)
        self.history: dict[str, History] = {}
        """Per symbol: the prints so far and the candle answers (:mod:`.history`)."""
        for name, sym in self.symbols.items():
            history = History(sym.spec, history_seed, market.clock())
            # The market's seeded prints get the sequences just below the first one.
            seeded = market.recent_trades(sym.spec.symbol, market.RECENT_TRADES)
            first = self.sequences[name] - len(seeded)
            history.log((t, first + i) for i, t in enumerate(seeded))
            self.history[name] = history

    # -- subscriptions ---------------------------------------------------------------

    def add(self, conn: Connection, topics: Iterable[Topic]) -> None:
        """Start sending each topic's pushes to ``conn`` (idempotent)."""
        for topic in topics:
            self.subs.setdefault(topic.key, {})[conn] = None
            if topic.candle is not None and topic.symbol is not None:
                # The market only tracks trades into candles someone asked for.
                self.market.candle(
                    self.symbols[topic.symbol].spec.symbol, CANDLE_TYPES[topic.candle]
                )

    def remove(self, conn: Connection, keys: Iterable[str]) -> None:
        """Stop sending the topics ``keys`` to ``conn`` (no error if absent)."""
        for key in keys:
            subs = self.subs.get(key)
            if subs is not None:
                subs.pop(conn, None)
                if not subs:
                    del self.subs[key]

    def _wanted(self, key: str) -> dict[Connection, None] | None:
        # Frames are built only when someone is subscribed; None means nobody.
        return self.subs.get(key) or None

    @staticmethod
    def _fanout(subs: dict[Connection, None], frame: bytes) -> None:
        for conn in subs:
            conn.send(frame)

    def subscribers(self, key: str) -> list[Connection]:
        """Connections subscribed to the single-symbol topic ``key``."""
        return list(self.subs.get(key, ()))

    # -- publication -----------------------------------------------------------------

    def pick(self) -> str:
        """The KuCoin name of the symbol an un-targeted step moves."""
        return self._by_spec[self.market.pick_symbol()]

    def advance(self, name: str | None = None, force: str | None = None) -> Counter[str]:
        """Step the market once for ``name`` and queue every push it causes.

        ``force`` (a topic prefix) pushes that topic this step even if nothing it shows
        changed. Returns how many frames each prefix *produced* (whether or not anyone
        is subscribed), which is what :meth:`KucoinEmulator.burst` counts.
        """
        if name is None:
            name = self.pick()
        sym = self.symbols[name]
        spec_symbol = sym.spec.symbol
        market = self.market
        before5 = self._top(spec_symbol, 5, DEPTH5, name)
        before50 = self._top(spec_symbol, 50, DEPTH50, name)
        change = market.step(spec_symbol)
        produced: Counter[str] = Counter()
        ts_ms = change.ts // 1_000_000

        asks, bids, start, trade_seqs = self._sequence(name, change)
        if start is not None and not self.faults.take(SKIP_SEQUENCE, name):
            produced[LEVEL2] = 1
            if subs := self._wanted(f"{LEVEL2}:{name}"):
                end = self.sequences[name]
                self._fanout(subs, frames.l2update(name, asks, bids, start, end, ts_ms))
        if change.trades:
            self.history[name].log(zip(change.trades, trade_seqs, strict=True))
        match_subs = self._wanted(f"{MATCH}:{name}")
        for trade, seq in zip(change.trades, trade_seqs, strict=True):
            produced[MATCH] += 1
            if match_subs:
                self._fanout(match_subs, self._match(name, trade, seq))

        if change.top_changed or change.trades or force == TICKER:
            produced[TICKER] = 1
            self._ticker(name, f"{TICKER}:{name}", "trade.ticker")
            self._ticker(name, f"{TICKER}:all", name)
        if change.top_changed or force == LEVEL1:
            produced[LEVEL1] = 1
            if subs := self._wanted(f"{LEVEL1}:{name}"):
                self._fanout(subs, frames.level1(name, *self._bbo(name), ts_ms))
        for levels, prefix, before in ((5, DEPTH5, before5), (50, DEPTH50, before50)):
            now = market.book(spec_symbol, levels) if before is not None else None
            if force == prefix or before != now:
                produced[prefix] = 1
                if subs := self._wanted(f"{prefix}:{name}"):
                    bids_n, asks_n = now or market.book(spec_symbol, levels)
                    self._fanout(subs, frames.depth(name, levels, bids_n, asks_n, ts_ms))
        if change.trades or force == CANDLES:
            produced[CANDLES] = 1
            for kind, seconds in CANDLE_TYPES.items():
                if subs := self._wanted(f"{CANDLES}:{name}_{kind}"):
                    bar = market.candle(spec_symbol, seconds)
                    self._fanout(subs, frames.candle(name, kind, bar, change.ts))
        if force == SNAPSHOT or change.ts - self._last_snapshot[name] >= SNAPSHOT_PERIOD_NS:
            produced[SNAPSHOT] = 1
            self._last_snapshot[name] = change.ts
            if subs := self._wanted(f"{SNAPSHOT}:{name}"):
                self._fanout(subs, self._snapshot(name, ts_ms))
        return produced

    def _sequence(
        self, name: str, change: MarketChange
    ) -> tuple[list[Row], list[Row], int | None, list[int]]:
        """Number the step's trades and rows; return (asks, bids, sequenceStart, trade seqs)."""
        rng = self.rng
        seq = first = self.sequences[name]
        trade_seqs: list[int] = []
        traded: dict[Decimal, int] = {}
        for trade in change.trades:
            seq += 1
            trade_seqs.append(seq)
            traded[trade.price] = seq  # the maker level's last change is this fill
        maker_is_ask = bool(change.trades) and change.trades[0].side == "buy"
        rows: tuple[list[Row], list[Row]] = ([], [])
        for levels, out, maker in (
            (change.asks, rows[0], maker_is_ask),
            (change.bids, rows[1], bool(change.trades) and not maker_is_ask),
        ):
            for price, qty in levels:
                if maker and price in traded:
                    out.append((price, qty, traded[price]))
                    continue
                if rng.random() < COLLAPSE_ODDS:
                    seq += rng.randint(1, 3)  # earlier updates of this price, collapsed
                seq += 1
                out.append((price, qty, seq))
        if seq == first:
            return [], [], None, trade_seqs
        if rng.random() < ZERO_ROW_ODDS:
            seq += 1
            rows[rng.randrange(2)].append((_ZERO, _ZERO, seq))
        self.sequences[name] = seq
        return rows[0], rows[1], first + 1, trade_seqs

    # -- frame helpers ---------------------------------------------------------------

    def _top(
        self, spec_symbol: str, levels: int, prefix: str, name: str
    ) -> tuple[list[Level], list[Level]] | None:
        # The top-N before a step, only when someone would see it change.
        if not self.subs.get(f"{prefix}:{name}"):
            return None
        return self.market.book(spec_symbol, levels)

    def _bbo(self, name: str) -> tuple[Level, Level]:
        bids, asks = self.market.book(self.symbols[name].spec.symbol, 1)
        zero = (_ZERO, _ZERO)
        return (bids[0] if bids else zero), (asks[0] if asks else zero)

    def last_trade(self, name: str) -> MarketTrade:
        """The symbol's latest print (the market seeds a short history, so there is one)."""
        return self.market.recent_trades(self.symbols[name].spec.symbol, 1)[-1]

    def _ticker(self, name: str, key: str, subject: str) -> None:
        if subs := self._wanted(key):
            seq = self.sequences[name]
            self._fanout(
                subs, frames.ticker(key, subject, seq, self.last_trade(name), *self._bbo(name))
            )

    def _match(self, name: str, trade: MarketTrade, seq: int) -> bytes:
        maker = f"{self._ids.getrandbits(96):024x}"
        taker = f"{self._ids.getrandbits(96):024x}"
        return frames.match(name, trade, seq, maker, taker)

    def _snapshot(self, name: str, ts_ms: int) -> bytes:
        sym = self.symbols[name]
        stats = self.market.stats(sym.spec.symbol)
        bid, ask = self._bbo(name)
        return frames.snapshot(sym, stats, bid, ask, self.sequences[name], ts_ms)
