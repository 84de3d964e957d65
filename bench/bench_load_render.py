"""Benchmark: load + validate + render a worst-case host, and CLI start-up time.

The worst case a hypervisor host file meets is every VLAN id bridged: here 2 bonds over 4 NICs
and 4094 networks (a VLAN plus a bridge each, half of them with a host address), i.e. 8194
links and an interfaces file of about 40 000 lines. Targets: load + validate + render to ENI
in under 0.5 s in-process, and ``hvnet --version`` under 0.10 s. Start-up is compared with
``python -c pass`` measured in the same run, because absolute times depend on the machine
(and on its load) far more than the ratio does.

Run: ``.venv/bin/python bench/bench_load_render.py`` (``--repeat N`` for more samples).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

TARGET_PIPELINE = 0.5
TARGET_VERSION = 0.10


def host_document(networks: int = 4094) -> str:
    """The YAML text of the worst-case host (written by hand: no YAML dump cost measured)."""
    lines = [
        "version: 1",
        "hostname: bench",
        'naming: {vlan: "{parent}.{vid}", bridge: "br{vid}"}',
        "defaults:",
        "  bridge: {stp: false, forward_delay: 0, maxwait: 0}",
        "nics: {eth0: {}, eth1: {}, eth2: {}, eth3: {}}",
        "bonds:",
        "  bond0: {slaves: [eth0, eth1], mode: 802.3ad, miimon: 100, lacp_rate: fast,",
        "          xmit_hash_policy: layer3+4, min_links: 1,",
        "          addresses: [192.168.0.10/24], gateway: 192.168.0.1}",
        "  bond1: {slaves: [eth2, eth3], mode: active-backup, miimon: 100, primary: eth2}",
        "networks:",
    ]
    for vid in range(1, networks + 1):
        parent = f"bond{vid % 2}"
        address = f", addresses: [10.{vid // 256}.{vid % 256}.1/24]" if vid % 2 == 0 else ""
        lines.append(f"  n{vid}: {{vlan: {vid}, on: {parent}{address}}}")
    return "\n".join(lines) + "\n"


def load_validate_render(path: str) -> int:
    """The in-process pipeline of ``hvnet render FILE``; returns the ENI length."""
    from hvnet.loader import load_file
    from hvnet.render.eni import render_text

    result = load_file(path)
    if not result.ok or result.host is None:
        problems = [d.format() for d in result.diagnostics if d.severity.value == "error"]
        raise SystemExit("benchmark host is invalid:\n" + "\n".join(problems[:10]))
    return len(render_text(result.host))


def measure(func: Callable[[], object], repeat: int, child: bool = False) -> tuple[float, float]:
    """Median (wall seconds, CPU seconds) of *repeat* calls.

    CPU time is the process's own (or, for subprocesses, the child's user+sys from rusage):
    on a loaded machine wall time mostly measures the other processes, CPU time much less so.
    """
    walls, cpus = [], []
    for _ in range(repeat):
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu_start = time.process_time()
        start = time.perf_counter()
        func()
        walls.append(time.perf_counter() - start)
        if child:
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpus.append(after.ru_utime - usage.ru_utime + after.ru_stime - usage.ru_stime)
        else:
            cpus.append(time.process_time() - cpu_start)
    return statistics.median(walls), statistics.median(cpus)


def stages(path: str, repeat: int) -> list[tuple[str, float]]:
    """Median CPU seconds of each pipeline stage, to show where the time goes (the same steps
    as :func:`hvnet.loader.load_file`: collector paused, unsafe-character scan in the walk)."""
    import gc

    from hvnet.config import HostFile
    from hvnet.render.eni import render_text
    from hvnet.resolve import resolve
    from hvnet.rules import run_rules
    from hvnet.rules.structure import UNSAFE
    from hvnet.yamlsource import load_yaml

    text = Path(path).read_text()
    samples: dict[str, list[float]] = {}

    def timed(name: str, func: Callable[..., Any], *args: Any) -> Any:
        start = time.process_time()
        value = func(*args)
        samples.setdefault(name, []).append(time.process_time() - start)
        return value

    for _ in range(repeat):
        gc.disable()
        try:
            loaded = timed("yaml with positions + unsafe scan", load_yaml, text, path, UNSAFE)
            config = timed("schema (pydantic)", HostFile.model_validate, loaded.data)
            host, _ = timed("resolve", resolve, config)
            timed("rules", run_rules, config, host)
            timed("render ENI", render_text, host)
        finally:
            gc.enable()
        del loaded, config, host
        gc.collect()
    return [(name, statistics.median(values)) for name, values in samples.items()]


def run(argv: list[str]) -> Callable[[], object]:
    return lambda: subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="samples per pipeline timing")
    parser.add_argument("--networks", type=int, default=4094)
    args = parser.parse_args()
    hvnet = str(Path(sys.executable).with_name("hvnet"))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.yaml"
        path.write_text(host_document(args.networks))
        size = load_validate_render(str(path))  # warm-up: imports, caches
        pipeline = measure(lambda: load_validate_render(str(path)), args.repeat)
        cold = measure(run([hvnet, "render", str(path)]), args.repeat, child=True)
        python = measure(run([sys.executable, "-c", "pass"]), 10, child=True)
        version = measure(run([hvnet, "--version"]), 10, child=True)
        breakdown = stages(str(path), args.repeat)
    rows = [
        ("load+validate+render (in-process)", pipeline, TARGET_PIPELINE, None),
        ("hvnet render FILE (cold subprocess)", cold, None, None),
        ("python -c pass", python, None, None),
        ("hvnet --version", version, TARGET_VERSION, version[1] / python[1]),
    ]
    links = 4 + 2 + 2 * args.networks
    print(
        f"host: {links} links, {args.networks} networks; ENI {size} bytes; "
        f"medians of {args.repeat} runs (10 for start-up); load average {os.getloadavg()[0]:.1f}"
    )
    print(f"{'measure':<38} {'wall s':>7} {'cpu s':>7} {'target':>7} {'cpu/python':>10}  ok (cpu)")
    failed = False
    for name, (wall, cpu), target, ratio in rows:
        ok = "" if target is None else ("yes" if cpu < target else "NO")
        failed |= ok == "NO"
        shown_target = f"{target:.2f}" if target is not None else "-"
        shown_ratio = f"{ratio:.2f}x" if ratio is not None else "-"
        print(f"{name:<38} {wall:>7.3f} {cpu:>7.3f} {shown_target:>7} {shown_ratio:>10}  {ok}")
    print("\nwhere the in-process time goes (cpu s, median):")
    for name, seconds in breakdown:
        print(f"  {name:<36} {seconds:>7.3f}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
