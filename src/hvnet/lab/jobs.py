"""Host side of the job protocol (see :mod:`hvnet.lab.agent` for the guest side)."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import re
import shlex
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hvnet.lab.errors import LabCommandError, LabTimeout

#: Extra time the host grants beyond a job's own timeout before declaring the agent lost.
#: Generous because TCG can be slow to even start a process under load.
HOST_GRACE_SECONDS = 30.0

_counter = itertools.count(1)
_counter_lock = threading.Lock()
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def next_job_id() -> str:
    """Unique, sortable job id (submission order)."""
    with _counter_lock:
        n = next(_counter)
    return f"{os.getpid()}-{n:06d}"


@dataclass(frozen=True)
class LabResult:
    """Outcome of one command run in the guest.

    ``rc`` is shell style: 128+N when killed by signal N, 126/127 when the command could not
    be run; ``timed_out`` is set when the job's timeout expired (the job's process group then
    got SIGTERM, and SIGKILL 2 s later). ``seconds`` is measured in
    the guest (10 ms resolution).
    """

    argv: tuple[str, ...]
    rc: int
    stdout: str
    stderr: str
    seconds: float
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.rc == 0 and not self.timed_out

    def check(self) -> LabResult:
        """Return ``self``, or raise :class:`LabCommandError` with the output if it failed."""
        if not self.ok:
            what = "timed out" if self.timed_out else f"exited {self.rc}"
            raise LabCommandError(
                f"guest command {list(self.argv)!r} {what} after {self.seconds:.1f}s\n"
                f"--- stdout ---\n{self.stdout}--- stderr ---\n{self.stderr}"
            )
        return self

    def json(self) -> Any:
        """``stdout`` parsed as JSON (for ``ip -j`` and friends)."""
        return json.loads(self.stdout)


def job_script(
    argv: Sequence[str],
    timeout: float,
    env: Mapping[str, str],
    cwd: str,
    stdin_path: Path | None,
) -> str:
    """The ``/bin/sh`` script the agent runs for one job (every value shell-quoted)."""
    q = shlex.quote
    lines = [f"#hvnet-timeout={timeout:.3f}", f"cd -- {q(cwd)} || exit 126"]
    for key, value in env.items():
        if not _ENV_NAME.match(key):
            raise ValueError(f"invalid environment variable name {key!r}")
        lines.append(f"export {key}={q(value)}")
    redirect = f"< {q(str(stdin_path))}" if stdin_path is not None else "< /dev/null"
    lines.append(f"exec {' '.join(q(a) for a in argv)} {redirect}")
    return "\n".join(lines) + "\n"


class LabJob:
    """A submitted job; :meth:`wait` returns its :class:`LabResult`."""

    def __init__(
        self,
        share: Path,
        job_id: str,
        argv: tuple[str, ...],
        timeout: float,
        alive: Callable[[], str | None],
        cleanup: Sequence[Path] = (),
    ) -> None:
        self.id = job_id
        self.argv = argv
        self.timeout = timeout
        self._results = share / "results"
        self._job_path = share / "jobs" / f"{job_id}.job"
        self._alive = alive
        self._cleanup = list(cleanup)
        self._result: LabResult | None = None

    def done(self) -> bool:
        return self._result is not None or (self._results / f"{self.id}.rc").exists()

    def wait(self, timeout: float | None = None) -> LabResult:
        """Block until the guest reports the result.

        ``timeout`` defaults to the job's own timeout plus :data:`HOST_GRACE_SECONDS`; past
        it (or if qemu dies meanwhile) :class:`LabTimeout` is raised.
        """
        if self._result is not None:
            return self._result
        rc_path = self._results / f"{self.id}.rc"
        limit = self.timeout + HOST_GRACE_SECONDS if timeout is None else timeout
        deadline = time.monotonic() + limit
        delay = 0.005
        while True:
            with contextlib.suppress(FileNotFoundError):
                rc_line = rc_path.read_text()
                if rc_line.endswith("\n"):
                    break
            dead = self._alive()
            if dead is not None:
                raise LabTimeout(f"job {list(self.argv)!r}: {dead}")
            if time.monotonic() > deadline:
                raise LabTimeout(
                    f"job {list(self.argv)!r}: no result from the guest agent after {limit:.0f}s"
                )
            time.sleep(delay)
            delay = min(delay * 1.5, 0.05)
        rc_text, cs_text = rc_line.split()
        rc, seconds = int(rc_text), int(cs_text) / 100.0
        out = self._results / f"{self.id}.out"
        err = self._results / f"{self.id}.err"
        self._result = LabResult(
            argv=self.argv,
            rc=rc,
            stdout=out.read_bytes().decode("utf-8", "replace"),
            stderr=err.read_bytes().decode("utf-8", "replace"),
            seconds=seconds,
            timed_out=rc in (143, 137) and seconds >= self.timeout - 0.05,
        )
        for p in (self._job_path, rc_path, out, err, *self._cleanup):
            p.unlink(missing_ok=True)
        return self._result


def write_job(share: Path, job_id: str, script: str) -> None:
    """Publish a job atomically (the agent only looks at ``*.job`` names)."""
    jobs = share / "jobs"
    tmp = jobs / f".{job_id}.tmp"
    tmp.write_text(script)
    os.replace(tmp, jobs / f"{job_id}.job")
