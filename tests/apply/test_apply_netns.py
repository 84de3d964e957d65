"""Live apply against a real kernel: bridges, veths, addresses and routes in a namespace.

This machine's kernel has bridges and veth but no bonding or 802.1Q (those are proven in the
lab VM); everything else about apply runs for real here: batch execution, verification,
idempotence, guest ports left alone, and exact rollback after a failure at every position.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

HOST = """\
nics: {eth0: {}, eth1: {}}
bridges:
  br0:
    ports: [eth0]
    stp: false
    forward_delay: 0
    addresses: [192.0.2.1/24]
    gateway: 192.0.2.254
    routes: [{to: 10.50.0.0/16, via: 192.0.2.253, metric: 20}]
  br1:
    ports: [{name: eth1, priority: 10}]
    hello_time: 3
"""
CHANGED = HOST.replace("192.0.2.1/24", "192.0.2.2/24").replace(
    "hello_time: 3", "hello_time: 4\n    stp: true"
)

SCRIPT = """
import json, sys
from pathlib import Path
from hvnet.loader import load_text
from hvnet.apply.engine import ApplyError, ApplyOptions, apply_host, _read_snapshot
from hvnet.apply.engine import snapshot_differences
from hvnet.apply.planner import plan

state = Path(sys.argv[1])
first = load_text(sys.argv[2], "first.yaml").host
second = load_text(sys.argv[3], "second.yaml").host
out = {}
report = apply_host(first, ApplyOptions(state_dir=state, eni_root=None))
out["first_ops"] = len(report.plan.actions)
out["first_replan_empty"] = plan(first, _read_snapshot()).empty
import subprocess
subprocess.run(["ip", "link", "set", "vnet7", "master", "br0"], check=True)
before = _read_snapshot()
n = len(plan(second, before).actions)
out["faults"] = []
for k in range(n):
    try:
        apply_host(second, ApplyOptions(state_dir=state, eni_root=None, fail_at=k))
        out["faults"].append([k, "no failure", []])
    except ApplyError as exc:
        diff = [d.format() for d in snapshot_differences(before, _read_snapshot())]
        out["faults"].append([k, exc.rolled_back, diff])
apply_host(second, ApplyOptions(state_dir=state, eni_root=None))
after = _read_snapshot()
out["second_replan_empty"] = plan(second, after).empty
out["guest_ports"] = after.guest_ports_of("br0")
print(json.dumps(out))
"""


@pytest.fixture
def netns() -> Iterator[str]:
    name = f"hvapply-{uuid.uuid4().hex[:8]}"
    if subprocess.run(["ip", "netns", "add", name], capture_output=True).returncode != 0:
        pytest.skip("cannot create network namespaces here (needs root)")
    try:
        for a, b in (("eth0", "peer0"), ("eth1", "peer1"), ("vnet7", "guest7")):
            subprocess.run(
                ["ip", "-n", name, "link", "add", a, "type", "veth", "peer", "name", b], check=True
            )
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], capture_output=True)


def test_apply_idempotent_and_exact_rollback_at_every_operation(netns: str, tmp_path: Path) -> None:
    import json

    proc = subprocess.run(
        [
            "ip",
            "netns",
            "exec",
            netns,
            sys.executable,
            "-c",
            textwrap.dedent(SCRIPT),
            str(tmp_path / "state"),
            HOST,
            CHANGED,
        ],
        capture_output=True,
        text=True,
        env={**os.environ},
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["first_ops"] > 5
    assert out["first_replan_empty"] is True
    assert len(out["faults"]) >= 4
    for k, rolled_back, diff in out["faults"]:
        assert rolled_back is True, (k, diff)
        assert diff == [], (k, diff)
    assert out["second_replan_empty"] is True
    assert out["guest_ports"] == ["vnet7"]


CLI_SCRIPT = r"""
set -e
H="$1"; S="$2"; F="$3"; C="$4"; T="$5"
"$H" apply "$F" --runtime-only --state-dir "$S"
"$H" capture -o "$T/captured.yaml"
"$H" plan "$T/captured.yaml" --state-dir "$S" > "$T/plan.txt"
"$H" apply "$C" --runtime-only --state-dir "$S" --confirm 4
ip -br addr show br0 > "$T/during.txt"
sleep 6.5
ip -br addr show br0 > "$T/after.txt"
"$H" apply "$C" --runtime-only --state-dir "$S" --confirm 8
"$H" confirm --state-dir "$S"
sleep 9
ip -br addr show br0 > "$T/confirmed.txt"
"""


def test_capture_plans_nothing_and_confirm_or_revert(netns: str, tmp_path: Path) -> None:
    hvnet = Path(sys.executable).with_name("hvnet")
    (tmp_path / "host.yaml").write_text(HOST)
    (tmp_path / "changed.yaml").write_text(CHANGED)
    proc = subprocess.run(
        [
            "ip",
            "netns",
            "exec",
            netns,
            "bash",
            "-c",
            CLI_SCRIPT,
            "x",
            str(hvnet),
            str(tmp_path / "state"),
            str(tmp_path / "host.yaml"),
            str(tmp_path / "changed.yaml"),
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "nothing to do" in (tmp_path / "plan.txt").read_text()
    assert "192.0.2.2/24" in (tmp_path / "during.txt").read_text()
    after = (tmp_path / "after.txt").read_text()
    assert "192.0.2.1/24" in after and "192.0.2.2" not in after  # reverted within window + 2 s
    assert "192.0.2.2/24" in (tmp_path / "confirmed.txt").read_text()
