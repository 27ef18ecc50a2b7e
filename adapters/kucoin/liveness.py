"""Per-topic staleness on KuCoin: a topic silent past its channel's threshold is renewed.

KuCoin has no heartbeat: a healthy socket may carry nothing but pongs. So liveness has
two levels, like on every venue: the socket's idle threshold (set from the token's
ping interval and ping timeout, see ``Socket.endpoint``) and, per topic, the channel
thresholds of ``HeartbeatPolicy.stale_after`` (a quiet trade tape is not a dead one, a
book that stopped moving for a minute may be).

Pongs answer pings no future awaits: :class:`ReplyIds` remembers their ids, so that a
pong or ack for any id the socket never sent is reported rather than ignored.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from time import time_ns
from typing import TYPE_CHECKING

from tickwire.adapters.kucoin.parse import VENUE, to_unified
from tickwire.adapters.kucoin.subscriptions import Topic, channel_of
from tickwire.core.types import StreamState, StreamStatus

if TYPE_CHECKING:
    from tickwire.adapters.kucoin.shards import Socket

__all__ = ["ReplyIds", "renew_stale", "watch"]


def watch(socket: Socket, topics: Iterable[Topic]) -> None:
    """Watch each topic whose channel has a staleness threshold (restarts its clock)."""
    thresholds = socket.client.config.heartbeat.stale_after
    for topic in topics:
        channel = channel_of(topic)
        limit = thresholds.get(channel.value) if channel is not None else None
        if limit is not None:
            socket.session.watch(topic.text, limit)


async def renew_stale(socket: Socket, keys: list[Hashable]) -> None:
    """Report each stale topic, then unsubscribe and subscribe it again on ``socket``."""
    by_text = {topic.text: topic for topic in socket.shard.topics}
    for key in keys:
        topic = by_text.get(str(key))
        if topic is None:
            continue  # unsubscribed meanwhile
        socket.client._events.push(
            StreamStatus(
                venue=VENUE,
                state=StreamState.STALE,
                reason=f"no data on {topic.text}; resubscribing",
                channel=channel_of(topic),
                symbol=to_unified(topic.native),
                ts=time_ns(),
            )
        )
        await socket.call("unsubscribe", [topic])
        (outcome,) = await socket.call("subscribe", [topic])
        if outcome is None:
            watch(socket, [topic])
        else:
            socket.client._push_error(outcome, f"renew stale {topic.text}")


class ReplyIds:
    """Ids of requests whose reply no future awaits (pings, native requests), so that a
    reply to any other id is reported. Bounded: the oldest go first."""

    def __init__(self, limit: int = 64) -> None:
        self._ids: dict[str, None] = {}
        self._limit = limit

    def add(self, msg_id: str) -> str:
        """Expect a reply to ``msg_id``; returns it."""
        ids = self._ids
        ids[msg_id] = None
        if len(ids) > self._limit:
            del ids[next(iter(ids))]
        return msg_id

    def pop(self, msg_id: str) -> bool:
        """True (once) if a reply to ``msg_id`` was expected."""
        return self._ids.pop(msg_id, 0) is None

    def clear(self) -> None:
        """Forget every id (their socket is gone)."""
        self._ids.clear()
