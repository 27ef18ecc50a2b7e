"""What the ``tickwire`` command shows: the market board and the registry listing.

The board lives in :mod:`tickwire.core.cli.board`; it is re-exported here, where the
commands have always imported it from.
"""

from __future__ import annotations

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from tickwire.core.cli.board import Board, book_ladder
from tickwire.core.registry import Registry

__all__ = ["Board", "book_ladder", "registry_tables"]


def registry_tables(registry: Registry) -> list[RenderableType]:
    """The ``tickwire exchanges`` listing: adapters, emulators, plugin problems."""
    emulated: dict[str, list[str]] = {}
    for emulator in registry.emulators.values():
        emulated.setdefault(emulator.venue, []).append(emulator.name)
    adapters = Table(title="Adapters", title_justify="left")
    for column in ("Name", "Channels", "Private", "Emulator", "Description"):
        adapters.add_column(column)
    for name, spec in sorted(registry.adapters.items()):
        adapters.add_row(
            name,
            ", ".join(sorted(spec.channels)),
            "yes" if spec.private else "no",
            ", ".join(emulated.get(name, [])) or "—",
            spec.description,
        )
    emulators = Table(title="Emulators", title_justify="left")
    for column in ("Name", "Venue", "Description"):
        emulators.add_column(column)
    for name, emulator in sorted(registry.emulators.items()):
        emulators.add_row(name, emulator.venue, emulator.description)
    parts: list[RenderableType] = [adapters, emulators]
    for problem in registry.problems:
        parts.append(Text(f"plugin problem: {problem}", style="yellow"))
    return parts
