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
``Sent``        every request the client sent (keepalive pings are not: not requests)
``Snapshot``    every REST response the client received (``key``: method, path, status), with
                the value of any secret-looking JSON key emptied (tokens): the REST
                transport of :mod:`tickwire.core.http`
``Notice``      every status and error event the client emitted, written as it is
                pushed (a hub listener), so exactly between the frames it came between
==============  ==========================================================================

The taps cost nothing while no recording runs: a session checks one attribute per frame
(``EventHub.wire``). While recording, a frame costs the reader an append to the
writer's block (encoding, compression and disk writes happen on the writer's own thread:
``tests/benchmarks/kraken_processing.py`` has the figures, ``+record (loop)``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import msgspec

from tickwire.core.client import BaseClient
from tickwire.core.fanout import EventFilter
from tickwire.core.http import redact_body
from tickwire.core.recording._records import Notice, Sent
from tickwire.core.recording._writer import RecordingWriter
from tickwire.core.types import Channel, Event, StreamError, StreamStatus, encode_event

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
    # The config goes in without its credentials; whether it had any is kept, so that a
    # replay opens the same (private) sockets, with placeholder keys.
    config = {
        **msgspec.structs.asdict(client.config),
        "had_credentials": bool(client.config.credentials),
    }
    writer = RecordingWriter(directory, venue=client.venue, config=config, **writer_options)
    tap = _Tap(writer)
    stop_notices = hub.listen(EventFilter(types=[StreamStatus, StreamError]), tap.notice)
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
    hub.wire = tap
    try:
        async with writer:
            try:
                yield writer
            finally:
                hub.wire = None
                stop_notices()
    finally:
        hub.wire = None
        stop_notices()
        delattr(client, "subscribe")  # the class's methods again
        delattr(client, "unsubscribe")


class _Tap:
    """The client's wire tap while recording: each record goes to the writer in order.

    Frames go straight to the writer (the hot path: no wrapper call). Statuses and
    errors are events; a hub listener writes each as it is pushed, so it lands exactly
    between the frames it came between.
    """

    def __init__(self, writer: RecordingWriter) -> None:
        self._writer = writer
        self.frame = writer.frame
        """Record one raw frame."""

    def notice(self, event: Event) -> None:
        """Record a status or error event the client emitted."""
        self._writer.write(Notice(session="client", event=encode_event(event)))

    def sent(self, session: str, data: bytes) -> None:
        """Record a request the client sent (a token in it emptied: Kraken's auth socket)."""
        self._writer.write(Sent(session=session, data=redact_body(data)))

    def response(self, method: str, path: str, status: int, received: int, body: bytes) -> None:
        """Record a REST response (a token's secrets are already emptied).

        The key is ``"<method> <path> <status>"``: what a replay matches a request with,
        and the status it answers with.
        """
        self._writer.snapshot("rest", f"{method} {path} {status}", received, body)

    def connect(self, session: str, url: str, ts: int | None = None) -> None:
        """Record a socket opening (the writer strips the URL)."""
        self._writer.connect(session, url, ts)

    def disconnect(self, session: str, reason: str, ts: int | None = None) -> None:
        """Record a socket ending."""
        self._writer.disconnect(session, reason, ts)
