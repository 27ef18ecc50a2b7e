"""KuCoin's REST endpoints the feed needs (WS tokens, symbols, book snapshots, time), and
the signed call every private endpoint goes through.

::

    async with KucoinRest("https://api.kucoin.com", timeout=10.0) as rest:
        bullet = await rest.bullet_public()
        url = bullet.url(connect_id="1")            # wss://...?token=...&connectId=1
        snapshot = await rest.level2_snapshot("BTC-USDT", 100)
        raw = await rest.signed(credentials, "GET", "/api/v1/hf/orders/active",
                                params={"symbol": "BTC-USDT"})

Every KuCoin body is an envelope ``{"code": "200000", "data": ...}``; anything else is
mapped once, by :data:`ERRORS` and :func:`raise_for_envelope`, to the
:mod:`tickwire.core.errors` tree (``shared/reference/kucoin-ws.md`` §12). Transport
failures become :class:`~tickwire.core.errors.TransportError` (the httpx exception is
kept as ``__cause__``, so a caller can tell "never sent" from "sent, no answer").
Messages name the method and path only: never a query, a token, a header or a key.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Literal, NoReturn, Self, TypeVar
from urllib.parse import urlencode

import httpx
import msgspec

from tickwire.adapters.kucoin.parse import VENUE, to_instrument
from tickwire.adapters.kucoin.schemas import BulletData, Envelope, Level2Snapshot, SymbolEntry
from tickwire.adapters.kucoin.signing import sign_headers
from tickwire.core.config import Credentials
from tickwire.core.errors import (
    AuthError,
    ConnectTimeout,
    DecodeError,
    ExchangeError,
    InsufficientFunds,
    InvalidOrder,
    RateLimited,
    SubscriptionError,
    TransportError,
    UnknownOrder,
)
from tickwire.core.http import received_at
from tickwire.core.types import Instrument

__all__ = ["ERRORS", "FULL_BOOK_PATH", "BulletToken", "KucoinRest", "decode", "raise_for_envelope"]

T = TypeVar("T")

SUCCESS = "200000"

ERRORS: dict[str, type[ExchangeError]] = {
    "429000": RateLimited,  # quota exhausted, or server overload
    "400001": AuthError,  # a KC-API-* header is missing
    "400002": AuthError,  # KC-API-TIMESTAMP more than 5 s off
    "400003": AuthError,  # KC-API-KEY does not exist
    "400004": AuthError,  # bad passphrase
    "400005": AuthError,  # bad signature
    "400006": AuthError,  # IP not whitelisted
    "400007": AuthError,  # permission denied
    "411100": AuthError,  # user frozen
    "900001": SubscriptionError,  # symbol does not exist
    "400100": InvalidOrder,  # parameter error (msg says which)
    "400200": InvalidOrder,  # forbidden to place an order
    "400600": InvalidOrder,  # symbol not yet trading
    "200001": InvalidOrder,  # order creation suspended for the pair
    "200002": InvalidOrder,  # order cancel suspended (v1: a rate limit)
    "200003": InvalidOrder,  # too many orders
    "200004": InsufficientFunds,
    "126013": InsufficientFunds,  # HF trading: balance insufficient
    "126044": InvalidOrder,  # clientOid already used (placement reconciles it instead)
}
"""KuCoin error code → the most specific core error; other codes are ``ExchangeError``."""

# A few codes mean something more specific with one exact message (never a substring
# match: KuCoin's texts vary, and a near-miss must fall back to the code's class).
_MESSAGE_ERRORS: dict[tuple[str, str], type[ExchangeError]] = {
    ("400100", "order_not_exist_or_not_allow_to_cancel"): UnknownOrder,
    ("400100", "order_not_exist"): UnknownOrder,
}

FULL_BOOK_PATH = "/api/v3/market/orderbook/level2"
"""The full order book: KuCoin serves it only signed."""

_envelope_decoder = msgspec.json.Decoder(Envelope)
_bullet_decoder = msgspec.json.Decoder(BulletData)
_symbols_decoder = msgspec.json.Decoder(list[SymbolEntry])
_snapshot_decoder = msgspec.json.Decoder(Level2Snapshot)
_time_decoder = msgspec.json.Decoder(int)

_SNAPSHOT_PATHS = {
    20: "/api/v1/market/orderbook/level2_20",
    100: "/api/v1/market/orderbook/level2_100",
}


@dataclass(frozen=True, slots=True)
class BulletToken:
    """A push-WebSocket token with the server to use it on (the first one KuCoin lists).

    The token is left out of ``repr``: it grants a connection.
    """

    token: str = field(repr=False)
    endpoint: str  # wss URL without the token
    ping_interval: float  # seconds between client pings
    ping_timeout: float  # seconds without a pong before the link is dead

    def url(self, connect_id: str) -> str:
        """The URL to connect to: ``<endpoint>?token=...&connectId=<connect_id>``."""
        merged = httpx.URL(self.endpoint).copy_merge_params(
            {"token": self.token, "connectId": connect_id}
        )
        return str(merged)


def raise_for_envelope(
    code: str, msg: str, *, status: int = 200, retry_after: float | None = None
) -> NoReturn:
    """Raise the core error for a KuCoin error ``code`` (with its ``msg``).

    A known code maps through :data:`ERRORS`; an unknown one is
    :class:`~tickwire.core.errors.RateLimited` on HTTP 429, a
    :class:`~tickwire.core.errors.TransportError` on HTTP 5xx (the venue is unwell,
    retry later), and a plain :class:`~tickwire.core.errors.ExchangeError` otherwise.
    ``retry_after`` (seconds) goes with a ``RateLimited``.
    """
    cls = _MESSAGE_ERRORS.get((code, msg)) or ERRORS.get(code)
    if cls is None and status == 429:
        cls = RateLimited
    if cls is RateLimited:
        raise RateLimited(VENUE, code, msg, retry_after=retry_after)
    if cls is None:
        if status >= 500:
            raise TransportError(f"{VENUE}: HTTP {status}: {msg} ({code})")
        cls = ExchangeError
    raise cls(VENUE, code, msg)


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds until the quota resets: KuCoin's ``gw-ratelimit-reset`` is in ms."""
    reset = response.headers.get("gw-ratelimit-reset")
    if reset is not None and reset.isdigit():
        return int(reset) / 1000
    return None


