"""The ``hvnet`` command line: parse arguments, call the library, map outcomes to exit codes.

Kept thin and fast to start: only click is imported at module level; each command imports
what it needs when it runs, so ``hvnet --version`` never pays for pydantic, rich or pyroute2.

Exit codes: 0 success; 1 warnings under ``--strict``; 2 invalid input (bad file, bad
arguments, validation errors); monitoring commands use the plugin convention (0-3).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from hvnet import __version__

if TYPE_CHECKING:
    from hvnet.loader import LoadResult
    from hvnet.model import Host

EXIT_OK, EXIT_WARNINGS, EXIT_INVALID = 0, 1, 2
EXAMPLES = ("host-a", "host-b")


def _example_path(name: str) -> Path:
    return Path(__file__).parent / "examples" / f"{name}.yaml"


def _resolve_file(file: str) -> str:
    """Accept ``example:host-a`` as a built-in example path."""
    if file.startswith("example:"):
        name = file.split(":", 1)[1]
        if name not in EXAMPLES:
            raise click.BadParameter(f"unknown example {name!r}; choose from {', '.join(EXAMPLES)}")
        return str(_example_path(name))
    return file


def _report(result: LoadResult, quiet: bool = False) -> None:
    from hvnet.apply.run import report

    report(result, quiet)


def _load_or_exit(file: str) -> LoadResult:
    """Load and validate *file*; print problems and exit 2 when it has errors."""
    from hvnet.apply.run import InvalidFile, load_checked

    try:
        return load_checked(_resolve_file(file))
    except InvalidFile:
        sys.exit(EXIT_INVALID)


def load_host(file: str, cache_dir: Path | None = None) -> Host:
    """The validated model of *file* for commands that act on it (apply, plan); exits 2 on
    errors. With *cache_dir*, a file validated before (same bytes, same hvnet) is not parsed
    and validated again (see :mod:`hvnet.modelcache`)."""
    from hvnet.apply.run import InvalidFile, load_keyed

    try:
        return load_keyed(_resolve_file(file), cache_dir)[0]
    except InvalidFile:
        sys.exit(EXIT_INVALID)


class _LazyGroup(click.Group):
    """A group whose commands from :data:`LAZY_COMMANDS` are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in LAZY_COMMANDS:
            from importlib import import_module

            module_name, attribute = LAZY_COMMANDS[cmd_name]
            command = getattr(import_module(module_name), attribute)
            self.add_command(command, cmd_name)
        return command


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="hvnet")
def main() -> None:
    """hvnet: hypervisor host networking (bonds, VLANs, bridges, guests) from one file.

    FILE arguments accept a path or a built-in example: example:host-a, example:host-b.
    """
    # A command builds its objects once and exits: cyclic garbage collection only costs time
    # (a third of a 4094-network render). Long-running helpers do not go through here.
    import gc

    gc.disable()


@main.command()
@click.argument("file")
@click.option("--strict", is_flag=True, help="Exit 1 when there are warnings (errors exit 2).")
@click.option("-q", "--quiet", is_flag=True, help="Print only the problems, no summary.")
def validate(file: str, strict: bool, quiet: bool) -> None:
    """Check FILE and report every problem as file:line:col: severity CODE: message.

    Exits 0 when there are no errors (warnings are printed but do not fail, unless --strict:
    then 1), 2 when there is any error.
    """
    from hvnet.loader import load_file

    result = load_file(_resolve_file(file))
    _report(result, quiet)
    if not result.ok:
        sys.exit(EXIT_INVALID)
    if strict and result.diagnostics:
        sys.exit(EXIT_WARNINGS)
    if not quiet and not result.diagnostics:
        click.echo(f"{result.file}: ok", err=True)


@main.command()
@click.argument("code", required=False)
def explain(code: str | None) -> None:
    """Describe validation rule CODE (e.g. HV401); without CODE, list every rule."""
    from hvnet.rules import catalogue

    rules = catalogue()
    if code is None:
        for rule in rules.values():
            click.echo(f"{rule.code}  {rule.severity.value:<7}  {rule.title}")
        return
    found = rules.get(code.upper())
    if found is None:
        click.echo(f"unknown rule {code!r}; run 'hvnet explain' for the list", err=True)
        sys.exit(EXIT_INVALID)
    click.echo(f"{found.code} ({found.severity.value}): {found.title}\n")
    click.echo(found.explanation)


