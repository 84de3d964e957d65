"""Importers: existing host configurations (ENI dialects, netplan, the live kernel) → model.

Every importer returns an :class:`ImportResult`: the resolved host plus a note for every line
or value it did not convert (or converted with a choice worth knowing). Nothing is dropped
silently: ``hvnet import`` prints the notes with ``file:line`` and keeps each unconverted line
as a comment in the generated config, so the operator decides what to do with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from hvnet.model import Host


class NoteKind(StrEnum):
    """Why a note exists."""

    NOT_CONVERTED = "not-converted"  # the line has no equivalent in the model: kept as comment
    INCONSISTENT = "inconsistent"  # the source disagrees with itself; the note says what won
    CONVERTED = "converted"  # converted by interpretation (e.g. brctl commands → bridge)


@dataclass(frozen=True, slots=True)
class ImportNote:
    """One remark about the source: where, what the text was, and why."""

    file: str
    line: int
    text: str
    reason: str
    kind: NoteKind = NoteKind.NOT_CONVERTED

    def format(self) -> str:
        return f"{self.file}:{self.line}: {self.kind.value}: {self.text.strip()}  ({self.reason})"


@dataclass(slots=True)
class ImportResult:
    host: Host
    notes: list[ImportNote] = field(default_factory=list)
    source_format: str = ""

    @property
    def not_converted(self) -> list[ImportNote]:
        return [n for n in self.notes if n.kind is NoteKind.NOT_CONVERTED]


class ImportError_(Exception):
    """The source cannot be imported at all (unreadable, not the format, invalid YAML).

    Carries a position so the CLI can print ``file:line:col: message`` and exit 2.
    """

    def __init__(self, file: str, line: int, column: int, message: str) -> None:
        super().__init__(f"{file}:{line}:{column}: {message}")
        self.file, self.line, self.column, self.message = file, line, column, message
