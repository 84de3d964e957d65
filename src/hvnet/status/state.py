"""The memory behind the flapping rule: last run's link failure counts, in a small JSON file.

A failure count is cumulative since the slave joined the bond, so "flapping" can only mean
"rose since the last time we looked". Each consumer keeps its own file (``status.json`` for
``hvnet status``, ``check.json`` for ``hvnet check``), so a textfile-collector cron job and a
Nagios check do not swallow each other's increments.

Reading and writing never fail the command: an unreadable, corrupt or unwritable state
simply means "no previous run" (the JSON says ``previous_run: null``). Writes are atomic so
two concurrent runs cannot leave half a file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from hvnet.status.health import PreviousRun

DEFAULT_STATE_DIR = Path("/var/lib/hvnet")
_VERSION = 1


def _counts(raw: Any) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    if not isinstance(raw, dict):
        return out
    for bond, slaves in raw.items():
        if isinstance(bond, str) and isinstance(slaves, dict):
            out[bond] = {
                s: n
                for s, n in slaves.items()
                if isinstance(s, str) and isinstance(n, int) and not isinstance(n, bool)
            }
    return out


def load_previous(path: Path) -> PreviousRun | None:
    """The previous run recorded at ``path``, or None (missing, unreadable or corrupt)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("version") != _VERSION:
        return None
    time = data.get("time")
    return PreviousRun(
        time=time if isinstance(time, str) else None,
        failure_counts=_counts(data.get("failure_counts")),
    )


def save_run(path: Path, time: str | None, counts: dict[str, dict[str, int]]) -> str | None:
    """Record this run; returns None on success, else why it could not be saved."""
    text = (
        json.dumps(
            {"version": _VERSION, "time": time, "failure_counts": counts}, indent=1, sort_keys=True
        )
        + "\n"
    )
    # A pid-named temporary file instead of tempfile: that module costs more to import than
    # this whole function takes, and status runs from cron on big hosts.
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    except OSError as exc:
        return f"{path}: {exc.strerror or exc}"
    return None
