#!/usr/bin/env python3
"""Capture real bonding / 802.1Q / bridge files from the lab VM into ``tests/fixtures/proc``.

The /proc and /sys parsers are tested against these files, so they must come from a real
kernel, not from memory: this script boots the lab VM once, builds every case below with
``ip link`` inside the guest, waits until the kernel state has settled (LACP negotiated,
slaves up, ...) and copies the files into ``tests/fixtures/proc/<case>/`` mirroring their
real paths, plus ``ip -d -j link show`` output and ``uname -r``. It rewrites the README.

Usage: ``python scripts/lab-fixtures.py [--out DIR] [CASE ...]`` (default: all cases).
Interfaces get fixed MAC addresses so re-running gives small diffs.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from hvnet.lab import LabVM

REPO = Path(__file__).resolve().parents[1]

# Two veth pairs: v0a/v1a stay in the root namespace (the bond or bridge ports), their
# peers v0b/v1b go to namespace "sw" (the "switch" side) and are brought up there.
VETHS = """\
ip netns add sw
ip link add v0a address 02:00:00:00:0a:00 type veth peer name v0b address 02:00:00:00:0b:00
ip link add v1a address 02:00:00:00:0a:01 type veth peer name v1b address 02:00:00:00:0b:01
ip link set v0b netns sw
ip link set v1b netns sw
ip -n sw link set lo up
"""
PEERS_UP = "ip -n sw link set v0b up\nip -n sw link set v1b up\n"
VLAN = "ip link add link bond0 name bond0.100 type vlan id 100\nip link set bond0.100 up\n"


def bond(opts: str, slaves: tuple[str, ...] = ("v0a", "v1a")) -> str:
    """Create bond0 with ``opts``, enslave (down first, as the kernel requires), bring up."""
    lines = [f"ip link add bond0 address 02:00:00:00:b0:00 type bond {opts}"]
    for s in slaves:
        lines += [f"ip link set {s} down", f"ip link set {s} master bond0"]
    lines.append("ip link set bond0 up")
    return "\n".join(lines) + "\n"


@dataclass
class Case:
    """One fixture directory: how to build it and when its state counts as settled."""

    name: str
    about: str
    setup: str
    bond: str | None = "bond0"
    slaves: tuple[str, ...] = ("v0a", "v1a")
    vlan: str | None = "bond0.100"
    bridge: str | None = None
    ports: tuple[str, ...] = ()
    settle: dict[str, object] = field(default_factory=dict)
    pull: tuple[str, ...] = ()  # lab NICs whose cable is pulled (QMP) before capture


def cases() -> list[Case]:
    std = VETHS + PEERS_UP
    out = [
        Case("balance-rr", "mode 0 over two veth pairs, miimon 100",
             std + bond("mode balance-rr miimon 100") + VLAN),
        Case("active-backup", "mode 1, miimon 100, updelay/downdelay 200, primary v0a",
             std + bond("mode active-backup miimon 100 updelay 200 downdelay 200")
             + "ip link set bond0 type bond primary v0a\n" + VLAN,
             settle={"active": "v0a"}),
        Case("balance-xor", "mode 2, miimon 100, xmit_hash_policy layer3+4",
             std + bond("mode balance-xor miimon 100 xmit_hash_policy layer3+4") + VLAN),
        Case("broadcast", "mode 3, miimon 100", std + bond("mode broadcast miimon 100") + VLAN),
        Case("802.3ad", "mode 4, lacp_rate fast, layer2+3; the veth peers are bonded in 802.3ad "
             "too (namespace sw), so an LACP partner exists and the aggregator is complete",
             VETHS
             + "ip -n sw link add swbond address 02:00:00:00:5b:00 type bond mode 802.3ad "
               "lacp_rate fast miimon 100\n"
               "ip -n sw link set v0b master swbond\nip -n sw link set v1b master swbond\n"
               "ip -n sw link set swbond up\n"
             + bond("mode 802.3ad miimon 100 lacp_rate fast xmit_hash_policy layer2+3") + VLAN,
             settle={"partner": True}),
        Case("802.3ad-nopartner", "mode 4 with default options, peers plain (no LACP "
             "partner); captured once every port's partner churn state is 'churned' (~60 s)",
             std + bond("mode 802.3ad miimon 100") + VLAN, settle={"churned": True}),
        Case("balance-tlb", "mode 5, miimon 100", std + bond("mode balance-tlb miimon 100") + VLAN,
             settle={"active": "*"}),
        Case("balance-alb", "mode 6, miimon 100", std + bond("mode balance-alb miimon 100") + VLAN,
             settle={"active": "*"}),
        Case("active-backup-arp", "mode 1 with ARP monitoring (arp_interval 100, target "
             "192.0.2.1 = a bridge in namespace sw joining both peers, arp_validate all)",
             std
             + "ip -n sw link add sw0 type bridge\nip -n sw link set v0b master sw0\n"
               "ip -n sw link set v1b master sw0\nip -n sw addr add 192.0.2.1/24 dev sw0\n"
               "ip -n sw link set sw0 up\n"
             + bond("mode active-backup arp_interval 100 arp_ip_target 192.0.2.1 "
                    "arp_validate all")
             + "ip addr add 192.0.2.10/24 dev bond0\n" + VLAN,
             settle={"active": "*", "extra": 2.0}),
        Case("active-backup-failover", "mode 1 over the virtio NICs eth0+eth2 (miimon 100), "
             "captured after eth0's cable was pulled through QMP: eth0 down with Link Failure "
             "Count 1, eth2 active",
             bond("mode active-backup miimon 100", ("eth0", "eth2")) + VLAN,
             slaves=("eth0", "eth2"), pull=("eth0",),
             settle={"active": "eth2", "down": ["eth0"]}),
        Case("bridge", "Linux bridge br0 (default options) with ports v0a and v1a",
             std + "ip link add br0 address 02:00:00:00:b1:00 type bridge\n"
             "ip link set v0a master br0\nip link set v1a master br0\n"
             "ip link set v0a up\nip link set v1a up\nip link set br0 up\n",
             bond=None, slaves=(), vlan=None, bridge="br0", ports=("v0a", "v1a")),
    ]  # fmt: skip
    return out


# Runs in the guest (the project's venv Python, stdlib only): wait until the case has
# settled, then copy files into the output directory, mirroring their real paths.
CAPTURE = r"""
import json, os, subprocess, sys, time

