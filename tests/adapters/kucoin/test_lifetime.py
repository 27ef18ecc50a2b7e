"""A KuCoin client that runs for weeks holds no more tasks after 200 reconnects, or 200
token renewals, than after the first few (against the tests' own server, :mod:`.hostile`).
"""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from helpers import next_of

from tickwire.core.config import ReconnectPolicy
from tickwire.core.protocol import StreamClient
from tickwire.core.types import StreamState, StreamStatus

from .hostile import HostileKucoin
from .test_hostile import client_of, subscribed

CYCLES = 200
WARM_UP = 5
# The per-socket message quota (100 per 10 s) would pace 200 resubscribes to minutes.
OPTIONS = {"msg_limit": 100_000}
QUICK = ReconnectPolicy(base_delay=0.001, max_delay=0.002)


def tasks(client: StreamClient) -> tuple[int, Counter[str], int]:
    """Every task of the loop, the client's own by name, the books' fetches in flight."""
    owned = Counter(task.get_name() for task in client._owned)  # type: ignore[attr-defined]
    return len(asyncio.all_tasks()), owned, len(client._book_sync.keeper._tasks)  # type: ignore[attr-defined]


@pytest.mark.slow  # ~20 s: each reconnect resyncs the book, and snapshots are paced 20/s
@pytest.mark.timeout(90)
async def test_task_count_stays_flat_across_200_forced_reconnects() -> None:
    async with (
        HostileKucoin() as venue,
        client_of(venue, options=OPTIONS, reconnect=QUICK) as client,
    ):
        events = await subscribed(client)
        baseline = None
        for cycle in range(1, CYCLES + 1):
            await venue.drop()
            await venue.wait_subscribed(connections=cycle + 1)
            # The book's snapshot fetch is over...
            await next_of(events, StreamStatus, state=StreamState.RESYNCED)
            await client.native.barrier()  # type: ignore[attr-defined]
            # ...and a round trip later its task is done and released.
            if cycle == WARM_UP:
                baseline = tasks(client)
        assert venue.connections == CYCLES + 1
        assert tasks(client) == baseline
        assert baseline is not None and baseline[2] == 0


@pytest.mark.timeout(60)
async def test_task_count_stays_flat_across_200_token_renewals() -> None:
    async with (
        HostileKucoin() as venue,
        client_of(venue, options=OPTIONS, reconnect=QUICK) as client,
    ):
        await subscribed(client)
        shard = client.shards[0]  # type: ignore[attr-defined]
        baseline = None
        for cycle in range(1, CYCLES + 1):
            # What the renew_after timer does (test_renewal.py runs the timer itself).
            await shard.renew()
            await client.native.barrier()  # type: ignore[attr-defined]
            if cycle == WARM_UP:
                baseline = tasks(client)
        assert shard.renewals == CYCLES and venue.connections == CYCLES + 1
        assert tasks(client) == baseline
