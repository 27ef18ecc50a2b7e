"""The writer thread's half of a recording: compressed blocks into a rotated file series.

:class:`~tickwire.core.recording.RecordingWriter` keeps the event loop's side (buffering
records, sealing blocks, surfacing failures); this module is what its thread does with
a sealed block: encode it, compress it, append it to the current file with one
``write``, and start a new file when the current one is full or old. It is kept apart
because it owns the file state the hot path must never touch: only the writer thread
calls a :class:`FileSeries` once the writer's constructor has opened the first file.

Rotation. Before writing a block the thread starts a new file if the current one would
exceed ``rotate_bytes`` (only a single block larger than that makes a bigger file) or
is ``rotate_seconds`` old (by the time the block was sealed,
so an injected clock decides it exactly). Files are named
``<stem>.<UTC yyyymmddThhmmss.ffffff>Z.<seq>.twr``: sortable by name. Each begins with a
:class:`Header` block and ends with an :class:`End` block naming its successor.
"""

from __future__ import annotations

import os
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import IO, Any

import msgspec
import zstandard

from tickwire.core.recording._format import (
    BLOCK_HEADER,
    RAW_PREFIX,
    file_name,
    pack_block_header,
)
from tickwire.core.recording._records import (
    FORMAT_VERSION,
    End,
    Frame,
    Header,
    Record,
)

__all__ = ["FileSeries"]

_ARRAY32 = b"\xdd" + bytes(RAW_PREFIX - 1)  # MessagePack array32 header; count set at seal

_END_RESERVE = 256  # room kept for a file's End block (~100 bytes) under rotate_bytes
# MessagePack array headers: fixarray (0x90-0x9f, one byte), array16 (0xdc), array32 (0xdd).
_ARRAY_HEADER_SIZE = {0x90: 1, 0xDC: 3, 0xDD: 5}


def _tickwire_version() -> str:
    try:
        return version("tickwire")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "unknown"


class FileSeries:
    """The rotated files of one recording series in ``directory``, named after ``stem``.

    Every file starts with a :class:`Header` carrying ``venue``, ``series`` and the
    sanitized ``config``; :meth:`end` closes the current one with its :class:`End`.
    Not thread-safe: one thread (the writer's) calls it.
    """

    def __init__(
        self,
        directory: Path,
        *,
        venue: str,
        stem: str,
        series: str,
        config: dict[str, Any],
        rotate_bytes: int | None,
        rotate_ns: int | None,
        level: int,
        fsync: bool,
    ) -> None:
        self.directory = directory
        self.venue = venue
        self.stem = stem
        self.series = series
        self._config = config
        self._rotate_bytes = rotate_bytes
        self._rotate_ns = rotate_ns
        self._fsync = fsync
        self._compressor = zstandard.ZstdCompressor(level=level)
        # The thread's own encoder: the hot path's is not shared across threads.
        encoder = msgspec.msgpack.Encoder()
        self._encode_into = encoder.encode_into
        self._encode = encoder.encode
        self.files: list[Path] = []
        """Every file created so far, in order."""
        self.file: IO[bytes]
        """The file being written."""
        self._seq = 0
        self._file_bytes = 0
        self._header_bytes = 0
        self._opened = 0

    def write_block(self, items: list[Frame | msgspec.Raw], count: int, sealed_at: int) -> None:
        """Append a sealed block of ``count`` records, rotating first if the file is due."""
        # One C call for the whole block (the GIL is held for as short a time as can be);
        # its array header, whatever its size, becomes the format's array32 one.
        body = self._encode(items)
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
            self.end("rotate", sealed_at, next_seq=self._seq + 1)
            self._seq += 1
            self.open(sealed_at)
        self._append(pack_block_header(count, len(raw), compressed) + compressed)

    def open(self, now: int) -> None:
        """Create the next file (it must not exist) and write its :class:`Header`."""
        path = self.directory / file_name(self.stem, now, self._seq)
        self.file = path.open("xb")
        self.files.append(path)
        self._opened = now
        self._file_bytes = 0
        header = Header(
            FORMAT_VERSION,
            self.venue,
            _tickwire_version(),
            now,
            self.series,
            self._seq,
            self._config,
        )
        self._append(self._block_of(header))
        self._header_bytes = self._file_bytes

    def end(self, reason: str, now: int, next_seq: int | None = None) -> None:
        """Write the :class:`End` record (naming file ``next_seq`` if any), fsync, close."""
        following = None if next_seq is None else file_name(self.stem, now, next_seq)
        self._append(self._block_of(End(reason, now, following)))
        os.fsync(self.file.fileno())
        self.file.close()

    def _append(self, block: bytes) -> None:
        self.file.write(block)
        self.file.flush()
        if self._fsync:
            os.fsync(self.file.fileno())
        self._file_bytes += len(block)

    def _block_of(self, record: Record) -> bytes:
        raw = bytearray(_ARRAY32)
        raw[1:RAW_PREFIX] = (1).to_bytes(4, "big")
        self._encode_into(record, raw, -1)
        compressed = self._compressor.compress(raw)
        return pack_block_header(1, len(raw), compressed) + compressed
