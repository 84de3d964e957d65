"""A no-op apply without planning: the kernel still is exactly what an apply left.

Re-applying an unchanged file (from cron, configuration management, a retry) is the most
common live operation, and on a host with thousands of links planning it means decoding
every link and comparing every attribute, only to find nothing to do. But the plan is a
pure function of four things: the model (the file's bytes and hvnet's code: the model
cache's key), the kernel snapshot, the ledger and, when ENI is written, that file. So
whenever an apply ends with the kernel verified equal to the model, or a planning run finds
nothing to do, hvnet records a fingerprint of all four in ``STATE_DIR/settled.json``; an
apply whose fingerprint is the same has nothing to do, and says so without planning.

The kernel's part is what the snapshot takes from the three dumps it is read from (links,
addresses, routes: ``hvnet/_rtnl_src/settled.c`` lists it), plus the bonds' sysfs options;
any change there (a link, a flag, an address, an MTU, a master) makes the fingerprints
differ, and the apply plans as usual. Runtime state the planner never reads (carrier,
operstate, counters, timers, STP port states) is left out: it keeps settling after an apply
was verified. The fingerprint comes from the very
messages the verified snapshot was decoded from. Needs the C decoder (:mod:`hvnet._rtnl`):
without it every apply plans. This module imports only what the check needs, so a settled
no-op costs an interpreter start and three dumps.
"""

from __future__ import annotations

import os
import struct

TYPE_CHECKING = False  # not typing's: importing typing costs more than this check
if TYPE_CHECKING:
    from typing import Any

try:  # CPython's own SHA-256: hashlib would load OpenSSL's libcrypto
    from _sha2 import sha256  # type: ignore[import-not-found,unused-ignore]
except ImportError:
    try:
        from _sha256 import sha256  # type: ignore[import-not-found,no-redef,unused-ignore]
    except ImportError:  # pragma: no cover - a Python built without them
        from hashlib import sha256  # type: ignore[assignment,unused-ignore]

SETTLED_FILE = "settled.json"

#: The bonding sysfs files the snapshot reads, ``hvnet.options.BondOptions``' fields in
#: order (a test keeps them equal): importing that module for the names would cost the
#: settled check more than its three dumps (dataclasses, ``re``, ``typing``).
BOND_OPTION_FILES = (
    "mode", "miimon", "updelay", "downdelay", "peer_notif_delay", "use_carrier",
    "arp_interval", "arp_ip_target", "ns_ip6_target", "arp_validate", "arp_all_targets",
    "arp_missed_max", "primary", "primary_reselect", "fail_over_mac", "xmit_hash_policy",
    "lacp_rate", "lacp_active", "ad_select", "ad_actor_sys_prio", "ad_actor_system",
    "ad_user_port_key", "min_links", "all_slaves_active", "num_grat_arp", "resend_igmp",
    "packets_per_slave", "tlb_dynamic_lb", "lp_interval",
)  # fmt: skip
_VERSION = 1


class KernelFingerprint:
    """Accumulates receive buffers of the snapshot dumps; :meth:`hexdigest` at the end."""

    __slots__ = ("bonds", "data", "rtnl")

    def __init__(self, rtnl: Any) -> None:
        self.rtnl = rtnl
        self.data = bytearray()
        self.bonds: list[str] = []

    def feed(self, buffer: bytes) -> None:
        self.rtnl.settled_bytes(buffer, len(buffer), self.data, self.bonds)

    def hexdigest(self, sys_root: str = "/sys") -> str:
        digest = sha256(bytes(self.data))
        if self.bonds:  # their options come from sysfs: the files the snapshot reads
            for bond in sorted(self.bonds):
                base = os.path.join(sys_root, "class", "net", bond, "bonding")
                for name in BOND_OPTION_FILES:
                    digest.update(f"\0{bond}/{name}\0".encode())
                    try:
                        with open(os.path.join(base, name), "rb") as handle:
                            digest.update(handle.read(65536))
                    except OSError:
                        digest.update(b"\0unreadable")
        return str(digest.hexdigest())


def new_fingerprint() -> KernelFingerprint | None:
    """A fingerprint to feed, or None when the C decoder is not built."""
    from hvnet.native import rtnl as c_decoder

    rtnl = c_decoder()
    return KernelFingerprint(rtnl) if rtnl is not None else None


