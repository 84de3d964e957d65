"""The ifupdown oracle: the ENI hvnet renders, applied by real ``ifup -a``, gives the model.

For both reference hosts of docs/format.md and every corpus file that qualifies (see
:mod:`hvnet.lab.oracle`: fully converted by the importer, valid, only bonds, VLANs, bridges
and static addresses): render → ``ifup -a`` in the lab VM → capture → compare, every
attribute equal. Steps 2 and 3 of the lab only, one ifupdown run per case in the session VM.
"""

from __future__ import annotations

import pytest

from hvnet.lab import LabVM
from hvnet.lab.oracle import corpus_cases
from hvnet.lab.scenario import LabScenario
from hvnet.loader import load_file
from hvnet.model import Host

from hvtest import EXAMPLES

pytestmark = pytest.mark.lab

EXAMPLE_NAMES = ["host-a", "host-b"]
CORPUS = [c for c in corpus_cases() if c.qualifies]


def run_oracle(vm: LabVM, host: Host, name: str) -> None:
    run = LabScenario(vm, host, name=name).run_method("ifupdown", frozenset({"compare"}))
    assert run.apply is not None and run.apply.ok, f"ifup -a failed: {run.apply.detail}"
    assert run.compare is not None, "no comparison"
    assert run.compare.ok, "\n".join(c.format() for c in run.failed_checks) or run.compare.detail
    assert len(run.checks) >= len(host.links)


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_docs_example(lab: LabVM, name: str) -> None:
    host = load_file(EXAMPLES / f"{name}.yaml").host
    assert host is not None
    run_oracle(lab, host, name)


@pytest.mark.parametrize("case", CORPUS, ids=[c.path.name.split("-")[0] for c in CORPUS])
def test_corpus_file(lab: LabVM, case) -> None:  # type: ignore[no-untyped-def]
    assert case.host is not None
    run_oracle(lab, case.host, case.path.name)
