"""``ExamplexClient``: examplex as a :class:`StreamClient`, on core's one-socket base.

:class:`~tickwire.core.socket_client.SocketClient` runs the socket, subscriptions, books
and requests; what is left here is examplex's own: its requests and what frames mean.
"""

from __future__ import annotations

from typing import Any

import msgspec

from tickwire.core.config import ClientConfig
from tickwire.core.errors import DecodeError
from tickwire.core.socket_client import SocketClient
from tickwire.core.types import Channel, Subscription
from tickwire_examplex.adapter import account, parse, schemas
from tickwire_examplex.adapter.auth import login_message
from tickwire_examplex.adapter.errors import ERRORS
from tickwire_examplex.adapter.trading import ExamplexTrader

CHANNELS = frozenset(
    {Channel.TICKER, Channel.TRADES, Channel.BOOK, Channel.ORDERS, Channel.BALANCES}
)
_Frames = (
    schemas.Hello | schemas.Ok | schemas.Err | schemas.Pong | schemas.Ticker | schemas.Trade
    | schemas.Book | account.Order | account.AccountBalance
)  # fmt: skip
_decode = msgspec.json.Decoder(_Frames).decode
_encode = msgspec.json.Encoder().encode


class ExamplexClient(SocketClient):
    """A :class:`~tickwire.core.protocol.StreamClient` for examplex.

    Channels: ``ticker``, ``trades``, ``book`` (whole, sequence-checked books) and, with
    credentials, ``orders`` and ``balances``. Order methods: ``place_order``,
    ``cancel_order``, ``cancel_all`` (limit and market, good-till-canceled only).
    """

    venue = "examplex"
    ws_url = "wss://ws.examplex.invalid/ws"  # the made-up venue's address: override it
    channels = CHANNELS
    account_channels = frozenset({Channel.ORDERS, Channel.BALANCES})
    ping_interval = 5.0
    greets = True  # every connection starts with a hello listing the markets
    supports_orders = True

    def __init__(self, config: ClientConfig) -> None:
        super().__init__(config)
        if config.credentials is not None:
            self._trader = ExamplexTrader(self.request)

    # --- requests --------------------------------------------------------------------

    def login_message(self, request_id: int) -> bytes:
        """The signed login (only called with credentials)."""
        assert self.config.credentials is not None
        return login_message(self.config.credentials, request_id)

    def request_message(self, op: str, subscription: Subscription, request_id: int) -> bytes:
        """``{"op": "subscribe", "id": 2, "channel": "book", "market": "btc_usd"}``."""
        request: dict[str, Any] = {"op": op, "id": request_id, "channel": subscription.channel}
        if subscription.symbol is not None:
            request["market"] = parse.to_native(subscription.symbol)
        return _encode(request)

    def ping_message(self) -> bytes:
        """The keepalive ping (any frame counts as liveness; its pong is not awaited)."""
        return _encode({"op": "ping", "id": self.session.next_id()})

    # --- frames ------------------------------------------------------------------------

    def on_frame(self, frame: bytes, received: int) -> None:
        """Decode one frame and deliver what it means."""
        try:
            msg = _decode(frame)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            self.context.error(DecodeError(f"examplex: {exc}", frame), "decode", frame)
            return
        emit = self.context.emit
        match msg:
            case schemas.Ticker():
                ticker = parse.to_ticker(msg, received)
                self.session.activity[(Channel.TICKER, ticker.symbol)] = received
                self._tickers[ticker.symbol] = ticker  # for ticker() and snapshot()
                emit(ticker)
            case schemas.Trade():
                trade = parse.to_trade(msg, received)
                self._trades[trade.symbol] = trade
                emit(trade)
            case schemas.Book():
                symbol = parse.to_unified(msg.market)
                self.session.activity[(Channel.BOOK, symbol)] = received
                self.keeper.apply_sequenced(
                    symbol, snapshot=msg.kind == "snapshot", bids=msg.bids, asks=msg.asks,
                    sequence=msg.seq, ts=msg.time, received=received,
                )  # fmt: skip
            case account.Order():
                emit(account.to_order(msg, received))
            case account.AccountBalance():
                emit(account.to_balance(msg, received))
            case schemas.Ok():
                self.reply(msg.id, msg.result)
            case schemas.Err():
                self.reply(msg.id, ERRORS.error(msg.code, msg.msg or msg.code))
            case schemas.Hello():
                self.set_instruments(parse.to_instrument(m) for m in msg.markets)
                self.greeted()
            # a pong needs nothing: every frame already counts as liveness.
