"""Compare a desired host with the kernel's, attribute by attribute (like ``ifquery --check``).

The single comparison engine behind the lab's model-vs-kernel step, ``hvnet check`` (drift)
and apply's verification. Only what the desired model states is compared: an option left
unset (``None``) means "kernel default, don't care". Guest ports on bridges are ignored:
they come and go with guests and are not configuration.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from hvnet.kernel.snapshot import KernelSnapshot
from hvnet.model import ISOLATION_SYSCTLS, Bond, Bridge, Host, Link, Method4, Vlan
from hvnet.options import (
    DELAY_OPTIONS,
    MIIMON_FORCED_MODES,
    bond_options_differ,
    bridge_options_differ,
    effective_delay,
)


class Status(StrEnum):
    OK = "ok"
    FAIL = "fail"


@dataclass(frozen=True, slots=True)
class AttributeCheck:
    """One attribute of one link: what the model wants and what the kernel has.

    The values are kept as they are and shown as text only when asked (``expected``,
    ``actual``, :meth:`format`): verifying a large apply makes tens of thousands of checks
    and reads the text of the failed ones only.
    """

    link: str
    attribute: str
    expected_value: Any
    actual_value: Any
    status: Status

    @property
    def expected(self) -> str:
        return _show(self.expected_value)

    @property
    def actual(self) -> str:
        return _show(self.actual_value)

    @property
    def ok(self) -> bool:
        return self.status is Status.OK

    def format(self) -> str:
        mark = "ok  " if self.ok else "FAIL"
        text = f"[{mark}] {self.link} {self.attribute}: expected {self.expected}"
        return text if self.ok else f"{text}, kernel has {self.actual}"


def _show(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, tuple | list | set | frozenset):
        return "[" + ", ".join(sorted(str(v) for v in value)) + "]" if value else "[]"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(getattr(value, "value", value))


class _Checker:
    def __init__(self, failures_only: bool = False) -> None:
        self.checks: list[AttributeCheck] = []
        self.failures_only = failures_only

    def check(
        self, link: str, attribute: str, expected: Any, actual: Any, equal: bool | None = None
    ) -> None:
        same = (expected == actual) if equal is None else equal
        if same and self.failures_only:
            return
        self.checks.append(
            AttributeCheck(link, attribute, expected, actual, Status.OK if same else Status.FAIL)
        )


def _compare_bond(c: _Checker, want: Bond, have: Bond) -> None:
    c.check(want.name, "slaves", want.slaves, have.slaves, set(want.slaves) == set(have.slaves))
    differ = bond_options_differ(want.options, have.options)
    actual = have.options.model_dump()
    for name, value in want.options.model_dump(exclude_none=True).items():
        if name in ("arp_ip_target", "ns_ip6_target") and not (value or actual.get(name)):
            continue
        if name == "miimon" and value == 0 and want.options.mode in MIIMON_FORCED_MODES:
            continue  # the kernel forces 100 in these modes; validation warns about it
        if name in DELAY_OPTIONS:
            value = effective_delay(value, want.options.miimon)
        c.check(want.name, name, value, actual.get(name), name not in differ)


def _compare_bridge(c: _Checker, want: Bridge, have: Bridge) -> None:
    c.check(
        want.name,
        "ports",
        want.port_names,
        have.port_names,
        set(want.port_names) == set(have.port_names),
    )
    have_ports = {p.name: p for p in have.ports}
    for port in want.ports:
        got = have_ports.get(port.name)
        if port.priority is not None:
            c.check(
                want.name,
                f"port {port.name} priority",
                port.priority,
                got.priority if got and got.priority is not None else 32,
            )
    differ = bridge_options_differ(want.options, have.options)
    actual = have.options.model_dump()
    for name, value in want.options.model_dump(exclude_none=True).items():
        if name != "maxwait":
            c.check(want.name, name, value, actual.get(name), name not in differ)


def _compare_l3(c: _Checker, want: Link, have: Link) -> None:
    if want.method is Method4.STATIC or want.addresses:
        c.check(
            want.name,
            "addresses",
            want.addresses,
            have.addresses,
            set(want.addresses) == set(have.addresses),
        )
    elif have.addresses and want.method is Method4.MANUAL:
        c.check(want.name, "addresses", (), have.addresses, False)
    if want.gateway is not None or have.gateway is not None:
        c.check(want.name, "gateway", want.gateway, have.gateway)
    if want.gateway6 is not None:
        c.check(want.name, "gateway6", want.gateway6, have.gateway6)
    if want.routes:
        c.check(want.name, "routes", want.routes, have.routes, set(want.routes) <= set(have.routes))
    if want.mtu is not None:
        c.check(want.name, "mtu", want.mtu, have.mtu)
    if want.mac is not None:
        c.check(want.name, "mac", want.mac, have.mac)


def compare(
    desired: Host,
    snapshot: KernelSnapshot,
    check_admin_up: bool = True,
    failures_only: bool = False,
) -> list[AttributeCheck]:
    """Every attribute the desired host states, checked against the kernel snapshot.

    ``failures_only``: return only the attributes that differ (what verifying an apply
    needs; building a record for each of the tens of thousands that match cost more than
    comparing them).
    """
    c = _Checker(failures_only)
    actual = snapshot.host.links
    isolated = desired.isolated()
    for name, want in desired.links.items():
        have = actual.get(name)
        if have is None:
            c.check(name, "exists", f"{want.kind.value}", None, False)
            continue
        if type(have) is not type(want):
            c.check(name, "kind", want.kind.value, have.kind.value, False)
            continue
        c.check(name, "exists", want.kind.value, have.kind.value, True)
        if isinstance(want, Bond) and isinstance(have, Bond):
            _compare_bond(c, want, have)
        elif isinstance(want, Vlan) and isinstance(have, Vlan):
            c.check(name, "vlan id", want.vid, have.vid)
            c.check(name, "parent", want.parent, have.parent)
            c.check(name, "protocol", want.protocol, have.protocol)
        elif isinstance(want, Bridge) and isinstance(have, Bridge):
            _compare_bridge(c, want, have)
        _compare_l3(c, want, have)
        sysctls = snapshot.sysctls.get(name)
        if sysctls and name in isolated:
            wanted = {key: value for _family, key, value in ISOLATION_SYSCTLS}
            got = {key: sysctls.get(key, "?") for key in wanted}
            c.check(
                name,
                "isolation sysctls",
                _kv(wanted),
                _kv(got),
                all(sysctls.get(k) in (None, v) for k, v in wanted.items()),
            )
        runtime = snapshot.runtime.get(name)
        if check_admin_up and runtime is not None:
            c.check(
                name, "admin state", "up", "up" if runtime.admin_up else "down", runtime.admin_up
            )
    return c.checks


def _kv(values: dict[str, str]) -> str:
    return " ".join(f"{k}={v}" for k, v in values.items())


def failures(checks: list[AttributeCheck]) -> list[AttributeCheck]:
    return [check for check in checks if not check.ok]
