"""Netplan YAML as trees of located values, merged across files the way netplan does.

Every note and error of the netplan importer must say ``file:line`` even after several files
were merged, so each value is kept together with the place it came from (:class:`Node`):
merging then moves positions along with values instead of re-deriving them afterwards.
Merging follows netplan-generate(8) "HANDLING MULTIPLE FILES": files are read in the
lexicographic order of their base names (a file in /run/netplan shadows one of the same name
in /etc/netplan, which shadows /lib/netplan); mappings are merged key by key, a scalar from a
later file replaces the earlier one, and sequences are concatenated.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import PurePath
from typing import Any, NoReturn

from hvnet.diagnostics import Path
from hvnet.importers import ImportError_, ImportNote, NoteKind
from hvnet.yamlsource import SourceMap, load_yaml

Scalar = str | int | float | bool | None


@dataclass(frozen=True, slots=True)
class Node:
    """One YAML value with its position, and the position of the key that holds it.

    ``line``/``column`` locate the value (where netplan points its errors); ``key_line`` and
    ``key_column`` locate the mapping key above it (where notes point: the line an operator
    reads as "the setting"). For sequence items and the root both are the same place.
    """

    value: Any  # Scalar, list[Node] or dict[str, Node]
    file: str
    line: int
    column: int
    key_line: int
    key_column: int

    @property
    def is_map(self) -> bool:
        return isinstance(self.value, dict)

    @property
    def is_seq(self) -> bool:
        return isinstance(self.value, list)

    @property
    def is_scalar(self) -> bool:
        return not isinstance(self.value, dict | list)

    def items(self) -> list[tuple[str, Node]]:
        """The entries of a mapping node, in file order (empty for other nodes)."""
        return list(self.value.items()) if isinstance(self.value, dict) else []

    def get(self, key: str) -> Node | None:
        return self.value.get(key) if isinstance(self.value, dict) else None

    def seq(self) -> list[Node]:
        """The items of a sequence node (empty for other nodes)."""
        return list(self.value) if isinstance(self.value, list) else []

    def fail(self, message: str, on_key: bool = False) -> NoReturn:
        """Raise the importer's fatal error pointing at this value (or at its key)."""
        line, column = (self.key_line, self.key_column) if on_key else (self.line, self.column)
        raise ImportError_(self.file, line, column, message)

    def plain(self) -> Any:
        """The value without positions (for messages and tests)."""
        if isinstance(self.value, dict):
            return {k: v.plain() for k, v in self.value.items()}
        if isinstance(self.value, list):
            return [v.plain() for v in self.value]
        return self.value


def _build(data: Any, path: Path, source: SourceMap, key_pos: tuple[int, int] | None) -> Node:
    line, column = source.value_at(path) or key_pos or (1, 1)
    key_line, key_column = key_pos or (line, column)
    value: Any
    if isinstance(data, dict):
        value = {
            str(k): _build(v, (*path, k), source, source.key_at((*path, k)) or (line, column))
            for k, v in data.items()
        }
    elif isinstance(data, list):
        value = [_build(v, (*path, i), source, None) for i, v in enumerate(data)]
    else:
        value = data
    return Node(value, source.file, line, column, key_line, key_column)


@dataclass(frozen=True, slots=True)
class Duplicate:
    """A key given twice in one mapping: YAML keeps one of them, netplan applied both."""

    file: str
    line: int
    message: str


def load_document(text: str, file: str) -> tuple[Node, list[Duplicate]]:
    """Parse one netplan file; invalid YAML is fatal (netplan refuses it too).

    Duplicate keys are not fatal: they come back separately so the importer can note them.
    """
    loaded = load_yaml(text, file)
    duplicates: list[Duplicate] = []
    for problem in loaded.problems:
        pos = problem.position
        line, column = (pos.line, pos.column) if pos else (1, 1)
        if problem.code == "HV006":
            duplicates.append(Duplicate(file, line, problem.message))
            continue
        raise _syntax_error(text, file, line, column, problem.message)
    return _build(loaded.data, (), loaded.source, None), duplicates


