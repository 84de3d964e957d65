"""Pause the cyclic garbage collector around bulk object building.

Loading or rendering a host with thousands of networks creates tens of thousands of objects
that all stay alive until the step ends; the generational collector keeps re-scanning them and
finds nothing to free, which measured as a third to a half of those steps. Reference counting
still frees everything that is not in a cycle meanwhile.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


def without_gc(func: Callable[P, R]) -> Callable[P, R]:
    """Run *func* with the collector paused (re-enabled after, if it was enabled before)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        enabled = gc.isenabled()
        gc.disable()
        try:
            return func(*args, **kwargs)
        finally:
            if enabled:
                gc.enable()

    return wrapper
