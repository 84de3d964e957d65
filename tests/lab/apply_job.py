"""Live-apply scenarios, run INSIDE the lab VM (real bonding and 802.1Q): prints one JSON line.

Usage (in the guest): ``python tests/lab/apply_job.py SCENARIO STATE_DIR``. Each scenario
works in-process (one interpreter start: Python is slow to start under TCG) and reports what
the test on the host asserts. The VM's virtio NICs eth0..eth3 are the host's NICs.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from hvnet.apply.engine import (
    ApplyError,
    ApplyOptions,
    _read_snapshot,
    apply_host,
    snapshot_differences,
)
from hvnet.apply.ledger import load_ledger
from hvnet.apply.planner import plan
from hvnet.capture import capture_header, captured_host
from hvnet.compare import compare, failures
from hvnet.emit import emit_yaml
from hvnet.loader import load_text
from hvnet.model import Host

EXAMPLE = Path(__file__).resolve().parents[2] / "src/hvnet/examples/host-a.yaml"
BASE = EXAMPLE.read_text()

VARIANTS: list[tuple[str, str]] = [
    ("example", BASE),
    (
        "vlan added",
        BASE.replace(
            "  dmz:\n",
            "  lan300:\n    vlan: 300\n    on: bond1\n    addresses: [192.168.30.1/24]\n  dmz:\n",
        ),
    ),
    (
        "vlan removed",
        BASE.replace(
            "  lan100:\n    vlan: 100\n    on: bond1\n    addresses: [192.168.200.1/24]\n", ""
        ).replace('      - {network: lan100, mac: "52:54:00:a0:00:01", model: virtio}\n', ""),
    ),
    ("bond option changed", BASE.replace("    downdelay: 200\n", "    downdelay: 400\n")),
    ("address moved", BASE.replace("192.168.100.1/24", "192.168.100.2/24")),
    ("bridge renamed", BASE.replace("    vlan: 50\n", "    vlan: 50\n    bridge_name: br-lan50\n")),
    (
        "bond mode changed",
        BASE.replace(
            "  bond1:\n    slaves: [eth1, eth3]\n    mode: active-backup",
            "  bond1:\n    slaves: [eth1, eth3]\n    mode: balance-xor",
        ),
    ),
    ("back to the example", BASE),
]


def host_of(text: str) -> Host:
    result = load_text(text, "variant.yaml")
    assert result.ok and result.host is not None, [d.format() for d in result.diagnostics]
    return result.host


def options(state: Path, **kw: Any) -> ApplyOptions:
    return ApplyOptions(state_dir=state, eni_root=None, **kw)


def sequence(state: Path) -> list[dict[str, Any]]:
    """Empty host → example → each variant → back: kernel == model and a no-op re-plan."""
    steps = []
    for name, text in VARIANTS:
        host = host_of(text)
        start = time.monotonic()
        try:
            report = apply_host(host, options(state))
            error = None
            ops = len(report.plan.actions)
        except ApplyError as exc:
            error, ops = str(exc), -1
        seconds = time.monotonic() - start
        snap = _read_snapshot()
        bad = [c.format() for c in failures(compare(host, snap))]
        replan = plan(host, snap, load_ledger(state))
        steps.append(
            {
                "step": name,
                "ops": ops,
                "seconds": round(seconds, 2),
                "error": error,
                "mismatches": bad,
                "replan": [s.reason for s in replan.steps],
            }
        )
    return steps


def faults(state: Path, target_text: str) -> dict[str, Any]:
    """A failure forced at every operation of the plan leaves the kernel exactly as before."""
    host = host_of(target_text)
    before = _read_snapshot()
    n = len(plan(host, before, load_ledger(state)).actions)
    results = []
    for k in range(n):
        try:
            apply_host(host, options(state, fail_at=k))
            results.append({"k": k, "failed": False, "diff": []})
        except ApplyError as exc:
            diff = [d.format() for d in snapshot_differences(before, _read_snapshot())]
            results.append({"k": k, "failed": True, "rolled_back": exc.rolled_back, "diff": diff})
    return {"operations": n, "results": results}


def confirm_or_revert(state: Path) -> dict[str, Any]:
    first, second = host_of(VARIANTS[0][1]), host_of(VARIANTS[4][1])
    apply_host(first, options(state))
    before = _read_snapshot()
    report = apply_host(second, options(state, confirm_seconds=3.0))
    during = [c.format() for c in failures(compare(second, _read_snapshot()))]
    deadline = report.revert_deadline or time.time()
    while time.time() < deadline + 2.0 and (state / "pending-revert.json").exists():
        time.sleep(0.1)
    reverted_after = round(time.time() - deadline, 2)
    after = [d.format() for d in snapshot_differences(before, _read_snapshot())]
    apply_host(second, options(state, confirm_seconds=3.0))
    from hvnet.apply.engine import confirm

    confirmed = confirm(state)
    time.sleep(5.0)
    kept = [c.format() for c in failures(compare(second, _read_snapshot()))]
    return {
        "during": during,
        "reverted_after_deadline_s": reverted_after,
        "after_revert": after,
        "confirmed": confirmed,
        "kept": kept,
    }


def guest_tap(state: Path) -> dict[str, Any]:
    """A guest port on br50 survives moving VLAN 50 from bond1 to bond0."""
    apply_host(host_of(BASE), options(state))
    subprocess.run(
        ["ip", "link", "add", "vnet0", "type", "veth", "peer", "name", "vnet0g"], check=True
    )
    subprocess.run(["ip", "link", "set", "vnet0", "master", "br50", "up"], check=True)
    moved = BASE.replace("    vlan: 50\n    on: bond1\n", "    vlan: 50\n    on: bond0\n")
    report = apply_host(host_of(moved), options(state))
    snap = _read_snapshot()
    steps = [s.reason for s in report.plan.steps if "vnet0" in s.guests]
    return {
        "guest_ports": list(snap.guest_ports_of("br50")),
        "vnet0_master": snap.runtime["vnet0"].master,
        "steps_affecting_vnet0": steps,
        "vlan50_parent": getattr(snap.host.links.get("vlan50"), "parent", None),
    }


def capture_roundtrip(state: Path) -> dict[str, Any]:
    apply_host(host_of(BASE), options(state))
    snap = _read_snapshot()
    text = emit_yaml(captured_host(snap), capture_header(snap))
    result = load_text(text, "captured.yaml")
    errors = [d.format() for d in result.diagnostics if d.severity.value == "error"]
    replan = plan(result.host, _read_snapshot(), load_ledger(state)) if result.host else None
    return {
        "errors": errors,
        "replan": [s.reason for s in replan.steps] if replan else None,
        "captured": text,
    }


def main() -> None:
    scenario, state = sys.argv[1], Path(sys.argv[2])
    out: Any
    if scenario == "sequence":
        out = sequence(state)
    elif scenario == "faults-create":
        out = faults(state, BASE)
    elif scenario == "faults-change":
        apply_host(host_of(BASE), options(state))
        changed = (
            VARIANTS[6][1]
            .replace("192.168.100.1/24", "192.168.100.2/24")
            .replace("    vlan: 50\n    on: bond1\n", "    vlan: 50\n    on: bond0\n")
        )
        out = faults(state, changed)
    elif scenario == "confirm":
        out = confirm_or_revert(state)
    elif scenario == "guest-tap":
        out = guest_tap(state)
    elif scenario == "capture":
        out = capture_roundtrip(state)
    else:
        raise SystemExit(f"unknown scenario {scenario}")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
