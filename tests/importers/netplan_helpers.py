"""Helpers shared by the netplan importer tests (a plain module: see tests/hvtest.py)."""

import textwrap
from pathlib import Path

from hvnet.importers import ImportResult, NoteKind
from hvnet.importers.netplan import parse_netplan
from hvnet.model import Host

CORPUS = Path("/work/shared/corpus/netplan")
if not CORPUS.is_dir():  # pragma: no cover - the corpus lives next to the repository
    CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "netplan"


def corpus(name: str) -> Path:
    return next(CORPUS.glob(f"{name}-*.yaml"))


def snippet(text: str, name: str = "/etc/netplan/50-test.yaml") -> tuple[str, str]:
    return name, textwrap.dedent(text)


def parse(*texts: str) -> ImportResult:
    """Import YAML snippets as files 10-a.yaml, 20-b.yaml... (in that netplan order)."""
    return parse_netplan(
        [snippet(t, f"/etc/netplan/{10 * (i + 1)}-f.yaml") for i, t in enumerate(texts)]
    )


def bonds(host: Host) -> dict[str, tuple[str, tuple[str, ...]]]:
    return {b.name: (b.options.mode.value, b.slaves) for b in host.bonds}


def vlans(host: Host) -> dict[str, tuple[str, int]]:
    return {v.name: (v.parent, v.vid) for v in host.vlans}


def bridges(host: Host) -> dict[str, tuple[str, ...]]:
    return {b.name: b.port_names for b in host.bridges}


def addresses(host: Host) -> dict[str, list[str]]:
    return {n: [str(a) for a in link.addresses] for n, link in host.links.items() if link.addresses}


def not_converted(result: ImportResult) -> list[tuple[int, str]]:
    return [(n.line, n.text) for n in result.not_converted]


def kinds(result: ImportResult, kind: NoteKind) -> list[int]:
    return [n.line for n in result.notes if n.kind is kind]
