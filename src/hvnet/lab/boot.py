"""How one lab boot is put together: the qemu command line and the guest's ``start.sh``.

Kept apart from :mod:`hvnet.lab.vm` (which manages the running VM) so the command line can
be read, tested and tweaked in one place. Design points:

* the host root is shared read-only over 9p (tag ``hostroot``) and the initramfs puts a
  tmpfs overlay on it, so the guest runs the host's own tools and Python at the host's paths;
* the per-boot share (tag ``hvshare``) is mounted at its *host* path in the guest;
* NIC ``i`` is netdev ``net{i}`` with MAC :func:`nic_mac` (i), on its own restricted
  user-mode network; it advertises 1000/full so 802.3ad, tlb and alb have a speed to use;
  ``set_link`` on ``net{i}`` is a cable pull the guest sees as carrier loss. ``romfile=``
  drops the PXE option ROM: nothing netboots, and qemu then needs no ``ipxe-qemu`` files.
"""

from __future__ import annotations

import os
import shlex
import shutil
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from hvnet.lab.errors import LabError

GUEST_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def nic_mac(index: int) -> str:
    """MAC address of the NIC backed by netdev ``net{index}`` (guest ``eth{index}``)."""
    return f"52:54:00:4c:ab:{index + 1:02x}"


def qemu_escape(value: Path | str) -> str:
    """Escape a value for a qemu ``key=value,...`` option (commas are doubled)."""
    return str(value).replace(",", ",,")


STALE_SECONDS = 3600.0


def make_rundir() -> Path:
    """A fresh per-boot directory; its path goes on the kernel command line, so no spaces.

    The directory records its owner's pid; leftovers of owners that died without cleaning
    up (SIGKILL) are swept once they are an hour old (kept failures stay that long too).
    """
    for base in (None, "/tmp"):
        d = Path(tempfile.mkdtemp(prefix="hvnet-lab-", dir=base))
        if not any(c.isspace() for c in str(d)):
            (d / "owner.pid").write_text(f"{os.getpid()}\n")
            sweep_stale_rundirs(d.parent)
            return d
        shutil.rmtree(d)
    raise LabError("no temporary directory without whitespace for the lab share")


def sweep_stale_rundirs(parent: Path) -> None:
    """Remove ``hvnet-lab-*`` run directories whose owner process is gone for an hour."""
    now = time.time()
    for d in parent.glob("hvnet-lab-*"):
        try:
            pid = int((d / "owner.pid").read_text())
            if now - d.stat().st_mtime < STALE_SECONDS:
                continue
            os.kill(pid, 0)
        except ProcessLookupError:
            shutil.rmtree(d, ignore_errors=True)
        except (OSError, ValueError):
            continue


def fresh_run_allowed(must_see: Iterable[Path]) -> bool:
    """Whether the guest may get an empty tmpfs on /run.

    A fresh /run keeps host state (``/run/network/ifstate`` of the host's ifupdown, pid
    files) out of the guest, but would hide anything the guest needs that lives under /run
    (a checkout, a venv). /tmp is never covered: the overlay makes it writable anyway and CI
    may clone the checkout there.
    """
    run = Path("/run")
    return not any(p.absolute() == run or run in p.absolute().parents for p in must_see)


@dataclass(frozen=True)
class BootSpec:
    """Everything :func:`qemu_command` needs."""

    qemu: Path
    kernel_file: Path
    initrd: Path
    accel: str
    memory_mb: int
    cpus: int
    nics: int
    rundir: Path
    share: Path
    fresh_run: bool

    @property
    def console_log(self) -> Path:
        return self.rundir / "console.log"

    @property
    def qmp_socket(self) -> Path:
        return self.rundir / "qmp.sock"


