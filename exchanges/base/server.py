"""The loopback server every emulator runs on, and one outgoing pipe per WebSocket.

:class:`EmulatorServer` owns an aiohttp application bound to ``127.0.0.1`` on an
ephemeral port. A venue emulator subclasses it, adds its routes in :meth:`setup_routes`
and starts its background tasks with :meth:`start_task`::

    class MyVenue(EmulatorServer):
        def setup_routes(self, app: web.Application) -> None:
            app.router.add_get("/ws", self._ws_handler)

    async with MyVenue() as ex:
        print(ex.ws_base, ex.base_url)

Every WebSocket is wrapped in a :class:`Connection`: frames are queued and written by one
writer task per socket, so a frame built now can never overtake a frame built earlier
(the order a book needs), a slow client never blocks the market, and a fault can hold,
release or cut one socket without the venue code knowing how.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from typing import Any, Self

from aiohttp import WSMsgType, web

__all__ = ["Connection", "EmulatorServer"]

log = logging.getLogger(__name__)

#: Frames queued for one client beyond which it counts as a slow consumer and is cut,
#: as a venue would, instead of letting the emulator's memory grow without bound.
MAX_BACKLOG = 200_000


class Connection:
    """One accepted WebSocket and its outgoing queue.

    ``send()`` never blocks: it queues a text frame that :meth:`run_writer` writes in
    order. ``hold()``/``release()`` stop and restart the writer without losing frames
    (a stalled network path); ``abort()`` drops the TCP connection without a close
    frame (a network cut, close code 1006 on the client side).
    """

    def __init__(self, ws: web.WebSocketResponse, request: web.Request, *, conn_id: int) -> None:
        self.ws = ws
        self.request = request
        self.id = conn_id
        self._queue: asyncio.Queue[bytes] = asyncio.Queue()
        self._live = asyncio.Event()
        self._live.set()
        self._drained = asyncio.Event()
        self._drained.set()
        self._low_water = 0
        self.finished = asyncio.Event()
        """Set once the connection's handler has finished (the socket is gone)."""

    @property
    def backlog(self) -> int:
        """Frames queued but not yet written."""
        return self._queue.qsize()

    @property
    def held(self) -> bool:
        """Whether the writer is paused by :meth:`hold`."""
        return not self._live.is_set()

    @property
    def closed(self) -> bool:
        """Whether the socket is closed or closing."""
        return self.ws.closed

    def send(self, frame: bytes) -> None:
        """Queue one UTF-8 JSON text frame; cut the client if it fell too far behind."""
        if self.ws.closed:
            return
        self._queue.put_nowait(frame)
        if self._queue.qsize() > MAX_BACKLOG:
            log.warning("connection %d: %d frames backlog, dropping it", self.id, MAX_BACKLOG)
            self.abort()

    async def wait_backlog_below(self, frames: int) -> None:
        """Wait until at most ``frames`` are queued (flow control for bursts)."""
        while self._queue.qsize() > frames and not self.ws.closed and not self.held:
            self._low_water = frames
            self._drained.clear()
            await self._drained.wait()

    def hold(self) -> None:
        """Pause writing: queued and new frames wait until :meth:`release`."""
        self._live.clear()

    def release(self) -> None:
        """Resume writing after :meth:`hold`, queued frames first."""
        self._live.set()

    def abort(self) -> None:
        """Drop the TCP connection at once, without a WebSocket close frame."""
        transport = self.request.transport
        if transport is not None:
            transport.abort()
        self._wake()

    async def close(self, code: int = 1001) -> None:
        """Close politely (default 1001, going away); abort if the client does not answer."""
        try:
            async with asyncio.timeout(1.0):
                await self.ws.close(code=code)
        except (TimeoutError, ConnectionError):
            self.abort()

    def _wake(self) -> None:
        # Let a burst waiting for space notice that this socket is gone.
        self._drained.set()

    async def run_writer(
        self,
        idle_after: float | None = None,
        on_idle: Callable[[Connection], bytes | None] | None = None,
    ) -> None:
        """Write queued frames until the socket closes or this task is cancelled.

        After ``idle_after`` seconds with nothing written, ``on_idle(self)`` may return a
        frame to send (a venue heartbeat); nothing is sent while the writer is held.
        """
        send = self.ws.send_frame
        try:
            while not self.ws.closed:
                try:
                    async with asyncio.timeout(idle_after):
                        frame = await self._queue.get()
                except TimeoutError:
                    if on_idle is None or self.held:
                        continue
                    idle_frame = on_idle(self)
                    if idle_frame is None:
                        continue
                    frame = idle_frame
                else:
                    if self._queue.qsize() <= self._low_water:
                        self._drained.set()
                await self._live.wait()
                await send(frame, WSMsgType.TEXT)
        except (ConnectionError, RuntimeError) as exc:
            # The peer vanished mid-write (aiohttp raises ClientConnectionResetError, a
            # ConnectionError, or RuntimeError once the transport is closing).
            log.debug("connection %d: writer stopped: %r", self.id, exc)
            self.abort()
        finally:
            self._wake()


