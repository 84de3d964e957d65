"""A tiny independent netlink encoder for the status tests (uapi numbers, no hvnet code).

Messages are built here from include/uapi/linux/if_link.h so decoders are checked against
the wire format rather than against themselves. A plain module (imported as ``nlkit``
because pytest puts this directory on sys.path), like ``statuskit``.
"""

from __future__ import annotations

import socket
import struct
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "netlink"


def fixture_buffers(case: str) -> list[bytearray]:
    """The receive buffers of a captured dump (``tests/fixtures/netlink/CASE/links.bin``)."""
    data = (FIXTURES / case / "links.bin").read_bytes()
    out = []
    pos = 0
    while pos < len(data):
        (size,) = struct.unpack_from("=I", data, pos)
        out.append(bytearray(data[pos + 4 : pos + 4 + size]))
        pos += 4 + size
    return out


def fixture_cases() -> list[str]:
    return sorted(p.parent.name for p in FIXTURES.glob("*/links.bin"))


def nla(kind: int, payload: bytes) -> bytes:
    return struct.pack("=HH", 4 + len(payload), kind) + payload + b"\0" * (-len(payload) % 4)


def nest(kind: int, *children: bytes) -> bytes:
    return nla(kind | 0x8000, b"".join(children))


def u8(v: int) -> bytes:
    return struct.pack("=B", v)


def u16(v: int) -> bytes:
    return struct.pack("=H", v)


def u32(v: int) -> bytes:
    return struct.pack("=I", v)


def mac(text: str) -> bytes:
    return bytes(int(x, 16) for x in text.split(":"))


def link_msg(index: int, name: str, *attrs: bytes, up: bool = True) -> bytes:
    body = struct.pack("=BxHiII", 0, 1, index, 0x1 if up else 0, 0)
    body += nla(3, name.encode() + b"\0") + nla(4, u32(1500)) + nla(16, u8(6)) + nla(33, u8(1))
    body += nla(1, mac(f"02:00:00:00:00:{index:02x}"))
    body += nla(23, struct.pack("=9Q", 10, 20, 1000, 2000, 1, 2, 3, 4, 5) + b"\0" * 120)
    body += b"".join(attrs)
    return struct.pack("=IHHII", 16 + len(body), 16, 2, 1, 0) + body


def info(kind: str, data: bytes = b"", slave_kind: str = "", slave_data: bytes = b"") -> bytes:
    parts = [nla(1, kind.encode() + b"\0")] if kind else []
    if data:
        parts.append(nla(2 | 0x8000, data))
    if slave_kind:
        parts.append(nla(4, slave_kind.encode() + b"\0"))
        parts.append(nla(5 | 0x8000, slave_data))
    return nest(18, *parts)


DONE = struct.pack("=IHHII", 20, 3, 2, 1, 0) + u32(0)


def host_dump() -> bytes:
    """bond0 (active-backup over eth0/eth1, eth1 down), bond0.10 (802.1ad), br10 on it."""
    bond = b"".join(
        [
            nla(1, u8(1)),
            nla(2, u32(2)),
            nla(3, u32(100)),
            nla(4, u32(200)),
            nla(5, u32(200)),
            nla(7, u32(0)),
            nla(11, u32(2)),
            nla(12, u8(0)),
            nla(14, u8(2)),
            nla(21, u8(1)),
            nest(8, nla(0, socket.inet_aton("192.0.2.1"))),
            nla(29, u8(1)),
        ]
    )

    def slave(state: int, mii: int, fails: int, perm: str) -> bytes:
        return b"".join(
            [
                nla(1, u8(state)),
                nla(2, u8(mii)),
                nla(3, u32(fails)),
                nla(4, mac(perm)),
                nla(5, u16(0)),
                nla(6, u16(1)),
            ]
        )

    vlan = nla(1, u16(10)) + nla(2, struct.pack("=II", 0x1 | 0x8, 0xFFFFFFFF))
    vlan += nla(5, struct.pack("!H", 0x88A8))
    vlan += nest(3, nla(1, struct.pack("=II", 2, 5)))
    bridge = b"".join(
        [
            nla(1, u32(1500)),
            nla(2, u32(200)),
            nla(3, u32(2000)),
            nla(4, u32(30000)),
            nla(5, u32(1)),
            nla(6, u16(4096)),
            nla(7, u8(0)),
            nla(11, bytes([0x10, 0x00]) + mac("02:00:00:00:00:05")),
            nla(10, bytes([0x10, 0x00]) + mac("02:00:00:00:00:05")),
        ]
    )
    port = nla(1, u8(3)) + nla(2, u16(32)) + nla(3, u32(100)) + nla(8, u8(1))
    tap_port = nla(1, u8(3)) + nla(2, u16(32)) + nla(3, u32(100))
    return b"".join(
        [
            link_msg(1, "lo"),
            link_msg(
                2,
                "eth0",
                nla(10, u32(3)),
                info("", slave_kind="bond", slave_data=slave(0, 0, 0, "52:54:00:00:00:01")),
            ),
            link_msg(
                4,
                "eth1",
                nla(10, u32(3)),
                info("", slave_kind="bond", slave_data=slave(1, 2, 3, "52:54:00:00:00:02")),
            ),
            link_msg(3, "bond0", info("bond", bond)),
            link_msg(
                5, "bond0.10", nla(5, u32(3)), nla(10, u32(6)), info("vlan", vlan, "bridge", port)
            ),
            link_msg(6, "br10", info("bridge", bridge)),
            link_msg(7, "vnet0", nla(10, u32(6)), info("tun", b"", "bridge", tap_port)),
            DONE,
        ]
    )
