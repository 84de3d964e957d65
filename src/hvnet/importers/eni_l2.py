"""Bond, VLAN and bridge keywords of ENI stanzas (eni-dialects.md §3-§5) and their values.

Spellings: the syntax layer already folds ``_`` into ``-`` and lower-cases names, which is
exactly how ifupdown's environment variables and ifupdown2's parser treat them (§1.4), so
``bond_mode`` and ``bridge_fd`` need no special case here. Values follow the most permissive
of the tools that read them (modes by name or number, ``yes``/``on``/``1``), are converted to
operator units (seconds for bridge timers, as in ENI), and are validated against the same
pydantic types the hvnet config uses, so an imported value is never one the config refuses.
Anything the model cannot hold is reported with the reason, never dropped.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pydantic import ValidationError

from hvnet.eni.syntax import Option, Stanza
from hvnet.importers import NoteKind
from hvnet.importers.eni_draft import Draft
from hvnet.importers.eni_l3 import MAC, L3Reader
from hvnet.importers.eni_notes import NoteBook
from hvnet.model import LinkKind, VlanProtocol
from hvnet.options import (
    BOND_OPTION_SPECS,
    BRIDGE_ENI_KEYWORDS,
    AdSelect,
    ArpValidate,
    BondMode,
    BondOptions,
    BridgeOptions,
    FailOverMac,
    PrimaryReselect,
    XmitHashPolicy,
)

#: ENI keyword → BondOptions field (ifenslave and ifupdown2 keywords, deprecated aliases).
BOND_KEYWORDS: dict[str, str] = {
    spec.eni: name for name, spec in BOND_OPTION_SPECS.items() if spec.eni is not None
} | {
    "bond-num-unsol-na": "num_grat_arp",
    "bond-ad-sys-priority": "ad_actor_sys_prio",
    "bond-ad-sys-mac-addr": "ad_actor_system",
}
MEMBERSHIP_KEYWORDS = frozenset({"bond-slaves", "slaves", "bond-ports"})
BOND_NOT_MODELLED = {
    "bond-active-slave": "the currently active slave is run-time state, not configuration",
    "bond-queue-id": "slave queue ids are not part of the hvnet model (and broken in ifenslave)",
    "bond-give-a-chance": "ifenslave's primary wait at boot is not part of the hvnet model",
    "bond-lacp-bypass-allow": "LACP bypass exists only in Cumulus kernels",
}
#: Values named by number in sysfs/ifenslave (index = number).
_NUMBERED: dict[str, tuple[str, ...]] = {
    "mode": tuple(m.value for m in BondMode),
    "xmit_hash_policy": tuple(x.value for x in XmitHashPolicy),
    "arp_validate": tuple(a.value for a in ArpValidate),
    "primary_reselect": tuple(p.value for p in PrimaryReselect),
    "fail_over_mac": tuple(f.value for f in FailOverMac),
    "ad_select": tuple(a.value for a in AdSelect),
    "lacp_rate": ("slow", "fast"),
    "arp_all_targets": ("any", "all"),
}
_BOOLEANS = {"1": True, "yes": True, "on": True, "true": True}
_BOOLEANS |= {"0": False, "no": False, "off": False, "false": False}
_BOOL_FIELDS = frozenset({"use_carrier", "tlb_dynamic_lb", "all_slaves_active", "lacp_active"})

#: ENI keyword → BridgeOptions field.
BRIDGE_KEYWORDS = {keyword: name for name, keyword in BRIDGE_ENI_KEYWORDS.items()}
BRIDGE_OWN = frozenset(
    {"bridge-ports", "bridge-portprio", "bridge-portprios", "bridge-pathcost"}
    | {"bridge-pathcosts", "bridge-hw", "bridge-waitport", "bridge-gcint"}
)
#: ifupdown2 bridge and bridge-port attributes (ifupdown-addons-interfaces(5)) hvnet lacks.
BRIDGE_NOT_MODELLED = frozenset(
    {"bridge-vids", "bridge-pvid", "bridge-access", "bridge-allow-untagged"}
    | {"bridge-vlan-protocol", "bridge-mcsnoop", "bridge-mcquerier", "bridge-learning"}
    | {"bridge-unicast-flood", "bridge-multicast-flood", "bridge-arp-nd-suppress"}
    | {"bridge-igmp-querier-src", "bridge-mcrouter", "bridge-portmcrouter", "bridge-portmcfl"}
    | {"bridge-mclmc", "bridge-mcrouter", "bridge-mcsqc", "bridge-mcqifaddr", "bridge-hashel"}
    | {"bridge-hashmax", "bridge-mclmi", "bridge-mcmi", "bridge-mcqpi", "bridge-mcqi"}
    | {"bridge-mcqri", "bridge-mcsqi", "bridge-mcstats", "bridge-l2protocol-tunnel"}
    | {"bridge-vlan-stats", "bridge-ports-condone-regex", "bridge-bridgeprio-port"}
)
VLAN_KEYWORDS = frozenset({"vlan-raw-device", "vlan-id", "vlan-protocol", "hw-mac-address"})

#: Option-name prefixes of device types hvnet does not manage, with the reason.
FOREIGN_PREFIXES = (
    ("ovs-", "Open vSwitch is not managed by hvnet (Linux bridges only)"),
    ("vxlan-", "VXLAN devices are not part of the hvnet model"),
    ("vrf", "VRFs are not part of the hvnet model"),
    ("veth-", "veth pairs are not part of the hvnet model"),
    ("link-type", "this device type is not part of the hvnet model"),
    ("wpa-", "Wi-Fi settings are not part of the hvnet model"),
    ("wireless-", "Wi-Fi settings are not part of the hvnet model"),
    ("ip-", "per-interface sysctl settings are not part of the hvnet model"),
    ("arp-", "per-interface ARP settings are not part of the hvnet model"),
    ("mstpctl-", "mstpd settings are not part of the hvnet model"),
    ("clag", "MLAG (clag) settings are not part of the hvnet model"),
    ("tunnel-", "tunnels are not part of the hvnet model"),
)


def bond_value(field: str, text: str) -> Any:
    """A bond option's ENI/sysfs text as the BondOptions field value; ValueError if invalid."""
    words = text.split()
    if not words:
        raise ValueError("empty value")
    if field in ("arp_ip_target", "ns_ip6_target"):
        if any(w.startswith("+") for w in words):
            raise ValueError("a '+' before a target (ifenslave adds it itself)")
        return tuple(w for t in words for w in t.split(",") if w)
    if len(words) > 1:
        raise ValueError(f"one value expected, got {len(words)}")
    word = words[0]
    names = _NUMBERED.get(field)
    if names is not None:
        lowered = word.lower()
        if lowered.isdigit() and int(lowered) < len(names):
            return names[int(lowered)]
        if lowered in names:
            return lowered
        raise ValueError(f"{word!r} is not one of {', '.join(names)} (or 0-{len(names) - 1})")
    if field in _BOOL_FIELDS:
        if word.lower() not in _BOOLEANS:
            raise ValueError(f"{word!r} is not a yes/no value")
        return _BOOLEANS[word.lower()]
    if field in ("primary", "ad_actor_system"):
        return word
    if not word.isdigit():
        raise ValueError(f"{word!r} is not a whole number")
    return int(word)


