"""The records of a recording: msgspec Structs, one tagged union, encoded as MessagePack.

Every record is a MessagePack *array* whose first element is its kind (``array_like``
Structs with a string tag), the fields following in declaration order::

    ["frame", session, received_ns, data: bin, text: bool]
    ["connect", session, url, ts]
    ["disconnect", session, reason, ts]
    ["subscribe", session, channel, symbols, options, ts]      (and "unsubscribe")
    ["snapshot", session, key, received_ns, body: bin]
    ["status", session, state, reason, ts]
    ["sent", session, data: bin]                    a request the client sent
    ["notice", session, event: bin]                 a status or error event (JSON)
    ["header", format_version, venue, tickwire_version, created_ns, series, seq, config]
    ["end", reason, ts, next]                       the last record of a closed file

Why MessagePack and not JSON. Measured by ``tests/benchmarks/bench_recording.py`` on
varied Kraken/KuCoin market-data frames (~270 B each): a frame record is 286-301 B as
MessagePack and 394-414 B as JSON (+35 %), 21.5-26.6 B against 23.9-28.4 B once
zstandard has compressed the block; a record encodes in ~0.3 µs against ~0.6 µs and
decodes in ~0.45 µs against ~0.8 µs. Beyond the figures, frames are bytes, and
MessagePack carries them verbatim as ``bin`` while JSON must base64 them (a record no
longer shows the frame) or decode them to ``str`` (a UTF-8 check per frame, and BINARY
frames do not fit at all). Field names are not repeated
(``array_like``), so a record adds ~20 bytes to its frame before compression.

Compatibility: a reader skips records whose kind it does not know (a newer writer may
add kinds without a version bump), and ignores trailing fields it does not know (a newer
writer may append fields with defaults). Anything else (a field removed, reordered or
retyped) bumps :data:`FORMAT_VERSION`, and an older reader then refuses the file.

Secrets never reach a record: :func:`strip_url` drops the query string, fragment and
user info of every URL (a KuCoin WebSocket URL carries its token in the query), and
:func:`sanitize_config` drops the credentials and any option or app key that looks like
a secret.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final, get_args

import msgspec

from tickwire.core.http import safe_url as strip_url

__all__ = [
    "FORMAT_VERSION",
    "KINDS",
    "Connect",
    "Disconnect",
    "End",
    "Frame",
    "Header",
    "Notice",
    "Record",
    "Sent",
    "Snapshot",
    "Status",
    "Subscribe",
    "Unsubscribe",
    "sanitize_config",
    "strip_url",
]

FORMAT_VERSION: Final = 1
"""The version of the block layout and record schemas; a reader refuses newer files."""


class _Record(msgspec.Struct, frozen=True, array_like=True, tag_field="kind"):
    """Common base: positional (array-like) encoding with the kind as first element."""


class Frame(_Record, frozen=True, tag="frame", gc=False):
    """One raw WebSocket frame as the socket ``session`` received it.

    ``received`` is the local receive time (ns since the epoch); ``text`` tells a TEXT
    frame (``data`` is its UTF-8 bytes) from a BINARY one. Not tracked by the garbage
    collector (``gc=False``: it holds no container): a writer keeps thousands of them per
    block, and tracked objects would make every collection scan them.
    """

    session: str
    received: int
    data: bytes
    text: bool = True


class Connect(_Record, frozen=True, tag="connect"):
    """Socket ``session`` connected to ``url`` (query string and user info stripped)."""

    session: str
    url: str
    ts: int


class Disconnect(_Record, frozen=True, tag="disconnect"):
    """Socket ``session`` closed or was lost, for ``reason``."""

    session: str
    reason: str
    ts: int


class Subscribe(_Record, frozen=True, tag="subscribe"):
    """A subscription was requested on ``session``: ``channel`` for ``symbols``."""

    session: str
    channel: str
    symbols: tuple[str, ...]
    options: dict[str, Any]
    ts: int


class Unsubscribe(_Record, frozen=True, tag="unsubscribe"):
    """A subscription was dropped on ``session``: ``channel`` for ``symbols``."""

    session: str
    channel: str
    symbols: tuple[str, ...]
    options: dict[str, Any]
    ts: int


class Snapshot(_Record, frozen=True, tag="snapshot"):
    """A REST response the client used, e.g. a KuCoin level-2 snapshot.

    ``key`` says what it answers (``"level2:BTC-USDT"``); ``body`` is the raw response
    body, so a replay serves the client exactly what it got.
    """

    session: str
    key: str
    received: int
    body: bytes


class Sent(_Record, frozen=True, tag="sent"):
    """A request the client sent on ``session`` (keepalive pings are not recorded).

    A replay waits for the client to send the same frame before it hands over the
    venue's reply, as the venue did: a reply never overtakes its request.
    """

    session: str
    data: bytes


class Notice(_Record, frozen=True, tag="notice"):
    """A status or error event the client emitted (``encode_event`` JSON), in order.

    Statuses and errors are the client's own happenings (a reconnect's reason, a
    resync), not the venue's: a replay yields the recorded ones where they occurred.
    """

    session: str
    event: bytes


class Status(_Record, frozen=True, tag="status"):
    """A note in the style of :class:`~tickwire.core.types.StreamStatus`: state and reason."""

    session: str
    state: str
    reason: str
    ts: int


class Header(_Record, frozen=True, tag="header"):
    """The first record of every file.

    ``series`` identifies one writer's run and ``seq`` numbers its files from 0, so a
    missing file of a rotated series can be told. ``config`` is the client config with
    credentials and secret-looking keys removed (see :func:`sanitize_config`).
    """

    format_version: int
    venue: str
    tickwire_version: str
    created: int
    series: str
    seq: int
    config: dict[str, Any]


class End(_Record, frozen=True, tag="end"):
    """The last record of a file the writer closed: ``reason`` is ``"close"`` or
    ``"rotate"``; ``next`` names the file that continues the series (rotation), so a
    reader of the series can tell a missing file. A file without it was not closed:
    the writer crashed, or is still writing.
    """

    reason: str
    ts: int
    next: str | None = None


Record = (
    Frame
    | Connect
    | Disconnect
    | Subscribe
    | Unsubscribe
    | Snapshot
    | Status
    | Sent
    | Notice
    | Header
    | End
)
"""Any record of a recording."""

KINDS: Final = frozenset(str(cls.__struct_config__.tag) for cls in get_args(Record))
"""The record kinds this version knows; any other kind is skipped when read."""

# --- secrets ---------------------------------------------------------------------------

_SECRET_KEY = re.compile(r"secret|passphrase|password|token|api_?key|signature", re.I)


def _scrub(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {
            key: _scrub(item)
            for key, item in value.items()
            if not (isinstance(key, str) and _SECRET_KEY.search(key))
        }
    if isinstance(value, list | tuple):
        return [_scrub(item) for item in value]
    if isinstance(value, str) and "://" in value:
        return strip_url(value)
    return value


def sanitize_config(config: msgspec.Struct | Mapping[str, Any] | None) -> dict[str, Any]:
    """A client config as plain data, safe to write: no credentials, no secrets.

    The ``credentials`` field is dropped whole; any key (at any depth) whose name looks
    like a secret (``secret``, ``passphrase``, ``password``, ``token``, ``api_key``,
    ``signature``) is dropped; every URL is passed through :func:`strip_url`.
    """
    if config is None:
        return {}
    if isinstance(config, msgspec.Struct):
        data = {
            name: getattr(config, name)
            for name in config.__struct_fields__
            if name != "credentials"
        }
        plain: Any = msgspec.to_builtins(data, enc_hook=_refuse)
    else:
        plain = msgspec.to_builtins(
            {k: v for k, v in config.items() if k != "credentials"}, enc_hook=_refuse
        )
    scrubbed: dict[str, Any] = _scrub(plain)
    return scrubbed


def _refuse(obj: Any) -> Any:
    # An object msgspec cannot turn into data is left out rather than repr()'d: a repr
    # could carry a secret.
    return None
