"""The package list in pyproject.toml is written by hand (see shared/design.md): it must
name every folder of the tree that is a package, and nothing else."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_folder_is_listed_and_every_listed_one_exists() -> None:
    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    found = {
        "tickwire." + ".".join(init.parent.relative_to(ROOT).parts)
        for top in ("core", "adapters", "exchanges")
        for init in (ROOT / top).rglob("__init__.py")
    }
    assert listed == found


def test_every_package_ships_its_py_typed_marker() -> None:
    for top in ("core", "adapters", "exchanges"):
        for init in (ROOT / top).rglob("__init__.py"):
            assert (init.parent / "py.typed").exists(), init.parent
