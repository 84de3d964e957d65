"""Immutable slotted value classes that cost next to nothing to define.

``hvnet status`` runs from cron and monitoring agents, so its start-up is part of every
answer. Its fact and document types used to be ``@dataclass(frozen=True, slots=True)``:
defining one such class runs the dataclass machinery (field introspection, half a dozen
``exec`` calls, a second class object for the slots), about 1-2 ms each natively and tens
of milliseconds under emulation; with ~40 of them that was a third of the command's Python
time before it read a single link. A :class:`Record` subclass gets the same behaviour the
code relies on — keyword/positional ``__init__`` with defaults and default factories,
``__slots__``, immutability (checked statically), field-wise ``==``/``hash``/``repr``,
:func:`replace`, :func:`fields_of`, :func:`asdict` — from one ``exec`` of a generated ``__init__``.

Type checkers see it as a dataclass through :func:`typing.dataclass_transform`, so
constructor calls are checked field by field exactly as before.
"""

from __future__ import annotations

# typing is not imported at run time: it pulls in re, functools, contextlib and collections,
# which cost ``hvnet status`` more under emulation than reading a thousand links.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, ClassVar, TypeVar, dataclass_transform

    _T = TypeVar("_T", bound="Record")
else:

    def dataclass_transform(**_kwargs: object) -> object:
        """Run-time stand-in: the decorator only informs type checkers."""
        return lambda cls: cls


_setter = object.__setattr__


class _Factory:
    """A field default produced per instance (``field(default_factory=dict)``)."""

    __slots__ = ("make",)

    def __init__(self, make: Any) -> None:
        self.make = make


def field(*, default: Any = ..., default_factory: Any = None) -> Any:
    """A field default, as :func:`dataclasses.field` (only ``default``/``default_factory``)."""
    if default_factory is not None:
        return _Factory(default_factory)
    return default


def _make_init(cls_name: str, names: tuple[str, ...], defaults: dict[str, Any]) -> Any:
    """Generate ``__init__`` once per class: plain stores, no per-call introspection."""
    env: dict[str, Any] = {}
    params = []
    body = []
    for name in names:
        default = defaults.get(name, ...)
        if default is ...:
            params.append(name)
            body.append(f"    self.{name} = {name}")
        elif isinstance(default, _Factory):
            env[f"_f_{name}"] = default.make
            params.append(f"{name}=_F")
            body.append(f"    self.{name} = _f_{name}() if {name} is _F else {name}")
        else:
            env[f"_d_{name}"] = default
            params.append(f"{name}=_d_{name}")
            body.append(f"    self.{name} = {name}")
    env["_F"] = _Factory
    source = f"def __init__(self, {', '.join(params)}):\n" + ("\n".join(body) or "    pass")
    exec(source, env)
    init = env["__init__"]
    init.__qualname__ = f"{cls_name}.__init__"
    return init


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
class RecordMeta(type):
    """Turns annotated class attributes into slots, defaults and a generated ``__init__``."""

    def __new__(mcs, name: str, bases: tuple[type, ...], ns: dict[str, Any], **kw: Any) -> Any:
        annotations = ns.get("__annotations__", {})
        own = tuple(k for k, v in annotations.items() if "ClassVar" not in str(v))
        inherited: tuple[str, ...] = ()
        defaults: dict[str, Any] = {}
        for base in bases:
            inherited += getattr(base, "__fields__", ())
            defaults.update(getattr(base, "_record_defaults", {}))
        for key in own:
            if key in ns:
                defaults[key] = ns.pop(key)
        ns["__slots__"] = own
        ns["__fields__"] = inherited + own
        ns["_record_defaults"] = defaults
        cls = super().__new__(mcs, name, bases, ns, **kw)
        if ns["__fields__"] or "__init__" not in ns:
            cls.__init__ = _first_init(cls, name, ns["__fields__"], defaults)  # type: ignore[misc]
        return cls