def _unwrap(response: httpx.Response, what: str) -> msgspec.Raw:
    """The ``data`` of a successful envelope; every other response raises (see module)."""
    status = response.status_code
    try:
        envelope: Envelope | None = _envelope_decoder.decode(response.content)
    except msgspec.DecodeError:
        envelope = None  # an HTML error page, a proxy's plain text, garbage
    if envelope is not None:
        code = str(envelope.code)
        if code == SUCCESS and status < 300:
            return envelope.data
        msg = envelope.msg or f"HTTP {status}"
        if code == SUCCESS:  # "success" with an error status: trust the status
            code = str(status)
        raise_for_envelope(code, msg, status=status, retry_after=_retry_after(response))
    if status == 429:
        raise RateLimited(VENUE, status, "Too Many Requests", retry_after=_retry_after(response))
    if status in (401, 403):
        raise AuthError(VENUE, status, f"HTTP {status} on {what}")
    if status >= 500:
        raise TransportError(f"{VENUE}: HTTP {status} on {what}")
    raise DecodeError(f"{VENUE}: {what}: HTTP {status}, not a KuCoin envelope", response.content)


def decode(
    decoder: msgspec.json.Decoder[T], data: msgspec.Raw, what: str, *, secret: bool = False
) -> T:
    """Decode an envelope's ``data``; a shape KuCoin does not send is a DecodeError.

    The error keeps the start of ``data`` for diagnosis, unless it holds a ``secret``.
    """
    try:
        return decoder.decode(data)
    except msgspec.DecodeError as exc:
        frame = b"" if secret else bytes(data)
        raise DecodeError(f"{VENUE}: {what}: unexpected data: {exc}", frame) from exc


@contextmanager
def _transport_errors(what: str) -> Iterator[None]:
    """httpx's transport failures → core ones, naming only ``what`` (method and path)."""
    try:
        yield
    except httpx.ConnectTimeout as exc:
        raise ConnectTimeout(f"{VENUE}: {what}: connect timed out") from exc
    except httpx.TransportError as exc:
        raise TransportError(f"{VENUE}: {what}: {type(exc).__name__}") from exc


