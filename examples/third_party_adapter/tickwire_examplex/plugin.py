"""Registers examplex with tickwire: the entry point ``examplex`` names this module.

pluggy calls both hooks once, when tickwire's registry loads the plugin: they only
return specs (no I/O). Importing this module imports both sides, but neither side
imports the other.
"""

from __future__ import annotations

from tickwire.core.hookspecs import AdapterSpec, EmulatorSpec, hookimpl
from tickwire_examplex.adapter import CHANNELS, ExamplexClient
from tickwire_examplex.emulator import ExamplexEmulator

__all__ = ["register_adapters", "register_emulators"]


@hookimpl
def register_adapters() -> list[AdapterSpec]:
    """The examplex adapter."""
    return [
        AdapterSpec(
            name="examplex",
            factory=ExamplexClient,
            channels=CHANNELS,
            private=True,
            description="examplex (made-up venue; third-party example): books, orders",
        )
    ]


@hookimpl
def register_emulators() -> list[EmulatorSpec]:
    """The examplex emulator."""
    return [
        EmulatorSpec(
            name="examplex",
            venue="examplex",
            factory=ExamplexEmulator,
            description="examplex on 127.0.0.1: seeded market, paper account, fault hooks",
        )
    ]
