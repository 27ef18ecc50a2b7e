"""The KuCoin emulator's limits, token lifetime, keep-alive and faults, over real sockets.

Windows and timeouts are shrunk through constructor parameters so the suite stays fast;
where the thing under test *is* the passage of time (a rate window sliding, a token
ageing), the test lets that time pass, and otherwise awaits socket events.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from tickwire.exchanges.kucoin import KucoinEmulator


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def new_token(http: aiohttp.ClientSession, ex: KucoinEmulator) -> tuple[str, str]:
    async with http.post(f"{ex.rest_url}/api/v1/bullet-public") as resp:
        data = (await resp.json())["data"]
    return data["token"], data["instanceServers"][0]["endpoint"]


async def open_ws(
    http: aiohttp.ClientSession, ex: KucoinEmulator, token: str | None = None
) -> aiohttp.ClientWebSocketResponse:
    fresh, endpoint = await new_token(http, ex)
    ws = await http.ws_connect(f"{endpoint}?token={token or fresh}&connectId=lim")
    assert json.loads((await ws.receive()).data)["type"] == "welcome"
    return ws


async def recv(ws: aiohttp.ClientWebSocketResponse, timeout: float = 3.0) -> Any:
    async with asyncio.timeout(timeout):
        msg = await ws.receive()
    assert msg.type is aiohttp.WSMsgType.TEXT, msg
    return json.loads(msg.data)


async def closed(ws: aiohttp.ClientWebSocketResponse, timeout: float = 3.0) -> None:
    """Wait for the server to end the connection (any non-data frame)."""
    async with asyncio.timeout(timeout):
        while (await ws.receive()).type is aiohttp.WSMsgType.TEXT:
            pass


# -- message rate --------------------------------------------------------------------


async def test_message_rate_refuses_the_excess_and_never_admits_more(http) -> None:
    async with KucoinEmulator(interval=None, msg_window=0.5) as ex:
        ws = await open_ws(http, ex)
        for i in range(150):  # pings count like any other message
            await ws.send_str(json.dumps({"id": f"p{i}", "type": "ping"}))
        replies = [await recv(ws) for _ in range(150)]
        pongs = [r for r in replies if r["type"] == "pong"]
        refused = [r for r in replies if r["type"] == "error"]
        assert [r["id"] for r in pongs] == [f"p{i}" for i in range(100)]
        assert [r["id"] for r in refused] == [f"p{i}" for i in range(100, 150)]
        assert all(
            (r["code"], r["data"]) == (509, "exceed max permits per 10 seconds") for r in refused
        )
        assert ex.max_window_messages == 100 and ex.refusals == 50

        # A refused message was not processed: a refused subscribe subscribed nothing.
        await ws.send_str(
            json.dumps(
                {"id": 1, "type": "subscribe", "topic": "/market/level2:BTC-USDT", "response": True}
            )
        )
        assert (await recv(ws))["code"] == 509
        assert ex.connection_stats[0].topics == set()

        await asyncio.sleep(0.55)  # the window itself is under test: let it slide
        for i in range(100):
            await ws.send_str(json.dumps({"id": f"q{i}", "type": "ping"}))
        assert [(await recv(ws))["type"] for _ in range(100)] == ["pong"] * 100
        stats = ex.connection_stats[0]
        assert stats.max_window == 100 and stats.rate_refused == 51 and stats.messages == 251
        await ws.close()


async def test_limits_are_per_connection(http) -> None:
    async with KucoinEmulator(interval=None, msg_limit=5) as ex:
        first, second = await open_ws(http, ex), await open_ws(http, ex)
        for ws in (first, second):
            for i in range(5):
                await ws.send_str(json.dumps({"id": i, "type": "ping"}))
            assert [(await recv(ws))["type"] for _ in range(5)] == ["pong"] * 5
        await first.send_str(json.dumps({"id": 9, "type": "ping"}))
        assert (await recv(first))["code"] == 509
        assert [s.rate_refused for s in ex.connection_stats] == [1, 0]
        await first.close()
        await second.close()


# -- subscription limits ---------------------------------------------------------------


async def send_sub(ws: aiohttp.ClientWebSocketResponse, msg_id: int, topic: str) -> Any:
    msg = {
        "id": msg_id,
        "type": "subscribe",
        "topic": topic,
        "privateChannel": False,
        "response": True,
    }
    await ws.send_str(json.dumps(msg))
    reply = await recv(ws)
    assert reply["id"] == str(msg_id)
    return reply


async def test_at_most_100_symbols_per_topic_string(http) -> None:
    async with KucoinEmulator(interval=None) as ex:
        ws = await open_ws(http, ex)
        names = [f"X{i}-USDT" for i in range(101)]
        too_many = await send_sub(ws, 1, "/market/level2:" + ",".join(names))
        assert (too_many["code"], too_many["data"]) == (
            509,
            "exceed max subscription count limitation of 100 per time",
        )
        # 100 is within the batch limit: the request is then judged on its symbols.
        assert (await send_sub(ws, 2, "/market/level2:" + ",".join(names[:100])))["code"] == 404
        assert ex.refusals == 1
        await ws.close()


async def test_topic_cap_rejects_the_whole_request(http) -> None:
    async with KucoinEmulator(interval=None, topic_cap=5) as ex:
        ws = await open_ws(http, ex)
        all4 = "BTC-USDT,ETH-USDT,SOL-USDT,ETH-BTC"
        assert (await send_sub(ws, 1, f"/market/level2:{all4}"))["type"] == "ack"
        assert (await send_sub(ws, 2, f"/market/level2:{all4}"))["type"] == "ack"  # no new topic
        over = await send_sub(ws, 3, "/market/ticker:BTC-USDT,ETH-USDT")
        assert (over["code"], over["data"]) == (
            509,
            "exceeds max subscription count limitation of 5 per session",
        )
        assert len(ex.connection_stats[0].topics) == 4  # nothing of it was applied
        assert (await send_sub(ws, 4, "/market/ticker:BTC-USDT"))["type"] == "ack"
        await ex.step(30, "ETH-USDT")
        # ETH-USDT's ticker was in the refused request: only its level2 arrives.
        await ws.send_str(json.dumps({"id": "b", "type": "ping"}))
        topics = set()
        while (msg := await recv(ws))["type"] != "pong":
            topics.add(msg["topic"])
        assert topics == {"/market/level2:ETH-USDT"}
        await ws.close()


# -- tokens ----------------------------------------------------------------------------


async def test_token_expiry_drops_live_connection_and_refuses_reconnect(http) -> None:
    async with KucoinEmulator(interval=None, token_ttl=1.0) as ex:
        token, endpoint = await new_token(http, ex)
        started = time.monotonic()
        ws = await open_ws(http, ex, token)
        await closed(ws)
        assert 0.9 <= time.monotonic() - started < 2.5
        assert ex.connection_stats[0].closed == "token expired"

        again = await http.ws_connect(f"{endpoint}?token={token}&connectId=again")
        assert await recv(again) == {"type": "error", "code": 401, "data": "token is expired"}
        await closed(again)
        assert ex.connections == 0
        fresh = await open_ws(http, ex)  # a new bullet works
        await fresh.close()


async def test_expire_tokens_now(http) -> None:
    async with KucoinEmulator(interval=None, reject_token_with="http") as ex:
        token, endpoint = await new_token(http, ex)
        ws = await open_ws(http, ex, token)
        await ex.expire_tokens()
        await closed(ws)
        assert ex.connections == 0
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(f"{endpoint}?token={token}")
        assert refused.value.status == 401


# -- keep-alive and faults -------------------------------------------------------------


async def test_silent_connection_is_closed_after_ping_interval_plus_timeout(http) -> None:
    async with KucoinEmulator(interval=None, ping_interval_ms=150, ping_timeout_ms=150) as ex:
        chatty, silent = await open_ws(http, ex), await open_ws(http, ex)
        started = time.monotonic()

        async def keep_pinging() -> None:
            for i in range(8):  # pings every 0.1 s for 0.8 s: the client's side of the deal
                await chatty.send_str(json.dumps({"id": i, "type": "ping"}))
                assert (await recv(chatty))["type"] == "pong"
                await asyncio.sleep(0.1)

        pinging = asyncio.create_task(keep_pinging())
        await closed(silent)
        assert 0.25 <= time.monotonic() - started < 1.0
        await pinging
        assert not chatty.closed
        assert [s.closed for s in ex.connection_stats] == [None, "idle"]
        await chatty.close()


async def test_stop_and_resume_heartbeats(http) -> None:
    async with KucoinEmulator(interval=None) as ex:
        ws = await open_ws(http, ex)
        ex.stop_heartbeats()  # KuCoin's heartbeat is the pong
        await ws.send_str(json.dumps({"id": "lost", "type": "ping"}))
        await send_sub(ws, 1, "/market/ticker:BTC-USDT")  # the next reply is the ack, no pong
        ex.resume_heartbeats()
        await ws.send_str(json.dumps({"id": "back", "type": "ping"}))
        assert await recv(ws) == {"id": "back", "type": "pong"}
        await ws.close()


async def test_drop_all_cuts_every_socket(http) -> None:
    async with KucoinEmulator(interval=None) as ex:
        sockets = [await open_ws(http, ex) for _ in range(3)]
        await ex.drop_all()
        assert ex.connections == 0
        for ws in sockets:
            await closed(ws)


async def test_automatic_market_keeps_snapshot_and_stream_consistent(http) -> None:
    async with KucoinEmulator(seed=5, interval=0.001) as ex:
        ws = await open_ws(http, ex)
        await send_sub(ws, 1, "/market/level2:BTC-USDT,ETH-USDT,SOL-USDT,ETH-BTC")
        url = f"{ex.rest_url}/api/v1/market/orderbook/level2_20?symbol=BTC-USDT"
        for _ in range(5):
            await recv(ws)
        async with http.get(url) as resp:
            snapshot_seq = int((await resp.json())["data"]["sequence"])
        # Increments published after the snapshot continue exactly from its sequence.
        while (data := (await recv(ws))["data"])["symbol"] != "BTC-USDT" or (
            data["sequenceEnd"] <= snapshot_seq
        ):
            pass
        assert data["sequenceStart"] == snapshot_seq + 1
        await ws.close()
