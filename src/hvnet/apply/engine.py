"""Apply a host to the running kernel: snapshot → plan → execute → verify → commit or undo.

Following nmstate's checkpoint/verify/rollback: verification is part of apply (retried
briefly, since carrier and bond state settle asynchronously), and any failure, in execution
or verification, runs the undo of every operation that succeeded, in reverse order, then
checks the kernel is back to the snapshot taken before. With a confirm window the undo list is
kept on disk and a detached watcher runs it unless ``hvnet confirm`` arrives in time.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hvnet.apply.ledger import Ledger, apply_lock, load_ledger, save_ledger
from hvnet.apply.ops import Action, Op, Plan, Verb, op, op_from_json
from hvnet.apply.planner import PlanError
from hvnet.apply.planner import plan as make_plan
from hvnet.fsutil import write_atomic
from hvnet.kernel.nlexec import ExecResult, NetlinkExecutor, OpFailure
from hvnet.kernel.snapshot import KernelSnapshot
from hvnet.model import Bridge, Host

if TYPE_CHECKING:  # the comparison engine is imported when a plan has work (not for a no-op)
    from hvnet.apply.settled import KernelFingerprint
    from hvnet.compare import AttributeCheck

Progress = Callable[[int, int], None]
PENDING_FILE = "pending-revert.json"


class ApplyError(Exception):
    """Apply failed; the kernel was rolled back (``rolled_back`` says whether fully)."""

    def __init__(self, message: str, rolled_back: bool, leftovers: list[AttributeCheck]) -> None:
        super().__init__(message)
        self.rolled_back = rolled_back
        self.leftovers = leftovers


@dataclass(slots=True)
class ApplyOptions:
    state_dir: Path = Path("/var/lib/hvnet")
    eni_root: Path | None = Path("/")  # None = --runtime-only
    confirm_seconds: float | None = None
    probes: tuple[str, ...] = ()
    fail_at: int | None = None  # fault injection for tests: make operation k fail
    verify_seconds: float = 5.0
    progress: Progress | None = None
    #: the model cache's key of the applied file (see :mod:`hvnet.apply.settled`): with it,
    #: a verified apply or an empty plan is recorded, so the next no-op needs no planning
    model_key: str | None = None
    warnings: tuple[str, ...] = ()


@dataclass(slots=True)
class ApplyReport:
    plan: Plan
    seconds: float
    verified: list[AttributeCheck] = field(default_factory=list)
    eni_written: Path | None = None
    revert_deadline: float | None = None


def _read_snapshot(fingerprint: KernelFingerprint | None = None) -> KernelSnapshot:
    from hvnet.kernel.netlink import read_snapshot

    return read_snapshot(fingerprint=fingerprint)


def _indexes(snapshot: KernelSnapshot, the_plan: Plan | None = None) -> dict[str, int]:
    table = {name: rt.ifindex for name, rt in snapshot.runtime.items()}
    if the_plan is not None:
        table.update(the_plan.new_indexes)
    return table


def run_undo(actions: list[Action], succeeded: list[int], indexes: dict[str, int]) -> ExecResult:
    """Undo the given successful actions, newest first, continuing past errors."""
    undo: list[Op] = []
    for position in sorted(succeeded, reverse=True):
        undo.extend(actions[position].undo)
    for undo_op in undo:  # links the undo recreates keep the index they had
        index = undo_op.arg("index")
        if index is not None:
            indexes[undo_op.link] = int(index)
    return NetlinkExecutor(indexes, keep_going=True).run(undo)


def verify(
    host: Host, seconds: float, on_match: Callable[[KernelFingerprint], None] | None = None
) -> list[AttributeCheck]:
    """Compare kernel and model until they match or *seconds* pass; return what still fails.

    ``on_match`` gets the fingerprint of the snapshot that matched (see
    :mod:`hvnet.apply.settled`), when the C decoder can take one.
    """
    from hvnet.apply.settled import new_fingerprint
    from hvnet.compare import compare

    deadline = time.monotonic() + seconds
    while True:
        fingerprint = new_fingerprint() if on_match is not None else None
        bad = compare(host, _read_snapshot(fingerprint), failures_only=True)
        if not bad and fingerprint is not None and on_match is not None:
            on_match(fingerprint)
        if not bad or time.monotonic() >= deadline:
            return bad
        time.sleep(0.2)


def snapshot_differences(before: KernelSnapshot, after: KernelSnapshot) -> list[AttributeCheck]:
    """What differs between two snapshots: the test of an exact rollback."""
    from hvnet.compare import AttributeCheck, Status, compare

    checks = compare(before.host, after, check_admin_up=False, failures_only=True)
    for name in sorted(set(after.host.links) - set(before.host.links)):
        checks.append(AttributeCheck(name, "exists", "nothing", "a link", Status.FAIL))
    for bridge, ports in before.guest_ports.items():
        if set(after.guest_ports_of(bridge)) != set(ports):
            checks.append(
                AttributeCheck(
                    bridge,
                    "guest ports",
                    ",".join(ports),
                    ",".join(after.guest_ports_of(bridge)),
                    Status.FAIL,
                )
            )
    return checks


def _rollback(
    actions: list[Action], succeeded: list[int], indexes: dict[str, int], before: KernelSnapshot
) -> tuple[bool, list[AttributeCheck]]:
    """Undo, then compare with the snapshot taken before; undo errors are reported as
    leftovers (attribute "undo") so an incomplete rollback says what failed and why."""
    from hvnet.compare import AttributeCheck, Status

    result = run_undo(actions, succeeded, indexes)
    leftovers = snapshot_differences(before, _read_snapshot())
    if leftovers:
        # Operations sent in the same batch as a failed one still ran, possibly on objects
        # other than the plan assumed; their undo cannot be exact then. Converge back to the
        # snapshot with the planner itself (it knows every attribute the snapshot holds).
        _converge_back(before)
        leftovers = snapshot_differences(before, _read_snapshot())
    if leftovers:
        leftovers += [
            AttributeCheck(f.op.link, "undo", f.op.describe(), f.message, Status.FAIL)
            for f in result.failures
        ]
    return not leftovers, leftovers


def _converge_back(before: KernelSnapshot) -> None:
    """Plan and run the way from the current kernel back to *before* (best effort)."""
    now = _read_snapshot()
    created_since = set(now.host.links) - set(before.host.links)
    try:
        repair = make_plan(before.host, now, Ledger(created=created_since))
    except PlanError:
        return
    ops = [a.op for a in repair.actions]
    for bridge, ports in before.guest_ports.items():
        for port in ports:
            runtime = now.runtime.get(port)
            if runtime is not None and runtime.master != bridge:
                ops.append(op(Verb.LINK_SET, port, master=bridge))
    NetlinkExecutor(_indexes(now, repair), keep_going=True).run(ops)


def _update_ledger(ledger: Ledger, host: Host, the_plan: Plan) -> None:
    ledger.created |= set(the_plan.created)
    ledger.created -= set(the_plan.deleted) - set(the_plan.created)
    ledger.declared = {
        name: {
            "kind": link.kind.value,
            "ports": list(link.port_names) if isinstance(link, Bridge) else [],
            "addresses": [str(a) for a in link.addresses],
        }
        for name, link in host.links.items()
    }


def _same_ownership(now: dict[str, Any], before: dict[str, Any]) -> bool:
    """Whether two ledger documents record the same links and config (time aside)."""
    return {**now, "applied_at": None} == {**before, "applied_at": None}


def persist_eni(host: Host, root: Path) -> Path:
    """Write the rendered ENI atomically, keeping the previous file as ``interfaces.hvnet-bak``."""
    from hvnet.render import get_renderer

    files = get_renderer("eni")(host)
    target = root / "etc/network/interfaces"
    write_atomic(target, files["etc/network/interfaces"], backup_suffix=".hvnet-bak")
    return target


def apply_host(host: Host, options: ApplyOptions) -> ApplyReport:
    """Take the kernel to *host*, or leave it exactly as it was and raise ApplyError."""
    start = time.monotonic()
    from hvnet.apply.settled import new_fingerprint

    with apply_lock(options.state_dir):
        ledger = load_ledger(options.state_dir)
        ledger_before = ledger.to_json()
        settled_kernel: list[str] = []  # the fingerprint of the kernel found to match
        fingerprint = new_fingerprint() if options.model_key is not None else None
        before = _read_snapshot(fingerprint)
        the_plan = make_plan(host, before, ledger)
        if not the_plan.actions and fingerprint is not None:
            settled_kernel.append(fingerprint.hexdigest())
        actions = the_plan.actions
        indexes = _indexes(before, the_plan)
        report = ApplyReport(the_plan, 0.0)
        if actions:
            result = NetlinkExecutor(indexes, fail_at=options.fail_at).run(
                [a.op for a in actions], options.progress
            )
            if not result.ok:
                assert result.failure is not None
                ok, leftovers = _rollback(actions, result.succeeded, indexes, before)
                raise ApplyError(
                    f"{result.failure.format()}; {'rolled back' if ok else 'ROLLBACK INCOMPLETE'}",
                    ok,
                    leftovers,
                )
            bad = verify(
                host,
                options.verify_seconds,
                (lambda f: settled_kernel.append(f.hexdigest()))
                if options.model_key is not None
                else None,
            )
            if bad:
                ok, leftovers = _rollback(actions, result.succeeded, indexes, before)
                shown = "; ".join(c.format() for c in bad[:5])
                raise ApplyError(
                    f"verification failed: {shown}; "
                    f"{'rolled back' if ok else 'ROLLBACK INCOMPLETE'}",
                    ok,
                    leftovers,
                )
        _update_ledger(ledger, host, the_plan)
        if actions or not _same_ownership(ledger.to_json(), ledger_before):
            save_ledger(options.state_dir, ledger)  # a no-op re-apply leaves the file alone
        if options.eni_root is not None:
            report.eni_written = persist_eni(host, options.eni_root)
        if options.confirm_seconds is not None and actions:
            report.revert_deadline = _arm_revert(
                options, actions, report.eni_written, ledger_before
            )
        if options.model_key is not None and settled_kernel:
            from hvnet.apply.settled import record

            eni = str(report.eni_written) if report.eni_written else None
            record(
                str(options.state_dir),
                options.model_key,
                settled_kernel[-1],
                eni,
                list(options.warnings),
            )
    report.seconds = time.monotonic() - start
    return report


# -- confirm or revert ---------------------------------------------------------------------


def _arm_revert(
    options: ApplyOptions, actions: list[Action], eni: Path | None, ledger_before: dict[str, Any]
) -> float:
    """Store the undo of this apply and start a detached watcher that runs it at the deadline."""
    assert options.confirm_seconds is not None
    deadline = time.time() + options.confirm_seconds
    pending = {
        "version": 1,
        "deadline": deadline,
        "undo": [u.to_json() for a in reversed(actions) for u in a.undo],
        "eni": str(eni) if eni else None,
        "probes": list(options.probes),
        "ledger_before": ledger_before,
    }
    write_atomic(options.state_dir / PENDING_FILE, json.dumps(pending) + "\n")
    _spawn_watcher(options.state_dir)
    return deadline


def _spawn_watcher(state_dir: Path) -> None:
    """Start the revert watcher as a detached fork of this process.

    A fork, not a new interpreter: the watcher must be able to revert as soon as the window
    closes, and starting Python and importing pyroute2 again can take seconds on a slow or
    emulated machine. It leaves our session (setsid), so losing the SSH connection that ran
    the apply does not kill it; the grandchild is adopted by init.
    """
    pid = os.fork()
    if pid:
        os.waitpid(pid, 0)  # the intermediate child exits at once
        return
    try:
        os.setsid()
        if os.fork():
            os._exit(0)
        # Drop every inherited descriptor: above all the apply lock, which the parent
        # still holds and which a shared open file would keep locked for us too.
        os.closerange(3, 65536)
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        from hvnet.apply.revert import watch

        watch(state_dir)
    finally:
        os._exit(0)


def confirm(state_dir: Path) -> bool:
    """Keep the applied state: cancel the pending revert. False when nothing was pending."""
    with apply_lock(state_dir):
        path = state_dir / PENDING_FILE
        if not path.exists():
            return False
        path.unlink()
        return True


def revert_pending(state_dir: Path, reason: str) -> list[OpFailure]:
    """Run the stored undo now (the watcher calls this at the deadline or on a failed probe)."""
    with apply_lock(state_dir):
        path = state_dir / PENDING_FILE
        try:
            pending: dict[str, Any] = json.loads(path.read_text())
        except (OSError, ValueError):
            return []
        undo = [op_from_json(o) for o in pending.get("undo", [])]
        indexes = _indexes(_read_snapshot())
        for undo_op in undo:
            if undo_op.arg("index") is not None:
                indexes[undo_op.link] = int(undo_op.arg("index"))
        result = NetlinkExecutor(indexes, keep_going=True).run(undo)
        if isinstance(pending.get("ledger_before"), dict):
            write_atomic(
                state_dir / "ledger.json",
                json.dumps(pending["ledger_before"], indent=1, sort_keys=True) + "\n",
            )
        eni = pending.get("eni")
        if eni:
            backup = Path(eni + ".hvnet-bak")
            if backup.exists():
                os.replace(backup, eni)
        path.unlink(missing_ok=True)
        (state_dir / "last-revert.json").write_text(
            json.dumps(
                {
                    "reason": reason,
                    "at": time.time(),
                    "failures": [f.format() for f in result.failures],
                }
            )
            + "\n"
        )
        return result.failures
