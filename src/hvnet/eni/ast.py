"""The immutable result of reading ENI files: locations, options, stanzas, the document.

Split from :mod:`hvnet.eni.syntax` (the reader): these types are what every consumer of the
syntax layer (the importer, the command recogniser, tests) works with, and they know nothing
about how lines were read. :mod:`hvnet.eni.syntax` re-exports them, so its API is unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Literal, NamedTuple

# Blanks as C's isspace() in the "C" locale; the only characters IU strips or splits on.
BLANKS = " \t\r\n\f\v"
WORDS = re.compile(r"[^ \t\r\n\f\v]+")

StanzaKind = Literal["iface", "mapping", "vlan"]

#: Options whose values are shell commands run by ifup/ifdown (IU aliases included).
COMMAND_OPTIONS = frozenset({"pre-up", "up", "post-up", "down", "pre-down", "post-down"})


class Location(NamedTuple):
    """Where an element starts; ``span`` > 1 when backslash continuation joined lines.

    AST nodes are :class:`~typing.NamedTuple` rather than frozen dataclasses because they are
    immutable and typed all the same but about three times cheaper to build, which is what
    keeps a 40k-line file well under the time budget.
    """

    file: str
    line: int
    span: int = 1

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"

    @property
    def lines(self) -> range:
        """The physical line numbers this element occupies (for coverage and editors)."""
        return range(self.line, self.line + self.span)


class Problem(NamedTuple):
    """Something the parser could not place; the importer decides whether it is fatal.

    ``code`` is a stable short identifier (``misplaced-option``, ``empty-value``, ``mako``,
    ``source-missing`` …) so callers can filter without matching message text.
    """

    location: Location
    message: str
    code: str = "syntax"

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


class Comment(NamedTuple):
    """A ``#`` line, kept so a writer can round-trip the file (stripped of blanks)."""

    text: str
    location: Location


def canonical_name(name: str) -> str:
    """Dash spelling, lower-cased: what both tools effectively compare (reference §1.4).

    IU exports ``IF_BOND_MODE`` for ``bond-mode`` and ``bond_mode`` alike; IU2 rewrites ``_``
    to ``-`` at parse time. Comparing canonical names therefore matches how the tools behave.
    """
    return name.replace("_", "-").lower()


def strip_trailing_comment(value: str) -> str:
    """``value`` without a shell-style trailing ``# comment``.

    Neither tool supports end-of-line comments, yet users write them (``address 10.0.0.1  #
    mgmt``). A ``#`` starts a comment only at the start of a word and outside quotes, as in
    ``sh``, so ``ovs_options tag=10#x`` and ``--comment '#1'`` are left alone.
    """
    if "#" not in value:
        return value
    quote = ""
    escaped = False
    previous = " "
    for index, char in enumerate(value):
        if escaped:
            escaped = False
        elif quote:
            if char == quote:
                quote = ""
            elif char == "\\" and quote == '"':
                escaped = True
        elif char == "\\":
            escaped = True
        elif char in "'\"":
            quote = char
        elif char == "#" and previous in BLANKS:
            return value[:index].rstrip(BLANKS)
        previous = char
    return value


class Option(NamedTuple):
    """One option line: ``name`` verbatim, ``canonical`` for matching, ``value`` verbatim.

    ``value`` is the rest of the logical line after the name and its following blanks, with
    trailing blanks removed: exactly what both tools store. Trailing ``# comments`` stay in
    ``value`` (IU would pass them on); use :attr:`value_without_comment` to drop them.
    """

    name: str
    canonical: str
    value: str
    location: Location

    @property
    def value_without_comment(self) -> str:
        """The value with a trailing shell-style ``# comment`` removed."""
        return strip_trailing_comment(self.value)

    @property
    def has_trailing_comment(self) -> bool:
        """True when the value carries an end-of-line comment that IU would not strip."""
        return self.value_without_comment != self.value

    @property
    def words(self) -> tuple[str, ...]:
        """The comment-free value split on blanks (how hook scripts read list options)."""
        return tuple(WORDS.findall(self.value_without_comment))

    @property
    def is_command(self) -> bool:
        """True for ``pre-up``/``up``/``post-up``/``down``/``pre-down``/``post-down``."""
        return self.canonical in COMMAND_OPTIONS


