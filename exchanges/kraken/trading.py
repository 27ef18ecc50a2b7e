"""Kraken's order methods on the auth host (private subscriptions: :mod:`.channels`).

Reference §4, §7, §8. Every request needs a valid token (``Token(s) not found`` for
the order methods, ``ESession:Invalid session`` for a subscription), then the key's
permission (``EGeneral:Permission denied``), then valid params. An order method's
replies (one per cancelled order for ``cancel_order``) are queued before the
``executions``/``balances`` messages it causes.

Order faults (the shared vocabulary of :mod:`tickwire.exchanges.base.faults`, keyed by
method name): ``FAIL_ORDER_BEFORE`` cuts the socket as the request arrives, nothing
done; ``FAIL_ORDER_AFTER`` does the work, then cuts the socket before the reply;
``HOLD_ORDER`` does the work and never replies; ``DELAY_ORDER`` waits its seconds before
doing anything (that socket's later requests wait behind it, as on a slow venue).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import msgspec

from tickwire.exchanges.base.faults import (
    DELAY_ORDER,
    FAIL_ORDER_AFTER,
    FAIL_ORDER_BEFORE,
    HOLD_ORDER,
)
from tickwire.exchanges.base.paper import PaperError
from tickwire.exchanges.base.server import Connection
from tickwire.exchanges.kraken import frames
from tickwire.exchanges.kraken.auth import PERMISSION_DENIED
from tickwire.exchanges.kraken.execframes import method_ack
from tickwire.exchanges.kraken.orderparams import (
    INVALID_ARGUMENTS,
    INVALID_ORDER,
    OrderArgs,
    Refuse,
    boolean,
    engine_error,
    integer,
    number,
    parse_order,
    string,
)
from tickwire.exchanges.kraken.private import PrivateDesk

__all__ = ["Reply", "Trading"]

TOKEN_NOT_FOUND = "Token(s) not found"

_decode = msgspec.json.Decoder(float_hook=Decimal).decode


@dataclass(slots=True)
class Reply:
    """One method response: a ``result``, an ``error``, or top-level keys only."""

    result: Any = None
    error: str | None = None
    top: dict[str, Any] = field(default_factory=dict)


class Trading:
    """Answers private requests on the auth host against one :class:`PrivateDesk`."""

    def __init__(self, desk: PrivateDesk, clock: Callable[[], int]) -> None:
        self.desk = desk
        self.engine = desk.engine
        self.clock = clock
        self._handlers: dict[str, Callable[[dict[str, Any]], list[Reply]]] = {
            "add_order": self.add_order,
            "amend_order": self.amend_order,
            "edit_order": self.edit_order,
            "cancel_order": self.cancel_order,
            "cancel_all": self.cancel_all,
            "cancel_all_orders_after": self.cancel_all_orders_after,
            "batch_add": self.batch_add,
            "batch_cancel": self.batch_cancel,
        }

    # -- dispatch ----------------------------------------------------------------------

    def handle(
        self, conn: Connection, method: str, data: bytes, req_id: int | None, time_in: int
    ) -> Awaitable[None] | None:
        """Answer one order method (``method`` is one of the eight).

        With a delay armed, returns what the connection's reader awaits before reading on.
        """
        delay = self.desk.faults.take_value(DELAY_ORDER, method)
        if delay is not None:
            return self._later(delay, conn, method, data, req_id, time_in)
        self._handle(conn, method, data, req_id, time_in)
        return None

    async def _later(
        self, delay: float, conn: Connection, method: str, data: bytes, req_id: int | None,
        time_in: int,
    ) -> None:  # fmt: skip
        await asyncio.sleep(delay)
        if not conn.closed:
            self._handle(conn, method, data, req_id, time_in)

    def _handle(
        self, conn: Connection, method: str, data: bytes, req_id: int | None, time_in: int
    ) -> None:
        desk = self.desk
        if desk.faults.take(FAIL_ORDER_BEFORE, method):
            conn.abort()
            return
        params = _params(data)
        key = desk.key_for(params.get("token"), conn)
        if key is None or not key.allows("trade"):
            reason = TOKEN_NOT_FOUND if key is None else PERMISSION_DENIED
            conn.send(frames.error(method, reason, req_id, time_in, self.clock()))
            return
        desk.tokens.mark_used(params["token"], conn.id)
        with desk.deferred() as publish:
            try:
                replies = self._handlers[method](params)
            except Refuse as exc:
                replies = [Reply(error=str(exc))]
            if desk.faults.take(FAIL_ORDER_AFTER, method):
                conn.abort()  # the work is done; the reply never leaves
                return
            if desk.faults.take(HOLD_ORDER, method):
                return
            for reply in replies:
                conn.send(self._frame(method, reply, req_id, time_in))
            publish()

    def _frame(self, method: str, reply: Reply, req_id: int | None, time_in: int) -> bytes:
        if reply.error is not None:
            return frames.error(method, reply.error, req_id, time_in, self.clock())
        return method_ack(method, reply.result, req_id, time_in, self.clock(), **reply.top)

    # -- order entry -------------------------------------------------------------------

    def place(self, args: OrderArgs) -> str:
        """Place ``args``; the order id (``PaperError`` when the engine refuses)."""
        self.desk.next_userref = args.userref
        try:
            order = self.engine.place(
                args.symbol, args.side, args.type, args.size, args.price,
                time_in_force=args.time_in_force, post_only=args.post_only,
                client_id=args.cl_ord_id, expire_at=args.expire_at,
            )  # fmt: skip
        finally:
            self.desk.next_userref = 0
        return order.order_id

    def check(self, args: OrderArgs) -> None:
        """Whether the engine would accept ``args`` (``PaperError`` if not); nothing placed."""
        self.engine.check(
            args.symbol, args.side, args.type, args.size, args.price,
            time_in_force=args.time_in_force, post_only=args.post_only,
            client_id=args.cl_ord_id, expire_at=args.expire_at,
        )  # fmt: skip

    def add_order(self, params: dict[str, Any]) -> list[Reply]:
        """``add_order``: result ``{order_id}`` plus the echoed client id."""
        args = parse_order(params, "add_order", self.desk.pairs, None)
        try:
            if args.validate:  # validation only: nothing placed, empty order id
                _validate_only(self.check, args)
                return [Reply({"order_id": "", **args.echo()})]
            order_id = self.place(args)
        except PaperError as exc:
            raise Refuse(engine_error(exc)) from None
        return [Reply({"order_id": order_id, **args.echo()})]

    def amend_order(self, params: dict[str, Any]) -> list[Reply]:
        """``amend_order``: in place; result ``{amend_id, order_id}`` (+ ``cl_ord_id``)."""
        _only(params, "amend_order", {"order_id", "cl_ord_id", "order_qty", "limit_price",
              "limit_price_type", "post_only", "deadline", "symbol", "token"})  # fmt: skip
        order_id, cl_ord_id = string(params, "order_id"), string(params, "cl_ord_id")
        size, price = number(params, "order_qty"), number(params, "limit_price")
        post_only = boolean(params, "post_only")
        if (order_id is None) == (cl_ord_id is None) or (size is None and price is None):
            raise Refuse(INVALID_ARGUMENTS)
        try:
            order = self.engine.amend(
                order_id=order_id, client_id=cl_ord_id, price=price, size=size,
                post_only=post_only,
            )  # fmt: skip
        except PaperError as exc:
            raise Refuse(engine_error(exc)) from None
        result: dict[str, Any] = {"amend_id": self.desk.txid(""), "order_id": order.order_id}
        if cl_ord_id is not None:
            result["cl_ord_id"] = cl_ord_id
        return [Reply(result)]

    def edit_order(self, params: dict[str, Any]) -> list[Reply]:
        """``edit_order``: cancel and replace; result ``{order_id, original_order_id}``."""
        _only(params, "edit_order", {"order_id", "symbol", "order_qty", "limit_price",
              "post_only", "order_userref", "validate", "deadline", "fee_preference",
              "reduce_only", "token"})  # fmt: skip
        order_id, symbol = string(params, "order_id"), string(params, "symbol")
        size, price = number(params, "order_qty"), number(params, "limit_price")
        post_only = boolean(params, "post_only") if "post_only" in params else None
        userref, validate = integer(params, "order_userref"), boolean(params, "validate")
        if order_id is None or symbol is None:
            raise Refuse(INVALID_ARGUMENTS)
        old = self.engine.order(order_id=order_id)
        if old is None or not old.is_open or old.symbol != symbol:
            raise Refuse(INVALID_ORDER)
        if old.client_id is not None:  # the venue does not edit cl_ord_id orders
            raise Refuse(f"{INVALID_ARGUMENTS}:cl_ord_id orders cannot be edited")
        if size is not None and size <= old.filled:
            raise Refuse(INVALID_ORDER)
        if validate:
            return [Reply({"order_id": "", "original_order_id": order_id})]
        self.desk.next_userref = self.desk.userrefs.get(order_id, 0) if userref is None else userref
        try:
            new = self.engine.replace(
                order_id=order_id, price=price,
                size=None if size is None else size - old.filled, post_only=post_only,
            )  # fmt: skip
        except PaperError as exc:
            raise Refuse(engine_error(exc)) from None
        finally:
            self.desk.next_userref = 0
        return [Reply({"order_id": new.order_id, "original_order_id": order_id})]

    # -- cancels -----------------------------------------------------------------------

    def cancel_order(self, params: dict[str, Any]) -> list[Reply]:
        """``cancel_order``: one reply per order (an error reply for an unknown one)."""
        _only(params, "cancel_order", {"order_id", "cl_ord_id", "order_userref", "token"})
        given = [k for k in ("order_id", "cl_ord_id", "order_userref") if k in params]
        if len(given) != 1:
            raise Refuse(INVALID_ARGUMENTS)
        kind = given[0]
        ids = params[kind]
        wanted = int if kind == "order_userref" else str
        if not isinstance(ids, list) or not ids or not all(_is(i, wanted) for i in ids):
            raise Refuse(INVALID_ARGUMENTS)
        replies: list[Reply] = []
        for ident in ids:
            if kind == "order_userref":
                matches = self._by_userref(ident)
                replies += [Reply({"order_id": self._cancel(o)}) for o in matches]
                if not matches:
                    replies.append(Reply(error=INVALID_ORDER))
                continue
            try:
                if kind == "order_id":
                    self.engine.cancel(order_id=ident)
                else:
                    self.engine.cancel(client_id=ident)
            except PaperError:
                replies.append(Reply(error=INVALID_ORDER))
            else:
                replies.append(Reply({kind: ident}))
        return replies

    def _by_userref(self, userref: int) -> list[str]:
        return [
            o.order_id
            for o in self.engine.open_orders()
            if self.desk.userrefs.get(o.order_id) == userref
        ]

    def _cancel(self, order_id: str) -> str:
        self.engine.cancel(order_id=order_id)
        return order_id

    def cancel_all(self, params: dict[str, Any]) -> list[Reply]:
        """``cancel_all``: result ``{count}``."""
        _only(params, "cancel_all", {"token"})
        return [Reply({"count": len(self.engine.cancel_all())})]

    def cancel_all_orders_after(self, params: dict[str, Any]) -> list[Reply]:
        """The dead man's switch: camelCase whole-second times; 0 disarms."""
        _only(params, "cancel_all_orders_after", {"timeout", "token"})
        timeout = integer(params, "timeout")
        if timeout is None or not 0 <= timeout < 86400:
            raise Refuse(f"{INVALID_ARGUMENTS}:timeout")
        now, trigger = self.desk.arm_dead_man(timeout)
        when = "0" if trigger is None else frames.rfc3339(trigger, 0)
        return [Reply({"currentTime": frames.rfc3339(now, 0), "triggerTime": when})]

    def batch_add(self, params: dict[str, Any]) -> list[Reply]:
        """``batch_add``: 2-15 orders, one symbol, validated as a whole first."""
        _only(params, "batch_add", {"symbol", "orders", "deadline", "validate", "token"})
        symbol, orders = string(params, "symbol"), params.get("orders")
        validate = boolean(params, "validate")
        if symbol is None or not isinstance(orders, list) or not 2 <= len(orders) <= 15:
            raise Refuse(INVALID_ARGUMENTS)
        if not all(isinstance(o, dict) for o in orders):
            raise Refuse(INVALID_ARGUMENTS)
        batch = [parse_order(o, "batch_add", self.desk.pairs, symbol) for o in orders]
        ids = [a.cl_ord_id for a in batch if a.cl_ord_id is not None]
        if len(ids) != len(set(ids)):
            raise Refuse(f"{INVALID_ARGUMENTS}:cl_ord_id")
        for args in batch:  # any validation failure rejects the whole batch
            try:
                _validate_only(self.check, args)
            except PaperError as exc:
                raise Refuse(engine_error(exc)) from None
        rows: list[dict[str, Any]] = []
        for args in batch:
            if validate:
                rows.append({"order_id": "", **args.echo()})
                continue
            try:
                rows.append({"order_id": self.place(args), **args.echo()})
            except PaperError as exc:  # engine-side: only this order fails
                rows.append({**args.echo(), "error": engine_error(exc)})
        return [Reply(rows)]

    def batch_cancel(self, params: dict[str, Any]) -> list[Reply]:
        """``batch_cancel``: 2-50 ids; ``{count}`` or the observed ``orders_cancelled``."""
        _only(params, "batch_cancel", {"orders", "cl_ord_id", "token"})
        orders, cl_ord_ids = params.get("orders", []), params.get("cl_ord_id", [])
        if not isinstance(orders, list) or not isinstance(cl_ord_ids, list):
            raise Refuse(INVALID_ARGUMENTS)
        if not all(isinstance(i, str) for i in orders + cl_ord_ids):
            raise Refuse(INVALID_ARGUMENTS)
        if not 2 <= len(orders) + len(cl_ord_ids) <= 50:
            raise Refuse(INVALID_ARGUMENTS)
        count = 0
        for ident in orders:  # an order id, or an order_userref written as a string
            targets = [ident] if self.engine.order(order_id=ident) else []
            if not targets and ident.lstrip("-").isdigit():
                targets = self._by_userref(int(ident))
            count += sum(self._try_cancel(order_id=t) for t in targets)
        count += sum(self._try_cancel(client_id=c) for c in cl_ord_ids)
        if self.desk.batch_cancel_form == "observed":
            return [Reply(top={"orders_cancelled": count})]
        return [Reply({"count": count})]

    def _try_cancel(self, *, order_id: str | None = None, client_id: str | None = None) -> bool:
        try:
            self.engine.cancel(order_id=order_id, client_id=client_id)
        except PaperError:
            return False
        return True


def _params(data: bytes) -> dict[str, Any]:
    try:
        msg = _decode(data)
    except msgspec.DecodeError:
        return {}
    params = msg.get("params") if isinstance(msg, dict) else None
    return params if isinstance(params, dict) else {}


def _only(params: dict[str, Any], method: str, allowed: set[str]) -> None:
    for name in params:
        if name not in allowed:
            raise Refuse(f"Unsupported field: '{name}' for the given msg type: {method}")


def _is(value: object, kind: type) -> bool:
    return isinstance(value, kind) and not isinstance(value, bool)


def _validate_only(check: Callable[[OrderArgs], None], args: OrderArgs) -> None:
    # Kraken's validation does not look at funds, open client ids or the book: those
    # are engine-side outcomes of a real placement.
    try:
        check(args)
    except PaperError as exc:
        if exc.code not in ("insufficient_funds", "duplicate_client_id", "post_only_would_take"):
            raise
