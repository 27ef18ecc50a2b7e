"""A griffe extension: tickwire's reStructuredText-flavoured docstrings, read as Markdown.

tickwire's docstrings are written for ``help()`` and for people reading the source: RST
roles (``:class:`~tickwire.core.X```), ``::`` literal blocks, simple tables drawn with
``=====`` rules and ``name`` / indented-description lists. mkdocstrings renders
docstrings as Markdown, where none of those read well. This extension rewrites them as
the docstrings are loaded, so the code keeps one docstring style and the site renders it:

- a role becomes a cross-reference to the API reference (an *optional* one: a target the
  site does not document renders as plain code instead of failing ``--strict``);
- ``text::`` becomes ``text:`` (the indented block after it is already Markdown code);
- a simple table becomes a Markdown table;
- a ``name`` line followed by an indented description becomes a list item.

It is loaded by path from ``mkdocs.yml`` and is not part of the package.
"""

from __future__ import annotations

import html
import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:py:)?(?:class|func|meth|mod|data|attr|exc|obj|const):`(?P<body>[^`]+)`")
_TITLED = re.compile(r"^(?P<title>.*?)\s*<(?P<target>[^>]+)>$")
_RULE = re.compile(r"^(?P<indent> *)=+(?: +=+)+ *$")
_TERM = re.compile(r"^(?P<indent> *)``[^`]+`` *$")


