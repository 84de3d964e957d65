"""Kernel operations as data: what ``hvnet plan`` prints and ``hvnet apply`` executes.

An operation is one netlink request (or one sysfs write for the few bond options netlink
libraries cannot encode yet), stated with link *names*; the executor turns names into
ifindexes at send time. Every operation carries the operations that undo exactly it,
computed from the kernel snapshot taken before planning, so rolling back after a failure at
any point is running the inverses of the operations that succeeded, in reverse order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Verb(StrEnum):
    LINK_ADD = "link-add"
    LINK_SET = "link-set"
    LINK_DEL = "link-del"
    BRPORT_SET = "brport-set"
    ADDR_ADD = "addr-add"
    ADDR_DEL = "addr-del"
    ROUTE_ADD = "route-add"
    ROUTE_DEL = "route-del"
    SYSFS_WRITE = "sysfs-write"


#: Argument names whose values are link names, resolved to ifindexes when sent.
NAME_ARGS = frozenset({"master", "link", "bond_primary", "bond_active_slave", "oif"})


@dataclass(frozen=True, slots=True)
class Op:
    """One request. ``args`` are pyroute2-style keywords (names for links, see NAME_ARGS)."""

    verb: Verb
    link: str
    args: tuple[tuple[str, Any], ...] = ()

    def arg(self, name: str, default: Any = None) -> Any:
        for key, value in self.args:
            if key == name:
                return value
        return default

    def describe(self) -> str:
        shown = " ".join(f"{k}={_short(v)}" for k, v in self.args if k != "kind")
        kind = self.arg("kind")
        head = f"{self.verb.value} {self.link}" + (f" ({kind})" if kind else "")
        return f"{head} {shown}".rstrip()

    def to_json(self) -> dict[str, Any]:
        return {
            "verb": self.verb.value,
            "link": self.link,
            "args": {k: _jsonable(v) for k, v in self.args},
        }


def op_from_json(data: dict[str, Any]) -> Op:
    """Inverse of :meth:`Op.to_json` (pending reverts are stored as JSON, never pickled)."""
    return Op(Verb(data["verb"]), str(data["link"]), tuple(data.get("args", {}).items()))


def _short(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value) or "[]"
    return str(value)


def _jsonable(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def op(verb: Verb, target: str, /, **args: Any) -> Op:
    """Build an operation; keyword order is kept (it matters for some netlink attributes)."""
    return Op(verb, target, tuple(args.items()))


@dataclass(frozen=True, slots=True)
class Action:
    """One operation and the operations that undo exactly it (from the pre-apply snapshot)."""

    op: Op
    undo: tuple[Op, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {**self.op.to_json(), "undo": [u.to_json() for u in self.undo]}


@dataclass(frozen=True, slots=True)
class Step:
    """A unit of the plan: actions to run in order, and why.

    ``disruptive`` marks steps that interrupt traffic (a bond going down to change mode, a
    VLAN recreated on another parent); ``guests`` lists guest ports whose traffic it affects.
    """

    actions: tuple[Action, ...]
    reason: str
    disruptive: bool = False
    guests: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "reason": self.reason,
            "disruptive": self.disruptive,
            "guests": list(self.guests),
            "actions": [a.to_json() for a in self.actions],
        }


@dataclass(frozen=True, slots=True)
class Plan:
    """Ordered steps taking the kernel to the desired host; empty when nothing differs."""

    steps: tuple[Step, ...] = ()
    new_indexes: dict[str, int] = field(default_factory=dict)
    created: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.steps

    @property
    def actions(self) -> list[Action]:
        return [a for s in self.steps for a in s.actions]

    def to_json(self) -> dict[str, Any]:
        return {
            "version": 1,
            "empty": self.empty,
            "operations": sum(len(s.actions) for s in self.steps),
            "disruptive": sum(1 for s in self.steps if s.disruptive),
            "created": list(self.created),
            "deleted": list(self.deleted),
            "steps": [s.to_json() for s in self.steps],
        }
