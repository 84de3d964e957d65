"""Syntax layer of the Debian ``/etc/network/interfaces`` (ENI) reader.

Why a separate, model-free layer: users' ENI files are written for two different tools
(classic ifupdown 0.8, "IU", and ifupdown2, "IU2"), by hand, over years, and often contain
things neither tool accepts. The importer has to *decide* what each construct means, so this
layer must not decide anything: it accepts the union of both dialects, turns the text into an
immutable AST with a location on every element, and reports whatever it could not place as a
:class:`Problem` instead of raising. Every physical line of the input ends up either in the
AST (stanza header, option, comment, directive, misplaced option) or in a problem; blank lines
carry no information. Nothing is silently dropped, so the importer can always tell the user
exactly which line it ignored and why.

The rules reproduced here are those of ``eni-dialects.md`` §1:

* comments are lines whose first non-blank character is ``#``; indentation never matters;
* continuation follows IU: a physical line whose last character is ``\\`` is joined with the
  next physical line (backslash removed, next line appended verbatim); a comment line never
  continues and a continued-into line is never a comment. CRLF line ends are removed first,
  so a file edited on Windows continues the same way;
* ``iface NAME [FAMILY [METHOD]] [inherits TMPL]`` (family/method optional as in IU2),
  ``mapping``, and IU2's ``vlan NAME`` open stanzas; ``auto``/``allow-*``/``no-auto-down``/
  ``no-scripts``/``rename``/``source``/``source-directory`` with arguments end the current
  stanza, and options after them are *misplaced*; ``auto`` with no argument inside an
  ``iface`` stanza marks that interface auto;
* ``source GLOB`` is resolved relative to the including file's directory (sorted glob);
  ``source-directory DIR`` reads files whose names match ``^[a-zA-Z0-9_-]+$`` in alphabetical
  order; cycles, missing files and unreadable files are problems;
* mako template lines (IU2: ``%for`` … ``%endfor``) cannot be expanded without executing code,
  so they are reported and the lines between them are parsed literally (and reported too).

The parser is a single loop over lines with no backtracking regular expressions, because
hypervisor hosts with all 4094 VLANs bridged produce files of 40k lines and more.
"""

from __future__ import annotations

import gc
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from types import MappingProxyType

from hvnet.eni.ast import (
    BLANKS,
    COMMAND_OPTIONS,
    WORDS,
    Comment,
    Directive,
    Document,
    Location,
    Mark,
    Option,
    Problem,
    Rename,
    Stanza,
    StanzaKind,
    canonical_name,
    iter_options,
    strip_trailing_comment,
)
from hvnet.eni.sources import SourceFollowing

__all__ = [
    "COMMAND_OPTIONS",
    "Comment",
    "Directive",
    "Document",
    "Location",
    "Mark",
    "Option",
    "Problem",
    "Rename",
    "Stanza",
    "StanzaKind",
    "canonical_name",
    "iter_options",
    "parse_file",
    "parse_text",
    "strip_trailing_comment",
]

# Blanks as C's isspace() in the "C" locale; the only characters IU strips or splits on.
_BLANKS = BLANKS
_HEAD = re.compile(r"([^ \t\r\n\f\v]+)[ \t\r\n\f\v]*(.*)", re.DOTALL)
_WORDS = WORDS
_MAKO_OPEN = ("for", "if", "while", "try", "with", "def")
# Characters Python's str.split() treats as blanks but C isspace() does not.
_ODD_BLANKS = re.compile("[\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]")
_STANZA_KEYWORDS = frozenset({"iface", "mapping", "vlan"})
_SOURCE_KEYWORDS = frozenset({"source", "source-directory", "rename"})
_KEYWORDS = _STANZA_KEYWORDS | _SOURCE_KEYWORDS | {"auto", "no-auto-down", "no-scripts"}
# First word -> canonical option name, or "" for keywords and template lines. Grows with the
# distinct first words seen; bounded so hostile input cannot make it a memory leak.
_CLASSIFICATION: dict[str, str] = {}
_CLASSIFICATION_LIMIT = 65536


def _classify(word: str) -> str:
    """Canonical option name of ``word``, or "" when the word needs the slow path."""
    if word in _KEYWORDS or word.startswith(("allow-", "%", "<")):
        result = ""
    else:
        result = word.replace("_", "-").lower()
    if len(_CLASSIFICATION) < _CLASSIFICATION_LIMIT:
        _CLASSIFICATION[word] = result
    return result


# --------------------------------------------------------------------------------------------
# Reading


