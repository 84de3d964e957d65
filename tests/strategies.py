"""Hypothesis strategies for *valid* hvnet host files, as plain dicts (the YAML document).

Why build documents valid by construction instead of generating anything and filtering: the
rules reject most random topologies, and a filter that throws away nearly every example makes
hypothesis give up. So the strategy picks a topology first (NICs, bonds over distinct NICs,
networks on the uplinks that remain) and then values that fit it: bond options only in the
modes that accept them, delays in whole miimon periods, VLAN ids distinct per parent, one
subnet per address, one default gateway, MTUs no larger than the link below, unique locally
administered MACs. Tests still ``assume(result.ok)`` so a rule added later cannot turn a
generated document into a false failure; the rate of rejected examples stays low.

Use::

    @given(host_documents())
    def test_x(doc): result = load_document(doc); assume(result.ok); ...
"""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import strategies as st

from hvnet.loader import LoadResult, load_text

Doc = dict[str, Any]

BOND_MODES = (
    "balance-rr",
    "active-backup",
    "balance-xor",
    "broadcast",
    "802.3ad",
    "balance-tlb",
    "balance-alb",
)
ARP_MODES = frozenset({"balance-rr", "active-backup", "balance-xor", "broadcast"})
NAMING_VLAN = ("{parent}.{vid}", "vlan{vid}", "vlan{vid:04d}", "v{vid}-{parent}")
NAMING_BRIDGE = ("br{vid}", "vmbr{vid}", "br-{network}")
GUEST_MODELS = (None, "virtio", "e1000", "rtl8139", "netfront")


def load_document(doc: Doc, name: str = "gen.yaml") -> LoadResult:
    """Load a generated document exactly as a host file on disk would be loaded."""
    return load_text(yaml.safe_dump(doc, sort_keys=False), name)


class _Counter:
    """Hands out distinct subnets and MACs within one document."""

    def __init__(self) -> None:
        self.subnet = 0
        self.mac = 0

    def next_subnet(self) -> int:
        self.subnet += 1
        return self.subnet

    def next_mac(self, prefix: str = "02:00:00") -> str:
        self.mac += 1
        return f"{prefix}:{self.mac >> 16 & 255:02x}:{self.mac >> 8 & 255:02x}:{self.mac & 255:02x}"


def _fresh_vid(used: dict[str, set[int]]) -> st.SearchStrategy[int]:
    """A VLAN id unused on *every* parent: templates such as ``br{vid}`` must not collide."""
    taken = set().union(*used.values()) if used else set()
    return st.integers(1, 4094).filter(lambda vid: vid not in taken)


def _addressing(draw: st.DrawFn, counter: _Counter, gateway_free: list[bool]) -> Doc:
    """Layer-3 settings for a link that may carry host addresses (or none at all)."""
    kind = draw(st.sampled_from(("none", "none", "v4", "v4v6", "v6", "dhcp", "two-v4")))
    entry: Doc = {}
    if kind in ("v4", "v4v6", "two-v4"):
        n = counter.next_subnet()
        entry["addresses"] = [f"10.{n // 250}.{n % 250}.1/24"]
        if kind == "two-v4":
            m = counter.next_subnet()
            entry["addresses"].append(f"10.{m // 250}.{m % 250}.1/24")
        if gateway_free[0] and draw(st.booleans()):
            entry["gateway"] = f"10.{n // 250}.{n % 250}.254"
            gateway_free[0] = False
        if draw(st.booleans()):
            entry["routes"] = [
                {
                    "to": f"172.{16 + n % 16}.{n // 16 % 256}.0/24",
                    "via": f"10.{n // 250}.{n % 250}.253",
                }
                | ({"metric": draw(st.integers(1, 1000))} if draw(st.booleans()) else {})
            ]
    if kind in ("v4v6", "v6"):
        n = counter.next_subnet()
        entry.setdefault("addresses", []).append(f"2001:db8:{n:x}::1/64")
        if kind == "v6" and draw(st.booleans()):
            entry["method"] = "dhcp"
        if draw(st.booleans()):
            entry["method6"] = draw(st.sampled_from(("static", "auto")))
    if kind == "dhcp":
        entry["method"] = "dhcp"
        if draw(st.booleans()):
            entry["method6"] = draw(st.sampled_from(("auto", "dhcp")))
    return entry


