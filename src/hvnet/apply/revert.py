"""The confirm-or-revert watcher: ``python -m hvnet.apply.revert STATE_DIR`` (started by apply).

Runs detached from the terminal (so losing the SSH session that ran ``hvnet apply --confirm``
does not kill it). Until the deadline it checks every second whether ``hvnet confirm`` removed
the pending file, and runs the optional probes (``ping:ADDR``, ``arp:IFACE:ADDR``); three
failures in a row revert at once. At the deadline it reverts.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from hvnet.apply.engine import PENDING_FILE, revert_pending

_PROBE_FAILURES_TO_REVERT = 3


def probe_ok(probe: str) -> bool:
    """Run one probe; unknown probe kinds count as passing (they were validated at apply)."""
    kind, _, target = probe.partition(":")
    if kind == "ping":
        argv = ["ping", "-c", "1", "-W", "1", target]
    elif kind == "arp":
        iface, _, address = target.partition(":")
        argv = ["arping", "-c", "1", "-w", "1", "-I", iface, address]
    else:
        return True
    try:
        return subprocess.run(argv, capture_output=True, timeout=5).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def watch(state_dir: Path) -> str:
    """Wait for confirmation; revert on deadline or failing probes. Returns what happened."""
    path = state_dir / PENDING_FILE
    failed: dict[str, int] = {}
    while True:
        try:
            pending = json.loads(path.read_text())
        except (OSError, ValueError):
            return "confirmed"
        if time.time() >= float(pending["deadline"]):
            revert_pending(state_dir, "not confirmed before the deadline")
            return "reverted: deadline"
        for probe in pending.get("probes", []):
            failed[probe] = 0 if probe_ok(probe) else failed.get(probe, 0) + 1
            if failed[probe] >= _PROBE_FAILURES_TO_REVERT:
                revert_pending(state_dir, f"probe {probe} failed {failed[probe]} times")
                return f"reverted: probe {probe}"
        time.sleep(min(1.0, max(0.05, float(pending["deadline"]) - time.time())))


if __name__ == "__main__":  # pragma: no cover - exercised through apply in the lab
    watch(Path(sys.argv[1]))
