"""Type stub of the C decoder (src/hvnet/_rtnl_src/)."""

from collections.abc import Callable
from typing import Any

def decode_dump(
    buffer: Any, size: int, out: list[Any], factories: tuple[Callable[..., Any], ...], /
) -> bool: ...
def status_rows(
    buffer: Any,
    size: int,
    rows: list[tuple[Any, ...]],
    bond_links: list[Any],
    factories: tuple[Callable[..., Any], ...],
    /,
) -> bool: ...
def settled_bytes(buffer: Any, size: int, out: bytearray, bonds: list[str], /) -> bool: ...
def snapshot_links(buffer: Any, size: int, seq: int, out: list[Any], msg: Any, /) -> bool: ...