def qemu_command(spec: BootSpec) -> list[str]:
    """The full qemu command line for one boot."""
    append = (
        # no_timer_check: under TCG on a busy host the kernel's IO-APIC timer check can
        # fail and panic ("IO-APIC + timer doesn't work"); the timer works, only the check
        # is too impatient. Seen in the lab while other VMs loaded the host.
        "console=ttyS0 loglevel=4 panic=1 net.ifnames=0 no_timer_check "
        f"hvnet.share={spec.share} hvnet.runtmpfs={1 if spec.fresh_run else 0}"
    )
    if spec.accel == "kvm":
        accel = ["-accel", "kvm", "-cpu", "host"]
    else:
        accel = ["-accel", "tcg,thread=multi"]
    e = qemu_escape
    cmd = [
        str(spec.qemu), "-name", "hvnet-lab", "-nodefaults", "-no-user-config",
        "-display", "none", "-no-reboot", *accel,
        "-m", str(spec.memory_mb), "-smp", str(spec.cpus),
        "-kernel", str(spec.kernel_file), "-initrd", str(spec.initrd), "-append", append,
        "-serial", f"file:{e(spec.console_log)}",
        "-qmp", f"unix:{e(spec.qmp_socket)},server=on,wait=off",
        "-virtfs",
        "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap",
        "-virtfs",
        f"local,path={e(spec.share)},mount_tag=hvshare,security_model=none,multidevs=remap",
    ]  # fmt: skip
    for i in range(spec.nics):
        cmd += [
            "-netdev", f"user,id=net{i},restrict=on,ipv6=off",
            "-device",
            f"virtio-net-pci,netdev=net{i},mac={nic_mac(i)},speed=1000,duplex=full,romfile=",
        ]  # fmt: skip
    return cmd


def start_script(share: Path, release: str, modules_dir: Path) -> str:
    """``start.sh``: run by the initramfs inside the chroot; loads modules, starts the agent.

    ``bonding`` gets ``max_bonds=0`` or the driver would create a stray ``bond0``. A module
    tree outside ``/lib/modules`` (an unpacked kernel package) is bind-mounted there so
    ``modprobe`` finds it.
    """
    q = shlex.quote
    lines = [
        "#!/bin/sh",
        "# generated by hvnet.lab for one boot",
        f"export PATH={GUEST_PATH} HOME=/root LANG=C.UTF-8 TERM=dumb",
        "cd /",
    ]
    standard = Path("/lib/modules") / release
    if modules_dir.resolve() != standard.resolve():
        lines += [
            f"mkdir -p {q(str(standard))}",
            f"mount --bind {q(str(modules_dir))} {q(str(standard))}",
        ]
    lines += [
        "modprobe -a virtio_net 8021q bridge veth dummy",
        "modprobe bonding max_bonds=0",
        'read -r up rest < /proc/uptime; echo "hvnet-lab: modules loaded (uptime $up)"',
        "ip link set lo up",
        "hostname hvnet-lab",
        f"exec /bin/bash {q(str(share / 'agent.sh'))} {q(str(share))} "
        f"2>>{q(str(share / 'agent.log'))}",
    ]
    return "\n".join(lines) + "\n"


def reset_script(nics: Iterable[str]) -> str:
    """Guest shell script that undoes a test's network setup in as few execs as possible.

    Under TCG every ``ip`` invocation costs 0.1-0.3 s, so everything goes through one
    ``ip -force -batch``; namespaces (and processes left in them) are handled only if any
    exist. Deleting a bond releases its slaves, deleting one veth end removes the other
    (``-force`` carries on past the then-failing second delete).
    """
    keep = " ".join(["lo", *nics])
    nic_cmds = "".join(
        f"link set dev {n} nomaster\\naddress flush dev {n}\\nlink set dev {n} down\\n"
        for n in nics
    )
    return (
        "set -- /run/netns/*\n"
        'if [ -e "$1" ]; then\n'
        "  for ns in /run/netns/*; do\n"
        '    pids=$(ip netns pids "${ns##*/}"); [ -n "$pids" ] && kill -9 $pids\n'
        "  done\n"
        "  ip -all netns delete\n"
        "fi\n"
        "batch=''\n"
        "for d in /sys/class/net/*; do\n"
        "  n=${d##*/}\n"
        f'  case " {keep} " in *" $n "*) ;; *) batch="${{batch}}link delete dev $n\\n" ;; esac\n'
        "done\n"
        f'printf "${{batch}}{nic_cmds}" | ip -force -batch - 2>/dev/null || true\n'
    )


def carrier_script(nic: str, up: bool, seconds: float) -> str:
    """Guest shell script that waits until ``nic`` reports the wanted carrier state.

    An interface that is administratively down has no carrier to observe; the script then
    returns at once.
    """
    want = "1" if up else "0"
    return (
        f"read -r flags < /sys/class/net/{nic}/flags\n"
        "[ $((flags & 1)) = 0 ] && exit 0  # admin down: no carrier to observe\n"
        f"i=0; while [ $i -lt {int(seconds * 20) + 1} ]; do\n"
        f"  c=$(cat /sys/class/net/{nic}/carrier 2>/dev/null) || c=0\n"
        f'  [ "$c" = {want} ] && exit 0\n'
        "  sleep 0.05; i=$((i + 1))\n"
        "done; exit 1\n"
    )
