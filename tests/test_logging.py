"""Logging (issue 14): one line per lifecycle change, never a secret, nothing configured.

Over real sockets against the emulators, with DEBUG on: a dropped socket is one WARNING
(reason, next delay, attempt) and its recovery one INFO; no record carries the account's
key, secret, passphrase or a WebSocket token.
"""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tickwire.core import ClientConfig, ReconnectPolicy, StreamState, StreamStatus, connect
from tickwire.core.http import safe_url
from tickwire.core.registry import default_registry
from tickwire.core.types import Event
from tickwire.exchanges.kraken import KrakenEmulator

FAST_RECONNECT = ReconnectPolicy(base_delay=0.01, max_delay=0.1)
SYMBOLS = {"kraken": "BTC/USD", "kucoin": "BTC/USDT"}


def client_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    # The emulator runs in this process and logs under tickwire.exchanges: the server side
    # of the socket is not what a user of the client sees.
    return [
        r
        for r in caplog.records
        if r.name.startswith("tickwire.") and not r.name.startswith("tickwire.exchanges")
    ]


async def statuses(events: AsyncIterator[Event], state: StreamState, count: int) -> list[str]:
    """The reasons of the next ``count`` statuses in ``state``."""
    seen: list[str] = []
    async with asyncio.timeout(10):
        async for event in events:
            if isinstance(event, StreamStatus) and event.state is state:
                seen.append(event.reason)
                if len(seen) == count:
                    return seen
    raise AssertionError("stream ended")


async def test_a_dropped_socket_is_one_warning_and_its_recovery_one_info(caplog) -> None:
    caplog.set_level(logging.DEBUG)
    async with KrakenEmulator(seed=7, interval=None) as emulator:
        config = ClientConfig(venue="kraken", reconnect=FAST_RECONNECT, **emulator.endpoints)
        async with connect(config) as client:
            events = client.events()
            await client.subscribe("ticker", ["BTC/USD"])
            caplog.clear()
            await emulator.drop_all()
            await statuses(events, StreamState.RESUBSCRIBED, 1)
            records = client_records(caplog)
    warnings = [r for r in records if r.levelno == logging.WARNING]
    infos = [r for r in records if r.levelno == logging.INFO]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    assert len(infos) == 1, [r.getMessage() for r in infos]
    assert not [r for r in records if r.levelno > logging.WARNING]
    warning = warnings[0]
    assert warning.name == "tickwire.core.session"
    message = warning.getMessage()
    assert "kraken public" in message and "closed by the venue" in message
    assert "reconnecting in" in message and "attempt 1" in message
    assert "reconnected" in infos[0].getMessage()


async def test_giving_up_is_an_error(caplog) -> None:
    caplog.set_level(logging.DEBUG)
    policy = ReconnectPolicy(base_delay=0.01, max_delay=0.02, max_attempts=2)
    async with KrakenEmulator(seed=7, interval=None) as emulator:
        config = ClientConfig(venue="kraken", reconnect=policy, **emulator.endpoints)
        client = connect(config)
        await client.connect()
        events = client.events()
    # The emulator is gone: every attempt is refused until the session gives up.
    try:
        await statuses(events, StreamState.CLOSED, 1)
    finally:
        try:
            await client.close()
        except Exception:  # the session's TransportError, reported as the client fails
            pass
    errors = [r for r in client_records(caplog) if r.levelno == logging.ERROR]
    assert len(errors) == 1 and "gave up after 2 attempts" in errors[0].getMessage()


def _tokens(venue: str, emulator: Any) -> list[str]:
    # The emulators' token stores are private: reading them is the only way to know which
    # tokens the client was handed, and so to check that none was logged.
    if venue == "kraken":
        return list(emulator.desk.tokens._tokens)
    return list(emulator.tokens._expiry)


@pytest.mark.parametrize("venue", ["kraken", "kucoin"])
async def test_nothing_logged_carries_a_key_secret_passphrase_or_token(venue, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    spec = next(s for s in default_registry().emulators.values() if s.venue == venue)
    async with spec.factory(seed=5) as emulator:
        credentials = emulator.credentials()
        config = ClientConfig(
            venue=venue, reconnect=FAST_RECONNECT, credentials=credentials, **emulator.endpoints
        )
        async with connect(config) as client:
            events = client.events()
            await client.subscribe("ticker", [SYMBOLS[venue]])
            await client.subscribe("orders")
            caplog.clear()
            await emulator.drop_all()  # both sockets: fresh tokens, signed calls, logged
            drops = await statuses(events, StreamState.RECONNECTING, 2)
            await statuses(events, StreamState.RESUBSCRIBED, 2)
            tokens = _tokens(venue, emulator)
        records = client_records(caplog)
    assert any(r.levelno == logging.WARNING for r in records)
    assert len([r for r in records if r.levelno == logging.WARNING]) == len(drops)
    secrets = [credentials.api_key, credentials.api_secret, *tokens]
    if credentials.passphrase:
        secrets.append(credentials.passphrase)
    assert tokens and all(secrets)
    logged = caplog.text + "\n".join(str(r.args) for r in caplog.records)
    for secret in secrets:
        assert secret not in logged


def test_a_url_is_logged_without_its_query_or_password() -> None:
    url = "wss://user:pw@ws.example.com:443/endpoint?token=abc123&connectId=7#frag"
    assert safe_url(url) == "wss://ws.example.com:443/endpoint"


def test_importing_tickwire_configures_no_logging() -> None:
    # A fresh interpreter: the test process's logging is pytest's, not an import's.
    code = (
        "import logging, tickwire.core, tickwire.adapters.kraken, tickwire.adapters.kucoin\n"
        "root = logging.getLogger()\n"
        "tree = logging.getLogger('tickwire')\n"
        "assert root.handlers == [], root.handlers\n"
        "assert [type(h).__name__ for h in tree.handlers] == ['NullHandler'], tree.handlers\n"
        "assert tree.level == logging.NOTSET\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
