"""Read-only view of kernel networking state (/proc and sysfs) for ``hvnet status``.

Parsers are pure functions over text so they can be tested against fixtures and
run on support bundles; :func:`read_tree` walks a live system or a recorded tree.

The names below are imported on first use: the live status path needs only the fact
types and the bonding parser, not the sysfs walker (and its pathlib), and every
``hvnet`` start-up pays for what a package ``__init__`` imports.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing's: importing typing costs more than most commands

if TYPE_CHECKING:
    from typing import Any

    from hvnet.kernel.procfs import parse_bonding, parse_vlan_config, parse_vlan_dev
    from hvnet.kernel.sysfs import read_tree

_WHERE = {
    "parse_bonding": "hvnet.kernel.procfs",
    "parse_vlan_config": "hvnet.kernel.procfs",
    "parse_vlan_dev": "hvnet.kernel.procfs",
    "read_tree": "hvnet.kernel.sysfs",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(module), name)


__all__ = ["parse_bonding", "parse_vlan_config", "parse_vlan_dev", "read_tree"]
