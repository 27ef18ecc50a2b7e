"""core/sequences.py on its own: numbered channels, gaps, one resync each."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from tickwire.core.config import ClientConfig
from tickwire.core.context import AdapterContext
from tickwire.core.errors import SubscriptionError
from tickwire.core.fanout import EventHub
from tickwire.core.sequences import ChannelSequences
from tickwire.core.types import Channel, StreamError, StreamState, StreamStatus


class Parts:
    """A real context whose events land in a list and whose tasks are kept."""

    def __init__(self) -> None:
        self.events: list[Any] = []
        self.tasks: list[asyncio.Task[Any]] = []
        hub = EventHub(maxsize=100, policy="block", venue="v")
        self.context = AdapterContext(
            "v", ClientConfig(venue="v"), hub, {}, self.spawn, self.nothing, self.nothing
        )
        self.context.emit = self.events.append

    def spawn(self, coroutine: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coroutine, name=name)
        self.tasks.append(task)
        return task

    @staticmethod
    def nothing() -> Any:
        raise AssertionError("no HTTP in this test")

    def statuses(self) -> list[tuple[StreamState, Channel | None, str]]:
        return [(e.state, e.channel, e.reason) for e in self.events if isinstance(e, StreamStatus)]


async def test_a_gap_resyncs_once_and_the_snapshot_ends_it() -> None:
    parts = Parts()
    renewed: list[str] = []

    async def renew(name: str) -> None:
        renewed.append(name)

    seq = ChannelSequences(parts.context, renew, {"fills": Channel.ORDERS}, "private")
    seq.check("fills", 1, snapshot=True)
    seq.check("fills", 2, snapshot=False)
    seq.check("fills", 5, snapshot=False)  # 3 and 4 are lost
    seq.check("fills", 9, snapshot=False)  # the same desync: reported once
    await asyncio.gather(*parts.tasks)
    assert renewed == ["fills"]
    seq.check("fills", 1, snapshot=True)
    gap = "private: sequence gap: expected 3, got 5; resubscribing"
    assert parts.statuses() == [
        (StreamState.RESYNCING, Channel.ORDERS, gap),
        (StreamState.RESYNCED, Channel.ORDERS, "private: fresh snapshot"),
    ]
    assert seq.last("fills") == 1


async def test_a_refused_message_resyncs_and_takes_its_number() -> None:
    parts = Parts()

    async def renew(name: str) -> None:
        raise SubscriptionError("v", "refused", "no")

    seq = ChannelSequences(parts.context, renew, {"cash": Channel.BALANCES})
    seq.check("cash", 7, snapshot=False)  # the first number seen: nothing to compare
    seq.refused("cash", 8)
    seq.check("cash", 9, snapshot=False)  # follows the refused one: no second gap
    await asyncio.gather(*parts.tasks)
    assert [(s, r) for s, _, r in parts.statuses()] == [
        (StreamState.RESYNCING, "refused message 8; resubscribing")
    ]
    errors = [e for e in parts.events if isinstance(e, StreamError)]
    assert len(errors) == 1 and errors[0].message.startswith("renew cash:")  # the failed renewal


async def test_forget_starts_the_numbering_over() -> None:
    parts = Parts()

    async def renew(name: str) -> None:
        raise AssertionError("no resync expected")

    seq = ChannelSequences(parts.context, renew, {"a": Channel.ORDERS, "b": Channel.BALANCES})
    seq.check("a", 3, snapshot=False)
    seq.check("b", 3, snapshot=False)
    seq.forget("a")
    assert (seq.last("a"), seq.last("b")) == (None, 3)
    seq.forget()  # the socket dropped
    seq.check("b", 40, snapshot=False)
    assert parts.statuses() == [] and parts.tasks == []
