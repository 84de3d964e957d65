"""A small synchronous QMP (QEMU Machine Protocol) client over a unix socket.

Only what the lab needs: the capabilities handshake and ``execute``. Asynchronous events
that arrive between commands are kept in :attr:`QMPClient.events` rather than mistaken for
the reply. A lock makes it safe to call from several test threads.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from pathlib import Path
from typing import Any

from hvnet.lab.errors import LabError


class QMPError(LabError):
    """QEMU answered a command with an error, or the connection broke."""


class QMPClient:
    """Connection to a QEMU started with ``-qmp unix:PATH,server=on,wait=off``."""

    def __init__(self, path: Path, timeout: float = 10.0) -> None:
        self.path = path
        self.timeout = timeout
        self.events: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._sock = self._connect()
        self._file = self._sock.makefile("rwb", buffering=0)
        greeting = self._read()
        if "QMP" not in greeting:
            raise QMPError(f"unexpected QMP greeting: {greeting!r}")
        self.execute("qmp_capabilities")

    def _connect(self) -> socket.socket:
        deadline = time.monotonic() + self.timeout
        while True:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(self.timeout)
            try:
                sock.connect(str(self.path))
                return sock
            except OSError as exc:
                sock.close()
                if time.monotonic() > deadline:
                    raise QMPError(f"cannot connect to QMP socket {self.path}: {exc}") from exc
                time.sleep(0.05)

    def _read(self) -> dict[str, Any]:
        try:
            line = self._file.readline()
        except OSError as exc:
            raise QMPError(f"QMP read failed: {exc}") from exc
        if not line:
            raise QMPError("QMP connection closed by qemu")
        msg: dict[str, Any] = json.loads(line)
        return msg

    def execute(self, command: str, **arguments: Any) -> Any:
        """Run a QMP command and return its ``return`` value; raise :class:`QMPError` on error."""
        req: dict[str, Any] = {"execute": command}
        if arguments:
            req["arguments"] = arguments
        with self._lock:
            try:
                self._file.write(json.dumps(req).encode() + b"\n")
            except OSError as exc:
                raise QMPError(f"QMP write failed: {exc}") from exc
            while True:
                msg = self._read()
                if "event" in msg:
                    self.events.append(msg)
                    continue
                if "error" in msg:
                    err = msg["error"]
                    raise QMPError(f"QMP {command}: {err.get('class')}: {err.get('desc')}")
                return msg.get("return")

    def close(self) -> None:
        """Close the connection (qemu keeps running)."""
        for closer in (self._file.close, self._sock.close):
            with contextlib.suppress(OSError):
                closer()
