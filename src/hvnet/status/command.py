"""``hvnet status --json`` / ``--prometheus`` without the CLI framework.

These two forms run from cron, node_exporter textfile timers and monitoring agents, on
hosts with thousands of links, and are judged against ``ip -d -j link show`` (issue #5:
within 2x). Importing click and registering every command costs more than the whole
netlink dump (about 2 s under the lab's emulation, 0.1 s natively), so the console
script can hand these argument lists to :func:`run` first; anything else (the tree and
tables, ``--config``, ``--help``, an unknown option) returns None and goes through
:mod:`hvnet.cli_status` as before, which gives exactly the same output for the forms
handled here (``tests/status`` checks both).

Run as ``python -m hvnet.status.command status --json`` to try it without the console
script.
"""

from __future__ import annotations

import os
import sys

_FORMATS = {"--json": "json", "--prometheus": "prometheus"}
_DEFAULT_STATE_DIR = "/var/lib/hvnet"


def parse(argv: list[str]) -> tuple[str, str | None, str | None, bool] | None:
    """``[--json|--prometheus] [--root DIR] [--state-dir DIR] [--no-state]`` → parts.

    Returns (format, root, state_dir, no_state), or None for anything this fast path
    does not handle (the caller then uses the full CLI, which also reports errors).
    """
    fmt = None
    values: dict[str, str] = {}
    no_state = False
    args = iter(argv)
    for arg in args:
        if arg in _FORMATS:
            if fmt is not None and fmt != _FORMATS[arg]:
                return None
            fmt = _FORMATS[arg]
        elif arg == "--no-state":
            no_state = True
        elif arg in ("--root", "--state-dir"):
            value = next(args, None)
            if value is None or value.startswith("-"):
                return None
            values[arg] = value
        elif arg.startswith(("--root=", "--state-dir=")):
            key, _, value = arg.partition("=")
            if not value:
                return None
            values[key] = value
        else:
            return None
    if fmt is None:
        return None
    return fmt, values.get("--root"), values.get("--state-dir"), no_state


def _fast_json() -> bool:
    from hvnet.status.fastjson import available

    return available()


def run(argv: list[str]) -> int | None:
    """Run ``hvnet status ARGV`` if this fast path handles it; None: use the full CLI."""
    parsed = parse(argv)
    if parsed is None:
        return None
    fmt, root, state_dir, no_state = parsed
    import gc

    gc.disable()  # one short-lived pass over freshly built objects, as hvnet.cli does
    from hvnet.status import StateOptions, StatusError, judged_document

    state = None
    if not no_state and (root is None or state_dir is not None):
        from pathlib import Path

        state = Path(state_dir or _DEFAULT_STATE_DIR) / "status.json"
    indent = 2 if fmt == "json" and sys.stdout.isatty() else None
    try:
        if fmt == "json" and root is None and _fast_json():  # straight from the dump
            from hvnet.status.fastjson import live_json

            text = live_json(state, indent)
        else:
            doc = judged_document(root, None, StateOptions(state))
            if fmt == "json":
                from hvnet.status.present import render_json

                text = render_json(doc, indent)
            else:
                from hvnet.status.prometheus import render_prometheus

                text = render_prometheus(doc)
    except StatusError as exc:
        sys.stderr.write(f"hvnet: {exc}\n")
        return exc.exit_code
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:  # ``hvnet status --json | head``: not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


def main() -> None:
    """``python -m hvnet.status.command status ...``: the fast path, else the full CLI."""
    argv = sys.argv[1:]
    if argv[:1] == ["status"]:
        code = run(argv[1:])
        if code is not None:
            sys.exit(code)
    from hvnet.cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
