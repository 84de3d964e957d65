"""From a file on disk to a resolved host and every problem found, with positions.

The one pipeline every command uses: YAML (with locations) → schema check (pydantic; its
errors are translated into hvnet codes with "did you mean" hints) → resolution → semantic
rules. Nothing here raises for bad user input: problems are collected and positioned so the
CLI can print them all at once and choose the exit code.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any

from pydantic import BaseModel, ValidationError

from hvnet.config import HostFile
from hvnet.diagnostics import Diagnostic, Path, Position, error, has_errors
from hvnet.gcpause import without_gc
from hvnet.model import Host
from hvnet.yamlsource import SourceMap, load_yaml

MAX_FILE_BYTES = 64 * 1024 * 1024


@dataclass(slots=True)
class LoadResult:
    """What loading produced: the host (None when the file is unusable) and all problems."""

    file: str
    host: Host | None
    config: HostFile | None
    source: SourceMap
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.host is not None and not has_errors(self.diagnostics)


def _model_at(path: Path) -> type[BaseModel] | None:
    """The pydantic model class describing the mapping at *path* (for "did you mean")."""
    model: Any = HostFile
    i = 0
    while i < len(path) and model is not None:
        info = model.model_fields.get(path[i]) if isinstance(path[i], str) else None
        if info is None:
            return None
        annotation = info.annotation
        origin = getattr(annotation, "__origin__", None)
        args: tuple[Any, ...] = getattr(annotation, "__args__", ())
        if origin in (dict, list) and args:  # dict[name, Entry] / list[Entry]: skip key/index
            model, i = args[-1], i + 2
        else:
            model, i = annotation, i + 1
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _suggest(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else ""


def translate_schema_errors(exc: ValidationError, source: SourceMap) -> list[Diagnostic]:
    """pydantic errors → hvnet diagnostics (codes HV002–HV005), positioned in the file."""
    problems: list[Diagnostic] = []
    seen: set[tuple[Path, str]] = set()
    for err in exc.errors(include_url=False):
        raw: Path = tuple(p for p in err["loc"] if isinstance(p, str | int))
        # Drop path parts that are validator names rather than document keys.
        path: Path = ()
        for part in raw:
            if source.contains((*path, part)) or err["type"] in ("missing", "extra_forbidden"):
                path = (*path, part)
        kind = err["type"]
        where = ".".join(str(p) for p in path) or "the document"
        if (path, kind) in seen:
            continue
        seen.add((path, kind))
        if kind == "extra_forbidden":
            key = str(path[-1]) if path else "?"
            model = _model_at(path[:-1])
            allowed = sorted(model.model_fields) if model else []
            hint = _suggest(key, allowed) or (
                f"allowed keys here: {', '.join(allowed)}" if allowed else "remove it"
            )
            diag = error(
                "HV003",
                f"unknown key {key!r} in {'.'.join(map(str, path[:-1])) or 'the top level'}",
                hint,
                path,
                on_key=True,
            )
        elif kind == "missing":
            diag = error("HV004", f"{where} is required", f"add '{path[-1]}:'", path[:-1])
        elif kind in ("literal_error", "enum"):
            expected = err.get("ctx", {}).get("expected", "")
            given = str(err.get("input", ""))
            options = [
                o.strip(" '\"") for o in expected.replace(" or ", ",").split(",") if o.strip()
            ]
            hint = _suggest(given, options) or f"expected one of: {expected}"
            diag = error("HV005", f"{where}: {given!r} is not a valid value", hint, path)
        elif kind.endswith(("_type", "_parsing")) or kind in (
            "model_type",
            "dict_type",
            "list_type",
        ):
            diag = error(
                "HV002",
                f"{where}: {err['msg'].lower()}",
                f"got {type(err.get('input')).__name__} {err.get('input')!r}",
                path,
            )
        else:
            diag = error("HV005", f"{where}: {err['msg']}", "fix the value", path)
        problems.append(diag)
    return problems


def position(diags: list[Diagnostic], source: SourceMap) -> list[Diagnostic]:
    """Give each diagnostic its file position (those positioned already keep theirs)."""
    return [d if d.position else d.at(source.position(d.path, d.on_key)) for d in diags]


@without_gc
def load_text(text: str, file: str, run_rules: bool = True) -> LoadResult:
    """Load a host file from text; see :func:`load_file`.

    The garbage collector is paused meanwhile (see :mod:`hvnet.gcpause`): measured, it was
    half the load time of a 4094-network host.
    """
    return _load_text(text, file, run_rules)


def _load_text(text: str, file: str, run_rules: bool) -> LoadResult:
    from hvnet.rules.structure import UNSAFE

    loaded = load_yaml(text, file, flag=UNSAFE)
    result = LoadResult(file, None, None, loaded.source, list(loaded.problems))
    if loaded.data is None:
        return result
    if not isinstance(loaded.data, dict):
        result.diagnostics.append(
            error(
                "HV002",
                "the file must be a mapping of sections (nics:, bonds:, networks:, ...)",
                "see docs/format.md for the layout",
            ).at(Position(file, 1, 1))
        )
        return result
    from hvnet.rules import run_prechecks
    from hvnet.rules import run_rules as run_semantic_rules

    if loaded.flagged:  # the walk saw an unsafe character: find where, with paths
        result.diagnostics.extend(run_prechecks(loaded.data))
    try:
        config = HostFile.model_validate(loaded.data)
    except ValidationError as exc:
        result.diagnostics.extend(translate_schema_errors(exc, loaded.source))
        result.diagnostics = sorted(
            position(result.diagnostics, loaded.source), key=Diagnostic.sort_key
        )
        return result
    from hvnet.resolve import resolve

    host, problems = resolve(config)
    result.config, result.host = config, host
    result.diagnostics.extend(problems)
    if run_rules:
        result.diagnostics.extend(run_semantic_rules(config, host))
    result.diagnostics = sorted(
        position(result.diagnostics, loaded.source), key=Diagnostic.sort_key
    )
    return result


def load_file(path: str | FsPath, run_rules: bool = True) -> LoadResult:
    """Read and check a host file. Unreadable files become an HV000 diagnostic, not a crash."""
    name = str(path)
    try:
        fs_path = FsPath(path)
        if fs_path.stat().st_size > MAX_FILE_BYTES:
            raise OSError("file is larger than 64 MiB")
        text = fs_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problem = error(
            "HV000", f"cannot read file: {exc}", "check the path and that it is UTF-8 text"
        )
        return LoadResult(name, None, None, SourceMap(name), [problem.at(Position(name, 1, 1))])
    return load_text(text, name, run_rules)
