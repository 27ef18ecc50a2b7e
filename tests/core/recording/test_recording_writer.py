"""The writer: blocks sealed by size and by age, rotation by size and by time (injected
clock, no sleeps), crash safety, close semantics and failures that surface."""

import contextlib
import shutil

import msgspec
import pytest

from tickwire.core.recording import (
    End,
    Frame,
    Header,
    RecordingCorrupt,
    RecordingError,
    RecordingTruncated,
    RecordingWriter,
    read_blocks,
    read_file,
    read_recording,
    recording_files,
)

T0 = 1_700_000_000_000_000_000
SECOND = 1_000_000_000
FRAME = b'{"channel":"ticker","type":"update","data":[{"symbol":"BTC/USD","bid":67000.1}]}'


class Clock:
    """An injected clock: ns since the epoch, moved by hand."""

    def __init__(self, now: int = T0) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


def counts(path):
    """Records per block of ``path``, which may still be open (it then has no End)."""
    found = []
    with contextlib.suppress(RecordingTruncated):
        for _, records in read_blocks(path):
            found.append(len(records))
    return found


def test_a_block_is_sealed_when_it_reaches_block_bytes(tmp_path):
    # A block is sealed by the record that takes it to block_bytes or past it.
    record = len(msgspec.msgpack.encode(Frame("public", 0, FRAME)))
    size = 5 + 4 * record  # the array header, then four records
    with RecordingWriter(tmp_path, venue="kraken", block_bytes=size, clock=Clock()) as rec:
        for i in range(10):
            rec.frame("public", i, FRAME)
    # header block, 4 + 4 + 2 frames (the last two sealed by close), end block
    assert counts(rec.files[0]) == [1, 4, 4, 2, 1]


def test_a_block_is_sealed_once_it_has_held_records_for_block_seconds(tmp_path):
    # The hot path never reads the clock: a block's age counts from the first tick that
    # finds it holding records, and a later tick seals it.
    clock = Clock()
    with RecordingWriter(tmp_path, venue="kraken", block_seconds=1.0, clock=clock) as rec:
        rec.frame("public", 1, FRAME)
        rec.tick()  # first seen holding records: its age starts now
        clock.now += SECOND // 2
        rec.frame("public", 2, FRAME)
        rec.tick()  # half a second: not yet
        clock.now += SECOND // 2
        rec.tick()  # one second: sealed, with both frames
        clock.now += 5 * SECOND
        rec.frame("public", 3, FRAME)  # no tick saw the new block yet: its age starts...
        rec.frame("public", 4, FRAME)
        rec.tick()  # ... here
        clock.now += SECOND - 1
        rec.tick()
        clock.now += 1
        rec.tick()  # no record arrives, the timer seals it
        rec.flush(wait=True)
        assert counts(rec.files[0]) == [1, 2, 2]


def frames_of(records):
    return [r for r in records if isinstance(r, Frame)]


def test_files_rotate_by_size_and_read_back_as_one_series(tmp_path):
    clock = Clock()
    rec = RecordingWriter(tmp_path, venue="kraken", block_bytes=1, rotate_bytes=600, clock=clock)
    for i in range(12):
        clock.now += 1000
        rec.frame("public", i, FRAME + b" " * i)
    rec.close()
    files = recording_files(tmp_path)
    assert files == rec.files == sorted(rec.files)
    assert len(files) > 2
    for seq, path in enumerate(files):
        records = list(read_file(path))
        assert isinstance(records[0], Header) and records[0].seq == seq
        assert path.stat().st_size <= 600
        end = records[-1]
        assert isinstance(end, End)
        if seq + 1 < len(files):
            assert (end.reason, end.next) == ("rotate", files[seq + 1].name)
        else:
            assert (end.reason, end.next) == ("close", None)
    assert {r.series for r in read_recording(tmp_path) if isinstance(r, Header)} == {
        rec._files.series
    }
    assert [f.received for f in frames_of(read_recording(tmp_path))] == list(range(12))


