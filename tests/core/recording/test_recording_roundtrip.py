"""Records come back as written: every kind, arbitrary frames, unknown kinds skipped,
and no secret ever reaches a file."""

import tempfile
import zlib
from pathlib import Path

import msgspec
import pytest
import zstandard
from hypothesis import given, settings
from hypothesis import strategies as st

from tickwire.core import ClientConfig, Credentials
from tickwire.core.recording import (
    FORMAT_VERSION,
    Connect,
    Disconnect,
    End,
    Frame,
    Header,
    RecordingWriter,
    Snapshot,
    Status,
    Subscribe,
    Unsubscribe,
    UnsupportedRecording,
    read_recording,
    strip_url,
)
from tickwire.core.recording._format import BLOCK_HEADER, pack_block_header

T0 = 1_700_000_000_000_000_000


class Clock:
    """An injected clock: ns since the epoch, moved by hand."""

    def __init__(self, now: int = T0) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


def payloads(path: Path) -> bytes:
    """Every block of ``path`` decompressed: what the file says, uncompressed."""
    data = path.read_bytes()
    out, offset = bytearray(), 0
    while offset < len(data):
        comp_len = int.from_bytes(data[offset + 16 : offset + 20], "little")
        start = offset + BLOCK_HEADER
        out += zstandard.ZstdDecompressor().decompress(data[start : start + comp_len])
        offset = start + comp_len
    return bytes(out)


def test_every_record_kind_round_trips(tmp_path):
    clock = Clock()
    with RecordingWriter(tmp_path, venue="kucoin", clock=clock) as rec:
        rec.connect("public", "wss://ws-api.kucoin.com/endpoint", ts=1)
        rec.subscribe("public", "book", ["BTC/USDT", "ETH/USDT"], {"depth": 50}, ts=2)
        rec.snapshot("rest", "level2:BTC-USDT", 3, b'{"code":"200000","data":{}}')
        rec.frame("public", 4, b'{"type":"message"}')
        rec.frame("public", 5, b"\x00\xffbinary", text=False)
        rec.status("public", "resyncing", "sequence gap", ts=6)
        rec.unsubscribe("public", "book", ["ETH/USDT"], ts=7)
        rec.disconnect("public", "closed by peer", ts=8)
    records = list(read_recording(tmp_path))
    header = records[0]
    assert isinstance(header, Header)
    assert (header.format_version, header.venue, header.seq) == (FORMAT_VERSION, "kucoin", 0)
    assert header.created == T0
    assert records[1:] == [
        Connect("public", "wss://ws-api.kucoin.com/endpoint", 1),
        Subscribe("public", "book", ("BTC/USDT", "ETH/USDT"), {"depth": 50}, 2),
        Snapshot("rest", "level2:BTC-USDT", 3, b'{"code":"200000","data":{}}'),
        Frame("public", 4, b'{"type":"message"}', True),
        Frame("public", 5, b"\x00\xffbinary", False),
        Status("public", "resyncing", "sequence gap", 6),
        Unsubscribe("public", "book", ("ETH/USDT",), {}, 7),
        Disconnect("public", "closed by peer", 8),
        End("close", T0, None),
    ]


frames = st.lists(
    st.builds(
        Frame,
        session=st.text(max_size=12),
        received=st.integers(0, 2**63 - 1),
        data=st.binary(max_size=3000),
        text=st.booleans(),
    ),
    max_size=60,
)


@settings(max_examples=60, deadline=None)
@given(frames=frames, block_bytes=st.integers(1, 8192))
def test_arbitrary_frames_round_trip(frames, block_bytes):
    with tempfile.TemporaryDirectory() as tmp:
        with RecordingWriter(tmp, venue="kraken", block_bytes=block_bytes) as rec:
            for f in frames:
                rec.frame(f.session, f.received, f.data, f.text)
        records = list(read_recording(tmp))
    assert records[1:-1] == frames


def test_hot_path_encodes_exactly_a_frame_struct():
    encoder = msgspec.msgpack.Encoder()
    frame = Frame("public", T0, b"\x01\x02", False)
    assert encoder.encode(("frame", "public", T0, b"\x01\x02", False)) == encoder.encode(frame)