class EmulatorServer:
    """aiohttp application on ``127.0.0.1`` (port 0 = ephemeral) as an async context manager.

    Subclasses override :meth:`setup_routes` and, for background work such as a market
    ticker, :meth:`on_start`. Tasks started with :meth:`start_task` and every tracked
    :class:`Connection` end when the context exits; an exception that ended a
    background task or a WebSocket handler is re-raised there, so an emulator bug
    never goes unnoticed.
    """

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self._requested_port = port
        self._port: int | None = None
        self._runner: web.AppRunner | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._task_errors: list[BaseException] = []
        self._connections: dict[int, Connection] = {}
        self.connection_count = 0
        """Connections accepted since start (also counts those already closed)."""

    # -- lifecycle -------------------------------------------------------------------

    def setup_routes(self, app: web.Application) -> None:
        """Add the venue's routes to ``app`` (called once, before the server starts)."""

    async def on_start(self) -> None:
        """Start background work once the socket is bound (override; default: nothing)."""

    async def __aenter__(self) -> Self:
        app = web.Application()
        self.setup_routes(app)
        # A short shutdown timeout: every socket is closed explicitly before cleanup.
        runner = web.AppRunner(app, shutdown_timeout=1.0, handle_signals=False)
        await runner.setup()
        self._runner = runner
        try:
            site = web.TCPSite(runner, self.host, self._requested_port)
            await site.start()
            self._port = int(runner.addresses[0][1])
            await self.on_start()
        except BaseException:
            await self._shutdown()
            raise
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._shutdown()
        if self._task_errors and exc_info[0] is None:
            raise self._task_errors[0]

    async def _shutdown(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.gather(*(c.close() for c in list(self._connections.values())))
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def start_task(self, coro: Coroutine[Any, Any, None], *, name: str | None = None) -> None:
        """Run ``coro`` until the server stops; its failure is re-raised on exit."""
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.error("emulator task %s failed", task.get_name(), exc_info=exc)
            self._task_errors.append(exc)

    # -- addresses -------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The bound TCP port (known once the context is entered)."""
        if self._port is None:
            raise RuntimeError("the emulator is not running; use `async with`")
        return self._port

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://{self.host}:{self.port}"

    @property
    def ws_base(self) -> str:
        """``ws://127.0.0.1:PORT``."""
        return f"ws://{self.host}:{self.port}"

    # -- connections -----------------------------------------------------------------

    @property
    def connections(self) -> int:
        """Number of WebSockets currently open."""
        return len(self._connections)

    def open_connections(self) -> list[Connection]:
        """The tracked connections, oldest first."""
        return list(self._connections.values())

    async def serve_websocket(
        self,
        request: web.Request,
        on_message: Callable[[Connection, bytes], Awaitable[None] | None],
        *,
        on_open: Callable[[Connection], None] | None = None,
        on_close: Callable[[Connection], None] | None = None,
        idle_after: float | None = None,
        on_idle: Callable[[Connection], bytes | None] | None = None,
    ) -> web.WebSocketResponse:
        """Accept a WebSocket and run it: one reader (this task) and one writer task.

        ``on_message(conn, data)`` gets each text or binary frame's payload as bytes;
        ``on_open``/``on_close`` bracket the connection; ``on_idle`` is the writer's
        idle hook (see :meth:`Connection.run_writer`). Use it as the route handler body.
        """
        ws = web.WebSocketResponse(compress=False, max_msg_size=1 << 20)
        await ws.prepare(request)
        self.connection_count += 1
        conn = Connection(ws, request, conn_id=self.connection_count)
        writer = asyncio.create_task(
            conn.run_writer(idle_after, on_idle), name=f"ws-writer-{conn.id}"
        )
        with self._tracked(conn):
            try:
                if on_open is not None:
                    on_open(conn)
                async for msg in ws:
                    if msg.type is WSMsgType.TEXT:
                        data = msg.data.encode()
                    elif msg.type is WSMsgType.BINARY:
                        data = msg.data
                    else:
                        continue
                    result = on_message(conn, data)
                    if result is not None:
                        await result
            except Exception as exc:
                # A bug in the venue code: surface it when the emulator exits, not
                # just in aiohttp's log.
                self._task_errors.append(exc)
                raise
            finally:
                if on_close is not None:
                    on_close(conn)
                writer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await writer
        return ws

    @contextlib.contextmanager
    def _tracked(self, conn: Connection) -> Iterator[None]:
        self._connections[conn.id] = conn
        try:
            yield
        finally:
            del self._connections[conn.id]
            conn.finished.set()

    def send_raw(self, frame: bytes) -> int:
        """Send ``frame`` as-is, as a text frame, on every open WebSocket.

        A fault hook: a malformed or hostile frame (invalid JSON or UTF-8, a value no
        schema allows), as a buggy venue would send. Returns how many sockets got it.
        """
        conns = self.open_connections()
        for conn in conns:
            conn.send(frame)
        return len(conns)

    async def drop_all(self) -> None:
        """Cut every open WebSocket abruptly (no close frame), as a network failure would."""
        conns = list(self._connections.values())
        for conn in conns:
            conn.abort()
        # Return once the handlers have noticed, so `connections` already reads 0.
        async with asyncio.timeout(5.0):
            await asyncio.gather(*(c.finished.wait() for c in conns))