def _bond_options(draw: st.DrawFn, mode: str, slaves: list[str]) -> Doc:
    """Options valid for *mode*: each included or not at random."""
    opts: Doc = {"mode": mode}

    def maybe(name: str, values: st.SearchStrategy[Any]) -> None:
        if draw(st.booleans()):
            opts[name] = draw(values)

    if mode in ARP_MODES and draw(st.integers(0, 3)) == 0:
        n = draw(st.integers(1, 3))
        opts["arp_interval"] = draw(st.sampled_from((100, 200, 1000)))
        opts["arp_ip_target"] = [f"192.0.2.{i + 1}" for i in range(n)]
        maybe("arp_missed_max", st.integers(1, 10))
        maybe("ns_ip6_target", st.just(["2001:db8:ffff::1"]))
        if mode == "active-backup":
            maybe("arp_all_targets", st.sampled_from(("any", "all")))
    else:
        miimon = draw(st.sampled_from((50, 100, 200)))
        opts["miimon"] = miimon
        maybe("updelay", st.integers(0, 4).map(lambda k: k * miimon))
        maybe("downdelay", st.integers(0, 4).map(lambda k: k * miimon))
        maybe("peer_notif_delay", st.integers(0, 4).map(lambda k: k * miimon))
    maybe("use_carrier", st.booleans())
    maybe("all_slaves_active", st.booleans())
    maybe("resend_igmp", st.integers(0, 255))
    if mode == "active-backup":
        maybe("primary", st.sampled_from(slaves))
        maybe("primary_reselect", st.sampled_from(("always", "better", "failure")))
        maybe("fail_over_mac", st.sampled_from(("none", "active", "follow")))
        maybe("num_grat_arp", st.integers(0, 255))
    if mode in ("balance-tlb", "balance-alb"):
        maybe("primary", st.sampled_from(slaves))
        maybe("lp_interval", st.integers(1, 100))
        if mode == "balance-tlb" and draw(st.booleans()):
            opts["tlb_dynamic_lb"] = False
            maybe("xmit_hash_policy", st.sampled_from(("layer2", "layer3+4", "layer2+3")))
    if mode in ("balance-xor", "802.3ad"):
        maybe("xmit_hash_policy", st.sampled_from(("layer2", "layer3+4", "encap2+3")))
    if mode == "balance-rr":
        maybe("packets_per_slave", st.integers(0, 65535))
    if mode == "802.3ad":
        maybe("lacp_rate", st.sampled_from(("slow", "fast")))
        maybe("lacp_active", st.booleans())
        maybe("ad_select", st.sampled_from(("stable", "bandwidth", "count")))
        maybe("ad_actor_sys_prio", st.integers(1, 65535))
        maybe("ad_actor_system", st.just("02:aa:bb:cc:dd:ee"))
        maybe("ad_user_port_key", st.integers(0, 1023))
        maybe("min_links", st.integers(0, len(slaves)))
    return opts


@st.composite
def host_documents(draw: st.DrawFn, max_networks: int = 6) -> Doc:
    """A valid host file document (see the module docstring for what varies)."""
    counter = _Counter()
    gateway_free = [True]
    nic_style = draw(st.sampled_from(("eth{}", "enp{}s0", "eno{}")))
    nics = [
        nic_style.format(i + 1 if nic_style != "eth{}" else i)
        for i in range(draw(st.integers(1, 6)))
    ]
    doc: Doc = {
        "version": 1,
        "hostname": draw(st.from_regex(r"\A[a-z][a-z0-9-]{0,10}[a-z0-9]\Z")),
        "naming": {
            "vlan": draw(st.sampled_from(NAMING_VLAN)),
            "bridge": draw(st.sampled_from(NAMING_BRIDGE)),
        },
        "nics": {name: {} for name in nics},
    }
    if draw(st.booleans()):
        doc["defaults"] = {"bridge": {"stp": draw(st.booleans()), "forward_delay": 4}}
    free = list(nics)
    bonds: Doc = {}
    bond_mtu: dict[str, int] = {}
    addressed: set[str] = set()  # links with layer-3 settings: never bridge ports
    for index in range(draw(st.integers(0, min(2, len(nics))))):
        if not free:
            break
        count = draw(st.integers(1, min(3, len(free))))
        slaves, free = free[:count], free[count:]
        mode = draw(st.sampled_from(BOND_MODES))
        entry = _bond_options(draw, mode, slaves)
        entry["slaves"] = slaves
        if mode in ("active-backup", "broadcast") and draw(st.booleans()):
            entry["separate_switches"] = True
        if draw(st.integers(0, 3)) == 0:
            entry["mtu"] = 9000
        name = f"bond{index}"
        bond_mtu[name] = entry.get("mtu", 1500)
        if draw(st.integers(0, 3)) == 0:
            entry.update(_addressing(draw, counter, gateway_free))
            addressed.add(name)
        bonds[name] = entry
    if bonds:
        doc["bonds"] = bonds
    uplinks = list(bonds) + free[: max(0, len(free) - 2)]
    spare = free[max(0, len(free) - 2) :]  # kept for an explicit bridge of NIC ports
    networks: Doc = {}
    used_vids: dict[str, set[int]] = {}
    untagged_on: set[str] = set()
    for index in range(draw(st.integers(0, max_networks)) if uplinks else 0):
        parent = draw(st.sampled_from(uplinks))
        if parent in untagged_on:
            continue
        entry = {"on": parent}
        if not used_vids.get(parent) and parent not in addressed and draw(st.integers(0, 4)) == 0:
            untagged_on.add(parent)
        else:
            vid = draw(
                st.integers(1, 4094).filter(lambda v, p=parent: v not in used_vids.get(p, ()))
            )
            used_vids.setdefault(parent, set()).add(vid)
            entry["vlan"] = vid
            if draw(st.integers(0, 5)) == 0:
                entry["protocol"] = "802.1ad"
        entry.update(_addressing(draw, counter, gateway_free))
        if draw(st.integers(0, 3)) == 0:
            entry["mtu"] = draw(st.sampled_from((1400, bond_mtu.get(parent, 1500))))
        if draw(st.integers(0, 4)) == 0:
            entry["mac"] = counter.next_mac("02:10:00")
        if draw(st.booleans()):
            entry["stp"] = draw(st.booleans())
            entry["forward_delay"] = draw(st.sampled_from((0, 2, 4, 15, 2.5)))
        if draw(st.integers(0, 4)) == 0:
            entry["ageing"] = draw(st.sampled_from((0, 30, 300, 120.5)))
        networks[f"n{index}"] = entry
    if networks:
        doc["networks"] = networks
    _explicit(draw, doc, uplinks, spare, used_vids, untagged_on, counter)
    _guests(draw, doc, counter)
    if draw(st.booleans()):
        doc["dns"] = {"nameservers": ["192.0.2.53"], "search": ["example.net"]}
    return doc


