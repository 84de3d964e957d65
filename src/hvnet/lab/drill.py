"""Step 5: the failover drill: cut each bond slave's carrier while pings cross the bond.

Per bond, one guest job (bash, so timing needs no exec: ``$EPOCHREALTIME``, ``read -t`` on a
FIFO as sleep, ``/proc/net/bonding`` read with ``read -d ''``). For every slave in turn:

1. read the bond's /proc file (state before), start ``ping -D -O -i 0.01`` from the peer
   behind the bond to the host (or a guest) on the other side, let it run a baseline;
2. set the slave's switch port down (real carrier loss), wait until the bond marks the slave
   down (or a horizon passes: a bond without link monitoring never does), settle, read the
   bond again (state after);
3. set the port up, wait until the slave is back up (updelay), settle, read the bond (state
   restored), stop ping.

The ping log says, per ``icmp_seq``, when it was answered (``-D`` timestamps) or given up
(``-O``: "no answer yet"), so the analysis here is pure: the outage is the longest interval
between consecutive replies across the cut, lost packets are the unanswered sequence numbers
in the window, and connectivity is "lost for good" when no reply came back after the cut
before the link was restored.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from hvnet.kernel.facts import BondProcInfo
from hvnet.kernel.procfs import parse_bonding
from hvnet.lab.topology import SWITCH_NS, DrillPath

INTERVAL = 0.01
BASELINE = 1.0
HORIZON = 5.0  # seconds without detection before giving up on a cut
_REPLY = re.compile(r"^\[(\d+\.\d+)\] \d+ bytes from .*icmp_seq=(\d+)")
_NOANSWER = re.compile(r"^\[(\d+\.\d+)\] no answer yet for icmp_seq=(\d+)")
_OTHER = re.compile(r"^\[(\d+\.\d+)\] From .*icmp_seq=(\d+)")


@dataclass(frozen=True, slots=True)
class Window:
    """Traffic in one time window.

    ``gap_ms`` is the longest outage: from the last reply before a run of unanswered
    packets to the first reply after it (0 when nothing was lost). ``max_interval_ms`` is the
    longest time between consecutive replies whatever the cause: under TCG the sender itself
    stalls now and then, which is jitter, not an outage.
    """

    sent: int
    lost: int
    gap_ms: float
    recovered: bool
    max_interval_ms: float = 0.0


@dataclass(slots=True)
class BondSide:
    """The bond state that matters for the drill, from /proc/net/bonding."""

    active: str | None
    mii: str | None
    slaves_mii: dict[str, str | None]
    failures: dict[str, int | None]

    @classmethod
    def of(cls, info: BondProcInfo) -> BondSide:
        return cls(
            info.active_slave,
            info.mii_status,
            {s.name: s.mii_status for s in info.slaves},
            {s.name: s.link_failure_count for s in info.slaves},
        )


@dataclass(slots=True)
class CutResult:
    """One slave's cut and restore."""

    slave: str
    was_active: bool
    cut: Window
    restore: Window
    baseline_jitter_ms: float
    detected_ms: float | None  # cut command done → bond seen marking the slave down (±50 ms)
    before: BondSide
    after: BondSide
    restored: BondSide
    back_to_normal: bool
    problems: list[str] = field(default_factory=list)

    @property
    def lost_for_good(self) -> bool:
        return not self.cut.recovered

    @property
    def ok(self) -> bool:
        return not self.lost_for_good and self.back_to_normal and not self.problems


