"""The one HTTP error boundary of every adapter's REST calls.

Transport failures, status codes and ``Retry-After`` are mapped here once; a venue
supplies only how to read its error envelope and its table of error codes
(:class:`ErrorTable`)::

    ERRORS = ErrorTable("kucoin", {"400003": AuthError, "429000": RateLimited, ...})

    with transport_errors("kucoin", "GET /api/v1/bullet-public", url):
        response = await http.get(url)
    if envelope.code != "200000":
        raise ERRORS.error(envelope.code, envelope.msg, status=response.status_code,
                           retry_after=retry_after(response))
    raise_for_status(response, "kucoin", what)   # no envelope: judge by the status

A venue whose every body is an envelope hands :func:`unwrap` a function that opens it
(the result, or the venue's error code and message): the order of judgement (the venue's
code, then the bare HTTP status, then "not an envelope") is then the same everywhere;
:func:`decode` turns a result of the wrong shape into a
:class:`~tickwire.core.errors.DecodeError`.

Messages name the method, the path and the URL without its query (:func:`safe_url`):
never a header, a body, a key, a signature or a token.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from email.utils import parsedate_to_datetime
from time import time
from typing import TypeVar

import httpx
import msgspec

from tickwire.core.errors import (
    AuthError,
    ConnectTimeout,
    DecodeError,
    ExchangeError,
    RateLimited,
    RequestTimeout,
    TransportError,
)
from tickwire.core.http import safe_url

__all__ = [
    "ErrorTable",
    "Opener",
    "decode",
    "decode_or_none",
    "raise_for_status",
    "retry_after",
    "transport_errors",
    "unwrap",
]

T = TypeVar("T")

Opener = Callable[[bytes, int], "msgspec.Raw | tuple[str, str]"]
"""Opens a venue's envelope (body, HTTP status): its result, or its error code and
message; ``msgspec.DecodeError`` when the body is no envelope (an HTML error page)."""


class ErrorTable:
    """A venue's error codes → core exception classes; one per venue.

    ``by_message`` refines a code whose meaning depends on its message (KuCoin's
    ``400100`` is both "insufficient balance" and "order size too small").
    """

    def __init__(
        self,
        venue: str,
        codes: Mapping[str, type[ExchangeError]],
        by_message: Mapping[tuple[str, str], type[ExchangeError]] | None = None,
    ) -> None:
        self.venue = venue
        self.codes = dict(codes)
        self.by_message = dict(by_message or {})

    def __contains__(self, code: object) -> bool:
        return code in self.codes

    def error(
        self, code: str | int, message: str, *, status: int = 200, retry_after: float | None = None
    ) -> ExchangeError | TransportError:
        """The exception for ``code`` (looked up as text, kept as given: a socket's numeric
        code stays a number): from the table; else by HTTP status (429 →
        :class:`RateLimited`, 5xx → :class:`TransportError`, the venue is unwell); else a
        plain :class:`ExchangeError`."""
        key = str(code)
        cls = self.by_message.get((key, message)) or self.codes.get(key)
        if cls is None and status == 429:
            cls = RateLimited
        if cls is RateLimited:
            return RateLimited(self.venue, code, message, retry_after=retry_after)
        if cls is None:
            if status >= 500:
                return TransportError(f"{self.venue}: HTTP {status}: {message} ({code})")
            cls = ExchangeError
        return cls(self.venue, code, message)


def retry_after(response: httpx.Response, reset_ms_header: str | None = None) -> float | None:
    """Seconds the venue asks us to wait: ``Retry-After`` (seconds or an HTTP date), or a
    venue header giving the reset in milliseconds (KuCoin's ``gw-ratelimit-reset``)."""
    if reset_ms_header is not None:
        reset = response.headers.get(reset_ms_header)
        if reset is not None and reset.isdigit():
            return int(reset) / 1000
    value = response.headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time())
    except (TypeError, ValueError):
        return None


