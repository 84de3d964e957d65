"""Following ``source`` and ``source-directory`` lines: the file-system half of the reader.

Split from :mod:`hvnet.eni.syntax` along the boundary between reading *lines* and finding
*files*: globbing, run-parts-style directory filtering, cycle/repeat/depth guards, refusing
FIFOs and devices without blocking, and decoding bytes that are not UTF-8. The reader mixes
this in; parsing a file's text stays in :meth:`_Reader.parse`.
"""

from __future__ import annotations

import glob
import os
import re
import stat

from hvnet.eni.ast import Location, Problem

_MAX_SOURCE_DEPTH = 64
_SOURCE_DIRECTORY_NAME = re.compile(r"[a-zA-Z0-9_-]+")
_SURROGATE = re.compile("[\udc80-\udcff]")


def _decode(data: bytes) -> tuple[str, list[int]]:
    """Text of ``data`` and the line numbers holding bytes that are not UTF-8.

    Undecodable bytes become lone surrogates (``surrogateescape``) so a writer can encode the
    file back byte for byte; they are reported because they are almost always a paste from a
    legacy-encoded document.
    """
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError:
        text = data.decode("utf-8", errors="surrogateescape")
    bad: list[int] = []
    for match in _SURROGATE.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        if not bad or bad[-1] != line:
            bad.append(line)
    return text, bad


class SourceFollowing:
    """Reads files for the reader; relies on the reader's state declared here."""

    root: str | None
    problems: list[Problem]
    sources: list[str]
    stack: list[str]
    seen: dict[str, str]

    def problem(self, location: Location, message: str, code: str) -> None:
        raise NotImplementedError

    def parse(self, text: str, filename: str) -> None:
        raise NotImplementedError

    def read_path(self, path: str, include_location: Location | None) -> bool:
        """Read and parse one file; False (with a problem) when it cannot be read."""
        real = os.path.realpath(path)
        where = include_location or Location(path, 0)
        if real in self.stack:
            self.problem(where, f"source cycle: {path} is already being read", "source-cycle")
            return False
        if real in self.seen:
            self.problem(
                where,
                f"{path} was already read (from {self.seen[real]}); not read again, although"
                " ifupdown would define its stanzas a second time",
                "source-repeated",
            )
            return False
        if len(self.stack) >= _MAX_SOURCE_DEPTH:
            self.problem(where, f"source nesting deeper than {_MAX_SOURCE_DEPTH}", "source-depth")
            return False
        try:
            # O_NONBLOCK: opening a FIFO must not wait for a writer; a FIFO or /dev/zero is
            # then refused rather than read forever.
            with open(os.open(path, os.O_RDONLY | os.O_NONBLOCK), "rb") as handle:
                if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                    self.problem(where, f"{path} is not a regular file", "source-unreadable")
                    return False
                data = handle.read()
        except OSError as error:
            reason = error.strerror or type(error).__name__
            self.problem(where, f"cannot read {path}: {reason}", "source-unreadable")
            return False
        self.seen[real] = str(include_location) if include_location else "the command line"
        self.sources.append(path)
        text, bad_lines = _decode(data)
        for line in bad_lines:
            self.problem(Location(path, line), "bytes that are not UTF-8", "encoding")
        self.stack.append(real)
        try:
            self.parse(text, path)
        finally:
            self.stack.pop()
        return True

    def resolve(self, path: str, including_file: str) -> str:
        """A source argument as a path on disk: under ``root`` if absolute, else beside
        the including file (IU's rule; IU2 documents absolute paths only)."""
        if os.path.isabs(path):
            if self.root is not None:
                return os.path.join(self.root, path.lstrip("/"))
            return path
        if including_file.startswith("<"):  # parse_text("…") without a real file name
            return path
        return os.path.join(os.path.dirname(including_file), path)

    def source(self, args: tuple[str, ...], location: Location) -> tuple[str, ...]:
        """Follow ``source`` arguments; returns the files read.

        A glob matching nothing in an existing directory is silent (an empty
        ``interfaces.d`` is Debian's default); a missing directory or literal file is a
        problem, because then the configuration the user meant is not all here.
        """
        included: list[str] = []
        for arg in args:
            pattern = self.resolve(arg, location.file)
            if glob.has_magic(pattern):
                matches = sorted(glob.glob(pattern))
                parent = os.path.dirname(pattern)
                if not matches and parent and not os.path.isdir(parent):
                    self.problem(
                        location,
                        f"source {arg}: directory {parent} does not exist",
                        "source-missing",
                    )
                for match in matches:
                    if os.path.isdir(match):
                        self.problem(
                            location, f"source {arg}: {match} is a directory", "source-unreadable"
                        )
                    elif self.read_path(match, location):
                        included.append(match)
            elif not os.path.exists(pattern):
                self.problem(location, f"source file {pattern} does not exist", "source-missing")
            elif os.path.isdir(pattern):
                self.problem(
                    location,
                    f"source {pattern} is a directory (use source-directory)",
                    "source-unreadable",
                )
            elif self.read_path(pattern, location):
                included.append(pattern)
        return tuple(included)

    def source_directory(self, args: tuple[str, ...], location: Location) -> tuple[str, ...]:
        """Follow ``source-directory`` (IU only): run-parts-style names, alphabetical."""
        included: list[str] = []
        for arg in args:
            directory = self.resolve(arg, location.file)
            try:
                names = sorted(os.listdir(directory))
            except OSError as error:
                reason = error.strerror or type(error).__name__
                self.problem(location, f"source-directory {directory}: {reason}", "source-missing")
                continue
            for name in names:
                if _SOURCE_DIRECTORY_NAME.fullmatch(name) is None:
                    continue  # run-parts style filter: dpkg leftovers, editor backups, ...
                path = os.path.join(directory, name)
                if os.path.isdir(path):
                    self.problem(
                        location, f"source-directory: {path} is a directory", "source-unreadable"
                    )
                elif self.read_path(path, location):
                    included.append(path)
        return tuple(included)
