"""Which guest owns a bridge port: libvirt's runtime XML, the config's MACs, Xen's vif names.

A bridge port named ``vnet3`` tells an operator nothing; the guest's name does. Three
sources, most authoritative first:

1. libvirt's runtime domain XML (``/run/libvirt/qemu/*.xml``, ``/run/libvirt/libxl/*.xml``):
   each ``<interface>`` has ``<target dev='vnet0'/>`` and the domain has a ``<name>``;
2. the config's guest MACs: libvirt creates a tap's MAC from the guest NIC's MAC with the
   first byte replaced by 0xfe (so the host never wins the bridge's MAC election), hence a
   tap ``fe:54:00:50:00:01`` belongs to the guest NIC ``52:54:00:50:00:01``;
3. Xen's naming: ``vifD.N`` (and ``vifD.N-emu``) is NIC N of domain id D.

The port regex mirrors :data:`hvnet.kernel.snapshot.GUEST_PORT_RE` (a test keeps them
equal): importing that module would pull pydantic into ``hvnet status``, which must start
fast on a host with thousands of links.
"""

from __future__ import annotations

import os

from hvnet.status.doc import GuestRef

TYPE_CHECKING = False  # not typing's: importing typing costs more than this command
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from typing import Any

#: The guest port names (libvirt vnetN/macvtapN, Xen vifD.N, tap*, Proxmox fwpr/veth).
GUEST_PORT_PATTERN = r"^(vnet\d+|macvtap\d+|vif\d+\.\d+(-emu)?|tap[\w.-]*|fwpr\d+p\d+|veth\d+i\d+)$"
_XEN_VIF_PATTERN = r"^vif(\d+)\.\d+(-emu)?$"
#: Every guest port name starts with one of these; others need no regular expression
#: (``re`` is imported only when a name could be a guest's).
_GUEST_PREFIXES = ("vnet", "macvtap", "vif", "tap", "fwpr", "veth")
_compiled: dict[str, Any] = {}


def _regex(pattern: str) -> Any:
    found = _compiled.get(pattern)
    if found is None:
        import re

        found = _compiled[pattern] = re.compile(pattern)
    return found


def __getattr__(name: str) -> Any:
    """``GUEST_PORT_RE``, compiled on first use."""
    if name == "GUEST_PORT_RE":
        return _regex(GUEST_PORT_PATTERN)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: Runtime XML directories of libvirt's QEMU/KVM and libxl (Xen) drivers.
LIBVIRT_RUN_DIRS = ("run/libvirt/qemu", "run/libvirt/libxl")
_MAX_XML_BYTES = 4 * 1024 * 1024


def is_guest_port(name: str, kind: str | None) -> bool:
    """Whether a bridge port is a guest's virtual NIC (never configuration)."""
    if kind == "tun":
        return True
    return name.startswith(_GUEST_PREFIXES) and bool(_regex(GUEST_PORT_PATTERN).match(name))


def parse_libvirt_xml(text: str) -> dict[str, str]:
    """Tap device → domain name from one runtime XML (``<domstatus>`` or ``<domain>``)."""
    import xml.etree.ElementTree as ET  # only hosts with libvirt pay for it

    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        return {}
    domain = root if root.tag == "domain" else root.find("domain")
    if domain is None:
        return {}
    name = (domain.findtext("name") or "").strip()
    if not name:
        return {}
    ports: dict[str, str] = {}
    for iface in domain.iter("interface"):
        target = iface.find("target")
        dev = target.get("dev") if target is not None else None
        if dev:
            ports[dev] = name
    return ports


def read_libvirt_ports(root: str) -> dict[str, str]:
    """Every tap named in libvirt's runtime XML under ``root``; unreadable files are skipped.

    Non-root users usually cannot read /run/libvirt: then this is empty and ports fall back
    to the config's MACs or Xen names, never an error.
    """
    ports: dict[str, str] = {}
    for sub in LIBVIRT_RUN_DIRS:
        directory = os.path.join(root, sub)
        try:
            names = sorted(os.listdir(directory))
        except OSError:
            continue
        for fname in names:
            if not fname.endswith(".xml"):
                continue
            try:
                with open(os.path.join(directory, fname), "rb") as handle:
                    data = handle.read(_MAX_XML_BYTES)
            except OSError:
                continue
            ports.update(parse_libvirt_xml(data.decode("utf-8", errors="replace")))
    return ports


def tap_to_guest_mac(tap_mac: str) -> str | None:
    """The guest NIC MAC a libvirt tap MAC stands for (first byte 0xfe → unknown byte).

    Returns the tap MAC's last five bytes as ``:xx:xx:xx:xx:xx`` for matching, or None
    when the tap MAC does not start with fe (then it was not derived by libvirt).
    """
    mac = tap_mac.lower()
    if len(mac) != 17 or not mac.startswith("fe:"):
        return None
    return mac[2:]


def config_mac_index(guests: Iterable[tuple[str, str | None]]) -> dict[str, str]:
    """``(guest name, NIC MAC)`` pairs → {last five MAC bytes: guest name}."""
    index: dict[str, str] = {}
    for name, mac in guests:
        if mac and len(mac) == 17:
            index.setdefault(mac.lower()[2:], name)
    return index


def name_guest_port(
    port: str,
    mac: str | None,
    libvirt: Mapping[str, str],
    config_macs: Mapping[str, str],
) -> GuestRef:
    """Say whose port this is, and how we know (``source``)."""
    xen = _regex(_XEN_VIF_PATTERN).match(port) if port.startswith("vif") else None
    domain_id = int(xen.group(1)) if xen else None
    if port in libvirt:
        return GuestRef(libvirt[port], "libvirt", domain_id)
    suffix = tap_to_guest_mac(mac) if mac else None
    if suffix is not None and suffix in config_macs:
        return GuestRef(config_macs[suffix], "config", domain_id)
    if domain_id is not None:
        return GuestRef(None, "xen", domain_id)
    return GuestRef(None, "none")


def describe_guest(ref: GuestRef) -> str:
    """Short human text: ``web1``, ``domain 7`` or ``unknown guest``."""
    if ref.name:
        return ref.name
    if ref.domain_id is not None:
        return f"domain {ref.domain_id}"
    return "unknown guest"
