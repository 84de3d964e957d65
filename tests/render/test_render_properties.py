"""Property tests over generated valid hosts: every format renders, ENI stays well-formed.

The ENI checks are the injection guard seen from outside: every line must be blank, a
comment, a top-level keyword or an option whose keyword the renderer declares, and each
``iface`` must name a model link. Where classic ifupdown is installed, its own parser and
no-act run (``ifup -n -a``) must accept the file too.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings

from hvnet.model import Host
from hvnet.render.eni import KEYWORDS, render_text

from render_helpers import FORMATS
from strategies import host_documents, load_document

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
IFUP = shutil.which("ifup") or ("/sbin/ifup" if Path("/sbin/ifup").exists() else None)


def valid_host(doc: dict[str, object]) -> Host:
    result = load_document(doc)
    assume(result.ok)
    assert result.host is not None
    return result.host


@SETTINGS
@given(host_documents())
def test_every_valid_host_renders_in_every_format(doc: dict[str, object]) -> None:
    host = valid_host(doc)
    for fmt, render in FORMATS.items():
        files = render(host)
        assert files, fmt
        for path, text in files.items():
            assert text.endswith("\n") and "\r" not in text, (fmt, path)
            if path.endswith(".xml"):
                ET.fromstring(text)


def check_eni(host: Host, text: str) -> list[str]:
    """Assert the line grammar; return the ``auto`` names in order."""
    names = set(host.links) | {"lo"}
    autos: list[str] = []
    stanza_open = False
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        words = stripped.split()
        if line.startswith("    "):
            assert stanza_open, f"option outside a stanza: {line!r}"
            assert words[0] in KEYWORDS, f"undeclared keyword: {line!r}"
            assert len(words) > 1, f"option without value: {line!r}"
            continue
        assert line == stripped, f"top-level line with odd indentation: {line!r}"
        if words[0] == "iface":
            assert len(words) == 4 and words[1] in names, line
            assert (words[2], words[3]) in {
                ("inet", m) for m in ("static", "manual", "dhcp", "loopback")
            } | {("inet6", m) for m in ("static", "auto", "dhcp")}, line
            stanza_open = True
        elif words[0] == "auto" or words[0].startswith("allow-"):
            assert len(words) == 2 and words[1] in names, line
            if words[0] == "auto":
                autos.append(words[1])
            stanza_open = False
        else:
            raise AssertionError(f"unexpected top-level line {line!r}")
    return autos


@SETTINGS
@given(host_documents())
def test_eni_lines_are_declared_keywords_and_model_links(doc: dict[str, object]) -> None:
    host = valid_host(doc)
    text = render_text(host)
    autos = check_eni(host, text)
    slaves = {s for bond in host.bonds for s in bond.slaves}
    assert sorted(autos) == sorted({"lo"} | set(host.links) - slaves)
    assert len(autos) == len(set(autos))
    position = {name: i for i, name in enumerate(autos)}
    for link in host.links.values():  # auto order is bring-up order: lower links first
        for lower in link.lower_names():
            if link.name in position and lower in position:
                assert position[lower] < position[link.name]
    for slave in slaves:
        assert (
            sum(
                line.startswith("allow-") and line.endswith(f" {slave}")
                for line in text.splitlines()
            )
            == 1
        )


@pytest.mark.skipif(IFUP is None, reason="classic ifupdown not installed")
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(host_documents(max_networks=3))
def test_classic_ifupdown_accepts_the_file(doc: dict[str, object]) -> None:
    host = valid_host(doc)
    assert IFUP is not None
    with tempfile.TemporaryDirectory() as tmp:
        run_ifupdown(IFUP, Path(tmp), render_text(host))


def run_ifupdown(ifup: str, directory: Path, text: str) -> None:
    """ifquery --list and ifup -n -a (no-act: prints commands, runs nothing) must succeed."""
    path = directory / "interfaces"
    path.write_text(text)
    query = subprocess.run(
        [str(Path(ifup).with_name("ifquery")), "-i", str(path), "--list"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert query.returncode == 0, query.stderr
    dry = subprocess.run(
        [ifup, "-n", "-a", "-i", str(path), "--state-dir", str(directory)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert dry.returncode == 0, dry.stderr
    messages = [line for line in dry.stderr.lower().splitlines() if "run-parts" not in line]
    for bad in ("misplaced", "missing required", "error", "unknown", "couldn't"):
        assert not any(bad in line for line in messages), dry.stderr