def kernel_fingerprint() -> str | None:
    """The kernel's fingerprint now (three dumps), or None without the C decoder."""
    fingerprint = new_fingerprint()
    if fingerprint is None:
        return None
    import _socket

    from hvnet.kernel.nlrequests import SNAPSHOT_DUMPS, dump_request

    sock = _socket.socket(_socket.AF_NETLINK, _socket.SOCK_RAW, _socket.NETLINK_ROUTE)
    buffer = bytearray(1 << 20)
    try:
        sock.settimeout(30)
        sock.setsockopt(_socket.SOL_SOCKET, _socket.SO_RCVBUF, 8 * 1024 * 1024)
        sock.bind((0, 0))
        for seq, (mtype, body) in enumerate(SNAPSHOT_DUMPS, 1):
            sock.send(dump_request(mtype, body, seq))
            while True:
                size = sock.recv_into(buffer)
                data = bytes(buffer[:size])
                fingerprint.feed(data)
                if _dump_done(data):
                    break
    finally:
        sock.close()
    return fingerprint.hexdigest()


def _dump_done(data: bytes) -> bool:
    """Whether this receive buffer ends the dump (holds NLMSG_DONE or an error)."""
    pos = 0
    while pos + 16 <= len(data):
        length, kind = _HEAD.unpack_from(data, pos)
        if kind in (2, 3) or length < 16:  # NLMSG_ERROR (settled_bytes raised), NLMSG_DONE
            return True
        pos += (length + 3) & ~3
    return False


_HEAD = struct.Struct("=IH")


def _loads(text: str) -> Any:
    """``json.loads`` through ``_json``'s C scanner: the json package imports ``re``, which
    costs this check more than the three dumps under emulation."""
    try:
        from _json import make_scanner

        class _Context:
            def __init__(self) -> None:
                self.strict = True
                self.object_hook = self.object_pairs_hook = None
                self.parse_float, self.parse_int, self.parse_constant = float, int, float
                self.memo: dict[str, str] = {}

        scan = make_scanner(_Context())  # type: ignore[arg-type]  # duck-typed, as json's
        value, end = scan(text.strip(), 0)
        if end != len(text.strip()):
            raise ValueError("trailing data")
        return value
    except (ImportError, TypeError, StopIteration):
        from json import loads

        return loads(text)


def _file_digest(path: str | None) -> str | None:
    if path is None:
        return None
    try:
        with open(path, "rb") as handle:
            return str(sha256(handle.read()).hexdigest())
    except OSError:
        return None


def _record_path(state_dir: str) -> str:
    return os.path.join(state_dir, SETTLED_FILE)


def fingerprint_of(
    model_key: str, kernel: str, state_dir: str, eni: str | None
) -> dict[str, str | None]:
    """The four parts (see the module docstring) as the record stores them."""
    eni = os.path.abspath(eni) if eni is not None else None
    return {
        "model": model_key,
        "kernel": kernel,
        "ledger": _file_digest(os.path.join(state_dir, "ledger.json")),
        "eni_path": eni,
        "eni": _file_digest(eni),
    }


def record(
    state_dir: str, model_key: str, kernel: str, eni: str | None, warnings: list[str]
) -> None:
    """Remember that this model, kernel, ledger and ENI file need nothing (a cache: a
    failure to write only means the next apply plans)."""
    import json

    document: dict[str, object] = {"version": _VERSION}
    document.update(fingerprint_of(model_key, kernel, state_dir, eni))
    document["warnings"] = warnings
    tmp = _record_path(state_dir) + f".{os.getpid()}"
    try:
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(document, handle, indent=1, sort_keys=True)
            handle.write("\n")
        os.replace(tmp, _record_path(state_dir))
    except OSError:
        if os.path.exists(tmp):
            os.unlink(tmp)


def settled(model_key: str, state_dir: str, eni: str | None) -> list[str] | None:
    """The recorded warnings when nothing is to be done, else None (plan as usual).

    ``eni``: the ENI file this apply would write, or None with ``--runtime-only`` (then the
    file is not part of the comparison).
    """
    try:
        with open(_record_path(state_dir), encoding="utf-8") as handle:
            document = _loads(handle.read())
    except (OSError, ValueError, StopIteration):
        return None
    if not isinstance(document, dict) or document.get("version") != _VERSION:
        return None
    if document.get("model") != model_key:
        return None
    if _file_digest(os.path.join(state_dir, "ledger.json")) != document.get("ledger"):
        return None
    if eni is not None:
        eni = os.path.abspath(eni)
        if document.get("eni_path") != eni or _file_digest(eni) != document.get("eni"):
            return None
    kernel = kernel_fingerprint()
    if kernel is None or kernel != document.get("kernel"):
        return None
    warnings = document.get("warnings")
    return [str(w) for w in warnings] if isinstance(warnings, list) else []
