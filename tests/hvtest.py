"""Shared test helpers: load a host file from a YAML snippet and list the codes it triggers.

A plain module (not conftest.py) so tests can import it by a unique name: pytest gives every
conftest.py the module name ``conftest``, so importing helpers from it breaks as soon as a
sub-directory has its own conftest.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from hvnet.loader import LoadResult, load_text

EXAMPLES = Path(__file__).resolve().parents[1] / "src" / "hvnet" / "examples"


def load_snippet(text: str, name: str = "test.yaml") -> LoadResult:
    """Load a dedented YAML snippet as a host file, rules included."""
    return load_text(textwrap.dedent(text), name)


def codes(result: LoadResult) -> list[str]:
    """The diagnostic codes of a load result, in report order."""
    return [d.code for d in result.diagnostics]


#: A small valid host other tests extend: two NICs in an active-backup bond, one network.
BASE = """\
nics:
  eth0: {}
  eth1: {}
bonds:
  bond0:
    slaves: [eth0, eth1]
    mode: active-backup
    miimon: 100
networks:
  lan:
    vlan: 10
    on: bond0
    addresses: [192.0.2.1/24]
"""
