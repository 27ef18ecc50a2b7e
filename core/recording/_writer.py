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

Rotation. Before writing a block the thread starts a new file if the current one would
exceed ``rotate_bytes`` (only a single block larger than that makes a bigger file) or
is ``rotate_seconds`` old (by the time the block was sealed,
so an injected clock decides it exactly). Files are named
``<stem>.<UTC yyyymmddThhmmss.ffffff>Z.<seq>.twr``: sortable by name. Each begins with a
:class:`Header` block and ends with an :class:`End` block naming its successor.

Errors. A failure in the thread (disk full, file removed) is kept and raised, as
:class:`RecordingError`, by the next seal, :meth:`~RecordingWriter.flush` or
:meth:`~RecordingWriter.close`: never silent, never on every frame.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

import msgspec
import zstandard

from tickwire.core.recording._errors import RecordingError
from tickwire.core.recording._format import (
    BLOCK_HEADER,
    RAW_PREFIX,
    file_name,
    pack_block_header,
)
from tickwire.core.recording._records import (
    FORMAT_VERSION,
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

_ARRAY32 = b"\xdd" + bytes(RAW_PREFIX - 1)  # MessagePack array32 header; count set at seal

_END_RESERVE = 256  # room kept for a file's End block (~100 bytes) under rotate_bytes
_Block = tuple[list[Any], int, int]  # records (frame tuples, encoded others), count, sealed at
_FRAME_OVERHEAD = 24  # what a frame record adds to its bytes once encoded (about)
# MessagePack array headers: fixarray (0x90-0x9f, one byte), array16 (0xdc), array32 (0xdd).
_ARRAY_HEADER_SIZE = {0x90: 1, 0xDC: 3, 0xDD: 5}


def _tickwire_version() -> str:
    try:
        return version("tickwire")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "unknown"


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
        self._config = sanitize_config(config)
        self._block_bytes = block_bytes
        self._block_ns = int(block_seconds * 1e9)
        self._rotate_bytes = rotate_bytes
        self._rotate_ns = None if rotate_seconds is None else int(rotate_seconds * 1e9)
        self._fsync = fsync
        self._clock = clock
        self._series = secrets.token_hex(8)
        self._compressor = zstandard.ZstdCompressor(level=level)
        self._encode = msgspec.msgpack.Encoder().encode
        self._items: list[Frame | msgspec.Raw] = []  # frames; other records encoded
        self._size = 0  # about what the items encode to
        self._deadline = 0
        self._closed = False
        self._failure: BaseException | None = None
        self._queue: queue.Queue[_Block | None] = queue.Queue(max_pending)
        self._ticker: asyncio.Task[None] | None = None
        self.files: list[Path] = []
        """Every file this writer has created, in order."""
        # The first file is opened here, so a bad directory fails the constructor.
        self.directory.mkdir(parents=True, exist_ok=True)
        self._seq = 0
        self._file: IO[bytes]
        self._file_bytes = 0
        self._header_bytes = 0
        self._opened = 0
        # The thread's own encoder: the hot path's is not shared across threads.
        thread_encoder = msgspec.msgpack.Encoder()
        self._thread_encode_into = thread_encoder.encode_into
        self._thread_encode = thread_encoder.encode
        self._open(self._clock())
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
                        self._end_file("close", self._clock())
                    else:  # the failure is what the caller hears about; no End record
                        with contextlib.suppress(OSError):
                            self._file.close()
                    return
                if self._failure is None:
                    self._write_block(*item)
            except BaseException as exc:  # kept, raised on the caller's side
                self._failure = exc
            finally:
                self._queue.task_done()

    def _write_block(self, items: list[Frame | msgspec.Raw], count: int, sealed_at: int) -> None:
        # One C call for the whole block (the GIL is held for as short a time as can be);
        # its array header, whatever its size, becomes the format's array32 one.
        body = self._thread_encode(items)
        header = _ARRAY_HEADER_SIZE.get(body[0] & 0xF0 if body[0] < 0xA0 else body[0], 1)
        raw = b"\xdd" + count.to_bytes(4, "big") + body[header:]
        compressed = self._compressor.compress(raw)
        size = len(compressed) + BLOCK_HEADER
        too_big = (
            self._rotate_bytes is not None
            and self._file_bytes + size + _END_RESERVE > self._rotate_bytes
        )
        too_old = self._rotate_ns is not None and sealed_at - self._opened >= self._rotate_ns
        if (too_big or too_old) and self._file_bytes > self._header_bytes:
            self._end_file("rotate", sealed_at, next_seq=self._seq + 1)
            self._seq += 1
            self._open(sealed_at)
        self._append(pack_block_header(count, len(raw), compressed) + compressed)

    def _append(self, block: bytes) -> None:
        self._file.write(block)
        self._file.flush()
        if self._fsync:
            os.fsync(self._file.fileno())
        self._file_bytes += len(block)

    def _open(self, now: int) -> None:
        path = self.directory / file_name(self.stem, now, self._seq)
        self._file = path.open("xb")
        self.files.append(path)
        self._opened = now
        self._file_bytes = 0
        header = Header(
            FORMAT_VERSION,
            self.venue,
            _tickwire_version(),
            now,
            self._series,
            self._seq,
            self._config,
        )
        self._append(self._block_of(header))
        self._header_bytes = self._file_bytes

    def _end_file(self, reason: str, now: int, next_seq: int | None = None) -> None:
        following = None if next_seq is None else file_name(self.stem, now, next_seq)
        self._append(self._block_of(End(reason, now, following)))
        os.fsync(self._file.fileno())
        self._file.close()

    def _block_of(self, record: Record) -> bytes:
        raw = bytearray(_ARRAY32)
        raw[1:RAW_PREFIX] = (1).to_bytes(4, "big")
        self._thread_encode_into(record, raw, -1)
        compressed = self._compressor.compress(raw)
        return pack_block_header(1, len(raw), compressed) + compressed
