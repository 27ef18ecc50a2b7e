"""Kraken ``edit_order`` (cancel and replace) against the emulator, over real sockets.

Kraken's WebSocket v2 docs list "cl_ord_id is not supported" among edit_order's caveats:
tickwire places every order with a cl_ord_id, so an order to edit is placed here the
way another client would, by REST ``AddOrder`` without one.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec
import pytest

from tickwire.adapters.kraken.client import KrakenClient
from tickwire.core.errors import InvalidOrder

from .test_fetch import kraken
from .test_private import book_prices, private_client, resting_buy

__all__ = ["kraken"]  # the fixture, imported for this module

D = Decimal


async def _add_without_client_id(client: KrakenClient, price: Decimal, size: str) -> str:
    """An order placed by REST ``AddOrder`` without cl_ord_id (as the web UI would)."""
    form = {"pair": "XBTUSD", "type": "buy", "ordertype": "limit", "price": price, "volume": size}
    raw = await client._rest.private("AddOrder", form)
    [txid] = msgspec.json.decode(raw)["txid"]
    assert isinstance(txid, str)
    return txid


async def test_edit_order_replaces_an_order_without_client_id(kraken):
    async with private_client(kraken) as client:
        bid, _ = await book_prices(client)
        low = (bid * D("0.9")).quantize(D("0.1"))
        txid = await _add_without_client_id(client, low, "0.02")
        ack = await client.edit_order("BTC/USD", order_id=txid, price=low - 10, timeout=5)
    assert ack.order_id != txid and ack.client_id is None and ack.symbol == "BTC/USD"
    old, new = kraken.engine.order(order_id=txid), kraken.engine.order(order_id=ack.order_id)
    assert old is not None and old.state == "canceled"
    assert new is not None and new.is_open
    assert (new.price, new.size, new.side) == (low - 10, D("0.02"), "buy")


async def test_edit_order_of_an_order_with_client_id_is_invalid_before_sending(kraken):
    async with private_client(kraken) as client:
        await client.subscribe("orders")  # the tracker learns the order's cl_ord_id
        bid, _ = await book_prices(client)
        ack = await client.place_order(resting_buy(bid, client_id="tw-edit"), timeout=5)
        with pytest.raises(InvalidOrder, match="amend_order") as caught:
            await client.edit_order("BTC/USD", order_id=ack.order_id, price=bid - 50, timeout=5)
    assert caught.value.code == "cl_ord_id"
    order = kraken.engine.order(order_id=ack.order_id)
    assert order is not None and order.is_open and order.price == resting_buy(bid).price


async def test_the_venue_refuses_an_order_with_client_id_the_tracker_never_saw(kraken):
    async with private_client(kraken) as client:
        bid, _ = await book_prices(client)
        price = (bid * D("0.9")).quantize(D("0.1"))
        form = {"pair": "XBTUSD", "type": "buy", "ordertype": "limit", "price": price}
        form |= {"volume": "0.01", "cl_ord_id": "placed-elsewhere"}
        raw = await client._rest.private("AddOrder", form)
        [txid] = msgspec.json.decode(raw)["txid"]
        with pytest.raises(InvalidOrder) as caught:
            await client.edit_order("BTC/USD", order_id=txid, price=price - 10, timeout=5)
    assert caught.value.code == "EGeneral:Invalid arguments"
    order = kraken.engine.order(order_id=txid)
    assert order is not None and order.is_open and order.price == price


async def test_edit_order_needs_a_new_price_or_size(kraken):
    async with private_client(kraken) as client:
        with pytest.raises(ValueError, match="price or size"):
            await client.edit_order("BTC/USD", order_id="OABCDE-FGHIJ-KLMNOP", timeout=5)
