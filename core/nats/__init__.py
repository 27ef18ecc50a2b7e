"""Scale-out on NATS JetStream: collectors publish, typed clients read, on any machine.

::

    collector (one per venue or symbol set)          consumers (any number, any machine)
    venue ─► client ─► Publisher ─► JetStream ─► NatsStreamClient ─► events(), book()

- :mod:`~tickwire.core.nats.subjects`: ``<prefix>.<venue>.<channel>.<symbol>`` and the
  symbol-token escaping rule.
- :mod:`~tickwire.core.nats.codec`: one event per message, msgspec JSON, and the headers.
- :mod:`~tickwire.core.nats.publisher`: :class:`Publisher` and :func:`run_publisher`
  (``tickwire publish``): de-duplication ids, the stream, book snapshots, outages.
- :mod:`~tickwire.core.nats.client`: :class:`NatsStreamClient` and :func:`connect_nats`,
  the adapter named ``nats``.

Needs the ``nats`` extra (``pip install 'tickwire[nats]'``, i.e. nats-py). Settings are
the ``[nats]`` table, :class:`~tickwire.core.config.NatsConfig`.
"""

from tickwire.core.nats.client import NatsStreamClient, connect_nats
from tickwire.core.nats.publisher import Publisher, PublisherStats, msg_id, run_publisher

__all__ = [
    "NatsStreamClient",
    "Publisher",
    "PublisherStats",
    "connect_nats",
    "msg_id",
    "run_publisher",
]
