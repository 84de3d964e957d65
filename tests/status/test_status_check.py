"""``hvnet check`` and ``hvnet status --root`` over recorded trees, through the real CLI.

Each fixture was built by a known setup.sh, so a config saying the same must check OK
attribute by attribute through hvnet.compare (which also proves the facts → snapshot
conversion follows netlink.py's conventions); editing files of a copied tree plays the
"changed behind hvnet's back" cases and the support bundle with missing parts.
"""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from statuskit import FIXTURES, copy_case, host_from

from hvnet.cli import main
from hvnet.compare import compare
from hvnet.kernel.sysfs import read_tree
from hvnet.status.facts_snapshot import snapshot_from_facts

_BOND = {
    "balance-rr": "mode: balance-rr, miimon: 100",
    "active-backup": "mode: active-backup, miimon: 100, updelay: 200, downdelay: 200, primary: v0a",
    "balance-xor": "mode: balance-xor, miimon: 100, xmit_hash_policy: layer3+4",
    "broadcast": "mode: broadcast, miimon: 100",
    "802.3ad": "mode: 802.3ad, miimon: 100, lacp_rate: fast, xmit_hash_policy: layer2+3",
    "802.3ad-nopartner": "mode: 802.3ad, miimon: 100",
    "balance-tlb": "mode: balance-tlb, miimon: 100",
    "balance-alb": "mode: balance-alb, miimon: 100",
    "active-backup-arp": "mode: active-backup, arp_interval: 100, arp_ip_target: [192.0.2.1], "
    "arp_validate: all",
    "active-backup-failover": "mode: active-backup, miimon: 100",
}
#: Exit code of a correct config per case: the health verdict decides when nothing drifted.
_EXPECTED = {"802.3ad-nopartner": 1, "active-backup-failover": 2}


def config_for(case: str) -> str:
    slaves = "eth0, eth2" if case == "active-backup-failover" else "v0a, v1a"
    nics = ", ".join(f"{n}: {{}}" for n in slaves.split(", "))
    # the ARP monitor needs a source address (HV403): one the tree cannot show anyway
    address = ", addresses: [192.0.2.10/24]" if "arp" in case else ""
    return textwrap.dedent(f"""\
        nics: {{{nics}}}
        bonds:
          bond0: {{slaves: [{slaves}], {_BOND[case]}}}
        vlans:
          bond0.100: {{id: 100, link: bond0{address}}}
        """)


BRIDGE_CONFIG = """\
nics: {v0a: {}, v1a: {}}
bridges:
  br0: {ports: [v0a, v1a], stp: false, forward_delay: 15}
"""


def run_check(tmp_path: Path, config: str, root: Path, *extra: str) -> Result:
    path = tmp_path / "host.yaml"
    path.write_text(config)
    return CliRunner().invoke(
        main, ["check", str(path), "--root", str(root), *extra], catch_exceptions=False
    )


@pytest.mark.parametrize("case", sorted(_BOND))
def test_config_matches_its_fixture(tmp_path: Path, case: str) -> None:
    result = run_check(tmp_path, config_for(case), FIXTURES / case)
    lines = result.output.splitlines()
    expected = _EXPECTED.get(case, 0)
    assert result.exit_code == expected, result.output
    assert lines[0].startswith(f"HVNET CHECK {['OK', 'WARNING', 'CRITICAL'][expected]} - ")
    attribute_lines = [line for line in lines[1:] if " health: " not in line]
    assert attribute_lines and all(line.startswith(("[ok]", "[skip]")) for line in attribute_lines)
    assert any("bond0 mode: expected" in line for line in lines)


def test_bridge_fixture_matches(tmp_path: Path) -> None:
    result = run_check(tmp_path, BRIDGE_CONFIG, FIXTURES / "bridge")
    assert result.exit_code == 0, result.output
    assert "[ok] br0 ports: expected [v0a, v1a]" in result.output
    assert "[ok] br0 forward_delay: expected 15" in result.output


def test_compare_is_the_engine() -> None:
    """Same answers as calling hvnet.compare directly on the converted snapshot."""
    host = host_from(config_for("active-backup"))
    snapshot, limits = snapshot_from_facts(read_tree(FIXTURES / "active-backup"))
    checks = compare(host, snapshot)
    assert checks and all(c.ok for c in checks), [c.format() for c in checks if not c.ok]
    assert snapshot.host.links["bond0"].options.primary == "v0a"  # type: ignore[attr-defined]
    assert limits.classify("bond0", "addresses") == "skip"


def test_drift_names_exactly_the_changed_attributes(tmp_path: Path) -> None:
    root = copy_case("active-backup", tmp_path)
    (root / "sys/class/net/bond0/bonding/miimon").write_text("250\n")
    shutil.rmtree(root / "sys/class/net/bond0.100")
    (root / "proc/net/vlan/bond0.100").unlink()
    config = root / "proc/net/vlan/config"
    config.write_text("".join(x for x in config.read_text().splitlines(True) if "100" not in x))
    result = run_check(tmp_path, config_for("active-backup"), root, "--failures-only")
    assert result.exit_code == 2, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("HVNET CHECK CRITICAL - 2 of ")
    assert "bond0 miimon, bond0.100 exists" in lines[0] and "| attributes=" in lines[0]
    assert lines[1:] == [
        "[FAIL] bond0 miimon: expected 100, kernel has 250",
        "[FAIL] bond0.100 exists: expected vlan, kernel has nothing",
    ]


