"""Failover drill analysis: ping gaps and losses, bond state from /proc (no VM)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from hvnet.lab.drill import analyze, analyze_cut, drill_script, parse_ping, sections
from hvnet.lab.topology import plan_lab
from hvnet.loader import load_file

from hvtest import EXAMPLES

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "proc"
T0 = 1700000000.0


def ping_log(answered: list[bool], interval: float = 0.01, start: float = T0) -> str:
    """A ``ping -D -O`` log: seq i sent at start + i*interval, answered or "no answer yet"."""
    lines = ["PING 10.0.0.1 (10.0.0.1) 56(84) bytes of data."]
    for i, ok in enumerate(answered, 1):
        ts = start + i * interval
        if ok:
            lines.append(f"[{ts:.6f}] 64 bytes from 10.0.0.1: icmp_seq={i} ttl=64 time=0.5 ms")
        else:
            lines.append(f"[{ts + interval:.6f}] no answer yet for icmp_seq={i}")
    lines += ["", "--- 10.0.0.1 ping statistics ---", f"{len(answered)} packets transmitted"]
    return "\n".join(lines) + "\n"


def test_no_loss_means_no_outage_even_when_the_sender_stalls() -> None:
    log = ping_log([True] * 50) + f"[{T0 + 1.5:.6f}] 64 bytes from x: icmp_seq=51 ttl=64\n"
    w = analyze(parse_ping(log), T0, T0 + 2)
    assert (w.lost, w.gap_ms, w.recovered, w.sent) == (0, 0.0, True, 51)
    assert w.max_interval_ms > 900  # the stall is visible as jitter, not as an outage


def test_outage_runs_from_last_reply_to_first_reply_after_the_loss() -> None:
    answered = [True] * 100 + [False] * 30 + [True] * 70
    w = analyze(parse_ping(ping_log(answered)), T0 + 0.5, T0 + 3)
    assert w.lost == 30 and w.recovered
    assert abs(w.gap_ms - 310) < 1  # seq 100 at +1.00 s, seq 131 at +1.31 s


def test_never_recovered_is_lost_for_good() -> None:
    answered = [True] * 100 + [False] * 200
    w = analyze(parse_ping(ping_log(answered)), T0 + 0.5, T0 + 3)
    assert not w.recovered and w.lost == 198  # the last two fall after the window
    assert abs(w.gap_ms - 2000) < 1  # from the last reply (+1.0 s) to the window's end


def test_sections_split_job_output() -> None:
    out = "=== 0.ping\na\nb\n=== 0.events\ncut 1.5\n"
    assert sections(out) == {"0.ping": "a\nb\n", "0.events": "cut 1.5\n"}


def test_analyze_cut_with_real_bonding_files() -> None:
    host = load_file(EXAMPLES / "host-b.yaml").host
    assert host is not None
    path = plan_lab(host).drills[0]
    normal = (FIXTURES / "active-backup" / "proc" / "net" / "bonding" / "bond0").read_text()
    failed = (FIXTURES / "active-backup-failover" / "proc/net/bonding/bond0").read_text()
    swap = {"eth0": path.slaves[0], "eth2": path.slaves[1]}
    for old, new in swap.items():
        failed = failed.replace(f"Interface: {old}", f"Interface: {new}")
        failed = failed.replace(f"Active Slave: {old}", f"Active Slave: {new}")
    restored = failed.replace("MII Status: down", "MII Status: up")
    answered = [True] * 100 + [False] * 12 + [True] * 200
    files = {
        "0.ping": ping_log(answered),
        "0.events": f"cut {T0 + 1.0}\ncut_done {T0 + 1.01}\ndetected {T0 + 1.1}\n"
        f"restore {T0 + 2.5}\nup {T0 + 2.6}\nend {T0 + 3.2}\n",
        "0.before": normal.replace("v0a", path.slaves[0]).replace("v1a", path.slaves[1]),
        "0.after": failed,
        "0.restored": restored,
    }
    cut = analyze_cut(path, 0, files)
    assert cut.cut.lost == 12 and cut.cut.recovered and not cut.lost_for_good
    assert cut.after.active == path.slaves[1]
    assert cut.after.failures[path.slaves[0]] == 1
    assert cut.detected_ms is not None and abs(cut.detected_ms - 90) < 1
    assert cut.back_to_normal and cut.ok, cut.problems
    broken = analyze_cut(path, 0, {**files, "0.restored": failed})
    assert not broken.back_to_normal and not broken.ok
    assert "not up after restore" in broken.problems[0]


def test_drill_script_is_valid_bash_without_sleep_execs() -> None:
    host = load_file(EXAMPLES / "host-a.yaml").host
    assert host is not None
    for path in plan_lab(host).drills:
        script = drill_script(path)
        assert subprocess.run(["bash", "-n"], input=script, text=True).returncode == 0
        assert "sleep" not in script  # read -t on a FIFO: no exec per pause under TCG
        assert script.count(" down\n") == len(path.slaves)
