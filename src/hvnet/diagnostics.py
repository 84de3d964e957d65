"""Problems found in a user's file, with where they are and how to fix them.

Every stage (YAML parsing, schema checks, semantic rules, importers) reports through the same
:class:`Diagnostic` so that ``hvnet validate`` can print them all in one pass, sorted by place,
in the ``file:line:col: severity CODE: message`` shape editors and CI logs understand.
Diagnostics carry a *path* into the document (``("bonds", "bond0", "miimon")``) rather than a
line number; the loader turns paths into lines with the YAML location map, so rules never need
to know about files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

PathElement = str | int
Path = tuple[PathElement, ...]


class Severity(StrEnum):
    """How bad a problem is; errors block apply/render, warnings only inform."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Position:
    """A place in a file, 1-based like every editor and compiler message."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem: a rule code, a message, a hint saying how to fix it, and where it is.

    ``path`` locates the problem inside the document; ``on_key`` says whether the key itself
    (e.g. an unknown key) rather than its value is at fault. ``position`` is filled in by the
    loader once the path has been mapped to a line.
    """

    code: str
    severity: Severity
    message: str
    hint: str = ""
    path: Path = ()
    on_key: bool = False
    position: Position | None = field(default=None, compare=False)

    def at(self, position: Position) -> Diagnostic:
        """The same diagnostic with its position resolved."""
        return Diagnostic(
            self.code, self.severity, self.message, self.hint, self.path, self.on_key, position
        )

    def format(self) -> str:
        """``file:line:col: severity CODE: message`` plus an indented hint line."""
        where = str(self.position) if self.position else "<unknown>"
        text = f"{where}: {self.severity.value} {self.code}: {self.message}"
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text

    def sort_key(self) -> tuple[str, int, int, str]:
        pos = self.position
        return (pos.file, pos.line, pos.column, self.code) if pos else ("", 0, 0, self.code)


def error(
    code: str, message: str, hint: str = "", path: Path = (), on_key: bool = False
) -> Diagnostic:
    """Shorthand for an error diagnostic."""
    return Diagnostic(code, Severity.ERROR, message, hint, path, on_key)


def warning(
    code: str, message: str, hint: str = "", path: Path = (), on_key: bool = False
) -> Diagnostic:
    """Shorthand for a warning diagnostic."""
    return Diagnostic(code, Severity.WARNING, message, hint, path, on_key)


def has_errors(diagnostics: list[Diagnostic] | tuple[Diagnostic, ...]) -> bool:
    return any(d.severity is Severity.ERROR for d in diagnostics)
