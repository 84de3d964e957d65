"""``hvnet lab`` exit codes without a VM: invalid file, lab unavailable."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import hvnet.lab
from hvnet.cli import main
from hvnet.lab import LabUnavailable


def test_invalid_file_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("nics: {eth0: {}}\nbonds: {bond0: {slaves: [eth9]}}\n")
    result = CliRunner().invoke(main, ["lab", str(bad)])
    assert result.exit_code == 2


def test_lab_unavailable_exits_3_with_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    class NoLab:
        def __init__(self, *args: object, **kwargs: object) -> None:
            raise LabUnavailable("no qemu here: apt-get install qemu-system-x86")

    monkeypatch.setattr(hvnet.lab, "LabVM", NoLab)
    result = CliRunner().invoke(main, ["lab", "example:host-a"])
    assert result.exit_code == 3
    assert "qemu-system-x86" in result.output


def test_help_lists_the_options() -> None:
    result = CliRunner().invoke(main, ["lab", "--help"])
    assert result.exit_code == 0
    for option in ("--json", "--keep-going", "--only"):
        assert option in result.output
