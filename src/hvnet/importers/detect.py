"""Tell an ENI file from a netplan file by content, for ``hvnet import`` without ``--format``.

Why content rather than the file name: hosts keep ENI fragments under any name
(``interfaces.d/bond0``) and netplan files are sometimes copied without their ``.yaml``.
Why not a YAML parser: a damaged netplan file (a key without its colon) must still be sent to
the netplan importer, which reports the YAML error at ``file:line:col``; and an ENI file is
often valid YAML (plain scalars). Netplan's only top-level key is ``network:``, which can never
start an ENI line (ENI option names are followed by blanks, never by a colon), so a
``network:`` key at the start of a line (or in a flow mapping) decides.
"""

from __future__ import annotations

import re

FORMATS = ("eni", "netplan")

_NETPLAN_KEY = re.compile(r"\{?[ \t]*[\"']?network[\"']?[ \t]*:")


def detect_format(text: str) -> str:
    """``"netplan"`` when the text has a top-level ``network:`` key, else ``"eni"``."""
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if _NETPLAN_KEY.match(line):  # at column 0: a top-level key
            return "netplan"
    return "eni"
