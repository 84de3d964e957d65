"""The rule catalogue as a whole: every code documented, the shipped examples clean."""

from __future__ import annotations

import importlib

from hvnet.loader import load_file
from hvnet.rules import catalogue

from hvtest import EXAMPLES

MY_MODULES = ("names", "topology", "addressing", "bonds", "mtu", "guests")


def test_every_rule_is_documented() -> None:
    for code, rule in catalogue().items():
        assert rule.title.strip() and rule.explanation.strip(), code
        assert code == rule.code and len(code) == 5 and code.startswith("HV")


def test_semantic_rules_explain_what_why_and_fix() -> None:
    """Several sentences each, and each module keeps to its code range."""
    for index, name in enumerate(MY_MODULES, start=1):
        module = importlib.import_module(f"hvnet.rules.{name}")
        assert module.RULES, name
        for rule in module.RULES:
            assert rule.code.startswith(f"HV{index}"), (name, rule.code)
            assert rule.explanation.count(". ") >= 2, rule.code
            assert rule.title == rule.title.strip() and not rule.title.endswith("."), rule.code


def test_all_semantic_modules_are_registered() -> None:
    rules = catalogue()
    expected_prefixes = {"1", "2", "3", "4", "5", "6"}
    assert {code[2] for code in rules if code != "HV999"} >= expected_prefixes
    for code in ("HV101", "HV213", "HV305", "HV404", "HV501", "HV604"):
        assert code in rules


def test_examples_produce_no_diagnostics() -> None:
    paths = sorted(EXAMPLES.glob("*.yaml"))
    assert len(paths) >= 2
    for path in paths:
        result = load_file(path)
        assert result.diagnostics == [], [d.format() for d in result.diagnostics]
