"""CLI commands that report on the running host: ``hvnet status`` and ``hvnet check``.

Like :mod:`hvnet.cli`, nothing heavy is imported until a command runs: ``status --json``
and ``status --prometheus`` run from cron on hosts with thousands of links, so their path
never imports pydantic (unless ``--config`` is given), pyroute2 or rich.

Exit codes: ``status`` 0 when it printed a report, 2 for unusable input (bad config,
unreadable ``--root``, netlink refused). ``check`` follows the monitoring-plugin convention:
0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (also for an invalid config or an unreadable kernel).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

STATE_HELP = (
    "Directory for the previous run's link failure counts (flapping detection); "
    "default /var/lib/hvnet for the live host, none with --root."
)


def _resolve(file: str) -> str:
    """``example:host-a`` → the built-in example's path, as every FILE argument accepts."""
    if file.startswith("example:"):
        from hvnet.cli import _resolve_file

        return _resolve_file(file)
    return file


def _state(state_dir: str | None, no_state: bool, root: str | None, name: str):  # type: ignore[no-untyped-def]
    from hvnet.status import StateOptions
    from hvnet.status.state import DEFAULT_STATE_DIR

    if no_state or (root is not None and state_dir is None):
        return StateOptions(None)
    return StateOptions(Path(state_dir or DEFAULT_STATE_DIR) / name)


@click.command()
@click.option("--json", "fmt", flag_value="json", help="The documented JSON document.")
@click.option(
    "--prometheus",
    "fmt",
    flag_value="prometheus",
    help="Prometheus text format (node_exporter textfile collector).",
)
@click.option("--tables", "fmt", flag_value="tables", help="Tables instead of the tree.")
@click.option("--tree", "fmt", flag_value="tree", default=True, help="The tree (default).")
@click.option(
    "--root",
    type=click.Path(file_okay=False),
    help="Read a recorded tree (DIR/proc/net/..., DIR/sys/class/net/...).",
)
@click.option(
    "-c",
    "--config",
    "config_file",
    help="Host file: intended slaves, primaries and ports; names guests.",
)
@click.option("--state-dir", type=click.Path(file_okay=False), help=STATE_HELP)
@click.option("--no-state", is_flag=True, help="Neither read nor write the flapping memory.")
def status(
    fmt: str, root: str | None, config_file: str | None, state_dir: str | None, no_state: bool
) -> None:
    """Show bonds, VLANs and bridges of the running kernel with a health verdict for each.

    Reads netlink and /proc/net/bonding (or, with --root, a recorded tree such as an
    unpacked sosreport: whatever is missing is reported as unknown). The tree reads
    NIC → bond → VLAN → bridge → guests; --tables, --json and --prometheus give the same
    facts in other shapes (see docs/status.md).
    """
    from hvnet.status import StatusError, judged_document

    if config_file:
        config_file = _resolve(config_file)
    state = _state(state_dir, no_state, root, "status.json")
    from hvnet.status.fastjson import available

    if fmt == "json" and root is None and config_file is None and available():
        from hvnet.status.fastjson import live_json  # the same text, without document objects

        try:
            text = live_json(state.file, 2 if sys.stdout.isatty() else None)
        except StatusError as exc:
            click.echo(f"hvnet: {exc}", err=True)
            sys.exit(exc.exit_code)
        click.echo(text, nl=False)
        return
    try:
        doc = judged_document(root, config_file, state)
    except StatusError as exc:
        click.echo(f"hvnet: {exc}", err=True)
        sys.exit(exc.exit_code)
    if fmt == "json":
        from hvnet.status.present import render_json

        click.echo(render_json(doc, 2 if sys.stdout.isatty() else None), nl=False)
    elif fmt == "prometheus":
        from hvnet.status.prometheus import render_prometheus

        click.echo(render_prometheus(doc), nl=False)
    elif fmt == "tables":
        from hvnet.status.present import render_tables

        render_tables(doc)
    else:
        from hvnet.status.present import render_tree

        render_tree(doc)


@click.command()
@click.argument("file")
@click.option(
    "--root",
    type=click.Path(file_okay=False),
    help="Check a recorded tree instead of the running kernel.",
)
@click.option("--failures-only", is_flag=True, help="Print only what is not ok.")
@click.option("--no-health", is_flag=True, help="Drift only: ignore the health verdicts.")
@click.option("--state-dir", type=click.Path(file_okay=False), help=STATE_HELP)
@click.option("--no-state", is_flag=True, help="Neither read nor write the flapping memory.")
def check(
    file: str,
    root: str | None,
    failures_only: bool,
    no_health: bool,
    state_dir: str | None,
    no_state: bool,
) -> None:
    """Compare FILE with the running kernel, attribute by attribute (like ifquery --check).

    The first line is a monitoring-plugin summary (HVNET CHECK OK|WARNING|CRITICAL|UNKNOWN);
    exit code 0 OK, 1 WARNING, 2 CRITICAL (drift), 3 UNKNOWN (also: invalid FILE or
    unreadable kernel). Usable as a Nagios/Icinga check as is.
    """
    from hvnet.status import StatusError, judge, load_config
    from hvnet.status.check import grade, unknown_report

    def give_up(reason: str) -> None:
        report = unknown_report(reason)
        click.echo(report.format(), nl=False)
        sys.exit(report.exit_code)

    file = _resolve(file)
    try:
        host, messages = load_config(file)
    except StatusError as exc:
        click.echo(str(exc), err=True)
        give_up(f"{file}: invalid config")
        return
    for message in messages:
        click.echo(message, err=True)
    from hvnet.compare import compare
    from hvnet.status import gather_source

    limits = None
    try:
        gathered = gather_source(root)
        if root is None:
            from hvnet.kernel.netlink import read_snapshot

            snapshot = read_snapshot()
        else:
            from hvnet.status.facts_snapshot import snapshot_from_facts

            snapshot, limits = snapshot_from_facts(gathered.facts)
    except (StatusError, OSError) as exc:
        give_up(f"cannot read the kernel: {exc}")
        return
    doc = None
    if not no_health:
        doc = judge(gathered, host, file, _state(state_dir, no_state, root, "check.json"))
    report = grade(compare(host, snapshot), limits, doc, host.links.keys())
    click.echo(report.format(failures_only), nl=False)
    sys.exit(report.exit_code)


COMMANDS = (status, check)
