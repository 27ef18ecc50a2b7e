"""The reader: records in order, from one file or a rotated series, up to any damage.

Each block is checked before it is used (header CRC, then payload CRC, then the
decompressed length and the record count), so a block's records are delivered all or
not at all. The first damaged block ends the read with :class:`RecordingCorrupt` (or
:class:`RecordingTruncated` when the file just stops) naming the file and the byte
offset of that block; every record before it has been yielded. A file that does not end
with its :class:`End` record is reported as truncated at its last byte: the writer
crashed (or is still writing), and the records after its last flushed block are gone.

Reading a series, each file's :class:`End` names its successor; if the next file read
is not that one, a file is missing, and the read stops there too.

Decoding a block is one ``msgspec`` call for the whole block (a MessagePack array of
records). If the block holds a record kind this version does not know, it is decoded
again record by record and those records are skipped (see ``_records``).
"""

from __future__ import annotations

import glob
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import msgspec
import zstandard

from tickwire.core.recording._errors import (
    RecordingCorrupt,
    RecordingTruncated,
    UnsupportedRecording,
)
from tickwire.core.recording._format import (
    BLOCK_HEADER,
    BLOCK_VERSION,
    SUFFIX,
    unpack_block_header,
)
from tickwire.core.recording._records import FORMAT_VERSION, KINDS, End, Header, Record

__all__ = ["read_blocks", "read_file", "read_recording", "recording_files"]

_block_decoder = msgspec.msgpack.Decoder(list[Record])
_record_decoder = msgspec.msgpack.Decoder(Record)
_raw_decoder = msgspec.msgpack.Decoder(list[msgspec.Raw])


def recording_files(path: str | Path | Iterable[str | Path]) -> list[Path]:
    """The files a path means, in reading order.

    A file is itself; a directory means every ``*.twr`` file in it; anything else is a
    glob pattern (``rec/kraken.*.twr``); an iterable is taken in the order given. File
    names sort in writing order (UTC timestamp, then sequence number), so a directory or
    glob is read in name order. Nothing found is a :class:`FileNotFoundError`.
    """
    if not isinstance(path, str | Path):
        return [Path(p) for p in path]
    p = Path(path)
    if p.is_file():
        return [p]
    if p.is_dir():
        found = sorted(p.glob(f"*{SUFFIX}"))
    else:
        found = sorted(Path(name) for name in glob.glob(str(path)))
    if not found:
        raise FileNotFoundError(f"no recording at {path}")
    return found


def read_recording(path: str | Path | Iterable[str | Path]) -> Iterator[Record]:
    """Every record of a recording (one file, a directory, a glob), in order.

    Each file's records start with its :class:`Header` and, if it was closed, end with
    its :class:`End`. Damage raises :class:`RecordingCorrupt` after the records before it.
    """
    files = recording_files(path)
    for index, file in enumerate(files):
        end: End | None = None
        for record in read_file(file):
            if isinstance(record, End):
                end = record
            yield record
        if end is not None and end.next is not None and index + 1 < len(files):
            following = files[index + 1]
            if following.name != end.next:
                raise RecordingCorrupt(
                    following,
                    0,
                    f"expected {end.next} to follow {file.name}: a file of the series is missing",
                )


def read_file(path: str | Path) -> Iterator[Record]:
    """Every record of one file, in order, starting with its :class:`Header`."""
    for _offset, records in read_blocks(path):
        yield from records


