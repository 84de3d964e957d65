"""Helpers shared by the ENI corpus import tests (a plain module: see tests/hvtest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hvnet.importers import ImportResult
from hvnet.importers.eni import import_eni

CORPUS = Path("/work/shared/corpus/eni")
if not CORPUS.is_dir():  # pragma: no cover - the corpus lives next to the repository
    CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "eni"


def corpus(key: str) -> Path:
    return next(CORPUS.glob(f"{key}-*.interfaces"))


@pytest.fixture(scope="module")
def empty_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("root")


def imported(key: str, root: Path) -> ImportResult:
    return import_eni(corpus(key), root=root)
