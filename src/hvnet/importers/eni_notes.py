"""Notes of the ENI importer: one per source line that was not converted or needed a choice.

Why a class of its own: every part of the importer (addresses, bonds, hooks, the final
consistency pass) reports lines, and the rules for a note are shared: the text is the line as
the user wrote it (options as ``name value``, problems as the physical line), a line reported
twice for the same reason is reported once, and notes come out in reading order (files in the
order they were read, lines in order) whatever order the importer found them in.
"""

from __future__ import annotations

from hvnet.eni.syntax import Location, Option, Stanza
from hvnet.importers import ImportNote, NoteKind


def option_text(option: Option) -> str:
    """An option line as the user wrote it, blanks between name and value normalised."""
    return f"{option.name} {option.value}".rstrip()


def header_text(stanza: Stanza) -> str:
    """A stanza's header line (``iface NAME FAMILY METHOD``, ``mapping …``, ``vlan …``)."""
    return " ".join((stanza.kind, *stanza.args))


class NoteBook:
    """Collects :class:`ImportNote` objects; see the module docstring."""

    def __init__(self, sources: tuple[str, ...] = ()) -> None:
        self.rank = {name: index for index, name in enumerate(sources)}
        self._notes: dict[tuple[str, int, NoteKind], ImportNote] = {}
        self._lines: dict[str, list[str]] = {}

    def add(
        self,
        where: Location,
        text: str,
        reason: str,
        kind: NoteKind = NoteKind.NOT_CONVERTED,
    ) -> None:
        """Record a note; a second reason of the same kind for one line is appended to it."""
        key = (where.file, where.line, kind)
        known = self._notes.get(key)
        if known is None:
            self._notes[key] = ImportNote(where.file, where.line, text, reason, kind)
        elif reason not in known.reason.split("; "):
            self._notes[key] = ImportNote(
                where.file, where.line, known.text, f"{known.reason}; {reason}", kind
            )

    def option(self, option: Option, reason: str, kind: NoteKind = NoteKind.NOT_CONVERTED) -> None:
        self.add(option.location, option_text(option), reason, kind)

    def stanza(self, stanza: Stanza, reason: str, kind: NoteKind = NoteKind.NOT_CONVERTED) -> None:
        """The header line and every option of a stanza, all for the same reason."""
        self.add(stanza.location, header_text(stanza), reason, kind)
        for option in stanza.options:
            self.option(option, reason, kind)

    def line(self, where: Location, reason: str, kind: NoteKind = NoteKind.NOT_CONVERTED) -> None:
        """A note on a physical line known only by its location (parser problems)."""
        self.add(where, self.source_line(where), reason, kind)

    def source_line(self, where: Location) -> str:
        """The text of ``where`` (continuation lines joined), read from its file once."""
        lines = self._lines.get(where.file)
        if lines is None:
            lines = self._read(where.file)
            self._lines[where.file] = lines
        if not 1 <= where.line <= len(lines):
            return ""
        span = lines[where.line - 1 : where.line - 1 + max(1, where.span)]
        return " ".join(piece.rstrip("\\").strip() for piece in span).strip()

    def provide(self, file: str, text: str) -> None:
        """Give the text of a file that is not on disk (imports from a string)."""
        self._lines[file] = text.replace("\r\n", "\n").split("\n")

    @staticmethod
    def _read(file: str) -> list[str]:
        try:
            with open(file, "rb") as handle:
                data = handle.read()
        except OSError:
            return []
        return data.decode("utf-8", errors="replace").replace("\r\n", "\n").split("\n")

    def sorted(self) -> list[ImportNote]:
        """Every note in reading order (file, line), kinds in a fixed order per line."""
        order = {NoteKind.NOT_CONVERTED: 0, NoteKind.INCONSISTENT: 1, NoteKind.CONVERTED: 2}
        return sorted(
            self._notes.values(),
            key=lambda n: (self.rank.get(n.file, len(self.rank)), n.file, n.line, order[n.kind]),
        )

    def lines_with(self, kind: NoteKind) -> set[tuple[str, int]]:
        return {(n.file, n.line) for n in self._notes.values() if n.kind is kind}
