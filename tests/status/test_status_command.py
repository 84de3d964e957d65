"""The click-free ``hvnet status --json|--prometheus`` path (:mod:`hvnet.status.command`).

It exists only for start-up time, so it must say exactly what the full CLI says for the
argument lists it accepts, and refuse (None: "use the full CLI") everything else.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from statuskit import FIXTURES

from hvnet.cli import main
from hvnet.status.command import parse, run


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--json"], ("json", None, None, False)),
        (["--prometheus", "--no-state"], ("prometheus", None, None, True)),
        (["--json", "--root", "/x", "--state-dir=/s"], ("json", "/x", "/s", False)),
        (["--json", "--json"], ("json", None, None, False)),
        ([], None),
        (["--tree"], None),
        (["--tables"], None),
        (["--json", "--prometheus"], None),
        (["--json", "--config", "host.yaml"], None),
        (["--json", "--root"], None),
        (["--json", "--root", "--no-state"], None),
        (["--json", "--help"], None),
        (["--json", "--root="], None),
    ],
)
def test_parse_accepts_only_what_it_handles(argv: list[str], expected: object) -> None:
    assert parse(argv) == expected


@pytest.mark.parametrize("flag", ["--json", "--prometheus"])
def test_same_output_as_the_cli(
    flag: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = str(FIXTURES / "802.3ad")
    monkeypatch.setattr(sys.stdout, "isatty", lambda: False)
    assert run([flag, "--root", root, "--state-dir", str(tmp_path / "a")]) == 0
    fast = capsys.readouterr().out
    slow = CliRunner().invoke(
        main, ["status", flag, "--root", root, "--state-dir", str(tmp_path / "b")]
    )
    assert slow.exit_code == 0, slow.output
    if flag == "--json":
        fast_doc, slow_doc = json.loads(fast), json.loads(slow.output)
        fast_doc["host"]["generated"] = slow_doc["host"]["generated"] = None
        assert fast_doc == slow_doc
        assert (tmp_path / "a" / "status.json").is_file()
    else:
        assert fast == slow.output


def test_unreadable_root_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--json", "--root", str(tmp_path / "missing")]) == 2
    assert capsys.readouterr().err.startswith("hvnet: cannot read")
