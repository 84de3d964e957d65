"""Shell-ish splitting of command option values, without executing or expanding anything.

Split from :mod:`hvnet.eni.commands`: a value is cut into simple commands at ``;``, ``&&``,
``||``, ``|``, ``&`` (outside quotes, ``$(…)`` and backticks), redirections are separated from
the arguments, and leading assignments or ``sudo``-style prefixes are skipped to find the
program. The recognisers only ever see the resulting argument lists.
"""

from __future__ import annotations

import re

# --------------------------------------------------------------------------------------------
# Splitting


def split_chain(value: str) -> tuple[tuple[str, str], ...]:
    """Split a shell command line into ``(operator, simple command)`` pairs.

    A small scanner rather than :mod:`shlex` because shlex drops the quoting that tells an
    escaped ``\\;`` (``find -exec … \\;``) from a separator. Quotes, backslashes, ``$(…)``,
    ``(…)`` and backticks are honoured; a ``#`` at the start of a word starts a comment (as
    in ``sh``, which ifupdown runs the value with); ``&`` inside ``2>&1`` or ``&>`` is a
    redirection, not a separator.
    """
    result: list[tuple[str, str]] = []
    operator = ""
    start = 0
    depth = 0
    quote = ""
    index = 0
    length = len(value)
    end = length
    while index < length:
        char = value[index]
        if quote == "'":
            if char == "'":
                quote = ""
        elif char == "\\":
            index += 2
            continue
        elif quote:
            if char == quote:
                quote = ""
            elif char == "$" and value.startswith("$(", index):
                depth += 1
                index += 1
            elif char == ")" and depth:
                depth -= 1
        elif char in "'\"`":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
        elif depth:
            pass
        elif char == "#" and (index == 0 or value[index - 1] in " \t\n;&|"):
            end = index
            break
        elif char in ";\n|&":
            following = value[index + 1 : index + 2]
            if char == "&" and (value[index - 1 : index] in (">", "<") or following == ">"):
                index += 1  # 2>&1 or &>file: a redirection
                continue
            if char in "|&" and following == char:
                token = char * 2
            else:
                token = ";" if char == "\n" else char
            text = value[start:index].strip()
            if text:
                result.append((operator, text))
            operator = token
            index += len(token)
            start = index
            continue
        index += 1
    text = value[start:end].strip()
    if text:
        result.append((operator, text))
    return tuple(result)


_REDIRECT = re.compile(r"(\d*)(>>|>\||>&|&>|>|<<<|<<|<&|<)(.*)", re.DOTALL)


def split_redirects(argv: list[str]) -> tuple[list[str], str | None]:
    """Remove redirections from ``argv``; returns the words and the stdout target, if any.

    Works on :func:`shlex.split` output, in which ``2>/dev/null`` stays one word and
    ``echo 2 > f`` gives separate words, matching how the shell reads them.
    """
    words: list[str] = []
    target: str | None = None
    index = 0
    while index < len(argv):
        word = argv[index]
        index += 1
        match = _REDIRECT.fullmatch(word)
        if match is None:
            words.append(word)
            continue
        fd, op, rest = match.groups()
        if not rest and op not in (">&", "<&") and index < len(argv):
            rest = argv[index]
            index += 1
        if op in (">", ">>", ">|") and fd in ("", "1"):
            target = rest
    return words, target


_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=.*", re.DOTALL)
_PREFIXES = frozenset({"sudo", "exec", "command", "nohup"})


def program_of(argv: list[str]) -> tuple[str, list[str]]:
    """Program name (basename, so ``/sbin/ip`` is ``ip``) and its arguments."""
    index = 0
    while index < len(argv) and (_ASSIGNMENT.fullmatch(argv[index]) or argv[index] in _PREFIXES):
        index += 1
    if index >= len(argv):
        return "", []
    return argv[index].rsplit("/", 1)[-1], argv[index + 1 :]
