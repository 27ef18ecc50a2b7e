"""Run a program the way the ``tickwire`` command runs: a failure is one line, not a trace.

::

    from tickwire.core.program import run

    async def main() -> None:
        async with connect("kraken") as client:
            ...

    if __name__ == "__main__":
        run(main())

Ctrl-C ends the program quietly (exit code 0). An expected failure — no network, a venue
refusing the key, a bad config — prints ``<program>: error: <one line>`` and exits with 1;
a bug keeps its traceback. ``TICKWIRE_DEBUG=1`` shows the traceback in every case.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Coroutine
from typing import Any, NoReturn

from tickwire.core.cli.common import debug_enabled, describe_error

__all__ = ["run"]


def run(main: Coroutine[Any, Any, Any], *, name: str | None = None) -> NoReturn:
    """``asyncio.run(main)``, then exit: 0 when done or interrupted, 1 on a failure."""
    program = name or os.path.basename(sys.argv[0]) or "python"
    try:
        asyncio.run(main)
    except KeyboardInterrupt:
        sys.exit(0)
    except Exception as exc:
        line = None if debug_enabled() else describe_error(exc)
        if line is None:
            raise
        print(f"{program}: error: {' '.join(line.split())}", file=sys.stderr)
        sys.exit(1)
    sys.exit(0)
