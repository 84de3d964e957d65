"""Shared helpers of the renderer tests: every output format as ``{relative path: text}``."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

from hvnet.model import Host
from hvnet.render import RENDERERS, get_renderer
from hvnet.render.diagram import render_dot, render_tree

GOLDEN = Path(__file__).parent / "golden"
EXAMPLE_HOSTS = ("host-a", "host-b")


def tree_text(host: Host, width: int = 100) -> str:
    """The rich tree as plain text, at a fixed width so golden files do not depend on the tty."""
    from rich.console import Console

    buffer = io.StringIO()
    render_tree(host, Console(file=buffer, width=width, color_system=None, force_terminal=False))
    return buffer.getvalue()


def _diagram(kind: str) -> Callable[[Host], dict[str, str]]:
    if kind == "tree":
        return lambda host: {"tree.txt": tree_text(host)}
    return lambda host: {"topology.dot": render_dot(host)}


#: format name -> renderer producing files; the file renderers come from the real table.
FORMATS: dict[str, Callable[[Host], dict[str, str]]] = {
    **{fmt: get_renderer(fmt) for fmt in RENDERERS},
    "tree": _diagram("tree"),
    "dot": _diagram("dot"),
}
