"""Recording a live client: the taps in the session and the client, over real sockets."""

from __future__ import annotations

import asyncio
import io
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import next_of, take
from rich.console import Console

from tickwire.core import connect
from tickwire.core.cli import main
from tickwire.core.recording import (
    Connect,
    Disconnect,
    Frame,
    Header,
    Notice,
    Sent,
    Subscribe,
    read_recording,
)
from tickwire.core.types import StreamState, StreamStatus, Ticker, decode_event
from tickwire.exchanges.kraken import KrakenEmulator
from tickwire.exchanges.kucoin import KucoinEmulator


async def test_every_frame_and_boundary_is_recorded_in_order(tmp_path: Path) -> None:
    async with KrakenEmulator(seed=2) as emulator:
        client = connect("kraken", **emulator.endpoints)
        async with client.record(tmp_path, block_seconds=0.05):
            async with client:
                events = client.events()
                assert isinstance(await anext(events), StreamStatus)  # the user's backlog
                await client.subscribe("ticker", ["BTC/USD"])
                await emulator.step(50, symbol="BTC/USD")
                tickers = await take(events, 5, Ticker)
                await emulator.drop_all()
                await next_of(events, StreamStatus, state=StreamState.RESUBSCRIBED)
                assert client.hub.wire is not None
        assert client.hub.wire is None
        assert "subscribe" not in vars(client)  # the class's own method again

    records = list(read_recording(tmp_path))
    header = records[0]
    assert isinstance(header, Header) and header.venue == "kraken"
    kinds = [type(r) for r in records]
    connects = [r for r in records if isinstance(r, Connect)]
    assert [c.session for c in connects] == ["public", "public"]  # first connect, reconnect
    assert all("?" not in c.url for c in connects)
    assert kinds.index(Subscribe) < kinds.index(Disconnect) < kinds.index(Connect, 2)
    (subscribe,) = [r for r in records if isinstance(r, Subscribe)]
    assert (subscribe.channel, subscribe.symbols) == ("ticker", ("BTC/USD",))
    frames = [r for r in records if isinstance(r, Frame)]
    received = {f.received for f in frames}
    # Every ticker delivered was decoded from a recorded frame, at its receive time.
    assert all(t.received in received for t in tickers)
    assert [f.received for f in frames] == sorted(f.received for f in frames)
    notices = [decode_event(r.event) for r in records if isinstance(r, Notice)]
    states = [n.state for n in notices if isinstance(n, StreamStatus)]
    assert states[:1] == ["connected"] and "reconnecting" in states and "resubscribed" in states
    # Requests are recorded, each before the reply it caused; pings are not requests.
    sent = [r for r in records if isinstance(r, Sent)]
    assert sent and all(b'"method":"subscribe"' in r.data for r in sent)
    first_request = records.index(sent[0])
    assert all(not isinstance(r, Frame) or r.received > 0 for r in records[first_request:])


async def test_kucoin_tokens_never_reach_the_file(tmp_path: Path) -> None:
    async with KucoinEmulator(seed=2) as emulator:
        client = connect("kucoin", **emulator.endpoints)
        async with client.record(tmp_path), client:
            await client.subscribe("ticker", ["BTC/USDT"])
            await emulator.step(20, symbol="BTC-USDT")
            await next_of(client.events(), Ticker)
    connects = [r for r in read_recording(tmp_path) if isinstance(r, Connect)]
    assert connects and all("token" not in c.url and "?" not in c.url for c in connects)


async def test_a_client_is_recorded_once_at_a_time(tmp_path: Path) -> None:
    async with KrakenEmulator(seed=2) as emulator:
        async with connect("kraken", **emulator.endpoints) as client:
            async with client.record(tmp_path / "a"):
                with pytest.raises(RuntimeError, match="already being recorded"):
                    async with client.record(tmp_path / "b"):
                        pass


@pytest.fixture
def live_kraken() -> Iterator[KrakenEmulator]:
    """A Kraken emulator with a running market, on a thread (main() has its own loop)."""
    ready, stop_box = threading.Event(), {}

    async def serve() -> None:
        stop = asyncio.Event()
        async with KrakenEmulator(seed=1, interval=0.01) as ex:
            stop_box.update(ex=ex, stop=stop, loop=asyncio.get_running_loop())
            ready.set()
            await stop.wait()

    thread = threading.Thread(target=lambda: asyncio.run(serve()), daemon=True)
    thread.start()
    assert ready.wait(10)
    yield stop_box["ex"]  # type: ignore[misc]
    stop_box["loop"].call_soon_threadsafe(stop_box["stop"].set)  # type: ignore[attr-defined]
    thread.join(10)


def test_tickwire_record_writes_a_readable_recording(live_kraken, tmp_path: Path) -> None:
    out = io.StringIO()
    console = Console(file=out, width=200)
    url = live_kraken.endpoints["ws_url"]
    argv = ["record", "kraken", "--ws-url", url, "--symbol", "BTC/USD", "--channel", "ticker",
            "--out", str(tmp_path), "--duration", "1"]  # fmt: skip
    assert main(argv, console=console) == 0
    assert "recorded kraken to" in out.getvalue()
    frames = [r for r in read_recording(tmp_path) if isinstance(r, Frame)]
    assert any(b'"channel":"ticker"' in f.data for f in frames)
