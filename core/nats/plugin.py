"""Registers the read side of a NATS JetStream feed as the adapter named ``nats``.

Loaded through the ``tickwire.adapters`` entry point like the built-in venues. The hook
imports nothing from nats-py: the client module is imported when a client is built, so
``tickwire exchanges`` works without the ``nats`` extra and ``connect("nats")`` says
what to install.
"""

from __future__ import annotations

from tickwire.core.config import ClientConfig
from tickwire.core.errors import ConfigError
from tickwire.core.hookspecs import AdapterSpec, hookimpl
from tickwire.core.protocol import StreamClient
from tickwire.core.types import Channel

__all__ = ["register_adapters"]


def _factory(config: ClientConfig) -> StreamClient:
    try:
        from tickwire.core.nats.client import NatsStreamClient
    except ImportError as exc:
        message = f"the nats adapter needs nats-py: pip install 'tickwire[nats]' ({exc})"
        raise ConfigError(message) from None
    return NatsStreamClient(config)


@hookimpl
def register_adapters() -> list[AdapterSpec]:
    """The ``nats`` adapter: events published by ``tickwire publish``, read from JetStream."""
    return [
        AdapterSpec(
            name="nats",
            factory=_factory,
            channels=frozenset(Channel),
            description="events of tickwire collectors, read from NATS JetStream",
        )
    ]
