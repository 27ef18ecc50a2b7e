"""``tickwire publish`` as a collector process and ``tickwire stream nats`` as a viewer."""

from __future__ import annotations

import asyncio
import sys

import pytest

from tickwire.core.types import Trade, decode_event
from tickwire.exchanges.kraken import KrakenEmulator

CLI = [sys.executable, "-m", "tickwire.core.cli"]


@pytest.mark.slow
async def test_publish_and_view_through_the_broker(nats_server, tmp_path):
    async with KrakenEmulator(seed=3, interval=0.02) as ex:
        config = tmp_path / "kraken.toml"
        config.write_text(
            'venue = "kraken"\n'
            "[endpoints]\n"
            f'ws_url = "{ex.ws_url}"\nws_auth_url = "{ex.ws_auth_url}"\n'
            f'rest_url = "{ex.rest_url}"\n'
            "[nats]\nsnapshot_interval = 1.0\n"
            '[[subscriptions]]\nchannel = "trades"\nsymbols = ["BTC/USD"]\n'
            '[[subscriptions]]\nchannel = "book"\nsymbols = ["BTC/USD"]\n'
        )
        publisher = await asyncio.create_subprocess_exec(
            *CLI, "publish", "--config", str(config), "--nats", nats_server.url,
            "--duration", "6",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert publisher.stdout is not None
        async with asyncio.timeout(20):
            first = await publisher.stdout.readline()
        assert first.startswith(b"publishing kraken to " + nats_server.url.encode()), first
        viewer = await asyncio.create_subprocess_exec(
            *CLI, "stream", "nats", "--ws-url", nats_server.url, "--channel", "trades",
            "--symbol", "BTC/USD", "--json", "--duration", "2",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        async with asyncio.timeout(30):
            shown, errors = await viewer.communicate()
            rest, problems = await publisher.communicate()
        assert viewer.returncode == 0, errors
        trades = [e for e in map(decode_event, shown.splitlines()) if isinstance(e, Trade)]
        assert trades and all(t.venue == "kraken" and t.symbol == "BTC/USD" for t in trades)
        assert publisher.returncode == 0, problems
        assert b"kraken: PublisherStats(dropped=0" in rest, rest


def test_publish_without_a_nats_url_is_one_line(tmp_path, capsys):
    from tickwire.core.cli import main

    config = tmp_path / "c.toml"
    config.write_text(
        'venue = "kraken"\n[[subscriptions]]\nchannel = "trades"\nsymbols = ["BTC/USD"]\n'
    )
    assert main(["publish", "--config", str(config)]) == 1
    assert "has no [nats] table: pass --nats URL" in capsys.readouterr().err


async def test_reading_a_broker_without_the_stream_is_a_config_error(nats_server):
    from tickwire.core.errors import ConfigError
    from tickwire.core.nats import connect_nats

    async with connect_nats(nats_server.url) as reader:
        with pytest.raises(ConfigError, match="stream 'TICKWIRE' not found"):
            await reader.subscribe("trades", ["BTC/USD"])
