"""KuCoin ``trade.l2update`` frames written as KuCoin writes them, or with the
variations the C path must either take identically or leave to the Python path (key
order, whitespace, a row sequence as an integer, escapes)."""

from __future__ import annotations

import json
from typing import Any

Row = tuple[str, str, Any]  # price text, size text, row sequence (str or int)

OUTER_ORDERS = {
    "kucoin": ("type", "topic", "subject", "data"),
    "floor": ("topic", "type", "subject", "data"),
    "data_first": ("data", "type", "topic", "subject"),
}
DATA_ORDERS = {
    "sorted": ("changes", "sequenceEnd", "sequenceStart", "symbol", "time"),
    "kucoin": ("sequenceStart", "symbol", "changes", "sequenceEnd", "time"),
    "reversed": ("time", "symbol", "sequenceStart", "sequenceEnd", "changes"),
}


def l2_frame(
    native: str,
    start: int,
    end: int,
    bids: list[Row],
    asks: list[Row],
    time_ms: int = 1_700_000_000_000,
    *,
    outer: str = "kucoin",
    inner: str = "sorted",
    space: str = "",
    asks_first: bool = True,
    escape_symbol: bool = False,
    extra: dict[str, Any] | None = None,
) -> bytes:
    """One increment frame; ``space`` goes after every ``:`` and ``,`` (JSON whitespace)."""
    sep = (", " if space else ",", ": " if space else ":")
    sides = {"asks": asks, "bids": bids} if asks_first else {"bids": bids, "asks": asks}
    data: dict[str, Any] = {
        "changes": sides, "sequenceEnd": end, "sequenceStart": start, "symbol": native,
        "time": time_ms,
    }  # fmt: skip
    data = {key: data[key] for key in DATA_ORDERS[inner]}
    if extra:
        data.update(extra)
    body = {
        "type": "message", "topic": f"/market/level2:{native}", "subject": "trade.l2update",
        "data": data,
    }  # fmt: skip
    body = {key: body[key] for key in OUTER_ORDERS[outer]}
    text = json.dumps(body, separators=sep)
    if space and space != " ":
        text = text.replace(": ", ":" + space).replace(", ", "," + space)
    if escape_symbol:  # the same symbol, one letter escaped: msgspec reads it the same
        escaped = f"{native[0]}\\u{ord(native[1]):04x}{native[2:]}"
        text = text.replace(f'"symbol":{sep[1][1:]}"{native}"', f'"symbol":{sep[1][1:]}"{escaped}"')
    return text.encode()
