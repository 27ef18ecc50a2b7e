"""Receive path against the floor (issue 12): tickwire next to clients that only receive.

Run by hand (pytest does not collect it)::

    python tests/benchmarks/bench_floor.py --n 200000 --repeat 5          # the CPU table
    python tests/benchmarks/bench_floor.py --rate 10000 100000 --repeat 5 --realtime  # latency
    python tests/benchmarks/bench_floor.py --rss --n 10000000             # RSS over 10 M frames

``--clients sink floor-raw …`` adds the sender's ceiling (a raw socket counting bytes);
``--clients floor-typed floor-handoff tickwire --rate …`` adds the cost of handing each
decoded message to another task (the consumer's) to the floor's latency;
``--clients floor-typed tickwire tickwire-inline --rate …`` adds tickwire delivering to an
``on_event(cb, inline=True)`` callback in the reader's task (no hand-over, floor-typed's span);
``--clients tickwire tickwire+metrics`` compares tickwire without and with its metrics
counting, interleaved (issue 14: the cost must stay within the runs' noise);
``--tickwire DIR`` measures a ``git archive`` export instead of the installed tickwire.
Figures and method: BENCHMARKS.md, "Receive path against the floor (issue 12)".

A replay server (:mod:`floor_server`, its own process, pinned to CPU 0) speaks just
enough of KuCoin and Kraken v2 for each client to subscribe, then writes pre-encoded
frames of one stream (:mod:`floor_streams`) in slices of up to 1 MiB, so the sender is never
what limits a client. Each client (:mod:`floor_clients`: ``floor-raw``,
``floor-typed``, ``tickwire``) runs in a process of its own, pinned to CPU 1, once per
stream per run; runs are interleaved (every stream and client in run 1, then run 2…)
so a noisy minute hits every client alike (the CPU runs: clients in reverse order in
every other run, so that none always goes first). Every frame must arrive as one frame or
event: a shortfall, a status or an error in the window is printed and the script exits
non-zero.

Modes:

- default: CPU µs per frame (``time.process_time`` of the client process over its
  receive window, divided by the frames), medians of ``--repeat`` runs with min-max,
  tickwire's ratio to ``floor-typed`` (of the medians, and the min-max of the per-run
  ratios), and floor-raw's rate (frames/s: the sender's ceiling is at least that);
- ``--rate R …``: the server paces the feed at R frames/s (``--seconds`` long) and each
  client reports latency from the local receive time to the moment its code has the
  decoded frame (tickwire: ``event.received`` → the consumer holds the event), p50 /
  p99 / p99.9; the script also joins the server's send times with the client's
  delivery times (one clock, ``time.time_ns``, one machine): send → delivery;
- ``--rss``: the server repeats one encoded cycle of 100,000 updates (and the frames
  that restore the book; KuCoin sequences moved on each pass), ``--n`` frames in all,
  and the client's RSS is sampled from ``/proc`` every ``--sample`` seconds: start (at
  subscribe), peak, end, and the RSS at each tenth of the run.

``--raw PATH`` writes every run's result as JSON lines.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from array import array
from pathlib import Path
from typing import IO, Any

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from floor_clients import CLIENTS, HANDOFF, INLINE, METRICS, SINK, SUBSCRIPTIONS  # noqa: E402

STREAMS = list(SUBSCRIPTIONS)
SERVER_CPU, CLIENT_CPU = 0, 1
CYCLE = 100_000  # --rss: updates encoded once, then repeated (floor_server --cycle)


class ServerProcess:
    """The replay server child: started, told ``go …``, stopped."""

    def __init__(self, n: int, seed: int, cycle: int | None = None, realtime: bool = False) -> None:
        command = [sys.executable, str(HERE / "floor_server.py"), "--n", str(n)]
        command += ["--seed", str(seed), "--cpu", str(SERVER_CPU)]
        command += ["--cycle", str(cycle)] if cycle else []
        command += ["--realtime"] if realtime else []
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        self.port = int(self.read()["port"])

    def read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise SystemExit("the floor server ended")
        result: dict[str, Any] = json.loads(line)
        return result

    def go(self, command: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()

    def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)


class RssSampler(threading.Thread):
    """Reads a process's VmRSS from /proc every ``interval`` seconds until stopped."""

    def __init__(self, pid: int, interval: float) -> None:
        super().__init__(daemon=True)
        self.path = f"/proc/{pid}/status"
        self.interval = interval
        self.samples: list[int] = []  # KiB
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(self.interval):
            try:
                with open(self.path) as status:
                    for line in status:
                        if line.startswith("VmRSS:"):
                            self.samples.append(int(line.split()[1]))
            except OSError:
                return


