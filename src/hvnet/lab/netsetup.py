"""Guest shell scripts that build and tear down the lab around the host (see ``topology``).

Under TCG every exec in the guest costs 0.1-0.3 s, so each script batches its work: one
``ip -batch`` per namespace, one ``bridge -batch`` for the switch's VLAN table, and no
``sleep``/``cat`` in loops. Scripts are plain text built from plan values; config names are
already restricted to a safe character set by validation, and everything is shell-quoted
anyway.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable

from hvnet.lab.topology import HIDDEN_NIC_PREFIX, SWITCH_BRIDGE, SWITCH_NS, LabPlan

#: Where the lab keeps its guest-side state (ifupdown's original interfaces file, apply's
#: state directory). /run is a fresh tmpfs in the VM.
GUEST_STATE = "/run/hvnet-lab"
q = shlex.quote


def _heredoc(command: str, lines: Iterable[str]) -> str:
    body = "\n".join(lines)
    if not body:
        return ""
    return f"{command} <<'HVNET_EOF'\n{body}\nHVNET_EOF\n"


def hide_nics_script(vm_nics: Iterable[str]) -> str:
    """Rename the VM's virtio NICs (``ethN``) to ``hvlabnicN`` so config NICs can take the name.

    Also keeps the guest's own ``/etc/network/interfaces`` so teardown can put it back.
    """
    lines = []
    for name in sorted(vm_nics):
        index = name.removeprefix("eth")
        lines += [
            f"link set dev {name} down",
            f"link set dev {name} name {HIDDEN_NIC_PREFIX}{index}",
        ]
    return (
        f"mkdir -p {GUEST_STATE} /run/network\n"
        f"[ -e {GUEST_STATE}/interfaces.orig ] || "
        f"cp -a /etc/network/interfaces {GUEST_STATE}/interfaces.orig 2>/dev/null || :\n"
        + _heredoc("ip -force -batch -", lines)
    )


def build_script(plan: LabPlan) -> str:
    """Switch namespace, NIC veths (host side down, switch side up), peers, guest namespaces."""
    mtu = plan.mtu
    root = [f"netns add {SWITCH_NS}"]
    root += [f"netns add {e.netns}" for e in plan.endpoints]
    for sp in plan.ports:
        mac = f" address {sp.mac}" if sp.mac else ""
        root.append(
            f"link add {sp.nic}{mac} type veth peer name {sp.port} mtu {mtu} netns {SWITCH_NS}"
        )
    for peer in plan.peers:
        root.append(
            f"link add {peer.port} mtu {mtu} netns {SWITCH_NS} type veth "
            f"peer name eth0 mtu {mtu} netns {peer.netns}"
        )
    sw = ["link set lo up", f"link add {SWITCH_BRIDGE} mtu {mtu} type bridge vlan_filtering 1 "
          "vlan_default_pvid 0 stp_state 0"]  # fmt: skip
    ports = [sp.port for sp in plan.ports] + [p.port for p in plan.peers]
    for port in ports:
        sw += [f"link set {port} master {SWITCH_BRIDGE}", f"link set {port} up"]
    sw.append(f"link set {SWITCH_BRIDGE} up")
    vlans = []
    for sp in plan.ports:
        vlans.append(f"vlan add dev {sp.port} vid {sp.native} pvid untagged")
        vlans += [f"vlan add dev {sp.port} vid {vid}" for vid in sp.tagged]
    for peer in plan.peers:
        vid = plan.segment(peer.segment).vid
        vlans.append(f"vlan add dev {peer.port} vid {vid} pvid untagged")
    script = "set -e\n" + _heredoc("ip -batch -", root)
    script += _heredoc(f"ip -n {SWITCH_NS} -batch -", sw)
    script += _heredoc(f"bridge -n {SWITCH_NS} -batch -", vlans)
    for peer in plan.peers:
        script += _heredoc(
            f"ip -n {q(peer.netns)} -batch -",
            ["link set lo up", f"addr add {peer.address} dev eth0", "link set eth0 up"],
        )
    return script


def attach_guests_script(plan: LabPlan) -> str:
    """Join each guest endpoint to its bridge (after the host is configured: bridges exist).

    Guests get DAD off so their IPv6 link-local address is usable at once (the host-silence
    probe sends from it).
    """
    root = []
    for g in plan.guests:
        bridge = plan.segment(g.segment).bridge
        mac = f" address {g.mac}" if g.mac else ""
        root += [
            f"link add {g.port} type veth peer name eth0{mac} netns {g.netns}",
            f"link set {g.port} master {bridge}",
            f"link set {g.port} up",
        ]
    script = "set -e\n" + _heredoc("ip -batch -", root)
    for g in plan.guests:
        inner = "echo 0 > /proc/sys/net/ipv6/conf/eth0/accept_dad\n" + _heredoc(
            "ip -batch -",
            ["link set lo up", f"addr add {g.address} dev eth0", "link set eth0 up"],
        )
        script += f"ip netns exec {q(g.netns)} /bin/sh -ec {q(inner)}\n"
    return script


def teardown_script() -> str:
    """Undo everything: namespaces (and their processes), every link but ``lo`` and the hidden
    virtio NICs, ifupdown's state; give the virtio NICs their ``ethN`` names back."""
    return (
        "set -- /run/netns/*\n"
        'if [ -e "$1" ]; then\n'
        "  for ns in /run/netns/*; do\n"
        '    pids=$(ip netns pids "${ns##*/}"); [ -n "$pids" ] && kill -9 $pids\n'
        "  done\n"
        "  ip -all netns delete\n"
        "fi\n"
        "batch=''\n"
        "for d in /sys/class/net/*; do\n"
        "  n=${d##*/}\n"
        f"  case $n in lo|{HIDDEN_NIC_PREFIX}*) ;;\n"
        '    *) batch="${batch}link delete dev $n\\n" ;;\n'
        "  esac\n"
        "done\n"
        'printf "$batch" | ip -force -batch - 2>/dev/null || :\n'
        "batch=''\n"
        f"for d in /sys/class/net/{HIDDEN_NIC_PREFIX}*; do\n"
        '  [ -e "$d" ] || continue\n'
        "  n=${d##*/}\n"
        f'  batch="${{batch}}link set dev $n name eth${{n#{HIDDEN_NIC_PREFIX}}}\\n"\n'
        "done\n"
        'printf "$batch" | ip -force -batch - 2>/dev/null || :\n'
        "rm -rf /run/network/ifstate* /run/network/.ifstate* " + GUEST_STATE + "/state\n"
        f"[ -e {GUEST_STATE}/interfaces.orig ] && "
        f"cp -a {GUEST_STATE}/interfaces.orig /etc/network/interfaces || :\n"
        "ip link set lo up\n"
    )


def install_eni_script(path: str) -> str:
    """Put the rendered file in place for ifupdown, with a clean ifupdown state."""
    return (
        f"mkdir -p /run/network {GUEST_STATE}\n"
        "rm -f /run/network/ifstate* /run/network/.ifstate*\n"
        f"cp {q(path)} /etc/network/interfaces\n"
    )
