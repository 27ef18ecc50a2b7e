"""Shared helpers for the KuCoin adapter's end-to-end tests against the emulator."""

from __future__ import annotations

from typing import Any

from tickwire.adapters.kucoin.parse import TICKER_ALL_TOPIC
from tickwire.adapters.kucoin.schemas import Message
from tickwire.core.config import ClientConfig, Credentials, ReconnectPolicy
from tickwire.core.connect import connect
from tickwire.core.protocol import StreamClient
from tickwire.exchanges.kucoin import KucoinEmulator

FAST_RECONNECT = ReconnectPolicy(base_delay=0.01, max_delay=0.1)
# Any key works: without api_keys the emulator checks only that the headers are there.
FAKE_KEYS = Credentials("key", "secret", "passphrase")


def message_symbol(msg: Message) -> str:
    """The native symbol a push is about: the topic's argument, or the subject on ticker:all
    (for candles the argument is ``SYMBOL_type``)."""
    if msg.topic == TICKER_ALL_TOPIC:
        return msg.subject
    return msg.topic.rpartition(":")[2]


def client_for(ex: KucoinEmulator, *, full_book: bool = True, **fields: Any) -> StreamClient:
    """A client of ``ex``; ``full_book`` signs the full /api/v3 snapshot (whole books).

    The private socket, opened whenever credentials are configured, stays closed unless
    ``options`` asks for it: these tests count and drop the market-data sockets.
    """
    fields["options"] = {"private": False} | dict(fields.get("options", {}))
    config = ClientConfig(
        venue="kucoin",
        reconnect=FAST_RECONNECT,
        credentials=FAKE_KEYS if full_book else None,
        **ex.endpoints,
    )
    return connect(config, **fields)


def assert_book_equals_emulator(
    client: StreamClient, ex: KucoinEmulator, symbol: str, depth: int | None = None
) -> None:
    book = client.book(symbol)
    bids, asks = ex.book(symbol.replace("/", "-"), depth)
    assert [(level.price, level.size) for level in book.bids(depth)] == list(bids)
    assert [(level.price, level.size) for level in book.asks(depth)] == list(asks)
