"""Helpers for the status tests: judged documents from the recorded fixtures, tree copies.

A plain module (imported as ``statuskit`` because pytest puts this directory on sys.path),
not a conftest: helpers imported from conftest break once a sub-directory has its own.
"""

from __future__ import annotations

import shutil
import textwrap
from datetime import UTC, datetime
from pathlib import Path

from hvnet.loader import load_text
from hvnet.model import Host
from hvnet.status.collect import Expectations, build, expectations_from_host, gather
from hvnet.status.doc import StatusDoc
from hvnet.status.health import PreviousRun, evaluate

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "proc"
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
BOND_CASES = (
    "balance-rr", "active-backup", "balance-xor", "broadcast", "802.3ad",
    "802.3ad-nopartner", "balance-tlb", "balance-alb", "active-backup-arp",
    "active-backup-failover",
)  # fmt: skip


def host_from(yaml_text: str) -> Host:
    result = load_text(textwrap.dedent(yaml_text), "test.yaml")
    assert result.ok and result.host is not None, [d.format() for d in result.diagnostics]
    return result.host


def doc_for(
    case: str | Path,
    config: str | None = None,
    previous: PreviousRun | None = None,
) -> StatusDoc:
    """Collect and judge a recorded fixture (a case name or a tree path)."""
    root = case if isinstance(case, Path) else FIXTURES / case
    expect: Expectations | None = None
    if config is not None:
        expect = expectations_from_host(host_from(config), "test.yaml")
    return evaluate(build(gather(root), expect, now=NOW), previous)


def copy_case(case: str, dest: Path) -> Path:
    """A writable copy of a fixture tree (to delete or change files in)."""
    target = dest / case
    shutil.copytree(FIXTURES / case, target)
    return target


def codes(doc: StatusDoc) -> set[str]:
    return {f.code for f in doc.findings()}
