"""The four replayed streams of the floor benchmark, written as the venues write them.

Each stream is a seeded, deterministic walk that produces, for one connection,

- the state a client starts from (KuCoin: the REST level2 snapshot; Kraken: the
  subscription's WS snapshot), and
- an endless iterator of update frames (JSON text, as sent on the wire).

============== ====================================================================
``kucoin-ticker``   ``/market/ticker:BTC-USDT`` pushes (``trade.ticker``), string numbers,
                    ticker ``sequence`` increasing
``kucoin-l2``       ``/market/level2:ETH-USDT`` increments (``trade.l2update``), 1-3
                    changes each, contiguous ``sequenceStart``/``sequenceEnd`` after the
                    REST snapshot's ``sequence``; a full book of ~100 levels a side
``kraken-ticker``   v2 ``ticker`` updates for BTC/USD (the live 2026 shape, ``trades``
                    and ``timestamp`` included), numbers at full precision
``kraken-book``     v2 ``book`` depth-10 updates for ETH/USD, with the CRC32 checksum of
                    the top 10 at the instrument's precisions (price 2, qty 8); a level
                    deleted inside the depth comes with the level that slides in
============== ====================================================================

The walks keep every book bounded (a fixed band of prices around a fixed centre), so a
10 M-frame run keeps the same book size from start to end: a client's memory can only
grow by its own doing. Nothing here imports tickwire: the client under test and this
sender must not share a misreading (the tickwire client verifies every Kraken checksum
and every KuCoin sequence, so a mistake here fails the run).
"""

from __future__ import annotations

import random
import time
import zlib
from collections.abc import Callable, Iterator

__all__ = ["KRAKEN_INSTRUMENTS", "STREAMS", "Feed", "kraken_checksum", "new_feed"]

STREAMS = ("kucoin-ticker", "kucoin-l2", "kraken-ticker", "kraken-book")

KRAKEN_PRECISIONS = {"BTC/USD": (1, 8), "ETH/USD": (2, 8)}  # symbol → (price, qty) decimals


def _full(units: int, decimals: int) -> str:
    """``units`` of 10**-decimals written with every decimal (Kraken: ``1.50000000``)."""
    if decimals == 0:
        return str(units)
    whole, frac = divmod(units, 10**decimals)
    return f"{whole}.{frac:0{decimals}d}"


def _trim(units: int, decimals: int) -> str:
    """The same number without trailing zeros (KuCoin: ``1.5``, ``2500``)."""
    whole, frac = divmod(units, 10**decimals)
    if frac == 0:
        return str(whole)
    return f"{whole}.{f'{frac:0{decimals}d}'.rstrip('0')}"


class _Clock:
    """Venue time: starts at the wall clock's current second, advances ~100 µs a frame."""

    def __init__(self, rng: random.Random) -> None:
        self.us = int(time.time()) * 1_000_000
        self._rng = rng
        self._second = -1
        self._prefix = ""

    def tick(self) -> int:
        self.us += 1 + int(self._rng.expovariate(0.01))
        return self.us

    def rfc3339(self) -> str:
        """Kraken's ``2026-12-07T15:00:00.123456Z``."""
        second, micro = divmod(self.us, 1_000_000)
        if second != self._second:
            self._second = second
            self._prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        return f"{self._prefix}.{micro:06d}Z"


class Feed:
    """One connection's stream: its starting state and its update frames."""

    def snapshot(self) -> bytes:
        """KuCoin level2: the REST body; Kraken: the WS snapshot frame; else empty."""
        return b""

    def rest_snapshot(self, depth: int | None) -> bytes:
        """The KuCoin REST book body, top ``depth`` levels a side (``None``: all)."""
        raise NotImplementedError

    sequence = 0
    """KuCoin: the last sequence number used (the snapshot's, before any update)."""

    def updates(self) -> Iterator[bytes]:
        """Update frames, without end."""
        raise NotImplementedError

    def home(self) -> Iterator[bytes]:
        """Frames that bring the stream back to its first state (books: level by level).

        After them the same updates are valid again, so a run of any length can repeat
        one encoded cycle (KuCoin's sequence numbers shifted, see ``floor_server``).
        """
        return iter(())


# --- KuCoin -------------------------------------------------------------------------------


