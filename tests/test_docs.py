"""The documentation site builds, strictly, and its reference pages keep up with the code.

``mkdocs build --strict`` turns every warning (a broken link, a page missing from the
nav, a docstring reference mkdocstrings cannot resolve) into a failure. The other tests
hold the hand-written pages to the code they describe: every key of the config file
format is on the configuration page, every option of every ``tickwire`` command on the
CLI page.
"""

from __future__ import annotations

import argparse
import html
import os
import re
import subprocess
import sys
from pathlib import Path

import msgspec
import pytest

from tickwire.core import config as config_module
from tickwire.core.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def test_mkdocs_build_strict(tmp_path: Path) -> None:
    """A real build of the whole site, API reference included, with warnings as errors."""
    site = tmp_path / "site"
    mkdocs = [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)]
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run(
        mkdocs, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False, env=env
    )
    assert done.returncode == 0, done.stderr[-4000:]
    pages = {p.relative_to(site).as_posix() for p in site.rglob("index.html")}
    assert {"index.html", "cli/index.html", "reference/types/index.html"} <= pages
    # The API reference was generated from the docstrings, not left empty.
    types_page = (site / "reference/types/index.html").read_text(encoding="utf-8")
    assert "tickwire.core.types.OrderUpdate" in types_page
    assert "normalized to one lifecycle" in types_page  # OrderUpdate's docstring
    # The docstrings' reStructuredText was turned into Markdown (docs/griffe_rst.py): no
    # role, simple-table rule or "::" marker is left in the rendered reference.
    for page in (site / "reference").rglob("index.html"):
        text = html.unescape(re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8")))
        leftovers = re.findall(r":(?:class|meth|func|mod|data|attr|exc):`|^ *=+ +=+ *$", text, re.M)
        assert not leftovers, f"{page.relative_to(site)}: unconverted RST {leftovers[:3]}"
    # No source file of the package was published as a page or a static file.
    assert not list(site.rglob("*.py"))


# --- the configuration page ------------------------------------------------------------


def _file_keys() -> set[str]:
    """Every key of the TOML format, as ``table.key`` (top-level keys bare)."""
    tables: dict[str, type[msgspec.Struct]] = {
        "": config_module._ConfigFile,
        "endpoints": config_module._Endpoints,
        "credentials": config_module._CredentialsFile,
        "reconnect": config_module.ReconnectPolicy,
        "heartbeat": config_module.HeartbeatPolicy,
        "queue": config_module.QueuePolicy,
        "subscriptions": config_module.SubscriptionConfig,
        "nats": config_module.NatsConfig,
    }
    keys = set()
    for table, struct in tables.items():
        for field in msgspec.structs.fields(struct):
            keys.add(f"{table}.{field.name}" if table else field.name)
    return keys


def test_configuration_page_names_every_key() -> None:
    """Each key of the file format has a row on docs/configuration.md under its table."""
    page = (DOCS / "configuration.md").read_text(encoding="utf-8")
    sections = re.split(r"^## ", page, flags=re.MULTILINE)
    documented = set()
    for section in sections[1:]:
        title, _, body = section.partition("\n")
        table = re.search(r"`\[+([a-z_.]+)\]+`", title)
        prefix = f"{table[1]}." if table else ""
        for key in re.findall(r"^\| `([a-z_]+)` \|", body, flags=re.MULTILINE):
            documented.add(prefix + key)
    missing = _file_keys() - documented
    assert not missing, f"keys of the config file not on docs/configuration.md: {missing}"
    assert len(_file_keys()) > 30


# --- the CLI page -----------------------------------------------------------------------


def _commands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    commands = {"tickwire": parser}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            commands.update({f"tickwire {n}": p for n, p in action.choices.items()})
    return commands


@pytest.mark.parametrize("command", sorted(_commands()))
def test_cli_page_names_every_option(command: str) -> None:
    """docs/cli.md has a section per command listing each of its options and arguments."""
    page = (DOCS / "cli.md").read_text(encoding="utf-8")
    heading = f"## `{command}`"
    assert heading in page, f"no section {heading!r} on docs/cli.md"
    section = page.split(heading, 1)[1].split("\n## ", 1)[0]
    commands = _commands()
    # The logging options every command takes are documented once, under `tickwire`.
    shared = {o for a in commands["tickwire"]._actions for o in a.option_strings}
    for action in commands[command]._actions:
        if isinstance(action, argparse._SubParsersAction | argparse._HelpAction):
            continue
        if command != "tickwire" and set(action.option_strings) & shared:
            continue
        names = action.option_strings or [action.metavar or action.dest]
        assert any(f"`{name}" in section for name in names), (
            f"{command}: {names[0]} is not documented on docs/cli.md"
        )
