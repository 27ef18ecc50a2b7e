"""The Kraken auth socket fed frames it must refuse, over real sockets (the emulator).

A frame is slipped into the emulator's auth connection as the venue would send it; the
client must report it as exactly one ``StreamError`` and, where what it refused was
account state (an executions or balances message), resync that channel.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from helpers import until

from tickwire.adapters.kraken.client import KrakenClient
from tickwire.adapters.kraken.private import KrakenPrivate
from tickwire.core.config import ClientConfig, HeartbeatPolicy, ReconnectPolicy
from tickwire.core.connect import connect
from tickwire.core.types import Channel, Event, StreamError, StreamState, StreamStatus
from tickwire.exchanges.kraken import KrakenEmulator

STAMP = "2026-09-25T17:00:00.000001Z"


async def auth_client(ex: KrakenEmulator, **heartbeat: Any) -> KrakenClient:
    config = ClientConfig(
        venue="kraken",
        credentials=ex.credentials(),
        reconnect=ReconnectPolicy(base_delay=0.01, max_delay=0.1),
        heartbeat=HeartbeatPolicy(stale_after={}, **heartbeat),
        **ex.endpoints,
    )
    client = connect(config)
    assert isinstance(client, KrakenClient)
    return client


def inject(ex: KrakenEmulator, message: dict[str, Any]) -> None:
    """Send ``message`` on the auth socket, as the venue would."""
    (conn,) = [c for c in ex.open_connections() if c.request.path.endswith("-auth")]
    conn.send(json.dumps(message).encode())


def errors(events: list[Event]) -> list[StreamError]:
    return [e for e in events if isinstance(e, StreamError)]


async def test_an_unknown_reply_is_reported_and_pongs_are_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pinged = asyncio.Event()
    pings = 0
    ping_message = KrakenPrivate.ping_message

    def counted(self: KrakenPrivate) -> bytes:
        nonlocal pings
        pings += 1
        if pings >= 10:
            pinged.set()
        return ping_message(self)

    monkeypatch.setattr(KrakenPrivate, "ping_message", counted)
    async with KrakenEmulator(seed=5, interval=None) as ex:
        async with await auth_client(ex, ping_interval=0.01) as client:
            events = client.events()
            await pinged.wait()
            unknown = {"method": "add_order", "req_id": 424242, "success": True}
            inject(ex, {**unknown, "result": {"order_id": "OXXXXX-XXXXX-XXXXXX"}})
            await client.cancel_all()  # its reply comes after every pong and the injection
            seen = [await anext(events) for _ in range(len(events))]  # type: ignore[arg-type]
    (error,) = errors(seen)
    assert "424242" in error.message and "add_order" in error.message
    assert pings >= 10


@pytest.mark.parametrize(
    ("channel", "message"),
    [
        (
            Channel.ORDERS,
            {
                "channel": "executions",
                "type": "update",
                "sequence": 999,
                "data": [
                    {
                        "exec_type": "trade",
                        "order_id": "OAAAAA-AAAAA-AAAAAA",
                        "timestamp": STAMP,
                        "last_qty": "NaN",
                    }
                ],
            },
        ),
        (
            Channel.BALANCES,
            {
                "channel": "balances",
                "type": "update",
                "sequence": 999,
                "data": [{"asset": "USD", "balance": "Infinity", "timestamp": STAMP}],
            },
        ),
    ],
)
async def test_a_refused_account_message_is_one_error_and_a_resync(
    channel: Channel, message: dict[str, Any]
) -> None:
    async with KrakenEmulator(seed=5, interval=None) as ex:
        async with await auth_client(ex) as client:
            events = client.events()
            await client.subscribe(channel.value)
            inject(ex, message)

            seen = await until(events, StreamStatus, state=StreamState.RESYNCED, channel=channel)
    (error,) = errors(seen)
    assert error.error == "DecodeError" and '"sequence": 999' in error.frame
    resyncing = [
        e for e in seen if isinstance(e, StreamStatus) and e.state is StreamState.RESYNCING
    ]
    assert [s.channel for s in resyncing] == [channel]
