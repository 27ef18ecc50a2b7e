"""The examplex emulator: the venue's protocol on 127.0.0.1, with a paper account."""

from tickwire_examplex.emulator.server import MARKETS, ExamplexEmulator

__all__ = ["MARKETS", "ExamplexEmulator"]
