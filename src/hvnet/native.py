"""The optional C decoder :mod:`hvnet._rtnl`, for the modules that can use it.

Built by ``pip install`` when a C compiler and Python's headers are there (``setup.py``);
without it every caller has a Python path that gives the same results, slower.
``HVNET_PURE_PYTHON=1`` switches it off (tests and the benchmarks compare both paths).
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # not typing's: this is imported on the fastest paths
if TYPE_CHECKING:
    from types import ModuleType


def rtnl() -> ModuleType | None:
    """:mod:`hvnet._rtnl` when it was built and is not switched off, else None."""
    if os.environ.get("HVNET_PURE_PYTHON") == "1":
        return None
    try:
        from hvnet import _rtnl
    except ImportError:  # not built (no C compiler at install time)
        return None
    return _rtnl
