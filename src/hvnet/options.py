"""Bond and bridge options: declared once, used by the schema, validator, renderers and lab.

Following ifupdown2's attribute tables, each kernel option is described a single time here
(its type and range in :mod:`hvnet.options_schema`): the modes the kernel accepts it in,
whether it only *matters* in some modes, and how it is spelled in ENI, sysfs and netlink.
Parsers, rules, renderers and ``hvnet explain`` read these tables instead of repeating the
knowledge.
Facts come from ../shared/reference/kernel-semantics.md §2 and eni-dialects.md §3.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, StrEnum
from ipaddress import IPv4Address, IPv6Address
from typing import Any, ClassVar, Literal, Self


class BondMode(StrEnum):
    """Kernel bonding modes by their sysfs names (numbers 0-6 in netlink)."""

    BALANCE_RR = "balance-rr"
    ACTIVE_BACKUP = "active-backup"
    BALANCE_XOR = "balance-xor"
    BROADCAST = "broadcast"
    LACP = "802.3ad"
    BALANCE_TLB = "balance-tlb"
    BALANCE_ALB = "balance-alb"

    @property
    def number(self) -> int:
        return list(BondMode).index(self)


class ArpValidate(StrEnum):
    NONE = "none"
    ACTIVE = "active"
    BACKUP = "backup"
    ALL = "all"
    FILTER = "filter"
    FILTER_ACTIVE = "filter_active"
    FILTER_BACKUP = "filter_backup"


class XmitHashPolicy(StrEnum):
    LAYER2 = "layer2"
    LAYER34 = "layer3+4"
    LAYER23 = "layer2+3"
    ENCAP23 = "encap2+3"
    ENCAP34 = "encap3+4"
    VLAN_SRCMAC = "vlan+srcmac"


class PrimaryReselect(StrEnum):
    ALWAYS = "always"
    BETTER = "better"
    FAILURE = "failure"


class FailOverMac(StrEnum):
    NONE = "none"
    ACTIVE = "active"
    FOLLOW = "follow"


class AdSelect(StrEnum):
    STABLE = "stable"
    BANDWIDTH = "bandwidth"
    COUNT = "count"


LacpRate = Literal["slow", "fast"]
ArpAllTargets = Literal["any", "all"]


def _to_json(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, IPv4Address | IPv6Address):
        return str(value)
    if isinstance(value, tuple | list):
        return [_to_json(v) for v in value]
    return value


def _rebuild(cls: type[_Options], values: tuple[Any, ...]) -> _Options:
    """Unpickling: values in field order, set without validation."""
    made = object.__new__(cls)
    for name, value in zip(cls.model_fields, values, strict=True):
        object.__setattr__(made, name, value)
    return made


class _Options:
    """Immutable option values without pydantic: the resolved model, the planner and status
    carry these, so their commands start without importing the validation stack.

    The few pydantic methods the rest of hvnet uses are provided with the same meaning:
    ``model_construct`` (no checks), ``model_validate`` (checked by the schema class in
    :mod:`hvnet.options_schema`, imported only then), ``model_dump``, ``model_copy`` and
    ``model_fields`` (name → default).
    """

    __slots__ = ()
    model_fields: ClassVar[dict[str, Any]] = {}
    _schema: ClassVar[str] = ""

    def __init__(self, **values: Any) -> None:
        fields = self.model_fields
        for name in values:
            if name not in fields:
                raise TypeError(f"{type(self).__name__} has no option {name!r}")
        for name, default in fields.items():
            object.__setattr__(self, name, values.get(name, default))

    @classmethod
    def model_construct(cls, **values: Any) -> Self:
        return cls(**values)

    @classmethod
    def model_validate(cls, data: Any) -> Self:
        """Checked values (ranges, enums, aliases such as num_unsol_na); raises pydantic's
        ValidationError (a ValueError) like the schema class would."""
        if isinstance(data, cls):
            return data
        from hvnet import options_schema

        checked = getattr(options_schema, cls._schema).model_validate(data)
        return cls(**{name: getattr(checked, name) for name in cls.model_fields})

    def model_dump(self, *, exclude_none: bool = False, mode: str = "python") -> dict[str, Any]:
        dumped = {name: getattr(self, name) for name in self.model_fields}
        if exclude_none:
            dumped = {k: v for k, v in dumped.items() if v is not None}
        if mode == "json":
            dumped = {k: _to_json(v) for k, v in dumped.items()}
        return dumped

    def model_copy(self, *, update: dict[str, Any] | None = None) -> Self:
        return type(self)(**{**self.model_dump(), **(update or {})})

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.model_fields)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._values()))

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.model_fields)
        return f"{type(self).__name__}({shown})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self._values()))


_BOND_DEFAULTS: dict[str, Any] = {
    "mode": BondMode.BALANCE_RR,
    **dict.fromkeys(("miimon", "updelay", "downdelay", "peer_notif_delay", "use_carrier")),
    "arp_interval": None,
    "arp_ip_target": (),
    "ns_ip6_target": (),
    **dict.fromkeys(("arp_validate", "arp_all_targets", "arp_missed_max", "primary")),
    **dict.fromkeys(("primary_reselect", "fail_over_mac", "xmit_hash_policy", "lacp_rate")),
    **dict.fromkeys(("lacp_active", "ad_select", "ad_actor_sys_prio", "ad_actor_system")),
    **dict.fromkeys(("ad_user_port_key", "min_links", "all_slaves_active", "num_grat_arp")),
    **dict.fromkeys(("resend_igmp", "packets_per_slave", "tlb_dynamic_lb", "lp_interval")),
}


class BondOptions(_Options):
    """Every kernel bonding option; ``None`` means "leave the kernel default" (ranges and
    descriptions: :class:`hvnet.options_schema.BondOptionsSchema`)."""

    __slots__ = tuple(_BOND_DEFAULTS)
    model_fields: ClassVar[dict[str, Any]] = _BOND_DEFAULTS
    _schema: ClassVar[str] = "BondOptionsSchema"

    mode: BondMode
    miimon: int | None
    updelay: int | None
    downdelay: int | None
    peer_notif_delay: int | None
    use_carrier: bool | None
    arp_interval: int | None
    arp_ip_target: tuple[IPv4Address, ...]
    ns_ip6_target: tuple[IPv6Address, ...]
    arp_validate: ArpValidate | None
    arp_all_targets: ArpAllTargets | None
    arp_missed_max: int | None
    primary: str | None
    primary_reselect: PrimaryReselect | None
    fail_over_mac: FailOverMac | None
    xmit_hash_policy: XmitHashPolicy | None
    lacp_rate: LacpRate | None
    lacp_active: bool | None
    ad_select: AdSelect | None
    ad_actor_sys_prio: int | None
    ad_actor_system: str | None
    ad_user_port_key: int | None
    min_links: int | None
    all_slaves_active: bool | None
    num_grat_arp: int | None
    resend_igmp: int | None
    packets_per_slave: int | None
    tlb_dynamic_lb: bool | None
    lp_interval: int | None


_RR, _AB, _XOR, _BC, _AD, _TLB, _ALB = list(BondMode)
_NOT_ARP_MODES = frozenset({_RR, _AB, _XOR, _BC})


@dataclass(frozen=True, slots=True)
class BondOptionSpec:
    """How one bond option is spelled elsewhere and in which modes it is legal or useful.

    ``kernel_modes``: modes the kernel accepts it in (others fail with EACCES: an error).
    ``effective_modes``: modes where it has an effect (others: accepted but useless: a warning).
    ``eni``: the ifenslave/ifupdown2 keyword, or None when ENI dialects have none.
    """

    field: str
    sysfs: str
    eni: str | None
    kernel_modes: frozenset[BondMode] | None = None
    effective_modes: frozenset[BondMode] | None = None


def _spec(
    field: str,
    eni: str | None = "",
    sysfs: str = "",
    kernel: frozenset[BondMode] | None = None,
    effective: frozenset[BondMode] | None = None,
) -> BondOptionSpec:
    eni_name = ("bond-" + field.replace("_", "-")) if eni == "" else eni
    return BondOptionSpec(field, sysfs or field, eni_name, kernel, effective)


BOND_OPTION_SPECS: dict[str, BondOptionSpec] = {
    s.field: s
    for s in (
        _spec("mode"),
        _spec("miimon"),
        _spec("updelay"),
        _spec("downdelay"),
        _spec("peer_notif_delay", eni=None),
        _spec("use_carrier"),
        _spec("arp_interval", kernel=_NOT_ARP_MODES),
        _spec("arp_ip_target", effective=_NOT_ARP_MODES),
        _spec("ns_ip6_target", eni=None, effective=_NOT_ARP_MODES),
        _spec("arp_validate", kernel=_NOT_ARP_MODES),
        _spec("arp_all_targets", eni=None, effective=frozenset({_AB})),
        _spec("arp_missed_max", eni=None, kernel=_NOT_ARP_MODES),
        _spec("primary", kernel=frozenset({_AB, _TLB, _ALB})),
        _spec("primary_reselect", effective=frozenset({_AB, _TLB, _ALB})),
        _spec("fail_over_mac", effective=frozenset({_AB})),
        _spec("xmit_hash_policy", effective=frozenset({_XOR, _AD, _TLB, _ALB})),
        _spec("lacp_rate", kernel=frozenset({_AD})),
        _spec("lacp_active", eni=None, kernel=frozenset({_AD})),
        _spec("ad_select", effective=frozenset({_AD})),
        _spec("ad_actor_sys_prio", kernel=frozenset({_AD})),
        _spec("ad_actor_system", kernel=frozenset({_AD})),
        _spec("ad_user_port_key", eni=None, kernel=frozenset({_AD})),
        _spec("min_links", effective=frozenset({_AD})),
        _spec("all_slaves_active", eni=None),
        _spec("num_grat_arp", effective=frozenset({_AB})),
        _spec("resend_igmp", eni=None),
        _spec("packets_per_slave", kernel=frozenset({_RR})),
        _spec("tlb_dynamic_lb", kernel=frozenset({_TLB, _ALB})),
        _spec("lp_interval", eni=None, effective=frozenset({_TLB, _ALB})),
    )
}

#: Bonding modes that keep working when the slaves go to two independent switches.
SEPARATE_SWITCH_SAFE_MODES = frozenset({BondMode.ACTIVE_BACKUP, BondMode.BROADCAST})
#: Modes in which the kernel forces miimon to 100 when no monitor is configured.
MIIMON_FORCED_MODES = frozenset({BondMode.LACP, BondMode.BALANCE_TLB, BondMode.BALANCE_ALB})


_BRIDGE_DEFAULTS: dict[str, Any] = dict.fromkeys(
    ("stp", "forward_delay", "hello_time", "max_age", "ageing", "priority", "vlan_filtering")
) | {"maxwait": None}


class BridgeOptions(_Options):
    """Bridge settings in operator units (seconds); ``None`` leaves the kernel default
    (ranges: :class:`hvnet.options_schema.BridgeOptionsSchema`)."""

    __slots__ = tuple(_BRIDGE_DEFAULTS)
    model_fields: ClassVar[dict[str, Any]] = _BRIDGE_DEFAULTS
    _schema: ClassVar[str] = "BridgeOptionsSchema"

    stp: bool | None
    forward_delay: float | None
    hello_time: float | None
    max_age: float | None
    ageing: float | None
    priority: int | None
    vlan_filtering: bool | None
    maxwait: int | None

    def merged_over(self, base: BridgeOptions) -> BridgeOptions:
        """These options with unset values taken from *base* (used for network defaults)."""
        values = base.model_dump(exclude_none=True)
        values.update(self.model_dump(exclude_none=True))
        return BridgeOptions.model_construct(**values)


BRIDGE_ENI_KEYWORDS: dict[str, str] = {
    "stp": "bridge-stp",
    "forward_delay": "bridge-fd",
    "hello_time": "bridge-hello",
    "max_age": "bridge-maxage",
    "ageing": "bridge-ageing",
    "priority": "bridge-bridgeprio",
    "vlan_filtering": "bridge-vlan-aware",
    "maxwait": "bridge-maxwait",
}


TIME_TOLERANCE_S = 0.011  # bridge times travel as centiseconds
DELAY_OPTIONS = ("updelay", "downdelay", "peer_notif_delay")


def effective_delay(value: int, miimon: int | None) -> int:
    """What the kernel stores for a bond delay: rounded down to a multiple of miimon."""
    return value - value % miimon if miimon else value


def bond_options_differ(want: BondOptions, have: BondOptions) -> set[str]:
    """Options *want* sets whose kernel value (*have*) differs, in the kernel's own terms:
    delays as the kernel rounds them, target lists as sets, and miimon 0 ignored in the modes
    where the kernel forces 100. Shared by the planner and the comparison engine, so that
    what apply changes and what verification checks can never disagree."""
    changed: set[str] = set()
    actual = have.model_dump()
    for name, value in want.model_dump(exclude_none=True).items():
        got = actual.get(name)
        if name in ("arp_ip_target", "ns_ip6_target"):
            if set(value) != set(got or ()):
                changed.add(name)
            continue
        if name == "miimon" and value == 0 and want.mode in MIIMON_FORCED_MODES:
            continue
        if name in DELAY_OPTIONS:
            value = effective_delay(value, want.miimon)
        if value != got:
            changed.add(name)
    return changed


def bridge_options_differ(want: BridgeOptions, have: BridgeOptions) -> set[str]:
    """Bridge options *want* sets that differ from the kernel's: times within the centisecond
    tolerance, forward delay as the kernel clamps it while STP is on, maxwait (an ifupdown
    boot-time wait, not kernel state) ignored."""
    changed: set[str] = set()
    actual = have.model_dump()
    for name, value in want.model_dump(exclude_none=True).items():
        if name == "maxwait":
            continue
        got = actual.get(name)
        if isinstance(value, float | int) and not isinstance(value, bool) and got is not None:
            expected = float(value)
            if name == "forward_delay" and want.stp:
                expected = min(max(expected, 2.0), 30.0)
            if abs(expected - float(got)) > TIME_TOLERANCE_S:
                changed.add(name)
        elif value != got:
            changed.add(name)
    return changed