def read_blocks(path: str | Path) -> Iterator[tuple[int, list[Record]]]:
    """``(offset, records)`` for each block of one file: the unit damage is found in.

    Raises :class:`RecordingTruncated` where the file stops inside a block or lacks its
    :class:`End` record, :class:`RecordingCorrupt` at a damaged block,
    :class:`UnsupportedRecording` for a newer format.
    """
    path = Path(path)
    decompressor = zstandard.ZstdDecompressor()
    offset = 0
    ended = False
    with path.open("rb") as file:
        while True:
            head = file.read(BLOCK_HEADER)
            if not head:
                if offset == 0:
                    raise RecordingTruncated(path, 0, "empty file: no header block")
                if not ended:
                    raise RecordingTruncated(
                        path, offset, "no end record: the writer did not close this file"
                    )
                return
            if ended:
                raise RecordingCorrupt(path, offset, "data after the end record")
            if len(head) < BLOCK_HEADER:
                raise RecordingTruncated(
                    path, offset, f"file ends inside a block header ({len(head)} bytes)"
                )
            header = unpack_block_header(head)
            if isinstance(header, str):
                raise RecordingCorrupt(path, offset, header)
            if header.version > BLOCK_VERSION:
                raise UnsupportedRecording(
                    f"{path}: block version {header.version} at byte {offset} is newer "
                    f"than this reader ({BLOCK_VERSION})"
                )
            payload = file.read(header.comp_len)
            if len(payload) < header.comp_len:
                raise RecordingTruncated(
                    path,
                    offset,
                    f"file ends inside a block payload ({len(payload)} of {header.comp_len} bytes)",
                )
            records = _decode_block(
                path,
                offset,
                payload,
                header.payload_crc,
                header.raw_len,
                header.count,
                decompressor,
            )
            if offset == 0:
                _check_header(path, records)
            ended = bool(records) and isinstance(records[-1], End)
            yield offset, records
            offset += BLOCK_HEADER + header.comp_len


def _decode_block(
    path: Path,
    offset: int,
    payload: bytes,
    crc: int,
    raw_len: int,
    count: int,
    decompressor: zstandard.ZstdDecompressor,
) -> list[Record]:
    if zlib.crc32(payload) != crc:
        raise RecordingCorrupt(path, offset, "block payload CRC mismatch")
    try:
        raw = decompressor.decompress(payload, max_output_size=raw_len)
    except zstandard.ZstdError as exc:
        raise RecordingCorrupt(path, offset, f"cannot decompress the block: {exc}") from exc
    if len(raw) != raw_len:
        raise RecordingCorrupt(
            path, offset, f"block decompresses to {len(raw)} bytes, not {raw_len}"
        )
    try:
        records = _block_decoder.decode(raw)
    except msgspec.ValidationError:
        records, count = _decode_slowly(path, offset, raw, count)
    except msgspec.DecodeError as exc:
        raise RecordingCorrupt(path, offset, f"cannot decode the block: {exc}") from exc
    if len(records) != count:
        raise RecordingCorrupt(
            path, offset, f"block holds {len(records)} records, its header says {count}"
        )
    return records


def _decode_slowly(path: Path, offset: int, raw: bytes, count: int) -> tuple[list[Record], int]:
    """Decode record by record, skipping kinds this version does not know."""
    try:
        items = _raw_decoder.decode(raw)
    except msgspec.DecodeError as exc:
        raise RecordingCorrupt(path, offset, f"cannot decode the block: {exc}") from exc
    if len(items) != count:
        raise RecordingCorrupt(
            path, offset, f"block holds {len(items)} records, its header says {count}"
        )
    records: list[Record] = []
    for item in items:
        try:
            records.append(_record_decoder.decode(item))
        except msgspec.ValidationError as exc:
            generic: Any = msgspec.msgpack.decode(item)
            kind = generic[0] if isinstance(generic, list) and generic else None
            if isinstance(kind, str) and kind not in KINDS:
                count -= 1  # a newer kind: skipped
                continue
            raise RecordingCorrupt(path, offset, f"bad record in the block: {exc}") from exc
    return records, count


def _check_header(path: Path, records: list[Record]) -> None:
    first = records[0] if records else None
    if not isinstance(first, Header):
        raise RecordingCorrupt(path, 0, "the file does not start with a header record")
    if first.format_version > FORMAT_VERSION:
        raise UnsupportedRecording(
            f"{path}: format version {first.format_version} is newer than this reader "
            f"({FORMAT_VERSION})"
        )
