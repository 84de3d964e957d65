"""Step 3: capture the guest kernel's state and compare it with the model.

The capture runs in the guest as one Python job with the project's own readers: the netlink
snapshot (:func:`hvnet.kernel.netlink.read_snapshot`, what :func:`hvnet.compare.compare`
consumes) and the /proc + /sys tree (:func:`hvnet.kernel.sysfs.read_tree`). Both are
pickled into the per-boot share: the guest runs the very same checkout and interpreter, and
the VM is one the lab booted itself, so pickle moves the exact objects back without a
second serialisation format. The comparison runs on the host, so any model (including a
deliberately wrong one) can be compared with one capture.

:func:`lab_checks` is :func:`hvnet.compare.compare` plus cross-checks from a second source:
/proc/net/bonding (mode, slaves, MII interval and delays), /proc/net/vlan/config (VLAN id
and parent) and sysfs ``brif`` (bridge ports), so a netlink decoding slip cannot hide a
wrong kernel state.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path

from hvnet.compare import AttributeCheck, Status, compare
from hvnet.kernel.facts import KernelFacts
from hvnet.kernel.snapshot import KernelSnapshot, is_guest_port
from hvnet.model import Bond, Bridge, Host, Vlan

CAPTURE_CODE = """\
import pickle, sys
from hvnet.kernel.netlink import read_snapshot
from hvnet.kernel.sysfs import read_tree
state = (read_snapshot(), read_tree(statistics=False))
with open(sys.argv[1], "wb") as f:
    pickle.dump(state, f)
"""


@dataclass(frozen=True, slots=True)
class Capture:
    snapshot: KernelSnapshot
    facts: KernelFacts


def load_capture(path: Path) -> Capture:
    """Read what :data:`CAPTURE_CODE` wrote (a file the lab's own guest job produced)."""
    with path.open("rb") as f:
        snapshot, facts = pickle.load(f)  # written by our own guest job
    return Capture(snapshot, facts)


def _check(
    link: str, attribute: str, expected: object, actual: object, same: bool
) -> AttributeCheck:
    def show(v: object) -> str:
        if v is None:
            return "nothing"
        if isinstance(v, tuple | list | set | frozenset):
            return "[" + ", ".join(sorted(str(x) for x in v)) + "]"
        return str(v)

    return AttributeCheck(link, attribute, show(expected), show(actual),
                          Status.OK if same else Status.FAIL)  # fmt: skip


def _effective(value: int | None, miimon: int | None) -> int | None:
    if value is None or not miimon:
        return value
    return value - value % miimon


def proc_checks(desired: Host, facts: KernelFacts) -> list[AttributeCheck]:
    """Cross-checks of bonds, VLANs and bridge ports from /proc and sysfs."""
    checks: list[AttributeCheck] = []
    for bond in (link for link in desired.links.values() if isinstance(link, Bond)):
        proc = facts.bonds.get(bond.name)
        info = proc.proc if proc is not None else None
        if info is None:
            checks.append(_check(bond.name, "/proc/net/bonding", "present", None, False))
            continue
        src = " (/proc/net/bonding)"
        o = bond.options
        checks.append(
            _check(bond.name, "mode" + src, o.mode.value, info.mode, o.mode.value == info.mode)
        )
        have = tuple(s.name for s in info.slaves)
        checks.append(
            _check(bond.name, "slaves" + src, bond.slaves, have, set(have) == set(bond.slaves))
        )
        for name, want, got in (
            ("miimon", o.miimon, info.miimon_ms),
            ("updelay", _effective(o.updelay, o.miimon), info.updelay_ms),
            ("downdelay", _effective(o.downdelay, o.miimon), info.downdelay_ms),
        ):
            if want is not None:
                checks.append(_check(bond.name, name + src, want, got, want == got))
        if o.primary is not None and o.mode.value == "active-backup":
            checks.append(_check(bond.name, "primary" + src, o.primary, info.primary_slave,
                                 o.primary == info.primary_slave))  # fmt: skip
    for vlan in (link for link in desired.links.values() if isinstance(link, Vlan)):
        entry = facts.vlans.get(vlan.name)
        src = " (/proc/net/vlan)"
        if entry is None:
            checks.append(_check(vlan.name, "/proc/net/vlan/config", "present", None, False))
            continue
        checks.append(
            _check(vlan.name, "vlan id" + src, vlan.vid, entry.vid, vlan.vid == entry.vid)
        )
        checks.append(_check(vlan.name, "parent" + src, vlan.parent, entry.parent,
                             vlan.parent == entry.parent))  # fmt: skip
    for bridge in (link for link in desired.links.values() if isinstance(link, Bridge)):
        br = facts.bridges.get(bridge.name)
        if br is None:
            checks.append(_check(bridge.name, "sysfs bridge", "present", None, False))
            continue
        kinds = {name: link.kind or "" for name, link in facts.links.items()}
        ports = tuple(p.name for p in br.ports if not is_guest_port(p.name, kinds.get(p.name, "")))
        checks.append(_check(bridge.name, "ports (sysfs brif)", bridge.port_names, ports,
                             set(ports) == set(bridge.port_names)))  # fmt: skip
    return checks


def lab_checks(desired: Host, capture: Capture) -> list[AttributeCheck]:
    """Everything step 3 compares: the shared engine plus the /proc and sysfs cross-checks."""
    return compare(desired, capture.snapshot) + proc_checks(desired, capture.facts)
