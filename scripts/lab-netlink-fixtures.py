#!/usr/bin/env python3
"""Capture raw rtnetlink link dumps from the lab VM into ``tests/fixtures/netlink``.

The C decoder (``hvnet._rtnl``) and the fast ``status --json`` path are checked against
the Python reference on these, so they must be what a real kernel sends. Every case of
``scripts/lab-fixtures.py`` (one per bonding mode, a bridge) is built again, plus cases
for what those lack: many VLANs and bridges, an 802.1ad VLAN with QoS maps and flags,
STP, VLAN filtering, guest taps, and unhealthy states (a VLAN whose parent is down, a
bridge whose only uplink is down, an MTU mismatch, an admin-down link).

Each case directory holds ``links.bin`` (the dump exactly as received: a 4-byte length,
then that many bytes, per ``recv``, in the request of :func:`hvnet.status.rtnl.
dump_request`), ``snapshot.bin`` (the three dumps an apply snapshot is read from,
:data:`hvnet.kernel.nlrequests.SNAPSHOT_DUMPS`: per ``recv`` the dump's number 1-3, a
length, the bytes), ``proc/net/bonding/*`` captured in the same moment, ``setup.sh`` and
``uname-r``. Usage: ``python scripts/lab-netlink-fixtures.py [--out DIR] [CASE ...]``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import sys
import time
from pathlib import Path

from hvnet.lab import LabVM

REPO = Path(__file__).resolve().parents[1]


def _proc_cases() -> list[tuple[str, str, dict[str, object], tuple[str, ...]]]:
    """(name, setup, settle, pulled NICs) of every case of scripts/lab-fixtures.py."""
    spec = importlib.util.spec_from_file_location(
        "lab_fixtures", REPO / "scripts" / "lab-fixtures.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["lab_fixtures"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return [(c.name, c.setup, c.settle, c.pull) for c in module.cases()]


def _many(count: int) -> str:
    lines = [
        "ip link add v0a address 02:00:00:00:0a:00 type veth peer name v0b "
        "address 02:00:00:00:0b:00",
        "ip link add v1a address 02:00:00:00:0a:01 type veth peer name v1b "
        "address 02:00:00:00:0b:01",
        "ip link add bond0 address 02:00:00:00:b0:00 type bond mode active-backup miimon 100",
        "ip link set v0a master bond0",
        "ip link set v1a master bond0",
        "ip link set v0b up",
        "ip link set v1b up",
        "ip link set bond0 up",
    ]
    for n in range(1, count + 1):
        lines += [
            f"ip link add link bond0 name bond0.{n} type vlan id {n}",
            f"ip link add br{n} type bridge",
            f"ip link set bond0.{n} master br{n}",
            f"ip link set bond0.{n} up",
            f"ip link set br{n} up",
        ]
    return "\n".join(lines) + "\n"


VARIETY = """\
modprobe -a tun dummy
ip link add d0 address 02:00:00:00:d0:00 type dummy
ip link set d0 up
ip link add link d0 name d0.100 type vlan protocol 802.1ad id 100 reorder_hdr off gvrp on \
loose_binding on egress-qos-map 1:2 3:4 ingress-qos-map 5:6
ip link add link d0.100 name qinq.7 type vlan id 7
ip link add brs type bridge stp_state 1 forward_delay 400 hello_time 300 max_age 2500 \
ageing_time 12345 priority 4096 vlan_filtering 1
ip link set d0.100 master brs
ip tuntap add dev vnet0 mode tap
ip link set vnet0 master brs
ip tuntap add dev tap7i0 mode tap
ip link set tap7i0 master brs
ip link set d0.100 up
ip link set vnet0 up
ip link set brs up
ip link set qinq.7 up
ip link add d1 type dummy
ip link add link d1 name d1.20 type vlan id 20
ip link set d1 up
ip link set d1.20 up
ip link set d1 down
ip link add brdown type bridge
ip link add d2 type dummy
ip link set d2 master brdown
ip link set brdown up
ip link add d3 mtu 9000 type dummy
ip link add d4 mtu 1400 type dummy
ip link add brmtu mtu 9000 type bridge
ip link set d3 master brmtu
ip link set d4 master brmtu
ip link set d3 up
ip link set d4 up
ip link set brmtu up
ip link add link d3 name d3.5 mtu 9000 type vlan id 5
ip link add brhost type bridge
ip link set brhost up
ip addr add 192.0.2.1/24 dev brhost
ip -6 addr add 2001:db8::1/64 dev brhost
ip route add 198.51.100.0/24 via 192.0.2.254 metric 5
ip link add name näme0 type dummy
ip link add name 'q"x\\y' type dummy
"""

# Runs in the guest with the project's venv: waits briefly, then dumps links and copies
# /proc/net/bonding into the output directory.
CAPTURE = r"""
import json, os, shutil, struct, sys, time, _socket
from hvnet.status.rtnl import dump_request
spec = json.loads(sys.argv[1])
out = spec["out"]
os.makedirs(out, exist_ok=True)
time.sleep(spec["wait"])
sock = _socket.socket(_socket.AF_NETLINK, _socket.SOCK_RAW, _socket.NETLINK_ROUTE)
sock.setsockopt(_socket.SOL_SOCKET, _socket.SO_RCVBUF, 1 << 20)
sock.bind((0, 0))
sock.send(dump_request())
chunks = []
done = False
while not done:
    data = sock.recv(1 << 20)
    chunks.append(data)
    pos = 0
    while pos + 16 <= len(data):
        length, mtype = struct.unpack_from("=IH", data, pos)
        done = done or mtype == 3
        pos += (length + 3) & ~3
