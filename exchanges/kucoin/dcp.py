"""Disconnection Protect ("dead-cancel-all"): cancel orders when the client stops renewing.

Reference §9:

* ``POST /api/v1/hf/orders/dead-cancel-all`` body ``{"timeout": s, "symbols": "A,B"}``:
  ``timeout`` -1 disables, otherwise 5..86400; ``symbols`` (≤ 50, comma-separated,
  optional: empty means every symbol). Each call replaces the setting and re-arms the
  timer; renewal is calling it again. Answer ``{"currentTime", "triggerTime"}`` in
  seconds (``{}`` when disabling).
* ``GET /api/v1/hf/orders/dead-cancel-all/query`` → ``{timeout, symbols, currentTime,
  triggerTime}``, or ``{}`` when nothing is armed.

When the timer fires, every open order of those symbols is canceled (``canceled`` pushes
follow) and the setting is cleared. ``second`` is how long one venue second lasts on the
emulator's clock, so tests can let a 5 s timeout fire in a fraction of a second; the
times answered stay in venue seconds.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tickwire.exchanges.kucoin.account import Account
from tickwire.exchanges.kucoin.keys import SPOT
from tickwire.exchanges.kucoin.privrest import Call, Guard, RestError, param_error

__all__ = ["DcpRoutes", "DcpSetting", "DeadCancel"]

MIN_TIMEOUT = 5
MAX_TIMEOUT = 86400
MAX_SYMBOLS = 50


@dataclass(frozen=True, slots=True)
class DcpSetting:
    """The armed switch: ``symbols`` empty means all; times in venue seconds."""

    timeout: int
    symbols: tuple[str, ...]
    set_at: int
    trigger_at: int


class DcpRoutes:
    """The set and query endpoints; each calling key's account has its own switch."""

    def __init__(self, guard: Guard, *, second: float = 1.0) -> None:
        if second <= 0:
            raise ValueError("second must be positive")
        self.guard = guard
        self.second = second
        self._switches: dict[Account, DeadCancel] = {}

    def switch(self, account: Account) -> DeadCancel:
        """The switch of ``account`` (made on first use)."""
        found = self._switches.get(account)
        if found is None:
            found = self._switches[account] = DeadCancel(account, second=self.second)
        return found

    def disarm_all(self) -> None:
        """Stop every account's timer (the venue is stopping)."""
        for switch in self._switches.values():
            switch.disarm()

    def add_routes(self, app: web.Application) -> None:
        """Mount the set and query endpoints."""
        base = "/api/v1/hf/orders/dead-cancel-all"
        app.router.add_post(base, self.guard.wrap(SPOT, self.set))
        app.router.add_get(f"{base}/query", self.guard.wrap(SPOT, self.query))

    async def set(self, call: Call) -> dict[str, Any]:
        """Arm, re-arm (renew) or disable the caller's switch."""
        return self.switch(call.account).set(call.json())

    async def query(self, call: Call) -> dict[str, Any]:
        """The caller's armed setting, or ``{}``."""
        return self.switch(call.account).query()


class DeadCancel:
    """The dead-man switch of one account."""

    def __init__(self, account: Account, *, second: float = 1.0) -> None:
        if second <= 0:
            raise ValueError("second must be positive")
        self.account = account
        self.second = second
        self.setting: DcpSetting | None = None
        self.fired = 0
        """How many times the switch has cancelled orders."""
        self._timer: asyncio.TimerHandle | None = None

    def _now(self) -> int:
        # Venue seconds: wall time, scaled like the timer so answers stay consistent.
        return int(time.time() / self.second)

    def disarm(self) -> None:
        """Forget the setting and stop the timer."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.setting = None

    def set(self, body: dict[str, Any]) -> dict[str, Any]:
        """Arm, re-arm (renew) or disable the switch (``body`` as the venue takes it)."""
        timeout = body.get("timeout")
        if isinstance(timeout, bool) or not isinstance(timeout, int):
            raise param_error("timeout is required (an integer number of seconds)")
        if timeout != -1 and not MIN_TIMEOUT <= timeout <= MAX_TIMEOUT:
            raise param_error(f"timeout must be -1 or between {MIN_TIMEOUT} and {MAX_TIMEOUT}")
        raw = body.get("symbols") or ""
        if not isinstance(raw, str):
            raise param_error("symbols must be a comma-separated string")
        symbols = tuple(dict.fromkeys(s for s in raw.split(",") if s))
        if len(symbols) > MAX_SYMBOLS:
            raise param_error(f"at most {MAX_SYMBOLS} symbols")
        for name in symbols:
            if name not in self.account.symbols:
                raise RestError("900001", "symbol not exists")
        self.disarm()
        if timeout == -1:
            return {}
        now = self._now()
        self.setting = DcpSetting(timeout, symbols, now, now + timeout)
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(timeout * self.second, self.fire)
        return {"currentTime": now, "triggerTime": now + timeout}

    def query(self) -> dict[str, Any]:
        """The armed setting, or ``{}``."""
        s = self.setting
        if s is None:
            return {}
        return {
            "timeout": s.timeout,
            "symbols": ",".join(s.symbols),
            "currentTime": self._now(),
            "triggerTime": s.trigger_at,
        }

    def fire(self) -> None:
        """Cancel the protected orders now (what the timer does when not renewed)."""
        setting = self.setting
        self.disarm()
        if setting is None:
            return
        self.fired += 1
        engine = self.account.engine
        if not setting.symbols:
            engine.cancel_all()
            return
        for name in setting.symbols:
            engine.cancel_all(self.account.spec_symbol(name))
