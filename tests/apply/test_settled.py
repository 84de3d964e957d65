"""A no-op apply answered from the settled record (hvnet.apply.settled, hvnet.apply.command).

The fingerprint must ignore what moves on its own (counters, timers) and nothing else; the
fast path must answer only when model, kernel, ledger and ENI file are what a verified
apply left, and hand everything else to the full apply, which records again when it finds
nothing to do. Run for real in a network namespace (bridges and veths, which this
machine's kernel has); the lab repeats it at scale with bonds and VLANs.
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from hvnet.apply import command
from hvnet.apply.settled import new_fingerprint

_rtnl = new_fingerprint()
needs_c = pytest.mark.skipif(_rtnl is None, reason="hvnet._rtnl is not built")


def nla(kind: int, payload: bytes) -> bytes:
    return struct.pack("=HH", 4 + len(payload), kind) + payload + b"\0" * (-len(payload) % 4)


def link(mtu: int, rx: int, timer: int) -> bytes:
    """An RTM_NEWLINK of a bridge port: MTU (kept), counters and a port timer (moving)."""
    port = nla(1, struct.pack("=B", 3)) + nla(21, struct.pack("=Q", timer))
    info = nla(18 | 0x8000, nla(4, b"bridge\0") + nla(5 | 0x8000, port))
    body = (
        struct.pack("=BxHiII", 0, 1, 7, 1, 0) + nla(3, b"eth0\0") + nla(4, struct.pack("=I", mtu))
    )
    body += nla(23, struct.pack("=9Q", rx, 0, 0, 0, 0, 0, 0, 0, 0)) + info
    return struct.pack("=IHHII", 16 + len(body), 16, 2, 1, 0) + body


def digest(*messages: bytes) -> str:
    fingerprint = new_fingerprint()
    assert fingerprint is not None
    data = b"".join(messages) + struct.pack("=IHHII", 20, 3, 2, 1, 0) + b"\0" * 4
    fingerprint.feed(data)
    return fingerprint.hexdigest(sys_root="/nonexistent")


@needs_c
def test_fingerprint_ignores_counters_and_timers_only() -> None:
    base = digest(link(1500, rx=1, timer=5))
    assert digest(link(1500, rx=999, timer=77)) == base
    assert digest(link(9000, rx=1, timer=5)) != base


@pytest.mark.parametrize(
    ("argv", "parsed"),
    [
        (["h.yaml"], ("h.yaml", False, "/", "/var/lib/hvnet")),
        (["h.yaml", "--runtime-only", "--state-dir", "s"], ("h.yaml", True, "/", "s")),
        (["--root=r", "h.yaml"], ("h.yaml", False, "r", "/var/lib/hvnet")),
        (["h.yaml", "--confirm", "30"], None),
        (["example:host-a"], None),
        (["a.yaml", "b.yaml"], None),
        (["h.yaml", "--state-dir"], None),
    ],
)
def test_only_plain_applies_take_the_fast_path(argv: list[str], parsed: object) -> None:
    assert command.parse(argv) == parsed


HOST = """\
version: 1
nics: {eth0: {}, eth1: {}}
bridges:
  br60: {ports: [eth0], stp: false, forward_delay: 0}
