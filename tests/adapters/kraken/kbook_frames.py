"""Valid Kraken v2 book frames with correct checksums, written in every way the wire
allows (whitespace, key order, trimmed, exponent or over-long numbers, escapes,
timestamps in several forms): the C extension's differential tests feed them to both
paths. A :class:`Model` holds the book as integer units of the instrument's decimals,
so the checksum is computed from integers, independently of either path.
"""

from __future__ import annotations

import random
import time
import zlib
from dataclasses import dataclass, field

CHECKSUM_LEVELS = 10


def number(units: int, places: int, style: str) -> str:
    """``units`` at ``places`` decimals as a JSON number, in one of the wire's styles."""
    whole, fraction = divmod(units, 10**places)
    full = f"{whole}.{fraction:0{places}d}" if places else str(whole)
    if style == "trim" and places:
        trimmed = full.rstrip("0").rstrip(".")
        return trimmed or "0"
    if style == "exp":
        return f"{units}e-{places}" if places else f"{units}E0"
    if style == "extra0":
        return full + ("0" if places else ".0")
    return full


@dataclass
class Model:
    """One symbol's book in integer units, and how its frames are written."""

    symbol: str
    pp: int
    qp: int
    depth: int
    rng: random.Random
    bids: dict[int, int] = field(default_factory=dict)
    asks: dict[int, int] = field(default_factory=dict)
    second: int = 1_765_000_000
    plain: bool = False  # compact JSON and microsecond timestamps only (for regexes)

    def apply(self, bids: list[tuple[int, int]], asks: list[tuple[int, int]]) -> None:
        """Rows in array order (qty 0 deletes), then each side truncated to the depth."""
        for side, rows, best_high in ((self.bids, bids, True), (self.asks, asks, False)):
            for price, qty in rows:
                if qty:
                    side[price] = qty
                else:
                    side.pop(price, None)
            for price in sorted(side, reverse=best_high)[self.depth :]:
                del side[price]

    def checksum(self) -> int:
        """Kraken's CRC32: asks lowest first, then bids highest first, ten a side."""
        asks = sorted(self.asks.items())[:CHECKSUM_LEVELS]
        bids = sorted(self.bids.items(), reverse=True)[:CHECKSUM_LEVELS]
        return zlib.crc32("".join(f"{p}{q}" for p, q in asks + bids).encode())

    def _ws(self) -> str:
        if self.plain:
            return ""
        return self.rng.choice(("", "", "", " ", "\n", " \t", "\r\n  "))

    def _levels(self, rows: list[tuple[int, int]], styles: tuple[str, str]) -> str:
        parts = []
        for price, qty in rows:
            keys = [
                f'"price"{self._ws()}:{self._ws()}{number(price, self.pp, styles[0])}',
                f'"qty"{self._ws()}:{self._ws()}{number(qty, self.qp, styles[1])}',
            ]
            self.rng.shuffle(keys)
            parts.append("{" + self._ws() + ("," + self._ws()).join(keys) + self._ws() + "}")
        return "[" + self._ws() + ("," + self._ws()).join(parts) + self._ws() + "]"

    def timestamp(self) -> str | None:
        """The next timestamp, in one of the forms RFC3339 and Kraken allow."""
        self.second += self.rng.choice((0, 0, 0, 1))
        prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(self.second))
        kinds = ("us", "us", "us", "ns", "ms", "1", "none", "offset", "absent")
        kind = "us" if self.plain else self.rng.choice(kinds)
        if kind == "absent":
            return None
        if kind == "none":
            return prefix + "Z"
        if kind == "offset":
            return prefix + f".{self.rng.randrange(10**6):06d}+00:00"
        digits = {"us": 6, "ns": 9, "ms": 3, "1": 1}[kind]
        return prefix + f".{self.rng.randrange(10**digits):0{digits}d}Z"

    def frame(
        self,
        kind: str,
        bids: list[tuple[int, int]],
        asks: list[tuple[int, int]],
        style: str = "full",
    ) -> bytes:
        """The frame that tells a client about ``bids``/``asks`` (already applied)."""
        rng = self.rng
        styles = (style if style in ("full", "extra0", "trim") else "full", style)
        symbol = self.symbol.replace("/", "\\/") if style == "escape" else self.symbol
        entry = [
            f'"symbol":{self._ws()}"{symbol}"',
            f'"bids":{self._ws()}{self._levels(bids, styles)}',
            f'"asks":{self._ws()}{self._levels(asks, styles)}',
            f'"checksum":{self._ws()}{self.checksum()}',
        ]
        stamp = self.timestamp()
        if stamp is not None:
            entry.append(f'"timestamp":{self._ws()}"{stamp}"')
        if style == "order":
            rng.shuffle(entry)
        top = [
            f'"channel":{self._ws()}"book"',
            f'"type":{self._ws()}"{kind}"',
            '"data":' + self._ws() + "[{" + ("," + self._ws()).join(entry) + "}]",
        ]
        if style == "order":
            rng.shuffle(top)
        return ("{" + self._ws() + ("," + self._ws()).join(top) + self._ws() + "}").encode()

    def snapshot(self, levels: int = 25) -> bytes:
        """A fresh book around a random mid: the snapshot frame."""
        mid = self.rng.randrange(200, 5_000)
        self.bids.clear()
        self.asks.clear()
        bids = [(mid - k, self.qty()) for k in range(1, levels + 1)]
        asks = [(mid + k, self.qty()) for k in range(levels)]
        self.apply(bids, asks)
        return self.frame("snapshot", bids, asks)

    def qty(self) -> int:
        """A random size in units: small, ordinary or near the size limit."""
        roll = self.rng.random()
        if roll < 0.05:
            return 10 ** (17 + self.qp) + self.rng.randrange(10 ** (17 + self.qp))
        if roll < 0.2:
            return self.rng.randrange(1, 10)
        return self.rng.randrange(1, 10 ** (self.qp + 3))

    def update(self, style: str = "full") -> bytes:
        """Random changes near the top (1-4 rows, deletes among them), as one frame."""
        rng = self.rng
        rows: dict[str, list[tuple[int, int]]] = {"bids": [], "asks": []}
        while not (rows["bids"] or rows["asks"]):
            for _ in range(rng.randrange(1, 5)):
                side = rng.choice(("bids", "asks"))
                book = getattr(self, side)
                known = sorted(book, reverse=side == "bids")[: self.depth]
                if known and rng.random() < 0.3:
                    rows[side].append((rng.choice(known), 0))
                elif known and rng.random() < 0.5:
                    rows[side].append((rng.choice(known), self.qty()))
                else:
                    edge = (max(book) if side == "bids" else min(book)) if book else 1000
                    price = edge + rng.randrange(-12, 4) * (1 if side == "bids" else -1)
                    rows[side].append((max(price, 1), self.qty()))
        self.apply(rows["bids"], rows["asks"])
        return self.frame("update", rows["bids"], rows["asks"], style)


STYLES = ("full", "full", "full", "trim", "exp", "extra0", "escape", "order")
"""How an update may be written (weights by repetition); every one is valid JSON."""