def _line(stream: IO[str] | None, what: str) -> dict[str, Any]:
    assert stream is not None
    line = stream.readline()
    if not line:
        raise RuntimeError(f"{what}: the process ended without a result")
    result: dict[str, Any] = json.loads(line)
    return result


def run_client(
    server: ServerProcess, client: str, stream: str, frames: int, go: str, args: argparse.Namespace
) -> dict[str, Any]:
    """One client process on one stream: ready, go, result (with RSS samples if asked)."""
    command = [sys.executable, str(HERE / "floor_clients.py"), "--client", client]
    command += ["--stream", stream, "--port", str(server.port), "--frames", str(frames)]
    command += ["--cpu", str(CLIENT_CPU), *(["--realtime"] if args.realtime else [])]
    command += ["--uvloop"] if args.uvloop else []
    command += args.client_options
    if client == SINK:  # it counts bytes, not frames: how many make the frames
        server.go(f"size {stream} {frames}")
        command += ["--bytes", str(server.read()["bytes"])]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=args.client_env)
    sampler = RssSampler(process.pid, args.sample) if args.rss else None
    try:
        ready = _line(process.stdout, f"{client} {stream}")
        if sampler is not None:
            sampler.start()
        server.go(go)
        result = _line(process.stdout, f"{client} {stream}")
        result["sent"] = server.read()
        result["rss_start_kib"] = ready["rss_kib"]
    finally:
        if sampler is not None:
            sampler.done.set()
        process.wait(timeout=60)
    if sampler is not None:
        result["rss_samples_kib"] = sampler.samples
    return result


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def spread(values: list[float], fmt: str = "{:.2f}") -> str:
    """``median [min-max]``."""
    low, mid, high = (fmt.format(v) for v in (min(values), statistics.median(values), max(values)))
    return f"{mid} [{low}-{high}]"


def check(result: dict[str, Any], label: str, failures: list[str]) -> bool:
    """Every frame as one frame or event, nothing else in the window, the server done."""
    ok = (
        result["frames"] == result["wanted"]
        and not result["anomalies"]
        and "error" not in result["sent"]
    )
    if not ok:
        failures.append(
            f"{label}: {result['frames']} of {result['wanted']} frames; "
            f"{result['anomalies']} {result['sent']}"
        )
    return ok


