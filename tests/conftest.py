"""Root fixtures; the shared helpers live in hvtest.py (import them from there)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from hvnet.loader import LoadResult

from hvtest import load_snippet


@pytest.fixture
def load() -> Callable[[str], LoadResult]:
    return load_snippet
