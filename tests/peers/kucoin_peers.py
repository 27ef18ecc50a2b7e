"""What the KuCoin peer tests share: an emulator, truth readers, and a ccxt.pro client.

A peer is pointed at the emulator by URL only (its own options left at their defaults);
the suite's ``loopback_only`` guard (``conftest.py``) fails a test whose client tried
to reach anything else.
"""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import ssl
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tickwire.exchanges.kucoin import KucoinEmulator

T = TypeVar("T")

SYMBOLS = {
    "BTC/USDT": "BTC-USDT",
    "ETH/USDT": "ETH-USDT",
    "SOL/USDT": "SOL-USDT",
    "ETH/BTC": "ETH-BTC",
}
"""ccxt's unified symbol → the emulator's (KuCoin's) name."""


def as_floats(levels: Any) -> list[list[float]]:
    """``[(Decimal, Decimal), ...]`` as the ``[[float, float], ...]`` peers hold."""
    return [[float(p), float(q)] for p, q in levels]


def not_crossed(bids: list[Any], asks: list[Any]) -> bool:
    """Bids high→low, asks low→high, best bid below best ask."""
    bid_prices = [Decimal(str(b[0])) for b in bids]
    ask_prices = [Decimal(str(a[0])) for a in asks]
    return (
        bid_prices == sorted(bid_prices, reverse=True)
        and ask_prices == sorted(ask_prices)
        and (not bid_prices or not ask_prices or bid_prices[0] < ask_prices[0])
    )


@asynccontextmanager
async def ccxt_kucoin(ex: KucoinEmulator) -> AsyncIterator[Any]:
    """ccxt.pro's kucoin with the emulator's test account, every API host → the emulator."""
    ccxtpro = pytest.importorskip("ccxt.pro")
    creds = ex.credentials()
    client = ccxtpro.kucoin(
        {"apiKey": creds.api_key, "secret": creds.api_secret, "password": creds.passphrase}
    )
    # The URL override, and nothing else: every host ccxt knows for KuCoin (spot,
    # futures, broker, earn, unified, its push hosts) is the emulator; with default
    # options the WebSocket address comes from the emulator's bullet answer.
    hosts = client.urls["api"]
    client.urls["api"] = {
        name: dict.fromkeys(url, ex.ws_url) if isinstance(url, dict) else ex.rest_url
        for name, url in hosts.items()
    }
    try:
        yield client
    finally:
        await client.close()


class ThreadedEmulator:
    """A KuCoin emulator serving from its own thread and event loop.

    Some peers make blocking HTTP calls from inside their coroutines (kucoin-python's
    token request, cryptofeed's) or run their own threads (kucoin-universal-sdk): on
    the test's loop they would wait on a server that loop can no longer run. Controls
    and truth readers run on the emulator's loop through :meth:`run` / :meth:`read`.
    """

    def __init__(self, **kwargs: Any) -> None:
        self._kwargs = kwargs
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="kucoin-emulator")
        self.emulator: KucoinEmulator | None = None

    def __enter__(self) -> ThreadedEmulator:
        self._thread.start()
        self.emulator = self._call(self._start())
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            if self.emulator is not None:
                self._call(self.emulator.__aexit__(None, None, None))
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
            self._loop.close()

    async def _start(self) -> KucoinEmulator:
        ex = KucoinEmulator(**self._kwargs)
        await ex.__aenter__()
        return ex

    def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=30)

    @property
    def ex(self) -> KucoinEmulator:
        """The emulator (read its attributes only through :meth:`read`)."""
        assert self.emulator is not None, "not started"
        return self.emulator

    async def run(self, control: Callable[[KucoinEmulator], Awaitable[T]]) -> T:
        """Await ``control(emulator)`` on the emulator's loop (``step``, ``burst``...)."""
        future = asyncio.run_coroutine_threadsafe(control(self.ex), self._loop)
        return await asyncio.wrap_future(future)

    async def read(self, reader: Callable[[KucoinEmulator], T]) -> T:
        """``reader(emulator)`` run between two of the emulator's steps."""

        async def call() -> T:
            return reader(self.ex)

        return await self.run(lambda _: call())


def loopback_tls(directory: Path) -> tuple[ssl.SSLContext, Path]:
    """A server context for ``127.0.0.1`` and the PEM file a client must trust for it.

    A throw-away self-signed certificate (``cryptography``), so a peer that insists on
    ``wss`` can reach the emulator; point ``SSL_CERT_FILE`` at the PEM for the peer.
    """
    x509 = pytest.importorskip("cryptography.x509")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "tickwire loopback")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_pem = directory / "loopback-cert.pem"
    key_pem = directory / "loopback-key.pem"
    cert_pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_pem, key_pem)
    return context, cert_pem


class Inbox:
    """What a peer's callbacks delivered, from any thread, and a way to await a state."""

    def __init__(self) -> None:
        self.items: list[Any] = []
        self._loop = asyncio.get_running_loop()
        self._changed = asyncio.Event()

    def put(self, item: Any) -> None:
        """Deliver ``item`` (safe from a peer's own threads)."""
        self._loop.call_soon_threadsafe(self.add, item)

    def add(self, item: Any) -> None:
        """Deliver ``item`` on the test's loop."""
        self.items.append(item)
        self._changed.set()

    async def until(self, done: Callable[[list[Any]], bool], timeout: float = 10.0) -> None:
        """Wait until ``done(items)`` holds (``TimeoutError`` if it never does)."""
        async with asyncio.timeout(timeout):
            while not done(self.items):
                self._changed.clear()
                await self._changed.wait()


async def stop_stray_tasks(drop: Callable[[], Awaitable[None]]) -> None:
    """End tasks a peer started and never lets go of (kucoin-python's reconnect loop).

    That client swallows a cancellation that lands while it waits for a frame, so its
    socket is cut first (``drop``: the emulator's ``drop_all``), then everything is
    cancelled, until nothing is left.
    """
    me = asyncio.current_task()
    stray: list[asyncio.Task[Any]] = []
    for _ in range(20):
        stray = [t for t in asyncio.all_tasks() if t is not me and not t.done()]
        if not stray:
            return
        await drop()
        for task in stray:
            task.cancel()
        # A bounded wait: a task that swallowed this cancellation gets the next one.
        await asyncio.wait(stray, timeout=0.5)
    raise AssertionError(f"tasks would not stop: {stray}")
