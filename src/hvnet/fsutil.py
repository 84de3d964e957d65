"""Crash-safe file writing: a rendered file is either the old one or the new one, never half."""

from __future__ import annotations

import os
from pathlib import Path


def write_atomic(target: Path, text: str, backup_suffix: str | None = None) -> None:
    """Write *text* to *target* via a temporary file, fsync and rename.

    With *backup_suffix*, an existing target is first hard-linked (or copied) to
    ``target + suffix`` so the previous version stays available for rollback.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    if backup_suffix and target.exists():
        backup = target.with_name(target.name + backup_suffix)
        backup.unlink(missing_ok=True)
        try:
            os.link(target, backup)
        except OSError:
            backup.write_bytes(target.read_bytes())
    import tempfile  # here, not at the top: read-only commands never pay for it (and shutil)

    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
