"""The one HTTP client an adapter's REST calls go through: lifecycle and transport once.

A venue's REST class subclasses :class:`RestClient` and keeps only what is its own
(signing, its envelope, its endpoints, its quotas)::

    class VenueRest(RestClient):
        venue = "venue"

        errors = ERRORS                      # the venue's ErrorTable

        def open_envelope(self, body, status): ...   # result, or (code, message)

        async def time(self) -> int:
            raw = await self.request("GET", "/api/v1/time", pool="venue:public")
            return decode("venue", raw, int, "GET /api/v1/time")

    async with VenueRest("https://api.venue.example", timeout=10.0) as rest:
        ...

:meth:`RestClient.request` is the one path of a call: the quota (``pool``), the URL-encoded
query, :meth:`RestClient.send`, then :func:`~tickwire.core.rest.unwrap` with the venue's
envelope and :attr:`RestClient.errors`. :meth:`RestClient.send` maps transport failures through
:func:`~tickwire.core.rest.transport_errors` (the httpx exception kept as ``__cause__``,
so a caller can tell "never sent" from "sent, no answer") and stamps
:attr:`RestClient.last_received`. The account's ``credentials`` and the venue's REST
quotas (``limiter``) live here too, so a fetcher and a trader over one client share
them: a signed call takes :meth:`RestClient.keys` (a
:class:`~tickwire.core.errors.ConfigError` without credentials) and waits for its
weight in ``limiter`` *before* it dates its signature.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import TracebackType
from typing import ClassVar, Self
from urllib.parse import urlencode

import httpx
import msgspec

from tickwire.core.config import Credentials
from tickwire.core.errors import ConfigError
from tickwire.core.http import received_at
from tickwire.core.ratelimit import Quota, RateLimiter
from tickwire.core.rest import ErrorTable, transport_errors, unwrap

__all__ = ["RestClient", "Transport"]

Transport = httpx.AsyncBaseTransport | Callable[[], httpx.AsyncBaseTransport] | None
"""A transport, or a function called on first use (so the one chosen at connect is used)."""


class RestClient:
    """REST calls to ``base_url`` over one ``httpx.AsyncClient``.

    ``timeout`` applies to each call. A ``client`` passed in is used as is and left open
    by :meth:`aclose`; otherwise one is created on first use over ``transport`` (the
    client's, from core: recorded and replayed) and owned. ``credentials`` sign the
    private calls (None: public calls only); ``limiter`` holds the venue's REST quotas
    (default: a limiter of its own with :attr:`quotas`).
    """

    venue = "rest"
    """The venue named in errors (a subclass sets it)."""
    quotas: ClassVar[Mapping[str, Quota]] = {}
    """The venue's REST pools by key (a subclass sets them), for the default limiter."""
    errors = ErrorTable("rest", {})
    """The venue's error codes (a subclass sets its table), for :meth:`request`."""
    reset_header: str | None = None
    """A venue header giving a refused pool's reset in ms, for :meth:`request`."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float,
        client: httpx.AsyncClient | None = None,
        transport: Transport = None,
        credentials: Credentials | None = None,
        limiter: RateLimiter | None = None,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self.credentials = credentials
        self.limiter = limiter if limiter is not None else RateLimiter(self.quotas)
        self._timeout = timeout
        self._owns_client = client is None
        self._given = client
        self._transport = transport
        self._closed = False
        self.last_received = 0
        """When the last response arrived (ns, as the transport stamped it: recorded times
        in a replay). Read it right after the call returns, before any other await."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._base_url!r})"

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
        self._closed = True
        if self._owns_client and self._given is not None:
            await self._given.aclose()

    def keys(self, what: str) -> Credentials:
        """The credentials a signed call (``what``) needs; :class:`ConfigError` without."""
        if self.credentials is None:
            raise ConfigError(f"{self.venue}: {what} needs credentials")
        return self.credentials

    def open_envelope(self, body: bytes, status: int) -> msgspec.Raw | tuple[str, str]:
        """The venue's envelope (an :data:`~tickwire.core.rest.Opener`, for
        :meth:`request`): its result, or its error code and message."""
        raise NotImplementedError

    @property
    def http(self) -> httpx.AsyncClient:
        """The HTTP client (created on first use; ``RuntimeError`` once closed)."""
        if self._given is None:
            if self._closed:
                raise RuntimeError("the REST client is closed")
            transport = self._transport() if callable(self._transport) else self._transport
            self._given = httpx.AsyncClient(timeout=self._timeout, transport=transport)
        return self._given

    async def send(
        self,
        method: str,
        target: str,
        what: str,
        *,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> httpx.Response:
        """One request to ``base_url + target`` (path and query, encoded as sent);
        ``what`` names it in errors (never the host, a query or a header). ``timeout``
        overrides the client's. Never retried."""
        url = self._base_url + target
        with transport_errors(self.venue, what, url):  # names the URL, never its query
            response = await self.http.request(
                method,
                url,
                content=content,
                headers=headers,
                timeout=self._timeout if timeout is None else timeout,
            )
        self.last_received = received_at(response)
        return response

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, object] | None = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        pool: str | None = None,
        cost: int = 1,
        timeout: float | None = None,
    ) -> msgspec.Raw:
        """One call to ``path`` with ``params`` as its query (URL-encoded): the result of
        its envelope, else the venue's error (:func:`~tickwire.core.rest.unwrap`). A
        ``pool`` of :attr:`limiter` is charged ``cost`` first (a signed call waits for it
        before it dates its signature, then passes none). Never retried."""
        if pool is not None:
            await self.limiter.acquire(pool, cost=cost)
        what = f"{method} {path}"  # no host, no query: a token may ride there
        target = f"{path}?{urlencode(params)}" if params else path
        response = await self.send(
            method, target, what, content=content, headers=headers, timeout=timeout
        )
        return unwrap(
            response, what, self.errors, self.open_envelope, reset_ms_header=self.reset_header
        )
