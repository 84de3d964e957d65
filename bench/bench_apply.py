"""Benchmark: bring up bond0 + N VLANs + N bridges, re-apply (no-op), tear down; per tool.

Runs in the lab VM (Debian's kernel has bonding and 802.1Q; this machine's does not), one
boot, every tool on the same topology: ``ip -batch`` (the practical floor), ``hvnet apply``,
classic Debian ``ifup -a``/``ifdown -a``, and ifupdown2 ``ifup -a``/``ifreload -a``/``ifdown -a``
(installed inside the throwaway VM only, from ``apt-get download ifupdown2``: it conflicts
with ifupdown as a package). Times are whole commands (interpreter start included), under
emulation when KVM is unavailable, so compare the ratios, not the seconds. Each timed command
starts once the guest CPU is idle (`apply_job.settle`), so no tool pays for the kernel's
background work left by the previous one.

Run: ``.venv/bin/python bench/bench_apply.py [--sizes 10,100,1000] [--slow-max 100]``.
``--slow-max`` caps N for classic ifupdown and ifupdown2 (hours at N=1000 under emulation).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def fetch_ifupdown2(cache: Path) -> Path | None:
    """The ifupdown2 .deb (downloaded once into *cache*), or None when apt cannot get it."""
    cache.mkdir(parents=True, exist_ok=True)
    found = sorted(cache.glob("ifupdown2_*.deb"))
    if not found:
        subprocess.run(["apt-get", "download", "ifupdown2"], cwd=cache, capture_output=True)
        found = sorted(cache.glob("ifupdown2_*.deb"))
    return found[-1] if found else None


def precompile(vm: Any) -> None:
    """Byte-compile hvnet in the guest before anything is timed.

    An installed hvnet (pip, a distribution package) ships its ``.pyc`` files; a checkout
    on a machine with ``PYTHONDONTWRITEBYTECODE`` has none, and the guest would otherwise
    compile every module from source in whichever timed run imports it first (seconds
    under emulation, charged to that one run). The guest's writes go to its throwaway
    overlay, so the checkout on the host is left as it is.
    """
    vm.run([sys.executable, "-m", "compileall", "-q", str(REPO / "src")], timeout=1800, check=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10,100,1000")
    parser.add_argument("--slow-max", type=int, default=100)
    parser.add_argument("--json", type=Path, help="Also write the results here.")
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="Run ip and hvnet this many times each, alternately; the table shows medians "
        "(single runs under emulation scatter by tens of percent between boots and loads).",
    )
    args = parser.parse_args()
    sizes = [int(n) for n in args.sizes.split(",")]

    from hvnet.lab import LabVM

    deb = fetch_ifupdown2(Path(tempfile.gettempdir()) / "hvnet-bench-debs")
    results: list[dict[str, Any]] = []
    with LabVM(nics=2) as vm:
        print(f"lab VM booted in {vm.boot_seconds:.1f} s ({vm.accel})", flush=True)
        precompile(vm)
        plan = [(tool, n) for n in sizes for _ in range(args.repeat) for tool in ("ip", "hvnet")]
        plan += [(tool, n) for n in sizes if n <= args.slow_max for tool in ("ifupdown",)]
        if deb is not None:
            plan += [(tool, n) for n in sizes if n <= args.slow_max for tool in ("ifupdown2",)]
        installed_ifupdown2 = False
        for tool, n in plan:
            vm.reset_network()
            if tool == "ifupdown2" and not installed_ifupdown2:
                shared = vm.write_file(deb.name, deb.read_bytes()) if deb else None
                vm.sh(
                    f"dpkg -i --force-all {shared} >/dev/null 2>&1 || true; mkdir -p /run/network",
                    timeout=600,
                )
                installed_ifupdown2 = True
            r = vm.run(
                [sys.executable, str(REPO / "bench/apply_job.py"), tool, str(n)],
                timeout=7200,
                cwd=str(REPO),
            )
            if r.rc != 0:
                print(f"{tool} N={n}: FAILED {r.stderr[-500:]}", flush=True)
                continue
            row = json.loads(r.stdout.strip().splitlines()[-1])
            results.append(row)
            print(json.dumps(row), flush=True)
    table(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")


def medians(results: list[dict[str, Any]]) -> dict[tuple[str, int], dict[str, Any]]:
    """(tool, N) → the median of each timing over that pair's runs (``runs``: how many)."""
    groups: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for row in results:
        groups.setdefault((row["tool"], row["n"]), []).append(row)
    out: dict[tuple[str, int], dict[str, Any]] = {}
    for key, rows in groups.items():
        merged: dict[str, Any] = {"runs": len(rows)}
        for name in rows[0]:
            values = [r[name] for r in rows if name in r]
            is_number = all(isinstance(v, int | float) for v in values)
            merged[name] = statistics.median(values) if is_number else values[0]
        out[key] = merged
    return out


def table(results: list[dict[str, Any]]) -> None:
    """Print the timings and the ratios the targets are stated in.

    ``ip`` rows are ``ip -batch`` plus ``sysctl -p`` of the isolation sysctls (the same kernel
    state hvnet's apply and the rendered ENI produce); ``ip only`` leaves that step out.
    """
    by = medians(results)
    print(
        f"\n{'N':>5} {'tool':<10} {'up s':>8} {'no-op s':>8} {'down s':>8} "
        f"{'up / ip':>8} {'up / ip only':>12} {'hvnet faster by':>16} {'runs':>5}"
    )
    for (tool, n), r in sorted(by.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        ip = by.get(("ip", n))
        hv = by.get(("hvnet", n))
        ratio = f"{r['up'] / ip['up']:.2f}x" if ip else "-"
        ratio_only = f"{r['up'] / ip['ip_only']:.2f}x" if ip and "ip_only" in ip else "-"
        faster = f"{r['up'] / hv['up']:.1f}x" if hv and tool not in ("hvnet", "ip") else ""
        noop = f"{r['noop']:.2f}" if "noop" in r else "-"
        print(
            f"{n:>5} {tool:<10} {r['up']:>8.2f} {noop:>8} {r['down']:>8.2f} {ratio:>8} "
            f"{ratio_only:>12} {faster:>16} {r['runs']:>5}"
        )
        if tool == "ip" and "ip_only" in r:
            print(f"{'':>5} {'ip only':<10} {r['ip_only']:>8.2f} (sysctl -p: {r['sysctl']:.2f} s)")
        if tool == "hvnet" and "up_warm" in r:
            warm = f"{r['up_warm'] / ip['up']:.2f}x" if ip else "-"
            print(
                f"{'':>5} {'(cached)':<10} {r['up_warm']:>8.2f} {'':>8} {r['down_warm']:>8.2f} "
                f"{warm:>8}  model cached: the file was planned or applied before"
            )
    for n in sorted({r["n"] for r in results}):
        hv = by.get(("hvnet", n))
        two = by.get(("ifupdown2", n))
        if hv:
            line = f"N={n}: hvnet no-op re-apply = {hv['noop'] / hv['up']:.0%} of its full apply"
            if "up_warm" in hv:
                line += f" ({hv['noop'] / hv['up_warm']:.0%} of the cached one)"
            if two and "noop" in two:
                line += f"; ifreload -a takes {two['noop'] / hv['noop']:.1f}x hvnet's no-op"
            print(line)


if __name__ == "__main__":
    main()
