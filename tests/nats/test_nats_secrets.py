"""A broker token is read from the environment variable the config names, and shown
nowhere: not in the config's repr, not in an error, not in a log record."""

from __future__ import annotations

import logging

import pytest
from natsserver import NatsServer

from tickwire.core import NatsConfig
from tickwire.core.errors import ConfigError, TransportError
from tickwire.core.nats import connect_nats

TOKEN = "s3cr3t-broker-token-7f2c9a"
WRONG = "wrong-broker-token-b81d44"


@pytest.fixture
async def guarded(tmp_path):
    server = NatsServer(tmp_path)
    server.token = TOKEN
    server.start()
    try:
        await server.ready()
        yield server
    finally:
        server.stop()


async def test_the_token_comes_from_the_named_variable_and_is_never_shown(
    guarded, monkeypatch, caplog
):
    caplog.set_level(logging.DEBUG)
    settings = NatsConfig(url=guarded.url, token_env="TW_TEST_NATS_TOKEN")
    assert TOKEN not in repr(settings)

    monkeypatch.delenv("TW_TEST_NATS_TOKEN", raising=False)
    with pytest.raises(ConfigError, match="TW_TEST_NATS_TOKEN is not set"):
        async with connect_nats(nats=settings):
            pass

    monkeypatch.setenv("TW_TEST_NATS_TOKEN", WRONG)
    with pytest.raises(TransportError, match="authorization refused") as refused:
        async with connect_nats(nats=settings, connect_timeout=10):
            pass  # refused at once: not after the 10 s
    assert WRONG not in str(refused.value) and WRONG not in repr(refused.value)

    monkeypatch.setenv("TW_TEST_NATS_TOKEN", TOKEN)
    async with connect_nats(nats=settings) as client:
        assert TOKEN not in repr(client.settings)
    for record in caplog.records:
        assert TOKEN not in record.getMessage() and WRONG not in record.getMessage()
