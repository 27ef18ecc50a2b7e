"""``python -m tickwire.core.testing ADAPTER [EMULATOR] [--check NAME ...]``: print a report.

Exit code 0 when no check failed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from tickwire.core.testing.runner import run_conformance


def main(argv: Sequence[str] | None = None) -> int:
    """Run the conformance kit from the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m tickwire.core.testing",
        description="Run tickwire's conformance checks for an adapter against an emulator.",
    )
    parser.add_argument("adapter", help="registered adapter name")
    parser.add_argument("emulator", nargs="?", help="registered emulator (default: the venue's)")
    parser.add_argument("--check", action="append", metavar="NAME", help="run only this check")
    parser.add_argument("--seed", type=int, default=1, help="emulator seed (default: 1)")
    args = parser.parse_args(argv)
    report = asyncio.run(
        run_conformance(args.adapter, args.emulator, checks=args.check, seed=args.seed)
    )
    print(report)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
