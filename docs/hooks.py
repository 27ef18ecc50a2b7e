"""mkdocs hooks: let mkdocstrings find the ``tickwire`` package in this checkout.

The repository root *is* the package (``package-dir = {"tickwire" = "."}``), so no folder
named ``tickwire`` exists for griffe to find, and a non-strict editable install
(``pip install -e .``) maps the package to the checkout in a way griffe cannot follow.
Before the build, this hook lays out a temporary ``tickwire/`` folder of links to the
checkout's subpackages (``core``, ``adapters``, ``exchanges``: the folders holding an
``__init__.py``) and puts it first on ``sys.path``, so the API reference is always
generated from this checkout's source, however (or whether) it is installed.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from mkdocs.plugins import event_priority

_tree: Path | None = None


@event_priority(100)  # before mkdocstrings sets up its handlers
def on_config(config: Any, **kwargs: Any) -> Any:
    """Lay out the link tree and put it first on the import path."""
    global _tree
    root = Path(config.config_file_path).resolve().parent
    _tree = Path(tempfile.mkdtemp(prefix="tickwire-docs-"))
    package = _tree / "tickwire"
    package.mkdir()
    for child in sorted(root.iterdir()):
        if (child / "__init__.py").is_file():
            (package / child.name).symlink_to(child, target_is_directory=True)
    sys.path.insert(0, str(_tree))
    return config


def on_shutdown(**kwargs: Any) -> None:
    """Remove the link tree (the links only: their targets are the checkout)."""
    if _tree is not None:
        if str(_tree) in sys.path:
            sys.path.remove(str(_tree))
        shutil.rmtree(_tree, ignore_errors=True)
