"""The REST side's one seam in core: the transport every adapter's httpx client uses.

An adapter builds its ``httpx.AsyncClient`` with ``transport=client.rest_transport()``::

    self._rest = httpx.AsyncClient(timeout=10.0, transport=self.rest_transport())

Live, that is httpx's own transport wrapped in a :class:`TappedTransport`, which stamps
each response with its receive time (:func:`received_at`); while the
client is recorded, every response body it received (a KuCoin token, a book snapshot)
goes to the recording, with secrets taken out; otherwise it costs one attribute check
per response. A replay swaps the factory for one that answers from the recording.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from time import time_ns
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import msgspec

if TYPE_CHECKING:
    from tickwire.core.fanout import EventHub

__all__ = ["RECEIVED", "TappedTransport", "received_at", "redact_body", "safe_url"]

RECEIVED = "tickwire.received"
"""The response extension holding its local receive time (ns): live, or as recorded."""

_SECRET_KEY = re.compile(r"secret|passphrase|password|token|signature|api_?key", re.I)
_json = msgspec.json.Decoder()
_encode = msgspec.json.Encoder().encode


class TappedTransport(httpx.AsyncBaseTransport):
    """httpx's transport, reporting each response body to the client's wire tap."""

    def __init__(self, hub: EventHub, inner: httpx.AsyncBaseTransport | None = None) -> None:
        self._hub = hub
        self._inner = inner or httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request``; hand the response body to a recorder, if one listens."""
        response = await self._inner.handle_async_request(request)
        received = time_ns()
        response.extensions[RECEIVED] = received
        wire = self._hub.wire
        if wire is None:
            return response
        body = await response.aread()
        status = response.status_code
        wire.response(request.method, request.url.path, status, received, redact_body(body))
        return httpx.Response(
            status,
            headers=response.headers,
            content=body,
            extensions=response.extensions,
            request=request,
        )

    async def aclose(self) -> None:
        """Close the wrapped transport."""
        await self._inner.aclose()


def safe_url(url: str) -> str:
    """``url`` without its query string, fragment and user info (where tokens live):
    what a log line or a recording may show of it."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port is not None else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def received_at(response: httpx.Response) -> int:
    """When ``response`` arrived (ns): stamped by the transport, so a replay tells the
    recorded time; the wall clock for a response that came another way."""
    received = response.extensions.get(RECEIVED)
    return received if isinstance(received, int) else time_ns()


def redact_body(body: bytes) -> bytes:
    """``body`` with the value of every secret-looking JSON key emptied (tokens).

    A body that is not JSON is kept as it is (venues answer JSON; an HTML error page
    holds no secret of ours).
    """
    try:
        data = _json.decode(body)
    except msgspec.DecodeError:
        return body
    cleaned = _scrub(data)
    return body if cleaned == data else _encode(cleaned)


def _scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: ("" if isinstance(key, str) and _SECRET_KEY.search(key) else _scrub(item))
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_scrub(item) for item in value]
    return value


TransportFactory = Callable[["EventHub"], httpx.AsyncBaseTransport]
"""Builds the REST transport of a client (live: a :class:`TappedTransport`)."""
