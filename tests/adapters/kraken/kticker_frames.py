"""Kraken v2 ticker frames written in every way the wire allows, for the C ticker path's
differential tests: whitespace, key order, trimmed/padded/exponent numbers, escaped and
non-ASCII symbols, several timestamp forms, and now and then a value the rules refuse.

Nothing here imports tickwire: the frames are JSON text built by hand, so the scanner
under test and the writer of its input cannot share a misreading.
"""

from __future__ import annotations

import random
from decimal import Decimal

SAMPLE = (
    b'{"channel":"ticker","type":"update","data":[{"symbol":"BTC/USD","bid":83744.2,'
    b'"bid_qty":0.56251979,"ask":83744.3,"ask_qty":0.00044780,"last":83744.3,'
    b'"volume":3156.84782110,"vwap":84174.6,"low":83163.6,"high":85247.4,"change":-429.3,'
    b'"change_pct":-0.51,"trades":135262,"timestamp":"2026-09-25T17:48:26.844359Z"}]}'
)
"""Kraken's documented ticker update (``shared/reference/kraken-samples/ticker_update.json``)."""

SYMBOLS = ('"BTC/USD"', '"ETH/EUR"', '"XBT/USDT"', '"BTC\\/USD"', '"\u00c4\u00d6/USD"')
TIMESTAMPS = (
    None,  # absent: ts is the local receive time
    '"2026-09-25T17:48:26.844359Z"',
    '"2026-09-25T17:48:26.844359123Z"',
    '"2026-09-25T17:48:26.8Z"',
    '"2026-09-25T17:48:26Z"',
    '"2026-09-25T17:48:26.844359123456Z"',  # beyond ns: truncated
    '"2026-09-25T17:48:26.844359+00:00"',
    '"2026-09-25T19:18:26.844359+01:30"',
    '"2026-09-25T17:48:26.844359z"',
    '"1999-12-31T23:59:59.999999Z"',  # out of range
    '"2026-02-30T17:48:26.844359Z"',  # no such day
    '"2026-09-25T17:48:26.8443x9Z"',
    "null",
    "1790358506",
)
VALUES = ("bid", "bid_qty", "ask", "ask_qty", "last", "volume")
PRICES = ("bid", "ask", "last")


def number(rng: random.Random, value: Decimal, exponents: bool = True) -> str:
    """``value`` as one of the JSON texts that mean it (an exponent only if asked)."""
    text = format(value, "f")
    style = rng.random() * (1 if exponents else 0.8)
    if style < 0.5:
        return text
    if style < 0.65 and "." in text:
        return text.rstrip("0").rstrip(".") or "0"  # trimmed
    if style < 0.8:
        return text + ("." if "." not in text else "") + "0" * rng.randint(1, 3)  # padded
    sign, digits, exponent = value.as_tuple()
    mantissa = "".join(map(str, digits)) or "0"
    shift = rng.randint(-2, 2)
    lead = mantissa[:1] + ("." + mantissa[1:] if len(mantissa) > 1 else "")
    exp = int(exponent) + len(mantissa) - 1 + shift  # type: ignore[operator]
    scaled = format(Decimal(lead).scaleb(-shift), "f")
    return f"{'-' if sign else ''}{scaled}{rng.choice('eE')}{rng.choice(['', '+'])}{exp}"


def value(rng: random.Random, price: bool) -> Decimal:
    """A price or size; now and then one the value rules refuse (zero price, too big)."""
    roll = rng.random()
    if roll < 0.02:
        return Decimal(0)
    if roll < 0.04:
        return Decimal(10 ** (12 if price else 18)) + rng.randint(0, 5)
    if roll < 0.06:
        return Decimal(10 ** (12 if price else 18) - 1) + Decimal("0.5")  # just below
    places = rng.randint(0, 10)
    return Decimal(rng.randint(0, 10 ** rng.randint(1, 14))).scaleb(-places)


def space(rng: random.Random, messy: bool = True) -> str:
    """JSON whitespace, usually none (none at all unless ``messy``)."""
    return "" if not messy or rng.random() < 0.8 else rng.choice([" ", "\n", "\t", "\r\n ", "  "])


def obj(rng: random.Random, items: list[tuple[str, str]], shuffle: bool, messy: bool) -> str:
    """``{"key": value, ...}`` with whitespace anywhere if ``messy``, keys maybe shuffled."""
    if shuffle:
        rng.shuffle(items)
    s = lambda: space(rng, messy)  # noqa: E731
    parts = [f'{s()}"{k}"{s()}:{s()}{v}{s()}' for k, v in items]
    return "{" + ",".join(parts) + "}"


def ticker_frame(rng: random.Random, *, shuffle: float = 0.3) -> bytes:
    """One ticker frame: mostly the live shape, in any valid writing (half of them with
    neither whitespace nor exponents, the C path's usual diet)."""
    messy = rng.random() < 0.5
    items = [("symbol", rng.choice(SYMBOLS))]
    for key in VALUES:
        items.append((key, number(rng, value(rng, key in PRICES), messy)))
    if rng.random() < 0.7:
        extras = {
            "vwap": number(rng, value(rng, True)),
            "low": number(rng, value(rng, True)),
            "high": number(rng, value(rng, True)),
            "change": ("-" if rng.random() < 0.5 else "") + number(rng, value(rng, True)),
            "change_pct": f"{rng.uniform(-20, 20):.2f}",
            "trades": str(rng.randint(0, 10**9)),
        }
        items += rng.sample(sorted(extras.items()), rng.randint(0, len(extras)))
    stamp = rng.choice(TIMESTAMPS) if rng.random() < 0.4 else TIMESTAMPS[1]
    if stamp is not None:
        items.append(("timestamp", stamp))
    if rng.random() < 0.03:
        items.append(("unknown", rng.choice(["1", '"x"', "null", "[1,{}]"])))
    entry = obj(rng, items, rng.random() < shuffle, messy)
    kind = '"update"' if rng.random() < 0.9 else '"snapshot"'
    data = f"[{space(rng, messy)}{entry}{space(rng, messy)}]"
    top = [("channel", '"ticker"'), ("type", kind), ("data", data)]
    framed = obj(rng, top, rng.random() < shuffle, messy)
    return (space(rng, messy) + framed + space(rng, messy)).encode()