spec = json.loads(sys.argv[1])
out = spec["out"]
errors = []

def save(path, data):
    dest = os.path.join(out, path.lstrip("/"))
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    with open(dest, "wb") as fh:
        fh.write(data)

def copy(path, as_path=None):
    if os.path.islink(path):
        save((as_path or path) + ".symlink", os.readlink(path).encode() + b"\n")
        return
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        errors.append(f"{path}: {exc.strerror}")
        return
    save(as_path or path, data)

def copy_dir(path, as_path=None):
    for name in sorted(os.listdir(path)):
        copy(os.path.join(path, name), os.path.join(as_path or path, name))

def bond_state(b):
    with open(f"/proc/net/bonding/{b}") as fh:
        text = fh.read()
    head, slaves, cur = {}, {}, None
    for line in text.splitlines():
        k, sep, v = line.partition(":")
        if not sep:
            continue
        k, v = k.strip(), v.strip()
        if k == "Slave Interface":
            cur = slaves.setdefault(v, {})
        elif cur is None:
            head.setdefault(k, v)
        else:
            cur.setdefault(k, v)
    return text, head, slaves

def settled(b, want):
    text, head, slaves = bond_state(b)
    down = set(want.get("down", []))
    if head.get("MII Status") != "up":
        return False
    for name in spec["slaves"]:
        status = slaves.get(name, {}).get("MII Status")
        if status != ("down" if name in down else "up"):
            return False
    active = want.get("active")
    cur = head.get("Currently Active Slave")
    if active == "*" and cur in (None, "None"):
        return False
    if active not in (None, "*") and cur != active:
        return False
    if want.get("partner"):
        if "00:00:00:00:00:00" in text or "Partner Mac Address" not in text:
            return False
        ids = {s.get("Aggregator ID") for s in slaves.values()}
        if len(ids) != 1 or head.get("Number of ports") != str(len(spec["slaves"])):
            return False
        # actor and partner ports in sync, collecting and distributing (0x08|0x10|0x20)
        states = [int(l.split(":")[1]) for l in text.splitlines() if "port state:" in l]
        if not states or any(st & 0x38 != 0x38 for st in states):
            return False
        if any(s.get("Actor Churn State") != "none" for s in slaves.values()):
            return False
    if want.get("churned"):  # no LACPDU ever seen: the partner side churns on every port
        if any(s.get("Partner Churn State") != "churned" for s in slaves.values()):
            return False
    return True

want = spec["settle"]
ok = True
if spec["bond"]:
    deadline = time.monotonic() + 90
    while not settled(spec["bond"], want):
        if time.monotonic() > deadline:
            ok = False
            break
        time.sleep(0.5)
time.sleep(float(want.get("extra", 0.5)))

if spec["bond"]:
    b = spec["bond"]
    copy(f"/proc/net/bonding/{b}")
    copy_dir(f"/sys/class/net/{b}/bonding")
    for s in spec["slaves"]:
        copy_dir(f"/sys/class/net/{s}/bonding_slave")
        copy(f"/sys/class/net/{s}/master")
        copy(f"/sys/class/net/{b}/lower_{s}")
if spec["vlan"]:
    copy("/proc/net/vlan/config")
    copy(f"/proc/net/vlan/{spec['vlan']}")
if spec["bridge"]:
    br = spec["bridge"]
    copy_dir(f"/sys/class/net/{br}/bridge")
    for port in sorted(os.listdir(f"/sys/class/net/{br}/brif")):
        copy(f"/sys/class/net/{br}/brif/{port}")  # the symlink itself, as .symlink
        copy_dir(f"/sys/class/net/{br}/brif/{port}/", f"/sys/class/net/{br}/brif/{port}")
