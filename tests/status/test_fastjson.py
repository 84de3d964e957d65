"""The fast ``status --json`` path prints byte for byte what the reference pipeline prints.

Reference: the Python decoder → facts → document → verdicts → ``render_json``. Fast: the
C decoder's status rows → :func:`hvnet.status.fastjson.render_live_json`. Both read the
same captured kernel dumps (tests/fixtures/netlink) and /proc/net/bonding files, with
the same time stamp and host name, so their texts must be identical, healthy hosts and
unhealthy ones (a VLAN whose parent is down, a bridge whose uplink is down, MTU
mismatches, guest taps, a failed-over bond) alike, with and without flapping memory.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from hvnet.kernel.record import replace
from hvnet.native import rtnl as native_rtnl
from hvnet.status import rtnl
from hvnet.status.collect import Gathered, build
from hvnet.status.health import evaluate, failure_counts
from hvnet.status.live import assemble
from hvnet.status.present import render_json
from hvnet.status.state import load_previous, save_run

from nlkit import FIXTURES, fixture_buffers, fixture_cases, host_dump

_rtnl = native_rtnl()
pytestmark = pytest.mark.skipif(_rtnl is None, reason="hvnet._rtnl is not built")
STAMP = "2026-01-02T03:04:05+00:00"


def reference(
    buffers: list[bytearray],
    proc: Path,
    libvirt: dict[str, str] | None = None,
    state: Path | None = None,
) -> str:
    raws: list[rtnl.RawLink] = []
    for buf in buffers:
        rtnl.decode_dump_py(buf, len(buf), raws)
    facts, extras = assemble(raws, str(proc), "/nonexistent")
    gathered = Gathered(
        facts=facts,
        live=True,
        hostname=os.uname().nodename,
        kernel_release=os.uname().release,
        libvirt_ports=libvirt or {},
        vlan_extras=extras,
    )
    doc = build(gathered)
    doc = replace(doc, host=replace(doc.host, generated=STAMP))
    previous = load_previous(state) if state is not None else None
    judged = evaluate(doc, previous, fresh=True)
    if state is not None:
        save_run(state, STAMP, failure_counts(judged))
    return render_json(judged)


def fast(
    buffers: list[bytearray],
    proc: Path,
    libvirt: dict[str, str] | None = None,
    state: Path | None = None,
) -> str:
    from hvnet.status.fastjson import render_live_json

    assert _rtnl is not None
    rows: list[tuple[object, ...]] = []
    bonds: list[rtnl.RawLink] = []
    for buf in buffers:
        _rtnl.status_rows(buf, len(buf), rows, bonds, rtnl._FACTORIES)
    return render_live_json(
        rows,
        bonds,
        proc=str(proc),
        sys="/nonexistent",
        state_file=state,
        libvirt_ports=libvirt,
        generated=STAMP,
    )


def same(expected: str, got: str) -> None:
    if expected != got:  # show where, not two 2 MB strings
        at = next(i for i, (a, b) in enumerate(zip(expected, got, strict=False)) if a != b)
        raise AssertionError(f"differ at {at}:\n{expected[at - 200 : at + 200]}\n---\n"
                             f"{got[at - 200 : at + 200]}")  # fmt: skip
    json.loads(got)


@pytest.mark.parametrize("case", fixture_cases())
def test_captured_dumps_print_the_same(case: str) -> None:
    buffers = fixture_buffers(case)
    same(reference(buffers, FIXTURES / case / "proc"), fast(buffers, FIXTURES / case / "proc"))


def test_variety_covers_unhealthy_hosts() -> None:
    """The variety case is there to exercise verdicts, not only healthy objects."""
    doc = json.loads(fast(fixture_buffers("variety"), FIXTURES / "variety" / "proc"))
    codes = {f["code"] for b in doc["bridges"] + doc["vlans"] for f in b["health"]["findings"]}
    assert {"bridge-uplink-down", "mtu-mismatch", "bridge-no-uplink"} <= codes
    assert doc["overall"] == "critical"
    roles = {link["name"]: link["role"] for link in doc["links"]}
    assert roles["vnet0"] == "guest" and roles["tap7i0"] == "guest"
    assert {'q"x\\y', "näme0"} <= roles.keys()


def test_synthetic_host_with_guest_names(tmp_path: Path) -> None:
    buffers = [bytearray(host_dump())]
    (tmp_path / "net" / "bonding").mkdir(parents=True)
    libvirt = {"vnet0": 'web "1"'}
    same(reference(buffers, tmp_path, libvirt), fast(buffers, tmp_path, libvirt))


def test_flapping_memory_is_read_and_written_alike(tmp_path: Path) -> None:
    case = "active-backup-failover"
    if case not in fixture_cases():
        pytest.skip("fixture missing")
    buffers = fixture_buffers(case)
    proc = FIXTURES / case / "proc"
    for which, path in (("ref", tmp_path / "ref.json"), ("fast", tmp_path / "fast.json")):
        # a previous run that saw no failures yet: this run's count rose → flapping
        path.write_text(json.dumps({"version": 1, "time": "T0", "failure_counts": {
            "bond0": {"eth0": 0, "eth2": 0}}}))  # fmt: skip
        text = (reference if which == "ref" else fast)(buffers, proc, state=path)
        assert "flapping" in text
    assert (tmp_path / "ref.json").read_text() == (tmp_path / "fast.json").read_text()
    ref_state, fast_state = tmp_path / "ref.json", tmp_path / "fast.json"
    assert load_previous(ref_state) == load_previous(fast_state)