def throughput(args: argparse.Namespace, raw: list[dict[str, Any]], failures: list[str]) -> None:
    """The CPU table."""
    server = ServerProcess(args.n, args.seed)
    cpu: dict[tuple[str, str], list[float]] = {}
    rate: dict[tuple[str, str], list[float]] = {}
    rss: dict[tuple[str, str], list[float]] = {}
    per_run: dict[str, list[float]] = {}
    metrics_per_run: dict[str, list[float]] = {}  # tickwire+metrics / tickwire, per run
    inline_per_run: dict[str, list[float]] = {}  # tickwire-inline / floor-typed, per run
    try:
        for run in range(args.repeat):
            for stream in args.streams:
                this_run: dict[str, float] = {}
                # Every other run in the reverse order: no client always runs first, or
                # always right after another (a bias of a few % showed up in fixed pairs).
                order = args.clients if run % 2 == 0 else args.clients[::-1]
                for client in order:
                    result = run_client(server, client, stream, args.n, f"go blast {args.n}", args)
                    raw.append(
                        {
                            "mode": "cpu",
                            "run": run + 1,
                            "stream": stream,
                            "client": client,
                            **result,
                        }
                    )
                    if not check(result, f"run {run + 1} {stream} {client}", failures):
                        continue
                    us = result["cpu"] / result["frames"] * 1e6
                    this_run[client] = us
                    cpu.setdefault((stream, client), []).append(us)
                    rate.setdefault((stream, client), []).append(
                        (result["frames"] - 1) / result["wall"]
                    )
                    rss.setdefault((stream, client), []).append(result["maxrss_kib"] / 1024)
                if "tickwire" in this_run and "floor-typed" in this_run:
                    per_run.setdefault(stream, []).append(
                        this_run["tickwire"] / this_run["floor-typed"]
                    )
                if INLINE in this_run and "floor-typed" in this_run:
                    inline_per_run.setdefault(stream, []).append(
                        this_run[INLINE] / this_run["floor-typed"]
                    )
                if "tickwire" in this_run and METRICS in this_run:
                    metrics_per_run.setdefault(stream, []).append(
                        this_run[METRICS] / this_run["tickwire"]
                    )
    finally:
        server.stop()
    print(
        f"\nCPU µs per frame, N = {args.n:,} frames per stream, median [min-max] of {args.repeat} "
        f"interleaved runs; client on CPU {CLIENT_CPU}, server on CPU {SERVER_CPU}"
    )
    header = f"{'stream':<14}" + "".join(f"{c:>22}" for c in args.clients)
    header += f"{'tickwire/typed':>26}{'floor-raw frames/s':>30}"
    print(header)
    print("-" * len(header))
    for stream in args.streams:
        row = f"{stream:<14}"
        for client in args.clients:
            values = cpu.get((stream, client))
            row += f"{spread(values) if values else 'failed':>22}"
        tw, typed = cpu.get((stream, "tickwire")), cpu.get((stream, "floor-typed"))
        ratio = "n/a"
        if tw and typed and stream in per_run:
            runs = per_run[stream]
            of_medians = statistics.median(tw) / statistics.median(typed)
            ratio = f"{of_medians:.2f}x [{min(runs):.2f}-{max(runs):.2f}]"
        row += f"{ratio:>26}"
        floor_rate = rate.get((stream, "floor-raw"))
        row += f"{spread(floor_rate, '{:,.0f}') if floor_rate else 'n/a':>30}"
        print(row)
    for stream, runs in inline_per_run.items():
        of_medians = statistics.median(cpu[(stream, INLINE)]) / statistics.median(
            cpu[(stream, "floor-typed")]
        )
        print(
            f"{INLINE}/typed, {stream}: {of_medians:.2f}x of the medians "
            f"[per run {min(runs):.2f}-{max(runs):.2f}]"
        )
    for stream, runs in metrics_per_run.items():
        on, off = cpu[(stream, METRICS)], cpu[(stream, "tickwire")]
        change = (statistics.median(on) / statistics.median(off) - 1) * 100
        low, high = ((min(runs) - 1) * 100, (max(runs) - 1) * 100)
        noise_off = (max(off) / min(off) - 1) * 100
        noise_on = (max(on) / min(on) - 1) * 100
        print(
            f"metrics on vs off, {stream}: {change:+.1f} % of the medians "
            f"[per run {low:+.1f} to {high:+.1f} %]; spread of the runs: "
            f"off {noise_off:.1f} %, on {noise_on:.1f} %"
        )
    print(
        "\npeak RSS (MiB, max over runs): "
        + "; ".join(
            f"{stream} "
            + ", ".join(
                f"{c} {max(rss[(stream, c)]):.1f}" for c in args.clients if (stream, c) in rss
            )
            for stream in args.streams
        )
    )
    print(
        "frames/s (median): "
        + "; ".join(
            f"{stream} "
            + ", ".join(
                f"{c} {statistics.median(rate[(stream, c)]):,.0f}"
                for c in args.clients
                if (stream, c) in rate
            )
            for stream in args.streams
        )
    )


