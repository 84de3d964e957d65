"""Helpers shared by the ENI syntax tests (a plain module: see tests/hvtest.py for why)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hvnet.eni.syntax import Document, Location

CORPUS = Path(os.environ.get("HVNET_ENI_CORPUS", "/work/shared/corpus/eni"))


def corpus_files() -> list[Path]:
    """Every corpus file, sorted; empty (so nothing is parametrized) where it is absent."""
    return sorted(CORPUS.glob("*.interfaces")) if CORPUS.is_dir() else []


@pytest.fixture
def corpus() -> Path:
    """The corpus directory; tests needing it are skipped where it is absent.

    Defined here rather than in a ``tests/eni/conftest.py``: a second ``conftest`` module
    would shadow the root one.
    """
    if not CORPUS.is_dir():
        pytest.skip(f"ENI corpus not found at {CORPUS}")
    return CORPUS


def uncovered_lines(document: Document, filename: str, text: str) -> list[int]:
    """Lines of ``text`` (read as ``filename``) that are neither blank nor in the AST nor in a
    problem: the parser promises this list is always empty."""
    covered: set[int] = set()

    def cover(location: Location) -> None:
        if location.file == filename:
            covered.update(location.lines)

    for stanza in document.stanzas:
        cover(stanza.location)
        for option in stanza.options:
            cover(option.location)
        for comment in stanza.comments:
            cover(comment.location)
    locations = [c.location for c in document.comments]
    locations += [d.location for d in document.directives]
    locations += [o.location for o in document.misplaced]
    for location in locations:
        cover(location)
    for problem in document.problems:
        cover(problem.location)
    text = text.removeprefix("\ufeff")
    lines = text.replace("\r\n", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    blank = {n for n, line in enumerate(lines, 1) if not line.strip(" \t\r\n\f\v")}
    return [n for n in range(1, len(lines) + 1) if n not in covered and n not in blank]


def names(document: Document) -> list[str]:
    """Stanza names in order; non-iface stanzas prefixed by their kind."""
    return [s.name if s.kind == "iface" else f"{s.kind}:{s.name}" for s in document.stanzas]


def codes(document: Document) -> list[str]:
    return [problem.code for problem in document.problems]