def raise_for_status(
    response: httpx.Response, venue: str, what: str, *, retry_after_s: float | None = None
) -> None:
    """Raise the core error an HTTP status means by itself (429, 401/403, 5xx).

    The message names ``what`` and the URL without its query (where a token may ride).
    """
    status = response.status_code
    if status not in (401, 403, 429) and status < 500:
        return  # success, or a client error the venue's envelope explains
    try:
        where = f"{what} {safe_url(str(response.request.url))}"
    except RuntimeError:  # a response built without its request (tests, a replay)
        where = what
    if status == 429:
        wait = retry_after_s if retry_after_s is not None else retry_after(response)
        raise RateLimited(venue, status, f"HTTP 429 on {where}", retry_after=wait)
    if status in (401, 403):
        raise AuthError(venue, status, f"HTTP {status} on {where}")
    raise TransportError(f"{venue}: HTTP {status} on {where}")


def unwrap(
    response: httpx.Response,
    what: str,
    errors: ErrorTable,
    opener: Opener,
    *,
    reset_ms_header: str | None = None,
) -> msgspec.Raw:
    """The result of ``response``'s envelope; else the venue's error from ``errors``,
    else what the bare status means, else a :class:`DecodeError` (with the body: no
    success reached here, so it holds no token)."""
    status = response.status_code
    wait = retry_after(response, reset_ms_header)
    try:
        opened: msgspec.Raw | tuple[str, str] | None = opener(response.content, status)
    except msgspec.DecodeError:
        opened = None  # an HTML error page, a proxy's text, garbage
    if isinstance(opened, tuple):
        raise errors.error(*opened, status=status, retry_after=wait)
    raise_for_status(response, errors.venue, what, retry_after_s=wait)
    if opened is None or status >= 300:
        raise DecodeError(
            f"{errors.venue}: {what}: HTTP {status}, not a {errors.venue} result",
            response.content,
        )
    return opened


def decode(
    venue: str,
    data: msgspec.Raw | bytes,
    kind: type[T] | msgspec.json.Decoder[T],
    what: str,
    *,
    secret: bool = False,
) -> T:
    """``data`` decoded as ``kind`` (a type or a ready decoder); a shape the venue does
    not send is a :class:`DecodeError` naming ``what`` and keeping ``data`` for
    diagnosis, unless it may hold a ``secret`` (a token)."""
    try:
        if isinstance(kind, msgspec.json.Decoder):
            return kind.decode(data)
        return msgspec.json.decode(data, type=kind)
    except msgspec.DecodeError as exc:
        frame = b"" if secret else bytes(data)
        raise DecodeError(f"{venue}: {what}: unexpected data: {exc}", frame) from None


def decode_or_none(venue: str, data: msgspec.Raw | bytes, kind: type[T], what: str) -> T | None:
    """:func:`decode`, except that JSON ``null`` (a venue's empty ``data``) is None."""
    return None if bytes(data) == b"null" else decode(venue, data, kind, what)


@contextmanager
def transport_errors(venue: str, what: str, url: str = "") -> Iterator[None]:
    """httpx's failures → core ones, at once, naming ``what``, the URL and the cause.

    A refused port or an unknown host fails here in milliseconds; only a silent peer
    waits for the timeout.
    """
    where = f" {safe_url(url)}" if url else ""
    try:
        yield
    except httpx.ConnectTimeout as exc:
        raise ConnectTimeout(f"{venue}: {what}{where}: connect timed out") from exc
    except httpx.TimeoutException as exc:
        raise RequestTimeout(f"{venue}: {what}{where}: timed out") from exc
    except httpx.TransportError as exc:
        raise TransportError(f"{venue}: {what}{where}: {_cause(exc)}") from exc


def _cause(exc: BaseException) -> str:
    """The innermost reason (``Connection refused``, ``Name or service not known``)."""
    while True:
        # httpx and httpcore chain what they wrap as the cause; anyio leaves the socket's
        # own OSError as the context. Any other context is not the reason.
        inner = exc.__cause__
        if inner is None and isinstance(exc.__context__, OSError):
            inner = exc.__context__
        if inner is None:
            break
        exc = inner
    if isinstance(exc, OSError) and exc.errno:
        return os.strerror(exc.errno)  # "Connection refused", not asyncio's wording
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
