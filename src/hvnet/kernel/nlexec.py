"""Execute planned operations through netlink, many requests per system call.

A one-request-at-a-time loop spends its time waiting for each acknowledgement; ``ip -batch``
is fast because it does not. We encode every request without sending it (with struct, in
:mod:`hvnet.kernel.nlmsg`, checked byte for byte against pyroute2's ``IPBatch`` in the
tests), send them in large chunks on one raw netlink socket without NLM_F_ACK, each chunk
closed by a barrier that is acknowledged: the kernel answers only failed requests (matched by
sequence number) and then the barrier, so a chunk costs one receive, not one per request.
New links get
their ifindex assigned by the planner, so later requests can refer to them inside the same
chunk. When a request fails, the chunk is finished (the kernel has already run it), nothing
further is sent, and the caller learns exactly which operations succeeded, to undo them.
"""

from __future__ import annotations

import _socket
import errno
import os
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hvnet.apply.ops import Op, Verb, op
from hvnet.kernel.nlmsg import barrier, encode

_HDR = struct.Struct("=IHHII")
_NLMSG_ERROR = 2
_CHUNK = 200
_RCVBUF = 8 * 1024 * 1024
_UNUSED_INDEX = 2**31 - 7  # an ifindex no kernel hands out: used to force a failure
_SYS = Path("/sys")


@dataclass(frozen=True, slots=True)
class OpFailure:
    """Which operation failed and what the kernel said."""

    position: int
    op: Op
    code: int
    message: str

    def format(self) -> str:
        return f"operation {self.position + 1} ({self.op.describe()}) failed: {self.message}"


@dataclass(slots=True)
class ExecResult:
    succeeded: list[int] = field(default_factory=list)
    failures: list[OpFailure] = field(default_factory=list)

    @property
    def failure(self) -> OpFailure | None:
        return self.failures[0] if self.failures else None

    @property
    def ok(self) -> bool:
        return not self.failures


class NetlinkExecutor:
    """Sends operations; ``indexes`` maps link names to ifindexes (existing and planned)."""

    def __init__(
        self,
        indexes: dict[str, int],
        chunk: int = _CHUNK,
        fail_at: int | None = None,
        sys_root: Path = Path("/sys"),
        keep_going: bool = False,
    ) -> None:
        """``keep_going``: run everything and collect all failures (used for rollback)."""
        self.keep_going = keep_going
        self.seq = int.from_bytes(os.urandom(2), "big") << 8
        self.indexes = dict(indexes)
        self.chunk = chunk
        self.fail_at = fail_at
        self.sys_root = sys_root
        self._rebase = sys_root != _SYS  # once, not per write: Path comparison is Python

    def _index(self, name: str | None) -> int:
        if name is None:
            return 0
        try:
            return self.indexes[name]
        except KeyError:
            raise LookupError(f"unknown link {name!r}") from None

    def compile(self, operation: Op, position: int) -> bytes:
        """The netlink message for one operation (see :mod:`hvnet.kernel.nlmsg`)."""
        self.seq += 1
        if position == self.fail_at:
            forced = op(Verb.LINK_SET, "(forced failure)", state="up")
            return encode(forced, lambda _name: _UNUSED_INDEX, self.seq, ack=False)
        return encode(operation, self._index, self.seq, ack=False)

    def run(
        self, ops: Sequence[Op], progress: Callable[[int, int], None] | None = None
    ) -> ExecResult:
        """Execute *ops* in order; stop after the chunk in which the first failure happens."""
        result = ExecResult()
        sock = _socket.socket(_socket.AF_NETLINK, _socket.SOCK_RAW, 0)
        try:
            sock.setsockopt(_socket.SOL_SOCKET, _socket.SO_RCVBUF, _RCVBUF)
            sock.bind((0, 0))
            pending: list[tuple[int, bytes]] = []
            for position, operation in enumerate(ops):
                if operation.verb is Verb.SYSFS_WRITE and position != self.fail_at:
                    if not self._flush(sock, pending, ops, result):
                        return result
                    pending = []
                    self._sysfs(operation, position, result)
                    if result.failures and not self.keep_going:
                        return result
                    continue
                try:
                    pending.append((position, self.compile(operation, position)))
                except (LookupError, ValueError, TypeError, KeyError) as exc:
                    result.failures.append(OpFailure(position, operation, errno.EINVAL, str(exc)))
                    if self.keep_going:
                        continue
                    self._flush(sock, pending, ops, result)
                    return result
                if len(pending) >= self.chunk:
                    if not self._flush(sock, pending, ops, result):
                        return result
                    pending = []
                    if progress:
                        progress(position + 1, len(ops))
            self._flush(sock, pending, ops, result)
            if progress:
                progress(len(ops), len(ops))
            return result
        finally:
            sock.close()

    def _sysfs(self, operation: Op, position: int, result: ExecResult) -> None:
        """One sysfs or /proc/sys write. Thousands of these run per large apply (isolation
        sysctls), so the common case stays free of Path objects and buffered files."""
        args = dict(operation.args)
        path = str(args.get("path"))
        if self._rebase:
            path = str(self.sys_root / Path(path).relative_to("/sys"))
        try:
            # One write(2) on a raw descriptor: /proc/sys takes a value per write.
            fd = os.open(path, os.O_WRONLY)
            try:
                os.write(fd, f"{args.get('value')}\n".encode())
            finally:
                os.close(fd)
        except OSError as exc:
            result.failures.append(
                OpFailure(
                    position, operation, exc.errno or errno.EIO, f"{path}: {exc.strerror or exc}"
                )
            )
        else:
            result.succeeded.append(position)

    def _flush(
        self,
        sock: _socket.socket,
        pending: list[tuple[int, bytes]],
        ops: Sequence[Op],
        result: ExecResult,
    ) -> bool:
        """Send pending messages and learn which failed; False when any did.

        The requests go without NLM_F_ACK, followed by a barrier (NLMSG_NOOP with
        NLM_F_ACK): the kernel handles the whole batch in order during the send, answers
        only the requests that fail, then acknowledges the barrier. One answer per batch to
        read instead of one per request: each is its own receive call, which at thousands
        of requests under emulation cost more than the requests themselves.
        """
        if not pending:
            return True
        seq_to_position: dict[int, int] = {}
        buffers: list[bytes] = []
        for position, data in pending:
            offset = 0
            while offset < len(data):
                length, _type, _flags, seq, _pid = _HDR.unpack_from(data, offset)
                seq_to_position[seq] = position
                offset += (length + 3) & ~3
            buffers.append(data)
        self.seq += 1
        fence = self.seq
        buffers.append(barrier(fence))
        sock.send(b"".join(buffers))
        failed_positions: dict[int, int] = {}
        done = False
        while not done:
            data = sock.recv(1 << 20)
            offset = 0
            while offset < len(data):
                length, mtype, _flags, seq, _pid = _HDR.unpack_from(data, offset)
                if mtype == _NLMSG_ERROR:
                    if seq == fence:
                        done = True
                    elif seq in seq_to_position:
                        (code,) = struct.unpack_from("=i", data, offset + _HDR.size)
                        if code:
                            failed_positions.setdefault(seq_to_position[seq], -code)
                offset += (length + 3) & ~3
        for position in sorted({p for p, _ in pending}):
            if position in failed_positions:
                code = failed_positions[position]
                forced = " (failure forced for testing)" if position == self.fail_at else ""
                result.failures.append(
                    OpFailure(position, ops[position], code, os.strerror(code) + forced)
                )
            else:
                result.succeeded.append(position)
        return not failed_positions or self.keep_going
