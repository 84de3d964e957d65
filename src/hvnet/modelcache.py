"""A cache of validated host models, keyed by the exact bytes of the host file.

Re-applying an unchanged file is the most common live operation (a periodic ``hvnet apply``,
a configuration-management run, a retry). Parsing, schema validation and the rules are pure
functions of the file's bytes and of hvnet's own code, yet on a host with a thousand networks
they, and importing the validation stack, were most of a no-op apply. So once a file has been
validated without errors, ``apply``/``plan`` keep the resolved model (and its warnings) under
the state directory and reuse it while the bytes and hvnet's code are the same.

The entry is a pickle, so it is only read from a directory and file owned by the current user
and writable by nobody else (the state directory is root's); anything else is ignored and
validation runs as usual. Keys cover the file's bytes, hvnet's version, Python's version and
the size and modification time of every module that decides the model, so an upgrade or an
edited rule never serves a stale model. Only the newest few entries are kept.
"""

from __future__ import annotations

import os
import stat
import sys

from hvnet import __version__

TYPE_CHECKING = False  # not typing's: the key is computed by every apply, no-ops included
if TYPE_CHECKING:
    from pathlib import Path

    from hvnet.diagnostics import Diagnostic
    from hvnet.model import Host

try:  # CPython's own SHA-256: hashlib would load OpenSSL's libcrypto on every hit
    from _sha2 import sha256  # type: ignore[import-not-found,unused-ignore]
except ImportError:
    try:
        from _sha256 import sha256  # type: ignore[import-not-found,no-redef,unused-ignore]
    except ImportError:  # pragma: no cover - a Python built without them
        from hashlib import sha256  # type: ignore[assignment,unused-ignore]

KEEP = 8
_FORMAT = 2
#: modules (relative to the package) whose code decides what a file resolves to
_DECIDING = ("config.py", "options.py", "model.py", "resolve.py", "loader.py", "yamlsource.py")
_PACKAGE = os.path.dirname(os.path.realpath(__file__))


def _code_fingerprint() -> bytes:
    """Size and mtime of every deciding module (rules included): cheap stats, no reading.

    Plain ``os`` calls: this runs on every apply, and pathlib's import (with ``re``) costs a
    settled no-op more than the stats.
    """
    parts = [__version__, sys.version, str(_FORMAT)]
    files = [os.path.join(_PACKAGE, name) for name in _DECIDING]
    rules = os.path.join(_PACKAGE, "rules")
    try:
        files += [
            os.path.join(rules, name) for name in sorted(os.listdir(rules)) if name.endswith(".py")
        ]
        for file in files:
            info = os.stat(file)
            parts.append(f"{os.path.basename(file)}:{info.st_size}:{info.st_mtime_ns}")
    except OSError:
        parts.append("unreadable")
    return "\n".join(parts).encode()


def cache_key(data: bytes) -> str:
    """The entry name for a host file's bytes under the running hvnet."""
    digest = sha256(_code_fingerprint())
    digest.update(b"\0")
    digest.update(data)
    return str(digest.hexdigest())


def _trusted(path: Path, want_dir: bool) -> bool:
    """Owned by us and writable by nobody else: nobody else can plant a pickle there."""
    try:
        info = path.lstat()
    except OSError:
        return False
    kind_ok = stat.S_ISDIR(info.st_mode) if want_dir else stat.S_ISREG(info.st_mode)
    return (
        kind_ok and info.st_uid == os.geteuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    )


def lookup(data: bytes, cache_dir: Path) -> tuple[Host, list[Diagnostic]] | None:
    """The cached (host, warnings) for these bytes, or None (absent, untrusted, unreadable)."""
    entry = cache_dir / f"{cache_key(data)}.pickle"
    if not (_trusted(cache_dir, want_dir=True) and _trusted(entry, want_dir=False)):
        return None
    import pickle  # only here: computing a key (a settled no-op) needs none of it

    try:
        with entry.open("rb") as handle:
            stored = pickle.load(handle)  # trusted path: checked above
        fmt, host, warnings = stored
    except Exception:  # a damaged entry is a miss, never a failure
        return None
    if fmt != _FORMAT:
        return None
    os.utime(entry)  # most recently used: pruning keeps it
    return host, warnings


def store(data: bytes, cache_dir: Path, host: Host, warnings: list[Diagnostic]) -> None:
    """Keep a validated model for these bytes; failures to write are ignored (it's a cache)."""
    import pickle
    import tempfile  # only when storing: a hit never needs it (nor shutil behind it)

    try:
        cache_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _trusted(cache_dir, want_dir=True):
            return
        entry = cache_dir / f"{cache_key(data)}.pickle"
        fd, tmp = tempfile.mkstemp(prefix=".entry.", dir=cache_dir)
        try:
            with os.fdopen(fd, "wb") as handle:
                pickle.dump((_FORMAT, host, warnings), handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, entry)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        _prune(cache_dir)
    except (OSError, pickle.PicklingError, TypeError, AttributeError):
        return


def _prune(cache_dir: Path) -> None:
    entries = sorted(cache_dir.glob("*.pickle"), key=lambda p: p.stat().st_mtime_ns)
    for old in entries[:-KEEP]:
        old.unlink(missing_ok=True)