with open(os.path.join(out, "links.bin"), "wb") as fh:
    for data in chunks:
        fh.write(struct.pack("=I", len(data)) + data)
# The three dumps an apply snapshot is read from, each buffer prefixed by (dump, length).
from hvnet.kernel.nlrequests import SNAPSHOT_DUMPS, dump_request
with open(os.path.join(out, "snapshot.bin"), "wb") as fh:
    for seq, (mtype, body) in enumerate(SNAPSHOT_DUMPS, 1):
        sock.send(dump_request(mtype, body, 100 + seq))
        done = False
        while not done:
            data = sock.recv(1 << 20)
            fh.write(struct.pack("=II", seq, len(data)) + data)
            pos = 0
            while pos + 16 <= len(data):
                length, mtype2 = struct.unpack_from("=IH", data, pos)
                done = done or mtype2 in (2, 3)
                pos += (length + 3) & ~3
if os.path.isdir("/proc/net/bonding"):
    dest = os.path.join(out, "proc", "net", "bonding")
    os.makedirs(dest, exist_ok=True)
    for name in os.listdir("/proc/net/bonding"):
        shutil.copyfile(os.path.join("/proc/net/bonding", name), os.path.join(dest, name))
with open(os.path.join(out, "uname-r"), "w") as fh:
    fh.write(os.uname().release + "\n")
print(json.dumps({"chunks": len(chunks)}))
"""


def cases() -> list[tuple[str, str, float, tuple[str, ...]]]:
    """(name, setup, seconds to wait before the dump, pulled NICs)."""
    out = [
        (name, setup, 10.0 if settle.get("partner") else 3.0 if settle else 1.0, pull)
        for name, setup, settle, pull in _proc_cases()
    ]
    out += [("many", _many(50), 1.0, ()), ("variety", VARIETY, 2.0, ())]
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="*", help="case names (default: all)")
    parser.add_argument("--out", type=Path, default=REPO / "tests" / "fixtures" / "netlink")
    args = parser.parse_args()
    todo = [c for c in cases() if not args.cases or c[0] in args.cases]
    with LabVM(nics=4) as vm:
        for name, setup, wait, pull in todo:
            started = time.monotonic()
            vm.reset_network()
            vm.sh(setup, check=True, timeout=300)
            for nic in pull:
                vm.set_link(nic, up=False)
            dest = vm.share / "netlink" / name
            spec = {"out": str(dest), "wait": wait}
            vm.run_python(CAPTURE, json.dumps(spec), timeout=300, check=True)
            (dest / "setup.sh").write_text(
                setup + "".join(f"# host: QMP set_link {n} down\n" for n in pull)
            )
            target = args.out / name
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(dest, target)
            size = (target / "links.bin").stat().st_size
            print(f"{name:24} {size:8} bytes  {time.monotonic() - started:5.1f}s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
