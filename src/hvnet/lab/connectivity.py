"""Step 4: the connectivity matrix between guests, peers and the host.

What the config promises, as probes (``plan_probes``):

* endpoints on the **same segment** reach each other: ``ping`` (IPv4, same subnet);
* endpoints on **different segments** are isolated at layer 2: ``arping`` for the other's
  address gets no answer. ARP works across subnets, so no routing can mask a leak;
* the **host** answers where it has an address (``ping`` its address there) and only there:
  on an address-less segment, ``arping`` for every host IPv4 address gets no answer, and an
  IPv6 all-nodes ping (``ff02::1``) gets no answer from any host address.

Every pair is probed once (layer-2 reachability is symmetric). One guest job runs all
probes: per source namespace one ``ip netns exec`` running its probes in parallel, each
writing its exit status (and, for the IPv6 probe, its output) into a result directory.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from ipaddress import IPv6Address, ip_address
from typing import Any

from hvnet.lab.topology import Endpoint, LabPlan

HOST = "host"
_PING = "ping -n -c 1 -w 6 {ip}"
_ARPING = "arping -q -C 1 -c 3 -w 3 -i eth0 {ip}"
_PING6 = "ping -6 -n -c 2 -i 0.5 -w 3 -I eth0 ff02::1"
_FROM6 = re.compile(r"bytes from ([0-9a-fA-F:]+)(?:%[^:\s]+)?:")


@dataclass(frozen=True, slots=True)
class Probe:
    """One expectation: ``source`` → ``target`` with ``kind`` (ping/arping/ping6-host)."""

    id: int
    source: str
    target: str  # an endpoint name or "host"
    kind: str  # "ping" | "arping" | "host-silent6"
    address: str
    expect: bool  # True: must answer; False: must stay silent
    why: str


@dataclass(frozen=True, slots=True)
class ProbeResult:
    probe: Probe
    answered: bool
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.answered == self.probe.expect


@dataclass(slots=True)
class Matrix:
    """All probe results plus the endpoint order for display."""

    endpoints: list[str]
    segments: dict[str, str]  # endpoint -> segment
    results: list[ProbeResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return bool(self.results) and all(r.ok for r in self.results)

    @property
    def failures(self) -> list[ProbeResult]:
        return [r for r in self.results if not r.ok]

    def cell(self, source: str, target: str) -> list[ProbeResult]:
        return [
            r
            for r in self.results
            if {r.probe.source, r.probe.target} == {source, target}
            or (target == HOST and r.probe.source == source and r.probe.target == HOST)
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "seconds": round(self.seconds, 2),
            "endpoints": {e: self.segments[e] for e in self.endpoints},
            "probes": [
                {"source": r.probe.source, "target": r.probe.target, "kind": r.probe.kind,
                 "address": r.probe.address, "expect": "answer" if r.probe.expect else "silence",
                 "answered": r.answered, "ok": r.ok, "why": r.probe.why, "detail": r.detail}
                for r in self.results
            ],
        }  # fmt: skip


def plan_probes(plan: LabPlan) -> list[Probe]:
    """Every expectation the config implies for the lab's endpoints (see module docstring)."""
    probes: list[Probe] = []

    def add(src: Endpoint, target: str, kind: str, address: str, expect: bool, why: str) -> None:
        probes.append(Probe(len(probes), src.name, target, kind, address, expect, why))

    eps = list(plan.endpoints)
    for i, a in enumerate(eps):
        for b in eps[i + 1 :]:
            if a.segment == b.segment:
                add(a, b.name, "ping", str(b.ip), True, f"same network {a.segment}")
            else:
                add(a, b.name, "arping", str(b.ip), False,
                    f"{a.segment} and {b.segment} are different networks")  # fmt: skip
    all_host_v4 = sorted(
        {str(x.ip) for s in plan.segments for x in s.host_addresses}, key=ip_address
    )
    for ep in eps:
        seg = plan.segment(ep.segment)
        if seg.host_addresses:
            add(ep, HOST, "ping", str(seg.host_addresses[0].ip), True,
                f"the host has {seg.host_addresses[0]} on {seg.head}")  # fmt: skip
        elif not seg.host_has_address:
            for addr in all_host_v4:
                add(ep, HOST, "arping", addr, False, f"the host has no address on {seg.name}")
            add(ep, HOST, "host-silent6", "ff02::1", False,
                f"the host has no address on {seg.name}: no IPv6 either")  # fmt: skip
    return probes


def probe_script(plan: LabPlan, probes: list[Probe], outdir: str) -> str:
    """Bash script running every probe, grouped by source namespace, into ``outdir``."""
    q = shlex.quote
    netns = {e.name: e.netns for e in plan.endpoints}
    lines = [f"d={q(outdir)}", 'rm -rf "$d"; mkdir -p "$d"', 'ip -6 -o addr show > "$d/host6"']
    by_source: dict[str, list[Probe]] = {}
    for p in probes:
        by_source.setdefault(p.source, []).append(p)
    for source, group in by_source.items():
        inner = [f"d={q(outdir)}"]
        for p in group:
            if p.kind == "ping":
                cmd = _PING.format(ip=p.address)
            elif p.kind == "arping":
                cmd = _ARPING.format(ip=p.address)
            else:
                cmd = _PING6
            inner.append(f'{{ {cmd} > "$d/{p.id}.out" 2>&1; echo $? > "$d/{p.id}.rc"; }} &')
        inner.append("wait")
        lines.append(f"ip netns exec {q(netns[source])} /bin/bash -c {q(chr(10).join(inner))} &")
    lines.append("wait")
    return "\n".join(lines) + "\n"


def host_ipv6(text: str) -> set[IPv6Address]:
    """IPv6 addresses of the host from ``ip -6 -o addr show``."""
    found: set[IPv6Address] = set()
    for line in text.splitlines():
        parts = line.split()
        if "inet6" in parts:
            address = ip_address(parts[parts.index("inet6") + 1].split("/")[0])
            if isinstance(address, IPv6Address):
                found.add(address)
    return found


def ping6_responders(text: str) -> set[IPv6Address]:
    """Source addresses of the echo replies in ``ping -6`` output."""
    found: set[IPv6Address] = set()
    for m in _FROM6.finditer(text):
        try:
            address = ip_address(m.group(1))
        except ValueError:
            continue
        if isinstance(address, IPv6Address):
            found.add(address)
    return found


def evaluate(
    plan: LabPlan, probes: list[Probe], rcs: dict[int, int | None], outputs: dict[int, str],
    host6_text: str,
) -> Matrix:  # fmt: skip
    """Turn exit statuses and outputs into a :class:`Matrix` (pure: unit-tested)."""
    host6 = host_ipv6(host6_text)
    matrix = Matrix([e.name for e in plan.endpoints], {e.name: e.segment for e in plan.endpoints})
    for p in probes:
        rc = rcs.get(p.id)
        if rc is None:
            matrix.results.append(ProbeResult(p, not p.expect, "no result from the guest"))
            continue
        if p.kind == "host-silent6":
            hits = ping6_responders(outputs.get(p.id, "")) & host6
            detail = ", ".join(sorted(str(h) for h in hits))
            matrix.results.append(
                ProbeResult(p, bool(hits), f"host answered from {detail}" if hits else "")
            )
            continue
        answered = rc == 0
        detail = "" if answered == p.expect else _last_line(outputs.get(p.id, "")) or f"exit {rc}"
        matrix.results.append(ProbeResult(p, answered, detail))
    return matrix


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""
