"""The C decoder of snapshot link messages against hvnet.kernel.nldump's Python one.

Both decode the link dumps of an apply snapshot captured in the lab (tests/fixtures/netlink
/*/snapshot.bin: every bonding mode, many VLANs and bridges, 802.1ad, QoS, STP, taps,
addresses and routes) into Msg objects; their contents must be equal, and fuzzed buffers
must never crash the C decoder.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hvnet.kernel import nldump

NETLINK = Path(__file__).resolve().parents[1] / "fixtures" / "netlink"
CASES = sorted(p.parent.name for p in NETLINK.glob("*/snapshot.bin"))
_C = nldump._C
needs_c = pytest.mark.skipif(_C is None, reason="hvnet._rtnl is not built")


def link_buffers(case: str) -> list[bytes]:
    data = (NETLINK / case / "snapshot.bin").read_bytes()
    out, pos = [], 0
    while pos < len(data):
        which, size = struct.unpack_from("=II", data, pos)
        if which == 1:
            out.append(data[pos + 8 : pos + 8 + size])
        pos += 8 + size
    return out


def plain(value: Any) -> Any:
    if isinstance(value, nldump.Msg):
        return (
            {k: plain(v) for k, v in value.fields.items()},
            {k: plain(v) for k, v in value.attrs.items()},
        )
    return value


def decode(buffers: list[bytes], use_c: bool) -> list[Any]:
    out: list[Any] = []
    for buf in buffers:
        if use_c:
            assert _C is not None
            _C.snapshot_links(buf, len(buf), 101, out, nldump.Msg)
        else:
            nldump.decode_buffer_py(buf, nldump.RTM_GETLINK, nldump._link, 101, out)
    return [plain(m) for m in out]


def test_fixtures_hold_snapshot_dumps() -> None:
    assert {"variety", "many", "802.3ad"} <= set(CASES)


@needs_c
@pytest.mark.parametrize("case", CASES)
def test_c_decodes_snapshot_links_as_python(case: str) -> None:
    buffers = link_buffers(case)
    expected = decode(buffers, use_c=False)
    assert expected
    assert decode(buffers, use_c=True) == expected


@needs_c
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(CASES or ["none"]),
    st.lists(st.tuples(st.integers(0, 1 << 20), st.integers(0, 255)), max_size=12),
)
def test_fuzzed_snapshot_links_never_crash(case: str, flips: list[tuple[int, int]]) -> None:
    if case == "none":
        pytest.skip("no fixtures")
    buf = bytearray(link_buffers(case)[0])
    for offset, value in flips:
        buf[offset % len(buf)] = value
    try:
        expected = decode([bytes(buf)], use_c=False)
    except (IndexError, struct.error, OSError, ValueError, KeyError):
        expected = None
    try:
        got = decode([bytes(buf)], use_c=True)
    except (OSError, ValueError, IndexError):
        assert expected is None
        return
    if expected is not None:
        assert got == expected
