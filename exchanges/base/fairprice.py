"""One fair price per asset that every emulator can follow, and how each venue follows it.

Seeded emulators each walk their own market, so two venues listing BTC drift apart for
good (or never move relative to each other at all). :class:`FairPrice` is the common
truth behind them: a deterministic function of wall time, so two emulators, even in two
processes, see the same fair price at the same moment without talking to each other::

    fair = FairPrice(seed=0)
    fair.price("BTC", time.time())            # USD per BTC now
    market.anchor_to(fair, profile_for("kraken"))

The walk is a sum of smooth noise at doubling time scales (0.5 s up to ~9 h), each
scale's amplitude growing with the square root of its span, so moves over a second, a
minute or an hour look like a random walk's. Knot values come from a string-seeded
generator keyed by ``(seed, asset, scale, knot)``: nothing depends on when or where the
function is first called. A :class:`VenueProfile` adds what makes venues differ: a lag
behind the fair price, its own smooth noise, and the half spread it quotes around it.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from tickwire.exchanges.base.marketdata import SymbolSpec

__all__ = [
    "DEFAULT_LEVELS",
    "DOLLARS",
    "PROFILES",
    "FairPrice",
    "VenueProfile",
    "profile_for",
    "shared_fair",
]

DOLLARS = frozenset({"USD", "USDT", "USDC"})
"""Quote currencies counted as one US dollar (their fair price never moves)."""

DEFAULT_LEVELS: Mapping[str, float] = {"BTC": 67_000.0, "ETH": 3_150.0, "SOL": 145.0}
"""USD levels the walks start from, fixed so that every process agrees on them."""

_SCALES = 16  # time scales 0.5 s · 2**j, j < 16: the longest spans ~9 h
_SHORTEST = 0.5


@dataclass(frozen=True, slots=True)
class VenueProfile:
    """How one venue follows the fair price.

    ``lag`` seconds behind it; ``noise_bps`` the amplitude of the venue's own smooth
    deviation, which changes over about ``noise_period`` seconds; ``half_spread_ticks``
    how far from its price the venue re-quotes its touch when the price moves; ``key``
    seeds the noise (the venue name, so two emulators of one venue agree).
    """

    key: str
    lag: float = 0.0
    noise_bps: float = 2.0
    noise_period: float = 2.0
    half_spread_ticks: int = 1


PROFILES: Mapping[str, VenueProfile] = {
    "kraken": VenueProfile("kraken", lag=0.2, noise_bps=1.5, noise_period=1.5),
    "kucoin": VenueProfile("kucoin", lag=0.8, noise_bps=2.0, noise_period=2.5, half_spread_ticks=2),
}
"""The built-in venues' profiles: Kraken leads, KuCoin lags and quotes a little wider."""


def profile_for(venue: str) -> VenueProfile:
    """The profile of ``venue``: a built-in one, else one drawn from its name (stable)."""
    known = PROFILES.get(venue)
    if known is not None:
        return known
    rng = random.Random(f"profile/{venue}")
    return VenueProfile(
        venue,
        lag=round(rng.uniform(0.1, 1.0), 2),
        noise_bps=round(rng.uniform(1.0, 2.5), 2),
        noise_period=round(rng.uniform(1.0, 3.0), 2),
        half_spread_ticks=rng.randint(1, 3),
    )


@lru_cache(maxsize=8192)
def _knot(key: str, index: int) -> float:
    # A standard normal value fixed by its name alone: any process draws the same one.
    return random.Random(f"{key}/{index}").gauss(0.0, 1.0)


def _smooth(key: str, t: float, period: float) -> float:
    """Standard-normal-sized noise that changes smoothly over ``period`` seconds."""
    x = t / period
    k = math.floor(x)
    u = x - k
    u = u * u * (3 - 2 * u)  # smoothstep: no kinks at the knots
    a, b = _knot(key, k), _knot(key, k + 1)
    return a + (b - a) * u


class FairPrice:
    """The fair USD price of each asset as a function of time (seconds since the epoch).

    ``vol_bps`` scales the walk (the shortest scale's amplitude; moves over one second
    are about three times that); ``levels`` are the USD prices the walks start from,
    :data:`DEFAULT_LEVELS` and whatever :meth:`adopt` learns from symbol specs.
    """

    def __init__(
        self,
        seed: int = 0,
        *,
        vol_bps: float = 0.5,
        levels: Mapping[str, float] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.seed = seed
        self.vol = vol_bps / 10_000
        self.levels: dict[str, float] = dict(DEFAULT_LEVELS if levels is None else levels)
        self.clock = clock

    def adopt(self, specs: Iterable[SymbolSpec]) -> None:
        """Learn a USD level for every asset of ``specs`` that has none yet.

        A dollar-quoted spec gives its base the spec's price; a spec quoted in an asset
        with a level (ETH/BTC) gives its base that level times the price, and the other
        way round. Known levels never change, so the first emulator sets them.
        """
        pending = list(specs)
        while pending:
            left = []
            for spec in pending:
                price = float(spec.price)
                quote = 1.0 if spec.quote in DOLLARS else self.levels.get(spec.quote)
                if spec.base in self.levels or spec.base in DOLLARS:
                    if quote is None and price > 0:
                        self.levels[spec.quote] = self.levels.get(spec.base, 1.0) / price
                elif quote is not None:
                    self.levels[spec.base] = price * quote
                else:
                    left.append(spec)
            if len(left) == len(pending):  # nothing anchors these: they keep no walk
                return
            pending = left

    def price(self, asset: str, t: float | None = None) -> float | None:
        """Fair USD price of ``asset`` at ``t`` (default: now); ``None`` if unknown."""
        if asset in DOLLARS:
            return 1.0
        level = self.levels.get(asset)
        if level is None:
            return None
        t = self.clock() if t is None else t
        key = f"fair/{self.seed}/{asset}"
        walk = 0.0
        for j in range(_SCALES):
            span = _SHORTEST * 2**j
            walk += math.sqrt(span / _SHORTEST) * _smooth(f"{key}/{j}", t, span)
        return level * math.exp(self.vol * walk)

    def quote(self, spec: SymbolSpec, profile: VenueProfile, t: float | None = None) -> float:
        """What ``profile``'s venue prices ``spec`` at, at ``t``: fair, late and noisy.

        Falls back to the spec's own price where an asset has no level.
        """
        t = self.clock() if t is None else t
        seen = t - profile.lag
        base, quote = self.price(spec.base, seen), self.price(spec.quote, seen)
        if base is None or quote is None:
            return float(spec.price)
        noise = _smooth(f"venue/{profile.key}/{spec.symbol}", t, profile.noise_period)
        return base / quote * (1 + profile.noise_bps / 10_000 * noise)


_SHARED: list[FairPrice] = []


def shared_fair() -> FairPrice:
    """The process-wide :class:`FairPrice` (seed 0), for emulators anchored by name."""
    if not _SHARED:
        _SHARED.append(FairPrice())
    return _SHARED[0]
