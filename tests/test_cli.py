"""The ``tickwire`` command, run in-process against the Kraken emulator on 127.0.0.1.

``main()`` runs its own event loop, so these tests are synchronous and the emulator
serves from a thread with its own loop (one per module: starting it is the slow part).
"""

import asyncio
import io
import json
import logging
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from importlib.metadata import version

import pytest
from rich.console import Console

import tickwire.core
from tickwire.core.cli import build_parser, logs, main
from tickwire.core.cli.tables import Board
from tickwire.core.types import StreamState, StreamStatus, Ticker, decode_event
from tickwire.exchanges.kraken import KrakenEmulator


@pytest.fixture(scope="module")
def emulator() -> Iterator[KrakenEmulator]:
    """A Kraken emulator with a lively market, served from its own thread and loop."""
    ready = threading.Event()
    holder: dict[str, object] = {}

    async def serve() -> None:
        stop = asyncio.Event()
        async with KrakenEmulator(seed=1, interval=0.01) as ex:
            holder["ex"], holder["stop"], holder["loop"] = ex, stop, asyncio.get_running_loop()
            ready.set()
            await stop.wait()

    def run() -> None:
        try:
            asyncio.run(serve())
        finally:
            ready.set()  # never leave the fixture waiting if the emulator failed to start

    thread = threading.Thread(target=run, name="kraken-emulator", daemon=True)
    thread.start()
    ready.wait(10)
    if "ex" not in holder:
        thread.join(5)
        pytest.fail("the Kraken emulator did not start")
    yield holder["ex"]  # type: ignore[misc]
    holder["loop"].call_soon_threadsafe(holder["stop"].set)  # type: ignore[attr-defined]
    thread.join(10)


def capture_console() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, width=120, force_terminal=False, color_system=None), out


