"""The ownership ledger: what is saved is what is loaded, one line per link, and bad files
are refused with the way out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hvnet.apply.ledger import Ledger, LedgerError, load_ledger, save_ledger


def test_save_then_load_gives_the_same_ledger(tmp_path: Path) -> None:
    ledger = Ledger(
        created={"bond0", "bond0.5", "br5"},
        declared={
            "br5": {"kind": "bridge", "ports": ["bond0.5"], "addresses": ["10.0.0.1/24"]},
            "bond0": {"kind": "bond", "ports": [], "addresses": []},
            'odd"name': {"kind": "nic", "ports": [], "addresses": []},
        },
    )
    save_ledger(tmp_path, ledger)
    loaded = load_ledger(tmp_path)
    assert loaded.created == ledger.created
    assert loaded.declared == ledger.declared
    assert loaded.applied_at == ledger.applied_at is not None


def test_saved_ledger_is_one_sorted_line_per_link(tmp_path: Path) -> None:
    declared = {f"br{i}": {"ports": [f"v{i}"], "kind": "bridge", "addresses": []} for i in (3, 1)}
    save_ledger(tmp_path, Ledger(created={"br1"}, declared=declared))
    lines = (tmp_path / "ledger.json").read_text().splitlines()
    rows = [line for line in lines if line.startswith('  "br')]
    assert rows == [
        '  "br1": {"addresses": [], "kind": "bridge", "ports": ["v1"]},',
        '  "br3": {"addresses": [], "kind": "bridge", "ports": ["v3"]}',
    ]
    assert json.loads((tmp_path / "ledger.json").read_text())["created"] == ["br1"]


def test_empty_ledger_is_valid_json(tmp_path: Path) -> None:
    save_ledger(tmp_path, Ledger())
    assert json.loads((tmp_path / "ledger.json").read_text())["declared"] == {}


@pytest.mark.parametrize("text", ["{not json", '{"version": 99}', "[]"])
def test_bad_ledger_is_refused_with_the_way_out(tmp_path: Path, text: str) -> None:
    (tmp_path / "ledger.json").write_text(text)
    with pytest.raises(LedgerError, match="ledger"):
        load_ledger(tmp_path)
