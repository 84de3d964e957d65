"""The render, diagram and demo commands, run in-process with click's CliRunner."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from hvnet.cli import main

from render_helpers import GOLDEN


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def golden(*parts: str) -> str:
    return GOLDEN.joinpath(*parts).read_text()


def test_render_eni_prints_the_golden_file() -> None:
    code, out, _ = run("render", "example:host-a", "--format", "eni")
    assert code == 0
    assert out == golden("host-a", "eni", "etc", "network", "interfaces")


def test_render_default_format_is_eni() -> None:
    assert run("render", "example:host-b")[1] == golden("host-b", "eni", "etc/network/interfaces")


def test_render_root_writes_system_paths(tmp_path: Path) -> None:
    code, _, err = run("render", "example:host-a", "--root", str(tmp_path))
    assert code == 0
    written = tmp_path / "etc" / "network" / "interfaces"
    assert written.read_text() == golden("host-a", "eni", "etc", "network", "interfaces")
    assert str(written) in err


def test_render_output_flattens_paths(tmp_path: Path) -> None:
    code, _, _ = run("render", "example:host-a", "-f", "libvirt", "--output", str(tmp_path))
    assert code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["db1.xml", "proxy1.xml", "web1.xml"]
    assert (tmp_path / "web1.xml").read_text() == golden("host-a", "libvirt", "libvirt", "web1.xml")


def test_render_several_files_to_stdout_get_headers() -> None:
    code, out, _ = run("render", "example:host-b", "--format", "xen")
    assert code == 0
    assert "# ---- xen/web.cfg" in out and "# ---- xen/backup.cfg" in out
    assert golden("host-b", "xen", "xen", "web.cfg") in out


def test_render_other_guest_kind_gets_a_note() -> None:
    code, out, _ = run("render", "example:host-a", "--format", "xen")
    assert code == 0
    assert out == golden("host-a", "xen", "xen", "README")
    assert "no xen guests" in out


def test_render_output_and_root_are_exclusive(tmp_path: Path) -> None:
    code, _, _ = run("render", "example:host-a", "--output", str(tmp_path), "--root", str(tmp_path))
    assert code == 2


def test_render_invalid_file_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("nics:\n  eth0: {}\nbonds:\n  bond0: {slaves: [eth9]}\n")
    code, out, err = run("render", str(bad))
    assert code == 2
    assert out == ""
    assert "HV213" in err


def test_diagram_tree() -> None:
    code, out, _ = run("diagram", "example:host-a")
    assert code == 0
    for text in ("bond1", "vlan200", "br200", "no host address", "proxy1", "52:54:00:c8:00:01"):
        assert text in out


def test_diagram_dot() -> None:
    code, out, _ = run("diagram", "example:host-b", "--format", "dot")
    assert code == 0
    assert out == golden("host-b", "dot", "topology.dot")


def test_demo_runs_every_step() -> None:
    code, out, _ = run("demo")
    assert code == 0
    for step in ("hvnet validate", "--format eni", "--format libvirt", "--format xen", "diagram"):
        assert step in out
    assert "iface br50 inet static" in out
    assert '<source bridge="br50" />' in out


def test_demo_host_b() -> None:
    code, out, _ = run("demo", "--example", "host-b")
    assert code == 0
    assert "vif = [" in out and "no kvm guests" in out