def write_raw_file(path: Path, blocks: list[list[object]]) -> None:
    """A file of hand-made blocks, each a list of records (Structs or plain arrays)."""
    out = bytearray()
    for block in blocks:
        raw = msgspec.msgpack.encode(block)
        compressed = zstandard.ZstdCompressor().compress(raw)
        out += pack_block_header(len(block), len(raw), compressed) + compressed
    path.write_bytes(bytes(out))


def header(version: int = FORMAT_VERSION) -> Header:
    return Header(version, "kraken", "0.1.0", T0, "s", 0, {})


def test_unknown_kinds_and_trailing_fields_from_a_newer_writer_are_skipped(tmp_path):
    path = tmp_path / "new.twr"
    future = [
        ["frame", "public", 1, b"a", True],
        ["hologram", 1, "two", b"three"],  # a kind this reader does not know
        ["frame", "public", 2, b"b", True, "a field added later"],
    ]
    write_raw_file(path, [[header()], future, [End("close", T0)]])
    assert list(read_recording(path))[1:] == [
        Frame("public", 1, b"a", True),
        Frame("public", 2, b"b", True),
        End("close", T0),
    ]


def test_a_newer_format_version_is_refused(tmp_path):
    path = tmp_path / "newer.twr"
    write_raw_file(path, [[header(FORMAT_VERSION + 1)], [End("close", T0)]])
    with pytest.raises(UnsupportedRecording, match="newer"):
        list(read_recording(path))


def test_newer_block_version_is_refused(tmp_path):
    path = tmp_path / "newer-block.twr"
    raw = msgspec.msgpack.encode([header()])
    compressed = zstandard.ZstdCompressor().compress(raw)
    head = bytearray(pack_block_header(1, len(raw), compressed))
    head[4] = 2  # block version 2, header CRC recomputed
    head[24:28] = zlib.crc32(head[:24]).to_bytes(4, "little")
    path.write_bytes(bytes(head) + compressed)
    with pytest.raises(UnsupportedRecording, match="block version 2"):
        list(read_recording(path))


# --- secrets -------------------------------------------------------------------------

TOKEN = (  # the shape of a KuCoin bullet token
    "2neAiuYvAU61ZDXANAGAsiL4-iAExhsBXZxftpOeh_55i3Ysy2q2LEsEWU64mdzUOPusi34M_wGoSf7iNy"
    "EWJ4aBZXpWhrmY9jKtqkdWoFa75w3istPvPtiYB9J6i9GjsxUuhPw3BlrzazF6ghq4L"
)


def test_strip_url_keeps_scheme_host_port_path_only():
    assert strip_url(f"wss://ws-api-spot.kucoin.com/?token={TOKEN}&connectId=x1") == (
        "wss://ws-api-spot.kucoin.com/"
    )
    assert strip_url("ws://user:pw@127.0.0.1:8080/ws#frag") == "ws://127.0.0.1:8080/ws"
    assert strip_url("ws://[::1]:9/a?t=1") == "ws://[::1]:9/a"


def test_tokens_and_credentials_never_reach_the_file(tmp_path):
    config = ClientConfig(
        venue="kucoin",
        ws_url=f"ws://127.0.0.1:1/ws?token={TOKEN}",
        credentials=Credentials("KEY-9f3a", "SECRET-77c1", "PASS-e5d0"),
        options={"api_token": TOKEN, "depth": 50},
    )
    with RecordingWriter(tmp_path, venue="kucoin", config=config) as rec:
        rec.connect("public", f"wss://ws-api-spot.kucoin.com/?token={TOKEN}&connectId=1")
        rec.write(Connect("private", f"wss://x/?token={TOKEN}", 1))
        rec.subscribe("private", "orders", [], {"token": TOKEN, "snapshot": True})
    records = list(read_recording(tmp_path))
    text = b"".join(payloads(path) for path in rec.files)
    for secret in (TOKEN, "KEY-9f3a", "SECRET-77c1", "PASS-e5d0"):
        assert secret.encode() not in text
        assert secret not in repr(records)
    assert records[0].config["ws_url"] == "ws://127.0.0.1:1/ws"
    assert records[0].config["options"] == {"depth": 50}
    assert "credentials" not in records[0].config
    assert records[1] == Connect("public", "wss://ws-api-spot.kucoin.com/", records[1].ts)
    assert records[2].url == "wss://x/"
    assert records[3].options == {"snapshot": True}
