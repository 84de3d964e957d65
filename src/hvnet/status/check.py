"""``hvnet check FILE``: drift between a config and the kernel, in monitoring-plugin form.

The comparison itself is :func:`hvnet.compare.compare` (the engine apply and the lab use);
this module only grades its attribute checks and the health verdicts of the configured
links, and prints them the way Nagios/Icinga expect: one summary line first (with
performance data after ``|``), then one line per attribute, like ``ifquery --check``.

Grading (docs/status.md):

* any attribute that differs (a missing link, wrong slaves or ports, a wrong VLAN id or
  parent, any option, MTU, MAC, address or admin state) → CRITICAL: the host is not
  what the config says;
* otherwise the worst health verdict of a configured link → WARNING or CRITICAL (e.g. the
  active slave is not the primary → WARNING; a bond on its last slave → CRITICAL);
* otherwise attributes that could not be read (a file missing from a recorded tree) →
  UNKNOWN; attributes a source can never carry (addresses in a sysfs tree) are skipped;
* otherwise OK.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from hvnet.compare import AttributeCheck
from hvnet.status.doc import Level, StatusDoc
from hvnet.status.facts_snapshot import SourceLimits

_MARKS = {
    "ok": "[ok]",
    "fail": "[FAIL]",
    "unknown": "[??]",
    "skip": "[skip]",
    Level.WARNING: "[WARN]",
    Level.CRITICAL: "[CRIT]",
    Level.UNKNOWN: "[??]",
}
_SUMMARY_NAMES = 5


@dataclass(frozen=True, slots=True)
class CheckLine:
    """One output line: ``status`` is ok, fail, unknown, skip, or a health level."""

    status: str
    link: str
    attribute: str
    text: str

    @property
    def failed(self) -> bool:
        return self.status not in ("ok", "skip")

    def format(self) -> str:
        return f"{_MARKS.get(self.status, '[??]')} {self.link} {self.attribute}: {self.text}"


@dataclass(frozen=True, slots=True)
class CheckReport:
    level: Level
    summary: str
    lines: tuple[CheckLine, ...]

    @property
    def exit_code(self) -> int:
        return self.level.plugin_code

    def format(self, failures_only: bool = False) -> str:
        shown = [line for line in self.lines if line.failed or not failures_only]
        return "\n".join([self.summary, *(line.format() for line in shown)]) + "\n"


def _attribute_line(check: AttributeCheck, limits: SourceLimits | None) -> CheckLine:
    if check.ok:
        return CheckLine("ok", check.link, check.attribute, f"expected {check.expected}")
    why = limits.classify(check.link, check.attribute) if limits is not None else None
    if why == "skip":
        return CheckLine(
            "skip",
            check.link,
            check.attribute,
            f"expected {check.expected}; not recorded in /proc or sysfs",
        )
    if why == "unknown":
        return CheckLine(
            "unknown",
            check.link,
            check.attribute,
            f"expected {check.expected}; unknown (missing from the tree)",
        )
    return CheckLine(
        "fail", check.link, check.attribute, f"expected {check.expected}, kernel has {check.actual}"
    )


def _names(lines: list[CheckLine]) -> str:
    shown = [f"{line.link} {line.attribute}" for line in lines[:_SUMMARY_NAMES]]
    more = len(lines) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def grade(
    checks: list[AttributeCheck],
    limits: SourceLimits | None = None,
    doc: StatusDoc | None = None,
    configured: Collection[str] = (),
) -> CheckReport:
    """Grade compare()'s checks plus the health of the ``configured`` links in ``doc``."""
    lines = [_attribute_line(c, limits) for c in checks]
    health_lines: list[CheckLine] = []
    if doc is not None:
        wanted = set(configured)
        for group in (doc.bonds, doc.vlans, doc.bridges):
            for obj in group:
                if obj.name not in wanted:
                    continue
                for finding in obj.health.findings:
                    health_lines.append(
                        CheckLine(
                            finding.level,
                            finding.subject,
                            "health",
                            f"{finding.message} ({finding.code})",
                        )
                    )
    fails = [line for line in lines if line.status == "fail"]
    unknown = [line for line in lines if line.status == "unknown"]
    unknown += [line for line in health_lines if line.status == Level.UNKNOWN]
    warn = [line for line in health_lines if line.status == Level.WARNING]
    crit = [line for line in health_lines if line.status == Level.CRITICAL]
    compared = sum(1 for line in lines if line.status != "skip")
    perf = (
        f" | attributes={compared} failed={len(fails)} unknown={len(unknown)} "
        f"health_warning={len(warn)} health_critical={len(crit)}"
    )
    health_note = ""
    if crit or warn:
        worst_lines = crit or warn
        health_note = (
            f"{len(crit)} critical and {len(warn)} warning health finding(s): "
            + "; ".join(line.text for line in worst_lines[:2])
        )
    if fails:
        level = Level.CRITICAL
        text = f"{len(fails)} of {compared} attributes differ: {_names(fails)}"
        if health_note:
            text += f"; {health_note}"
    elif crit or warn:
        level = Level.CRITICAL if crit else Level.WARNING
        text = f"{compared} attributes match; {health_note}"
    elif unknown:
        level = Level.UNKNOWN
        text = f"{len(unknown)} of {compared} attributes unknown: {_names(unknown)}"
    else:
        level = Level.OK
        text = f"{compared} attributes match; health ok"
    summary = f"HVNET CHECK {level.value.upper()} - {text}{perf}"
    return CheckReport(level, summary, (*lines, *health_lines))


def unknown_report(reason: str) -> CheckReport:
    """UNKNOWN with a reason (invalid config, unreadable kernel): exit code 3."""
    return CheckReport(Level.UNKNOWN, f"HVNET CHECK UNKNOWN - {reason}", ())
