"""Subcommands outside hvnet.cli are imported only when invoked, and the lazy table names
exactly the commands their modules export."""

from __future__ import annotations

import subprocess
import sys
from importlib import import_module

from click.testing import CliRunner

from hvnet.cli import COMMAND_MODULES, LAZY_COMMANDS, main


def test_lazy_table_matches_every_module_commands() -> None:
    exported = {}
    for module_name in COMMAND_MODULES:
        for command in import_module(module_name).COMMANDS:
            exported[command.name] = (module_name, command)
    assert set(exported) == set(LAZY_COMMANDS)
    for name, (module_name, attribute) in LAZY_COMMANDS.items():
        assert module_name == exported[name][0]
        assert getattr(import_module(module_name), attribute) is exported[name][1]


def test_help_lists_every_command() -> None:
    out = CliRunner().invoke(main, ["--help"]).output
    for name in [*LAZY_COMMANDS, "validate", "render", "diagram", "explain", "schema", "demo"]:
        assert f"  {name}" in out, name


def test_a_command_imports_only_its_own_module() -> None:
    code = (
        "import sys\n"
        "from hvnet.cli import main\n"
        "try:\n    main(['explain', 'HV201'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('hvnet.cli_')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
