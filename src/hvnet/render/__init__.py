"""Renderers: pure functions from the host model to files, registered in one explicit table.

A renderer takes a :class:`hvnet.model.Host` and returns ``{relative path: text}``, paths being
relative to a filesystem root (``etc/network/interfaces``), so that the CLI can print them,
write them under ``--root`` (netplan-style golden tests) or flatten them into ``--output``.
No renderer reads or writes anything itself.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

from hvnet.model import Host

Renderer = Callable[[Host], dict[str, str]]

#: format name -> "module:function". Explicit on purpose: no name-to-class guessing.
RENDERERS: dict[str, str] = {
    "eni": "hvnet.render.eni:render",
    "libvirt": "hvnet.render.guests:render_libvirt",
    "xen": "hvnet.render.guests:render_xen",
}


def get_renderer(fmt: str) -> Renderer:
    """The renderer for *fmt*; KeyError for unknown formats (the CLI restricts choices)."""
    module_name, _, func = RENDERERS[fmt].partition(":")
    renderer: Renderer = getattr(import_module(module_name), func)
    return renderer