def _syntax_error(text: str, file: str, line: int, column: int, message: str) -> ImportError_:
    """The fatal error for invalid YAML, quoting the offending line like netplan does.

    libyaml reports a problem found at the end of the input (a last line ``version`` with no
    colon and no final newline) one line past the end; pointing there would show nothing, so
    the position moves back to the end of the last line that has text.
    """
    lines = text.splitlines()
    if line > len(lines):
        filled = [i for i, content in enumerate(lines, 1) if content.strip()] or [1]
        line = filled[-1]
        column = len(lines[line - 1]) + 1 if lines else 1
    detail = message.removeprefix("YAML syntax error: ").removeprefix("YAML error: ")
    quoted = lines[line - 1].strip() if 0 < line <= len(lines) else ""
    near = f" (line {line}: {quoted!r})" if quoted else ""
    return ImportError_(file, line, column, f"Invalid YAML: {detail}{near}")


def merge(base: Node, over: Node) -> Node:
    """*over* (a later file) applied on *base* with netplan's multi-file rules."""
    if isinstance(base.value, dict) and isinstance(over.value, dict):
        merged = dict(base.value)
        for key, value in over.value.items():
            merged[key] = merge(merged[key], value) if key in merged else value
        return replace(base, value=merged)
    if isinstance(base.value, list) and isinstance(over.value, list):
        return replace(base, value=[*base.value, *over.value])
    return over


_DIR_PRIORITY = {"run": 3, "etc": 2, "lib": 1}


def netplan_order(names: list[str]) -> tuple[list[str], dict[str, str]]:
    """Files in the order netplan reads them, and the shadowed ones (name → shadowing file).

    Base names are compared; of two files with the same base name only one is read: the one
    in /run/netplan, else /etc/netplan, else /lib/netplan, else the one given last.
    """
    chosen: dict[str, str] = {}
    shadowed: dict[str, str] = {}

    def rank(name: str) -> int:
        parent = PurePath(name).parent
        return _DIR_PRIORITY.get(parent.parent.name, 0) if parent.name == "netplan" else 0

    for name in names:
        base = PurePath(name).name
        previous = chosen.get(base)
        if previous is None:
            chosen[base] = name
        elif rank(name) >= rank(previous):
            shadowed[previous] = name
            chosen[base] = name
        else:
            shadowed[name] = previous
    return [chosen[base] for base in sorted(chosen)], shadowed


def block_text(lines: list[str], line: int) -> str:
    """The source text of the setting starting at *line* (1-based), with its nested lines.

    A note keeps the whole setting (``port-vlans:`` and the lines under it) so that the
    generated config can carry it as a comment; lines are dedented to the first one.
    """
    if not 1 <= line <= len(lines):
        return ""
    first = lines[line - 1].rstrip()
    indent = len(first) - len(first.lstrip())
    stripped = first.strip()
    opens_block = stripped.endswith(":") or (stripped.startswith("- ") and ":" in stripped)
    block = [first[indent:]]
    for raw in lines[line:]:
        text = raw.rstrip()
        body = text.lstrip()
        own = len(text) - len(body)
        if not body:
            block.append("")
            continue
        nested = own > indent or (
            own == indent and body.startswith("- ") and stripped.endswith(":")
        )
        if not (opens_block and nested):
            break
        block.append(text[indent:])
    while block and (not block[-1].strip() or block[-1].lstrip().startswith("#")):
        block.pop()
    return "\n".join(block)


class Notes:
    """Collects the importer's notes, each with the source text of the setting it is about."""

    def __init__(self, texts: dict[str, list[str]]) -> None:
        self.texts = texts
        self.items: list[ImportNote] = []

    def add(
        self,
        node: Node,
        reason: str,
        kind: NoteKind = NoteKind.NOT_CONVERTED,
        on_value: bool = False,
    ) -> None:
        """Note *node*'s setting (its key line, or its value's line with *on_value*)."""
        line = node.line if on_value else node.key_line
        text = block_text(self.texts.get(node.file, []), line)
        if kind is not NoteKind.NOT_CONVERTED:
            # Only unconverted settings are carried into the generated config as comments;
            # the others just need the line that says which setting is meant.
            text = text.split("\n", 1)[0]
        note = ImportNote(node.file, line, text, reason, kind)
        if note not in self.items:
            self.items.append(note)