@dataclass(slots=True)
class BondDrill:
    """The drill of one bond (``skipped`` says why there was none)."""

    bond: str
    mode: str = ""
    miimon: int = 0
    updelay: int = 0
    downdelay: int = 0
    path: str = ""
    cuts: list[CutResult] = field(default_factory=list)
    skipped: str = ""
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.cuts)

    @property
    def expected_ms(self) -> int:
        """Upper bound on the failover of the active slave: detection within one MII
        interval, then downdelay."""
        return self.miimon + self.downdelay

    def to_json(self) -> dict[str, Any]:
        return {
            "bond": self.bond, "ok": self.ok, "skipped": self.skipped or None, "mode": self.mode,
            "miimon": self.miimon, "updelay": self.updelay, "downdelay": self.downdelay,
            "expected_failover_ms": self.expected_ms, "path": self.path,
            "seconds": round(self.seconds, 2),
            "cuts": [
                {"slave": c.slave, "was_active": c.was_active, "gap_ms": round(c.cut.gap_ms, 1),
                 "lost": c.cut.lost, "sent": c.cut.sent, "lost_for_good": c.lost_for_good,
                 "detected_ms": None if c.detected_ms is None else round(c.detected_ms, 1),
                 "baseline_jitter_ms": round(c.baseline_jitter_ms, 1),
                 "active_before": c.before.active, "active_after": c.after.active,
                 "failures_before": c.before.failures.get(c.slave),
                 "failures_after": c.after.failures.get(c.slave),
                 "restore_gap_ms": round(c.restore.gap_ms, 1), "restore_lost": c.restore.lost,
                 "active_restored": c.restored.active, "back_to_normal": c.back_to_normal,
                 "problems": c.problems, "ok": c.ok}
                for c in self.cuts
            ],
        }  # fmt: skip


def drill_script(path: DrillPath) -> str:
    """Bash script for one bond's drill; prints ``=== NAME`` sections (see :func:`sections`)."""
    q = shlex.quote
    ticks = int(HORIZON / 0.05)
    settle = max(1.5, 3 * (path.miimon + path.downdelay) / 1000)
    settle_up = max(1.5, 2 * (path.miimon + path.updelay) / 1000 + 1)
    lines = [
        "d=$(mktemp -d)",
        'mkfifo "$d/fifo"; exec 9<>"$d/fifo"',
        'pause() { read -r -t "$1" -u 9 _ || :; }',
        "bond() { local t=''; IFS= read -r -d '' t < /proc/net/bonding/"
        + path.bond
        + "; printf '%s' \"$t\"; }",
        "wait_mii() {  # slave status: poll /proc without forking",
        "  local n=0 t",
        f"  while [ $n -lt {ticks} ]; do",
        f"    t=''; IFS= read -r -d '' t < /proc/net/bonding/{path.bond}",
        '    case $t in *"Slave Interface: $1"$\'\\n\'"MII Status: $2"*) return 0 ;; esac',
        "    n=$((n + 1)); pause 0.05",
        "  done; return 1",
        "}",
    ]
    for i, (slave, port) in enumerate(zip(path.slaves, path.ports, strict=True)):
        ns = q(path.source.netns)
        lines += [
            f'bond > "$d/{i}.before"',
            f'ip netns exec {ns} ping -D -O -n -i {INTERVAL} -W 1 {path.target} > "$d/{i}.ping" '
            "2>&1 & pid=$!",
            f"pause {BASELINE}",
            f'echo "cut $EPOCHREALTIME" > "$d/{i}.events"',
            f"ip -n {SWITCH_NS} link set {port} down",
            f'echo "cut_done $EPOCHREALTIME" >> "$d/{i}.events"',
            f'wait_mii {q(slave)} down && echo "detected $EPOCHREALTIME" >> "$d/{i}.events"',
            f"pause {settle:.2f}",
            f'bond > "$d/{i}.after"',
            f'echo "restore $EPOCHREALTIME" >> "$d/{i}.events"',
            f"ip -n {SWITCH_NS} link set {port} up",
            f'wait_mii {q(slave)} up && echo "up $EPOCHREALTIME" >> "$d/{i}.events"',
            f"pause {settle_up:.2f}",
            f'bond > "$d/{i}.restored"',
            f'echo "end $EPOCHREALTIME" >> "$d/{i}.events"',
            'kill -INT "$pid"; wait "$pid"',
        ]
    lines += [
        'for f in "$d"/*.*; do',
        '  echo "=== ${f##*/}"',
        '  while IFS= read -r l || [ -n "$l" ]; do printf \'%s\\n\' "$l"; done < "$f"',
        "done",
        'rm -rf "$d"',
    ]
    return "\n".join(lines) + "\n"


def sections(text: str) -> dict[str, str]:
    """Split ``=== NAME`` sections of a drill job's output."""
    out: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        if line.startswith("=== "):
            current = out.setdefault(line[4:].strip(), [])
        elif current is not None:
            current.append(line)
    return {k: "\n".join(v) + "\n" for k, v in out.items()}


