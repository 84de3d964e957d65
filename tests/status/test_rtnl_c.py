"""The C link-dump decoder (hvnet._rtnl) against the Python reference decoder.

Both decode real kernel dumps captured in the lab (tests/fixtures/netlink, one per bonding
mode plus VLAN/bridge/guest variety) and the synthetic dump of test_status_live; their
RawLink lists must be equal. Fuzzed buffers (bytes flipped, messages cut short) must never
crash the C decoder, and wherever the Python decoder gets through them, both must agree.
"""

from __future__ import annotations

import os
import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hvnet.native import rtnl as native_rtnl
from hvnet.status import rtnl

from nlkit import fixture_buffers, fixture_cases, host_dump

_rtnl = native_rtnl()
needs_c = pytest.mark.skipif(_rtnl is None, reason="hvnet._rtnl is not built")


def test_ci_builds_the_c_decoder() -> None:
    """CI installs a compiler and the Python headers: the decoder must be there."""
    if os.environ.get("CI") != "true":
        pytest.skip("only CI guarantees a C compiler")
    assert _rtnl is not None


def decode_py(buffers: list[bytearray]) -> list[rtnl.RawLink]:
    out: list[rtnl.RawLink] = []
    for buf in buffers:
        rtnl.decode_dump_py(buf, len(buf), out)
    return out


def decode_c(buffers: list[bytearray]) -> list[rtnl.RawLink]:
    assert _rtnl is not None
    out: list[rtnl.RawLink] = []
    for buf in buffers:
        _rtnl.decode_dump(buf, len(buf), out, rtnl._FACTORIES)
    return out


def rows_c(buffers: list[bytearray]) -> tuple[list[tuple[object, ...]], list[rtnl.RawLink]]:
    assert _rtnl is not None
    rows: list[tuple[object, ...]] = []
    bonds: list[rtnl.RawLink] = []
    for buf in buffers:
        _rtnl.status_rows(buf, len(buf), rows, bonds, rtnl._FACTORIES)
    return rows, bonds


def test_fixtures_were_captured() -> None:
    cases = fixture_cases()
    assert {"active-backup", "802.3ad", "balance-alb", "bridge", "many", "variety"} <= set(cases)


@needs_c
@pytest.mark.parametrize("case", fixture_cases())
def test_c_decodes_real_dumps_as_python(case: str) -> None:
    buffers = fixture_buffers(case)
    expected = decode_py(buffers)
    assert expected, case
    assert decode_c(buffers) == expected


@needs_c
@pytest.mark.parametrize("case", fixture_cases())
def test_rows_name_every_link_and_carry_bonds(case: str) -> None:
    buffers = fixture_buffers(case)
    raws = decode_py(buffers)
    rows, bonds = rows_c(buffers)
    assert [row[0] for row in rows] == [r.name for r in raws]
    assert [(row[1], row[2], row[3], row[4], row[5]) for row in rows] == [
        (r.index, r.kind, r.slave_kind, r.master_index, r.link_index) for r in raws
    ]
    assert [(row[6], row[7], row[8]) for row in rows] == [
        (r.link["operstate"], r.link["mtu"], r.link["address"]) for r in raws
    ]
    assert bonds == [r for r in raws if r.kind == "bond" or r.slave_kind == "bond"]


@needs_c
def test_c_decodes_the_synthetic_dump_as_python() -> None:
    data = bytearray(host_dump())
    expected = decode_py([data])
    assert [r.name for r in expected] == [
        "lo", "eth0", "eth1", "bond0", "bond0.10", "br10", "vnet0",
    ]  # fmt: skip
    assert decode_c([data]) == expected


@needs_c
def test_vlan_qos_maps_keep_every_mapping() -> None:
    """Each QoS mapping is its own attribute of the same type: none may be lost."""
    buffers = fixture_buffers("variety")
    vlan = next(r for r in decode_c(buffers) if r.name == "d0.100")
    assert vlan.data["egress_map"] == {1: 2, 3: 4}
    assert vlan.data["ingress_map"] == {5: 6}
    assert vlan.data["protocol"] == "802.1ad"
    assert vlan.data["flags"].reorder_hdr is False and vlan.data["flags"].gvrp is True


@needs_c
def test_netlink_error_raises_oserror() -> None:
    assert _rtnl is not None
    err = bytearray(struct.pack("=IHHII", 36, 2, 0, 1, 0) + struct.pack("=i", -1) + b"\0" * 16)
    with pytest.raises(OSError, match="netlink link dump"):
        _rtnl.decode_dump(err, len(err), [], rtnl._FACTORIES)


def _mutations() -> st.SearchStrategy[tuple[str, list[tuple[int, int]], int]]:
    cases = fixture_cases() or ["none"]
    return st.tuples(
        st.sampled_from(cases),
        st.lists(st.tuples(st.integers(0, 1 << 20), st.integers(0, 255)), max_size=12),
        st.integers(0, 1 << 20),
    )


@needs_c
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_mutations())
def test_fuzzed_dumps_never_crash_and_agree(spec: tuple[str, list[tuple[int, int]], int]) -> None:
    case, flips, cut = spec
    if case == "none":
        pytest.skip("no captured fixtures")
    buf = fixture_buffers(case)[0]
    for offset, value in flips:
        buf[offset % len(buf)] = value
    buf = buf[: max(16, cut % (len(buf) + 1))]
    try:
        expected: list[rtnl.RawLink] | None = decode_py([bytearray(buf)])
    except (IndexError, struct.error, OSError, ValueError):
        expected = None  # the reference gives up on this buffer; C must still not crash
    try:
        got = decode_c([bytearray(buf)])
        rows_c([bytearray(buf)])
    except OSError:
        assert expected is None
        return
    if expected is not None:
        assert got == expected