def latency(args: argparse.Namespace, raw: list[dict[str, Any]], failures: list[str]) -> None:
    """The paced runs: receive → delivery and send → delivery percentiles."""
    clients = [c for c in args.clients if c not in ("floor-raw", SINK)]  # they decode nothing
    most = max(args.rate) * args.seconds
    server = ServerProcess(int(most), args.seed, realtime=args.realtime)
    table: dict[tuple[int, str, str], dict[str, list[float]]] = {}
    scratch = tempfile.mkdtemp(prefix="floor-latency-")
    try:
        for run in range(args.repeat):
            for rate in args.rate:
                frames = int(rate * args.seconds)
                for stream in args.streams:
                    for client in clients:
                        sends, deliveries = f"{scratch}/sends", f"{scratch}/deliveries"
                        args.client_options = ["--paced", "--deliveries", deliveries]
                        go = f"go paced {rate} {frames} {sends}"
                        result = run_client(server, client, stream, frames, go, args)
                        label = f"run {run + 1} {rate}/s {stream} {client}"
                        raw.append(
                            {"mode": "latency", "run": run + 1, "rate": rate, "stream": stream}
                        )
                        raw[-1] |= {"client": client, **result}
                        if not check(result, label, failures):
                            continue
                        sent, delivered = array("q"), array("q")
                        with open(sends, "rb") as f:
                            sent.frombytes(f.read())
                        with open(deliveries, "rb") as f:
                            delivered.frombytes(f.read())
                        wire = [(d - s) / 1000 for s, d in zip(sent, delivered, strict=True)]
                        cell = table.setdefault((rate, stream, client), {})
                        for name, value in result["latency_us"].items():
                            cell.setdefault(name, []).append(value)
                        for name, q in (
                            ("wire p50", 0.5),
                            ("wire p99", 0.99),
                            ("wire p99.9", 0.999),
                        ):
                            cell.setdefault(name, []).append(pct(wire, q))
                        raw[-1]["send_to_delivery_us"] = {
                            n: cell[n][-1] for n in cell if n.startswith("wire")
                        }
    finally:
        args.client_options = []
        server.stop()
    names = ["p50", "p99", "p99.9", "wire p50", "wire p99", "wire p99.9"]
    print(
        f"\nLatency µs, paced feed, {args.seconds:g} s per run, median of {args.repeat} runs: "
        "receive → delivery (p50 p99 p99.9) | send → delivery (p50 p99 p99.9)"
    )
    for rate in args.rate:
        print(f"\n{rate:,} frames/s")
        header = (
            f"{'stream':<14}{'client':<13}"
            + "".join(f"{n:>12}" for n in names)
            + f"{'p99 vs typed':>14}"
            + (f"{'vs handoff':>14}" if HANDOFF in clients else "")
        )
        print(header)
        print("-" * len(header))
        for stream in args.streams:
            for client in clients:
                cell = table.get((rate, stream, client), {})
                if not cell:
                    print(f"{stream:<14}{client:<13}failed")
                    continue
                row = f"{stream:<14}{client:<13}" + "".join(
                    f"{statistics.median(cell[n]):>12.1f}" for n in names
                )
                for other in ("floor-typed", HANDOFF):
                    floor = table.get((rate, stream, other))
                    if client in ("tickwire", INLINE) and floor:
                        ratio = statistics.median(cell["p99"]) / statistics.median(floor["p99"])
                        row += f"{ratio:>13.1f}x"
                print(row)