def parse_ping(text: str) -> dict[int, tuple[float, bool]]:
    """``icmp_seq`` → (timestamp, answered) from ``ping -D -O`` output."""
    seqs: dict[int, tuple[float, bool]] = {}
    for line in text.splitlines():
        m = _REPLY.match(line)
        if m:
            seqs[int(m.group(2))] = (float(m.group(1)), True)
            continue
        m = _NOANSWER.match(line) or _OTHER.match(line)
        if m and int(m.group(2)) not in seqs:
            seqs[int(m.group(2))] = (float(m.group(1)), False)
    return seqs


def analyze(seqs: dict[int, tuple[float, bool]], start: float, end: float) -> Window:
    """Traffic between ``start`` and ``end`` (epoch seconds): see :class:`Window`."""
    order = sorted(seqs.items())
    inside = [(s, ts, ok) for s, (ts, ok) in order if start <= ts < end]
    lost = sum(1 for _, _, ok in inside if not ok)
    answered = [(s, ts) for s, (ts, ok) in order if ok]
    interval = 0.0
    for (_, a), (_, b) in pairwise(answered):
        if b > start and a < end:
            interval = max(interval, b - a)
    gap, recovered = 0.0, True
    lost_inside = [s for s, _, ok in inside if not ok]
    for run_start, run_end in _runs(lost_inside):
        before = [ts for s, ts in answered if s < run_start]
        after = [ts for s, ts in answered if s > run_end and ts < end]
        begin = before[-1] if before else start
        if after:
            gap = max(gap, after[0] - begin)
        else:
            recovered = False
            gap = max(gap, end - begin)
    return Window(len(inside), lost, gap * 1000, recovered, interval * 1000)


def _runs(numbers: list[int]) -> list[tuple[int, int]]:
    """Consecutive runs in sorted ``numbers``: [1,2,3,7,8] -> [(1,3),(7,8)]."""
    runs: list[tuple[int, int]] = []
    for n in numbers:
        if runs and n == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], n)
        else:
            runs.append((n, n))
    return runs


def _events(text: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2:
            out[parts[0]] = float(parts[1])
    return out


def analyze_cut(path: DrillPath, index: int, files: dict[str, str]) -> CutResult:
    """One cut's result from the drill job's sections (``{index}.ping`` etc.)."""
    slave = path.slaves[index]
    seqs = parse_ping(files.get(f"{index}.ping", ""))
    ev = _events(files.get(f"{index}.events", ""))
    before = BondSide.of(parse_bonding(files.get(f"{index}.before", "")))
    after = BondSide.of(parse_bonding(files.get(f"{index}.after", "")))
    restored = BondSide.of(parse_bonding(files.get(f"{index}.restored", "")))
    problems: list[str] = []
    if not {"cut", "restore", "end"} <= ev.keys():
        problems.append(f"drill did not run to the end (events: {sorted(ev)})")
    cut_at, restore_at = ev.get("cut", 0.0), ev.get("restore", 0.0)
    end_at = ev.get("end", restore_at)
    first = min((ts for ts, _ in seqs.values()), default=cut_at)
    detected = ev.get("detected")
    normal, why = back_to_normal(restored, path)
    if not normal:
        problems.append(why)
    if "up" not in ev:
        problems.append(f"{slave} did not come back up after the link was restored")
    return CutResult(
        slave=slave, was_active=before.active == slave,
        cut=analyze(seqs, cut_at, restore_at), restore=analyze(seqs, restore_at, end_at),
        baseline_jitter_ms=analyze(seqs, first, cut_at).max_interval_ms,
        detected_ms=None if detected is None else (detected - ev.get("cut_done", cut_at)) * 1000,
        before=before, after=after, restored=restored, back_to_normal=normal, problems=problems,
    )  # fmt: skip


def back_to_normal(state: BondSide, path: DrillPath) -> tuple[bool, str]:
    """Every slave up, the bond up, and the primary active again if there is one."""
    down = [s for s in path.slaves if state.slaves_mii.get(s) != "up"]
    if state.mii != "up":
        return False, f"bond MII status {state.mii} after restore"
    if down:
        return False, f"slave(s) {', '.join(down)} not up after restore"
    if path.mode == "active-backup" and path.primary and state.active != path.primary:
        return False, f"active slave {state.active}, primary {path.primary} not reselected"
    return True, ""