"""

FAST = (
    "from hvnet.apply.command import parse, settled_answer; import sys; "
    "print(settled_answer(*parse(sys.argv[1:])))"
)


LIGHT = (
    "import sys; from hvnet.apply.command import run; code = run(sys.argv[1:]); "
    "print(code, [m for m in ('click', 'pathlib', 're', 'typing') if m in sys.modules])"
)


@pytest.fixture
def netns() -> Iterator[str]:
    name = f"hvsettled-{uuid.uuid4().hex[:8]}"
    if subprocess.run(["ip", "netns", "add", name], capture_output=True).returncode != 0:
        pytest.skip("cannot create network namespaces here (needs root)")
    try:
        for a, b in (("eth0", "peer0"), ("eth1", "peer1")):
            subprocess.run(
                ["ip", "-n", name, "link", "add", a, "type", "veth", "peer", "name", b], check=True
            )
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], capture_output=True)


@needs_c
def test_settled_no_op_and_everything_that_unsettles_it(netns: str, tmp_path: Path) -> None:
    host, state, root = tmp_path / "host.yaml", tmp_path / "state", tmp_path / "root"
    host.write_text(HOST)
    hvnet = str(Path(sys.executable).with_name("hvnet"))
    args = [str(host), "--state-dir", str(state), "--root", str(root)]

    def inside(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["ip", "netns", "exec", netns, *argv],
            capture_output=True,
            text=True,
            env={**os.environ},
            timeout=120,
        )

    def fast() -> str:
        result = inside(sys.executable, "-c", FAST, *args)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip().splitlines()[-1]

    applied = inside(hvnet, "apply", *args)
    assert applied.returncode == 0 and "kernel verified" in applied.stdout, applied.stderr
    assert (state / "settled.json").exists()
    assert fast() == "0"  # the recorded model, kernel, ledger and ENI: nothing to do
    light = inside(sys.executable, "-c", LIGHT, *args)
    # answered without importing click, pathlib, re or typing
    assert light.stdout.splitlines()[-1].split() == ["0", "[]"], light.stderr
    noop = inside(hvnet, "apply", *args)
    assert noop.stdout == "nothing to do: the kernel already matches the config\n"
    assert "HV217" in noop.stderr  # the file's warnings, as the full apply prints them

    # A change behind hvnet's back: the fast path declines, the full apply repairs it.
    subprocess.run(["ip", "-n", netns, "link", "set", "eth0", "nomaster"], check=True)
    assert fast() == "None"
    repaired = inside(hvnet, "apply", *args)
    assert "kernel verified" in repaired.stdout, repaired.stdout + repaired.stderr
    assert fast() == "0"

    # A change the config does not manage: planned once (nothing to do), then settled again.
    subprocess.run(["ip", "-n", netns, "link", "set", "br60", "mtu", "1400"], check=True)
    assert fast() == "None"
    assert "nothing to do" in inside(hvnet, "apply", *args).stdout
    assert fast() == "0"

    # The ENI file edited, the ledger edited, the host file edited: each needs a full apply.
    eni = root / "etc" / "network" / "interfaces"
    eni.write_text(eni.read_text() + "# edited\n")
    assert fast() == "None"
    inside(hvnet, "apply", *args)
    assert fast() == "0"
    ledger = state / "ledger.json"
    ledger.write_text(ledger.read_text().replace('"created"', '"created" ', 1))
    assert fast() == "None"
    inside(hvnet, "apply", *args)
    assert fast() == "0"
    host.write_text(HOST + "# a comment changes the bytes\n")
    assert fast() == "None"
    # Without the C decoder there is no fingerprint: always the full apply.
    result = subprocess.run(
        ["ip", "netns", "exec", netns, sys.executable, "-c", FAST, *args],
        capture_output=True,
        text=True,
        env={**os.environ, "HVNET_PURE_PYTHON": "1"},
        timeout=120,
    )
    assert result.stdout.strip().splitlines()[-1] == "None"


# --- what the fingerprint leaves out, the snapshot does not read -------------------------

NETLINK = Path(__file__).resolve().parents[1] / "fixtures" / "netlink"
#: Attribute paths the fingerprint keeps (settled.c), per message type; nests walked below.
_KEPT = {
    16: {(1,), (3,), (4,), (5,), (10,), (18, 1), (18, 4), (26, 2, 1), (26, 10, 2)},
    20: {(1,), (2,), (8,)},
    24: {(1,), (4,), (5,), (6,), (15,)},
}
_KEPT_DATA = {"vlan": {1, 5}, "bridge": {1, 2, 3, 4, 5, 6, 7}}
_FIXED = {16: 16, 20: 8, 24: 12}


def snapshot_buffers(case: str) -> list[list[bytearray]]:
    data = (NETLINK / case / "snapshot.bin").read_bytes()
    dumps: list[list[bytearray]] = [[], [], []]
    pos = 0
    while pos < len(data):
        which, size = struct.unpack_from("=II", data, pos)
        dumps[which - 1].append(bytearray(data[pos + 8 : pos + 8 + size]))
        pos += 8 + size
    return dumps


def _leaves(buf: bytearray, start: int, end: int, path: tuple[int, ...], out: list) -> None:
    """(path, payload start, payload end) of every attribute, nests walked where read."""
    i = start
    while i + 4 <= end:
        length, kind = struct.unpack_from("=HH", buf, i)
        if length < 4:
            break
        here = (*path, kind & 0x3FFF)
        nested = here in ((18,), (18, 2), (18, 5), (26,)) or (len(here) == 2 and here[0] == 26)
        if nested:
            _leaves(buf, i + 4, min(i + length, end), here, out)
        else:
            out.append((here, i + 4, min(i + length, end)))
        i += (length + 3) & ~3


def _kinds(buf: bytearray, start: int, end: int) -> tuple[str, str]:
    found: list[tuple[tuple[int, ...], int, int]] = []
    _leaves(buf, start, end, (), found)
    text = {
        p: bytes(buf[a:b]).split(b"\0")[0].decode() for p, a, b in found if p in ((18, 1), (18, 4))
    }
    return text.get((18, 1), ""), text.get((18, 4), "")


def left_out(dumps: list[list[bytearray]]) -> dict[tuple[int, ...], list[tuple[int, int, int]]]:
    """Every byte range the fingerprint leaves out, grouped by (message type, *path)."""
    groups: dict[tuple[int, ...], list[tuple[int, int, int]]] = {}
    for d, buffers in enumerate(dumps):
        for b, buf in enumerate(buffers):
            pos = 0
            while pos + 16 <= len(buf):
                length, mtype = struct.unpack_from("=IH", buf, pos)
                end = min(pos + length, len(buf))
                if mtype in _FIXED:
                    start = pos + 16 + _FIXED[mtype]
                    kind, slave = _kinds(buf, start, end) if mtype == 16 else ("", "")
                    found: list[tuple[tuple[int, ...], int, int]] = []
                    _leaves(buf, start, end, (), found)
                    for path, a, z in found:
                        kept = (
                            path in _KEPT[mtype]
                            or (
                                path[:2] == (18, 2)
                                and path[2:]
                                and path[2] in _KEPT_DATA.get(kind, ())
                            )
                            or (path[:2] == (18, 5) and slave == "bridge" and path[2:] == (2,))
                        )
                        if not kept and z > a:
                            groups.setdefault((mtype, *path), []).append((d * 1000 + b, a, z))
                pos += (length + 3) & ~3
    return groups


def view(dumps: list[list[bytearray]]) -> object:
    """What of a snapshot decoded from these dumps the planner can see."""
    from hvnet.kernel import nldump
    from hvnet.kernel.netlink import snapshot_from_messages

    parsers = (
        (nldump.RTM_GETLINK, nldump._link),
        (nldump.RTM_GETADDR, nldump._addr),
        (nldump.RTM_GETROUTE, nldump._route),
    )
    decoded = []
    for (mtype, parse), buffers, seq in zip(parsers, dumps, (101, 102, 103), strict=True):
        out: list[object] = []
        for buf in buffers:
            nldump.decode_buffer(bytes(buf), mtype, parse, seq, out)
        decoded.append(out)
    links, addrs, routes = decoded
    routes = [r for r in routes if (r.get_attr("RTA_TABLE") or r["table"]) == 254]
    snap = snapshot_from_messages(links, addrs, routes, Path("/nonexistent"))
    runtime = {
        n: (r.ifindex, r.kind, r.admin_up, r.master, r.mtu, r.mac) for n, r in snap.runtime.items()
    }
    return snap.host, runtime, snap.guest_ports, snap.sysctls


def fingerprint_of(dumps: list[list[bytearray]]) -> str:
    fingerprint = new_fingerprint()
    assert fingerprint is not None
    for buffers in dumps:
        for buf in buffers:
            fingerprint.feed(bytes(buf))
    return fingerprint.hexdigest(sys_root="/nonexistent")


SNAPSHOT_CASES = sorted(p.parent.name for p in NETLINK.glob("*/snapshot.bin"))


@needs_c
@pytest.mark.parametrize("case", SNAPSHOT_CASES)
def test_what_the_fingerprint_leaves_out_changes_no_snapshot(case: str) -> None:
    dumps = snapshot_buffers(case)
    base_view, base_print = view(dumps), fingerprint_of(dumps)
    groups = left_out(dumps)
    assert groups, "the dumps hold attributes the fingerprint leaves out"
    for key, ranges in groups.items():
        changed = [[bytearray(buf) for buf in buffers] for buffers in dumps]
        for where, a, z in ranges:
            buf = changed[where // 1000][where % 1000]
            for i in range(a, z):
                buf[i] ^= 0x5A
        assert view(changed) == base_view, key
        assert fingerprint_of(changed) == base_print, key
    # and flags other than IFF_UP, in every link message
    changed = [[bytearray(buf) for buf in buffers] for buffers in dumps]
    for buf in changed[0]:
        pos = 0
        while pos + 16 <= len(buf):
            length, mtype = struct.unpack_from("=IH", buf, pos)
            if mtype == 16:
                (flags,) = struct.unpack_from("=I", buf, pos + 24)
                struct.pack_into("=I", buf, pos + 24, flags ^ 0xFFFFFFFE)
            pos += (length + 3) & ~3
    assert view(changed) == base_view and fingerprint_of(changed) == base_print


@needs_c
@pytest.mark.parametrize("case", SNAPSHOT_CASES)
def test_the_fingerprint_sees_every_mtu_and_master(case: str) -> None:
    dumps = snapshot_buffers(case)
    base = fingerprint_of(dumps)
    for attr in (4, 10):  # IFLA_MTU, IFLA_MASTER
        changed = [[bytearray(buf) for buf in buffers] for buffers in dumps]
        hit = False
        for buf in changed[0]:
            found: list[tuple[tuple[int, ...], int, int]] = []
            pos = 0
            while pos + 16 <= len(buf):
                length, mtype = struct.unpack_from("=IH", buf, pos)
                if mtype == 16:
                    _leaves(buf, pos + 32, min(pos + length, len(buf)), (), found)
                pos += (length + 3) & ~3
            for path, a, _z in found:
                if path == (attr,) and not hit:
                    buf[a] ^= 1
                    hit = True
        if hit:
            assert fingerprint_of(changed) != base, attr


@needs_c
@pytest.mark.parametrize("case", SNAPSHOT_CASES)
def test_messages_the_fingerprint_skips_change_no_snapshot(case: str) -> None:
    """An address or route message dropped from the dumps (a link-local address that DAD
    has just finished, a kernel route of the local table) either changes the fingerprint
    or leaves the snapshot as it was: equal fingerprints always mean equal snapshots."""
    dumps = snapshot_buffers(case)
    base_view, base_print = view(dumps), fingerprint_of(dumps)
    skipped = 0
    for d in (1, 2):  # addresses, routes
        for b, buf in enumerate(dumps[d]):
            pos = 0
            while pos + 16 <= len(buf):
                length, mtype = struct.unpack_from("=IH", buf, pos)
                if mtype in (20, 24):
                    changed = [[bytearray(x) for x in buffers] for buffers in dumps]
                    # both decoders skip it: an unknown type, another sequence number
                    struct.pack_into("=HHI", changed[d][b], pos + 4, 0x7FF0, 0, 0)
                    if fingerprint_of(changed) == base_print:
                        skipped += 1
                        assert view(changed) == base_view, (case, d, pos)
                pos += (length + 3) & ~3
    if case == "variety":  # it has IPv6 link-local addresses and local-table routes
        assert skipped > 0


def test_the_bond_files_fingerprinted_are_the_bond_options() -> None:
    from hvnet.apply.settled import BOND_OPTION_FILES
    from hvnet.options import BondOptions

    assert tuple(BondOptions.model_fields) == BOND_OPTION_FILES
