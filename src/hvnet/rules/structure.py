"""Rules about the document itself: syntax, schema, unsafe characters, duplicate names.

Most codes here are emitted by the YAML loader, the schema translation or the resolver; they
are catalogued so ``hvnet explain`` can describe them. The unsafe-character scan runs on the
raw document so that no value can smuggle a line or a command into a rendered file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from hvnet.diagnostics import Diagnostic, Path, Severity, error
from hvnet.rules import Rule

E, W = Severity.ERROR, Severity.WARNING

#: Characters that could end a line or start a command in ENI, a shell or XML output.
UNSAFE = re.compile(r"[\x00-\x1f\x7f;`$|&<>\\\"']|\$\(")


def unsafe_strings(data: Any, path: Path = ()) -> Iterator[Diagnostic]:
    """HV110: every key or string value containing characters that could inject commands."""
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(key, str) and UNSAFE.search(key):
                yield _unsafe(key, (*path, key), on_key=True)
            yield from unsafe_strings(value, (*path, key))
    elif isinstance(data, list):
        for i, item in enumerate(data):
            yield from unsafe_strings(item, (*path, i))
    elif isinstance(data, str) and UNSAFE.search(data):
        yield _unsafe(data, path)


def _unsafe(text: str, path: Path, on_key: bool = False) -> Diagnostic:
    bad = sorted({m.group(0) for m in UNSAFE.finditer(text)})
    shown = ", ".join(repr(c) for c in bad)
    return error(
        "HV110",
        f"value {text[:40]!r} contains characters that are not allowed here ({shown})",
        "names and values may not contain control characters, quotes, ;, |, &, <, >, $, "
        "backslash or backquote: they could inject commands into rendered files",
        path,
        on_key,
    )


RULES = [
    Rule(
        "HV000",
        E,
        "file cannot be read",
        "The file does not exist, is not readable, is larger than 64 MiB or is not UTF-8 text.",
    ),
    Rule(
        "HV001",
        E,
        "YAML syntax error",
        "The file is not valid YAML. The position points where the parser gave up; the real "
        "mistake (a missing colon, bad indentation, an unclosed bracket or quote) is often on "
        "that line or just before it.",
    ),
    Rule(
        "HV002",
        E,
        "wrong type",
        "A value has the wrong type: a list where a mapping is expected, text where a number "
        "is expected, an invalid IP address or network, and so on.",
    ),
    Rule(
        "HV003",
        E,
        "unknown key",
        "A key that the format does not define. Usually a typo: the hint suggests the closest "
        "known key. Unknown keys are errors, never ignored, so a misspelt option cannot "
        "silently fall back to a default.",
    ),
    Rule(
        "HV004",
        E,
        "missing required key",
        "An entry lacks a key it cannot work without (a VLAN's id or link, a network's 'on').",
    ),
    Rule(
        "HV005",
        E,
        "invalid value",
        "A value outside its allowed set or range (a bonding mode name, an MTU below 68, a "
        "bridge hello time outside 1-10 s, a malformed MAC address).",
    ),
    Rule(
        "HV006",
        E,
        "duplicate key",
        "The same key appears twice in one mapping. YAML would silently keep only the last one; "
        "hvnet refuses, because the two entries usually mean two different things.",
    ),
    Rule(
        "HV105",
        E,
        "interface defined twice",
        "Two entries produce the same interface name: an explicit vlans/bridges entry and a "
        "network, or two networks whose name templates expand to the same name. Rename one or "
        "set vlan_name/bridge_name on the network.",
    ),
    Rule(
        "HV110",
        E,
        "unsafe characters",
        "A name or value contains characters that could start a new line or a command in a "
        "rendered /etc/network/interfaces, shell hook or guest snippet (newline, ;, $(, "
        "backquote, quotes, |, &, <, >, backslash). hvnet refuses them everywhere, so nothing "
        "from a config file can inject a command into what ifupdown executes.",
    ),
    Rule(
        "HV999",
        E,
        "internal error",
        "A validation rule crashed. This is a bug in hvnet; the other rules still ran.",
    ),
]