class KucoinTicker(Feed):
    """``/market/ticker:BTC-USDT``: best bid/ask, last trade, a rising ``sequence``."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.clock = _Clock(self.rng)
        self.mid = 621_629  # 62162.9 in 0.1 ticks
        self.sequence = 1_621_383_371_852

    def updates(self) -> Iterator[bytes]:
        rng, clock = self.rng, self.clock
        head = '{"type":"message","topic":"/market/ticker:BTC-USDT","subject":"trade.ticker",'
        while True:
            self.mid += rng.choice((-1, 0, 0, 1))
            bid, ask = self.mid, self.mid + 1
            last = ask if rng.random() < 0.5 else bid
            self.sequence += rng.randint(1, 3)
            clock.tick()
            data = (
                f'"data":{{"bestAsk":"{_trim(ask, 1)}",'
                f'"bestAskSize":"{_trim(rng.randint(1, 300_000_000), 8)}",'
                f'"bestBid":"{_trim(bid, 1)}",'
                f'"bestBidSize":"{_trim(rng.randint(1, 300_000_000), 8)}",'
                f'"price":"{_trim(last, 1)}","sequence":"{self.sequence}",'
                f'"size":"{_trim(rng.randint(1, 50_000_000), 8)}","time":{clock.us // 1000}}}}}'
            )
            yield (head + data).encode()


class _BandBook:
    """A book on a fixed band of price ticks: bids below ``centre``, asks from it.

    ``levels[side]`` maps price ticks to size units. Changes are drawn near the top
    (exponential distance from the centre), so the top of the book moves a lot and the
    deep levels little; the band keeps the book's size bounded for ever.
    """

    def __init__(
        self, rng: random.Random, centre: int, band: int, fill: float, size_max: int
    ) -> None:
        self.rng = rng
        self.centre = centre
        self.band = band
        self.size_max = size_max
        self.levels: dict[str, dict[int, int]] = {"bids": {}, "asks": {}}
        for d in range(band):
            if rng.random() < fill:
                self.levels["bids"][centre - 1 - d] = rng.randint(1, size_max)
            if rng.random() < fill:
                self.levels["asks"][centre + d] = rng.randint(1, size_max)
        self.first = {side: dict(levels) for side, levels in self.levels.items()}

    def restore(self) -> Iterator[tuple[str, int, int]]:
        """Change the book back to its first state, one level at a time (side, price,
        size; 0 = deleted): first every level it had, then away with the others, so a
        side never gets thinner than either state."""
        for side, levels in self.levels.items():
            for price, size in self.first[side].items():
                if levels.get(price) != size:
                    levels[price] = size
                    yield side, price, size
        for side, levels in self.levels.items():
            for price in [p for p in levels if p not in self.first[side]]:
                del levels[price]
                yield side, price, 0

    def change(self, side: str, mean_distance: float, keep: int) -> tuple[int, int]:
        """One change: set, insert or delete a level; (price, new size, 0 = deleted)."""
        rng = self.rng
        distance = min(self.band - 1, int(rng.expovariate(1 / mean_distance)))
        price = self.centre - 1 - distance if side == "bids" else self.centre + distance
        levels = self.levels[side]
        if price in levels and rng.random() < 0.25 and len(levels) > keep:
            del levels[price]
            return price, 0
        size = rng.randint(1, self.size_max)
        levels[price] = size
        return price, size

    def top(self, side: str, depth: int | None) -> list[tuple[int, int]]:
        """The best ``depth`` levels of a side, best first."""
        levels = self.levels[side]
        prices = sorted(levels, reverse=side == "bids")[:depth]
        return [(p, levels[p]) for p in prices]


class KucoinLevel2(Feed):
    """``/market/level2:ETH-USDT`` increments (price 0.01, size 1e-7) over a REST snapshot."""

    SYMBOL = "ETH-USDT"

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.clock = _Clock(self.rng)
        # 120 ticks a side, 4 in 5 filled: ~96 levels a side, so the public top-100
        # snapshot holds the whole book and no increment ever lands outside it.
        self.book = _BandBook(self.rng, 250_000, 120, 0.8, 50_000_000)
        self.sequence = 14_610_502_970

    def rest_snapshot(self, depth: int | None) -> bytes:
        def rows(side: str) -> str:
            return ",".join(
                f'["{_trim(p, 2)}","{_trim(s, 7)}"]' for p, s in self.book.top(side, depth)
            )

        return (
            f'{{"code":"200000","data":{{"time":{self.clock.us // 1000},'
            f'"sequence":"{self.sequence}","bids":[{rows("bids")}],"asks":[{rows("asks")}]}}}}'
        ).encode()

    def _frame(self, changes: list[tuple[str, int, int]]) -> bytes:
        """One increment: ``changes`` (side, price, size) numbered from ``sequence + 1``."""
        start = self.sequence + 1
        rows: dict[str, list[str]] = {"asks": [], "bids": []}
        for side, price, size in changes:
            self.sequence += 1
            rows[side].append(f'["{_trim(price, 2)}","{_trim(size, 7)}","{self.sequence}"]')
        self.clock.tick()
        return (
            '{"topic":"/market/level2:ETH-USDT","type":"message","subject":"trade.l2update",'
            f'"data":{{"changes":{{"asks":[{",".join(rows["asks"])}],'
            f'"bids":[{",".join(rows["bids"])}]}},"sequenceEnd":{self.sequence},'
            f'"sequenceStart":{start},"symbol":"{self.SYMBOL}","time":{self.clock.us // 1000}}}}}'
        ).encode()

    def updates(self) -> Iterator[bytes]:
        rng, book = self.rng, self.book
        while True:
            changes = []
            for _ in range(rng.choices((1, 2, 3), (0.6, 0.3, 0.1))[0]):
                side = "bids" if rng.random() < 0.5 else "asks"
                changes.append((side, *book.change(side, 6.0, 20)))
            yield self._frame(changes)

    def home(self) -> Iterator[bytes]:
        for change in self.book.restore():
            yield self._frame([change])


# --- Kraken -------------------------------------------------------------------------------


class KrakenTicker(Feed):
    """v2 ``ticker`` for BTC/USD: a snapshot, then one update per trade."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.clock = _Clock(self.rng)
        self.mid = 837_442  # 83744.2 in 0.1 ticks
        self.volume = 315_684_782_110  # 3156.84782110
        self.trades = 135_262

    def _frame(self, kind: str) -> bytes:
        rng = self.rng
        self.mid += rng.choice((-1, 0, 0, 1))
        self.volume += rng.randint(1, 50_000_000)
        self.trades += 1
        self.clock.tick()
        change = self.mid - 841_735
        entry = (
            f'{{"symbol":"BTC/USD","bid":{_full(self.mid, 1)},'
            f'"bid_qty":{_full(rng.randint(1, 300_000_000), 8)},"ask":{_full(self.mid + 1, 1)},'
            f'"ask_qty":{_full(rng.randint(1, 300_000_000), 8)},"last":{_full(self.mid + 1, 1)},'
            f'"volume":{_full(self.volume, 8)},"vwap":84174.6,"low":83163.6,"high":85247.4,'
            f'"change":{"-" if change < 0 else ""}{_full(abs(change), 1)},'
            f'"change_pct":{change * 10_000 // 841_735 / 100:.2f},"trades":{self.trades},'
            f'"timestamp":"{self.clock.rfc3339()}"}}'
        )
        return f'{{"channel":"ticker","type":"{kind}","data":[{entry}]}}'.encode()

    def snapshot(self) -> bytes:
        return self._frame("snapshot")

    def updates(self) -> Iterator[bytes]:
        while True:
            yield self._frame("update")


