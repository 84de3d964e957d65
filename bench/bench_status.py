"""Benchmark ``hvnet status --json`` against ``ip -d -j link show`` + /proc/net/bonding.

Acceptance target: on a host with 1000 VLANs and 1000 bridges (plus a bond), in the same
boot, ``hvnet status --json`` takes at most twice as long as collecting the same facts with
``ip -d -j link show`` and reading ``/proc/net/bonding/*``.

Runs inside the lab VM (:class:`hvnet.lab.LabVM`: the Debian kernel, with bonding and
802.1Q) because the development kernel has neither. Builds the links with one ``ip -batch``
(bond0 over two veths, VLAN bond0.N and bridge brN with bond0.N as its port, N = 1..count),
then times the commands alternately in the guest, each as a fresh process with stdout to
/dev/null, and prints the medians and their ratio to the baseline. Timed besides the
console script (which takes the fast path: the C decoder's status rows written out by
:mod:`hvnet.status.fastjson`): the reference pipeline (``HVNET_PURE_PYTHON=1``: Python
decoder, document objects; its output is checked to be the same document) and
``python -c pass`` (the floor of any Python tool). Also prints where hvnet's time goes
(imports, dump + C decoding, bonds through the reference pipeline, writing the JSON) from
one in-process run, and each process's CPU time next to its wall time (the lab shares the
host's cores, so medians of several runs are what to compare).

Usage: ``.venv/bin/python bench/bench_status.py [--count 1000] [--runs 7]``. Under TCG
(no KVM) expect several minutes: everything in the guest runs ~10-50x slower, both sides.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from hvnet.lab import LabVM

REPO = Path(__file__).resolve().parents[1]
HVNET = Path(sys.prefix) / "bin" / "hvnet"
BASELINE = "ip -d -j link show + cat /proc/net/bonding/*"

TIMER = r"""
import os, subprocess, sys, time, json
runs = int(sys.argv[1]); cmds = json.loads(sys.argv[2])
out = {k: [] for k in cmds}; cpu = {k: [] for k in cmds}
for _ in range(runs):
    for name, cmd in cmds.items():
        t = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, shell=isinstance(cmd, str))
        _, status, usage = os.wait4(proc.pid, 0)
        out[name].append(time.perf_counter() - t)
        cpu[name].append(usage.ru_utime + usage.ru_stime)
        assert status == 0, (name, status)
print(json.dumps({"wall": out, "cpu": cpu}))
"""

STAGES = r"""
import gc, json, time
gc.disable()
t0 = time.perf_counter()
from hvnet.status.rtnl import dump_rows
from hvnet.status import fastjson
import hvnet.status.collect, hvnet.status.live, hvnet.kernel.procfs
t1 = time.perf_counter()
rows, bond_links = dump_rows()
t2 = time.perf_counter()
fastjson._bonds(bond_links, "/proc", "/sys", None, "x")
t3 = time.perf_counter()
text = fastjson.render_live_json(rows, bond_links)
t4 = time.perf_counter()
print(json.dumps({"imports": t1 - t0, "netlink dump + C rows": t2 - t1,
                  "bonds (reference pipeline)": t3 - t2, "JSON (bonds again included)": t4 - t3,
                  "links": len(rows), "bytes": len(text)}))
