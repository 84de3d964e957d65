"""``hvnet lab FILE``: boot the lab VM, build FILE's host inside it and prove what it promises.

Separate from :mod:`hvnet.cli` like the other command families; everything heavy (the lab,
rich, the model) is imported when the command runs. Exit codes: 0 every step passed, 1 the
lab ran and something failed (kernel differs from the model, a connectivity expectation, a
failover, applying the config), 2 invalid FILE, 3 the lab could not run here (no qemu or
kernel: the message says what to install) or broke down.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

EXIT_FAILED, EXIT_INVALID, EXIT_NO_LAB = 1, 2, 3


@click.command()
@click.argument("file")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--keep-going", is_flag=True, help="Run every step even after one fails.")
@click.option(
    "--only",
    type=click.Choice(["ifupdown", "apply"]),
    default=None,
    help="Apply the config one way only (default: ifupdown, then hvnet apply).",
)
def lab(file: str, as_json: bool, keep_going: bool, only: str | None) -> None:
    """Build FILE's host in a throwaway VM and prove it (see docs/lab.md).

    Creates the NICs and an upstream switch, applies the config with real ifupdown (then with
    hvnet apply), compares the kernel with the model, probes the connectivity matrix of guests,
    peers and host, and cuts every bond slave in turn (failover drill).
    """
    from hvnet.cli import _load_or_exit, _resolve_file

    result = _load_or_exit(file)
    assert result.host is not None
    text = Path(_resolve_file(file)).read_text(encoding="utf-8")

    from hvnet.lab import LabError, LabUnavailable, LabVM
    from hvnet.lab.report import render
    from hvnet.lab.scenario import METHODS, LabScenario

    def say(line: str) -> None:
        click.echo(f"hvnet lab: {line}", err=True)

    methods = (only,) if only else METHODS
    try:
        with LabVM(nics=1) as vm:
            scenario = LabScenario(vm, result.host, config_text=text, say=say)
            report = scenario.run(methods, keep_going=keep_going, file=file)
    except LabUnavailable as exc:
        click.echo(f"hvnet lab: cannot run the lab here: {exc}", err=True)
        sys.exit(EXIT_NO_LAB)
    except LabError as exc:
        click.echo(f"hvnet lab: the lab broke down: {exc}", err=True)
        sys.exit(EXIT_NO_LAB)
    if as_json:
        click.echo(json.dumps(report.to_json(), indent=2))
    else:
        render(report)
    if report.error:
        sys.exit(EXIT_NO_LAB)
    if not report.ok:
        sys.exit(EXIT_FAILED)


COMMANDS = (lab,)
