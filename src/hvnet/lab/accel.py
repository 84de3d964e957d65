"""Choose between KVM and TCG without ever hanging on a broken KVM.

On some hosts (nested virtualisation, notably the development machines of this project)
``/dev/kvm`` exists and opens fine, but a KVM guest hangs as soon as the kernel leaves real
mode: a trivial real-mode probe would wrongly report success. So the probe boots the *actual*
lab kernel under KVM and waits, for at most :data:`PROBE_SECONDS`, for its first
``earlyprintk`` line ("Linux version"). A working KVM prints that within a fraction of a
second; otherwise the probe is killed and TCG is used. The verdict is cached per process.

The verdict is also remembered for a day in the lab cache (keyed by host kernel, qemu binary
and guest kernel), so a test session normally pays nothing for it. ``HVNET_LAB_ACCEL=tcg|kvm``
skips the probe.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path

from hvnet.lab.initramfs import atomic_write, cache_dir

PROBE_SECONDS = 3.0
VERDICT_TTL = 24 * 3600.0
_verdicts: dict[tuple[str, str], bool] = {}


def kvm_device_usable() -> bool:
    """``/dev/kvm`` exists and this user may open it read-write."""
    return os.path.exists("/dev/kvm") and os.access("/dev/kvm", os.R_OK | os.W_OK)


def probe_kvm(qemu: Path, kernel_image: Path, seconds: float = PROBE_SECONDS) -> bool:
    """Boot ``kernel_image`` under KVM and report whether it prints its banner in time."""
    key = (str(qemu), str(kernel_image))
    if key in _verdicts:
        return _verdicts[key]
    cmd = [
        str(qemu), "-accel", "kvm", "-cpu", "host", "-nodefaults", "-no-user-config",
        "-display", "none", "-no-reboot", "-m", "256", "-kernel", str(kernel_image),
        "-append", "console=ttyS0 earlyprintk=serial,ttyS0 panic=-1", "-serial", "stdio",
    ]  # fmt: skip
    ok = False
    try:
        proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
    except OSError:
        _verdicts[key] = False
        return False
    assert proc.stdout is not None
    buf = b""
    deadline = time.monotonic() + seconds
    try:
        while not ok:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            ready, _, _ = select.select([proc.stdout], [], [], left)
            if not ready:
                break
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                break
            buf += chunk
            ok = b"Linux version" in buf
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()
    _verdicts[key] = ok
    return ok


def choose_accel(
    qemu: Path, kernel_image: Path, env: Mapping[str, str] | None = None
) -> tuple[str, str]:
    """Return ``(accel, why)`` where accel is ``"kvm"`` or ``"tcg"``."""
    env = os.environ if env is None else env
    forced = env.get("HVNET_LAB_ACCEL", "").strip().lower()
    if forced in ("kvm", "tcg"):
        return forced, "forced by HVNET_LAB_ACCEL"
    if not kvm_device_usable():
        return "tcg", "/dev/kvm not usable"
    key = f"{os.uname().release}|{qemu}:{_mtime(qemu)}|{kernel_image}:{_mtime(kernel_image)}"
    store = cache_dir() / "accel-verdicts.json"
    try:
        verdicts = json.loads(store.read_text())
    except (OSError, ValueError):
        verdicts = {}
    cached = verdicts.get(key)
    if isinstance(cached, dict) and time.time() - float(cached.get("at", 0)) < VERDICT_TTL:
        if cached.get("kvm"):
            return "kvm", "KVM probe succeeded earlier (cached)"
        return "tcg", "KVM probe failed earlier (cached for a day)"
    started = time.monotonic()
    ok = probe_kvm(qemu, kernel_image)
    verdicts[key] = {"kvm": ok, "at": time.time()}
    with contextlib.suppress(OSError):
        atomic_write(store, json.dumps(verdicts, indent=1).encode())
    if ok:
        return "kvm", f"KVM probe booted in {time.monotonic() - started:.1f}s"
    return "tcg", f"KVM probe gave no kernel output within {PROBE_SECONDS:.0f}s"


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0