"""
REFERENCE = "hvnet status --json, reference pipeline (HVNET_PURE_PYTHON=1)"
HVNET_CMD = "hvnet status --json"


def _steady(doc: Any) -> Any:
    """A document without what changes between two runs (time, traffic counters)."""
    if isinstance(doc, dict):
        return {k: _steady(v) for k, v in doc.items() if k not in _MOVING}
    if isinstance(doc, list):
        return [_steady(v) for v in doc]
    return doc


_MOVING = frozenset({"generated", "statistics", "counters", "carrier_changes"})


def batch(count: int) -> str:
    lines = [
        "link add v0a type veth peer name v0b",
        "link add v1a type veth peer name v1b",
        "link add bond0 type bond mode active-backup miimon 100",
        "link set v0a master bond0",
        "link set v1a master bond0",
        "link set v0b up",
        "link set v1b up",
        "link set bond0 up",
    ]
    for n in range(1, count + 1):
        lines += [
            f"link add link bond0 name bond0.{n} type vlan id {n}",
            f"link add br{n} type bridge",
            f"link set bond0.{n} master br{n}",
            f"link set bond0.{n} up",
            f"link set br{n} up",
        ]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with LabVM(nics=1, cpus=2, memory_mb=1024) as vm:
        print(
            f"lab: kernel {vm.kernel_release}, {vm.accel} ({vm.accel_reason}), "
            f"boot {vm.boot_seconds:.1f}s",
            flush=True,
        )
        # A checkout on a machine with PYTHONDONTWRITEBYTECODE has no .pyc files: compile
        # in the guest (its throwaway overlay) so no timed run pays for it.
        vm.run([sys.executable, "-m", "compileall", "-q", str(REPO / "src")], timeout=1800)
        started = time.monotonic()
        vm.run(
            ["ip", "-batch", str(vm.write_file("links.batch", batch(args.count)))],
            timeout=1800,
            check=True,
        )
        print(
            f"built {args.count} VLANs + {args.count} bridges + bond0 "
            f"in {time.monotonic() - started:.1f}s",
            flush=True,
        )
        check = vm.run(
            [str(HVNET), "status", "--json", "--no-state"], timeout=600, cwd=REPO, check=True
        ).json()
        assert len(check["vlans"]) == args.count, len(check["vlans"])
        assert len(check["bridges"]) == args.count, len(check["bridges"])
        print(f"status --json: {len(check['links'])} links, overall {check['overall']}", flush=True)
        reference = vm.run(
            [str(HVNET), "status", "--json", "--no-state"],
            timeout=600,
            cwd=REPO,
            check=True,
            env={"HVNET_PURE_PYTHON": "1"},
        ).json()
        assert _steady(reference) == _steady(check), "the fast path must print the same"
        stages = vm.run_python(STAGES, timeout=600, check=True).json()
        print(
            "hvnet in-process stages (s): "
            + ", ".join(f"{k} {v:.3f}" for k, v in stages.items() if isinstance(v, float)),
            flush=True,
        )
        import json

        cmds = {
            BASELINE: "ip -d -j link show >/dev/null; cat /proc/net/bonding/* >/dev/null",
            HVNET_CMD: [str(HVNET), "status", "--json", "--no-state"],
            REFERENCE: f"HVNET_PURE_PYTHON=1 {HVNET} status --json --no-state",
            "python -c pass (interpreter start)": [sys.executable, "-c", "pass"],
        }
        timer = vm.write_file("timer.py", TIMER)
        result = vm.run(
            [sys.executable, str(timer), str(args.runs), json.dumps(cmds)],
            timeout=3600,
            cwd=REPO,
            check=True,
        ).json()
    wall, cpu = result["wall"], result["cpu"]
    medians = {name: statistics.median(times) for name, times in wall.items()}
    cpu_medians = {name: statistics.median(times) for name, times in cpu.items()}
    width = max(len(n) for n in medians)
    print(f"\n{'command':<{width}}  wall med  cpu med  ratio  wall runs (s)")
    base = medians[BASELINE]
    for name, times in wall.items():
        runs = " ".join(f"{t:.2f}" for t in times)
        print(
            f"{name:<{width}}  {medians[name]:8.3f}  {cpu_medians[name]:7.3f}  "
            f"{medians[name] / base:5.2f}  {runs}"
        )
    ratio = medians[HVNET_CMD] / base
    print(f"\nratio hvnet/ip = {ratio:.2f} (target <= 2.0): {'PASS' if ratio <= 2 else 'MISS'}")
    print(f"ratio of the reference pipeline = {medians[REFERENCE] / base:.2f}")
    return 0 if ratio <= 2 else 1


if __name__ == "__main__":
    sys.exit(main())