@lru_cache(maxsize=4096)
def check_bond(field: str, value: Any) -> str | None:
    """Why the config would refuse this option value, or None when it is accepted.

    Cached: a host with thousands of bridges repeats the same few values, and a pydantic
    validation per option line was a tenth of the import time of such a file.
    """
    try:
        BondOptions.model_validate({field: value})
    except ValidationError as exc:
        return "; ".join(e["msg"] for e in exc.errors())
    return None


@lru_cache(maxsize=4096)
def check_bridge(field: str, value: Any) -> str | None:
    try:
        BridgeOptions.model_validate({field: value})
    except ValidationError as exc:
        return "; ".join(e["msg"] for e in exc.errors())
    return None


@lru_cache(maxsize=1024)
def bond_options_of(items: tuple[tuple[str, Any], ...]) -> BondOptions:
    """Validated options from checked (field, value) pairs (cached, see check_bond)."""
    return BondOptions.model_validate(dict(items))


@lru_cache(maxsize=1024)
def bridge_options_of(items: tuple[tuple[str, Any], ...]) -> BridgeOptions:
    return BridgeOptions.model_validate(dict(items))


def bridge_value(field: str, text: str) -> Any:
    """A bridge keyword's ENI text as the BridgeOptions field value (seconds stay seconds)."""
    word = text.strip()
    if field in ("stp", "vlan_filtering"):
        if word.lower() not in _BOOLEANS:
            raise ValueError(f"{word!r} is not on/off (yes/no)")
        return _BOOLEANS[word.lower()]
    if field in ("priority", "maxwait"):
        if not word.isdigit():
            raise ValueError(f"{word!r} is not a whole number")
        return int(word)
    try:
        return float(word)
    except ValueError:
        raise ValueError(f"{word!r} is not a number of seconds") from None


