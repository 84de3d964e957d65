"""``hvnet apply`` without click (hvnet.apply.run) says and exits exactly as the click command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BAD = """\
version: 1
nics: {eth0: {mtu: 20}}
bonds:
  bond0: {slaves: [eth9], mode: active-backup}
"""

CLICK = "import sys; from hvnet.cli import main; sys.argv[0] = 'hvnet'; main()"


def _both(args: list[str]) -> tuple[subprocess.CompletedProcess[str], ...]:
    hvnet = str(Path(sys.executable).with_name("hvnet"))
    fast = subprocess.run([hvnet, "apply", *args], capture_output=True, text=True, timeout=120)
    slow = subprocess.run(
        [sys.executable, "-c", CLICK, "apply", *args], capture_output=True, text=True, timeout=120
    )
    return fast, slow


@pytest.mark.parametrize("content", [BAD, None], ids=["invalid", "missing"])
def test_fast_apply_reports_like_the_click_command(tmp_path: Path, content: str | None) -> None:
    host = tmp_path / "host.yaml"
    if content is not None:
        host.write_text(content)
    args = [str(host), "--runtime-only", "--state-dir", str(tmp_path / "state")]
    fast, slow = _both(args)
    assert fast.returncode == slow.returncode == 2
    assert fast.stdout == slow.stdout == ""
    assert fast.stderr == slow.stderr
    assert "error(s)" in fast.stderr or "needs root" in fast.stderr


def test_the_fast_path_leaves_other_options_to_click(tmp_path: Path) -> None:
    """A file where a directory is expected is click's usage error, not a crash."""
    afile = tmp_path / "f"
    afile.write_text("")
    fast, slow = _both([str(tmp_path / "h.yaml"), "--state-dir", str(afile)])
    assert fast.returncode == slow.returncode == 2
    assert "is a file" in fast.stderr and fast.stderr == slow.stderr


def test_a_plain_apply_does_not_import_click(tmp_path: Path) -> None:
    host = tmp_path / "host.yaml"
    host.write_text(BAD)
    code = (
        "import sys; from hvnet.apply.command import run; "
        "code = run(sys.argv[1:]); print(code, 'click' in sys.modules)"
    )
    args = [str(host), "--runtime-only", "--state-dir", str(tmp_path / "state")]
    result = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120
    )
    assert result.stdout.split() == ["2", "False"], result.stderr


WARNING_ONLY = """\
version: 1
nics: {eth0: {}, eth1: {}}
bridges:
  br60: {ports: [eth0], stp: false, forward_delay: 0}
"""


def test_a_valid_file_still_shows_its_warnings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Loading for apply, plan or render prints the warnings of a file without errors."""
    from hvnet.apply.run import load_checked, load_keyed

    host = tmp_path / "host.yaml"
    host.write_text(WARNING_ONLY)
    assert load_checked(str(host)).ok
    first = capsys.readouterr().err
    assert "HV217" in first and "error(s)" not in first
    _, _, warnings = load_keyed(str(host), tmp_path / "models")  # validated, then cached
    assert capsys.readouterr().err == first and len(warnings) == 1
    load_keyed(str(host), tmp_path / "models")
    assert capsys.readouterr().err == first
