"""The examplex client: wire schemas, pure parsing, and :class:`ExamplexClient`."""

from tickwire_examplex.adapter.client import CHANNELS, ExamplexClient

__all__ = ["CHANNELS", "ExamplexClient"]
