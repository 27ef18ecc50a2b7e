"""The ``tickwire`` command."""