for dev in [d for d in (spec["bond"], spec["vlan"], spec["bridge"]) if d]:
    for attr in ("operstate", "carrier", "address", "mtu", "flags", "type"):
        copy(f"/sys/class/net/{dev}/{attr}")
for dev in list(spec["slaves"]) + list(spec["ports"]):
    for attr in ("operstate", "carrier", "address", "mtu", "flags", "speed", "duplex"):
        copy(f"/sys/class/net/{dev}/{attr}")
ipj = subprocess.run(["ip", "-d", "-j", "link", "show"], capture_output=True, check=True)
save("ip-d-j-link-show.json", ipj.stdout)
save("uname-r", (os.uname().release + "\n").encode())
if errors:
    save("capture-errors.txt", ("\n".join(errors) + "\n").encode())
print(json.dumps({"settled": ok, "errors": errors}))
"""


README = """\
# Real kernel files for the /proc and /sys parsers

Captured by `scripts/lab-fixtures.py` inside the lab VM (`hvnet.lab`), kernel
`{release}` (Debian distribution kernel), one boot for all cases. Regenerate with
`.venv/bin/python scripts/lab-fixtures.py` (needs qemu, see `hvnet.lab`). Do not edit by hand.

Each directory is one case; inside it, files mirror their real absolute paths
(`<case>/proc/net/bonding/bond0`, `<case>/sys/class/net/bond0/bonding/mode`, ...), plus:

- `uname-r`: the guest kernel release;
- `ip-d-j-link-show.json`: raw output of `ip -d -j link show` in the root namespace;
- `setup.sh`: the exact commands that built the case;
- `capture-errors.txt` (only if any): files that exist but could not be read.

Conventions:

- **Symlinks** are not stored as symlinks. A symlink `X` is written as a small text file
  `X.symlink` holding the link target (e.g. `sys/class/net/v0a/master.symlink` contains
  `../bond0`; `sys/class/net/br0/brif/v0a.symlink` contains `../../v0a/brport`).
- The bridge port directories `sys/class/net/<br>/brif/<port>/` are stored as real
  directories with the brport files (as read through the symlink), so a parser can open
  `brif/<port>/state` as on a live system; inside them `bridge` is again a `.symlink` file.
- For every bond case the bond is `bond0` (MAC 02:00:00:00:b0:00) with a VLAN `bond0.100`
  (`proc/net/vlan/config`, `proc/net/vlan/bond0.100`). veth pairs are `v0a`/`v0b` and
  `v1a`/`v1b`; the `a` ends are in the root namespace, the `b` ends in namespace `sw`
  (the "switch"). Slave/port files: `sys/class/net/<slave>/bonding_slave/*` and a few
  generic attributes (`operstate`, `carrier`, `address`, `mtu`, `flags`, `speed`, `duplex`).
- Values that change from run to run: counters, `ad_*` keys/ids, LACP port states while
  negotiating, the bonding header's driver version (= kernel release).

Cases:

{cases}
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="*", help="case names (default: all)")
    parser.add_argument("--out", type=Path, default=REPO / "tests" / "fixtures" / "proc")
    args = parser.parse_args()
    todo = [c for c in cases() if not args.cases or c.name in args.cases]
    unknown = set(args.cases) - {c.name for c in todo}
    if unknown:
        parser.error(f"unknown cases: {sorted(unknown)}")
    failures: list[str] = []
    with LabVM(nics=4) as vm:
        for case in todo:
            started = time.monotonic()
            vm.reset_network()
            vm.sh(case.setup, check=True, timeout=120)
            for nic in case.pull:
                vm.set_link(nic, up=False)
            dest = vm.share / "capture" / case.name
            spec = {
                "out": str(dest), "bond": case.bond, "slaves": list(case.slaves),
                "vlan": case.vlan, "bridge": case.bridge, "ports": list(case.ports),
                "settle": case.settle,
            }  # fmt: skip
            r = vm.run_python(CAPTURE, json.dumps(spec), timeout=300, check=True)
            status = json.loads(r.stdout.strip().splitlines()[-1])
            (dest / "setup.sh").write_text(
                "".join(f"{line}\n" for line in case.setup.splitlines())
                + "".join(f"# host: QMP set_link {n} down\n" for n in case.pull)
            )
            target = args.out / case.name
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(dest, target)
            note = "" if status["settled"] else "  NOT SETTLED"
            if not status["settled"]:
                failures.append(case.name)
            nfiles = sum(1 for p in target.rglob("*") if p.is_file())
            print(f"{case.name:24} {nfiles:3} files  {time.monotonic() - started:5.1f}s{note}")
        release = vm.kernel_release
    listing = "\n".join(f"- `{c.name}`: {c.about}." for c in cases())
    (args.out / "README.md").write_text(README.format(release=release, cases=listing))
    if failures:
        print(f"cases that did not settle (captured anyway): {failures}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
