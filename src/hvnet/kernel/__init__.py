"""Read-only view of kernel networking state (/proc and sysfs) for ``hvnet status``.

Parsers are pure functions over text so they can be tested against fixtures and
run on support bundles; :func:`read_tree` walks a live system or a recorded tree.
"""

from hvnet.kernel.procfs import parse_bonding, parse_vlan_config, parse_vlan_dev
from hvnet.kernel.sysfs import read_tree

__all__ = ["parse_bonding", "parse_vlan_config", "parse_vlan_dev", "read_tree"]
