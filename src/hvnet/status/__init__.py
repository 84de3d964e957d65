"""``hvnet status`` and ``hvnet check``: the running host's bonds, VLANs and bridges, judged.

Three separate steps, so each can be tested and reused alone:

1. collect (:mod:`~hvnet.status.collect`, :mod:`~hvnet.status.live`): facts from the live
   kernel (one netlink dump + /proc/net/bonding) or a recorded tree (``--root``), plus an
   optional config's expectations → an unjudged :class:`~hvnet.status.doc.StatusDoc`;
2. health (:mod:`~hvnet.status.health`): pure verdict rules (ok/warning/critical/unknown);
3. present (:mod:`~hvnet.status.present`, :mod:`~hvnet.status.prometheus`): tree, tables,
   JSON, Prometheus, Graphviz. Presenters never read the kernel.

:func:`judged_document` runs the three steps; it is what the CLI and the live diagram call.
Nothing heavy is imported at package import time (``hvnet --version`` stays fast).
"""

from __future__ import annotations

from hvnet.kernel.record import Record

TYPE_CHECKING = False  # not typing's: importing typing costs more than this command

if TYPE_CHECKING:
    from pathlib import Path

    from hvnet.model import Host
    from hvnet.status.collect import Gathered
    from hvnet.status.doc import StatusDoc


class StatusError(Exception):
    """The source or the config is unusable; ``exit_code`` is what the CLI should return."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class StateOptions(Record):
    """Where flapping memory lives; ``file`` None disables it (no read, no write)."""

    file: Path | None = None


def load_config(file: str) -> tuple[Host, list[str]]:
    """Load and validate a config; raises StatusError with every diagnostic if invalid."""
    from hvnet.loader import load_file

    result = load_file(file)
    messages = [d.format() for d in result.diagnostics]
    if not result.ok or result.host is None:
        raise StatusError("\n".join([*messages, f"{file}: invalid config"]))
    return result.host, messages


def gather_source(root: str | None) -> Gathered:
    """Step 1a, the I/O: live netlink + /proc, or a recorded tree."""
    from hvnet.status.collect import gather

    try:
        return gather(root)
    except OSError as exc:
        where = root or "the running kernel"
        raise StatusError(f"cannot read {where}: {exc}") from exc


def judge(
    gathered: Gathered, host: Host | None, config_file: str | None, state: StateOptions
) -> StatusDoc:
    """Steps 1b and 2: build the document, apply the health rules, remember failure counts."""
    from hvnet.status.collect import build, expectations_from_host
    from hvnet.status.health import evaluate, failure_counts

    expect = expectations_from_host(host, config_file) if host is not None else None
    doc = build(gathered, expect)
    if state.file is None:  # e.g. --no-state: the state module is not even imported
        return evaluate(doc, None, fresh=True)
    from hvnet.status.state import load_previous, save_run

    doc = evaluate(doc, load_previous(state.file), fresh=True)
    save_run(state.file, doc.host.generated, failure_counts(doc))
    return doc


def judged_document(
    root: str | None = None, config_file: str | None = None, state: StateOptions | None = None
) -> StatusDoc:
    """Collect, judge and return the document (raises StatusError for unusable input)."""
    host = load_config(config_file)[0] if config_file else None
    return judge(gather_source(root), host, config_file, state or StateOptions())


__all__ = ["StateOptions", "StatusError", "judge", "judged_document", "load_config"]