def test_health_warning_exits_1(tmp_path: Path) -> None:
    root = copy_case("active-backup", tmp_path)
    (root / "sys/class/net/bond0/bonding/active_slave").write_text("v1a\n")
    result = run_check(tmp_path, config_for("active-backup"), root)
    assert result.exit_code == 1, result.output
    assert result.output.startswith("HVNET CHECK WARNING - ")
    assert "[WARN] bond0 health: bond0: active slave is v1a, not the primary v0a" in result.output
    no_health = run_check(tmp_path, config_for("active-backup"), root, "--no-health")
    assert no_health.exit_code == 0, no_health.output


def test_missing_files_are_unknown_not_drift(tmp_path: Path) -> None:
    root = copy_case("active-backup", tmp_path)
    (root / "sys/class/net/bond0/bonding/updelay").unlink()
    (root / "proc/net/bonding/bond0").unlink()
    result = run_check(tmp_path, config_for("active-backup"), root, "--failures-only")
    assert result.exit_code == 3, result.output
    assert result.output.startswith("HVNET CHECK UNKNOWN - 1 of ")
    assert "[??] bond0 updelay: expected 200; unknown (missing from the tree)" in result.output


def test_addresses_are_skipped_in_a_recorded_tree(tmp_path: Path) -> None:
    config = config_for("balance-rr").replace(
        "bond0.100: {id: 100, link: bond0}",
        "bond0.100: {id: 100, link: bond0, addresses: [192.0.2.10/24]}",
    )
    result = run_check(tmp_path, config, FIXTURES / "balance-rr")
    assert result.exit_code == 0, result.output
    assert "[skip] bond0.100 addresses: expected [192.0.2.10/24]; not recorded" in result.output


def test_invalid_config_and_unreadable_root_are_unknown(tmp_path: Path) -> None:
    bad = run_check(
        tmp_path, "bonds: {bond0: {slaves: [x], mode: nonsense}}\n", FIXTURES / "bridge"
    )
    assert bad.exit_code == 3 and "HVNET CHECK UNKNOWN - " in bad.output
    missing = run_check(tmp_path, BRIDGE_CONFIG, tmp_path / "nowhere")
    assert missing.exit_code == 3
    assert missing.output.startswith("HVNET CHECK UNKNOWN - cannot read the kernel")


# --- status --root on damaged trees -------------------------------------------------------


def _status_json(root: Path, *extra: str) -> dict[str, object]:
    result = CliRunner().invoke(main, ["status", "--json", "--root", str(root), *extra])
    assert result.exit_code == 0, result.output
    data: dict[str, object] = json.loads(result.output)
    return data


def test_status_root_with_missing_parts_reports_unknown(tmp_path: Path) -> None:
    root = copy_case("802.3ad", tmp_path)
    for rel in (
        "sys/class/net/v0a/bonding_slave/mii_status",
        "sys/class/net/v1a",
        "proc/net/vlan/bond0.100",
        "sys/class/net/bond0/operstate",
    ):
        path = root / rel
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    data = _status_json(root)
    bond = data["bonds"][0]  # type: ignore[index]
    slaves = {s["name"]: s for s in bond["slaves"]}
    assert slaves["v0a"]["mii_status"] == "up"  # still known from /proc
    assert slaves["v1a"]["operstate"] is None  # its sysfs directory is gone
    vlan = data["vlans"][0]  # type: ignore[index]
    assert (vlan["name"], vlan["vid"], vlan["parent"]) == ("bond0.100", 100, "bond0")
    assert vlan["counters"]["rx_frames"] is None  # /proc/net/vlan/bond0.100 is gone
    assert vlan["parent_operstate"] is None  # and so is bond0's operstate
    assert vlan["health"]["level"] == "unknown"
    assert data["overall"] == "unknown"


def test_status_root_nearly_empty_tree(tmp_path: Path) -> None:
    (tmp_path / "proc/net/bonding").mkdir(parents=True)
    (tmp_path / "proc/net/bonding/bond0").write_text(
        (FIXTURES / "active-backup/proc/net/bonding/bond0").read_text()
    )
    data = _status_json(tmp_path)
    bond = data["bonds"][0]  # type: ignore[index]
    assert bond["mode"] == "active-backup" and bond["operstate"] is None
    assert [s["mii_status"] for s in bond["slaves"]] == ["up", "up"]
    nothing = CliRunner().invoke(main, ["status", "--root", str(tmp_path / "void")])
    assert nothing.exit_code == 2 and "cannot read" in nothing.output


def test_status_root_does_not_touch_state_unless_asked(tmp_path: Path) -> None:
    state = tmp_path / "state"
    _status_json(FIXTURES / "active-backup-failover")
    assert not state.exists()
    _status_json(FIXTURES / "active-backup-failover", "--state-dir", str(state))
    saved = json.loads((state / "status.json").read_text())
    assert saved["failure_counts"] == {"bond0": {"eth0": 1, "eth2": 0}}
    saved["failure_counts"]["bond0"]["eth2"] = -1
    (state / "status.json").write_text(json.dumps(saved))
    data = _status_json(FIXTURES / "active-backup-failover", "--state-dir", str(state))
    codes = {f["code"] for f in data["bonds"][0]["health"]["findings"]}  # type: ignore[index]
    assert "flapping" in codes


def test_status_formats_through_the_cli() -> None:
    root = str(FIXTURES / "802.3ad")
    for flag in ("--tree", "--tables", "--prometheus"):
        result = CliRunner().invoke(main, ["status", flag, "--root", root])
        assert result.exit_code == 0, result.output
    prom = CliRunner().invoke(main, ["status", "--prometheus", "--root", root]).output
    assert 'hvnet_bonding_active{master="bond0"} 2' in prom
