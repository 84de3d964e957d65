"""``hvnet import``: a host's existing configuration (ENI or netplan) → an hvnet host file.

Output contract, so an operator can trust an import without reading the importer:

* the generated YAML goes to ``-o FILE`` (written atomically) or stdout; everything else goes
  to stderr, so ``hvnet import /etc/network/interfaces > host.yaml`` works;
* every note is printed as ``file:line: kind: text  (reason)``: ``not-converted`` lines have
  no equivalent in hvnet, ``inconsistent`` ones disagree with something else in the source
  (the note says which value was kept), ``converted`` ones were interpreted (a ``brctl``
  recipe turned into a bridge, a classful mask assumed). The not-converted and inconsistent
  notes are also written at the top of the YAML as comments, so nothing is lost with stderr;
* the generated text is then validated exactly like ``hvnet validate`` does. Warnings are
  allowed and printed: they describe the *source* host as it is (a bond with one slave, a NIC
  nobody uses, a delay the kernel rounds), and an import must not silently "fix" a host. An
  error would be an importer bug; it is printed, the file is still written, and the exit code
  is 2;
* exit 0 on success; 2 with ``file:line:col: message`` when a file cannot be read or is not
  importable at all (invalid netplan YAML). Never a traceback.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from hvnet.importers import ImportResult

EXIT_INVALID = 2


def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(EXIT_INVALID)


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        _fail(f"{path}:1:1: cannot read file: {exc.strerror or exc}")
        raise AssertionError from exc  # unreachable: _fail exits


def _printable(text: str) -> str:
    """Control characters and undecodable bytes escaped: safe in YAML comments and terminals."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else f"\\x{ord(c) & 0xFF:02x}" for c in text)


def _header(files: tuple[str, ...], fmt: str, notes: list[object]) -> str:
    from hvnet.importers import ImportNote, NoteKind

    lines = [
        f"hvnet host file imported from {', '.join(files)} ({fmt}) by 'hvnet import'.",
        "Review it before use; the lines below were not converted or needed a choice.",
    ]
    sections = (
        (NoteKind.NOT_CONVERTED, "Not converted (no hvnet equivalent; kept here so you decide):"),
        (NoteKind.INCONSISTENT, "Inconsistent in the source (the value kept is in this file):"),
    )
    for kind, title in sections:
        chosen = [n for n in notes if isinstance(n, ImportNote) and n.kind is kind]
        if chosen:
            lines += ["", title]
            for note in chosen:
                text = _printable(" ".join(note.text.split()))
                lines.append(f"  {note.file}:{note.line}: {text}  ({_printable(note.reason)})")
    return "\n".join(lines)


@click.command("import")
@click.argument("files", nargs=-1, required=True)
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(["eni", "netplan"]),
    default=None,
    help="Source format (default: detected from the first file's content).",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the YAML here.")
@click.option(
    "--root",
    type=click.Path(file_okay=False),
    default=None,
    help="ENI: read absolute 'source' paths under this directory (a copy of another host).",
)
def import_cmd(
    files: tuple[str, ...], fmt: str | None, output: str | None, root: str | None
) -> None:
    """Turn FILE (ENI /etc/network/interfaces or netplan YAML) into an hvnet host file.

    Several ENI files are read as if sourced in order; several netplan files are merged the
    way netplan merges them. Every line that could not be converted is reported.
    """
    try:
        _run(files, fmt, output, root)
    except SystemExit:
        raise
    except Exception as exc:  # no traceback ever: an importer bug still exits cleanly
        _fail(f"hvnet import: internal error ({type(exc).__name__}: {exc}); please report it")


def _run(files: tuple[str, ...], fmt: str | None, output: str | None, root: str | None) -> None:
    from hvnet.importers import ImportError_, NoteKind
    from hvnet.importers.detect import detect_format

    fmt = fmt or detect_format(_read(files[0]))
    for path in files:
        if not os.path.isfile(path):
            _read(path)  # a directory or a missing file: reported like netplan does
    try:
        result: ImportResult
        if fmt == "netplan":
            from hvnet.importers.netplan import import_netplan

            result = import_netplan([Path(f) for f in files])
        else:
            result = _import_eni(files, root)
    except ImportError_ as exc:
        _fail(f"{exc.file}:{exc.line}:{exc.column}: {exc.message}")
        return
    for note in result.notes:
        click.echo(_printable(note.format()), err=True)
    from hvnet.emit import emit_yaml
    from hvnet.loader import load_text

    text = emit_yaml(result.host, _header(files, fmt, list(result.notes)))
    name = output or "<import>"
    checked = load_text(text, name)
    for diag in checked.diagnostics:
        click.echo(diag.format(), err=True)
    if output:
        from hvnet.fsutil import write_atomic

        write_atomic(Path(output), text)
    else:
        click.echo(text, nl=False)
    counts = {kind: sum(1 for n in result.notes if n.kind is kind) for kind in NoteKind}
    host = result.host
    errors = 0 if checked.ok else sum(1 for d in checked.diagnostics if d.severity.value == "error")
    warnings = len(checked.diagnostics) - errors
    click.echo(
        f"{', '.join(files)}: imported {len(host.links)} link(s) ({len(host.nics)} NIC, "
        f"{len(host.bonds)} bond, {len(host.vlans)} VLAN, {len(host.bridges)} bridge); "
        f"{counts[NoteKind.NOT_CONVERTED]} line(s) not converted, "
        f"{counts[NoteKind.INCONSISTENT]} inconsistent, "
        f"{counts[NoteKind.CONVERTED]} converted with a note; "
        f"validation: {errors} error(s), {warnings} warning(s)"
        + (f"; wrote {output}" if output else ""),
        err=True,
    )
    if not checked.ok:
        sys.exit(EXIT_INVALID)


def _import_eni(files: tuple[str, ...], root: str | None) -> ImportResult:
    """One ENI file, or several read in order as if a top file sourced each of them."""
    from hvnet.eni.syntax import parse_text
    from hvnet.importers.eni import Importer, import_eni

    if len(files) == 1:
        return import_eni(files[0], root=root)
    lines = "\n".join(f"source {os.path.relpath(f)}" for f in files)
    document = parse_text(lines, "<command line>", follow_sources=True, root=root)
    importer = Importer(document)
    importer.notes.provide("<command line>", lines)
    return importer.run()


COMMANDS = (import_cmd,)