def test_files_rotate_by_time(tmp_path):
    clock = Clock()
    rec = RecordingWriter(
        tmp_path, venue="kucoin", block_seconds=1.0, rotate_seconds=60.0, clock=clock
    )
    # One frame every 20 s, each seen by a tick at once and sealed by the next tick 20 s
    # later; a block goes to a new file when sealed 60 s or more after the file opened.
    for i in range(10):
        rec.frame("public", i, FRAME)
        rec.tick()
        clock.now += 20 * SECOND
        rec.tick()
    rec.close()
    headers = [r for r in read_recording(tmp_path) if isinstance(r, Header)]
    assert [h.created for h in headers] == [
        T0,
        T0 + 60 * SECOND,
        T0 + 120 * SECOND,
        T0 + 180 * SECOND,
    ]
    assert [p.name for p in rec.files] == [
        "kucoin.20231114T221320.000000Z.000000.twr",
        "kucoin.20231114T221420.000000Z.000001.twr",
        "kucoin.20231114T221520.000000Z.000002.twr",
        "kucoin.20231114T221620.000000Z.000003.twr",
    ]
    per_file = [len(frames_of(read_file(p))) for p in rec.files]
    assert per_file == [2, 3, 3, 2]  # sealed at 20, 40 | 60, 80, 100 | ...


def test_a_missing_file_of_a_series_is_reported(tmp_path):
    rec = RecordingWriter(tmp_path, venue="kraken", block_bytes=1, rotate_bytes=400)
    for i in range(10):
        rec.frame("public", i, FRAME)
    rec.close()
    assert len(rec.files) >= 3
    rec.files[1].unlink()
    with pytest.raises(RecordingCorrupt, match="missing") as caught:
        list(read_recording(tmp_path))
    assert caught.value.path == rec.files[2]


def test_a_crash_loses_only_the_unflushed_block(tmp_path):
    rec = RecordingWriter(tmp_path / "live", venue="kraken", block_bytes=10**6)
    written = []
    for block in range(5):
        for i in range(20):
            rec.frame("public", block * 100 + i, FRAME)
            written.append(block * 100 + i)
        rec.flush(wait=True)  # five blocks on disk
    for _ in range(7):
        rec.frame("public", 999, FRAME)  # buffered, never flushed: lost in the crash
    crashed = tmp_path / "crashed.twr"
    shutil.copyfile(rec.files[0], crashed)  # the file as it is on disk at the crash

    got = []
    with pytest.raises(RecordingTruncated, match="did not close") as caught:
        for record in read_recording(crashed):
            got.append(record)
    assert [f.received for f in frames_of(got)] == written
    assert caught.value.path == crashed
    assert caught.value.offset == crashed.stat().st_size
    rec.close()


async def test_async_with_seals_idle_blocks_and_closes_without_blocking(tmp_path):
    async with RecordingWriter(tmp_path, venue="kraken", block_seconds=0.01) as rec:
        rec.frame("public", 1, FRAME)
        rec.flush(wait=True)
    assert [f.received for f in frames_of(read_recording(tmp_path))] == [1]


def test_records_after_close_are_refused(tmp_path):
    rec = RecordingWriter(tmp_path, venue="kraken")
    rec.close()
    rec.close()  # harmless
    with pytest.raises(RecordingError, match="closed"):
        rec.frame("public", 1, FRAME)


def test_header_and_end_are_the_writers_own(tmp_path):
    with RecordingWriter(tmp_path, venue="kraken") as rec, pytest.raises(ValueError):
        rec.write(End("close", 0))


def test_a_disk_failure_surfaces_at_the_next_block_boundary(tmp_path):
    rec = RecordingWriter(tmp_path, venue="kraken")

    def broken(data):
        raise OSError(28, "No space left on device")

    rec._files.file.write = broken  # the writer thread's next write fails
    rec.frame("public", 1, FRAME)  # the hot path does not notice
    with pytest.raises(RecordingError, match="failed") as caught:
        rec.flush(wait=True)
    assert isinstance(caught.value.__cause__, OSError)
    with pytest.raises(RecordingError):
        rec.close()
