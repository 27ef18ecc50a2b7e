"""Record a live client: every raw frame of every socket, and the boundaries around them.

::

    client = connect("kraken")
    async with client.record("rec/") as rec, client:    # from the very first connect
        await client.subscribe("ticker", ["BTC/USD"])
        ...                                  # frames are recorded as they are received

A recording may also start on a client that is already connected; it then begins with the
next frame (a replay needs the connects, so start before connecting where you can).

What is recorded, and where it is tapped:

==============  ==========================================================================
record          source
==============  ==========================================================================
``Frame``       every session's reader, before the adapter sees the frame (raw bytes,
                local receive time, the session's name, text or binary)
``Connect``     a session's socket opened (the URL without its query: tokens stay out)
``Disconnect``  that socket ended, with the reason the session reports
``Subscribe``   ``client.subscribe(...)`` was called (recorded *before* the request goes
``Unsubscribe`` out, so a replay issues it before the venue's reply arrives)
``Status``      every status event the client emitted, in order, with its time
==============  ==========================================================================

The taps cost nothing while no recording runs: a session checks one attribute per frame
(``EventHub.wire``). While recording, a frame costs the writer's in-memory append
(about 0.7 µs, see ``tests/benchmarks/bench_recording.py``); compression and disk writes
happen on the writer's own thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from tickwire.core.client import BaseClient
from tickwire.core.fanout import EventFilter
from tickwire.core.recording._writer import RecordingWriter
from tickwire.core.types import Channel, Event, StreamStatus

__all__ = ["recording"]


@asynccontextmanager
async def recording(
    client: BaseClient, directory: str | Path, **writer_options: Any
) -> AsyncIterator[RecordingWriter]:
    """Record ``client`` into ``directory`` until the block ends (see the module doc).

    ``writer_options`` go to :class:`RecordingWriter` (block size, rotation...).
    """
    hub = client.hub
    if hub.wire is not None:
        raise RuntimeError(f"{client.venue}: this client is already being recorded")
    writer = RecordingWriter(directory, venue=client.venue, config=client.config, **writer_options)
    # A consumer of the library's own: it must not take the user's backlog since connect.
    statuses = client.hub.attach(EventFilter(types=[StreamStatus]), backlog=False)
    subscribe, unsubscribe = client.subscribe, client.unsubscribe

    async def recorded_subscribe(
        channel: Channel | str, symbols: Sequence[str] = (), **options: Any
    ) -> None:
        writer.subscribe("client", str(channel), list(symbols), options)
        await subscribe(channel, symbols, **options)

    async def recorded_unsubscribe(
        channel: Channel | str, symbols: Sequence[str] = (), **options: Any
    ) -> None:
        writer.unsubscribe("client", str(channel), list(symbols), options)
        await unsubscribe(channel, symbols, **options)

    # The subscription methods are the adapter's own; wrapping them on this one instance
    # records every call without a hook in each adapter.
    setattr(client, "subscribe", recorded_subscribe)  # noqa: B010
    setattr(client, "unsubscribe", recorded_unsubscribe)  # noqa: B010
    hub.wire = writer
    try:
        async with writer:
            pump = asyncio.create_task(_record_statuses(writer, statuses))
            try:
                yield writer
            finally:
                hub.wire = None
                pump.cancel()
                await asyncio.gather(pump, return_exceptions=True)
    finally:
        hub.wire = None
        delattr(client, "subscribe")  # the class's methods again
        delattr(client, "unsubscribe")
        await statuses.aclose()


async def _record_statuses(writer: RecordingWriter, statuses: AsyncIterator[Event]) -> None:
    # Statuses are events, not frames: a consumer of their own writes each one as it comes.
    async for event in statuses:
        if isinstance(event, StreamStatus):
            writer.status("client", str(event.state), event.reason, event.ts)
