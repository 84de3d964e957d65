"""Which configs the ifupdown oracle can judge, and why the others cannot.

The oracle (``tests/lab/test_lab_oracle.py``) applies the ENI hvnet renders with real
``ifup -a`` and requires the kernel to equal the model. That is a fair test only for hosts
that are entirely hvnet's model and entirely kernel state the lab can produce, so a corpus
file qualifies when:

* the ENI importer converts it fully (no "not converted" notes: nothing was left out);
* the imported host, written as an hvnet config and loaded back, validates without errors
  (the same check ``hvnet import`` makes), and that loaded host is the model under test;
* it uses only bonds, VLANs, bridges and static addresses (with gateways): no DHCP or SLAAC
  (no server in the lab, and the address would not be the model's) and no static routes
  (not in the oracle's scope).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hvnet.model import Host, Method4, Method6

CORPUS = Path("/work/shared/corpus/eni")


@dataclass(frozen=True, slots=True)
class OracleCase:
    """A corpus file and either its model (``host``) or why it does not qualify."""

    path: Path
    host: Host | None
    reason: str = ""

    @property
    def qualifies(self) -> bool:
        return self.host is not None and not self.reason


def judge(path: Path) -> OracleCase:
    """Import ``path`` and decide whether the oracle can use it (see the module docstring)."""
    from hvnet.emit import emit_yaml
    from hvnet.importers import ImportError_
    from hvnet.importers.eni import import_eni
    from hvnet.loader import load_text

    try:
        imported = import_eni(path)
    except ImportError_ as exc:
        return OracleCase(path, None, f"cannot import: {exc}")
    left = imported.not_converted
    if left:
        first = left[0]
        return OracleCase(path, None, f"{len(left)} line(s) not converted, first line "
                          f"{first.line}: {first.text.strip()} ({first.reason})")  # fmt: skip
    loaded = load_text(emit_yaml(imported.host), f"{path.name}.yaml")
    if not loaded.ok or loaded.host is None:
        errors = [d for d in loaded.diagnostics if d.severity.value == "error"]
        return OracleCase(path, None, "invalid as an hvnet host: " + errors[0].message if errors
                          else "invalid as an hvnet host")  # fmt: skip
    host = loaded.host
    for link in host.links.values():
        if link.method is Method4.DHCP or link.method6 in (Method6.DHCP, Method6.AUTO):
            return OracleCase(path, None, f"{link.name} uses DHCP/SLAAC (not static addresses)")
        if link.routes:
            return OracleCase(path, None, f"{link.name} has static routes")
    return OracleCase(path, host)


def corpus_cases(corpus: Path = CORPUS) -> list[OracleCase]:
    """Every ENI corpus file, judged (empty when the corpus is not present)."""
    if not corpus.is_dir():
        return []
    return [judge(p) for p in sorted(corpus.glob("*.interfaces"))]