class KucoinRest:
    """The public REST calls of the KuCoin feed, over one ``httpx.AsyncClient``.

    ``base_url`` is the REST host (``https://api.kucoin.com``, or an emulator's);
    ``timeout`` applies to each call. A ``client`` passed in is used as is and left open
    by :meth:`aclose`; otherwise one is created over ``transport`` (the client's, from
    core: recorded and replayed) and owned.
    """

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float,
        client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._timeout = timeout
        self._owns_client = client is None
        self._client = client or httpx.AsyncClient(timeout=timeout, transport=transport)
        # When the last response arrived (ns, as the transport stamped it: recorded times
        # in a replay). Read it right after the call returns, before any other await.
        self.last_received = 0

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP client if this object created it."""
        if self._owns_client:
            await self._client.aclose()

    async def _call(
        self, method: str, path: str, params: dict[str, Any] | None = None
    ) -> msgspec.Raw:
        what = f"{method} {path}"
        with _transport_errors(what):
            response = await self._client.request(
                method, self._base_url + path, params=params, timeout=self._timeout
            )
        self.last_received = received_at(response)
        return _unwrap(response, what)

    async def signed(
        self,
        credentials: Credentials,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        body: bytes | None = None,
        timeout: float | None = None,
    ) -> msgspec.Raw:
        """One signed call: the ``data`` of its envelope, or the mapped error.

        ``body`` is the exact JSON sent and signed. The query is signed un-encoded and
        sent encoded, as KuCoin verifies it; ``timeout`` (seconds) overrides the
        client's. Never retried here: a caller that must not repeat a request (an order)
        decides what to do with a failure (see ``__cause__``).
        """
        target = path
        sent = path
        if params:
            target += "?" + "&".join(f"{key}={value}" for key, value in params.items())
            sent += "?" + urlencode(params)
        text = "" if body is None else body.decode()
        headers = sign_headers(credentials, method, target, text)
        if body is not None:
            headers["Content-Type"] = "application/json"
        what = f"{method} {path}"
        with _transport_errors(what):
            response = await self._client.request(
                method,
                self._base_url + sent,
                content=body,
                headers=headers,
                timeout=self._timeout if timeout is None else timeout,
            )
        self.last_received = received_at(response)
        return _unwrap(response, what)

    async def bullet_public(self) -> BulletToken:
        """``POST /api/v1/bullet-public``: a token for public topics, fetched per connect."""
        path = "/api/v1/bullet-public"
        return self._bullet(await self._call("POST", path), path)

    async def bullet_private(self, credentials: Credentials) -> BulletToken:
        """``POST /api/v1/bullet-private`` (signed): a token that may subscribe private topics."""
        path = "/api/v1/bullet-private"
        return self._bullet(await self.signed(credentials, "POST", path), path)

    @staticmethod
    def _bullet(raw: msgspec.Raw, path: str) -> BulletToken:
        bullet = decode(_bullet_decoder, raw, path, secret=True)
        if not bullet.instance_servers:
            raise DecodeError(f"{VENUE}: {path}: no instance server")
        server = bullet.instance_servers[0]
        return BulletToken(
            token=bullet.token,
            endpoint=server.endpoint,
            ping_interval=server.ping_interval / 1000,
            ping_timeout=server.ping_timeout / 1000,
        )

    async def symbols(self) -> list[Instrument]:
        """``GET /api/v2/symbols``: every spot symbol's trading rules."""
        path = "/api/v2/symbols"
        entries = decode(_symbols_decoder, await self._call("GET", path), path)
        return [to_instrument(entry) for entry in entries]

    async def level2_snapshot(
        self, symbol_native: str, depth: Literal[20, 100] | None = None
    ) -> Level2Snapshot:
        """The REST order book of ``symbol_native`` (``BTC-USDT``), to sync level2 with.

        ``depth`` 20 or 100 is the public top-N book. ``None`` asks for the full book,
        which KuCoin serves only signed (``/api/v3/market/orderbook/level2``); until
        signing is configured this falls back to the public top 100, so levels below
        it are not authoritative.
        """
        path = _SNAPSHOT_PATHS.get(100 if depth is None else depth)
        if path is None:
            raise ValueError(f"depth must be 20, 100 or None, got {depth!r}")
        raw = await self._call("GET", path, {"symbol": symbol_native})
        return decode(_snapshot_decoder, raw, path)

    async def full_snapshot(self, credentials: Credentials, symbol_native: str) -> Level2Snapshot:
        """``GET /api/v3/market/orderbook/level2`` (signed): the full book."""
        params = {"symbol": symbol_native}
        raw = await self.signed(credentials, "GET", FULL_BOOK_PATH, params=params)
        return decode(_snapshot_decoder, raw, FULL_BOOK_PATH)

    async def server_time(self) -> int:
        """``GET /api/v1/timestamp``: the venue's clock, in ms since the epoch."""
        path = "/api/v1/timestamp"
        return decode(_time_decoder, await self._call("GET", path), path)