@main.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to this file.")
def schema(output: str | None) -> None:
    """Print the JSON Schema of the host file format (for editors)."""
    import json

    from hvnet.config import json_schema

    text = json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)


def _write_files(files: dict[str, str], output: str | None, root: str | None) -> None:
    """Print rendered files, or write them flattened into --output or in place under --root."""
    if output is None and root is None:
        for i, (path, text) in enumerate(files.items()):
            if len(files) > 1:
                click.echo(("\n" if i else "") + f"# ---- {path}")
            click.echo(text, nl=False)
        return
    from hvnet.fsutil import write_atomic

    for path, text in files.items():
        target = Path(root) / path if root else Path(output or ".") / Path(path).name
        write_atomic(target, text)
        click.echo(f"wrote {target}", err=True)


@main.command()
@click.argument("file")
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(["eni", "libvirt", "xen"]),
    default="eni",
    show_default=True,
    help="Output format.",
)
@click.option("--output", type=click.Path(file_okay=False), help="Write files into this directory.")
@click.option(
    "--root",
    type=click.Path(file_okay=False),
    help="Write files at their system paths under this root (e.g. DIR/etc/network/interfaces).",
)
def render(file: str, fmt: str, output: str | None, root: str | None) -> None:
    """Render FILE to a native format (Debian ENI, libvirt XML, Xen vif lines)."""
    if output and root:
        raise click.UsageError("--output and --root are exclusive")
    from hvnet.render import get_renderer

    result = _load_or_exit(file)
    assert result.host is not None
    _write_files(get_renderer(fmt)(result.host), output, root)


@main.command()
@click.argument("file", required=False)
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(["tree", "dot", "svg"]),
    default="tree",
    show_default=True,
    help="Terminal tree, Graphviz dot, or SVG (needs Graphviz).",
)
@click.option("--live", is_flag=True, help="Draw the running kernel with health colours.")
@click.option("--root", type=click.Path(file_okay=False), help="With --live: a recorded tree.")
def diagram(file: str | None, fmt: str, live: bool, root: str | None) -> None:
    """Draw the topology of FILE (or the running host with --live): NIC → bond → VLAN →
    bridge → guests, with addresses."""
    if live or root:
        from hvnet.status.present import render_live_diagram

        sys.exit(render_live_diagram(fmt, file and _resolve_file(file), root))
    if file is None:
        raise click.UsageError("FILE is required without --live")
    from hvnet.render.diagram import render_dot, render_tree

    result = _load_or_exit(file)
    assert result.host is not None
    if fmt == "svg":
        from hvnet.status.present import print_svg

        sys.exit(print_svg(render_dot(result.host)))
    if fmt == "dot":
        click.echo(render_dot(result.host), nl=False)
    else:
        render_tree(result.host)


@main.command()
@click.option("--example", type=click.Choice(EXAMPLES), default="host-a", show_default=True)
def demo(example: str) -> None:
    """The built-in example end to end: validate, render ENI and guest snippets, diagram."""
    from hvnet.render import get_renderer
    from hvnet.render.diagram import render_tree

    path = str(_example_path(example))
    click.echo(f"== hvnet validate {path}")
    result = _load_or_exit(path)
    click.echo(f"{path}: ok, {len(result.diagnostics)} warning(s)")
    assert result.host is not None
    for fmt in ("eni", "libvirt", "xen"):
        click.echo(f"\n== hvnet render --format {fmt}")
        _write_files(get_renderer(fmt)(result.host), None, None)
    click.echo("\n== hvnet diagram")
    render_tree(result.host)


#: Modules contributing commands (each exports COMMANDS).
COMMAND_MODULES = ("hvnet.cli_live", "hvnet.cli_import", "hvnet.cli_status", "hvnet.cli_lab")
#: Their commands by name, imported only when invoked (click's lazy-subcommand pattern): a
#: command pays for its own module alone, not for the whole CLI. tests/test_cli.py checks this
#: table against every module's COMMANDS.
LAZY_COMMANDS: dict[str, tuple[str, str]] = {
    "capture": ("hvnet.cli_live", "capture"),
    "plan": ("hvnet.cli_live", "plan"),
    "apply": ("hvnet.cli_live", "apply"),
    "confirm": ("hvnet.cli_live", "confirm"),
    "import": ("hvnet.cli_import", "import_cmd"),
    "status": ("hvnet.cli_status", "status"),
    "check": ("hvnet.cli_status", "check"),
    "lab": ("hvnet.cli_lab", "lab"),
}


if __name__ == "__main__":  # pragma: no cover
    main()
