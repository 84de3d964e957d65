"""The lab itself: the guest kernel has what the host lacks, jobs work, carrier loss is real.

Tests marked ``lab`` boot the VM (once per session); the others check the pure pieces
(initramfs writer, job scripts, kernel discovery) and run anywhere in milliseconds.
"""

from __future__ import annotations

import gzip
import subprocess
import sys
import time
from pathlib import Path

import pytest

import hvnet
from hvnet.lab import LabVM
from hvnet.lab.boot import fresh_run_allowed, nic_mac, qemu_escape
from hvnet.lab.initramfs import INIT_SCRIPT, CpioWriter, build_initramfs, module_closure
from hvnet.lab.jobs import job_script
from hvnet.lab.prereqs import Kernel, bzimage_release, elf_is_static, find_kernel, module_name

needs_vm = pytest.mark.lab


def bonding_status(text: str) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """Minimal reader of /proc/net/bonding/BOND: (bond-level fields, {slave: fields}).

    Deliberately independent of hvnet's own parser: this test checks the lab, not the parser.
    """
    head: dict[str, str] = {}
    slaves: dict[str, dict[str, str]] = {}
    current = head
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if not sep:
            continue
        key, value = key.strip(), value.strip()
        if key == "Slave Interface":
            current = slaves.setdefault(value, {})
        elif key not in current:
            current[key] = value
    return head, slaves


def wait_bond(vm: LabVM, want: dict[str, str], timeout: float = 15.0) -> str:
    """Poll /proc/net/bonding/bond0 until every ``want`` header field matches; return the text."""
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        text = vm.run(["cat", "/proc/net/bonding/bond0"], check=True).stdout
        head, _ = bonding_status(text)
        if all(head.get(k) == v for k, v in want.items()):
            return text
        time.sleep(0.2)
    raise AssertionError(f"bond0 never reached {want}:\n{text}")


def make_active_backup(vm: LabVM) -> None:
    vm.sh(
        "ip link add bond0 type bond mode active-backup miimon 100\n"
        "for s in eth0 eth2; do ip link set $s down; ip link set $s master bond0; done\n"
        "ip link set bond0 up\n",
        check=True,
    )


@needs_vm
def test_guest_kernel_has_bonding_and_8021q(lab: LabVM) -> None:
    r = lab.sh("uname -r; cat /proc/modules", check=True)
    release, *modules = r.stdout.splitlines()
    assert release == lab.kernel_release
    loaded = {m.split()[0] for m in modules}
    assert {"bonding", "8021q", "bridge", "veth", "dummy", "virtio_net"} <= loaded
    # max_bonds=0: the module must not have created a stray bond0
    assert lab.run(["cat", "/sys/class/net/bonding_masters"], check=True).stdout.strip() == ""
    assert lab.run(["cat", "/proc/net/vlan/config"], check=True).stdout.startswith("VLAN Dev")


@needs_vm
def test_nics_and_checkout_visible(lab: LabVM) -> None:
    links = {link["ifname"] for link in lab.run(["ip", "-j", "link"], check=True).json()}
    assert {"eth0", "eth1", "eth2", "eth3"} <= links
    r = lab.run_python("import hvnet, sys; print(hvnet.__file__); print(sys.prefix)", check=True)
    guest_file, guest_prefix = r.stdout.split()
    assert guest_file == hvnet.__file__  # same checkout, same absolute path
    assert guest_prefix == sys.prefix  # the same virtualenv


@needs_vm
def test_root_overlay_is_writable_and_thrown_away(lab: LabVM) -> None:
    marker = Path("/etc/hvnet-lab-overlay-probe")
    lab.sh(f"echo guest > {marker}; cat {marker}", check=True)
    assert not marker.exists()  # the write stayed in the guest's tmpfs overlay


@needs_vm
def test_job_protocol(lab: LabVM) -> None:
    r = lab.run(["sh", "-c", 'echo "$X" "$(pwd)"; cat; echo oops >&2; exit 3'],
                env={"X": "a b"}, cwd="/tmp", input="from-stdin\n")  # fmt: skip
    assert (r.rc, r.stdout, r.stderr) == (3, "a b /tmp\nfrom-stdin\n", "oops\n")
    assert not r.ok
    t = lab.run(["sleep", "30"], timeout=1)
    assert t.timed_out and t.seconds < 10
    missing = lab.run(["no-such-command-hvnet"])
    assert missing.rc == 127
    jobs = [lab.submit(["sh", "-c", f"sleep 1; echo {i}"]) for i in range(3)]
    assert [j.wait().stdout for j in jobs] == ["0\n", "1\n", "2\n"]
    shared = lab.write_file("probe.txt", "host->guest")
    assert lab.run(["cat", str(shared)], check=True).stdout == "host->guest"


@needs_vm
def test_bond_active_backup_over_eth0_eth2(lab: LabVM) -> None:
    make_active_backup(lab)
    text = wait_bond(lab, {"MII Status": "up", "Currently Active Slave": "eth0"})
    head, slaves = bonding_status(text)
    assert head["Bonding Mode"] == "fault-tolerance (active-backup)"
    assert head["MII Polling Interval (ms)"] == "100"
    assert list(slaves) == ["eth0", "eth2"]
    assert all(s["MII Status"] == "up" for s in slaves.values())
    assert lab.run(["cat", "/sys/class/net/bond0/bonding/mode"]).stdout.strip() == (
        "active-backup 1"
    )


