"""The ``hvnet`` console script: answers ``--version`` before importing anything.

Start-up time is part of every command an operator or a monitoring system runs; the version
query in particular is used by configuration management to probe the tool, so it skips even
the CLI framework. So do ``status --json``/``--prometheus`` (run by monitoring every minute on
hosts with thousands of links): :mod:`hvnet.status.command` handles exactly those argument
lists and gives the same output as the click command; and an ``apply`` with nothing to do
(:mod:`hvnet.apply.command`). Everything else goes to :func:`hvnet.cli.main`.
"""

from __future__ import annotations

import sys

from hvnet import __version__


def main() -> None:
    if sys.argv[1:] in (["--version"], ["-V"]):
        sys.stdout.write(f"hvnet, version {__version__}\n")
        return
    if sys.argv[1:2] == ["status"]:
        from hvnet.status.command import run

        code = run(sys.argv[2:])
        if code is not None:
            sys.exit(code)
    elif sys.argv[1:2] == ["apply"]:
        from hvnet.apply.command import run as apply_settled

        code = apply_settled(sys.argv[2:])
        if code is not None:
            sys.exit(code)
    from hvnet.cli import main as cli_main

    cli_main()