class Stanza(NamedTuple):
    """An ``iface``, ``mapping`` or IU2 ``vlan`` block with its options in file order.

    ``args`` are all words after the keyword (for ``mapping`` these are the patterns; ``name``
    is the first). ``family``/``method`` are ``None`` when omitted (IU2 allows ``iface br0``).
    ``comments`` are the comment lines met while the stanza was open (PVE writes an
    interface's description as a comment *after* its options).
    """

    kind: StanzaKind
    name: str
    family: str | None
    method: str | None
    inherits: str | None
    options: tuple[Option, ...]
    location: Location
    comments: tuple[Comment, ...] = ()
    args: tuple[str, ...] = ()

    def get(self, canonical: str) -> tuple[Option, ...]:
        """Every option with this canonical name (repeats are legal and meaningful)."""
        key = canonical_name(canonical)
        return tuple(option for option in self.options if option.canonical == key)

    def first(self, canonical: str) -> Option | None:
        """The first option with this canonical name, if any."""
        key = canonical_name(canonical)
        for option in self.options:
            if option.canonical == key:
                return option
        return None

    def values(self, canonical: str) -> tuple[str, ...]:
        """The verbatim values of every option with this canonical name."""
        return tuple(option.value for option in self.get(canonical))


class Mark(NamedTuple):
    """One interface name listed on an ``auto``/``allow-*``/``no-*`` line."""

    name: str
    location: Location


class Rename(NamedTuple):
    """``rename CUR=NEW`` (IU only)."""

    current: str
    new: str
    location: Location


class Directive(NamedTuple):
    """A non-stanza keyword line, in file order, for writers and for explaining problems.

    ``included`` lists the files a ``source``/``source-directory`` line actually read.
    """

    keyword: str
    args: tuple[str, ...]
    location: Location
    included: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, eq=False)
class Document:
    """Everything read from one ENI file and the files it sources, in reading order.

    ``auto`` holds ``auto``/``allow-auto`` names in bring-up order; ``allow`` maps every other
    ``allow-CLASS`` class to its names. ``misplaced`` are option lines found outside a stanza
    (each also has a problem). ``sources`` are the files actually read, top file first.
    """

    stanzas: tuple[Stanza, ...]
    auto: tuple[Mark, ...]
    allow: Mapping[str, tuple[Mark, ...]]
    sources: tuple[str, ...]
    problems: tuple[Problem, ...]
    no_auto_down: tuple[Mark, ...] = ()
    no_scripts: tuple[Mark, ...] = ()
    renames: tuple[Rename, ...] = ()
    directives: tuple[Directive, ...] = ()
    comments: tuple[Comment, ...] = ()
    misplaced: tuple[Option, ...] = ()

    def named(self, name: str, kind: StanzaKind | None = "iface") -> tuple[Stanza, ...]:
        """All stanzas for ``name`` (several are legal: inet + inet6, or repeated)."""
        return tuple(
            stanza
            for stanza in self.stanzas
            if stanza.name == name and (kind is None or stanza.kind == kind)
        )

    @property
    def names(self) -> tuple[str, ...]:
        """Distinct ``iface`` names in first-seen order."""
        return tuple(dict.fromkeys(s.name for s in self.stanzas if s.kind == "iface"))

    def is_auto(self, name: str) -> bool:
        """True when ``name`` is on an ``auto``/``allow-auto`` line."""
        return any(mark.name == name for mark in self.auto)

    def problems_with(self, code: str) -> tuple[Problem, ...]:
        """Problems with this code, for callers that treat some kinds specially."""
        return tuple(problem for problem in self.problems if problem.code == code)


def iter_options(document: Document) -> Iterator[tuple[Stanza, Option]]:
    """Every (stanza, option) pair in reading order, for whole-file checks."""
    for stanza in document.stanzas:
        for option in stanza.options:
            yield stanza, option