class _OpenStanza:
    """A stanza still receiving options (a plain slotted class: built once per stanza)."""

    __slots__ = (
        "args",
        "comments",
        "family",
        "inherits",
        "kind",
        "location",
        "method",
        "name",
        "options",
    )

    def __init__(
        self,
        kind: StanzaKind,
        name: str,
        family: str | None,
        method: str | None,
        inherits: str | None,
        location: Location,
        args: tuple[str, ...],
    ) -> None:
        self.kind = kind
        self.name = name
        self.family = family
        self.method = method
        self.inherits = inherits
        self.location = location
        self.args = args
        self.options: list[Option] = []
        self.comments: list[Comment] = []

    def close(self) -> Stanza:
        return tuple.__new__(
            Stanza,
            (
                self.kind,
                self.name,
                self.family,
                self.method,
                self.inherits,
                tuple(self.options),
                self.location,
                tuple(self.comments),
                self.args,
            ),
        )


class _Reader(SourceFollowing):
    """Accumulates one document across a top file and everything it sources."""

    def __init__(self, follow_sources: bool, root: str | None) -> None:
        self.follow_sources = follow_sources
        self.root = root
        self.stanzas: list[Stanza] = []
        self.auto: list[Mark] = []
        self.allow: dict[str, list[Mark]] = {}
        self.no_auto_down: list[Mark] = []
        self.no_scripts: list[Mark] = []
        self.renames: list[Rename] = []
        self.directives: list[Directive] = []
        self.comments: list[Comment] = []
        self.misplaced: list[Option] = []
        self.problems: list[Problem] = []
        self.sources: list[str] = []
        self.stack: list[str] = []
        self.seen: dict[str, str] = {}

    def document(self) -> Document:
        return Document(
            stanzas=tuple(self.stanzas),
            auto=tuple(self.auto),
            allow=MappingProxyType({k: tuple(v) for k, v in self.allow.items()}),
            sources=tuple(self.sources),
            problems=tuple(self.problems),
            no_auto_down=tuple(self.no_auto_down),
            no_scripts=tuple(self.no_scripts),
            renames=tuple(self.renames),
            directives=tuple(self.directives),
            comments=tuple(self.comments),
            misplaced=tuple(self.misplaced),
        )

    def problem(self, location: Location, message: str, code: str) -> None:
        self.problems.append(Problem(location, message, code))

    # -- lines ---------------------------------------------------------------------------

    def parse(self, text: str, filename: str) -> None:
        """Parse one file's text into the shared accumulators.

        Written as one flat loop with local-variable aliases, a per-word classification cache
        (one dict lookup tells keyword from option and gives the canonical name) and
        ``tuple.__new__`` for the AST nodes: this is the hot path for 40k-line files, where a
        per-line helper call or a dataclass ``__init__`` would double the run time.
        """
        problem = self.problem
        if text.startswith("\ufeff"):
            text = text[1:]
            problem(Location(filename, 1), "byte order mark removed", "encoding")
        if "\r\n" in text:
            text = text.replace("\r\n", "\n")  # same as dropping each line's final CR
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        count = len(lines)
        # str.split() also splits on Unicode and \x1c-\x1f blanks, which IU (C isspace) keeps
        # inside words; use it only when the file has none of them.
        fast_split = _ODD_BLANKS.search(text) is None
        head_match = _HEAD.match
        blanks = _BLANKS
        new = tuple.__new__
        classify = _CLASSIFICATION.get
        comments_append = self.comments.append
        auto_append = self.auto.append
        stanzas_append = self.stanzas.append
        directives_append = self.directives.append
        current: _OpenStanza | None = None
        options_append = self.misplaced.append  # rebound whenever a stanza opens or closes
        plain = False  # an iface/vlan stanza is open: options need no further checks
        ended_by = ""  # why no stanza is open, for misplaced-option messages
        mako_depth = 0
        in_mako_code = False
        numbered = enumerate(lines, 1)
        for number, raw in numbered:
            stripped = raw.strip(blanks)
            if not stripped:
                continue
            if stripped[0] == "#":
                comment = new(Comment, (stripped, new(Location, (filename, number, 1))))
                if current is not None:
                    current.comments.append(comment)
                else:
                    comments_append(comment)
                continue
            span = 1
            if stripped[-1] == "\\" and raw[-1] == "\\":
                pieces = [raw[:-1]]
                while True:
                    following = next(numbered, None)
                    if following is None:
                        problem(
                            Location(filename, number, span),
                            "backslash continuation at end of file",
                            "continuation-eof",
                        )
                        break
                    span += 1
                    if following[1][-1:] == "\\":
                        pieces.append(following[1][:-1])
                        continue
                    pieces.append(following[1])
                    break
                stripped = "".join(pieces).strip(blanks)
                if not stripped:
                    problem(
                        Location(filename, number, span),
                        "backslash continuation of blank lines only",
                        "empty-continuation",
                    )
                    continue
            location = new(Location, (filename, number, span))
            if in_mako_code:
                in_mako_code, mako_depth = self.mako(stripped, location, True, mako_depth)
                continue
            if fast_split:
                parts = stripped.split(None, 1)
                word = parts[0]
                rest = parts[1] if len(parts) == 2 else ""
            else:
                match = head_match(stripped)
                assert match is not None  # stripped starts with a non-blank
                word, rest = match.group(1), match.group(2)
            canonical = classify(word)
            if canonical is None:
                canonical = _classify(word)

            if not canonical:  # a keyword or a template line
                if word[0] in "%<" and stripped.startswith(("%", "<%")):
                    in_mako_code, mako_depth = self.mako(stripped, location, False, mako_depth)
                    continue
                if mako_depth:
                    problem(
                        location,
                        "line inside a mako template block: not expanded, parsed literally",
                        "mako",
                    )
                if word not in _KEYWORDS and not word.startswith("allow-"):
                    canonical = canonical_name(word)  # e.g. "<foo": an odd but plain option
                else:
                    args = tuple(rest.split() if fast_split else _WORDS.findall(rest))
                    if word == "iface" and len(args) == 3 and "inherits" not in args:
                        # the common "iface NAME FAMILY METHOD" line, without a helper call
                        if current is not None:
                            stanzas_append(current.close())
                        current = _OpenStanza(
                            "iface", args[0], args[1], args[2], None, location, args
                        )
                        options_append = current.options.append
                        plain = True
                        continue
                    if word in _STANZA_KEYWORDS:
                        if current is not None:
                            stanzas_append(current.close())
                        current = self.open_stanza(word, args, location)
                        if current is not None:
                            options_append = current.options.append
                            plain = current.kind != "mapping"
                        else:
                            options_append = self.misplaced.append
                            plain = False
                            ended_by = f"'{word}' line {number}"
                        continue
                    if not args and word not in _SOURCE_KEYWORDS:
                        directives_append(new(Directive, (word, args, location, ())))
                        if current is not None and current.kind == "iface":
                            self.mark(word, current.name, location)
                        else:
                            problem(
                                location,
                                f"'{word}' without interface names outside an iface stanza",
                                "empty-directive",
                            )
                        continue
                    if current is not None:
                        stanzas_append(current.close())
                        current = None
                        options_append = self.misplaced.append
                        plain = False
                    ended_by = f"'{word}' line {number}"
                    if word == "auto":
                        for name in args:
                            auto_append(new(Mark, (name, location)))
                        directives_append(new(Directive, (word, args, location, ())))
                    else:
                        self.directive(word, args, location)
                    continue
            elif mako_depth:
                problem(
                    location,
                    "line inside a mako template block: not expanded, parsed literally",
                    "mako",
                )

            options_append(new(Option, (word, canonical, rest, location)))
            if plain and rest:
                continue
            if current is None:
                why = f" (after {ended_by}, which ends a stanza)" if ended_by else ""
                problem(
                    location,
                    f"option '{word}' outside any stanza{why}; ignored by"
                    " ifupdown2, fatal for ifupdown",
                    "misplaced-option",
                )
                continue
            if not rest:
                problem(location, f"option '{word}' has an empty value", "empty-value")
            if current.kind == "mapping" and word not in ("script", "map"):
                problem(
                    location, f"'{word}' is not a mapping option (script, map)", "mapping-option"
                )
        if current is not None:
            stanzas_append(current.close())
        if mako_depth or in_mako_code:
            problem(Location(filename, count), "mako block not closed", "mako")

    def mako(
        self, stripped: str, location: Location, in_code: bool, depth: int
    ) -> tuple[bool, int]:
        """Report one mako line; returns the new (inside ``<% %>``, ``%for`` depth) state.

        Mako needs a Python interpreter to expand, which a parser of untrusted files must
        never run, so template lines are reported and the lines they enclose parsed as text.
        """
        if in_code:
            self.problem(location, "mako code block line not expanded", "mako")
            return "%>" not in stripped, depth
        if stripped.startswith("<%"):
            self.problem(location, f"mako code block not expanded: {stripped}", "mako")
            return "%>" not in stripped, depth
        word = stripped[1:].lstrip(_BLANKS)
        if word.startswith("end"):
            depth = max(0, depth - 1)
        elif word.startswith(_MAKO_OPEN):
            depth += 1
        self.problem(location, f"mako template line not expanded: {stripped}", "mako")
        return False, depth

    def directive(self, word: str, args: tuple[str, ...], location: Location) -> None:
        """Record a stanza-ending keyword line and follow it if it is a ``source*``."""
        included: tuple[str, ...] = ()
        at = len(self.directives)  # keep file order: sourced files add directives too
        self.directives.append(Directive(word, args, location))
        if not args:
            self.problem(location, f"'{word}' without arguments", "empty-directive")
        elif word == "rename":
            self.rename(args, location)
        elif word == "source":
            if self.follow_sources:
                included = self.source(args, location)
        elif word == "source-directory":
            if self.follow_sources:
                included = self.source_directory(args, location)
        else:
            for name in args:
                self.mark(word, name, location)
        if included:
            self.directives[at] = Directive(word, args, location, included)

    def open_stanza(
        self, word: str, args: tuple[str, ...], location: Location
    ) -> _OpenStanza | None:
        """Parse a stanza header; ``None`` (with a problem) when it names nothing."""
        if not args:
            self.problem(location, f"'{word}' without a name", "bad-stanza")
            return None
        if word == "mapping":
            return _OpenStanza("mapping", args[0], None, None, None, location, args)
        if word == "vlan":
            if len(args) > 1:
                self.problem(location, f"unexpected words after 'vlan {args[0]}'", "bad-stanza")
            return _OpenStanza("vlan", args[0], None, None, None, location, args)
        name, words = args[0], list(args[1:])
        inherits: str | None = None
        if "inherits" in words:
            at = words.index("inherits")
            if at + 1 < len(words):
                inherits = words[at + 1]
            else:
                self.problem(location, "'inherits' without a template name", "bad-stanza")
            extra_after = words[at + 2 :]
            words = words[:at]
            if extra_after:
                self.problem(
                    location, f"unexpected words after 'inherits': {extra_after}", "bad-stanza"
                )
        family = words[0] if words else None
        method = words[1] if len(words) > 1 else None
        if len(words) > 2:
            self.problem(
                location, f"unexpected words in iface line: {' '.join(words[2:])}", "bad-stanza"
            )
        return _OpenStanza("iface", name, family, method, inherits, location, args)

    def mark(self, keyword: str, name: str, location: Location) -> None:
        mark = Mark(name, location)
        if keyword in ("auto", "allow-auto"):
            self.auto.append(mark)
        elif keyword == "no-auto-down":
            self.no_auto_down.append(mark)
        elif keyword == "no-scripts":
            self.no_scripts.append(mark)
        else:
            klass = keyword[len("allow-") :]
            if not klass:
                self.problem(location, "'allow-' without a class name", "unknown-keyword")
            self.allow.setdefault(klass, []).append(mark)

    def rename(self, args: tuple[str, ...], location: Location) -> None:
        for arg in args:
            current, sep, new = arg.partition("=")
            if not sep or not current or not new:
                self.problem(location, f"rename argument {arg!r} is not CUR=NEW", "bad-rename")
                continue
            self.renames.append(Rename(current, new, location))


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building the AST.

    The AST is acyclic (tuples of strings), so collections triggered by the tens of thousands
    of allocations a large file causes find nothing to free and cost about a quarter of the
    parse time. The previous state is restored even if parsing fails.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def parse_text(
    text: str,
    filename: str = "<string>",
    *,
    follow_sources: bool = False,
    root: str | os.PathLike[str] | None = None,
) -> Document:
    """Parse ENI ``text``; never raises for any input.

    ``source`` lines are recorded but only followed when ``follow_sources`` is true, since a
    string has no directory of its own (relative paths then resolve against ``filename``'s
    directory, or the working directory for ``<string>``). ``root`` re-roots absolute source
    paths, for reading a configuration captured from another host.
    """
    reader = _Reader(follow_sources, os.fspath(root) if root is not None else None)
    reader.sources.append(filename)
    if follow_sources and not filename.startswith("<"):
        reader.seen[os.path.realpath(filename)] = "the command line"
        reader.stack.append(os.path.realpath(filename))
    with _gc_paused():
        reader.parse(text, filename)
        return reader.document()


def parse_file(
    path: str | os.PathLike[str],
    *,
    root: str | os.PathLike[str] | None = None,
    follow_sources: bool = True,
) -> Document:
    """Parse an ENI file and, by default, every file it sources; never raises.

    An unreadable top file gives an empty document with one ``source-unreadable`` problem at
    line 0, so callers report it like any other problem. ``root`` is prepended to absolute
    ``source`` paths (e.g. a copy of another host's ``/etc``); relative ones are resolved
    against the including file's directory.
    """
    reader = _Reader(follow_sources, os.fspath(root) if root is not None else None)
    with _gc_paused():
        reader.read_path(os.fspath(path), None)
        return reader.document()
