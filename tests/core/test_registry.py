"""The registry: built-ins arrive through entry points; bad plugins are reported, not fatal."""

import types

from tickwire.core.hookspecs import AdapterSpec, hookimpl
from tickwire.core.registry import Registry
from tickwire.core.types import Channel


def plugin_module(name: str, adapter: str) -> types.SimpleNamespace:
    @hookimpl
    def register_adapters() -> list[AdapterSpec]:
        return [AdapterSpec(name=adapter, factory=lambda config: None, channels=frozenset())]  # type: ignore[arg-type,return-value]

    return types.SimpleNamespace(register_adapters=register_adapters, __name__=name)


def test_builtin_kraken_adapter_and_emulator_come_from_entry_points():
    registry = Registry()
    assert "kraken" in registry.adapters
    assert Channel.BOOK in registry.adapters["kraken"].channels
    assert "kraken" in registry.emulators
    assert registry.problems == []


def test_a_clashing_name_is_reported_and_the_first_owner_keeps_it():
    registry = Registry(load_entry_points=False)
    registry.register(plugin_module("first", "dupe"), name="first")
    registry.register(plugin_module("second", "dupe"), name="second")
    assert list(registry.adapters) == ["dupe"]
    assert len(registry.problems) == 1
    assert "'second'" in str(registry.problems[0]) and "'first'" in str(registry.problems[0])


def test_a_failing_hook_does_not_break_the_others():
    @hookimpl
    def register_adapters() -> list[AdapterSpec]:
        raise RuntimeError("boom")

    registry = Registry(load_entry_points=False)
    registry.register(types.SimpleNamespace(register_adapters=register_adapters), name="broken")
    registry.register(plugin_module("good", "good"), name="good")
    assert list(registry.adapters) == ["good"]
    assert "broken" in str(registry.problems[0])


def test_unregister_forgets_what_the_plugin_registered():
    registry = Registry(load_entry_points=False)
    registry.register(plugin_module("p", "venue-x"), name="p")
    registry.unregister("p")
    assert registry.adapters == {}
