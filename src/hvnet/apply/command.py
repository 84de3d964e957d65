"""``hvnet apply FILE`` without the CLI framework; nothing to do is answered from dumps alone.

A periodic or repeated apply of an unchanged file is the common case, and issue #6 wants
it well under a tenth of a full apply on a host with a thousand networks. When the state
directory records that this very model left this very kernel state (and ledger and ENI
file; :mod:`hvnet.apply.settled`), the answer is known after three netlink dumps: this
module checks exactly that, importing neither click, the model nor the planner. Anything
else (a changed file or kernel, no record, no C decoder) runs the full apply, still without
click (:mod:`hvnet.apply.run`), which plans, applies and records the fingerprint again.
Other options and example names return None: the click command handles them.
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


def run(argv: list[str]) -> int | None:
    """The exit code of ``hvnet apply ARGV`` for the plain argument lists :func:`parse`
    accepts; None for the others (the click command handles them, errors included).

    First the settled check: when this very file left this very kernel state, answer
    "nothing to do" from three dumps. Otherwise the full apply runs here too
    (:func:`hvnet.apply.run.run_apply`), without importing click.
    """
    parsed = parse(argv)
    if parsed is None:
        return None
    file, runtime_only, root, state_dir = parsed
    if os.path.isfile(root) or os.path.isfile(state_dir):
        return None  # the click command says that a directory is expected
    from hvnet.apply.run import has_net_admin

    if has_net_admin():  # without, run_apply says why nothing can be changed
        answer = settled_answer(file, runtime_only, root, state_dir)
        if answer is not None:
            return answer
    from hvnet.apply.run import run_apply

    return run_apply(file, runtime_only=runtime_only, root=root, state_dir=state_dir)


def settled_answer(file: str, runtime_only: bool, root: str, state_dir: str) -> int | None:
    """0 (said so) when the state directory shows nothing is to be done; None otherwise."""
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
