"""``hvnet import``: every corpus file (ENI and netplan) through the command line.

What the operator relies on: the YAML on stdout (or ``-o``) validates with ``hvnet validate``
(warnings allowed), every note is on stderr as ``file:line: kind: ...`` and every
not-converted line is also a comment in the YAML, a summary line ends the run, and a file that
cannot be imported exits 2 with ``file:line:col: message``, never a traceback.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from hvnet.cli import main
from hvnet.importers.detect import detect_format
from hvnet.loader import load_text

SHARED = Path("/work/shared/corpus")
if not SHARED.is_dir():  # pragma: no cover
    SHARED = Path(__file__).resolve().parents[3] / "shared" / "corpus"
ENI = sorted((SHARED / "eni").glob("*.interfaces"))
NETPLAN = sorted((SHARED / "netplan").glob("*.yaml"))
#: Netplan files that netplan itself refuses: 05 is an overlay without the file it extends
#: (no 'network:' definitions of its own to stand on), 11 is broken YAML.
NETPLAN_REFUSED = {"05", "11"}
NOTE = re.compile(r"^.+:\d+: (not-converted|inconsistent|converted): .+  \(.+\)$")

pytestmark = pytest.mark.skipif(not SHARED.is_dir(), reason="corpus not available")


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("path", ENI, ids=lambda p: p.name[:2])
def test_every_eni_corpus_file(path: Path, tmp_path: Path) -> None:
    code, out, err = run("import", "--root", str(tmp_path), str(path))
    assert code == 0, err
    assert "Traceback" not in err
    loaded = load_text(out, "imported.yaml")
    assert loaded.ok, err
    lines = err.splitlines()
    assert re.match(r".*: imported \d+ link\(s\) .*validation: 0 error\(s\)", lines[-1])
    body = [line for line in lines[:-1] if not re.match(r"^\S+:\d+:\d+: warning", line)]
    notes = [line for line in body if NOTE.match(line)]
    not_converted = [line for line in notes if ": not-converted: " in line]
    header = [line for line in out.splitlines() if line.startswith("#")]
    for line in not_converted:
        where = line.split(": not-converted: ")[0]
        assert any(h.startswith(f"#   {where}: ") for h in header), where


@pytest.mark.parametrize("path", NETPLAN, ids=lambda p: p.name[:2])
def test_every_netplan_corpus_file(path: Path) -> None:
    assert detect_format(path.read_text(encoding="utf-8")) == "netplan"
    code, out, err = run("import", str(path))
    assert "Traceback" not in err
    if path.name[:2] in NETPLAN_REFUSED:
        assert code == 2
        assert re.match(rf"^{re.escape(str(path))}:\d+:\d+: ", err)
        assert out == ""
        return
    assert code == 0, err
    assert load_text(out, "imported.yaml").ok
    assert "validation: 0 error(s)" in err.splitlines()[-1]


def test_netplan_overlay_merged_with_its_base() -> None:
    base, overlay = (next(SHARED.glob(f"netplan/{k}-*.yaml")) for k in ("04", "05"))
    code, out, err = run("import", str(base), str(overlay))
    assert code == 0, err
    assert "mtu: 9000" in out


def test_output_file_is_written_and_validates(tmp_path: Path) -> None:
    target = tmp_path / "host.yaml"
    source = next(p for p in ENI if p.name.startswith("21-"))
    code, out, err = run("import", "-o", str(target), "--root", str(tmp_path), str(source))
    assert code == 0 and out == ""
    assert f"wrote {target}" in err
    assert run("validate", str(target))[0] == 0
    assert "broadcast 192.18.0.255" in target.read_text()


def test_format_override_and_several_eni_files(tmp_path: Path) -> None:
    one, two = tmp_path / "a", tmp_path / "b"
    one.write_text("auto bond0\niface bond0 inet manual\n  bond-slaves eth0 eth1\n")
    two.write_text("auto br0\niface br0 inet dhcp\n  bridge_ports bond0\n")
    code, out, err = run("import", str(one), str(two))
    assert code == 0, err
    assert "bonds:" in out and "bridges:" in out
    code, out, err = run("import", "--format", "netplan", str(one))
    assert code == 2 and re.match(rf"^{re.escape(str(one))}:\d+:\d+: ", err)


def test_unreadable_and_binary_files(tmp_path: Path) -> None:
    code, _, err = run("import", str(tmp_path / "missing"))
    assert code == 2 and err.startswith(f"{tmp_path / 'missing'}:1:1: cannot read file")
    code, _, err = run("import", str(tmp_path))
    assert code == 2 and ":1:1: cannot read file" in err
    junk = tmp_path / "junk"
    junk.write_bytes(bytes(range(256)) * 4)
    code, _, err = run("import", str(junk))
    assert code == 0 and "Traceback" not in err


def test_the_installed_command_runs_as_a_subprocess(tmp_path: Path) -> None:
    source = next(p for p in ENI if p.name.startswith("05-"))
    done = subprocess.run(
        [sys.executable, "-m", "hvnet.cli", "import", "--root", str(tmp_path), str(source)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "vmbr0" in done.stdout
    assert "bridge-vids 10 20 30 40" in done.stdout  # kept as a comment
