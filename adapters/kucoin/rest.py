"""KuCoin's REST endpoints the feed needs (WS tokens, symbols, book snapshots, time), and
the one call every endpoint goes through, signed and weighted where it must be.

::

    async with KucoinRest("https://api.kucoin.com", timeout=10.0, credentials=keys) as rest:
        bullet = await rest.bullet_public()
        url = bullet.url(connect_id="1")            # wss://...?token=...&connectId=1
        snapshot = await rest.level2_snapshot("BTC-USDT", 100)
        raw = await rest.call("GET", f"{ORDERS}/active", signed=True, pool=SPOT, weight=2,
                              params={"symbol": "BTC-USDT"})

A call naming a ``pool`` first takes its weight from the account's :data:`QUOTAS` (token
and book-snapshot calls name none: ``docs/venues/kucoin.md`` says why). Every body is an
envelope ``{"code": "200000", "data": ...}``, opened on core's one request path
(:meth:`~tickwire.core.rest_client.RestClient.request`, errors by :data:`.errors.ERRORS`).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
import msgspec

from tickwire.adapters.kucoin.errors import ERRORS
from tickwire.adapters.kucoin.parse import VENUE, to_instrument
from tickwire.adapters.kucoin.schemas import BulletData, Envelope, Level2Snapshot, SymbolEntry
from tickwire.adapters.kucoin.signing import sign_headers
from tickwire.adapters.kucoin.trade_schemas import ActiveSymbols, OrderDetail
from tickwire.core import rest
from tickwire.core.errors import AuthError, DecodeError
from tickwire.core.fetcher import ServerTime
from tickwire.core.ratelimit import Quota
from tickwire.core.rest_client import RestClient
from tickwire.core.types import Instrument

__all__ = [
    "CLOCK_SKEW",
    "FULL_BOOK_PATH",
    "MANAGEMENT",
    "ORDERS",
    "PUBLIC",
    "QUOTAS",
    "SPOT",
    "BulletToken",
    "KucoinRest",
]

SUCCESS = "200000"

ORDERS = "/api/v1/hf/orders"
"""The HF order endpoints' root."""
FULL_BOOK_PATH = "/api/v3/market/orderbook/level2"
"""The full order book: KuCoin serves it only signed."""
CLOCK_SKEW = "400002"
"""KuCoin's refusal of a ``KC-API-TIMESTAMP`` more than 5 s from its own clock."""
TIME_PATH = "/api/v1/timestamp"
PUBLIC, SPOT, MANAGEMENT = "kucoin:public", "kucoin:spot", "kucoin:management"
QUOTAS = {PUBLIC: Quota(2000, 30.0), SPOT: Quota(4000, 30.0), MANAGEMENT: Quota(2000, 30.0)}
"""KuCoin's REST resource pools (VIP 0), weights per 30 s."""
_encoder = msgspec.json.Encoder()

_envelope_decoder = msgspec.json.Decoder(Envelope)

BOOK_PATHS = {20: "/api/v1/market/orderbook/level2_20", 100: "/api/v1/market/orderbook/level2_100"}
"""The public top-N books, by N."""


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


