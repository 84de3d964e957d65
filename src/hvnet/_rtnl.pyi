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
