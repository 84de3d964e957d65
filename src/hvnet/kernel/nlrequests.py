"""The three dump requests an apply snapshot is read with (links, addresses, routes).

Shared by the snapshot reader (:mod:`hvnet.kernel.nldump`) and the no-op check
(:mod:`hvnet.apply.settled`), which must see exactly the same messages; this module imports
nothing but ``struct`` so that check starts fast.
"""

from __future__ import annotations

import struct

RTM_GETLINK, RTM_GETADDR, RTM_GETROUTE = 18, 22, 26
_HDR = struct.Struct("=IHHII")
_F_REQUEST_DUMP = 0x1 | 0x300
_IFLA_EXT_MASK, _RTEXT_FILTER_SKIP_STATS = 29, 1 << 3

#: (message type, request body): links without statistics, all addresses, all routes.
SNAPSHOT_DUMPS: tuple[tuple[int, bytes], ...] = (
    (
        RTM_GETLINK,
        struct.pack("=BxHiII", 0, 0, 0, 0, 0)
        + struct.pack("=HHI", 8, _IFLA_EXT_MASK, _RTEXT_FILTER_SKIP_STATS),
    ),
    (RTM_GETADDR, struct.pack("=BBBBI", 0, 0, 0, 0, 0)),
    (RTM_GETROUTE, struct.pack("=BBBBBBBBI", 0, 0, 0, 0, 0, 0, 0, 0, 0)),
)


def dump_request(mtype: int, body: bytes, seq: int) -> bytes:
    """A dump request message (``NLM_F_REQUEST | NLM_F_DUMP``) of this type and body."""
    return _HDR.pack(_HDR.size + len(body), mtype, _F_REQUEST_DUMP, seq, 0) + body
