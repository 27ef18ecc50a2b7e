"""tickwire plugin for examplex, a made-up venue: an adapter and a local emulator.

The adapter (:mod:`.adapter`) and the emulator (:mod:`.emulator`) both follow
``PROTOCOL.md`` and never import each other; :mod:`.plugin` registers both with tickwire
through the ``tickwire.adapters`` entry point.
"""