def _explicit(
    draw: st.DrawFn,
    doc: Doc,
    uplinks: list[str],
    spare: list[str],
    used_vids: dict[str, set[int]],
    untagged_on: set[str],
    counter: _Counter,
) -> None:
    """Explicit vlans/bridges: arbitrary VLAN names, 802.1ad, ports with priority/cost."""
    vlans: Doc = {}
    bridges: Doc = {}
    candidates = [u for u in uplinks if u not in untagged_on]
    for index in range(draw(st.integers(0, 2)) if candidates else 0):
        parent = draw(st.sampled_from(candidates))
        vid = draw(_fresh_vid(used_vids))
        used_vids.setdefault(parent, set()).add(vid)
        name = draw(st.sampled_from((f"x{index}v{vid}", f"{parent[:6]}.{vid}", f"tag{index}")))
        entry: Doc = {"id": vid, "link": parent}
        if draw(st.integers(0, 3)) == 0:
            entry["protocol"] = "802.1ad"
        vlans[name] = entry
        port: Doc = {"name": name}
        if draw(st.booleans()):
            port["priority"] = draw(st.integers(0, 63))
        if draw(st.booleans()):
            port["cost"] = draw(st.integers(1, 65535))
        bridges[f"xbr{index}"] = {"ports": [port]} | _addressing(draw, counter, [False])
    if len(spare) == 2 and draw(st.booleans()):
        ports = [
            {"name": nic, "priority": draw(st.integers(0, 63)), "cost": draw(st.integers(1, 999))}
            for nic in spare
        ]
        bridges["nicbr"] = {"ports": ports, "stp": True, "forward_delay": 4, "hello_time": 1}
    if vlans:
        doc["vlans"] = vlans
    if bridges:
        doc["bridges"] = bridges


def _guests(draw: st.DrawFn, doc: Doc, counter: _Counter) -> None:
    """Guests on random networks, each NIC with a unique locally administered MAC."""
    networks = list(doc.get("networks", {}))
    if not networks:
        return
    guests: Doc = {}
    for index in range(draw(st.integers(0, 4))):
        nics = []
        for _ in range(draw(st.integers(1, 3))):
            nic: Doc = {
                "network": draw(st.sampled_from(networks)),
                "mac": counter.next_mac("52:54:00"),
            }
            nic["mac"] = "02" + nic["mac"][2:]  # locally administered, unicast
            model = draw(st.sampled_from(GUEST_MODELS))
            if model:
                nic["model"] = model
            nics.append(nic)
        guests[f"g{index}"] = {"type": draw(st.sampled_from(("kvm", "xen"))), "nics": nics}
    if guests:
        doc["guests"] = guests
