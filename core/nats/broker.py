"""The broker side shared by the collector and the read-side client: connect, stream.

Only this subpackage imports ``nats`` (nats-py, the ``nats`` extra). Connection rules:

- ``NatsConfig.url`` may list several servers, comma-separated: nats-py picks one and
  fails over to the others (and to every server the cluster announces).
- Reconnects never give up (``max_reconnect_attempts=-1``), at :data:`RECONNECT_WAIT`
  seconds between attempts: a collector must outlive a broker restart.
- An auth token is read from the environment variable *named* by ``token_env`` when the
  connection is made; a ``.creds`` file is passed by path. Neither value is ever logged
  or put in an error message.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any

import nats
from nats.aio.client import Client as NatsClient
from nats.errors import AuthorizationError
from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from tickwire.core.config import NatsConfig
from tickwire.core.errors import ConfigError, TransportError
from tickwire.core.nats.subjects import validate_prefix

__all__ = ["RECONNECT_WAIT", "connect_broker", "ensure_stream", "servers"]

log = logging.getLogger("tickwire.nats")

RECONNECT_WAIT = 0.25
"""Seconds between reconnect attempts to the broker."""


def servers(config: NatsConfig) -> list[str]:
    """The server URLs of ``config.url`` (comma-separated)."""
    urls = [url.strip() for url in config.url.split(",") if url.strip()]
    if not urls:
        raise ConfigError("[nats] url is empty")
    return urls


async def connect_broker(
    config: NatsConfig,
    *,
    name: str,
    timeout: float = 10.0,
    on_disconnect: Callable[[], Awaitable[None]] | None = None,
    on_reconnect: Callable[[], Awaitable[None]] | None = None,
) -> NatsClient:
    """A connected nats-py client for ``config``; failing that, a TransportError.

    ``on_disconnect``/``on_reconnect`` are awaited by nats-py when the connection drops
    and comes back.
    """
    options: dict[str, Any] = {}
    if config.token_env is not None:
        token = os.environ.get(config.token_env)
        if not token:
            raise ConfigError(
                f"[nats] token_env: environment variable {config.token_env} is not set"
            )
        options["token"] = token
    if config.credentials_file is not None:
        options["user_credentials"] = config.credentials_file

    loop = asyncio.get_running_loop()
    refused: asyncio.Future[str] = loop.create_future()

    async def error_cb(exc: Exception) -> None:
        # nats-py reports every failed (re)connect attempt here: lifecycle, not per
        # message, and by class name only (a server's text could echo credentials).
        # A wrong token comes as a plain nats.errors.Error whose text is the server's
        # "Authorization Violation" (nats-py raises AuthorizationError only for some
        # paths): both are a refusal, reported at once rather than after the timeout.
        violation = "authorization violation" in str(exc).lower()
        if (isinstance(exc, AuthorizationError) or violation) and not refused.done():
            refused.set_result("authorization refused")
        log.debug("nats %s: %s", name, type(exc).__name__)

    async def nothing() -> None:
        pass

    urls = servers(config)
    connecting = asyncio.ensure_future(
        nats.connect(
            servers=urls,
            name=name,
            connect_timeout=max(1, int(timeout)),
            reconnect_time_wait=RECONNECT_WAIT,  # type: ignore[arg-type, unused-ignore]
            max_reconnect_attempts=-1,
            allow_reconnect=True,
            error_cb=error_cb,
            disconnected_cb=on_disconnect or nothing,
            reconnected_cb=on_reconnect or nothing,
            **options,
        )
    )
    # Reconnecting forever is right once connected; the first connection, though,
    # must fail within ``timeout``, and at once when the server refuses our credentials.
    waiting: list[asyncio.Future[Any]] = [connecting, refused]
    done, _ = await asyncio.wait(waiting, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    if connecting in done and connecting.exception() is None:
        return connecting.result()
    reason = refused.result() if refused.done() else None
    if connecting.done():
        exc = connecting.exception()
        reason = reason or type(exc).__name__
    else:
        connecting.cancel()
        try:
            await connecting
        except BaseException:  # it was cancelled: how it ends does not matter
            pass
    # Say which servers, never the options (they may hold the token).
    raise TransportError(
        f"nats: cannot connect to {', '.join(urls)}: {reason or f'no answer in {timeout:g}s'}"
    )


def stream_config(config: NatsConfig) -> StreamConfig:
    """The JetStream stream the collectors write: every subject under the prefix."""
    prefix = validate_prefix(config.prefix)
    return StreamConfig(
        name=config.stream,
        subjects=[f"{prefix}.>"],
        storage=StorageType.FILE,
        discard=DiscardPolicy.OLD,
        max_age=config.max_age or None,
        max_bytes=config.max_bytes,
        num_replicas=config.replicas,
        duplicate_window=config.duplicate_window,
    )


async def ensure_stream(js: JetStreamContext, config: NatsConfig) -> None:
    """Create the stream, or check it and bring its retention in line with ``config``.

    An existing stream that does not cover ``<prefix>.>`` is a ConfigError (another
    application's stream under the same name); a differing retention or replica count
    is updated to the config's and logged.
    """
    wanted = stream_config(config)
    try:
        info = await js.stream_info(config.stream)
    except NotFoundError:
        try:
            await js.add_stream(wanted)
            log.info("nats: created stream %s (%s)", config.stream, wanted.subjects)
            return
        except Exception as exc:
            # Another collector may have created it in the meantime: check it like any
            # other. If it still is not there, the server refused it (overlapping subjects
            # of another stream, too many replicas for the cluster...): say why.
            try:
                info = await js.stream_info(config.stream)
            except NotFoundError:
                raise ConfigError(
                    f"[nats] cannot create stream {config.stream!r} for {wanted.subjects}: {exc}"
                ) from None
    have = info.config
    subject = f"{config.prefix}.>"
    if subject not in (have.subjects or []):
        raise ConfigError(
            f"[nats] stream {config.stream!r} exists with subjects {have.subjects}, "
            f"not {subject!r}: choose another stream name or prefix"
        )
    differs = (
        (have.max_age or 0) != (wanted.max_age or 0)
        or (have.max_bytes or -1) != wanted.max_bytes
        or (have.num_replicas or 1) != wanted.num_replicas
        or (have.duplicate_window or 0) != wanted.duplicate_window
    )
    if differs:
        await js.update_stream(wanted)
        log.info("nats: updated stream %s to the configured retention", config.stream)
