"""Client configuration: frozen Structs, loadable from TOML, secrets from the environment.

==========================  ==============================================================
struct                      what it sets
==========================  ==============================================================
``ClientConfig``            the venue, endpoint overrides, credentials, subscriptions and
                            the policies below
``ReconnectPolicy``         backoff base and cap (full jitter), the stable period that
                            resets it, and an optional attempt limit
``HeartbeatPolicy``         application ping interval, silence that counts as a dead
                            socket, and per-channel staleness thresholds (a quiet market
                            is not a dead one)
``QueuePolicy``             the delivery queue's bound and what happens when it is full
``SubscriptionConfig``      one ``[[subscriptions]]`` entry: a channel, its symbols, options
``NatsConfig``              the ``[nats]`` table: broker, stream and consumer settings of
                            ``tickwire publish`` and the ``nats`` read-side adapter
==========================  ==============================================================

The file format (``load_config(path)``, ``connect("file.toml")``,
``tickwire stream --config FILE``). Every key is optional except ``venue``::

    venue = "kraken"              # a registered adapter name (`tickwire exchanges`)
    connect_timeout = 10.0        # seconds to the first handshaken socket
    request_timeout = 10.0        # seconds to a subscribe ack or any other reply
    max_frame_size = 8388608      # bytes; a larger frame is refused, its socket replaced

    [endpoints]                   # every URL can be overridden (emulators, proxies)
    ws_url = "ws://127.0.0.1:8765/v2"       # public WebSocket
    ws_auth_url = "ws://127.0.0.1:8765/v2-auth"   # private WebSocket
    rest_url = "http://127.0.0.1:8765"      # REST base (tokens, snapshots, orders)

    [credentials]                 # NAMES of environment variables, never the secrets
    api_key_env = "KRAKEN_API_KEY"
    api_secret_env = "KRAKEN_API_SECRET"
    passphrase_env = "KUCOIN_PASSPHRASE"    # only venues that have one (KuCoin)

    [reconnect]                   # capped exponential backoff with full jitter
    base_delay = 0.5
    max_delay = 30.0
    stable_after = 60.0           # a connection up this long resets the backoff
    max_attempts = 20             # omit: never give up

    [heartbeat]
    ping_interval = 10.0          # omit: the venue's recommendation
    idle_timeout = 15.0           # no frame at all for this long: replace the socket
    [heartbeat.stale_after]       # seconds of silence per channel before it is renewed
    book = 30.0

    [queue]                       # the delivery queue between sockets and your code
    maxsize = 100000
    overflow = "block"            # or "drop_market_data" (account events never drop)

    [options]                     # venue-specific settings, documented by each adapter;
    msg_limit = 100               # rate limits are the venue's own, declared by the
    msg_window = 10.0             # adapter; these tune KuCoin's per-socket message quota

    [[subscriptions]]             # subscribed on connect by `tickwire stream --config`
    channel = "ticker"            # and by programs that read ``config.subscriptions``
    symbols = ["BTC/USD", "ETH/USD"]

    [[subscriptions]]
    channel = "book"
    symbols = ["BTC/USD"]
    options = { depth = 10 }

    [nats]                        # NATS JetStream (see tickwire.core.nats, NatsConfig)
    url = "nats://127.0.0.1:4222" # several servers: comma-separated
    stream = "TICKWIRE"

    [app]                         # the program's own settings (``config.app``); tickwire
    market = "BTC/USD"            # reads none of them

Rate limits: tickwire paces every send inside the venue's documented limits (declared
by each adapter as :class:`~tickwire.core.ratelimit.Quota` values); where a venue lets
you tune them, the knobs are that adapter's ``[options]``.

Credentials can instead be one table per venue, so that switching venues is changing
the ``venue`` line alone: the table named by ``venue`` is used (every table is checked;
no table for the selected venue means no credentials)::

    [credentials.kraken]
    api_key_env = "KRAKEN_API_KEY"
    api_secret_env = "KRAKEN_API_SECRET"

    [credentials.kucoin]
    api_key_env = "KUCOIN_API_KEY"
    api_secret_env = "KUCOIN_API_SECRET"
    passphrase_env = "KUCOIN_PASSPHRASE"

Any problem is one :class:`~tickwire.core.errors.ConfigError` line naming the file and
the key: an unknown key (a typo), a value of the wrong type, a missing required key, or
a credentials variable that is not set. Secrets only ever live in :class:`Credentials`,
whose ``repr`` hides them.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

import msgspec

from tickwire.core.config_errors import describe
from tickwire.core.errors import ConfigError
from tickwire.core.streams import OverflowPolicy
from tickwire.core.types import Channel

__all__ = [
    "ClientConfig",
    "Credentials",
    "HeartbeatPolicy",
    "NatsConfig",
    "QueuePolicy",
    "ReconnectPolicy",
    "SubscriptionConfig",
    "load_config",
]


class _Policy(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    pass


class ReconnectPolicy(_Policy, frozen=True):
    """Capped exponential backoff with full jitter between reconnect attempts."""

    base_delay: float = 0.5
    max_delay: float = 30.0
    stable_after: float = 60.0  # a connection up this long resets the backoff
    max_attempts: int | None = None  # retries after a failure; None: never give up


class HeartbeatPolicy(_Policy, frozen=True):
    """Liveness rules for every socket.

    ``idle_timeout``: no frame at all (heartbeats and pongs included) for this long
    means the socket is dead and is replaced. ``stale_after`` maps a channel name to
    the silence after which that one subscription is reported stale and renewed; a
    channel not listed is never stale (trades can be quiet for hours).
    """

    ping_interval: float | None = None  # None: the venue's own recommendation
    idle_timeout: float = 15.0
    stale_after: dict[str, float] = msgspec.field(default_factory=lambda: {"book": 60.0})


class QueuePolicy(_Policy, frozen=True):
    """The delivery queue's bound, and what to do when the consumer falls behind."""

    maxsize: int = 100_000
    overflow: OverflowPolicy = OverflowPolicy.BLOCK


