"""The command's logging options: ``-v``/``-vv``, ``--log-level``, ``--log-json``.

The library configures no logging (a ``NullHandler`` on ``tickwire``); the command is a
program, so it sends log records to stderr. The level applies to the ``tickwire`` tree
only: ``-vv`` shows tickwire's DEBUG lines, not those of aiohttp, httpx or asyncio,
which stay at WARNING (httpx logs every request at INFO, URLs included).

=====================  ==========================================
(nothing)              WARNING: reconnects, give-ups
``-v``                 INFO: connects and recoveries as well
``-vv``                DEBUG
``--log-level LEVEL``  DEBUG, INFO, WARNING, ERROR or CRITICAL
``--log-json``         one JSON object per line instead of text
=====================  ==========================================
"""

from __future__ import annotations

import argparse
import json
import logging
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any, TextIO

__all__ = ["JsonFormatter", "add_arguments", "configure", "level_of"]

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def add_arguments(parser: argparse.ArgumentParser, *, suppress: bool = False) -> None:
    """Add the logging options to ``parser``.

    ``suppress``: for a subcommand's parser, so that the options may also follow the
    command (``tickwire stream kraken -v``) without resetting what preceded it.
    """
    default: Any = argparse.SUPPRESS
    group = parser.add_argument_group("logging (to stderr)")
    group.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=default if suppress else 0,
        help="more log lines: -v for INFO, -vv for DEBUG",
    )
    group.add_argument(
        "--log-level",
        type=str.upper,
        choices=LEVELS,
        default=default if suppress else None,
        metavar="LEVEL",
        help=f"tickwire's log level ({', '.join(LEVELS)}; overrides -v)",
    )
    group.add_argument(
        "--log-json",
        action="store_true",
        default=default if suppress else False,
        help="log one JSON object per line",
    )


def level_of(args: argparse.Namespace) -> int | None:
    """The level the options ask for, or None when they ask for nothing."""
    if args.log_level is not None:
        return logging.getLevelNamesMapping()[args.log_level]
    if args.verbose >= 2:
        return logging.DEBUG
    if args.verbose == 1:
        return logging.INFO
    return None


class JsonFormatter(logging.Formatter):
    """One JSON object per record: ``ts`` (UTC, ISO 8601), ``level``, ``logger``, ``message``."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON (an exception's traceback under ``exc``)."""
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class _Redact(logging.Filter):
    """Masks the secrets the command knows of: a last line of defence, like error lines."""

    def __init__(self, secrets: Collection[str]) -> None:
        super().__init__()
        self._secrets = secrets  # the command's live set: secrets loaded later count too

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = message
        for secret in self._secrets:
            if secret:
                masked = masked.replace(secret, "***")
        if masked != message:
            record.msg, record.args = masked, ()
        return True


def configure(args: argparse.Namespace, stream: TextIO, secrets: Collection[str] = ()) -> None:
    """Send log records to ``stream`` as the options ask (stdlib ``basicConfig``).

    Like ``basicConfig`` itself, this leaves a process that already configured logging
    (an embedder, pytest) alone, except for the level of the ``tickwire`` tree when the
    options name one.
    """
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if args.log_json else logging.Formatter(TEXT_FORMAT))
    handler.addFilter(_Redact(secrets))
    logging.basicConfig(level=logging.WARNING, handlers=[handler])
    level = level_of(args)
    if level is not None:
        logging.getLogger("tickwire").setLevel(level)
