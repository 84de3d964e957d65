"""The validated-model cache: same bytes give the same model without re-validation; any
change of bytes, an invalid file or an untrusted cache directory never serves a cached one."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from hvnet import modelcache
from hvnet.cli import load_host
from hvnet.loader import load_file

from hvtest import EXAMPLES


def _entries(cache: Path) -> list[Path]:
    return sorted(cache.glob("*.pickle"))


def test_hit_returns_the_same_model_without_validating(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    host_file = tmp_path / "host.yaml"
    host_file.write_bytes((EXAMPLES / "host-a.yaml").read_bytes())
    cache = tmp_path / "cache"
    first = load_host(str(host_file), cache)
    assert first == load_file(host_file).host
    assert len(_entries(cache)) == 1

    def no_validation(*args: object, **kwargs: object) -> None:
        raise AssertionError("validated again despite a cache entry")

    monkeypatch.setattr("hvnet.loader.load_file", no_validation)
    assert load_host(str(host_file), cache) == first


def test_changed_bytes_miss(tmp_path: Path) -> None:
    host_file = tmp_path / "host.yaml"
    text = (EXAMPLES / "host-a.yaml").read_text()
    host_file.write_text(text)
    cache = tmp_path / "cache"
    before = load_host(str(host_file), cache)
    host_file.write_text(text.replace("192.168.100.1/24", "192.168.101.1/24"))
    after = load_host(str(host_file), cache)
    assert after != before
    assert len(_entries(cache)) == 2


def test_invalid_file_is_never_cached(tmp_path: Path) -> None:
    host_file = tmp_path / "host.yaml"
    host_file.write_text("nics: {eth0: {mtu: 12}}\n")
    cache = tmp_path / "cache"
    with pytest.raises(SystemExit) as exited:
        load_host(str(host_file), cache)
    assert exited.value.code == 2
    assert _entries(cache) == []


def test_untrusted_entry_is_ignored(tmp_path: Path) -> None:
    """A group-writable entry could have been planted: it is not unpickled."""
    host_file = tmp_path / "host.yaml"
    data = (EXAMPLES / "host-b.yaml").read_bytes()
    host_file.write_bytes(data)
    cache = tmp_path / "cache"
    real = load_host(str(host_file), cache)
    (entry,) = _entries(cache)
    entry.write_bytes(pickle.dumps((1, "planted", [])))
    os.chmod(entry, 0o664)
    assert modelcache.lookup(data, cache) is None
    assert load_host(str(host_file), cache) == real
    os.chmod(cache, 0o777)
    assert modelcache.lookup(data, cache) is None


def test_damaged_entry_is_a_miss(tmp_path: Path) -> None:
    host_file = tmp_path / "host.yaml"
    data = (EXAMPLES / "host-a.yaml").read_bytes()
    host_file.write_bytes(data)
    cache = tmp_path / "cache"
    real = load_host(str(host_file), cache)
    (entry,) = _entries(cache)
    entry.write_bytes(b"not a pickle")
    assert modelcache.lookup(data, cache) is None
    assert load_host(str(host_file), cache) == real


def test_only_the_newest_entries_are_kept(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    host = load_file(EXAMPLES / "host-a.yaml").host
    assert host is not None
    for i in range(modelcache.KEEP + 3):
        modelcache.store(f"# {i}\n".encode(), cache, host, [])
    assert len(_entries(cache)) == modelcache.KEEP
    assert modelcache.lookup(b"# 0\n", cache) is None
    assert modelcache.lookup(f"# {modelcache.KEEP + 2}\n".encode(), cache) is not None


@pytest.mark.parametrize("example", ["host-a.yaml", "host-b.yaml"])
def test_pickled_model_is_equal_field_for_field(example: str) -> None:
    """The model's own pickling (no ``__init__``, no ``dataclasses.fields``) loses nothing,
    including fields that take no part in equality (origin, a bridge's port names)."""
    host = load_file(EXAMPLES / example).host
    assert host is not None
    again = pickle.loads(pickle.dumps(host, protocol=pickle.HIGHEST_PROTOCOL))
    assert again == host
    for name, link in host.links.items():
        copy = again.links[name]
        assert type(copy) is type(link)
        assert repr(copy) == repr(link) and copy.origin == link.origin
        assert getattr(copy, "port_names", None) == getattr(link, "port_names", None)
    assert again.guests == host.guests and again.networks == host.networks


def test_entry_with_other_fields_is_refused() -> None:
    from hvnet.model import Dns, _rebuild

    with pytest.raises(TypeError, match="2 values for 1 fields"):
        _rebuild(Dns, ("nameservers",), ((), ()))
