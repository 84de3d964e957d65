"""Semantic validation rules: the catalogue, and running them all in one pass.

Each rule has a stable code (``HV###``), a severity, a one-line title and an explanation
shown by ``hvnet explain CODE``. Rule functions receive a :class:`RuleContext` (the checked
config file and the resolved host) and yield diagnostics with document paths; they never read
files or the kernel. Modules are listed explicitly in :data:`RULE_MODULES` (no discovery
magic), and codes must be unique across them (a test checks this).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from hvnet.config import HostFile
from hvnet.diagnostics import Diagnostic, Severity
from hvnet.model import Host


@dataclass(frozen=True, slots=True)
class RuleContext:
    config: HostFile
    host: Host


Check = Callable[[RuleContext], Iterable[Diagnostic]]


@dataclass(frozen=True, slots=True)
class Rule:
    """One validation rule. ``check`` is None for codes emitted by the loader or resolver."""

    code: str
    severity: Severity
    title: str
    explanation: str
    check: Check | None = None


#: Modules holding rules, each exporting ``RULES: list[Rule]``. Order = report order of checks.
RULE_MODULES = (
    "hvnet.rules.structure",
    "hvnet.rules.names",
    "hvnet.rules.topology",
    "hvnet.rules.addressing",
    "hvnet.rules.bonds",
    "hvnet.rules.mtu",
    "hvnet.rules.guests",
)


def _load_catalogue() -> dict[str, Rule]:
    catalogue: dict[str, Rule] = {}
    for module_name in RULE_MODULES:
        try:
            module = import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        for rule in module.RULES:
            if rule.code in catalogue:
                raise RuntimeError(f"duplicate rule code {rule.code} in {module_name}")
            catalogue[rule.code] = rule
    return catalogue


_CATALOGUE: dict[str, Rule] | None = None


def catalogue() -> dict[str, Rule]:
    """Every rule by code (loaded once)."""
    global _CATALOGUE
    if _CATALOGUE is None:
        _CATALOGUE = _load_catalogue()
    return _CATALOGUE


def run_prechecks(data: Any) -> list[Diagnostic]:
    """Checks on the raw document, before the schema: they must see values the schema rejects."""
    from hvnet.rules.structure import unsafe_strings

    return list(unsafe_strings(data))


def run_rules(config: HostFile, host: Host) -> list[Diagnostic]:
    """Run every rule with a check function; a crashing rule is a bug, reported as HV999."""
    ctx = RuleContext(config, host)
    found: list[Diagnostic] = []
    for rule in catalogue().values():
        if rule.check is None:
            continue
        try:
            found.extend(rule.check(ctx))
        except Exception as exc:
            found.append(
                Diagnostic(
                    "HV999",
                    Severity.ERROR,
                    f"internal error in rule {rule.code}: {exc!r}",
                    "please report this as a bug with the file attached",
                )
            )
    return found
