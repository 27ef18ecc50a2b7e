"""Malformed frames over a real socket never kill the stream (hypothesis-generated)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tickwire.core.config import ClientConfig
from tickwire.core.connect import connect
from tickwire.core.types import StreamError, Ticker
from tickwire.exchanges.kraken import KrakenEmulator

FIXTURES = Path(__file__).parents[2] / "fixtures" / "kraken"
TICKER = json.loads((FIXTURES / "ticker_update.json").read_text())
REQUIRED_TICKER_FIELDS = ["symbol", "bid", "bid_qty", "ask", "ask_qty"]


def good_ticker(marker: int) -> bytes:
    """A valid ticker frame whose ``last`` price carries a marker (prices are > 0)."""
    frame = json.loads(json.dumps(TICKER))
    frame["data"][0]["last"] = marker + 1
    return json.dumps(frame).encode()


def broken_ticker(field: str, value: object) -> bytes:
    frame = json.loads(json.dumps(TICKER))
    if value is None:
        del frame["data"][0][field]
    else:
        frame["data"][0][field] = value
    return json.dumps(frame).encode()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=10,
)
malformed = st.one_of(
    # garbage bytes that are never JSON (0xff cannot start a JSON text)
    st.binary(max_size=64).map(lambda b: b"\xff" + b),
    # JSON that is not an object
    json_values.filter(lambda v: not isinstance(v, dict)).map(msgspec.json.encode),
    # objects that name neither a channel nor a method
    st.dictionaries(
        st.text().filter(lambda k: k not in ("channel", "method")), json_values, max_size=4
    ).map(msgspec.json.encode),
    # a real ticker frame with a required field missing or of the wrong type
    st.builds(
        broken_ticker,
        st.sampled_from(REQUIRED_TICKER_FIELDS),
        st.none() | st.just({"x": 1}) | st.just([1, 2]) | st.just(True),
    ),
)


@settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(frames=st.lists(malformed, min_size=20, max_size=40))
def test_each_malformed_frame_surfaces_and_the_next_good_frame_is_processed(frames):
    asyncio.run(stream_through(frames))


async def stream_through(frames: list[bytes]) -> None:
    async with KrakenEmulator(seed=1, interval=None) as ex:
        config = ClientConfig(venue="kraken", **ex.endpoints)
        async with connect(config) as client:
            events = client.events()
            (connection,) = ex.open_connections()
            for marker, frame in enumerate(frames):
                connection.send(frame)
                connection.send(good_ticker(marker))
            seen: list[object] = []
            async with asyncio.timeout(10):
                async for event in events:
                    if isinstance(event, StreamError | Ticker):
                        seen.append(event)
                    if len(seen) == 2 * len(frames):
                        break
    for marker in range(len(frames)):
        error, ticker = seen[2 * marker], seen[2 * marker + 1]
        assert isinstance(error, StreamError) and error.error == "DecodeError", error
        assert isinstance(ticker, Ticker) and ticker.last == marker + 1, ticker