def kraken_checksum(asks: list[tuple[int, int]], bids: list[tuple[int, int]]) -> int:
    """Kraken v2's book checksum over the top 10 a side (levels in precision units).

    Each level is ``fmt(price) + fmt(qty)``, where ``fmt`` writes the number at the
    instrument's precision, drops the point and the leading zeros: for a number held
    as integer units of that precision that is just ``str(units)``. Asks lowest first,
    then bids highest first; CRC-32 (zlib) as an unsigned 32-bit integer.
    """
    text = "".join(f"{p}{q}" for p, q in asks[:10]) + "".join(f"{p}{q}" for p, q in bids[:10])
    return zlib.crc32(text.encode())


class KrakenBook(Feed):
    """v2 ``book`` depth 10 for ETH/USD: a snapshot, then updates of the top 10."""

    DEPTH = 10

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.clock = _Clock(self.rng)
        self.price_dp, self.qty_dp = KRAKEN_PRECISIONS["ETH/USD"]
        # 40 ticks a side, 7 in 10 filled: ~28 levels a side behind a 10-level view.
        self.book = _BandBook(self.rng, 250_000, 40, 0.7, 2_000_000_000)
        self.view = {side: self.book.top(side, self.DEPTH) for side in ("bids", "asks")}

    def _levels(self, levels: list[tuple[int, int]]) -> str:
        price_dp, qty_dp = self.price_dp, self.qty_dp
        return ",".join(
            f'{{"price":{_full(p, price_dp)},"qty":{_full(q, qty_dp)}}}' for p, q in levels
        )

    def _frame(self, kind: str, bids: list[tuple[int, int]], asks: list[tuple[int, int]]) -> bytes:
        checksum = kraken_checksum(self.view["asks"], self.view["bids"])
        return (
            f'{{"channel":"book","type":"{kind}","data":[{{"symbol":"ETH/USD",'
            f'"bids":[{self._levels(bids)}],"asks":[{self._levels(asks)}],'
            f'"checksum":{checksum},"timestamp":"{self.clock.rfc3339()}"}}]}}'
        ).encode()

    def snapshot(self) -> bytes:
        return self._frame("snapshot", self.view["bids"], self.view["asks"])

    def _diff(self, side: str) -> list[tuple[int, int]]:
        """What the client must be told about ``side`` after the book changed.

        Levels of the old view that left the book: ``qty`` 0. New or changed levels of
        the new view (a level sliding in, a new price, a new size). A level pushed out
        of the view by a better one is not sent: the client truncates to the depth.
        """
        old = dict(self.view[side])
        new = self.book.top(side, self.DEPTH)
        self.view[side] = new
        levels = self.book.levels[side]
        sent = [(p, 0) for p in old if p not in levels]
        sent += [(p, q) for p, q in new if old.get(p) != q]
        return sent

    def home(self) -> Iterator[bytes]:
        for _ in self.book.restore():
            changes = {side: self._diff(side) for side in ("bids", "asks")}
            if changes["bids"] or changes["asks"]:  # a change below the depth is not sent
                self.clock.tick()
                yield self._frame("update", changes["bids"], changes["asks"])

    def updates(self) -> Iterator[bytes]:
        rng, book = self.rng, self.book
        while True:
            changes: dict[str, list[tuple[int, int]]] = {"bids": [], "asks": []}
            count = rng.choices((1, 2, 3), (0.65, 0.25, 0.1))[0]
            while not (changes["bids"] or changes["asks"]):  # Kraken sends no empty update
                for _ in range(count):
                    book.change("bids" if rng.random() < 0.5 else "asks", 4.0, self.DEPTH + 2)
                changes = {side: self._diff(side) for side in ("bids", "asks")}
            self.clock.tick()
            yield self._frame("update", changes["bids"], changes["asks"])


