"""The lab VM: a throwaway QEMU guest running a distribution kernel, driven from Python.

Why a VM at all: the kernels of the development and CI machines have no bonding and no 802.1Q
driver, so anything about bonds and VLANs can only be proven against a real kernel inside a
guest. The guest has no disk image: it sees the host's root filesystem read-only over 9p
with a tmpfs overlay on top (writable, thrown away at power-off), so it runs the host's own
``ip``, ``ifup``, Python and the project's virtualenv at the very same paths as the host.

Usage::

    with LabVM(nics=4) as vm:
        vm.run(["ip", "-j", "link"]).check().json()
        vm.run_python("import hvnet; print(hvnet.__file__)")
        vm.set_link("eth0", up=False)        # pull eth0's cable (QMP set_link)

Commands go through a per-boot share directory (see :mod:`hvnet.lab.agent`); that directory,
:attr:`LabVM.share`, has the same absolute path on host and guest, so files written there by
either side are immediately visible to the other. Prefer it for handing files to the guest:
the root share is cached in the guest and may not show host files created after boot.

Cleanup is layered so no qemu outlives its test run: context manager, ``atexit``, and
``PR_SET_PDEATHSIG`` (qemu is killed by the kernel if the Python process dies outright).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from hvnet.lab.accel import choose_accel
from hvnet.lab.agent import AGENT_SCRIPT
from hvnet.lab.boot import (
    BootSpec,
    carrier_script,
    fresh_run_allowed,
    make_rundir,
    nic_mac,
    qemu_command,
    reset_script,
    start_script,
)
from hvnet.lab.errors import LabBootError, LabError
from hvnet.lab.initramfs import boot_image, build_initramfs
from hvnet.lab.jobs import LabJob, LabResult, job_script, next_job_id, write_job
from hvnet.lab.prereqs import NET_MODULES, Prerequisites, find_prerequisites
from hvnet.lab.qmp import QMPClient

_live: weakref.WeakSet[LabVM] = weakref.WeakSet()


@atexit.register
def _close_all() -> None:
    for vm in list(_live):
        vm.close()


def _set_pdeathsig() -> None:
    """In the qemu child: die with the parent, so a killed test run leaves no qemu behind.

    Only used when the VM is started from the main thread: the kernel delivers the signal
    when the *thread* that forked exits, which for a worker thread would be far too early.
    """
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class LabVM:
    """One boot of the lab VM. Use as a context manager, or call :meth:`start`/:meth:`close`.

    ``nics`` virtio NICs appear in the guest as ``eth0..eth{nics-1}``. ``python`` is the
    interpreter for :meth:`run_python` (default: the one running this code, i.e. the
    project's venv). ``visible`` lists extra host paths the guest must see (the checkout,
    the venv and the current directory always are). ``accel`` forces ``"kvm"``/``"tcg"``
    (else ``HVNET_LAB_ACCEL`` or a quick KVM probe decides). ``keep`` keeps the run
    directory (console log, share) after power-off; ``HVNET_LAB_KEEP=1`` does the same.
    ``cpus`` defaults to 2 on hosts with at least 4 cores, else 1.
    """

    def __init__(
        self,
        nics: int = 4,
        *,
        memory_mb: int = 768,
        cpus: int | None = None,
        accel: str | None = None,
        boot_timeout: float | None = None,
        python: str | None = None,
        visible: Sequence[Path] = (),
        prerequisites: Prerequisites | None = None,
        keep: bool | None = None,
        announce: bool = True,
    ) -> None:
        if not 1 <= nics <= 16:
            raise ValueError("nics must be between 1 and 16")
        self.nics = nics
        self.memory_mb = memory_mb
        # Multi-threaded TCG wants a free host core per vCPU; on a 2-core host a second
        # vCPU made every job slower (contention), so use two only on roomier hosts.
        self.cpus = cpus if cpus is not None else (2 if (os.cpu_count() or 1) >= 4 else 1)
        self.python = python or sys.executable
        self.visible = [Path(p) for p in visible]
        self.keep = os.environ.get("HVNET_LAB_KEEP") == "1" if keep is None else keep
        self.announce = announce
        self._prereqs = prerequisites
        self._accel_request = accel
        self._boot_timeout = boot_timeout
        #: "kvm" or "tcg", and why it was chosen.
        self.accel = ""
        self.accel_reason = ""
        #: Seconds from starting qemu until the guest agent answered.
        self.boot_seconds = 0.0
        self.kernel_release = ""
        #: What the agent reported at start (release, uptime, NICs, modules).
        self.guest_info: dict[str, Any] = {}
        #: Guest interface name -> qemu netdev id (``eth0`` -> ``net0``), matched by MAC.
        self.nic_netdev: dict[str, str] = {}
        self.rundir = Path()
        self.share = Path()
        self._spec: BootSpec | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._qmp: QMPClient | None = None

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> LabVM:
        return self.start()

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def console_log(self) -> Path:
        return self.rundir / "console.log"

    def start(self) -> LabVM:
        """Boot and wait until the guest agent answers. Raises LabUnavailable/LabBootError."""
        if self._proc is not None:
            return self
        self._prereqs = self._prereqs or find_prerequisites()
        kernel = self._prereqs.kernel
        initrd = build_initramfs(kernel, self._prereqs.busybox)
        kernel_file = boot_image(kernel)
        if self._accel_request:
            self.accel, self.accel_reason = self._accel_request, "requested by caller"
        else:
            self.accel, self.accel_reason = choose_accel(self._prereqs.qemu, kernel_file)
        self.rundir = make_rundir()
        self.share = self.rundir / "share"
        for sub in ("jobs", "results", "files"):
            (self.share / sub).mkdir(parents=True)
        (self.share / "agent.sh").write_text(AGENT_SCRIPT)
        (self.share / "start.sh").write_text(
            start_script(self.share, kernel.release, kernel.modules)
        )
        must_see = [Path.cwd(), Path(sys.prefix), Path(self.python), self.share, *self.visible]
        must_see.append(Path(__file__).resolve().parents[3])  # the checkout (src layout)
        self._spec = BootSpec(
            qemu=self._prereqs.qemu, kernel_file=kernel_file, initrd=initrd, accel=self.accel,
            memory_mb=self.memory_mb, cpus=self.cpus, nics=self.nics, rundir=self.rundir,
            share=self.share, fresh_run=fresh_run_allowed(must_see),
        )  # fmt: skip
        default_timeout = "120" if self.accel == "tcg" else "60"
        timeout = self._boot_timeout or float(
            os.environ.get("HVNET_LAB_BOOT_TIMEOUT", default_timeout)
        )
        started = time.monotonic()
        with (self.rundir / "qemu.log").open("wb") as qemu_log:
            self._proc = subprocess.Popen(
                qemu_command(self._spec),
                stdin=subprocess.DEVNULL,
                stdout=qemu_log,
                stderr=subprocess.STDOUT,
                preexec_fn=_set_pdeathsig
                if threading.current_thread() is threading.main_thread()
                else None,
            )
        _live.add(self)
        try:
            self._wait_ready(started, timeout)
            self._qmp = QMPClient(self._spec.qmp_socket)
        except BaseException:
            self.close(failed=True)
            raise
        self.boot_seconds = time.monotonic() - started
        if self.announce:
            print(
                f"hvnet lab: booted {self.kernel_release} in {self.boot_seconds:.1f}s "
                f"({self.accel}: {self.accel_reason}; {self.cpus} vCPU, {self.nics} NICs)",
                file=sys.stderr,
            )
        return self

    def _wait_ready(self, started: float, timeout: float) -> None:
        ready = self.share / "ready.json"
        while not ready.exists():
            if self._proc is None or self._proc.poll() is not None:
                raise LabBootError(self._describe_failure("qemu exited during boot"))
            if time.monotonic() - started > timeout:
                raise LabBootError(self._describe_failure(f"no agent after {timeout:.0f}s"))
            time.sleep(0.05)
        self.guest_info = json.loads(ready.read_text())
        self.kernel_release = str(self.guest_info.get("release", ""))
        by_mac = {nic_mac(i): f"net{i}" for i in range(self.nics)}
        for name, mac in dict(self.guest_info.get("nics", {})).items():
            if mac in by_mac:
                self.nic_netdev[name] = by_mac[mac]
        loaded = set(self.guest_info.get("modules", []))
        missing = [m for m in NET_MODULES if m not in loaded]
        if missing:
            raise LabBootError(self._describe_failure(f"modules not loaded: {missing}"))
        if len(self.nic_netdev) != self.nics:
            nics = self.guest_info.get("nics")
            raise LabBootError(self._describe_failure(f"expected {self.nics} NICs, saw {nics}"))

    def _describe_failure(self, what: str) -> str:
        parts = [f"lab VM boot failed ({self.accel}): {what}", "--- serial console (tail) ---"]
        parts.append(self.console_tail(40))
        for name in ("qemu.log", "share/agent.log"):
            p = self.rundir / name
            if p.exists() and p.stat().st_size:
                parts += [f"--- {name} ---", p.read_text(errors="replace")[-3000:]]
        if self.accel == "kvm":
            parts.append("(KVM guests hang on some nested hosts: try HVNET_LAB_ACCEL=tcg)")
        parts.append(f"(run directory kept: {self.rundir})")
        return "\n".join(parts)

    def console_tail(self, lines: int = 40) -> str:
        """Last ``lines`` lines of the guest serial console."""
        try:
            text = self.console_log.read_text(errors="replace")
        except OSError:
            return "(no console output)"
        return "\n".join(text.splitlines()[-lines:])

    def _dead_reason(self) -> str | None:
        if self._proc is None:
            return "the lab VM is not running"
        rc = self._proc.poll()
        if rc is None:
            return None
        return f"qemu exited with status {rc}; console tail:\n{self.console_tail(20)}"

    def close(self, failed: bool = False) -> None:
        """Power off (sysrq ``o`` via the agent), then QMP ``quit``, then SIGKILL.

        With ``failed`` the run directory is kept for post-mortem (its path is in the error).
        """
        proc, self._proc = self._proc, None
        if proc is not None:
            if proc.poll() is None and not failed:
                with contextlib.suppress(OSError):
                    (self.share / "poweroff").touch()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=15)
            if proc.poll() is None and self._qmp is not None:
                with contextlib.suppress(LabError, OSError):
                    self._qmp.execute("quit")
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=5)
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        if self._qmp is not None:
            self._qmp.close()
            self._qmp = None
        _live.discard(self)
        if not failed and not self.keep and self.rundir != Path() and self.rundir.exists():
            shutil.rmtree(self.rundir, ignore_errors=True)

    # ------------------------------------------------------------------ jobs

    def submit(
        self,
        argv: Sequence[str],
        *,
        timeout: float = 60.0,
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        input: str | None = None,
    ) -> LabJob:
        """Start ``argv`` in the guest (as root) and return at once; ``.wait()`` for the result.

        ``env`` is added to the agent's environment (PATH, HOME=/root, LANG=C.UTF-8);
        ``cwd`` defaults to ``/``; ``input`` becomes stdin (else ``/dev/null``).
        """
        dead = self._dead_reason()
        if dead is not None:
            raise LabError(dead)
        if isinstance(argv, str):
            raise TypeError("argv must be a sequence; use sh() for a shell command line")
        job_id = next_job_id()
        args = tuple(str(a) for a in argv)
        stdin_path = None if input is None else self.write_file(f"{job_id}.stdin", input)
        where = str(cwd) if cwd is not None else "/"
        write_job(self.share, job_id, job_script(args, timeout, dict(env or {}), where, stdin_path))
        cleanup = [stdin_path] if stdin_path is not None else []
        return LabJob(self.share, job_id, args, timeout, self._dead_reason, cleanup)

    def run(
        self,
        argv: Sequence[str],
        *,
        timeout: float = 60.0,
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        input: str | None = None,
        check: bool = False,
    ) -> LabResult:
        """Run ``argv`` in the guest and wait; ``check=True`` raises on failure."""
        result = self.submit(argv, timeout=timeout, env=env, cwd=cwd, input=input).wait()
        return result.check() if check else result

    def sh(self, script: str, **kwargs: Any) -> LabResult:
        """Run a shell script (``sh -ec``) in the guest; same keywords as :meth:`run`."""
        return self.run(["/bin/sh", "-ec", script], **kwargs)

    def write_file(self, name: str, data: str | bytes) -> Path:
        """Put a file in the share (``files/name``); the path is valid on host and guest."""
        path = self.share / "files" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, str):
            path.write_text(data)
        else:
            path.write_bytes(data)
        return path

    def run_python(
        self,
        code: str,
        *args: str,
        timeout: float = 120.0,
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        check: bool = False,
    ) -> LabResult:
        """Run Python source in the guest with :attr:`python` (the project's venv by default).

        ``cwd`` defaults to the host's current directory (the same path exists in the guest)
        and the host's ``PYTHONPATH`` is passed on, so the guest imports what the host
        imports. Expect 2-4 s of interpreter start-up under TCG.
        """
        script = self.write_file(f"{next_job_id()}.py", code)
        full_env = {k: v for k, v in os.environ.items() if k == "PYTHONPATH"}
        full_env.update(env or {})
        try:
            return self.run(
                [self.python, str(script), *args], timeout=timeout, env=full_env,
                cwd=cwd if cwd is not None else os.getcwd(), check=check,
            )  # fmt: skip
        finally:
            script.unlink(missing_ok=True)

    # ------------------------------------------------------------------ links

    def qmp(self, command: str, **arguments: Any) -> Any:
        """Send a raw QMP command to qemu and return its result."""
        if self._qmp is None:
            raise LabError("the lab VM is not running")
        return self._qmp.execute(command, **arguments)

    def set_link(self, nic: str | int, up: bool, *, wait: float = 10.0) -> None:
        """Plug or pull the virtual cable of guest NIC ``nic`` (``"eth0"`` or ``0``).

        With ``wait`` > 0, return only once the guest sees the new carrier state (if the
        interface is administratively up), so a test can assert on a bond's reaction without
        racing the virtio link interrupt.
        """
        name = f"eth{nic}" if isinstance(nic, int) else nic
        netdev = self.nic_netdev.get(name)
        if netdev is None:
            raise LabError(f"no lab NIC {name!r}; have {sorted(self.nic_netdev)}")
        self.qmp("set_link", name=netdev, up=up)
        if wait > 0 and not self.sh(carrier_script(name, up, wait), timeout=wait + 5).ok:
            raise LabError(f"guest did not see {name} carrier {'up' if up else 'down'}")

    def reset_network(self) -> None:
        """Undo test network setup: namespaces and virtual links gone, NICs down, cables in."""
        for netdev in self.nic_netdev.values():
            self.qmp("set_link", name=netdev, up=True)
        self.sh(reset_script(sorted(self.nic_netdev)), check=True)