class SubscriptionConfig(_Policy, frozen=True):
    """One ``[[subscriptions]]`` entry: ``channel`` for unified ``symbols``, with ``options``.

    Account channels (``balances``, ``orders``) take no symbols; ``options`` are the
    channel extras :meth:`~tickwire.core.protocol.StreamClient.subscribe` accepts::

        for sub in config.subscriptions:
            await client.subscribe(sub.channel, sub.symbols, **sub.options)
    """

    channel: Channel
    symbols: tuple[str, ...] = ()
    options: dict[str, Any] = msgspec.field(default_factory=dict)


class NatsConfig(_Policy, frozen=True):
    """The ``[nats]`` table: where ``tickwire publish`` writes and the ``nats`` adapter reads.

    ======================  ==========================================================
    key                     meaning
    ======================  ==========================================================
    ``url``                 ``nats://host:port``; a cluster: several, comma-separated
    ``stream``              the JetStream stream name (created or checked on publish)
    ``prefix``              subject prefix: ``<prefix>.<venue>.<channel>.<symbol>``
    ``max_age``             seconds a message is kept (0: no age limit)
    ``max_bytes``           bytes the stream keeps, oldest dropped first (-1: no limit)
    ``replicas``            copies of each message in a cluster (1, 3 or 5)
    ``duplicate_window``    seconds the server remembers message ids (de-duplication)
    ``snapshot_interval``   seconds between the collector's book snapshots
    ``buffer``              events the collector holds while the broker is away
    ``durable``             read side: a durable consumer name (resume after restart)
    ``venues``              read side: the venues to read (empty: every venue)
    ``credentials_file``    path of a NATS ``.creds`` file (a path, not a secret)
    ``token_env``           NAME of the environment variable holding an auth token
    ======================  ==========================================================
    """

    url: str = "nats://127.0.0.1:4222"
    stream: str = "TICKWIRE"
    prefix: str = "tickwire"
    max_age: float = 86400.0
    max_bytes: int = -1
    replicas: int = 1
    duplicate_window: float = 120.0
    snapshot_interval: float = 5.0
    buffer: int = 100_000
    durable: str | None = None
    venues: tuple[str, ...] = ()
    credentials_file: str | None = None
    token_env: str | None = None


class Credentials:
    """API credentials. Never shown: ``repr`` and ``str`` mask every value."""

    __slots__ = ("api_key", "api_secret", "passphrase")

    def __init__(self, api_key: str, api_secret: str, passphrase: str | None = None) -> None:
        self.api_key = api_key
        self.api_secret = api_secret
        self.passphrase = passphrase

    def __repr__(self) -> str:
        return "Credentials(api_key='***', api_secret='***')"

    __str__ = __repr__

    @classmethod
    def from_env(
        cls, api_key_env: str, api_secret_env: str, passphrase_env: str | None = None
    ) -> Credentials:
        """Read credentials from environment variables; a missing one is a ConfigError."""
        names = [api_key_env, api_secret_env] + ([passphrase_env] if passphrase_env else [])
        missing = [name for name in names if not os.environ.get(name)]
        if missing:
            raise ConfigError(f"missing environment variable(s): {', '.join(missing)}")
        passphrase = os.environ[passphrase_env] if passphrase_env else None
        return cls(os.environ[api_key_env], os.environ[api_secret_env], passphrase)


DEFAULT_MAX_FRAME_SIZE = 8 * 2**20
"""Frames above this many bytes are refused and their socket replaced. A 1000-level Kraken
book snapshot is about 60 kB and KuCoin's largest pushes are smaller: 8 MiB leaves room
without letting one frame take a process's memory."""