KRAKEN_INSTRUMENTS = (
    b'{"channel":"instrument","type":"snapshot","data":{"assets":['
    b'{"id":"USD","status":"enabled","precision":4,"precision_display":2,"borrowable":true,'
    b'"collateral_value":1.00,"margin_rate":0.025000},'
    b'{"id":"BTC","status":"enabled","precision":10,"precision_display":5,"borrowable":true,'
    b'"collateral_value":1.00,"margin_rate":0.010000},'
    b'{"id":"ETH","status":"enabled","precision":10,"precision_display":5,"borrowable":true,'
    b'"collateral_value":1.00,"margin_rate":0.020000}],"pairs":['
    b'{"symbol":"BTC/USD","base":"BTC","quote":"USD","status":"online","qty_precision":8,'
    b'"qty_increment":0.00000001,"price_precision":1,"cost_precision":5,"marginable":true,'
    b'"has_index":true,"cost_min":0.50,"tick_size":0.1,"price_increment":0.1,'
    b'"qty_min":0.00005000},'
    b'{"symbol":"ETH/USD","base":"ETH","quote":"USD","status":"online","qty_precision":8,'
    b'"qty_increment":0.00000001,"price_precision":2,"cost_precision":5,"marginable":true,'
    b'"has_index":true,"cost_min":0.50,"tick_size":0.01,"price_increment":0.01,'
    b'"qty_min":0.00200000}]}}'
)
"""The ``instrument`` snapshot: the precisions the Kraken book checksum is computed at."""

_FEEDS: dict[str, Callable[[int], Feed]] = {
    "kucoin-ticker": KucoinTicker,
    "kucoin-l2": KucoinLevel2,
    "kraken-ticker": KrakenTicker,
    "kraken-book": KrakenBook,
}


def new_feed(stream: str, seed: int) -> Feed:
    """A fresh walk of ``stream``: every connection replays the same one from the start."""
    return _FEEDS[stream](seed)
