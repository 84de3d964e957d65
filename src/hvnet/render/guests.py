"""Guest network snippets: libvirt ``<interface>`` XML for KVM guests, ``vif`` lines for Xen.

Why snippets and not whole domain definitions: hvnet owns the host side (which bridge, which
MAC, which NIC model); disks, memory and CPUs stay with whoever manages the guests. Each file
holds exactly what to paste into (or diff against) the guest's definition.

Each format renders only its own kind of guest: libvirt for ``kvm`` guests and ``xl`` configs
for ``xen`` guests (libvirt can drive Xen too, but a host file says which toolstack a guest
uses). A host without guests of that kind gets a single README note instead of an empty
result, so ``hvnet render --format xen`` on a KVM host says why nothing was produced.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

from hvnet.model import Guest, GuestKind, Host

SAFE_NAME = re.compile(r"^[A-Za-z0-9_.@+-]+$")
_MAC = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")
_MODEL = re.compile(r"^[A-Za-z0-9_.+-]{1,32}$")

#: NIC model names that mean Xen's paravirtual netfront, i.e. no emulated device.
XEN_PV_MODELS = frozenset({"netfront", "xen-netfront", "vif", "xen", "pv"})


def _guests(host: Host, kind: GuestKind) -> list[Guest]:
    guests = [g for g in host.guests if g.kind is kind]
    for guest in guests:
        _check(guest)
    return guests


def _check(guest: Guest) -> None:
    """Defense in depth: the loader validates these, but never emit an unsafe value."""
    if not SAFE_NAME.match(guest.name):
        raise ValueError(f"unsafe guest name {guest.name!r}")
    for nic in guest.nics:
        if nic.bridge is not None and not SAFE_NAME.match(nic.bridge):
            raise ValueError(f"unsafe bridge name {nic.bridge!r}")
        if nic.mac is not None and not _MAC.match(nic.mac.lower()):
            raise ValueError(f"malformed MAC {nic.mac!r}")
        if nic.model is not None and not _MODEL.match(nic.model):
            raise ValueError(f"unsafe NIC model {nic.model!r}")


def _none_note(host: Host, kind: GuestKind, directory: str) -> dict[str, str]:
    other = "xen" if kind is GuestKind.KVM else "libvirt"
    text = (
        f"hvnet: host {host.hostname or '(unnamed)'} defines no {kind.value} guests; "
        f"nothing to render here (other guests: --format {other}).\n"
    )
    return {f"{directory}/README": text}


def _comment(text: str) -> Any:
    """An XML comment; "--" may not appear inside one (a hostname like "a--0" has it)."""
    while "--" in text:
        text = text.replace("--", "- -")
    return ET.Comment(text)


def render_libvirt(host: Host) -> dict[str, str]:
    """``libvirt/<guest>.xml`` per KVM guest: a ``<devices>`` element holding its interfaces.

    Wrapped in ``<devices>`` so the file is well-formed XML with the same nesting as a domain
    definition; each ``<interface>`` can also be fed to ``virsh attach-device``. Built with
    ElementTree, so values are escaped by the XML writer. A NIC whose network has no bridge
    (only possible in an invalid host) is left out with a comment.
    """
    guests = _guests(host, GuestKind.KVM)
    if not guests:
        return _none_note(host, GuestKind.KVM, "libvirt")
    files: dict[str, str] = {}
    for guest in guests:
        devices = ET.Element("devices")
        devices.append(
            _comment(
                f" hvnet: network interfaces of guest {guest.name} "
                f"on host {host.hostname or '(unnamed)'}; generated, do not edit "
            )
        )
        for nic in guest.nics:
            if nic.bridge is None:
                devices.append(_comment(f" network {nic.network}: no bridge, left out "))
                continue
            interface = ET.SubElement(devices, "interface", type="bridge")
            if nic.mac:
                ET.SubElement(interface, "mac", address=nic.mac.lower())
            ET.SubElement(interface, "source", bridge=nic.bridge)
            if nic.model:
                ET.SubElement(interface, "model", type=nic.model)
        ET.indent(devices, space="  ")
        files[f"libvirt/{guest.name}.xml"] = ET.tostring(devices, encoding="unicode") + "\n"
    return files


def render_xen(host: Host) -> dict[str, str]:
    """``xen/<guest>.cfg`` per Xen guest: the xl ``vif = [ ... ]`` line.

    ``model=`` is written only for emulated NIC models (e1000, rtl8139, ...): xl uses it for
    the ioemu device of HVM guests and ignores it for PV guests, whose NIC is always netfront.
    A model naming netfront itself (see :data:`XEN_PV_MODELS`) therefore adds nothing and is
    left out, as is ``type=`` (xl's default gives HVM guests both the emulated and the PV NIC).
    """
    guests = _guests(host, GuestKind.XEN)
    if not guests:
        return _none_note(host, GuestKind.XEN, "xen")
    files: dict[str, str] = {}
    for guest in guests:
        specs: list[str] = []
        skipped: list[str] = []
        for nic in guest.nics:
            if nic.bridge is None:
                skipped.append(nic.network)
                continue
            parts = []
            if nic.mac:
                parts.append(f"mac={nic.mac.lower()}")
            parts.append(f"bridge={nic.bridge}")
            if nic.model and nic.model.lower() not in XEN_PV_MODELS:
                parts.append(f"model={nic.model}")
            specs.append("'" + ",".join(parts) + "'")
        lines = [
            f"# hvnet: network interfaces of guest {guest.name} "
            f"on host {host.hostname or '(unnamed)'}; generated, do not edit",
        ]
        lines += [f"# network {name}: no bridge, left out" for name in skipped]
        lines.append("vif = [ " + ", ".join(specs) + " ]" if specs else "vif = [ ]")
        files[f"xen/{guest.name}.cfg"] = "\n".join(lines) + "\n"
    return files