#: Instances built through the generic ``__init__`` before a class gets a generated one.
COMPILE_AFTER = 16


def _first_init(cls: type, name: str, names: tuple[str, ...], defaults: dict[str, Any]) -> Any:
    """An ``__init__`` that stores fields generically until the class is used often.

    Compiling a generated ``__init__`` (plain stores, the fastest per instance) costs about
    as much as building a thousand instances generically, and a command builds most of its
    record classes only a few times (``status --json`` on a host with a bond builds a dozen
    bond and slave objects, one or two of each class): so a class gets its generated
    ``__init__`` at its :data:`COMPILE_AFTER`-th instance, never before.
    """
    calls = 0
    count = len(names)

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        nonlocal calls
        calls += 1
        if calls >= COMPILE_AFTER:
            init = _make_init(name, names, defaults)
            type.__setattr__(cls, "__init__", init)
            init(self, *args, **kwargs)
            return
        if len(args) > count:
            raise TypeError(
                f"{name}.__init__() takes {count + 1} positional arguments "
                f"but {len(args) + 1} were given"
            )
        for field_name, value in zip(names, args, strict=False):
            if field_name in kwargs:
                raise TypeError(f"{name}.__init__() got multiple values for argument "
                                f"'{field_name}'")  # fmt: skip
            _setter(self, field_name, value)
        used = 0
        for field_name in names[len(args) :]:
            if field_name in kwargs:
                value = kwargs[field_name]
                used += 1
            elif field_name in defaults:
                value = defaults[field_name]
                if isinstance(value, _Factory):
                    value = value.make()
            else:
                raise TypeError(
                    f"{name}.__init__() missing 1 required positional argument: '{field_name}'"
                )
            _setter(self, field_name, value)
        if used != len(kwargs):
            unknown = sorted(set(kwargs) - set(names))
            raise TypeError(f"{name}.__init__() got an unexpected keyword argument '{unknown[0]}'")

    __init__.__qualname__ = f"{name}.__init__"
    return __init__


class Record(metaclass=RecordMeta):
    """Base of the fact and document types: immutable, slotted, compared field by field.

    Immutability is the type checker's job (``frozen_default=True``: mypy rejects any
    assignment to a field), not a ``__setattr__`` hook's: with the hook, every field of
    every object had to be stored through ``object.__setattr__``, the most expensive part
    of building thousands of them; without it ``__init__`` is plain attribute stores.
    """

    __slots__ = ()
    __fields__: ClassVar[tuple[str, ...]] = ()
    _record_defaults: ClassVar[dict[str, Any]] = {}

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.__fields__)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__fields__)
        return f"{type(self).__qualname__}({inner})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), self._values())


def fields_of(obj: Record | type[Record]) -> tuple[str, ...]:
    """Field names in declaration order (like ``[f.name for f in dataclasses.fields(obj)]``)."""
    return obj.__fields__


def replace(obj: _T, /, **changes: Any) -> _T:
    """A copy with some fields changed (like :func:`dataclasses.replace`, without re-validating).

    Copies slot by slot instead of calling ``__init__`` again: on thousands of links this is
    what setting each one's verdict costs.
    """
    cls = type(obj)
    unknown = changes.keys() - set(cls.__fields__)
    if unknown:
        raise TypeError(f"{cls.__name__} has no field(s) {', '.join(sorted(unknown))}")
    new = object.__new__(cls)
    for name in cls.__fields__:
        _setter(new, name, changes[name] if name in changes else getattr(obj, name))
    return new


def asdict(obj: Any) -> Any:
    """Plain data for a record tree (records → dicts), like :func:`dataclasses.asdict`."""
    if isinstance(obj, Record):
        return {name: asdict(getattr(obj, name)) for name in obj.__fields__}
    if isinstance(obj, tuple | list):
        return type(obj)(asdict(v) for v in obj)
    if isinstance(obj, dict):
        return {k: asdict(v) for k, v in obj.items()}
    return obj
