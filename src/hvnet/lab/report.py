"""Step 6: the lab's results as data (JSON) and as rich tables.

Data classes first (what :mod:`hvnet.lab.scenario` fills in), rendering last. The report is
the contract of ``hvnet lab``: ``ok`` is False, and the command exits non-zero, when the
kernel differs from the model, a connectivity expectation fails, a failover loses
connectivity for good (or the bond does not return to normal), or applying the config fails.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hvnet.compare import AttributeCheck
from hvnet.lab.connectivity import HOST, Matrix
from hvnet.lab.drill import BondDrill


@dataclass(slots=True)
class StepResult:
    """One step's outcome: ``ok``, wall time measured in the guest, and what went wrong."""

    name: str
    ok: bool
    seconds: float
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "seconds": round(self.seconds, 2), "detail": self.detail or None}


@dataclass(slots=True)
class MethodRun:
    """Steps 2-5 for one way of applying the config (``ifupdown`` or ``apply``)."""

    method: str
    setup: StepResult | None = None
    apply: StepResult | None = None
    compare: StepResult | None = None
    checks: list[AttributeCheck] = field(default_factory=list)
    connectivity: StepResult | None = None
    matrix: Matrix | None = None
    drill: StepResult | None = None
    drills: list[BondDrill] = field(default_factory=list)

    @property
    def steps(self) -> list[StepResult]:
        found = (self.apply, self.compare, self.connectivity, self.drill)
        return [s for s in found if s is not None]

    @property
    def ok(self) -> bool:
        return self.apply is not None and all(s.ok for s in self.steps)

    @property
    def failed_checks(self) -> list[AttributeCheck]:
        return [c for c in self.checks if not c.ok]

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "ok": self.ok,
            "setup": self.setup.to_json() if self.setup else None,
            "apply": self.apply.to_json() if self.apply else None,
            "compare": None if self.compare is None else {
                **self.compare.to_json(),
                "checked": len(self.checks),
                "failed": [c.format() for c in self.failed_checks],
                "checks": [{"link": c.link, "attribute": c.attribute, "expected": c.expected,
                            "actual": c.actual, "ok": c.ok} for c in self.checks],
            },
            "connectivity": None if self.connectivity is None else {
                **self.connectivity.to_json(),
                **(self.matrix.to_json() if self.matrix else {}),
            },
            "drill": None if self.drill is None else {
                **self.drill.to_json(), "bonds": [d.to_json() for d in self.drills],
            },
        }  # fmt: skip


@dataclass(slots=True)
class LabReport:
    """A whole lab run over one host file."""

    file: str
    hostname: str
    kernel: str = ""
    accel: str = ""
    boot_seconds: float = 0.0
    total_seconds: float = 0.0
    runs: list[MethodRun] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str = ""

    @property
    def ok(self) -> bool:
        return bool(self.runs) and not self.error and all(r.ok for r in self.runs)

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file, "hostname": self.hostname, "ok": self.ok,
            "kernel": self.kernel, "accel": self.accel,
            "boot_seconds": round(self.boot_seconds, 2),
            "total_seconds": round(self.total_seconds, 2),
            "error": self.error or None, "notes": self.notes,
            "runs": [r.to_json() for r in self.runs],
        }  # fmt: skip


# --------------------------------------------------------------------------- rendering


def _mark(ok: bool) -> str:
    return "[green]pass[/]" if ok else "[bold red]FAIL[/]"


def _secs(step: StepResult | None) -> str:
    return "-" if step is None else f"{step.seconds:.1f}s"


def render(report: LabReport, console: Any = None) -> None:
    """Print the report as rich tables (to ``console``, default stdout)."""
    from rich.console import Console
    from rich.table import Table

    con = console or Console()
    con.print(
        f"[bold]hvnet lab[/] {report.file} (host {report.hostname}): kernel {report.kernel}, "
        f"{report.accel}, boot {report.boot_seconds:.1f}s, total {report.total_seconds:.1f}s"
    )
    summary = Table(title="Steps", show_lines=False)
    for col in ("method", "2 apply", "3 kernel = model", "4 connectivity", "5 failover", "result"):
        summary.add_column(col)
    drilled = next((r.method for r in report.runs if r.drill is not None), None)
    for run in report.runs:
        cells = [run.method]
        for step in (run.apply, run.compare, run.connectivity, run.drill):
            cells.append("not run" if step is None else f"{_mark(step.ok)} {_secs(step)}")
        if run.drill is None and drilled:
            cells[-1] = f"[dim]see {drilled}[/]"  # the drill runs with the first method only
        cells.append(_mark(run.ok))
        summary.add_row(*cells)
    con.print(summary)
    for run in report.runs:
        _render_run(con, run)
    for note in report.notes:
        con.print(f"[dim]note: {note}[/]")
    if report.error:
        con.print(f"[bold red]error:[/] {report.error}")
    con.print(f"[bold]{'PASS' if report.ok else 'FAIL'}[/]: {report.file}")


