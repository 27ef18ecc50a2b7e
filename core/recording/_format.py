"""The block layout: how records sit in a file, and how damage is found.

A recording file is a sequence of self-checking blocks; nothing else. The first record
of the first block is a :class:`~tickwire.core.recording.Header`. Each block::

    offset  size  field          (integers little-endian)
    ------  ----  -------------------------------------------------------------
         0     4  magic          b"TWRB"
         4     1  version        block layout version (1)
         5     1  codec          1 = zstandard
         6     2  reserved       0
         8     4  count          number of records in the block
        12     4  raw_len        payload length before compression
        16     4  comp_len       payload length after compression
        20     4  payload_crc    CRC32 of the comp_len compressed bytes
        24     4  header_crc     CRC32 of bytes 0..23 of this header
        28  comp_len  payload    one zstandard frame; decompressed, one MessagePack
                                 array of ``count`` records (array32: 0xdd + u32 BE)

The header checks itself, so a damaged length is caught before it is trusted (no read
of gigabytes past a flipped bit); the payload CRC is checked before decompressing.
Damage is reported at the offset of the block it is in, and everything before that
block is intact by construction: blocks are only ever appended whole, with one
``write`` each, so a crash leaves at worst one partial block at the end of the file.

CRC32 (``zlib.crc32``, stdlib, GB/s) rather than xxhash: fast enough for this job,
and no extra dependency. Zstandard rather than zlib (``bench_recording.py``, a 128 KiB
block of venue frames): level 3 compresses it 11-13.5x in ~0.15-0.2 ms and decompresses
it in ~0.05 ms, where zlib -6 gets 10-11.6x in ~1.4-1.6 ms and needs ~0.2 ms back; its
window spans the whole block, and the ``zstandard`` binding releases the GIL while it
works, so the writer thread does not stall the event loop.
"""

from __future__ import annotations

import struct
import zlib
from datetime import UTC, datetime
from typing import Final

__all__ = [
    "BLOCK_HEADER",
    "BLOCK_MAGIC",
    "BLOCK_VERSION",
    "CODEC_ZSTD",
    "RAW_PREFIX",
    "SUFFIX",
    "BlockHeader",
    "file_name",
    "pack_block_header",
    "unpack_block_header",
]

BLOCK_MAGIC: Final = b"TWRB"
BLOCK_VERSION: Final = 1
CODEC_ZSTD: Final = 1
_HEAD = struct.Struct("<4sBBHIIII")  # magic..payload_crc: 24 bytes
_CRC = struct.Struct("<I")
BLOCK_HEADER: Final = _HEAD.size + _CRC.size
"""Bytes of a block header (28)."""

RAW_PREFIX: Final = 5
"""Bytes reserved at the start of a raw payload for its MessagePack array32 header."""

SUFFIX: Final = ".twr"
"""The file name suffix of recordings."""


def file_name(stem: str, created: int, seq: int) -> str:
    """The name of file ``seq`` of a series, created at ``created`` ns (UTC).

    ``<stem>.<yyyymmddThhmmss>.<microseconds>Z.<seq>.twr``: fixed widths, so names sort in
    the order the files were written.
    """
    moment = datetime.fromtimestamp(created // 1_000_000_000, UTC)
    micros = created // 1_000 % 1_000_000
    return f"{stem}.{moment:%Y%m%dT%H%M%S}.{micros:06d}Z.{seq:06d}{SUFFIX}"


class BlockHeader:
    """A decoded, self-checked block header."""

    __slots__ = ("comp_len", "count", "payload_crc", "raw_len", "version")

    def __init__(
        self, version: int, count: int, raw_len: int, comp_len: int, payload_crc: int
    ) -> None:
        self.version = version
        self.count = count
        self.raw_len = raw_len
        self.comp_len = comp_len
        self.payload_crc = payload_crc


def pack_block_header(count: int, raw_len: int, compressed: bytes) -> bytes:
    """The 28-byte header of a block holding ``compressed`` (``count`` records)."""
    head = _HEAD.pack(
        BLOCK_MAGIC,
        BLOCK_VERSION,
        CODEC_ZSTD,
        0,
        count,
        raw_len,
        len(compressed),
        zlib.crc32(compressed),
    )
    return head + _CRC.pack(zlib.crc32(head))


def unpack_block_header(data: bytes) -> BlockHeader | str:
    """Decode a 28-byte header; a string says what is wrong with it.

    A newer ``version`` is returned as is (the caller decides); a bad magic, a header
    CRC mismatch or an unknown codec is damage.
    """
    magic, version, codec, _reserved, count, raw_len, comp_len, payload_crc = _HEAD.unpack(
        data[: _HEAD.size]
    )
    if magic != BLOCK_MAGIC:
        return f"bad block magic {magic!r}"
    (header_crc,) = _CRC.unpack(data[_HEAD.size : BLOCK_HEADER])
    if zlib.crc32(data[: _HEAD.size]) != header_crc:
        return "block header CRC mismatch"
    if version == BLOCK_VERSION and codec != CODEC_ZSTD:
        return f"unknown codec {codec}"
    return BlockHeader(version, count, raw_len, comp_len, payload_crc)
