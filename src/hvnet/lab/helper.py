"""A warm Python process in the lab VM that captures kernel state on request.

Why: under TCG a fresh interpreter spends 20-40 s importing pydantic (the model) and
pyroute2 before it reads anything (the reading itself takes well under a second). A lab
run captures the kernel once per method, the oracle once per file, so the helper pays the
imports once per boot and answers each capture in about a second.

Protocol, in a directory of the per-boot share (same path on host and guest): the host
writes ``N.req`` (empty), the helper writes ``N.pickle`` (via a temporary name, then
rename) or ``N.err``; a ``stop`` file ends it. If the helper is not running (it died, or
was never started) :meth:`GuestHelper.capture` falls back to a one-off Python job.
"""

from __future__ import annotations

import itertools
import os
import time
import weakref

from hvnet.lab.errors import LabError
from hvnet.lab.jobs import LabJob
from hvnet.lab.state import CAPTURE_CODE, Capture, load_capture
from hvnet.lab.vm import LabVM

HELPER_CODE = """\
import os, pickle, sys, time, traceback
from hvnet.kernel.netlink import read_snapshot
from hvnet.kernel.sysfs import read_tree
d = sys.argv[1]
read_snapshot(), read_tree(statistics=False)  # pyroute2 imports lazily: pay it now
open(os.path.join(d, "ready"), "w").close()
idle = 0.0
while not os.path.exists(os.path.join(d, "stop")) and idle < 7200:
    reqs = sorted(n for n in os.listdir(d) if n.endswith(".req"))
    if not reqs:
        time.sleep(0.2)  # under TCG a tighter poll costs measurable guest CPU
        idle += 0.2
        continue
    idle = 0.0
    for req in reqs:
        n = req[:-4]
        try:
            state = (read_snapshot(), read_tree(statistics=False))
            with open(os.path.join(d, n + ".tmp"), "wb") as f:
                pickle.dump(state, f)
            os.rename(os.path.join(d, n + ".tmp"), os.path.join(d, n + ".pickle"))
        except Exception:
            with open(os.path.join(d, n + ".err"), "w") as f:
                f.write(traceback.format_exc())
        os.unlink(os.path.join(d, req))
"""

_helpers: weakref.WeakKeyDictionary[LabVM, GuestHelper] = weakref.WeakKeyDictionary()
_counter = itertools.count(1)


class GuestHelper:
    """The capture helper of one VM (see the module docstring); use :func:`helper_for`."""

    def __init__(self, vm: LabVM) -> None:
        self.vm = vm
        self.dir = vm.share / "files" / "helper"
        self._job: LabJob | None = None

    def start(self) -> None:
        """Start the helper in the background (its imports overlap with other work)."""
        if self._job is not None and not self._job.done():
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        for stale in ("stop", "ready"):
            (self.dir / stale).unlink(missing_ok=True)
        script = self.vm.write_file("helper.py", HELPER_CODE)
        env = {k: v for k, v in os.environ.items() if k == "PYTHONPATH"}
        self._job = self.vm.submit(
            [self.vm.python, str(script), str(self.dir)], timeout=8 * 3600.0, env=env,
            cwd=os.getcwd(),
        )  # fmt: skip

    def wait_ready(self, timeout: float = 300.0) -> bool:
        """Wait until the helper has imported everything, so its start-up (20-40 s of CPU
        under TCG) does not overlap, and distort, a timed step."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.alive:
            if (self.dir / "ready").exists():
                return True
            time.sleep(0.1)
        return False

    @property
    def alive(self) -> bool:
        return self._job is not None and not self._job.done() and self.vm.running

    def capture(self, timeout: float = 300.0) -> Capture:
        """The kernel state now: from the helper, or a one-off Python job if it is gone."""
        if not self.alive:
            return self._capture_once(timeout)
        n = f"{os.getpid()}-{next(_counter)}"
        (self.dir / f"{n}.req").touch()
        result, error = self.dir / f"{n}.pickle", self.dir / f"{n}.err"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if result.exists():
                try:
                    return load_capture(result)
                finally:
                    result.unlink(missing_ok=True)
            if error.exists():
                raise LabError(f"kernel capture failed in the guest:\n{error.read_text()}")
            if not self.alive:
                (self.dir / f"{n}.req").unlink(missing_ok=True)
                return self._capture_once(timeout)
            time.sleep(0.05)
        raise LabError(f"no kernel capture from the guest helper after {timeout:.0f}s")

    def _capture_once(self, timeout: float) -> Capture:
        path = self.vm.share / "files" / f"capture-{os.getpid()}-{next(_counter)}.pickle"
        r = self.vm.run_python(CAPTURE_CODE, str(path), timeout=timeout)
        if not r.ok:
            raise LabError(f"kernel capture failed in the guest: {r.stderr.strip()[-2000:]}")
        try:
            return load_capture(path)
        finally:
            path.unlink(missing_ok=True)

    def stop(self) -> None:
        if self._job is not None:
            (self.dir / "stop").touch()
            self._job = None


def helper_for(vm: LabVM) -> GuestHelper:
    """The VM's capture helper, started on first use (one per boot)."""
    helper = _helpers.get(vm)
    if helper is None or helper.vm is not vm:
        helper = _helpers[vm] = GuestHelper(vm)
    helper.start()
    return helper