class ClientConfig(msgspec.Struct, frozen=True, kw_only=True):
    """Everything an adapter needs to build a client.

    ``options`` holds venue-specific settings (documented by each adapter);
    ``subscriptions`` is what the config file asks to subscribe (adapters ignore it: the
    program, or ``tickwire stream --config``, subscribes them); ``app`` is the file's
    ``[app]`` table, the program's own settings, which tickwire never reads.
    """

    venue: str
    ws_url: str | None = None
    ws_auth_url: str | None = None
    rest_url: str | None = None
    credentials: Credentials | None = None
    reconnect: ReconnectPolicy = ReconnectPolicy()
    heartbeat: HeartbeatPolicy = HeartbeatPolicy()
    queue: QueuePolicy = QueuePolicy()
    connect_timeout: float = 10.0
    request_timeout: float = 10.0
    max_frame_size: int = DEFAULT_MAX_FRAME_SIZE
    options: dict[str, Any] = msgspec.field(default_factory=dict)
    subscriptions: tuple[SubscriptionConfig, ...] = ()
    app: dict[str, Any] = msgspec.field(default_factory=dict)
    nats: NatsConfig | None = None  # the [nats] table (tickwire.core.nats)


# --- the file format ----------------------------------------------------------------


class _Endpoints(_Policy, frozen=True):
    ws_url: str | None = None
    ws_auth_url: str | None = None
    rest_url: str | None = None


class _CredentialsFile(_Policy, frozen=True):
    api_key_env: str
    api_secret_env: str
    passphrase_env: str | None = None


class _ConfigFile(_Policy, frozen=True):
    venue: str
    endpoints: _Endpoints = _Endpoints()
    # Flat (one set of variable names) or one table per venue: told apart in load_config,
    # as msgspec cannot choose between a Struct and a dict by their keys.
    credentials: dict[str, Any] | None = None
    reconnect: ReconnectPolicy = ReconnectPolicy()
    heartbeat: HeartbeatPolicy = HeartbeatPolicy()
    queue: QueuePolicy = QueuePolicy()
    connect_timeout: float = 10.0
    request_timeout: float = 10.0
    max_frame_size: int = DEFAULT_MAX_FRAME_SIZE
    options: dict[str, Any] = msgspec.field(default_factory=dict)
    subscriptions: tuple[SubscriptionConfig, ...] = ()
    app: dict[str, Any] = msgspec.field(default_factory=dict)
    nats: NatsConfig | None = None


def load_config(path: str | Path, *, secrets: bool = True) -> ClientConfig:
    """Load a TOML config file; any problem raises one :class:`ConfigError` naming it.

    ``[credentials]`` is either one set of variable names or one table per venue
    (``[credentials.kraken]``...), of which the one named by ``venue`` is used.
    ``secrets=False`` checks the ``[credentials]`` table(s) but reads no environment
    variable and leaves ``credentials`` unset: for running the file against an emulator,
    which brings its own account (:func:`tickwire.core.testing.emulated`).
    """
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    try:
        parsed = msgspec.convert(raw, _ConfigFile)
    except msgspec.ValidationError as exc:
        raise ConfigError(f"{path}: {describe(exc, _known_keys())}") from None
    spec, where = _credentials_spec(path, parsed.venue, parsed.credentials)
    credentials = None
    if spec is not None and secrets:
        unset = [
            f"{where}.{key}: environment variable {name} is not set"
            for key in ("api_key_env", "api_secret_env", "passphrase_env")
            if (name := getattr(spec, key)) is not None and not os.environ.get(name)
        ]
        if unset:
            # Only variable names are printed: the values are the secrets.
            raise ConfigError(f"{path}: missing secret: {'; '.join(unset)}")
        credentials = Credentials.from_env(
            spec.api_key_env, spec.api_secret_env, spec.passphrase_env
        )
    return ClientConfig(
        venue=parsed.venue,
        ws_url=parsed.endpoints.ws_url,
        ws_auth_url=parsed.endpoints.ws_auth_url,
        rest_url=parsed.endpoints.rest_url,
        credentials=credentials,
        reconnect=parsed.reconnect,
        heartbeat=parsed.heartbeat,
        queue=parsed.queue,
        connect_timeout=parsed.connect_timeout,
        request_timeout=parsed.request_timeout,
        max_frame_size=parsed.max_frame_size,
        options=parsed.options,
        subscriptions=parsed.subscriptions,
        app=parsed.app,
        nats=parsed.nats,
    )


def _credentials_spec(
    path: Path, venue: str, table: dict[str, Any] | None
) -> tuple[_CredentialsFile | None, str]:
    """The variable names for ``venue``, and the TOML key they were found under."""
    if table is None:
        return None, "credentials"
    # Only tables inside: one per venue. A flat table has string values (or a typo).
    if table and all(isinstance(value, dict) for value in table.values()):
        specs = {
            name: _convert_credentials(path, value, f"credentials.{name}")
            for name, value in table.items()
        }
        return specs.get(venue), f"credentials.{venue}"
    return _convert_credentials(path, table, "credentials"), "credentials"


def _convert_credentials(path: Path, value: Any, where: str) -> _CredentialsFile:
    try:
        return msgspec.convert(value, _CredentialsFile)
    except msgspec.ValidationError as exc:
        raise ConfigError(f"{path}: {describe(exc, _known_keys(), where)}") from None


def _known_keys() -> set[str]:
    """Every key name of the format: the fields of every Struct defined here."""
    return {
        name
        for value in globals().values()
        if isinstance(value, type) and issubclass(value, msgspec.Struct)
        for name in value.__struct_fields__
    }
