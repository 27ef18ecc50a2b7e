"""Order-call latency and outcome on ``/metrics``, and no secret anywhere in a scrape."""

from __future__ import annotations

from decimal import Decimal

import pytest
from helpers import until

from tickwire.core import ClientConfig, OrderRequest, Side, connect
from tickwire.core.errors import TickwireError
from tickwire.core.metrics import BUCKETS
from tickwire.core.metrics.prometheus import serve_metrics
from tickwire.core.types import BookUpdate, Event
from tickwire.exchanges.kraken import KrakenEmulator

from .scraping import scrape

SYMBOL = "BTC/USD"


async def test_order_calls_are_timed_by_method_and_outcome_and_no_secret_is_scraped() -> None:
    async with KrakenEmulator(seed=9, interval=None) as emulator:
        credentials = emulator.credentials()
        config = ClientConfig(venue="kraken", credentials=credentials, **emulator.endpoints)
        client = connect(config)
        async with serve_metrics(client) as server, client:
            events = client.events()
            seen: list[Event] = []
            await client.subscribe("book", [SYMBOL])
            await until(events, into=seen, where=lambda e: isinstance(e, BookUpdate) and e.snapshot)
            best_bid = client.book(SYMBOL).best_bid
            assert best_bid is not None
            price = (best_bid.price * Decimal("0.9")).quantize(Decimal("0.1"))
            calls: list[tuple[str, str]] = []

            resting = OrderRequest(symbol=SYMBOL, side=Side.BUY, size=Decimal("0.01"), price=price)
            ack = await client.place_order(resting, timeout=5)
            calls.append(("place_order", "ok"))
            await client.cancel_order(SYMBOL, order_id=ack.order_id, timeout=5)
            calls.append(("cancel_order", "ok"))
            for call, attempt in (
                ("cancel_order", client.cancel_order(SYMBOL, order_id="NO-SUCH-ORDER", timeout=5)),
                (
                    "place_order",
                    client.place_order(
                        OrderRequest(
                            symbol=SYMBOL, side=Side.BUY, size=Decimal("1000000"), price=price
                        ),
                        timeout=5,
                    ),
                ),
            ):
                with pytest.raises(TickwireError) as refused:
                    await attempt
                calls.append((call, type(refused.value).__name__))
            await client.cancel_all(timeout=5)
            calls.append(("cancel_all", "ok"))

            page = await scrape(server.url)

            expected: dict[tuple[str, str], int] = {}
            for call in calls:
                expected[call] = expected.get(call, 0) + 1
            exported = {
                (dict(labels)["method"], dict(labels)["outcome"]): value
                for labels, value in page.series(
                    "tickwire_order_request_seconds_count", venue="kraken"
                ).items()
            }
            assert exported == expected
            assert len({outcome for _, outcome in calls}) >= 3  # ok and two error classes
            for (method, outcome), count in expected.items():
                labels = {"venue": "kraken", "method": method, "outcome": outcome}
                buckets = page.series("tickwire_order_request_seconds_bucket", **labels)
                assert len(buckets) == len(BUCKETS) + 1
                assert page.value("tickwire_order_request_seconds_bucket", le="+Inf", **labels) == (
                    count
                )
                assert 0 < page.value("tickwire_order_request_seconds_sum", **labels) < 5 * count

            # Nothing secret in the scrape: neither the key, nor the secret, nor any
            # WebSocket token the emulator issued to this client.
            tokens = list(emulator.desk.tokens._tokens)
            assert tokens
            for secret in (credentials.api_key, credentials.api_secret, *tokens):
                assert secret and secret not in page.text
