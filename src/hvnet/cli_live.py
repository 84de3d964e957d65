"""CLI commands that act on the running kernel: capture, plan, apply, confirm.

Separate from :mod:`hvnet.cli` to keep that module small; like it, nothing heavy is imported
until a command runs. Every command that changes the kernel checks privileges first, before
anything is touched, and refuses files with validation errors.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from hvnet.model import Host

EXIT_INVALID, EXIT_FAILED = 2, 1
STATE_DIR_HELP = "Where hvnet keeps its ledger and lock (default /var/lib/hvnet)."


def _desired(file: str, state_dir: str) -> Host:
    """The validated model of FILE; an unchanged file validated before comes from the model
    cache under the state directory (see :mod:`hvnet.modelcache`)."""
    from hvnet.cli import load_host

    return load_host(file, Path(state_dir) / "models")


@click.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to FILE.")
@click.option("--hostname", default=None, help="Hostname to record in the file.")
def capture(output: str | None, hostname: str | None) -> None:
    """Write the running kernel's bonds, VLANs, bridges, addresses and routes as a config."""
    from hvnet.capture import capture_header, captured_host
    from hvnet.emit import emit_yaml
    from hvnet.kernel.netlink import read_snapshot

    snap = read_snapshot()
    text = emit_yaml(captured_host(snap, hostname), capture_header(snap))
    if output:
        from hvnet.fsutil import write_atomic

        write_atomic(Path(output), text)
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=False)


@click.command()
@click.argument("file")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable plan.")
@click.option(
    "--state-dir", type=click.Path(file_okay=False), default="/var/lib/hvnet", help=STATE_DIR_HELP
)
def plan(file: str, as_json: bool, state_dir: str) -> None:
    """Show the operations that would take the running kernel to FILE (a dry run)."""
    from hvnet.apply.ledger import LedgerError, load_ledger
    from hvnet.apply.planner import PlanError
    from hvnet.apply.planner import plan as make_plan
    from hvnet.kernel.netlink import read_snapshot

    host = _desired(file, state_dir)
    try:
        the_plan = make_plan(host, read_snapshot(), load_ledger(Path(state_dir)))
    except (PlanError, LedgerError) as exc:
        click.echo(f"hvnet: cannot plan: {exc}", err=True)
        sys.exit(EXIT_INVALID)
    if as_json:
        click.echo(json.dumps(the_plan.to_json(), indent=2))
        return
    if the_plan.empty:
        click.echo("nothing to do: the kernel already matches the config")
        return
    for i, step in enumerate(the_plan.steps, 1):
        flags = " [DISRUPTIVE]" if step.disruptive else ""
        guests = f" (guest ports: {', '.join(step.guests)})" if step.guests else ""
        click.echo(f"{i:4}. {step.reason}{flags}{guests}")
        for action in step.actions:
            click.echo(f"        {action.op.describe()}")
    click.echo(f"{len(the_plan.actions)} operation(s) in {len(the_plan.steps)} step(s)")


@click.command()
@click.argument("file")
@click.option(
    "--confirm",
    "confirm_seconds",
    type=click.FloatRange(min=1),
    help="Revert automatically unless 'hvnet confirm' runs within SECONDS.",
)
@click.option(
    "--probe",
    "probes",
    multiple=True,
    help="With --confirm: revert early when it fails 3 times (ping:ADDR, arp:IF:ADDR).",
)
@click.option("--runtime-only", is_flag=True, help="Do not write /etc/network/interfaces.")
@click.option(
    "--root",
    default="/",
    type=click.Path(file_okay=False),
    help="Root under which etc/network/interfaces is written.",
)
@click.option(
    "--state-dir", type=click.Path(file_okay=False), default="/var/lib/hvnet", help=STATE_DIR_HELP
)
@click.option("--fail-at", type=int, default=None, hidden=True)
def apply(
    file: str,
    confirm_seconds: float | None,
    probes: tuple[str, ...],
    runtime_only: bool,
    root: str,
    state_dir: str,
    fail_at: int | None,
) -> None:
    """Apply FILE to the running kernel through netlink; verify; roll back on any failure."""
    for probe in probes:
        kind = probe.split(":", 1)[0]
        if kind not in ("ping", "arp") or ":" not in probe:
            raise click.BadParameter(
                f"{probe!r}: use ping:ADDR or arp:IFACE:ADDR", param_hint="--probe"
            )
    from hvnet.apply.run import run_apply
    from hvnet.cli import _resolve_file

    code = run_apply(
        _resolve_file(file),
        runtime_only=runtime_only,
        root=root,
        state_dir=state_dir,
        confirm_seconds=confirm_seconds,
        probes=probes,
        fail_at=fail_at,
    )
    if code:
        sys.exit(code)


@click.command()
@click.option(
    "--state-dir", type=click.Path(file_okay=False), default="/var/lib/hvnet", help=STATE_DIR_HELP
)
def confirm(state_dir: str) -> None:
    """Keep the state applied with 'hvnet apply --confirm' (cancel the automatic revert)."""
    from hvnet.apply.engine import confirm as do_confirm

    if do_confirm(Path(state_dir)):
        click.echo("confirmed: the applied state stays")
    else:
        click.echo("nothing to confirm (no pending revert; it may already have happened)", err=True)
        sys.exit(EXIT_FAILED)


COMMANDS = (capture, plan, apply, confirm)