@needs_vm
def test_carrier_loss_fails_over(lab: LabVM) -> None:
    make_active_backup(lab)
    wait_bond(lab, {"MII Status": "up", "Currently Active Slave": "eth0"})
    lab.set_link("eth0", up=False)
    text = wait_bond(lab, {"Currently Active Slave": "eth2"})
    head, slaves = bonding_status(text)
    assert head["MII Status"] == "up"
    assert slaves["eth0"]["MII Status"] == "down"
    assert slaves["eth0"]["Link Failure Count"] == "1"
    assert slaves["eth2"]["Link Failure Count"] == "0"
    lab.set_link("eth0", up=True)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        _, slaves = bonding_status(lab.run(["cat", "/proc/net/bonding/bond0"]).stdout)
        if slaves["eth0"]["MII Status"] == "up":
            break
        time.sleep(0.2)
    assert slaves["eth0"]["MII Status"] == "up"


# --------------------------------------------------------------------------- no VM needed


def read_newc(data: bytes) -> dict[str, tuple[int, bytes]]:
    """Parse a cpio newc archive into {name: (mode, data)} (test-side reader)."""
    out: dict[str, tuple[int, bytes]] = {}
    pos = 0
    while True:
        assert data[pos : pos + 6] == b"070701", pos
        fields = [int(data[pos + 6 + 8 * i : pos + 14 + 8 * i], 16) for i in range(13)]
        mode, size, namesize = fields[1], fields[6], fields[11]
        name_start = pos + 110
        name = data[name_start : name_start + namesize - 1].decode()
        body = name_start + namesize + (-(110 + namesize) % 4)
        if name == "TRAILER!!!":
            return out
        out[name] = (mode, data[body : body + size])
        pos = body + size + (-size % 4)


def test_cpio_writer_round_trip() -> None:
    w = CpioWriter()
    w.directory("bin")
    w.file("bin/x", b"abc", 0o755)
    w.symlink("bin/sh", "x")
    w.chardev("dev/console", 5, 1)
    entries = read_newc(w.finish())
    assert entries["bin/x"] == (0o100755, b"abc")
    assert entries["bin/sh"] == (0o120777, b"x")
    assert entries["bin"][0] == 0o040755
    assert entries["dev/console"][0] == 0o020600


def test_job_script_quotes_everything(tmp_path: Path) -> None:
    stdin = tmp_path / "in"
    stdin.write_text("IN")
    script = job_script(
        ["sh", "-c", 'printf "%s|" "$@" "$V"; cat', "_", "a b", "$HOME", "'q'"],
        5.0, {"V": "x;y $z"}, str(tmp_path), stdin,
    )  # fmt: skip
    assert script.startswith("#hvnet-timeout=5.000\n")
    out = subprocess.run(["sh", "-c", script],
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert out == "a b|$HOME|'q'|x;y $z|IN"
    with pytest.raises(ValueError):
        job_script(["true"], 1, {"BAD-NAME": "1"}, "/", None)


def test_small_helpers() -> None:
    assert module_name("kernel/net/8021q/8021q.ko.xz") == "8021q"
    assert module_name("kernel/net/9p/9pnet-virtio.ko") == "9pnet_virtio"
    assert nic_mac(0) == "52:54:00:4c:ab:01"
    assert qemu_escape("/a,b") == "/a,,b"
    assert fresh_run_allowed([Path("/tmp/x"), Path("/work")])
    assert not fresh_run_allowed([Path("/run/user/0/checkout")])
    assert "hvnet.share=" in INIT_SCRIPT


def test_kernel_discovery_override_errors() -> None:
    from hvnet.lab import LabUnavailable

    with pytest.raises(LabUnavailable, match="HVNET_LAB_KERNEL"):
        find_kernel({"HVNET_LAB_KERNEL": "0.0.0-no-such-kernel"})


def _installed_kernel() -> Kernel:
    from hvnet.lab import LabUnavailable

    try:
        return find_kernel()
    except LabUnavailable as exc:
        pytest.skip(str(exc))


def test_installed_kernel_and_initramfs(tmp_path: Path) -> None:
    kernel = _installed_kernel()
    assert bzimage_release(kernel.image) == kernel.release
    order = [module_name(p) for p in module_closure(kernel)]
    assert order.index("virtio") < order.index("virtio_pci") < order.index("9pnet_virtio")
    busybox = Path("/bin/busybox")
    if not (busybox.exists() and elf_is_static(busybox)):
        pytest.skip("no static busybox")
    first = build_initramfs(kernel, busybox, cache=tmp_path)
    assert build_initramfs(kernel, busybox, cache=tmp_path) == first  # cached, not rebuilt
    entries = read_newc(gzip.decompress(first.read_bytes()))
    assert entries["init"][1].decode() == INIT_SCRIPT
    names = entries["modules.order"][1].decode().split()
    assert all(f"lib/modules/{n}" in entries for n in names)
    assert kernel.release in first.name