class RstDocstrings(griffe.Extension):
    """Rewrite each object's docstring from tickwire's RST habits to Markdown."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        """Called by griffe for every object it loads (module, class, function...)."""
        if obj.docstring is not None:
            obj.docstring.value = to_markdown(obj.docstring.value, _module_of(obj))

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        """Once the package is loaded: each class lists its fields in one table."""
        for cls in _classes(pkg):
            _fields_table(cls)


def _classes(obj: griffe.Object) -> list[griffe.Class]:
    """Every class defined under ``obj`` (aliases, i.e. re-exports, skipped)."""
    found = []
    for member in obj.members.values():
        if member.is_alias:
            continue
        if member.is_class:
            found.append(member)
        if member.is_module or member.is_class:
            found.extend(_classes(member))
    return found


def _fields_table(cls: griffe.Class) -> None:
    """Replace a class's undocumented public attributes by a table in its docstring.

    A msgspec Struct's fields (and an enum's members) have no docstrings of their own;
    shown one heading each they would drown the page. One table, inherited fields
    included (``venue`` of every event), reads like the source.
    """
    if cls.docstring is None:
        return
    rows = []
    names = list(cls.members)
    try:
        inherited = [n for n in cls.inherited_members if n not in cls.members]
    except Exception:  # a base outside the loaded packages (msgspec.Struct)
        inherited = []
    for name in [*inherited, *names]:
        try:
            member = cls.all_members[name]
            if member.is_alias:
                member = member.final_target  # an inherited field
        except Exception:
            continue
        if name.startswith("_") or not member.is_attribute or member.docstring is not None:
            continue
        annotation = str(member.annotation) if member.annotation is not None else ""
        value = str(member.value) if member.value is not None else ""
        rows.append((name, annotation, value))
        if name in cls.members:
            del cls.members[name]
    if not rows:
        return
    has_types = any(annotation for _, annotation, _ in rows)
    if has_types:
        lines = ["| field | type | default |", "|---|---|---|"]
    else:
        lines = ["| member | value |", "|---|---|"]
    for name, annotation, value in rows:
        cells = [f"`{name}`", *([_code(annotation)] if has_types else []), _code(value)]
        lines.append("| " + " | ".join(cells) + " |")
    cls.docstring.value = cls.docstring.value.rstrip() + "\n\n" + "\n".join(lines)


def _code(text: str) -> str:
    """``text`` as code in a table cell (a ``|`` would end the cell: an entity instead)."""
    return f"<code>{html.escape(text).replace('|', '&#124;')}</code>" if text else ""


def _module_of(obj: griffe.Object) -> str:
    module = obj if obj.is_module else obj.module
    return module.path


def to_markdown(text: str, module: str) -> str:
    """``text`` (an RST-flavoured docstring of an object in ``module``) as Markdown."""
    # A role broken over two lines (``:attr:`Registry.problems\n<...>```) is joined first.
    text = _ROLE.sub(lambda m: " ".join(m[0].split()) if "\n" in m[0] else m[0], text)
    lines = text.splitlines()
    out: list[str] = []
    in_code = False  # inside the indented block that follows a "::" paragraph
    i = 0
    while i < len(lines):
        line = lines[i]
        if in_code:
            if line.strip() and not line.startswith("    "):
                in_code = False
            else:
                out.append(line)
                i += 1
                continue
        if _RULE.match(line):
            table, i = _table(lines, i, module)
            out.extend(table)
            continue
        if (
            _TERM.match(line)
            and i + 1 < len(lines)
            and _indent(lines[i + 1]) > _indent(line)
            and lines[i + 1].strip()
        ):
            term = line.strip()
            description = []
            i += 1
            while i < len(lines) and lines[i].strip() and _indent(lines[i]) > _indent(line):
                description.append(lines[i].strip())
                i += 1
            out.append(f"{' ' * _indent(line)}- {term}: {_roles(' '.join(description), module)}")
            continue
        if line.rstrip().endswith("::"):
            stripped = line.rstrip()[:-2].rstrip()
            out.append(_roles(stripped + ":", module) if stripped else "")
            in_code = True
            i += 1
            continue
        out.append(_roles(line, module))
        i += 1
    return "\n".join(out)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _roles(line: str, module: str) -> str:
    return _ROLE.sub(lambda match: _reference(match["body"], module), line)


def _reference(body: str, module: str) -> str:
    """One role as an optional autorefs cross-reference (plain code when unresolved)."""
    if titled := _TITLED.match(body):
        title, target = titled["title"], titled["target"]
    else:
        target = body.lstrip("~")
        title = target.rsplit(".", 1)[-1] if body.startswith("~") else target
        title = title.lstrip(".")
    target = target.lstrip("~")
    if target.startswith("."):
        # Relative to the current package, as Sphinx reads ``:mod:`.private```.
        package = module.rsplit(".", 1)[0] if "." in module else module
        target = package + target
    elif "." not in target.rstrip("()"):
        target = f"{module}.{target}"  # an unqualified name: most likely this module's
    target = target.removesuffix("()")
    return (
        f'<autoref identifier="{html.escape(target)}" optional>'
        f"<code>{html.escape(title)}</code></autoref>"
    )


def _table(lines: list[str], start: int, module: str) -> tuple[list[str], int]:
    """The simple table whose top rule is ``lines[start]``, as Markdown; the next index.

    A rule followed by a blank line (or the end) closes the table; any other rule
    separates the header rows from the body.
    """
    rule = lines[start]
    spans = [m.start() for m in re.finditer(r"=+", rule)]
    sections: list[list[list[str]]] = [[]]
    i = start + 1
    while i < len(lines):
        line = lines[i]
        i += 1
        if _RULE.match(line):
            if i >= len(lines) or not lines[i].strip():
                break
            sections.append([])
            continue
        if not line.strip():
            continue
        cells = _cells(line, spans)
        rows = sections[-1]
        if rows and not cells[0]:  # a continuation line: its text joins the row above
            rows[-1] = [f"{a} {b}".strip() for a, b in zip(rows[-1], cells, strict=True)]
        else:
            rows.append(cells)
    if len(sections) > 1:
        header = [" ".join(column).strip() for column in zip(*sections[0], strict=True)]
        body = [row for section in sections[1:] for row in section]
    else:
        header, body = [""] * len(spans), sections[0]
    indent = " " * (len(rule) - len(rule.lstrip(" ")))
    out = [""]
    for n, row in enumerate([header, *body]):
        cells = [_roles(cell, module).replace("|", "\\|") for cell in row]
        out.append(f"{indent}| {' | '.join(cells)} |")
        if n == 0:
            out.append(f"{indent}|{'|'.join('---' for _ in spans)}|")
    out.append("")
    return out, i


def _cells(line: str, spans: list[int]) -> list[str]:
    """The text of each column (the last one runs to the end of the line)."""
    ends = [*spans[1:], len(line)]
    return [line[begin:end].strip() for begin, end in zip(spans, ends, strict=True)]
