"""Fixtures for tests that need a real distribution kernel (bonding, 802.1Q) in the lab VM.

One VM boot per test session (``lab_vm``), because a boot costs 10-20 s under TCG; ``lab``
hands the same VM to a test after undoing whatever the previous test left behind.

When the lab cannot run here (no qemu, no suitable kernel, no static busybox) the tests are
skipped with the reason, except under ``CI=true``: CI installs the prerequisites, so their
absence there is a failure, not a silent skip. ``HVNET_LAB=0`` skips the lab on purpose.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from hvnet.lab import LabUnavailable, LabVM, find_prerequisites


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def _say(request: pytest.FixtureRequest, line: str) -> None:
    """Print to the terminal even while output is captured (boot time belongs in the log)."""
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capman = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capman is None:
        return
    with capman.global_and_fixture_disabled():
        reporter.write_line(line)


@pytest.fixture(scope="session")
def lab_vm(request: pytest.FixtureRequest) -> Iterator[LabVM]:
    """The session's lab VM (4 NICs, eth0..eth3), booted on first use."""
    if os.environ.get("HVNET_LAB", "").strip() == "0":
        pytest.skip("lab disabled by HVNET_LAB=0")
    try:
        prereqs = find_prerequisites()
    except LabUnavailable as exc:
        if _in_ci():
            pytest.fail(f"CI=true but the lab cannot run: {exc}", pytrace=False)
        pytest.skip(str(exc))
    vm = LabVM(nics=4, prerequisites=prereqs, announce=False)
    with vm:
        _say(
            request,
            f"\nlab VM: kernel {vm.kernel_release}, booted in {vm.boot_seconds:.1f}s "
            f"({vm.accel}: {vm.accel_reason})",
        )
        yield vm


@pytest.fixture
def lab(lab_vm: LabVM) -> LabVM:
    """The session VM with a clean network: no namespaces or virtual links, NICs down, cables in."""
    lab_vm.reset_network()
    return lab_vm