def _render_run(con: Any, run: MethodRun) -> None:
    from rich.table import Table

    if run.apply is not None and (not run.apply.ok or run.apply.detail):
        con.print(f"[bold]{run.method}[/] apply: {run.apply.detail}")
    if run.checks:
        failed = run.failed_checks
        t = Table(title=f"{run.method}: kernel vs model ({len(run.checks) - len(failed)}/"
                  f"{len(run.checks)} attributes equal)")  # fmt: skip
        for col in ("link", "attribute", "model", "kernel", ""):
            t.add_column(col)
        for c in failed or []:
            t.add_row(c.link, c.attribute, c.expected, c.actual, _mark(False))
        if not failed:
            links: dict[str, int] = {}
            for c in run.checks:
                links[c.link] = links.get(c.link, 0) + 1
            for link, n in links.items():
                t.add_row(link, f"{n} attributes", "", "", _mark(True))
        con.print(t)
    if run.matrix is not None:
        render_matrix(con, run.method, run.matrix)
    if run.drills:
        render_drills(con, run.method, run.drills)


def render_matrix(con: Any, method: str, matrix: Matrix) -> None:
    """Endpoints × endpoints (+ host): ✓ reached, · isolated, red ! when not as expected.

    Columns are numbered (the rows say which endpoint each number is) so the table fits a
    terminal with a dozen endpoints.
    """
    from rich.table import Table

    passed = len(matrix.results) - len(matrix.failures)
    t = Table(title=f"{method}: connectivity ({passed}/{len(matrix.results)} probes as "
              "expected; ✓ reaches, · isolated)")  # fmt: skip
    t.add_column("#", justify="right")
    t.add_column("endpoint (network)")
    number = {e: str(i) for i, e in enumerate(matrix.endpoints, 1)}
    for e in matrix.endpoints:
        t.add_column(number[e], justify="center")
    t.add_column(HOST, justify="center")
    for src in matrix.endpoints:
        row = [number[src], f"{src} [dim]({matrix.segments[src]})[/]"]
        for dst in [*matrix.endpoints, HOST]:
            results = [] if dst == src else matrix.cell(src, dst)
            if not results:
                row.append("" if dst == src else "[dim]-[/]")
                continue
            sym = "✓" if any(r.answered for r in results) else "·"
            row.append(sym if all(r.ok for r in results) else f"[bold red]{sym}![/]")
        t.add_row(*row)
    con.print(t)
    for r in matrix.failures:
        want = "answer" if r.probe.expect else "silence"
        con.print(f"  [red]✗[/] {r.probe.source} → {r.probe.target} {r.probe.kind} "
                  f"{r.probe.address}: expected {want} ({r.probe.why}) {r.detail}")  # fmt: skip


def render_drills(con: Any, method: str, drills: list[BondDrill]) -> None:
    """One row per cut: outage vs miimon + downdelay, losses, bond state, restore."""
    from rich.table import Table

    t = Table(title=f"{method}: failover drill (outage of the active slave expected ≤ "
              "miimon + downdelay)")  # fmt: skip
    for col in ("bond/cut", "active", "outage ms", "lost", "fails", "restore", "result"):
        t.add_column(col)
    for d in drills:
        if d.skipped:
            t.add_row(d.bond, "", "", "", "", "", f"skipped: {d.skipped}")
            continue
        for c in d.cuts:
            expect = f"≤{d.expected_ms}" if c.was_active else "0"
            gap = "[bold red]never back[/]" if c.lost_for_good else f"{c.cut.gap_ms:.0f} ({expect})"
            fails = f"{c.before.failures.get(c.slave)}→{c.after.failures.get(c.slave)}"
            restored = (f"ok, {c.restore.gap_ms:.0f} ms" if c.back_to_normal and not c.problems
                        else "[red]" + "; ".join(c.problems) + "[/]")  # fmt: skip
            t.add_row(f"{d.bond}/{c.slave}", f"{c.before.active}→{c.after.active}", gap,
                      f"{c.cut.lost}/{c.cut.sent}", fails, restored, _mark(c.ok))  # fmt: skip
    con.print(t)
