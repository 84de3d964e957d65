"""``hvnet apply``'s work, without the CLI framework: load (or take from the model cache),
plan, apply, verify, and say what happened; returns the exit code.

Why not inside the click command: importing click costs as much as a hundred netlink
requests under emulation (2.3 s of a 1000-network apply in the lab VM), and the plain
``hvnet apply FILE [--runtime-only] [--root DIR] [--state-dir DIR]`` that configuration
management runs needs none of it. :mod:`hvnet.apply.command` sends those argument lists
here directly; the click command (:mod:`hvnet.cli_live`) checks its options and calls the
same function, so both print the same lines and exit with the same codes.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path

    from hvnet.loader import LoadResult
    from hvnet.model import Host

EXIT_OK, EXIT_FAILED, EXIT_INVALID = 0, 1, 2


class InvalidFile(Exception):
    """The host file has errors; they were printed. Exit code 2 (nothing was touched)."""


def _err(line: str) -> None:
    sys.stderr.write(line + "\n")


def _out(line: str) -> None:
    sys.stdout.write(line + "\n")


def report(result: LoadResult, quiet: bool = False) -> None:
    """Print a load's diagnostics (and, unless *quiet*, the error/warning count)."""
    for diag in result.diagnostics:
        _err(diag.format())
    if not quiet and result.diagnostics:
        errors = sum(1 for d in result.diagnostics if d.severity.value == "error")
        warnings = len(result.diagnostics) - errors
        _err(f"{result.file}: {errors} error(s), {warnings} warning(s)")


def load_checked(path: str) -> LoadResult:
    """Load and validate *path*; print its problems (warnings too, without the count) and
    raise :class:`InvalidFile` when it has errors."""
    from hvnet.loader import load_file

    result = load_file(path)
    if not result.ok:
        report(result)
        raise InvalidFile(path)
    report(result, quiet=True)
    return result


def load_keyed(path: str, cache_dir: Path | None) -> tuple[Host, str | None, list[str]]:
    """The validated model of *path*, its model-cache key (None without *cache_dir* or when
    the file is unreadable) and its warnings as printed (see :mod:`hvnet.apply.settled`).

    With *cache_dir*, a file validated before (same bytes, same hvnet) is not parsed and
    validated again (see :mod:`hvnet.modelcache`). Raises :class:`InvalidFile` on errors.
    """
    if cache_dir is None:
        result = load_checked(path)
        assert result.host is not None
        return result.host, None, [d.format() for d in result.diagnostics]
    from hvnet import modelcache

    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError:
        data = b""  # load_file reports the unreadable file
    key = modelcache.cache_key(data) if data else None
    cached = modelcache.lookup(data, cache_dir) if data else None
    if cached is not None:
        host, warnings = cached
        for diag in warnings:
            _err(diag.format())
        return host, key, [d.format() for d in warnings]
    _quiet_pydantic_plugins()
    result = load_checked(path)
    assert result.host is not None
    if data:
        modelcache.store(data, cache_dir, result.host, result.diagnostics)
    return result.host, key, [d.format() for d in result.diagnostics]


def _quiet_pydantic_plugins() -> None:
    """Tell pydantic not to look for plugins (unless the environment says otherwise).

    Its first validator scans every installed distribution's entry points for them: a
    second of a first apply under emulation, for plugins (tracing, logging of validations)
    that a command-line run of hvnet never uses.
    """
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")


def has_net_admin() -> bool:
    """Whether this process holds CAP_NET_ADMIN (root usually does). Read before a settled
    no-op too, so this module imports nothing at load time but ``os`` and ``sys``."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as handle:
            for line in handle:
                if line.startswith("CapEff:"):
                    return bool(int(line.split()[1], 16) & (1 << 12))
    except (OSError, ValueError):
        pass
    return os.geteuid() == 0


NO_PRIVILEGES = (
    "hvnet: changing the network needs root or CAP_NET_ADMIN; nothing was changed "
    "(try: sudo hvnet ...)"
)


def run_apply(
    path: str,
    *,
    runtime_only: bool = False,
    root: str = "/",
    state_dir: str = "/var/lib/hvnet",
    confirm_seconds: float | None = None,
    probes: tuple[str, ...] = (),
    fail_at: int | None = None,
) -> int:
    """Apply the host file at *path* (already resolved: no ``example:`` names) and report;
    the exit code: 0 applied (or nothing to do), 1 failed and rolled back, 2 nothing
    changed (invalid file, no privileges, plan or ledger refused, another apply running).
    """
    if not has_net_admin():
        _err(NO_PRIVILEGES)
        return EXIT_INVALID
    from pathlib import Path

    try:
        host, model_key, warnings = load_keyed(path, Path(state_dir) / "models")
    except InvalidFile:
        return EXIT_INVALID
    from hvnet.apply.engine import ApplyError, ApplyOptions, apply_host
    from hvnet.apply.ledger import LedgerError, LockedError
    from hvnet.apply.planner import PlanError

    def progress(done: int, total: int) -> None:
        if total >= 200 and sys.stderr.isatty():
            sys.stderr.write(f"\r  {done}/{total} operations" + ("\n" if done == total else ""))
            sys.stderr.flush()

    options = ApplyOptions(
        state_dir=Path(state_dir),
        eni_root=None if runtime_only else Path(root),
        confirm_seconds=confirm_seconds,
        probes=probes,
        fail_at=fail_at,
        progress=progress,
        model_key=model_key if fail_at is None else None,
        warnings=tuple(warnings),
    )
    try:
        result = apply_host(host, options)
    except (PlanError, LedgerError, LockedError) as exc:
        _err(f"hvnet: nothing changed: {exc}")
        return EXIT_INVALID
    except ApplyError as exc:
        _err(f"hvnet: apply failed: {exc}")
        for check in exc.leftovers:
            _err(f"  still different: {check.format()}")
        return EXIT_FAILED
    n = len(result.plan.actions)
    _out(
        f"applied {n} operation(s) in {result.seconds:.2f} s; kernel verified"
        if n
        else "nothing to do: the kernel already matches the config"
    )
    if result.eni_written:
        _out(f"wrote {result.eni_written} (previous kept as {result.eni_written.name}.hvnet-bak)")
    if result.revert_deadline:
        _out(
            f"will revert in {confirm_seconds:.0f} s unless you run: hvnet confirm"
            + (f" --state-dir {state_dir}" if state_dir != "/var/lib/hvnet" else "")
        )
    return EXIT_OK
