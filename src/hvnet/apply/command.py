"""``hvnet apply FILE`` when nothing is to be done, answered without the CLI framework.

A periodic or repeated apply of an unchanged file is the common case, and issue #6 wants
it well under a tenth of a full apply on a host with a thousand networks. When the state
directory records that this very model left this very kernel state (and ledger and ENI
file; :mod:`hvnet.apply.settled`), the answer is known after three netlink dumps: this
module checks exactly that, importing neither click, the model nor the planner. Anything
else — another option, an example name, a changed file or kernel, no record, no
privileges, no C decoder — returns None and the full ``hvnet apply`` runs (which plans,
and records the fingerprint again when it finds nothing to do).
"""

from __future__ import annotations

import os
import sys

_DEFAULTS = {"--root": "/", "--state-dir": "/var/lib/hvnet"}


def parse(argv: list[str]) -> tuple[str, bool, str, str] | None:
    """``FILE [--runtime-only] [--root DIR] [--state-dir DIR]`` → (file, runtime_only, root,
    state_dir); None for anything else (the full CLI handles it, errors included)."""
    file = None
    runtime_only = False
    values = dict(_DEFAULTS)
    args = iter(argv)
    for arg in args:
        if arg == "--runtime-only":
            runtime_only = True
        elif arg in _DEFAULTS:
            value = next(args, None)
            if not value or value.startswith("-"):
                return None
            values[arg] = value
        elif arg.startswith(("--root=", "--state-dir=")):
            key, _, value = arg.partition("=")
            if not value:
                return None
            values[key] = value
        elif arg.startswith("-") or file is not None:
            return None
        else:
            file = arg
    if file is None or file.startswith("example:"):
        return None
    return file, runtime_only, values["--root"], values["--state-dir"]


def _may_change_network() -> bool:
    """Root or CAP_NET_ADMIN, as the full apply requires (it says why otherwise)."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as handle:
            for line in handle:
                if line.startswith("CapEff:"):
                    return bool(int(line.split()[1], 16) & (1 << 12))
    except (OSError, ValueError):
        pass
    return os.geteuid() == 0


def run(argv: list[str]) -> int | None:
    """0 when ``hvnet apply ARGV`` has nothing to do (said so); None: run the full apply."""
    parsed = parse(argv)
    if parsed is None or not _may_change_network():
        return None
    file, runtime_only, root, state_dir = parsed
    try:
        with open(file, "rb") as handle:
            data = handle.read()
    except OSError:
        return None
    from hvnet.apply.settled import settled
    from hvnet.modelcache import cache_key

    eni = None if runtime_only else os.path.join(root, "etc", "network", "interfaces")
    lock = _try_lock(state_dir)
    if lock is None:  # another apply runs, or no state directory: the full path decides
        return None
    try:
        warnings = settled(cache_key(data), state_dir, eni)
    finally:
        os.close(lock)
    if warnings is None:
        return None
    for warning in warnings:
        sys.stderr.write(warning + "\n")
    sys.stdout.write("nothing to do: the kernel already matches the config\n")
    return 0


def _try_lock(state_dir: str) -> int | None:
    """The apply lock (:func:`hvnet.apply.ledger.apply_lock`'s file), if free right now."""
    import fcntl

    try:
        fd = os.open(os.path.join(state_dir, "apply.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd
