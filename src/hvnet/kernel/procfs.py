"""Pure parsers for ``/proc/net/bonding/*``, ``/proc/net/vlan/*`` and sysfs values.

The bonding file is the only place that shows the 802.3ad aggregator, churn
state and LACP partner in one read, and it is what support bundles capture.
Its layout changed across kernels (``Peer Notification Delay``, ``ARP Missed
Max``, ``Slave queue ID``, churn lines and the LACP PDU blocks all appeared
over time; ``Speed``/``Duplex`` were once absent or printed as sentinels), so
the parser is a tolerant line classifier rather than a grammar: each field is
optional, unknown lines go to ``extra``, and no input raises.  Format source:
``drivers/net/bonding/bond_procfs.c`` and ``net/8021q/vlanproc.c``.
"""

from __future__ import annotations

from hvnet.kernel.facts import (
    AggregatorInfo,
    BondProcInfo,
    BondSlaveProcInfo,
    LacpPduDetails,
    LacpPortState,
    VlanProcDev,
    VlanProcEntry,
)

TYPE_CHECKING = False  # not typing's: importing typing costs more than this command
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "attr_bool",
    "attr_centiseconds",
    "attr_enum",
    "attr_hex",
    "attr_int",
    "attr_str",
    "bond_mode_from_text",
    "parse_bonding",
    "parse_uevent",
    "parse_vlan_config",
    "parse_vlan_dev",
    "parse_vlan_name_type",
]

# ``bond_mode_name()`` texts; matched case-insensitively on a prefix so that a
# vendor suffix cannot break the mapping.
_MODE_TEXTS: tuple[tuple[str, str], ...] = (
    ("load balancing (round-robin)", "balance-rr"),
    ("fault-tolerance (active-backup)", "active-backup"),
    ("load balancing (xor)", "balance-xor"),
    ("fault-tolerance (broadcast)", "broadcast"),
    ("ieee 802.3ad dynamic link aggregation", "802.3ad"),
    ("transmit load balancing", "balance-tlb"),
    ("adaptive load balancing", "balance-alb"),
)
_KERNEL_MODE_NAMES = frozenset(name for _, name in _MODE_TEXTS)

# Sentinels older kernels printed for an unknown speed (SPEED_UNKNOWN as u16/u32/int).
_UNKNOWN_SPEEDS = frozenset({-1, 0xFFFF, 0xFFFFFFFF})

# The bonding file's line shapes are matched with string methods, not ``re``: importing
# ``re`` (and enum, functools, collections with it) costs ``hvnet status`` on a host with
# a bond more than parsing the file, under the lab's emulation. The comments give the
# regular expression each matcher implements (tests/kernel/test_procfs.py checks them).


def _int(text: str | None) -> int | None:
    """Leading integer of ``text`` (``"1000 Mbps"`` -> 1000), else ``None``.

    ``^[-+]?\\d+`` on the stripped text (``\\d``: any Unicode decimal digit, as int() reads).
    """
    if text is None:
        return None
    text = text.strip()
    start = 1 if text[:1] in ("-", "+") else 0
    end = start
    while end < len(text) and text[end].isdecimal():
        end += 1
    if end == start:
        return None
    try:
        return int(text[:end])
    except ValueError:  # more digits than int() accepts (sys.int_info limit)
        return None


def _paren_suffix(value: str, word: str) -> tuple[str, str] | None:
    """``NAME (WORD SETTING)`` → (NAME, SETTING), else None.

    ``^(?P<name>.*?)\\s*\\(WORD\\s+(?P<setting>[^)]*)\\)\\s*$``, setting stripped: e.g.
    ``fault-tolerance (active-backup) (fail_over_mac none)``.
    """
    text = value.rstrip()
    if not text.endswith(")"):
        return None
    inner = text[:-1]
    opening = "(" + word
    at = inner.find(opening)
    while at >= 0:
        rest = inner[at + len(opening) :]
        if rest[:1].isspace() and ")" not in rest:
            return value[:at].rstrip(), rest.strip()
        at = inner.find(opening, at + 1)
    return None


def _hash_policy(value: str) -> tuple[str, str] | None:
    """``layer2+3 (2)`` → (name, number): ``^(?P<name>\\S+)\\s*\\((?P<num>-?\\d+)\\)\\s*$``."""
    text = value.rstrip()
    if not text.endswith(")"):
        return None
    opening = text.rfind("(")
    if opening < 0:
        return None
    num = text[opening + 1 : -1]
    digits = num[1:] if num.startswith("-") else num
    name = text[:opening].rstrip()
    if not digits.isdecimal() or not name or any(c.isspace() for c in name):
        return None
    return name, num


_NO_AGGREGATOR = "has no active aggregator"


def _no_aggregator(line: str) -> bool:
    """``^bond\\s+\\S+\\s+has no active aggregator\\s*$``, ignoring case."""
    text = line.rstrip()
    low = text.lower()
    if not low.startswith("bond") or not low.endswith(_NO_AGGREGATOR):
        return False
    middle = text[4 : len(text) - len(_NO_AGGREGATOR)]
    bond = middle.strip()
    return (
        middle[:1].isspace()
        and middle[-1:].isspace()
        and bool(bond)
        and not any(c.isspace() for c in bond)
    )


def _details(line: str) -> str | None:
    """``^details\\s+(actor|partner)\\s+lacp\\s+pdu\\s*:?\\s*$`` ignoring case → who."""
    text = line.rstrip()
    if text.endswith(":"):
        text = text[:-1]
    parts = text.lower().split()
    if (
        len(parts) == 4
        and parts[0] == "details"
        and parts[1] in ("actor", "partner")
        and parts[2:] == ["lacp", "pdu"]
    ):
        return parts[1]
    return None


def _hex(text: str | None) -> int | None:
    """``text`` as a hexadecimal integer (``0x`` optional), else ``None``."""
    if not text:
        return None
    try:
        return int(text.strip(), 16)
    except ValueError:
        return None


def bond_mode_from_text(text: str | None) -> str | None:
    """Kernel mode name for a ``Bonding Mode:`` text (or an already-kernel name)."""
    if not text:
        return None
    low = text.strip().lower()
    for prefix, name in _MODE_TEXTS:
        if low.startswith(prefix):
            return name
    if low in _KERNEL_MODE_NAMES:
        return low
    return None


def _split(line: str) -> tuple[str, str] | None:
    """Split ``Key: value`` (first ``": "``) or ``Key:``; ``None`` if no colon.

    Splitting on ``": "`` rather than ``":"`` keeps MAC/IPv6 values and the
    ``(xx::xx form)`` key intact.
    """
    if ": " in line:
        key, _, value = line.partition(": ")
        return key.strip(), value.strip()
    if line.endswith(":"):
        return line[:-1].strip(), ""
    return None


def _targets(value: str) -> tuple[str, ...]:
    return tuple(t.strip() for t in value.split(",") if t.strip())


def _put_extra(extra: dict[str, str], key: str, value: str) -> None:
    extra[key] = f"{extra[key]}\n{value}" if key in extra else value


# --- /proc/net/bonding -------------------------------------------------------

_MASTER_INT_KEYS = {
    "mii polling interval (ms)": "miimon_ms",
    "up delay (ms)": "updelay_ms",
    "down delay (ms)": "downdelay_ms",
    "peer notification delay (ms)": "peer_notif_delay_ms",
    "arp polling interval (ms)": "arp_interval_ms",
    "arp missed max": "arp_missed_max",
    "min links": "min_links",
    "system priority": "system_priority",
}
_AGG_INT_KEYS = {
    "aggregator id": "aggregator_id",
    "number of ports": "number_of_ports",
    "actor key": "actor_key",
    "partner key": "partner_key",
}
_SLAVE_INT_KEYS = {
    "link failure count": "link_failure_count",
    "slave queue id": "queue_id",
    "actor churned count": "actor_churned_count",
    "partner churned count": "partner_churned_count",
}
_PDU_INT_KEYS = {
    "system priority": "system_priority",
    "port key": "port_key",
    "oper key": "port_key",
    "port priority": "port_priority",
    "port number": "port_number",
}


_PDU_KEYS = frozenset({*_PDU_INT_KEYS, "system mac address", "port state"})


class _Slave:
    """Mutable accumulator for one slave section; frozen at the end."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.fields: dict[str, Any] = {}
        self.extra: dict[str, str] = {}
        self.pdus: dict[str, dict[str, Any]] = {}
        self.pdu_extra: dict[str, dict[str, str]] = {}
        self.pdu: str | None = None  # "actor" / "partner" while inside a details block

    def feed(self, key: str, value: str, raw: str) -> None:
        low = key.lower()
        who = _details(raw.strip())
        if who is not None:
            self.pdu = who
            self.pdus.setdefault(self.pdu, {})
            self.pdu_extra.setdefault(self.pdu, {})
            return
        indented = raw[:1] in (" ", "\t")
        if self.pdu is not None and (indented or low in _PDU_KEYS):
            self._feed_pdu(self.pdu, low, key, value)
            return
        self.pdu = None
        f = self.fields
        if low == "mii status":
            f["mii_status"] = value or None
        elif low == "speed":
            f["speed_text"] = value
            speed = _int(value)
            f["speed_mbps"] = None if speed is None or speed in _UNKNOWN_SPEEDS else speed
        elif low == "duplex":
            d = value.lower()
            f["duplex"] = d if d in ("full", "half") else None
        elif low == "permanent hw addr":
            f["perm_hwaddr"] = value.lower() or None
        elif low == "aggregator id":
            agg = _int(value)
            f["aggregator_id"] = agg
            f["has_aggregator"] = agg is not None
        elif low in ("actor churn state", "partner churn state"):
            f[low.split()[0] + "_churn_state"] = value or None
        elif low in _SLAVE_INT_KEYS:
            f[_SLAVE_INT_KEYS[low]] = _int(value)
        else:
            _put_extra(self.extra, key, value)

    def _feed_pdu(self, who: str, low: str, key: str, value: str) -> None:
        pdu = self.pdus[who]
        if low in _PDU_INT_KEYS:
            pdu[_PDU_INT_KEYS[low]] = _int(value)
        elif low == "system mac address":
            pdu["system_mac"] = value.lower() or None
        elif low == "port state":
            state = _int(value)
            pdu["port_state"] = (
                LacpPortState.from_int(state) if state is not None and 0 <= state <= 255 else None
            )
        else:
            _put_extra(self.pdu_extra[who], key, value)

    def build(self) -> BondSlaveProcInfo:
        def pdu(who: str) -> LacpPduDetails | None:
            if who not in self.pdus:
                return None
            return LacpPduDetails(**self.pdus[who], extra=self.pdu_extra[who])

        return BondSlaveProcInfo(
            name=self.name,
            **self.fields,
            actor_lacp=pdu("actor"),
            partner_lacp=pdu("partner"),
            extra=self.extra,
        )


def _feed_master(
    fields: dict[str, Any], agg: dict[str, Any], extra: dict[str, str], key: str, value: str
) -> None:
    """Classify one ``Key: value`` line of the bond (pre-slave) section."""
    low = key.lower()
    if low == "ethernet channel bonding driver":
        fields["driver_version"] = value or None
    elif low == "bonding mode":
        fom = _paren_suffix(value, "fail_over_mac")
        text = fom[0] if fom else value
        fields["mode_text"] = text or None
        fields["mode"] = bond_mode_from_text(text)
        if fom:
            fields["fail_over_mac"] = fom[1] or None
    elif low == "transmit hash policy":
        policy = _hash_policy(value)
        fields["xmit_hash_policy"] = (policy[0] if policy else value) or None
        fields["xmit_hash_policy_id"] = _int(policy[1]) if policy else None
    elif low == "primary slave":
        primary = _paren_suffix(value, "primary_reselect")
        name = primary[0] if primary else value
        fields["primary_slave"] = None if name in ("", "None") else name
        if primary:
            fields["primary_reselect"] = primary[1] or None
    elif low == "currently active slave":
        fields["active_slave"] = None if value in ("", "None") else value
    elif low == "mii status":
        fields["mii_status"] = value or None
    elif low.startswith("arp ip target/s"):
        fields["arp_ip_targets"] = _targets(value)
    elif low.startswith("ns ipv6 target/s"):
        fields["ns_ip6_targets"] = _targets(value)
    elif low == "lacp active":
        fields["lacp_active"] = {"on": True, "off": False}.get(value.lower())
    elif low == "lacp rate":
        fields["lacp_rate"] = value or None
    elif low == "aggregator selection policy (ad_select)":
        fields["ad_select"] = value or None
    elif low == "system mac address":
        fields["system_mac"] = value.lower() or None
    elif low == "active aggregator info":
        fields["has_active_aggregator"] = True
    elif low in _AGG_INT_KEYS:
        agg[_AGG_INT_KEYS[low]] = _int(value)
    elif low == "partner mac address":
        agg["partner_mac"] = value.lower() or None
    elif low in _MASTER_INT_KEYS:
        fields[_MASTER_INT_KEYS[low]] = _int(value)
    else:
        _put_extra(extra, key, value)


def parse_bonding(text: str) -> BondProcInfo:
    """Parse one ``/proc/net/bonding/BOND`` file of any kernel age; never raises.

    The file is a bond section followed by one blank-line-separated section per
    slave, each starting at ``Slave Interface:``.  Lines are classified by key
    within their section; unknown ones are kept in the section's ``extra``.
    """
    fields: dict[str, Any] = {}
    agg: dict[str, Any] = {}
    extra: dict[str, str] = {}
    slaves: list[_Slave] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            if slaves:
                slaves[-1].pdu = None
            continue
        kv = _split(line)
        if kv is not None and kv[0].lower() == "slave interface" and kv[1]:
            slaves.append(_Slave(kv[1]))
            continue
        if slaves:
            key, value = kv if kv is not None else (line, "")
            slaves[-1].feed(key, value, raw)
            continue
        if _no_aggregator(line):
            fields["has_active_aggregator"] = False
        elif line.lower() == "802.3ad info":
            continue
        elif kv is None:
            _put_extra(extra, line, "")
        else:
            _feed_master(fields, agg, extra, *kv)
    if agg:
        fields.setdefault("has_active_aggregator", True)
    return BondProcInfo(
        **fields,
        active_aggregator=AggregatorInfo(**agg) if agg else None,
        slaves=tuple(s.build() for s in slaves),
        extra=extra,
    )


# --- /proc/net/vlan ----------------------------------------------------------


def parse_vlan_config(text: str) -> list[VlanProcEntry]:
    """Rows of ``/proc/net/vlan/config`` (``name | VID | parent``); never raises.

    The two header lines (column titles, ``Name-Type:``) are skipped; use
    :func:`parse_vlan_name_type` for the latter.
    """
    entries: list[VlanProcEntry] = []
    for raw in text.splitlines():
        if raw.count("|") < 2 or raw.startswith("VLAN Dev name"):
            continue
        name, vid, parent = (p.strip() for p in raw.split("|", 2))
        if not name:
            continue
        entries.append(VlanProcEntry(name=name, vid=_int(vid), parent=parent or None))
    return entries


def parse_vlan_name_type(text: str) -> str | None:
    """The ``Name-Type:`` value of ``/proc/net/vlan/config``, if present."""
    for raw in text.splitlines():
        if raw.startswith("Name-Type:"):
            return raw.partition(":")[2].strip() or None
    return None


_VLAN_HEAD = (
    r"^(?P<name>\S+)\s+VID:\s*(?P<vid>-?\d+)\s+REORDER_HDR:\s*(?P<reorder>-?\d+)"
    r"(?:\s+dev->priv_flags:\s*(?P<flags>[0-9a-fA-F]+))?"
)
_VLAN_COUNTERS = {
    "total frames received": "rx_frames",
    "total bytes received": "rx_bytes",
    "broadcast/multicast rcvd": "rx_multicast",
    "total frames transmitted": "tx_frames",
    "total bytes transmitted": "tx_bytes",
}
_MAP = r"(\d+):(\d+)"
_COUNTER = r"^(?P<label>.*?)\s+(?P<num>\d+)\s*$"


def _qos_map(text: str) -> dict[int, int]:
    import re  # /proc/net/vlan is read only from recorded trees: no cost for live status

    pairs = ((_int(a), _int(b)) for a, b in re.findall(_MAP, text))
    return {a: b for a, b in pairs if a is not None and b is not None}


def parse_vlan_dev(text: str) -> VlanProcDev:
    """Parse ``/proc/net/vlan/DEV`` (header, counters, Device, QoS maps); never raises."""
    import re

    fields: dict[str, Any] = {}
    extra: dict[str, str] = {}
    ingress: dict[int, int] = {}
    egress: dict[int, int] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        head = re.match(_VLAN_HEAD, line)
        if head is not None and "name" not in fields:
            fields["name"] = head.group("name")
            fields["vid"] = _int(head.group("vid"))
            fields["reorder_hdr"] = head.group("reorder") != "0"
            flags = head.group("flags")
            fields["priv_flags"] = _hex(flags)
            continue
        low = line.lower()
        if low.startswith("ingress priority mappings:"):
            ingress = _qos_map(line.partition(":")[2])
            continue
        if low.startswith("egress priority mappings:"):
            egress = _qos_map(line.partition(":")[2])
            continue
        if low.startswith("device:"):
            fields["parent"] = line.partition(":")[2].strip() or None
            continue
        m = re.match(_COUNTER, line)
        if m is not None and m.group("label").lower() in _VLAN_COUNTERS:
            fields[_VLAN_COUNTERS[m.group("label").lower()]] = _int(m.group("num"))
            continue
        kv = _split(line)
        key, value = kv if kv is not None else (line, "")
        _put_extra(extra, key, value)
    return VlanProcDev(**fields, ingress_map=ingress, egress_map=egress, extra=extra)


# --- sysfs attribute values ----------------------------------------------------
# One sysfs file holds one value; these turn its text (``None`` if unreadable)
# into a typed value or ``None``, never raising.


def attr_str(text: str | None) -> str | None:
    """Trimmed text; an empty file (e.g. ``active_slave`` with none) is ``None``."""
    if text is None:
        return None
    value = text.strip()
    return value or None


def attr_int(text: str | None) -> int | None:
    """Decimal (or ``0x`` hex) integer; int() itself ignores the trailing newline."""
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return int(text, 16) if text.strip().lower().startswith("0x") else None
    except ValueError:
        return None


def attr_hex(text: str | None) -> int | None:
    """Hex with or without ``0x`` (``port_id`` prints ``0x8001``, masks ``0x0``)."""
    value = attr_str(text)
    return None if value is None else attr_int(value if value[:2].lower() == "0x" else "0x" + value)


def attr_bool(text: str | None) -> bool | None:
    """``0``/``1`` flag files (``carrier``, ``learning``, ...)."""
    value = attr_int(text)
    return None if value is None else value != 0


def attr_enum(text: str | None) -> str | None:
    """sysfs enum files print ``name number`` (``802.3ad 4``): keep the name."""
    value = attr_str(text)
    if value is None:
        return None
    parts = value.split()
    if len(parts) >= 2 and parts[-1].lstrip("-").isdigit():
        return " ".join(parts[:-1])
    return value


def attr_centiseconds(text: str | None) -> float | None:
    """Bridge timers are printed in centiseconds (USER_HZ 100): return seconds."""
    value = attr_int(text)
    return None if value is None else value / 100.0


def parse_uevent(text: str | None) -> dict[str, str]:
    """``KEY=value`` lines of a ``uevent`` file (DEVTYPE, INTERFACE, IFINDEX)."""
    out: dict[str, str] = {}
    for line in (text or "").splitlines():
        key, sep, value = line.partition("=")
        if sep:
            out[key.strip()] = value.strip()
    return out
