"""Typed facts recognised in ENI command options, and the command records that carry them.

Split from :mod:`hvnet.eni.commands` (which recognises commands): these are the plain,
immutable results the importer consumes; they keep each tool's *native* spelling and units
(recorded in ``native``), because converting them is the importer's job.
:mod:`hvnet.eni.commands` re-exports every name here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from hvnet.eni.ast import Option

Pairs = tuple[tuple[str, str], ...]


# --------------------------------------------------------------------------------------------
# Facts


@dataclass(frozen=True, slots=True)
class BridgeCreate:
    """``brctl addbr B`` or ``ip link add B type bridge [ip options…]``."""

    name: str
    options: Pairs = ()
    native: str = "brctl"


@dataclass(frozen=True, slots=True)
class BridgeDelete:
    """``brctl delbr B`` (the usual ``post-down`` counterpart of ``addbr``)."""

    name: str


@dataclass(frozen=True, slots=True)
class BridgePortAdd:
    """``brctl addif B P`` (one fact per port)."""

    bridge: str
    port: str


@dataclass(frozen=True, slots=True)
class BridgePortRemove:
    """``brctl delif B P`` (one fact per port)."""

    bridge: str
    port: str


@dataclass(frozen=True, slots=True)
class BridgeStp:
    """``brctl stp B on|off`` (``yes``/``no``/``1``/``0`` as brctl accepts them)."""

    bridge: str
    enabled: bool


@dataclass(frozen=True, slots=True)
class BridgeOptionSet:
    """A bridge (or, with ``port``, bridge-port) setting in the spelling of ``native``.

    ``native == "brctl"``: ``option`` is the brctl verb without ``set`` (``fd``, ``hello``,
    ``maxage``, ``ageing``, ``bridgeprio``, ``gcint``, ``pathcost``, ``portprio``, ``hairpin``),
    values in seconds as in ENI's ``bridge_*`` options. ``native == "sysfs"``: the file name
    under ``/sys/class/net/B/bridge/`` (times in centiseconds). ``native == "ip"``: an
    ``ip link … type bridge`` attribute (same names and units as sysfs).
    """

    bridge: str
    option: str
    value: str
    port: str | None = None
    native: str = "brctl"


@dataclass(frozen=True, slots=True)
class BondCreate:
    """``ip link add B type bond [k v…]``, or ``echo +B > /sys/class/net/bonding_masters``."""

    name: str
    options: Pairs = ()
    native: str = "ip"


@dataclass(frozen=True, slots=True)
class BondDelete:
    """``echo -B > /sys/class/net/bonding_masters``."""

    name: str


@dataclass(frozen=True, slots=True)
class BondSlaveAdd:
    """``echo +S > …/B/bonding/slaves`` or ``ifenslave B S…`` (one fact per slave)."""

    bond: str
    slave: str


@dataclass(frozen=True, slots=True)
class BondSlaveRemove:
    """``echo -S > …/B/bonding/slaves`` or ``ifenslave -d B S…``."""

    bond: str
    slave: str


@dataclass(frozen=True, slots=True)
class BondOptionSet:
    """A bond setting in the spelling of ``native``.

    ``sysfs``: ``echo V > /sys/class/net/B/bonding/OPT`` (the file name); ``ip``: ``ip link set
    B type bond OPT V``; ``ifenslave``: ``ifenslave -c B S`` as ``active_slave``. The sysfs and
    ip spellings coincide for every option both have.
    """

    bond: str
    option: str
    value: str
    native: str = "sysfs"


@dataclass(frozen=True, slots=True)
class BondModuleOptions:
    """``modprobe bonding k=v…``: defaults for bonds the module creates later."""

    options: Pairs


@dataclass(frozen=True, slots=True)
class VlanCreate:
    """``ip link add link P name V type vlan id N [protocol …]`` or ``vconfig add P N``.

    For ``vconfig`` the name is the kernel's default ``P.N`` (no padding); the vlan package
    may be configured to name it otherwise (reference §4.1).
    """

    parent: str
    name: str
    vid: int
    protocol: str | None = None
    options: Pairs = ()


@dataclass(frozen=True, slots=True)
class LinkCreate:
    """``ip link add`` of any other kind (macvlan, veth, dummy, vxlan, …), kept generic.

    ``options`` are the general ``ip link`` settings (``mtu``, ``address`` …) as pairs;
    ``type_args`` the words after ``type KIND`` verbatim, whose grammar depends on the kind.
    """

    name: str
    kind: str
    parent: str | None = None
    options: Pairs = ()
    type_args: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LinkDelete:
    """``ip link del X`` or ``vconfig rem X``: the kind is not known from the command."""

    name: str


@dataclass(frozen=True, slots=True)
class LinkSet:
    """State set on an existing link by ``ip link set``, ``ifconfig`` or sysfs.

    ``None`` means "not touched". ``extra`` keeps recognised-command words this module does
    not model (``txqueuelen 1000``, ``arp off`` …) so nothing is dropped.
    """

    name: str
    up: bool | None = None
    mtu: int | None = None
    mac: str | None = None
    promisc: bool | None = None
    extra: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class MasterSet:
    """``ip link set P master M`` (``master`` ``None`` for ``nomaster``).

    The command does not say whether ``M`` is a bridge, a bond or a VRF; the importer knows.
    """

    port: str
    master: str | None


@dataclass(frozen=True, slots=True)
class AddressAdd:
    """``ip addr add A dev X`` or ``ifconfig X A [netmask M]``."""

    name: str
    address: str
    netmask: str | None = None


@dataclass(frozen=True, slots=True)
class AddressFlush:
    """``ip addr flush dev X`` or ``ifconfig X 0.0.0.0`` (drop IPv4 addresses)."""

    name: str


@dataclass(frozen=True, slots=True)
class Other:
    """A command this module does not model; the importer keeps it verbatim."""

    text: str
    reason: str = "not a recognised network definition"


Fact = (
    BridgeCreate
    | BridgeDelete
    | BridgePortAdd
    | BridgePortRemove
    | BridgeStp
    | BridgeOptionSet
    | BondCreate
    | BondDelete
    | BondSlaveAdd
    | BondSlaveRemove
    | BondOptionSet
    | BondModuleOptions
    | VlanCreate
    | LinkCreate
    | LinkDelete
    | LinkSet
    | MasterSet
    | AddressAdd
    | AddressFlush
    | Other
)


class Command(NamedTuple):
    """One simple command of an option value.

    ``operator`` is the shell connector *before* it (``""`` for the first command, then
    ``;``, ``&&``, ``||``, ``|`` or ``&``): a fact after ``||`` only happens when the previous
    command failed, which the importer may want to mention.
    """

    text: str
    argv: tuple[str, ...]
    operator: str
    facts: tuple[Fact, ...]

    @property
    def recognised(self) -> bool:
        """True when the command defined something (no :class:`Other` fact)."""
        return not any(isinstance(fact, Other) for fact in self.facts)


class OptionCommands(NamedTuple):
    """The commands of one command option (``pre-up``, ``up``, …) of a stanza."""

    option: Option
    commands: tuple[Command, ...]

    @property
    def facts(self) -> tuple[Fact, ...]:
        """All facts of all commands, in order."""
        return tuple(fact for command in self.commands for fact in command.facts)