def closed_port() -> int:
    """A 127.0.0.1 port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def assert_one_error_line(err: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("tickwire: error: ")
    assert "Traceback" not in err


# --- exchanges -------------------------------------------------------------------------


def test_exchanges_lists_the_kraken_adapter_and_emulator(capsys):
    console, out = capture_console()
    assert main(["exchanges"], console=console) == 0
    text = out.getvalue()
    assert "Adapters" in text and "Emulators" in text
    adapter_row = next(line for line in text.splitlines() if line.strip().startswith("│ kraken"))
    assert "ticker" in adapter_row and "book" in adapter_row
    assert capsys.readouterr().err == ""


# --- demo ------------------------------------------------------------------------------


def test_demo_runs_for_its_duration_and_renders_the_board(capsys):
    console, out = capture_console()
    assert main(["demo", "--duration", "2"], console=console) == 0
    text = out.getvalue()
    for expected in ("BTC/USD", "ETH/USD", "SOL/USD", "Bid", "Ask", "Spread", "kraken"):
        assert expected in text
    assert "kraken: connected" in text
    assert "demo ended:" in text
    assert capsys.readouterr().err == ""


def test_demo_takes_bare_assets_and_full_symbols(capsys):
    console, out = capture_console()
    assert main(["demo", "--duration", "0.5", "--symbols", "eth", "ETH/BTC"], console=console) == 0
    text = out.getvalue()
    assert "ETH/USD" in text and "ETH/BTC" in text and "BTC/USD" not in text


def test_demo_of_an_unknown_exchange_is_one_line(capsys):
    console, _ = capture_console()
    assert main(["demo", "--exchange", "nope", "--duration", "1"], console=console) == 1
    err = capsys.readouterr().err
    assert_one_error_line(err)
    assert "unknown venue 'nope'" in err and "kraken" in err


# --- stream ----------------------------------------------------------------------------


def test_stream_json_lines_decode_back_into_events(emulator, capsys):
    args = ["stream", "kraken", "--ws-url", emulator.ws_url, "--json", "--duration", "1"]
    args += ["--symbol", "BTC/USD", "--channel", "ticker", "--channel", "book"]
    assert main(args) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    events = [decode_event(line) for line in captured.out.splitlines()]
    assert any(isinstance(e, Ticker) and e.symbol == "BTC/USD" for e in events)
    assert any(getattr(e, "snapshot", False) for e in events)  # the book snapshot
    assert isinstance(events[0], StreamStatus) and events[0].state is StreamState.CONNECTED


def test_stream_table_shows_the_book_ladder(emulator, capsys):
    console, out = capture_console()
    args = ["stream", "kraken", "--ws-url", emulator.ws_url, "--duration", "0.5"]
    args += ["--symbol", "BTC/USD", "--channel", "book", "--depth", "10"]
    assert main(args, console=console) == 0
    text = out.getvalue()
    assert "kraken BTC/USD" in text  # the ladder's title
    ladder = text[text.index("kraken BTC/USD") :].splitlines()
    rows = [line for line in ladder if line.strip() and line.strip()[0].isdigit()]
    assert len(rows) == 10  # ten levels a side, best first


def test_stream_of_an_unknown_venue_is_one_line(capsys):
    assert main(["stream", "nope", "--symbol", "BTC/USD"]) == 1
    err = capsys.readouterr().err
    assert_one_error_line(err)
    assert "unknown venue 'nope'; registered: " in err and "kraken" in err


def test_stream_of_an_unknown_symbol_is_one_line(emulator, capsys):
    args = ["stream", "kraken", "--ws-url", emulator.ws_url, "--symbol", "FOO/BAR"]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert_one_error_line(err)
    assert "unknown symbol 'FOO/BAR'" in err


def test_stream_to_an_unreachable_url_is_one_line(capsys):
    url = f"ws://127.0.0.1:{closed_port()}/v2"
    args = ["stream", "kraken", "--ws-url", url, "--symbol", "BTC/USD"]
    started = time.monotonic()
    assert main(args) == 1  # the default connect timeout (10 s) is for silence only
    assert time.monotonic() - started < 1.0
    err = capsys.readouterr().err
    assert_one_error_line(err)
    assert f"cannot connect to {url}: Connection refused" in err  # the URL and the cause


def test_an_option_the_venue_refuses_is_one_line(emulator, capsys):
    args = ["stream", "kraken", "--ws-url", emulator.ws_url, "--symbol", "BTC/USD"]
    assert main([*args, "--channel", "book", "--depth", "7"]) == 1
    err = capsys.readouterr().err
    assert_one_error_line(err)
    assert "depth=7" in err


def test_a_bad_config_file_is_one_line_and_never_shows_secrets(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TW_TEST_KEY", "key-that-must-not-show")
    monkeypatch.setenv("TW_TEST_SECRET", "secret-that-must-not-show")
    config = tmp_path / "tickwire.toml"
    config.write_text(
        'venue = "nope"\n[credentials]\napi_key_env = "TW_TEST_KEY"\n'
        'api_secret_env = "TW_TEST_SECRET"\n'
    )
    assert main(["stream", "--config", str(config), "--symbol", "BTC/USD"]) == 1
    err = capsys.readouterr().err
    assert_one_error_line(err)
    assert "unknown venue 'nope'" in err and "must-not-show" not in err

    config.write_text('venue = "kraken"\nbogus = 1\n')
    assert main(["stream", "--config", str(config), "--symbol", "BTC/USD"]) == 1
    err = capsys.readouterr().err
    assert_one_error_line(err)
    assert "tickwire.toml" in err and "bogus" in err


def test_usage_errors_are_one_line_too(capsys):
    assert main(["stream", "kraken"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "--symbol" in err
    assert main(["--help"]) == 0


# --- the board -------------------------------------------------------------------------


def ticker(venue: str, symbol: str, bid: str, ask: str) -> Ticker:
    return Ticker(
        venue=venue,
        symbol=symbol,
        bid=Decimal(bid),
        bid_size=Decimal(1),
        ask=Decimal(ask),
        ask_size=Decimal(2),
        last=Decimal(bid),
        ts=0,
        received=0,
    )


def test_the_board_puts_one_market_of_two_venues_side_by_side():
    board = Board(reference="kucoin")  # a fixed baseline, whatever sorts first
    board.apply(ticker("kraken", "BTC/USD", "100.0", "100.2"))
    board.apply(ticker("kucoin", "BTC/USDT", "100.1", "100.3"))  # dollar stablecoin ~ USD
    board.apply(ticker("kraken", "ETH/BTC", "0.05", "0.06"))  # a different market: no Δ
    console, out = capture_console()
    console.print(board)
    lines = out.getvalue().splitlines()
    assert "Δ bps" in "\n".join(lines) and "mid against kucoin's" in "\n".join(lines)
    kraken = next(line for line in lines if "BTC/USD " in line)
    kucoin = next(line for line in lines if "BTC/USDT" in line)
    assert lines.index(kucoin) == lines.index(kraken) + 1  # adjacent rows
    assert "-10.0" in kraken and "ref" in kucoin  # 0.1 below kucoin's mid of 100.2


# --- Ctrl-C ----------------------------------------------------------------------------


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_ctrl_c_ends_the_demo_cleanly():
    import pty

    leader, follower = pty.openpty()
    # A background CI job may start us with SIGINT ignored; a user's terminal never does.
    script = (
        "import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
        "from tickwire.core.cli import main; sys.exit(main(['demo']))"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script], stdin=follower, stdout=follower, stderr=follower
    )
    os.close(follower)
    output = b""
    try:
        deadline = time.monotonic() + 30
        while b"connected" not in output:  # the live board is on screen
            assert time.monotonic() < deadline, output
            if select.select([leader], [], [], 1)[0]:
                output += os.read(leader, 65536)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
        while select.select([leader], [], [], 0.1)[0]:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal closed with the process
                break
            if not chunk:
                break
            output += chunk
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(leader)
    assert b"Traceback" not in output
    assert b"demo ended: " in output and b" events (" in output  # the --duration summary


# --- version and logging ----------------------------------------------------------------


def test_version_comes_from_the_package_metadata(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"tickwire {version('tickwire')}"
    assert tickwire.core.__version__ == version("tickwire")


@pytest.fixture
def bare_logging(monkeypatch):
    """Call it to have logging as a fresh ``tickwire`` process has it: no root handlers.

    A call, not a setup: pytest adds its capturing handlers as the test body starts.
    """
    root, tree = logging.getLogger(), logging.getLogger("tickwire")
    levels = root.level, tree.level
    yield lambda: monkeypatch.setattr(root, "handlers", [])
    root.setLevel(levels[0])
    tree.setLevel(levels[1])


@pytest.mark.parametrize(
    ("args", "level"),
    [
        ([], logging.NOTSET),  # the tree inherits the root's WARNING
        (["-v"], logging.INFO),
        (["-vv"], logging.DEBUG),
        (["exchanges", "-vv"], logging.DEBUG),  # after the command, too
        (["-vv", "--log-level", "error"], logging.ERROR),  # the named level wins
    ],
)
def test_verbosity_sets_the_level_of_the_tickwire_tree_only(bare_logging, capsys, args, level):
    bare_logging()
    command = args if "exchanges" in args else [*args, "exchanges"]
    assert main(command, console=capture_console()[0]) == 0
    assert logging.getLogger("tickwire").level == level
    assert logging.getLogger().level == logging.WARNING  # aiohttp, httpx: WARNING still
    logging.getLogger("httpx").info("a request, with its URL")
    logging.getLogger("tickwire.core.session").info("kraken public: connected")
    err = capsys.readouterr().err
    assert "a request" not in err
    assert ("kraken public: connected" in err) == (logging.INFO >= level > logging.NOTSET)


def test_log_json_writes_one_object_per_line(bare_logging, capsys):
    bare_logging()
    assert main(["--log-json", "-v", "exchanges"], console=capture_console()[0]) == 0
    logging.getLogger("tickwire.core.session").warning("kraken public: connection lost")
    lines = capsys.readouterr().err.splitlines()
    entry = json.loads(lines[-1])
    assert entry["level"] == "WARNING" and entry["logger"] == "tickwire.core.session"
    assert entry["message"] == "kraken public: connection lost" and entry["ts"]


def test_a_live_run_logs_its_connect_on_stderr(emulator, bare_logging, capsys):
    bare_logging()
    args = ["-v", "stream", "kraken", "--ws-url", emulator.ws_url, "--json", "--duration", "1"]
    assert main([*args, "--symbol", "BTC/USD", "--channel", "ticker"]) == 0
    err = capsys.readouterr().err
    assert "INFO tickwire.core.session: kraken public: connected to ws://127.0.0.1" in err


def test_known_secrets_are_masked_in_log_lines(bare_logging, capsys):
    bare_logging()
    args = build_parser().parse_args(["-v", "exchanges"])
    secrets = {"s3cr3t-value"}
    logs.configure(args, sys.stderr, secrets)
    logging.getLogger("tickwire.test").info("signed with %s", "s3cr3t-value")
    err = capsys.readouterr().err
    assert "s3cr3t-value" not in err and "signed with ***" in err