class L2Reader:
    """Reads bond, VLAN and bridge keywords of stanzas into drafts."""

    def __init__(self, notes: NoteBook, l3: L3Reader) -> None:
        self.notes = notes
        self.l3 = l3

    def stanza(self, stanza: Stanza, draft: Draft) -> set[int]:
        claimed: set[int] = set()
        for keyword in ("bridge-portprio", "bridge-pathcost") * (draft.kind is LinkKind.BRIDGE):
            repeated = stanza.get(keyword)[1:]
            if repeated:
                self.notes.option(
                    repeated[0],
                    f"{keyword} repeated: bridge-utils passes the joined lines to one brctl "
                    "call, which fails (eni-dialects.md §5.2); every pair imported",
                    NoteKind.CONVERTED,
                )
        for index, option in enumerate(stanza.options):
            name = option.canonical
            if name == "bond-master" or name in MEMBERSHIP_KEYWORDS or name in BOND_KEYWORDS:
                self._bond(option, draft)
            elif name == "hvnet-separate-switches":  # hvnet's own marker (see render/eni.py)
                draft.separate_switches = option.value_without_comment.strip() == "yes"
            elif name in BOND_NOT_MODELLED:
                self.notes.option(option, BOND_NOT_MODELLED[name])
            elif name in VLAN_KEYWORDS:
                self._vlan(option, draft)
            elif name in BRIDGE_KEYWORDS or name in BRIDGE_OWN:
                self._bridge(option, draft)
            elif name in BRIDGE_NOT_MODELLED:
                what = "bridge" if draft.kind is LinkKind.BRIDGE else "bridge-port"
                self.notes.option(option, f"ifupdown2 {what} attribute not part of the hvnet model")
            else:
                reason = next((r for p, r in FOREIGN_PREFIXES if name.startswith(p)), None)
                if reason is None:
                    continue
                self.notes.option(option, reason)
            claimed.add(index)
        return claimed

    # -- bonds ------------------------------------------------------------------------------

    def _bond(self, option: Option, draft: Draft) -> None:
        name, words = option.canonical, option.words
        if name == "bond-master":
            if len(words) != 1:
                self.notes.option(option, "bond-master takes one bond name")
            elif draft.master is not None and draft.master[0] != words[0]:
                self.notes.option(
                    option,
                    f"a second bond-master: {draft.master[0]} kept",
                    NoteKind.INCONSISTENT,
                )
            else:
                draft.master = draft.master or (words[0], option.location)
            return
        slave_side = draft.master is not None or any(
            o.canonical == "bond-master" for s in draft.stanzas for o in s.options
        )
        if name in MEMBERSHIP_KEYWORDS:
            if slave_side:
                self.notes.option(
                    option,
                    "bond-slaves in a stanza that also has bond-master: ifenslave treats the "
                    "interface as a slave and ignores this list",
                    NoteKind.INCONSISTENT,
                )
            elif draft.kind is not LinkKind.BOND:
                self.notes.option(option, f"{draft.name} is not a bond")
            else:
                self._slaves(option, draft)
            return
        field = BOND_KEYWORDS[name]
        try:
            value = bond_value(field, option.value_without_comment)
        except ValueError as exc:
            self.notes.option(option, str(exc))
            return
        problem = check_bond(field, value)
        if problem is not None:
            self.notes.option(option, problem)
            return
        if draft.kind is LinkKind.BOND:
            target = draft.bond_options
        elif slave_side:
            target = draft.slave_side
        else:
            self.notes.option(option, f"bond option on {draft.name}, which is not a bond")
            return
        self.set_bond_option(draft.name, target, field, value, option)

    def set_bond_option(
        self, bond: str, target: dict[str, Any], field: str, value: Any, option: Option
    ) -> None:
        known = target.get(field)
        if known is not None and known[0] != value:
            self.notes.option(
                option,
                f"{field} of {bond} is set twice; the first value ({known[0]}) is kept",
                NoteKind.INCONSISTENT,
            )
            return
        if known is None:
            target[field] = (value, option.location)

    def _slaves(self, option: Option, draft: Draft) -> None:
        words = option.words
        if words == ("none",):
            draft.slaves_none = option.location
            return
        if "all" in words:
            self.notes.option(
                option,
                "'all' enslaves every eth* interface present at boot: not expanded, list the "
                "slaves instead",
            )
            words = tuple(w for w in words if w != "all")
        if "glob" in words or "regex" in words:
            self.notes.option(option, "glob/regex slave patterns are not expanded")
            words = tuple(w for w in _without_patterns(words))
        for word in words:
            draft.add_slave(word, option.location)

    # -- VLANs ------------------------------------------------------------------------------

    def _vlan(self, option: Option, draft: Draft) -> None:
        name, words = option.canonical, option.words
        if name == "hw-mac-address":
            if words and MAC.match(words[0]):
                self.l3.set_mac(draft, words[0], option)
            else:
                self.notes.option(option, "not a MAC address")
            return
        if draft.kind is not LinkKind.VLAN:
            self.notes.option(option, f"{draft.name} is not a VLAN")
            return
        if len(words) != 1:
            self.notes.option(option, f"{name} takes one value")
        elif name == "vlan-raw-device":
            draft.raw_device = draft.raw_device or (words[0], option.location)
        elif name == "vlan-id":
            if not words[0].isdigit():
                self.notes.option(option, f"{words[0]!r} is not a VLAN id")
            else:
                draft.vlan_id = draft.vlan_id or (int(words[0]), option.location)
        else:
            protocol = {"802.1q": VlanProtocol.DOT1Q, "802.1ad": VlanProtocol.DOT1AD}
            if words[0].lower() not in protocol:
                self.notes.option(option, "vlan-protocol is 802.1q or 802.1ad")
            else:
                draft.protocol = (protocol[words[0].lower()], option.location)

    # -- bridges ----------------------------------------------------------------------------

    def _bridge(self, option: Option, draft: Draft) -> None:
        name, words = option.canonical, option.words
        if draft.kind is not LinkKind.BRIDGE:
            self.notes.option(option, f"{draft.name} is not a bridge")
            return
        if name == "bridge-ports":
            self._ports(option, draft)
        elif name in ("bridge-portprio", "bridge-portprios", "bridge-pathcost", "bridge-pathcosts"):
            self._port_settings(option, draft)
        elif name == "bridge-hw":
            if words and MAC.match(words[0]):
                self.l3.set_mac(draft, words[0], option)
            else:
                self.notes.option(
                    option, "a MAC copied from another interface is not part of the hvnet model"
                )
        elif name == "bridge-waitport":
            if words and words[0] == "0":
                self.notes.option(option, "waits for nothing: the default", NoteKind.CONVERTED)
            else:
                self.notes.option(option, "waiting for ports at boot is not part of hvnet model")
        elif name == "bridge-gcint":
            self.notes.option(option, "the garbage collection interval has no kernel setting")
        else:
            field = BRIDGE_KEYWORDS[name]
            try:
                value = bridge_value(field, option.value_without_comment)
            except ValueError as exc:
                self.notes.option(option, str(exc))
                return
            self.set_bridge_option(draft, field, value, option)

    def set_bridge_option(self, draft: Draft, field: str, value: Any, option: Option) -> None:
        problem = check_bridge(field, value)
        if problem is not None:
            self.notes.option(option, problem)
            return
        known = draft.bridge_options.get(field)
        if known is not None and known[0] != value:
            self.notes.option(
                option,
                f"{field} of {draft.name} is set twice; the first value ({known[0]}) is kept",
                NoteKind.INCONSISTENT,
            )
        elif known is None:
            draft.bridge_options[field] = (value, option.location)

    def _ports(self, option: Option, draft: Draft) -> None:
        words = option.words
        if words == ("none",):
            return
        kept = list(_without_patterns(words))
        if "all" in kept:
            kept.remove("all")
            self.notes.option(
                option,
                "'all' bridges every eth*/em*/en*/p<N>* interface found at boot: not "
                f"expanded{_listed(kept)}",
            )
        elif len(kept) != len(words):
            self.notes.option(option, f"glob/regex port patterns are not expanded{_listed(kept)}")
        for port in kept:
            draft.add_port(port, option.location)

    def _port_settings(self, option: Option, draft: Draft) -> None:
        name, words = option.canonical, option.words
        pairs: list[tuple[str, str]] = []
        if name.endswith("s"):  # ifupdown2: PORT=VALUE ...
            pairs = [tuple(w.split("=", 1)) for w in words if "=" in w]  # type: ignore[misc]
            ok = len(pairs) == len(words)
        else:  # bridge-utils: PORT VALUE
            pairs = [(words[i], words[i + 1]) for i in range(0, len(words) - 1, 2)]
            ok = len(words) % 2 == 0 and bool(words)
        table = draft.port_priority if "prio" in name else draft.port_cost
        low, high = (0, 63) if "prio" in name else (1, 65535)
        if not ok:
            self.notes.option(option, "expected PORT VALUE (or PORT=VALUE) pairs")
            return
        for port, value in pairs:
            if not value.isdigit() or not low <= int(value) <= high:
                self.notes.option(option, f"{value!r} for {port} is not in {low}-{high}")
            elif port in table and table[port][0] != int(value):
                self.notes.option(
                    option,
                    f"{port} has two values; the first ({table[port][0]}) is kept",
                    NoteKind.INCONSISTENT,
                )
            else:
                table.setdefault(port, (int(value), option.location))


def _without_patterns(words: tuple[str, ...]) -> list[str]:
    """Words without ``glob X``/``regex X`` (ifupdown2) or ``regex … noregex`` (bridge-utils)."""
    kept: list[str] = []
    index = 0
    sticky = "noregex" in words
    while index < len(words):
        word = words[index]
        if word == "regex" and sticky:
            end = words.index("noregex", index) if "noregex" in words[index:] else len(words)
            index = end + 1
            continue
        if word in ("glob", "regex"):
            index += 2
            continue
        if word != "noregex":
            kept.append(word)
        index += 1
    return kept


def _listed(ports: list[str]) -> str:
    return f"; the ports named ({', '.join(ports)}) are imported" if ports else ""
