"""Golden files: each renderer on each example host, compared byte for byte.

Layout ``golden/<host>/<format>/<relative path>``. After an intended change, regenerate with
``HVNET_UPDATE_GOLDEN=1 pytest tests/render`` and review the diff like any other code change.
"""

from __future__ import annotations

import os
import shutil

import pytest

from hvnet.loader import load_file

from hvtest import EXAMPLES
from render_helpers import EXAMPLE_HOSTS, FORMATS, GOLDEN

UPDATE = os.environ.get("HVNET_UPDATE_GOLDEN") == "1"


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("host_name", EXAMPLE_HOSTS)
def test_golden(host_name: str, fmt: str) -> None:
    result = load_file(str(EXAMPLES / f"{host_name}.yaml"))
    assert result.ok and result.host is not None
    files = FORMATS[fmt](result.host)
    directory = GOLDEN / host_name / fmt
    if UPDATE:
        shutil.rmtree(directory, ignore_errors=True)
        for path, text in files.items():
            target = directory / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(text.encode())
    expected = {
        p.relative_to(directory).as_posix(): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }
    assert sorted(expected) == sorted(files), "set of rendered files differs from golden"
    for path, text in files.items():
        assert text.encode() == expected[path], f"{host_name}/{fmt}/{path} differs from golden"


def test_rendering_is_deterministic() -> None:
    for host_name in EXAMPLE_HOSTS:
        host = load_file(str(EXAMPLES / f"{host_name}.yaml")).host
        assert host is not None
        for render in FORMATS.values():
            assert render(host) == render(host)