class KucoinRest(RestClient):
    """The REST calls of the KuCoin feed and account, over core's
    :class:`~tickwire.core.rest_client.RestClient` (``base_url``: ``https://api.kucoin.com``
    or an emulator's; ``timeout`` per call; ``credentials`` sign the private calls;
    ``limiter`` holds the :data:`QUOTAS` keys, default a limiter of its own with them;
    ``client``/``transport`` as core documents)."""

    venue = VENUE
    quotas = QUOTAS
    errors = ERRORS
    reset_header = "gw-ratelimit-reset"  # ms until a refused pool refills
    clock_offset_ms = 0
    """The venue's clock minus ours (ms), added to every signing timestamp: set by
    :meth:`measure_clock`, which :meth:`call` also calls (then retries once) when KuCoin
    refuses a timestamp (``400002``)."""

    def open_envelope(self, body: bytes, status: int) -> msgspec.Raw | tuple[str, str]:
        """KuCoin's envelope: its ``data`` on success, else its code and message."""
        envelope = _envelope_decoder.decode(body)
        code = str(envelope.code)
        if code == SUCCESS and status < 300:
            return envelope.data
        # "Success" with an error status: trust the status.
        return str(status) if code == SUCCESS else code, envelope.msg or f"HTTP {status}"

    async def call(
        self,
        method: str,
        path: str,
        *,
        signed: bool = False,
        pool: str | None = None,
        weight: int = 1,
        params: dict[str, str] | None = None,
        body: Any = None,
        timeout: float | None = None,
    ) -> msgspec.Raw:
        """One call: the ``data`` of its envelope, or the mapped error.

        ``signed`` calls need the credentials (:class:`~tickwire.core.errors.ConfigError`
        without); a ``pool`` is charged ``weight`` first, then the request is dated.
        ``body`` is encoded once (``bytes`` are taken as the exact JSON) and that text is
        sent and signed. The query is signed un-encoded and sent encoded, as KuCoin
        verifies it; ``timeout`` (seconds) overrides the client's. Retried only once after
        a timestamp refusal (:attr:`clock_offset_ms`): an order must not be sent twice.
        """
        credentials = self.keys(f"{method} {path}") if signed else None
        if pool is not None:
            await self.limiter.acquire(pool, cost=weight)
        content = body if body is None or isinstance(body, bytes) else _encoder.encode(body)
        target = path  # signed with the query un-encoded, as KuCoin verifies it
        if params:
            target += "?" + "&".join(f"{key}={value}" for key, value in params.items())
        retried = False
        while True:
            headers = {} if content is None else {"Content-Type": "application/json"}
            if credentials is not None:
                stamp = time.time_ns() // 1_000_000 + self.clock_offset_ms
                text = "" if content is None else content.decode()
                headers |= sign_headers(credentials, method, target, text, stamp)
            try:
                return await self.request(
                    method, path, params=params, content=content, headers=headers, timeout=timeout
                )
            except AuthError as exc:
                if retried or credentials is None or str(exc.code) != CLOCK_SKEW:
                    raise
            # Our clock is off the venue's: KuCoin refused the timestamp at its gateway,
            # before doing anything (an order was not placed), so sending again is safe.
            # Once, with the offset measured now.
            await self.measure_clock(timeout=timeout)
            retried = True

    async def measure_clock(self, *, timeout: float | None = None) -> ServerTime:
        """``GET /api/v1/timestamp``, timed: the venue's clock against ours at the middle
        of the round trip. Keeps the offset (:attr:`clock_offset_ms`) for signing."""
        measured = await ServerTime.measure(VENUE, self._server_time(timeout))
        self.clock_offset_ms = round(measured.offset / 1_000_000)
        return measured

    async def _server_time(self, timeout: float | None) -> int:
        raw = await self.call("GET", TIME_PATH, timeout=timeout)
        return rest.decode(VENUE, raw, int, TIME_PATH) * 1_000_000

    async def bullet_public(self) -> BulletToken:
        """``POST /api/v1/bullet-public``: a token for public topics, fetched per connect."""
        path = "/api/v1/bullet-public"
        return self._bullet(await self.call("POST", path), path)

    async def bullet_private(self) -> BulletToken:
        """``POST /api/v1/bullet-private`` (signed): a token that may subscribe private topics."""
        path = "/api/v1/bullet-private"
        return self._bullet(await self.call("POST", path, signed=True), path)

    @staticmethod
    def _bullet(raw: msgspec.Raw, path: str) -> BulletToken:
        bullet = rest.decode(VENUE, raw, BulletData, path, secret=True)
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
        entries = rest.decode(VENUE, await self.call("GET", path), list[SymbolEntry], path)
        return [to_instrument(entry) for entry in entries]

    async def level2_snapshot(
        self, symbol_native: str, depth: Literal[20, 100] | None = None
    ) -> Level2Snapshot:
        """The REST order book of ``symbol_native`` (``BTC-USDT``), to sync level2 with.

        ``depth`` 20 or 100 is the public top-N book. ``None`` asks for the full book,
        which KuCoin serves only signed (``/api/v3/market/orderbook/level2``, with the
        credentials); without them this is the public top 100, so levels below it are
        not authoritative.
        """
        path = BOOK_PATHS.get(100 if depth is None else depth)
        if path is None:
            raise ValueError(f"depth must be 20, 100 or None, got {depth!r}")
        full = depth is None and self.credentials is not None
        path = FULL_BOOK_PATH if full else path
        raw = await self.call("GET", path, signed=full, params={"symbol": symbol_native})
        return rest.decode(VENUE, raw, Level2Snapshot, path)

    async def _lookup(
        self, path: str, params: dict[str, str], timeout: float | None
    ) -> msgspec.Raw:
        # Every order lookup: signed, weight 2 in the Spot pool.
        return await self.call(
            "GET", path, signed=True, pool=SPOT, weight=2, params=params, timeout=timeout
        )

    async def open_orders(
        self, symbol_native: str | None, *, timeout: float | None = None
    ) -> list[OrderDetail]:
        """The open HF orders of ``symbol_native``, or of every symbol that
        ``GET .../active/symbols`` lists: one ``GET .../active`` per symbol, at once."""
        if symbol_native is None:
            path = f"{ORDERS}/active/symbols"
            raw = await self._lookup(path, {}, timeout)
            listed = rest.decode_or_none(VENUE, raw, ActiveSymbols, f"GET {path}")
            natives = listed.symbols if listed is not None else []
        else:
            natives = [symbol_native]
        path = f"{ORDERS}/active"
        pages = await asyncio.gather(
            *(self._lookup(path, {"symbol": native}, timeout) for native in natives)
        )
        found: list[OrderDetail] = []
        for raw in pages:
            found += rest.decode_or_none(VENUE, raw, list[OrderDetail], f"GET {path}") or []
        return found

    async def order_detail(
        self,
        symbol_native: str,
        order_id: str | None,
        client_id: str | None,
        *,
        timeout: float | None = None,
    ) -> OrderDetail | None:
        """``GET .../client-order/{clientOid}`` (given a ``client_id``), else
        ``.../{orderId}``: the order, or None when KuCoin answers with an empty ``data``."""
        if client_id is not None:
            path, name = f"{ORDERS}/client-order/{client_id}", f"{ORDERS}/client-order"
        else:
            path, name = f"{ORDERS}/{order_id}", f"{ORDERS}/{{orderId}}"
        raw = await self._lookup(path, {"symbol": symbol_native}, timeout)
        return rest.decode_or_none(VENUE, raw, OrderDetail, f"GET {name}")
