"""BaseClient lifecycle: errors surface as themselves, and the protocol check holds."""

from __future__ import annotations

import asyncio

import pytest

from tickwire.core.client import BaseClient
from tickwire.core.config import ClientConfig
from tickwire.core.errors import ConnectTimeout
from tickwire.core.protocol import StreamClient


class FailingClient(BaseClient):
    venue = "failing"

    async def _start(self) -> None:
        raise ConnectTimeout("failing: not connected")


def test_a_base_client_satisfies_the_stream_client_protocol():
    assert isinstance(FailingClient(ClientConfig(venue="failing")), StreamClient)


async def test_a_failed_connect_raises_the_error_itself_not_a_group():
    with pytest.raises(ConnectTimeout):
        await FailingClient(ClientConfig(venue="failing")).connect()


async def test_an_error_in_the_async_with_body_propagates_as_itself():
    class Quiet(BaseClient):
        venue = "quiet"

        async def _start(self) -> None:
            return None

    with pytest.raises(KeyError):
        async with Quiet(ClientConfig(venue="quiet")):
            raise KeyError("from the body")


async def test_a_second_close_waits_for_the_first_to_finish() -> None:
    release = asyncio.Event()
    stopped: list[str] = []

    class Slow(BaseClient):
        venue = "slow"

        async def _start(self) -> None:
            pass

        async def _stop(self) -> None:
            await release.wait()
            stopped.append("stopped")

    client = Slow(ClientConfig(venue="slow"))
    await client.connect()
    first = asyncio.create_task(client.close())
    await asyncio.sleep(0)
    second = asyncio.create_task(client.close())
    await asyncio.sleep(0.01)
    assert not second.done()  # it must not return while the first is still closing
    release.set()
    await asyncio.gather(first, second)
    assert stopped == ["stopped"]
