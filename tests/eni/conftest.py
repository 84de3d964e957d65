"""Where the ENI corpus of real users' files lives (see PROVENANCE.md there)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

#: Overridable so the tests run from any checkout that has a copy of the corpus.
CORPUS = Path(os.environ.get("HVNET_ENI_CORPUS", "/work/shared/corpus/eni"))


@pytest.fixture
def corpus() -> Path:
    """The corpus directory; tests needing it are skipped where it is absent."""
    if not CORPUS.is_dir():
        pytest.skip(f"ENI corpus not found at {CORPUS}")
    return CORPUS
