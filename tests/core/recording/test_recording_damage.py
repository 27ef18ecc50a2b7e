"""Damage: a file cut anywhere, or with any one byte changed, reads exactly the records
of the intact blocks before the damage, then raises naming the file and the offset."""

import pytest

from tickwire.core.recording import (
    RecordingCorrupt,
    RecordingTruncated,
    RecordingWriter,
    read_blocks,
    read_file,
    read_recording,
)
from tickwire.core.recording._format import BLOCK_HEADER

T0 = 1_700_000_000_000_000_000


@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    """A closed file of five blocks: its bytes and [(offset, end, records)] per block."""
    directory = tmp_path_factory.mktemp("rec")
    clock = iter(range(T0, T0 + 10**6))
    with RecordingWriter(
        directory, venue="kraken", block_bytes=200, clock=lambda: next(clock)
    ) as rec:
        rec.connect("public", "wss://ws.kraken.com/v2")
        for i in range(6):
            rec.frame("public", T0 + i, b'{"channel":"heartbeat","n":%d}' % i)
            rec.frame("public", T0 + i, bytes(range(i * 7 % 256)), text=False)
    path = rec.files[0]
    data = path.read_bytes()
    blocks, previous = [], None
    for offset, records in read_blocks(path):
        if previous is not None:
            blocks.append((previous[0], offset, previous[1]))
        previous = (offset, records)
    assert previous is not None
    blocks.append((previous[0], len(data), previous[1]))
    assert len(blocks) >= 5
    return data, blocks


def read_until_error(path):
    """The records read before the error, and the error."""
    got = []
    with pytest.raises(RecordingCorrupt) as caught:
        for record in read_file(path):
            got.append(record)
    return got, caught.value


def intact_before(blocks, offset):
    """The records of the blocks that end at or before ``offset``."""
    return [r for start, end, records in blocks if end <= offset for r in records]


def test_the_fixture_reads_whole(recording, tmp_path):
    data, blocks = recording
    path = tmp_path / "whole.twr"
    path.write_bytes(data)
    assert list(read_recording(path)) == intact_before(blocks, len(data))


def test_cut_at_every_block_boundary(recording, tmp_path):
    data, blocks = recording
    for start, _end, _records in blocks:
        path = tmp_path / f"cut{start}.twr"
        path.write_bytes(data[:start])
        got, error = read_until_error(path)
        assert isinstance(error, RecordingTruncated)
        assert got == intact_before(blocks, start)
        assert (error.path, error.offset) == (path, start)
        assert str(path) in str(error) and f"byte {start}" in str(error)


def test_cut_inside_every_block_header_and_payload(recording, tmp_path):
    data, blocks = recording
    for start, end, _records in blocks:
        for cut in sorted(
            {
                start + 1,
                start + BLOCK_HEADER - 1,
                start + BLOCK_HEADER,
                (start + BLOCK_HEADER + end) // 2,
                end - 1,
            }
        ):
            path = tmp_path / f"cut{cut}.twr"
            path.write_bytes(data[:cut])
            got, error = read_until_error(path)
            assert isinstance(error, RecordingTruncated), (cut, error)
            assert got == intact_before(blocks, start)
            assert (error.path, error.offset) == (path, start)


def test_any_changed_byte_is_found_in_its_block(recording, tmp_path):
    data, blocks = recording
    path = tmp_path / "flipped.twr"
    for start, end, _records in blocks:
        for position in range(start, end):  # every header byte and every payload byte
            damaged = bytearray(data)
            damaged[position] ^= 0xFF
            path.write_bytes(bytes(damaged))
            got, error = read_until_error(path)
            assert got == intact_before(blocks, start), position
            assert (error.path, error.offset) == (path, start), position
            assert not isinstance(error, RecordingTruncated), position


def test_reasons_name_what_was_found(recording, tmp_path):
    data, blocks = recording
    start = blocks[2][0]
    path = tmp_path / "reasons.twr"
    damaged = bytearray(data)
    damaged[start + BLOCK_HEADER + 3] ^= 0x01
    path.write_bytes(bytes(damaged))
    assert read_until_error(path)[1].reason == "block payload CRC mismatch"
    damaged = bytearray(data)
    damaged[start + 9] ^= 0x01  # the record count
    path.write_bytes(bytes(damaged))
    assert read_until_error(path)[1].reason == "block header CRC mismatch"
    damaged = bytearray(data)
    damaged[start] = ord("X")
    path.write_bytes(bytes(damaged))
    assert read_until_error(path)[1].reason.startswith("bad block magic")


def test_an_empty_file_and_data_after_the_end(recording, tmp_path):
    data, blocks = recording
    empty = tmp_path / "empty.twr"
    empty.write_bytes(b"")
    assert read_until_error(empty)[1].offset == 0
    doubled = tmp_path / "doubled.twr"
    doubled.write_bytes(data + data)
    got, error = read_until_error(doubled)
    assert got == intact_before(blocks, len(data))
    assert (error.offset, error.reason) == (len(data), "data after the end record")


def test_a_series_stops_at_the_damaged_file(recording, tmp_path):
    data, blocks = recording
    good, bad = tmp_path / "a.twr", tmp_path / "b.twr"
    good.write_bytes(data)
    bad.write_bytes(data[: blocks[3][0] + 5])
    got = []
    with pytest.raises(RecordingTruncated) as caught:
        for record in read_recording([good, bad]):
            got.append(record)
    whole = intact_before(blocks, len(data))
    assert got == whole + intact_before(blocks, blocks[3][0])
    assert (caught.value.path, caught.value.offset) == (bad, blocks[3][0])
