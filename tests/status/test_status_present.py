"""Presenters: the JSON schema is stable (golden file), Prometheus output parses back,
the tree, tables and diagrams draw every fixture, and nothing reads the kernel."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from statuskit import BOND_CASES, doc_for

from hvnet.kernel.record import replace
from hvnet.status.doc import SCHEMA_VERSION, GuestRef, Level, document_json
from hvnet.status.present import (
    build_tree,
    render_dot,
    render_json,
    render_tables,
    render_tree,
)
from hvnet.status.prometheus import escape_label, render_prometheus

GOLDEN = Path(__file__).resolve().parent / "golden"


def _normalised(case: str) -> dict[str, Any]:
    data = json.loads(render_json(doc_for(case)))
    data["host"]["root"] = f"<fixtures>/{case}"
    return data


@pytest.mark.parametrize("case", ["active-backup-failover", "802.3ad"])
def test_json_matches_golden(case: str) -> None:
    """The documented schema, byte for byte: a change here is a schema change (docs!)."""
    path = GOLDEN / f"{case}.json"
    data = _normalised(case)
    if os.environ.get("HVNET_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    assert data == json.loads(path.read_text())


def test_json_top_level_and_object_keys() -> None:
    data = _normalised("active-backup-failover")
    assert list(data) == ["version", "host", "overall", "bonds", "vlans", "bridges", "links",
                          "problems"]  # fmt: skip
    assert data["version"] == SCHEMA_VERSION == 1
    assert data["overall"] == "critical"
    bond = data["bonds"][0]
    for key in ("name", "mode", "monitoring", "primary", "active_slave", "slaves", "health"):
        assert key in bond
    slave = bond["slaves"][0]
    for key in ("name", "mii_status", "speed_mbps", "duplex", "link_failure_count",
                "perm_hwaddr", "aggregator_id", "partner_mac", "partner_key"):  # fmt: skip
        assert key in slave
    assert set(bond["health"]) == {"level", "findings"}
    assert set(bond["health"]["findings"][0]) == {"code", "level", "subject", "message"}
    vlan = data["vlans"][0]
    for key in ("name", "vid", "parent", "protocol", "flags", "counters", "health"):
        assert key in vlan
    br = _normalised("bridge")["bridges"][0]
    for key in ("name", "stp", "ports", "address", "health"):
        assert key in br
    assert set(br["ports"][0]) >= {"name", "role", "stp_state", "guest"}


def test_json_is_plain_data_for_every_fixture() -> None:
    for case in (*BOND_CASES, "bridge"):
        doc = doc_for(case)
        assert json.loads(render_json(doc)) == json.loads(json.dumps(document_json(doc)))


# --- Prometheus ---------------------------------------------------------------------------

_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$")
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)')


def parse_exposition(text: str) -> dict[str, dict[str, Any]]:
    """A strict little parser of the text format: HELP/TYPE before samples, valid escapes."""
    families: dict[str, dict[str, Any]] = {}
    current = None
    assert text.endswith("\n")
    for line in text.splitlines():
        if line.startswith("# HELP "):
            name, _, help_text = line[7:].partition(" ")
            assert name not in families, f"family {name} twice"
            families[name] = {"help": help_text, "type": None, "samples": []}
            current = name
        elif line.startswith("# TYPE "):
            name, _, kind = line[7:].partition(" ")
            assert name == current and kind in ("gauge", "counter", "untyped")
            families[name]["type"] = kind
        else:
            m = _SAMPLE.match(line)
            assert m, f"bad sample line {line!r}"
            name, _, labels, value = m.groups()
            assert name == current and families[name]["type"] is not None
            parsed: dict[str, str] = {}
            rest = labels or ""
            while rest:
                lm = _LABEL.match(rest)
                assert lm, f"bad labels {labels!r}"
                raw = lm.group(2)
                parsed[lm.group(1)] = re.sub(r"\\(.)", lambda g: {"n": "\n"}.get(g[1], g[1]), raw)
                rest = rest[lm.end() :]
            float(value)
            families[name]["samples"].append((parsed, float(value)))
    return families


def test_prometheus_parses_and_has_bonding_metrics() -> None:
    fam = parse_exposition(render_prometheus(doc_for("active-backup-failover")))
    assert fam["hvnet_bonding_slaves"]["samples"] == [({"master": "bond0"}, 2.0)]
    assert fam["hvnet_bonding_active"]["samples"] == [({"master": "bond0"}, 1.0)]
    assert fam["hvnet_bond_slave_link_failures_total"]["type"] == "counter"
    fails = {s[0]["slave"]: s[1] for s in fam["hvnet_bond_slave_link_failures_total"]["samples"]}
    assert fails == {"eth0": 1.0, "eth2": 0.0}
    mii = {s[0]["slave"]: s[1] for s in fam["hvnet_bond_slave_mii_up"]["samples"]}
    assert mii == {"eth0": 0.0, "eth2": 1.0}
    assert fam["hvnet_health_overall"]["samples"] == [({}, 2.0)]
    health = {s[0]["link"]: s[1] for s in fam["hvnet_health_level"]["samples"]}
    assert health["bond0"] == 2.0 and health["eth0"] == 1.0 and health["bond0.100"] == 0.0
    objects = {s[0]["kind"]: s[1] for s in fam["hvnet_objects"]["samples"]}
    assert objects == {"bond": 1.0, "vlan": 1.0, "bridge": 0.0}


def test_prometheus_bridge_stp_and_lacp() -> None:
    fam = parse_exposition(render_prometheus(doc_for("bridge")))
    states = {s[0]["port"]: s[1] for s in fam["hvnet_bridge_port_stp_state"]["samples"]}
    assert states == {"v0a": 3.0, "v1a": 3.0}
    roles = {s[0]["role"]: s[1] for s in fam["hvnet_bridge_ports"]["samples"]}
    assert roles == {"uplink": 2.0, "guest": 0.0}
    lacp = parse_exposition(render_prometheus(doc_for("802.3ad-nopartner")))
    assert lacp["hvnet_bond_lacp_partner"]["samples"] == [({"master": "bond0"}, 0.0)]
    aggs = {s[0]["slave"]: s[1] for s in lacp["hvnet_bond_slave_aggregator_id"]["samples"]}
    assert aggs == {"v0a": 1.0, "v1a": 2.0}


def test_prometheus_label_escaping_round_trips() -> None:
    odd = 'b"o\\n\nd'  # interface names may hold quotes and backslashes
    assert escape_label(odd) == 'b\\"o\\\\n\\nd'
    doc = doc_for("balance-rr")
    doc = replace(doc, bonds=(replace(doc.bonds[0], name=odd),))
    fam = parse_exposition(render_prometheus(doc))
    assert fam["hvnet_bonding_slaves"]["samples"][0][0] == {"master": odd}


def test_prometheus_every_fixture_valid() -> None:
    for case in (*BOND_CASES, "bridge"):
        parse_exposition(render_prometheus(doc_for(case)))


# --- tree, tables, diagrams ---------------------------------------------------------------


def _text(draw: Any, doc: Any) -> str:
    console = Console(record=True, width=200, color_system=None)
    draw(doc, console)
    return console.export_text()


def test_tree_shows_the_stack_and_findings() -> None:
    text = _text(render_tree, doc_for("active-backup-failover"))
    lines = text.splitlines()
    assert "overall CRITICAL" in lines[0]
    bond = next(i for i, line in enumerate(lines) if "bond0  bond active-backup" in line)
    slave = next(i for i, line in enumerate(lines) if "eth0  slave" in line)
    vlan = next(i for i, line in enumerate(lines) if "bond0.100  VLAN 100" in line)
    assert bond < slave < vlan
    assert "failures 1" in lines[slave] and "mii down" in lines[slave]
    assert "(no-redundancy)" in text and "[critical]" in text


def test_tree_guests_named_and_unattached(tmp_path: Path) -> None:
    doc = doc_for("bridge")
    br = doc.bridges[0]
    guest = replace(br.ports[1], name="vnet3", role="guest", guest=GuestRef("web1", "libvirt"))
    doc = replace(doc, bridges=(replace(br, ports=(br.ports[0], guest)),))
    text = _text(render_tree, doc)
    assert "guest web1  vnet3 (libvirt)" in text
    lonely = replace(doc, bridges=(replace(br, name="br9", ports=()),))
    assert "unattached" in _text(render_tree, lonely)


def test_tables_and_tree_for_every_fixture() -> None:
    for case in (*BOND_CASES, "bridge"):
        doc = doc_for(case)
        tables = _text(render_tables, doc)
        assert f"overall: {doc.overall.value}" in tables
        build_tree(doc)
    nopartner = _text(render_tables, doc_for("802.3ad-nopartner"))
    assert "lacp-split" in nopartner and "Bond slaves" in nopartner


def test_dot_has_health_colours() -> None:
    dot = render_dot(doc_for("active-backup-failover"))
    assert dot.startswith("digraph") and dot.rstrip().endswith("}")
    assert '"eth0" -> "bond0"' in dot and '"bond0" -> "bond0.100"' in dot
    bond_line = next(line for line in dot.splitlines() if line.startswith('  "bond0" ['))
    assert "#ff9c9c" in bond_line  # critical
    levels = {Level.OK, Level.WARNING, Level.CRITICAL}
    assert levels  # colours defined for all levels


def test_live_diagram_formats(capsys: pytest.CaptureFixture[str], monkeypatch: Any) -> None:
    from statuskit import FIXTURES

    from hvnet.status.present import render_live_diagram

    root = str(FIXTURES / "active-backup-failover")
    assert render_live_diagram("dot", root=root) == 0
    assert capsys.readouterr().out.startswith("digraph")
    import shutil

    if shutil.which("dot"):
        assert render_live_diagram("svg", root=root) == 0
        assert "<svg" in capsys.readouterr().out
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert render_live_diagram("svg", root=root) == 2
    assert "Graphviz is not installed" in capsys.readouterr().err
    assert render_live_diagram("tree", root=str(FIXTURES / "nowhere")) == 2


def test_config_names_guests_and_states_intent() -> None:
    config = """
    nics: {v0a: {}, v1a: {}}
    bridges:
      br0: {ports: [v0a]}
    guests:
      web1:
        nics: [{network: br0, mac: "52:54:00:12:34:56"}]
    """
    doc = doc_for("bridge", config)
    br = doc.bridges[0]
    assert br.configured_ports == ("v0a",)
    assert [(p.name, p.configured) for p in br.ports] == [("v0a", True), ("v1a", False)]
    assert doc.host.config == "test.yaml"
