"""The plugin registry: adapters and emulators, loaded from the ``tickwire.adapters`` group.

Built-in venues are entry points of tickwire's own distribution, so they load exactly
like a third party's. Each plugin is loaded and asked for its specs on its own: one that
fails to import, raises in a hook, or claims a name already taken is recorded in
:attr:`Registry.problems` (and shown by ``tickwire exchanges``) without breaking the
others. The built-in plugins load first, then the others in ``sys.path`` order; the
first plugin to claim a name keeps it. A problem reads, e.g.::

    plugin 'examplex-broken' failed to import: ModuleNotFoundError(...)
    plugin 'copycat' registers 'kraken', already registered by plugin 'kraken'; ignored

``Registry()`` reads the entry points installed at that moment: after ``pip install``
or ``pip uninstall`` a new registry sees the change, while :func:`default_registry` is
built once per process.

Tests build a private registry and add plugins by hand::

    registry = Registry(load_entry_points=False)
    registry.register(my_plugin_module, name="myvenue")
"""

from __future__ import annotations

import functools
from importlib.metadata import EntryPoint, entry_points
from typing import Any

import pluggy

from tickwire.core import hookspecs
from tickwire.core.errors import ConfigError, PluginError
from tickwire.core.hookspecs import AdapterSpec, EmulatorSpec

__all__ = ["ENTRY_POINT_GROUP", "Registry", "default_registry"]

ENTRY_POINT_GROUP = "tickwire.adapters"
BUILTIN_DISTRIBUTION = "tickwire"  # its entry points load before any other's


class Registry:
    """Adapters and emulators by name, with a record of every plugin that misbehaved."""

    def __init__(self, *, load_entry_points: bool = True) -> None:
        self.manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self.manager.add_hookspecs(hookspecs)
        self.adapters: dict[str, AdapterSpec] = {}
        self.emulators: dict[str, EmulatorSpec] = {}
        self.problems: list[PluginError] = []
        self._owners: dict[int, dict[str, str]] = {id(self.adapters): {}, id(self.emulators): {}}
        if load_entry_points:
            self._load_entry_points()

    def _load_entry_points(self) -> None:
        # tickwire's own plugins first (a stable sort keeps the rest in sys.path order):
        # a third party claiming "kraken" is then the clash reported, not the built-in.
        ordered = sorted(entry_points(group=ENTRY_POINT_GROUP), key=_third_party)
        for entry_point in ordered:
            if self.manager.has_plugin(entry_point.name):
                continue
            try:
                plugin = entry_point.load()
            except Exception as exc:
                self.problems.append(
                    PluginError(f"plugin {entry_point.name!r} failed to import: {exc!r}")
                )
                continue
            self.register(plugin, name=entry_point.name)

    def register(self, plugin: Any, *, name: str) -> None:
        """Register one plugin and collect its adapters and emulators."""
        try:
            self.manager.register(plugin, name=name)
        except Exception as exc:
            self.problems.append(PluginError(f"plugin {name!r} was refused: {exc}"))
            return
        for hook, table in (
            (self.manager.hook.register_adapters, self.adapters),
            (self.manager.hook.register_emulators, self.emulators),
        ):
            for impl in hook.get_hookimpls():
                if impl.plugin_name != name:
                    continue
                try:
                    specs: list[AdapterSpec | EmulatorSpec] = impl.function()  # type: ignore[assignment]
                except Exception as exc:
                    self.problems.append(PluginError(f"plugin {name!r} failed: {exc!r}"))
                    continue
                for spec in specs:
                    self._claim(table, spec, name)

    def unregister(self, name: str) -> None:
        """Forget a plugin and everything it registered."""
        plugin = self.manager.unregister(name=name)
        if plugin is None:
            return
        for table in (self.adapters, self.emulators):
            owners = self._owners[id(table)]
            for key in [k for k, owner in owners.items() if owner == name]:
                del table[key], owners[key]

    def _claim(self, table: dict[str, Any], spec: AdapterSpec | EmulatorSpec, owner: str) -> None:
        owners = self._owners[id(table)]
        if spec.name in table:
            self.problems.append(
                PluginError(
                    f"plugin {owner!r} registers {spec.name!r}, "
                    f"already registered by plugin {owners[spec.name]!r}; ignored"
                )
            )
            return
        owners[spec.name] = owner
        table[spec.name] = spec

    def adapter(self, name: str) -> AdapterSpec:
        """The adapter called ``name``; a ConfigError lists the known ones."""
        try:
            return self.adapters[name]
        except KeyError:
            raise ConfigError(_unknown("venue", name, self.adapters)) from None

    def emulator(self, name: str) -> EmulatorSpec:
        """The emulator called ``name``; a ConfigError lists the known ones."""
        try:
            return self.emulators[name]
        except KeyError:
            raise ConfigError(_unknown("emulator", name, self.emulators)) from None


def _third_party(entry_point: EntryPoint) -> bool:
    dist = entry_point.dist
    return dist is None or dist.name != BUILTIN_DISTRIBUTION


def _unknown(kind: str, name: str, known: dict[str, Any]) -> str:
    names = ", ".join(sorted(known)) or "none"
    return f"unknown {kind} {name!r}; registered: {names}"


@functools.cache
def default_registry() -> Registry:
    """The process-wide registry, loaded from entry points on first use."""
    return Registry()
