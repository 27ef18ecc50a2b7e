"""The writer: records appended in memory, compressed and written a block at a time.

Hot path. :meth:`RecordingWriter.frame` appends one :class:`Frame` (a Struct the garbage
collector does not track) to the block's list, adds its size and compares it with
``block_bytes``: no encode, no clock read, no I/O, no lock. The writer thread
MessagePack-encodes the whole block in one call when it writes it. Other records are rare
and encoded on the spot.

Block boundaries. When the records reach about ``block_bytes``, or the block has held
records for ``block_seconds``, it is *sealed*: handed, whole, with its record count, to
the writer thread through a bounded queue; a new one starts. Age is judged by
:meth:`~RecordingWriter.tick` (``async with writer`` runs it four times per
``block_seconds``), so a quiet feed's last records reach the file within
1.25 x ``block_seconds``.

Why one dedicated thread rather than ``asyncio.to_thread`` per block: blocks must reach
the file in order, and executor jobs may finish out of order (chaining them would take a
task per block, started from the synchronous hot path: fire-and-forget); the writer
also has to work without an event loop (the CLI, tests, scripts). The thread owns the
compressor and the file; zstandard compression and file writes release the GIL, so the
event loop keeps running while a block is compressed. If the disk cannot keep up, the
queue (``max_pending`` blocks) fills and sealing waits: backpressure, not data loss
and not unbounded memory.

Crash safety. A block is written with one ``write`` and flushed to the OS before the
next is taken (``fsync=True`` also forces it to the device). A crash therefore loses the
unsealed buffer and the blocks still queued, nothing else; the file then lacks its
:class:`End` record, and the reader reports the cut (``RecordingTruncated``).

Rotation (a new file when the current one is full or old, each with its own
:class:`Header` and :class:`End`) is the thread's business: see ``_files``.

Errors. A failure in the thread (disk full, file removed) is kept and raised, as
:class:`RecordingError`, by the next seal, :meth:`~RecordingWriter.flush` or
:meth:`~RecordingWriter.close`: never silent, never on every frame.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import msgspec

from tickwire.core.recording._errors import RecordingError
from tickwire.core.recording._files import FileSeries
from tickwire.core.recording._records import (
    Connect,
    Disconnect,
    End,
    Frame,
    Header,
    Record,
    Snapshot,
    Status,
    Subscribe,
    Unsubscribe,
    sanitize_config,
    strip_url,
)

__all__ = ["RecordingWriter"]

_Block = tuple[list[Any], int, int]  # records (frame tuples, encoded others), count, sealed at
_FRAME_OVERHEAD = 24  # what a frame record adds to its bytes once encoded (about)


class RecordingWriter:
    """Append records to a rotated series of recording files in ``directory``.

    ==================  =================  =============================================
    argument            default            meaning
    ==================  =================  =============================================
    ``venue``           (required)         written in every file's header
    ``stem``            ``venue``          file names start with it
    ``config``          ``None``           client config for the header (sanitized)
    ``block_bytes``     128 KiB            seal a block at this many raw bytes
    ``block_seconds``   1.0                ... or when its first record is this old
    ``rotate_bytes``    256 MiB            keep files under this size (None: no limit)
    ``rotate_seconds``  3600.0             ... or when the file is this old (None: never)
    ``level``           3                  zstandard level
    ``fsync``           ``False``          fsync every block (power loss), not only close
    ``max_pending``     64                 sealed blocks queued before sealing waits
    ``clock``           ``time.time_ns``   ns since the epoch; inject it in tests
    ==================  =================  =============================================

    Usage::

        with RecordingWriter("rec/", venue="kraken") as rec:      # or: async with
            rec.connect("public", ws_url)
            rec.frame("public", time.time_ns(), frame_bytes)

    Methods are to be called from one thread (the event loop's); the writer's own
    thread only compresses and writes sealed blocks.
    """

    def __init__(
        self,
        directory: str | Path,
        *,
        venue: str,
        stem: str | None = None,
        config: msgspec.Struct | Mapping[str, Any] | None = None,
        block_bytes: int = 128 * 1024,
        block_seconds: float = 1.0,
        rotate_bytes: int | None = 256 * 2**20,
        rotate_seconds: float | None = 3600.0,
        level: int = 3,
        fsync: bool = False,
        max_pending: int = 64,
        clock: Callable[[], int] = time.time_ns,
    ) -> None:
        if not 0 < block_bytes < 2**31:
            raise ValueError("block_bytes must be positive and below 2 GiB")
        self.directory = Path(directory)
        self.venue = venue
        self.stem = stem or venue
        self._block_bytes = block_bytes
        self._block_ns = int(block_seconds * 1e9)
        self._clock = clock
        self._encode = msgspec.msgpack.Encoder().encode
        self._items: list[Frame | msgspec.Raw] = []  # frames; other records encoded
        self._size = 0  # about what the items encode to
        self._deadline = 0
        self._closed = False
        self._failure: BaseException | None = None
        self._queue: queue.Queue[_Block | None] = queue.Queue(max_pending)
        self._ticker: asyncio.Task[None] | None = None
        self._files = FileSeries(
            self.directory,
            venue=venue,
            stem=self.stem,
            series=secrets.token_hex(8),
            config=sanitize_config(config),
            rotate_bytes=rotate_bytes,
            rotate_ns=None if rotate_seconds is None else int(rotate_seconds * 1e9),
            level=level,
            fsync=fsync,
        )
        self.files: list[Path] = self._files.files
        """Every file this writer has created, in order."""
        # The first file is opened here, so a bad directory fails the constructor.
        self.directory.mkdir(parents=True, exist_ok=True)
        self._files.open(self._clock())
        self._thread = threading.Thread(
            target=self._run, name=f"tickwire-recorder-{self.stem}", daemon=True
        )
        self._thread.start()

    # --- hot path ----------------------------------------------------------------------

    def frame(self, session: str, received: int, data: bytes, text: bool = True) -> None:
        """Record one raw frame ``data`` received on ``session`` at ``received`` ns."""
        # Kept as a Frame, which the garbage collector does not track: the writer thread
        # encodes the block, so the reader's loop pays for an append, not an encode.
        # No clock read here: a block's age is the ticker's business (:meth:`tick`).
        self._items.append(Frame(session, received, data, text))
        self._size += len(data) + _FRAME_OVERHEAD
        if self._size >= self._block_bytes:
            self._seal(self._clock())

    def write(self, record: Record) -> None:
        """Record any record but a :class:`Header`/:class:`End` (the writer writes those).

        A :class:`Connect`'s URL is stripped here too, whoever built it.
        """
        if isinstance(record, Header | End):
            raise ValueError("the writer writes Header and End records itself")
        if isinstance(record, Connect):
            record = msgspec.structs.replace(record, url=strip_url(record.url))
        encoded = self._encode(record)  # rare records: encoded here, sized exactly
        self._items.append(msgspec.Raw(encoded))  # ... and put in the block verbatim
        self._size += len(encoded)
        if self._size >= self._block_bytes:
            self._seal(self._clock())

    # --- boundary records --------------------------------------------------------------

    def connect(self, session: str, url: str, ts: int | None = None) -> None:
        """Socket ``session`` connected to ``url``; its query string is never written."""
        self.write(Connect(session, strip_url(url), self._now(ts)))

    def disconnect(self, session: str, reason: str, ts: int | None = None) -> None:
        """Socket ``session`` closed or was lost, for ``reason``."""
        self.write(Disconnect(session, reason, self._now(ts)))

    def subscribe(
        self,
        session: str,
        channel: str,
        symbols: Iterable[str],
        options: Mapping[str, Any] | None = None,
        ts: int | None = None,
    ) -> None:
        """``channel`` was subscribed for ``symbols`` on ``session`` with ``options``."""
        opts = dict(sanitize_config(options or {}))
        self.write(Subscribe(session, channel, tuple(symbols), opts, self._now(ts)))

    def unsubscribe(
        self,
        session: str,
        channel: str,
        symbols: Iterable[str],
        options: Mapping[str, Any] | None = None,
        ts: int | None = None,
    ) -> None:
        """``channel`` was unsubscribed for ``symbols`` on ``session``."""
        opts = dict(sanitize_config(options or {}))
        self.write(Unsubscribe(session, channel, tuple(symbols), opts, self._now(ts)))

    def snapshot(self, session: str, key: str, received: int, body: bytes) -> None:
        """A REST response body the client used, e.g. a level-2 snapshot, under ``key``.

        Never record a response that carries a secret (a WebSocket token response).
        """
        self.write(Snapshot(session, key, received, bytes(body)))

    def status(self, session: str, state: str, reason: str = "", ts: int | None = None) -> None:
        """A status note (``state`` as in :class:`~tickwire.core.types.StreamState`)."""
        self.write(Status(session, str(state), reason, self._now(ts)))

    # --- block boundaries --------------------------------------------------------------

    def tick(self) -> None:
        """Seal the current block once it has held records for ``block_seconds``.

        A block's age counts from the first tick that finds it holding records, so the
        hot path never reads the clock. Call it every fraction of ``block_seconds``
        (``async with`` does, four times per ``block_seconds``): a block is then sealed
        at most 1.25 x ``block_seconds`` after its first record.
        """
        if not self._items:
            return
        now = self._clock()
        if not self._deadline:
            self._deadline = now + self._block_ns
        elif now >= self._deadline:
            self._seal(now)

    def flush(self, wait: bool = False) -> None:
        """Seal the current block now; with ``wait``, return once it is on disk."""
        if self._items:
            self._seal(self._clock())
        if wait:
            self._queue.join()
            self._raise_failure()

    def close(self) -> None:
        """Write what is buffered, end the file with its :class:`End` record, stop the thread.

        Blocks until the data is written and fsynced; from a coroutine use
        :meth:`aclose`. Closing twice is harmless.
        """
        if self._closed:
            return
        self._finish()
        self._thread.join()
        self._raise_failure()

    async def aclose(self) -> None:
        """:meth:`close` without blocking the event loop while the disk catches up."""
        if self._closed:
            return
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None
        self._finish()
        await asyncio.to_thread(self._thread.join)
        self._raise_failure()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    async def __aenter__(self) -> Self:
        self._ticker = asyncio.create_task(self._tick_loop(), name="tickwire-recorder-tick")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _tick_loop(self) -> None:
        while True:
            await asyncio.sleep(self._block_ns / 4e9)
            self.tick()

    # --- internals ---------------------------------------------------------------------

    def _now(self, ts: int | None) -> int:
        return self._clock() if ts is None else ts

    def _seal(self, now: int) -> None:
        if self._closed:
            raise RecordingError("the recording is closed")
        self._raise_failure()
        self._queue.put((self._items, len(self._items), now))
        self._items = []
        self._size = 0
        self._deadline = 0  # the next block's age starts at the tick that first sees it

    def _finish(self) -> None:
        if self._items:
            self._seal(self._clock())
        self._closed = True
        # Any later record now seals at once, and sealing a closed writer raises: no
        # check on the hot path, and nothing is silently kept in a buffer never written.
        self._block_bytes = 0
        self._queue.put(None)

    def _raise_failure(self) -> None:
        if self._failure is not None:
            raise RecordingError(f"recording to {self.directory} failed") from self._failure

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    if self._failure is None:
                        self._files.end("close", self._clock())
                    else:  # the failure is what the caller hears about; no End record
                        with contextlib.suppress(OSError):
                            self._files.file.close()
                    return
                if self._failure is None:
                    self._files.write_block(*item)
            except BaseException as exc:  # kept, raised on the caller's side
                self._failure = exc
            finally:
                self._queue.task_done()
