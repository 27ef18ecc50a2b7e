"""Plumbing of the signed REST endpoints: the guard, the request view, the error envelope.

:meth:`Guard.wrap` turns ``async def endpoint(call) -> data`` into an aiohttp handler
that first authenticates the request (:func:`~.keys.authenticate`, with the endpoint's
permission), then answers ``{"code": "200000", "data": data}``, or the envelope of the
:class:`RestError` the endpoint raised. A POST carrying a body must say
``Content-Type: application/json`` (``415000``, reference §2).

Business errors answer HTTP 200 with their code, as the venue does; clients must check
``code``. :func:`paper_error` maps the paper engine's refusals onto KuCoin's codes:

| engine code | KuCoin code / msg |
|---|---|
| ``insufficient_funds`` | ``126013`` ``Balance insufficient!`` (the HF trading code) |
| ``duplicate_client_id`` | ``126044`` ``clientOid duplicated`` |
| ``invalid_order`` | ``400100`` with what was wrong (size increment, minimum, price increment) |
| ``post_only_would_take`` | ``400100`` (unused: KuCoin accepts, then cancels) |
| ``unknown_order`` | ``400100`` ``order_not_exist_or_not_allow_to_cancel`` |
| ``unknown_symbol`` | ``900001`` ``symbol not exists`` |
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import msgspec
from aiohttp import web

from tickwire.exchanges.base.matching import PaperError
from tickwire.exchanges.kucoin import frames
from tickwire.exchanges.kucoin.account import Account
from tickwire.exchanges.kucoin.keys import ApiKey, authenticate

__all__ = [
    "NOT_EXIST_CANCEL",
    "Call",
    "Endpoint",
    "Guard",
    "RestError",
    "paper_error",
]

NOT_EXIST_CANCEL = "order_not_exist_or_not_allow_to_cancel"
_decode = msgspec.json.Decoder().decode

_INVALID = {
    "size": "Order size increment invalid.",
    "min_size": "Order size below the minimum requirement.",
    "min_cost": "Order funds below the minimum requirement.",
    "price": "Order price invalid.",
    "tick": "Price increment invalid.",
}


class RestError(Exception):
    """An error envelope to answer: HTTP ``status``, KuCoin ``code``, ``msg``."""

    def __init__(self, code: str, msg: str, status: int = 200) -> None:
        super().__init__(f"{code} {msg}")
        self.code = code
        self.msg = msg
        self.status = status

    def response(self) -> web.Response:
        """The envelope as an aiohttp response."""
        return _json(frames.rest_error(self.code, self.msg), self.status)


class Aborted(Exception):
    """The endpoint cut the HTTP connection on purpose (fault injection): answer nothing."""


def param_error(msg: str) -> RestError:
    """A ``400100`` parameter error (HTTP 200, as the venue answers business errors)."""
    return RestError("400100", msg)


def paper_error(exc: PaperError, *, cancel: bool = False) -> RestError:
    """The KuCoin envelope for an engine refusal (``cancel``: of a cancel request)."""
    code = exc.code
    if code == "insufficient_funds":
        return RestError("126013", "Balance insufficient!")
    if code == "duplicate_client_id":
        return RestError("126044", "clientOid duplicated")
    if code == "unknown_symbol":
        return RestError("900001", "symbol not exists")
    if code == "unknown_order":
        return param_error(NOT_EXIST_CANCEL if cancel else "order_not_exist")
    if code == "post_only_would_take":
        return param_error("postOnly order would take liquidity")
    detail = getattr(exc, "detail", None)
    return param_error(_INVALID.get(detail or "", exc.message))


def _json(body: bytes, status: int = 200) -> web.Response:
    return web.Response(status=status, body=body, content_type="application/json")


@dataclass(frozen=True, slots=True)
class Call:
    """One authenticated request, with typed access to its parts and the caller's account."""

    request: web.Request
    body: bytes
    account: Account
    """The paper account of the request's API key (each key has its own)."""

    def json(self) -> dict[str, Any]:
        """The body as a JSON object (``400100`` otherwise)."""
        try:
            value = _decode(self.body) if self.body else None
        except msgspec.DecodeError:
            raise param_error("request body is not valid JSON") from None
        if not isinstance(value, dict):
            raise param_error("request body must be a JSON object")
        return value

    def query(self, name: str) -> str:
        """A required query parameter (``400100`` when missing or empty)."""
        value = self.request.query.get(name, "")
        if not value:
            raise param_error(f"{name} is required")
        return value

    def path(self, name: str) -> str:
        """A path parameter (``{orderId}``, ``{clientOid}``)."""
        return self.request.match_info[name]


Endpoint = Callable[[Call], Awaitable[Any]]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Guard:
    """Signature and permission checks in front of every private endpoint.

    ``accounts`` maps an API key to its paper account (created on first use); ``now_ms``
    is the venue's clock.
    """

    def __init__(
        self,
        keys: Mapping[str, ApiKey] | None,
        accounts: Callable[[str], Account],
        now_ms: Callable[[], int] | None = None,
    ) -> None:
        self.keys = keys
        self.accounts = accounts
        self.now_ms = now_ms or (lambda: time.time_ns() // 1_000_000)
        """The venue's clock (milliseconds), for the signature's timestamp window."""

    def wrap(self, permission: str, endpoint: Endpoint) -> Handler:
        """An aiohttp handler running ``endpoint`` behind the checks."""

        async def handler(request: web.Request) -> web.StreamResponse:
            body = await request.read()
            failure = authenticate(
                request.headers,
                request.method,
                request.raw_path,
                body,
                self.keys,
                self.now_ms(),
                remote=request.remote,
                permission=permission,
            )
            if failure is not None:
                return RestError(failure.code, failure.msg, failure.status).response()
            if body and request.method == "POST" and request.content_type != "application/json":
                return RestError("415000", "Unsupported Media Type", 415).response()
            try:
                account = self.accounts(request.headers["KC-API-KEY"])
                data = await endpoint(Call(request, body, account))
            except RestError as exc:
                return exc.response()
            except Aborted:
                # The transport is gone; aiohttp writes nothing to a closed connection.
                return web.Response(status=500)
            return _json(frames.ok(data))

        return handler