def memory(args: argparse.Namespace, raw: list[dict[str, Any]], failures: list[str]) -> None:
    """RSS over a long run per stream, frames made by the server as it sends."""
    server = ServerProcess(args.n, args.seed, cycle=CYCLE)
    print(f"\nRSS MiB over N = {args.n:,} frames per stream (sampled every {args.sample:g} s)")
    header = f"{'stream':<14}{'client':<13}{'start':>8}{'peak':>8}{'end':>8}{'frames/s':>11}"
    header += "   at each tenth of the run"
    print(header)
    print("-" * len(header))
    try:
        for stream in args.streams:
            for client in args.clients:
                result = run_client(server, client, stream, args.n, f"go blast {args.n}", args)
                raw.append({"mode": "rss", "stream": stream, "client": client, **result})
                check(result, f"rss {stream} {client}", failures)
                samples = [s / 1024 for s in result["rss_samples_kib"]] or [0.0]
                tenths = [
                    samples[min(len(samples) - 1, len(samples) * k // 10)] for k in range(1, 11)
                ]
                print(
                    f"{stream:<14}{client:<13}{result['rss_start_kib'] / 1024:>8.1f}"
                    f"{max(max(samples), result['maxrss_kib'] / 1024):>8.1f}"
                    f"{result['rss_end_kib'] / 1024:>8.1f}"
                    f"{result['frames'] / max(result['wall'], 1e-9):>11,.0f}   "
                    + " ".join(f"{t:.1f}" for t in tenths),
                    flush=True,
                )
    finally:
        server.stop()


def main() -> int:
    """Command-line entry point (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--n", type=int, default=200_000, help="frames per stream and run")
    parser.add_argument("--repeat", type=int, default=5, help="interleaved runs (medians shown)")
    parser.add_argument("--streams", nargs="+", choices=STREAMS, default=STREAMS)
    parser.add_argument(
        "--clients",
        nargs="+",
        choices=(*CLIENTS, HANDOFF, METRICS, INLINE, SINK),
        default=list(CLIENTS),
        help=f"{', '.join(CLIENTS)}; {HANDOFF}: floor-typed handing each message to a "
        f"second task; {METRICS}: tickwire counted (issue 14); {INLINE}: tickwire "
        f"delivering to an on_event(inline=True) callback, no hand-over; and {SINK}: the sender's "
        "ceiling, nothing decoded",
    )
    parser.add_argument("--rate", type=int, nargs="+", help="paced latency mode: frames/s")
    parser.add_argument("--seconds", type=float, default=3.0, help="paced: seconds per run")
    parser.add_argument("--rss", action="store_true", help="RSS mode (frames made while sent)")
    parser.add_argument("--sample", type=float, default=0.5, help="RSS: seconds between samples")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--realtime",
        action="store_true",
        help="run the clients SCHED_FIFO (root): on a shared machine a woken client then "
        "runs at once, instead of after another process's time slice (latency measures "
        "the scheduler otherwise)",
    )
    parser.add_argument(
        "--uvloop",
        action="store_true",
        help="run every client on uvloop's event loop instead of asyncio's (what a program "
        "may choose; a loop turn, which each hand-over between tasks costs, is cheaper there)",
    )
    parser.add_argument("--raw", metavar="PATH", help="write every run's result as JSON lines")
    parser.add_argument(
        "--tickwire",
        metavar="DIR",
        help="measure the tickwire in DIR (a checkout or `git archive` export of the repo) "
        "instead of the installed one; e.g. a commit while the working tree is being edited",
    )
    args = parser.parse_args()
    args.client_options = []
    args.client_env = None
    if args.tickwire:
        # The repo root *is* the tickwire package: a symlink named tickwire, first on the
        # clients' PYTHONPATH, shadows the installed (editable) one.
        shadow = Path(tempfile.mkdtemp(prefix="floor-tickwire-"))
        (shadow / "tickwire").symlink_to(Path(args.tickwire).resolve())
        args.client_env = {**os.environ, "PYTHONPATH": str(shadow)}
    if (os.cpu_count() or 1) < 2:
        parser.error("needs two CPUs: one for the server, one for the client")
    os.sched_setaffinity(0, {SERVER_CPU})  # the orchestrator mostly waits: beside the server
    tickwire = (args.tickwire or "the installed package") + (" on uvloop" if args.uvloop else "")
    print(
        f"tickwire from {tickwire}; Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} at start, "
        f"{time.strftime('%Y-%m-%d %H:%M')}"
    )
    raw: list[dict[str, Any]] = []
    failures: list[str] = []
    if args.rss:
        if args.clients == list(CLIENTS):
            args.clients = ["tickwire"]
        memory(args, raw, failures)
    elif args.rate:
        latency(args, raw, failures)
    else:
        throughput(args, raw, failures)
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.raw:
        with open(args.raw, "w") as out:
            out.writelines(json.dumps(line) + "\n" for line in raw)
    if failures:
        print("\nNOT EVERY FRAME WAS DELIVERED AS ONE FRAME OR EVENT:")
        for line in failures:
            print(f"    ! {line[:400]}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
