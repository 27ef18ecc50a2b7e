"""Client configuration: frozen Structs, loadable from TOML, secrets from the environment.

==================  =====================================================================
struct              what it sets
==================  =====================================================================
``ClientConfig``    the venue, endpoint overrides, credentials and the policies below
``ReconnectPolicy`` backoff base and cap (full jitter), the stable period that resets it,
                    and an optional attempt limit
``HeartbeatPolicy`` application ping interval, silence that counts as a dead socket, and
                    per-channel staleness thresholds (a quiet market is not a dead one)
``QueuePolicy``     the delivery queue's bound and what happens when it is full
==================  =====================================================================

A config file::

    venue = "kraken"

    [endpoints]                 # every URL can be overridden (emulators, proxies)
    ws_url = "ws://127.0.0.1:8765/v2"

    [credentials]               # names of environment variables, never the secrets
    api_key_env = "KRAKEN_API_KEY"
    api_secret_env = "KRAKEN_API_SECRET"

    [reconnect]
    max_delay = 10.0

    [heartbeat.stale_after]     # seconds of silence per channel before it is resubscribed
    book = 30.0

Secrets only ever live in :class:`Credentials`, whose ``repr`` hides them.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

import msgspec

from tickwire.core.errors import ConfigError
from tickwire.core.streams import OverflowPolicy

__all__ = [
    "ClientConfig",
    "Credentials",
    "HeartbeatPolicy",
    "QueuePolicy",
    "ReconnectPolicy",
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


class ClientConfig(msgspec.Struct, frozen=True, kw_only=True):
    """Everything an adapter needs to build a client.

    ``options`` holds venue-specific settings (documented by each adapter).
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
    options: dict[str, Any] = msgspec.field(default_factory=dict)


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
    credentials: _CredentialsFile | None = None
    reconnect: ReconnectPolicy = ReconnectPolicy()
    heartbeat: HeartbeatPolicy = HeartbeatPolicy()
    queue: QueuePolicy = QueuePolicy()
    connect_timeout: float = 10.0
    request_timeout: float = 10.0
    options: dict[str, Any] = msgspec.field(default_factory=dict)


def load_config(path: str | Path) -> ClientConfig:
    """Load a TOML config file; any problem raises one :class:`ConfigError` naming it."""
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
        raise ConfigError(f"{path}: {exc}") from None
    credentials = None
    if parsed.credentials is not None:
        spec = parsed.credentials
        try:
            credentials = Credentials.from_env(
                spec.api_key_env, spec.api_secret_env, spec.passphrase_env
            )
        except ConfigError as exc:
            raise ConfigError(f"{path}: [credentials] {exc}") from None
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
        options=parsed.options,
    )
