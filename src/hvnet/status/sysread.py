"""The few sysfs files the live status path reads beside the netlink dump.

Netlink has no ethtool data, so a NIC's speed and duplex still come from
``/sys/class/net/NIC/{speed,duplex}``. Kept apart from :mod:`hvnet.status.live` so the
fast JSON path (:mod:`hvnet.status.fastjson`) reads them without importing the fact types.
"""

from __future__ import annotations

import os


def read_small(path: str) -> str | None:
    """A small file's text (at most 64 KiB), or None when it cannot be read."""
    try:
        with open(path, "rb") as handle:
            return handle.read(65536).decode("utf-8", errors="replace")
    except OSError:
        return None


def nic_speed(sys_net: str, name: str) -> tuple[int | None, str | None]:
    """Speed (Mb/s) and duplex of a NIC; unknown (unreadable, -1, "unknown") → None."""
    speed_text = read_small(os.path.join(sys_net, name, "speed"))
    duplex = (read_small(os.path.join(sys_net, name, "duplex")) or "").strip()
    try:
        speed: int | None = int(speed_text) if speed_text is not None else None
    except ValueError:
        speed = None
    return (
        speed if speed is not None and speed >= 0 else None,
        duplex if duplex in ("full", "half") else None,
    )
