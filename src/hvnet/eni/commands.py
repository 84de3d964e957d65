"""Network objects defined imperatively in ENI command options (reference §6).

Why: many real hosts never used ``bridge_ports`` or ``bond-slaves``. Xen-era and copy-pasted
configurations build bridges, bonds and VLANs with shell commands in ``pre-up``/``up``/
``post-up`` lines (``pre-up brctl addbr xenbr0``, ``up ip link set eth1 master br0``,
``post-down brctl delbr xenbr0``). The importer can only turn those into declarative objects
if something recognises the commands, and it must keep every command it does not understand
as verbatim pass-through. This module does the recognising, and nothing else:

* a value is split into simple commands at ``;``, ``&&``, ``||``, ``|``, ``&`` (outside quotes,
  ``$(…)`` and backticks), with shell comments removed;
* each simple command is split with :func:`shlex.split` (never executed, never expanded,
  except ``$IFACE``/``${IFACE}`` when the caller gives the stanza's name, because ifupdown
  exports it and users rely on it);
* recognised commands yield typed *facts*; everything else yields :class:`Other`, so no
  command is ever lost.

Facts keep the *native* spelling of the tool that was used (``brctl`` ``setfd`` in seconds,
sysfs ``forward_delay`` in centiseconds, ``ip`` ``miimon``…), recorded in their ``native``
field, because converting units and names is the importer's job: it owns the attribute table
with every native spelling.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from hvnet.eni.syntax import COMMAND_OPTIONS, Option, Stanza

__all__ = [
    "AddressAdd",
    "AddressFlush",
    "BondCreate",
    "BondDelete",
    "BondModuleOptions",
    "BondOptionSet",
    "BondSlaveAdd",
    "BondSlaveRemove",
    "BridgeCreate",
    "BridgeDelete",
    "BridgeOptionSet",
    "BridgePortAdd",
    "BridgePortRemove",
    "BridgeStp",
    "Command",
    "Fact",
    "LinkCreate",
    "LinkDelete",
    "LinkSet",
    "MasterSet",
    "OptionCommands",
    "Other",
    "VlanCreate",
    "facts",
    "parse_command",
    "parse_commands",
    "split_chain",
    "stanza_commands",
]

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


def _split_redirects(argv: list[str]) -> tuple[list[str], str | None]:
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


def _program(argv: list[str]) -> tuple[str, list[str]]:
    """Program name (basename, so ``/sbin/ip`` is ``ip``) and its arguments."""
    index = 0
    while index < len(argv) and (_ASSIGNMENT.fullmatch(argv[index]) or argv[index] in _PREFIXES):
        index += 1
    if index >= len(argv):
        return "", []
    return argv[index].rsplit("/", 1)[-1], argv[index + 1 :]


# --------------------------------------------------------------------------------------------
# Recognisers


def _int(text: str) -> int | None:
    try:
        return int(text, 10)
    except ValueError:
        return None


def _prefix_of(word: str, *keywords: str) -> str | None:
    """iproute2's ``matches()``: the first keyword that ``word`` abbreviates."""
    if not word:
        return None
    for keyword in keywords:
        if keyword.startswith(word):
            return keyword
    return None


_IP_GLOBAL_WITH_ARG = frozenset(
    {"-n", "-netns", "-b", "-batch", "-rc", "-rcvbuf", "-l", "-loops", "-f", "-family"}
)
_LINK_ADD_WITH_ARG = frozenset(
    {
        "txqueuelen",
        "txqlen",
        "qlen",
        "numtxqueues",
        "numrxqueues",
        "netns",
        "group",
        "alias",
        "index",
        "broadcast",
        "brd",
        "gso_max_size",
        "gso_max_segs",
        "gro_max_size",
        "vrf",
        "addrgenmode",
        "master",
        "mtu",
        "address",
    }
)
_LINK_SET_WITH_ARG = _LINK_ADD_WITH_ARG | {
    "promisc",
    "arp",
    "multicast",
    "allmulticast",
    "dynamic",
    "trailers",
    "carrier",
    "protodown",
    "name",
    "vf",
    "xdp",
    "type",
}


def _ip(args: list[str], text: str) -> tuple[Fact, ...]:
    index = 0
    while index < len(args) and args[index].startswith("-"):
        index += 2 if args[index] in _IP_GLOBAL_WITH_ARG else 1
    if index + 1 >= len(args):
        return (Other(text),)
    obj = _prefix_of(args[index], "address", "link")
    verb = args[index + 1]
    rest = args[index + 2 :]
    if obj == "link":
        action = _prefix_of(verb, "add", "set", "change", "replace", "delete", "show", "list")
        if action == "add":
            return _ip_link_add(rest, text)
        if action in ("set", "change"):
            return _ip_link_set(rest, text)
        if action == "delete":
            words = [word for word in rest if word != "dev"]
            if words and not words[0].startswith("-") and words[0] != "type":
                return (LinkDelete(words[0]),)
        if action in ("show", "list"):
            return (Other(text, "read-only command"),)
        return (Other(text),)
    if (
        obj == "address"
        and verb in ("add", "a", "ad", "replace")
        and "dev" in rest[1:]
        and rest.index("dev") + 1 < len(rest)
    ):
        return (AddressAdd(rest[rest.index("dev") + 1], rest[0]),)
    if obj == "address" and _prefix_of(verb, "flush") and "dev" in rest:
        at = rest.index("dev")
        if at + 1 < len(rest):
            return (AddressFlush(rest[at + 1]),)
    return (Other(text),)


def _pairs(words: list[str], flags: Iterable[str] = ()) -> Pairs | None:
    """``k v k v`` words as pairs; ``None`` when a key has no value."""
    flag_set = set(flags)
    pairs: list[tuple[str, str]] = []
    index = 0
    while index < len(words):
        key = words[index]
        if key in flag_set:
            pairs.append((key, ""))
            index += 1
            continue
        if index + 1 >= len(words):
            return None
        pairs.append((key, words[index + 1]))
        index += 2
    return tuple(pairs)


def _ip_link_add(args: list[str], text: str) -> tuple[Fact, ...]:
    name: str | None = None
    parent: str | None = None
    general: list[tuple[str, str]] = []
    index = 0
    while index < len(args) and args[index] != "type":
        word = args[index]
        if word in ("name", "dev", "link") or word in _LINK_ADD_WITH_ARG:
            if index + 1 >= len(args):
                return (Other(text, f"'{word}' without a value"),)
            value = args[index + 1]
            if word in ("name", "dev"):
                name = value
            elif word == "link":
                parent = value
            else:
                general.append((word, value))
            index += 2
            continue
        if word in ("up", "down"):
            general.append((word, ""))
        elif name is None:
            name = word
        else:
            return (Other(text, f"unexpected word {word!r}"),)
        index += 1
    if name is None or index + 1 >= len(args):
        return (Other(text, "no name or no type"),)
    kind = args[index + 1]
    type_args = args[index + 2 :]
    if kind == "bridge":
        options = _pairs(type_args)
        if options is None:
            return (Other(text, "bridge option without a value"),)
        return (BridgeCreate(name, tuple(general) + options, "ip"),)
    if kind == "bond":
        options = _pairs(type_args, ("clear_active_slave",))
        if options is None:
            return (Other(text, "bond option without a value"),)
        return (BondCreate(name, tuple(general) + options, "ip"),)
    if kind == "vlan":
        vid: int | None = None
        protocol: str | None = None
        vlan_options: list[tuple[str, str]] = list(general)
        position = 0
        while position < len(type_args):
            key = type_args[position]
            value = type_args[position + 1] if position + 1 < len(type_args) else ""
            if key == "id":
                vid = _int(value)
            elif key == "protocol":
                protocol = value
            else:
                vlan_options.append((key, value))
            position += 2
        if parent is None or vid is None:
            return (Other(text, "vlan without 'link' or a numeric 'id'"),)
        return (VlanCreate(parent, name, vid, protocol, tuple(vlan_options)),)
    return (LinkCreate(name, kind, parent, tuple(general), tuple(type_args)),)


def _ip_link_set(args: list[str], text: str) -> tuple[Fact, ...]:
    name: str | None = None
    up: bool | None = None
    mtu: int | None = None
    mac: str | None = None
    promisc: bool | None = None
    master: str | None = None
    nomaster = False
    extra: list[str] = []
    kind: str | None = None
    type_args: list[str] = []
    index = 0
    while index < len(args):
        word = args[index]
        value = args[index + 1] if index + 1 < len(args) else None
        if word == "type" and value is not None:
            kind, type_args = value, args[index + 2 :]  # the rest belongs to the type
            break
        if word == "dev" and value is not None:
            name = value
        elif word in ("up", "down"):
            up = word == "up"
            index += 1
            continue
        elif word == "nomaster":
            nomaster = True
            index += 1
            continue
        elif word == "mtu" and value is not None and _int(value) is not None:
            mtu = _int(value)
        elif word in ("address", "addr") and value is not None:
            mac = value
        elif word == "master" and value is not None:
            master = value
        elif word == "promisc" and value in ("on", "off"):
            promisc = value == "on"
        elif word in _LINK_SET_WITH_ARG and value is not None:
            extra.extend((word, value))
        elif name is None:
            name = word
            index += 1
            continue
        else:
            extra.append(word)
            index += 1
            continue
        index += 2
    if name is None:
        return (Other(text, "no device named"),)
    result: list[Fact] = []
    if master is not None or nomaster:
        result.append(MasterSet(name, master))
    pairs = _pairs(type_args) if kind in ("bridge", "bond") else None
    if kind is not None and pairs is None:
        extra.extend(("type", kind, *type_args))
    if up is not None or mtu is not None or mac is not None or promisc is not None or extra:
        result.append(LinkSet(name, up, mtu, mac, promisc, tuple(extra)))
    for key, value in pairs or ():
        if kind == "bridge":
            result.append(BridgeOptionSet(name, key, value, None, "ip"))
        else:
            result.append(BondOptionSet(name, key, value, "ip"))
    return tuple(result) or (Other(text, "nothing set"),)


_BRCTL_ON = {"on": True, "yes": True, "1": True, "off": False, "no": False, "0": False}
_BRCTL_BRIDGE_SETTINGS = frozenset(
    {"setfd", "sethello", "setmaxage", "setageing", "setbridgeprio", "setgcint"}
)
_BRCTL_PORT_SETTINGS = frozenset({"setpathcost", "setportprio", "hairpin"})


def _brctl(args: list[str], text: str) -> tuple[Fact, ...]:
    if not args:
        return (Other(text, "read-only command"),)
    verb, operands = args[0], args[1:]
    if verb == "addbr" and len(operands) == 1:
        return (BridgeCreate(operands[0]),)
    if verb == "delbr" and len(operands) == 1:
        return (BridgeDelete(operands[0]),)
    if verb == "addif" and len(operands) >= 2:
        return tuple(BridgePortAdd(operands[0], port) for port in operands[1:])
    if verb == "delif" and len(operands) >= 2:
        return tuple(BridgePortRemove(operands[0], port) for port in operands[1:])
    if verb == "stp" and len(operands) == 2 and operands[1] in _BRCTL_ON:
        return (BridgeStp(operands[0], _BRCTL_ON[operands[1]]),)
    if verb in _BRCTL_BRIDGE_SETTINGS and len(operands) == 2:
        return (BridgeOptionSet(operands[0], verb[3:], operands[1]),)
    if verb in _BRCTL_PORT_SETTINGS and len(operands) == 3:
        option = verb[3:] if verb.startswith("set") else verb
        return (BridgeOptionSet(operands[0], option, operands[2], operands[1]),)
    if verb.startswith("show"):
        return (Other(text, "read-only command"),)
    return (Other(text),)


def _vconfig(args: list[str], text: str) -> tuple[Fact, ...]:
    if len(args) == 3 and args[0] == "add":
        vid = _int(args[2])
        if vid is not None:
            return (VlanCreate(args[1], f"{args[1]}.{vid}", vid),)
    if len(args) == 2 and args[0] == "rem":
        return (LinkDelete(args[1]),)
    return (Other(text),)


def _ifenslave(args: list[str], text: str) -> tuple[Fact, ...]:
    detach = change = False
    operands: list[str] = []
    for word in args:
        if word in ("-d", "--detach"):
            detach = True
        elif word in ("-c", "--change-active"):
            change = True
        elif word in ("-f", "--force", "-v", "--verbose", "-q", "--quiet"):
            continue
        elif word.startswith("-"):
            return (Other(text, f"ifenslave option {word} not modelled"),)
        else:
            operands.append(word)
    if len(operands) < 2:
        return (Other(text),)
    bond, slaves = operands[0], operands[1:]
    if change:
        return (BondOptionSet(bond, "active_slave", slaves[0], "ifenslave"),)
    if detach:
        return tuple(BondSlaveRemove(bond, slave) for slave in slaves)
    return tuple(BondSlaveAdd(bond, slave) for slave in slaves)


_SYSFS_NET = "/sys/class/net/"


def _echo(args: list[str], target: str | None, text: str) -> tuple[Fact, ...]:
    words = list(args)
    while words and words[0] in ("-n", "-e", "-ne", "-en"):
        words.pop(0)
    if target is None or not target.startswith(_SYSFS_NET) or len(words) != 1:
        return (Other(text),)
    value = words[0]
    parts = target[len(_SYSFS_NET) :].strip("/").split("/")
    if parts == ["bonding_masters"] and value[:1] in ("+", "-") and len(value) > 1:
        if value[0] == "+":
            return (BondCreate(value[1:], (), "sysfs"),)
        return (BondDelete(value[1:]),)
    if len(parts) == 3 and parts[1] == "bonding":
        bond, option = parts[0], parts[2]
        if option == "slaves" and value[:1] in ("+", "-") and len(value) > 1:
            if value[0] == "+":
                return (BondSlaveAdd(bond, value[1:]),)
            return (BondSlaveRemove(bond, value[1:]),)
        return (BondOptionSet(bond, option, value),)
    if len(parts) == 3 and parts[1] == "bridge":
        return (BridgeOptionSet(parts[0], parts[2], value, None, "sysfs"),)
    if len(parts) == 3 and parts[1] == "brport":
        return (Other(text, "bridge-port sysfs setting not modelled"),)
    if len(parts) == 2 and parts[1] == "mtu" and _int(value) is not None:
        return (LinkSet(parts[0], mtu=_int(value)),)
    if len(parts) == 2 and parts[1] == "address":
        return (LinkSet(parts[0], mac=value),)
    return (Other(text),)


def _modprobe(args: list[str], text: str) -> tuple[Fact, ...]:
    words = [word for word in args if not word.startswith("-")]
    if words and words[0] == "bonding":
        options = tuple(word.partition("=")[::2] for word in words[1:])
        return (BondModuleOptions(options),)
    return (Other(text, "module load"),)


_IFCONFIG_WITH_ARG = frozenset(
    {
        "metric",
        "txqueuelen",
        "broadcast",
        "pointopoint",
        "dstaddr",
        "tunnel",
        "irq",
        "io_addr",
        "mem_start",
        "media",
        "add",
        "del",
        "netmask",
        "mtu",
        "hw",
        "outfill",
        "keepalive",
    }
)


def _ifconfig(args: list[str], text: str) -> tuple[Fact, ...]:
    if not args or args[0].startswith("-"):
        return (Other(text, "read-only command"),)
    name, words = args[0], args[1:]
    up: bool | None = None
    mtu: int | None = None
    mac: str | None = None
    promisc: bool | None = None
    address: str | None = None
    netmask: str | None = None
    extra: list[str] = []
    index = 0
    while index < len(words):
        word = words[index]
        if word in ("up", "down"):
            up = word == "up"
        elif word in ("promisc", "-promisc"):
            promisc = word == "promisc"
        elif word == "hw" and index + 2 < len(words):
            mac = words[index + 2]
            index += 3
            continue
        elif word == "mtu" and index + 1 < len(words) and _int(words[index + 1]) is not None:
            mtu = _int(words[index + 1])
            index += 2
            continue
        elif word == "netmask" and index + 1 < len(words):
            netmask = words[index + 1]
            index += 2
            continue
        elif word == "add" and index + 1 < len(words) and address is None:
            address = words[index + 1]
            index += 2
            continue
        elif word in _IFCONFIG_WITH_ARG and index + 1 < len(words):
            extra.extend(words[index : index + 2])
            index += 2
            continue
        elif word == "inet" or word == "inet6":
            pass
        elif address is None and (word[:1].isdigit() or ":" in word):
            address = word
        else:
            extra.append(word)
        index += 1
    result: list[Fact] = []
    if address in ("0.0.0.0", "0"):
        result.append(AddressFlush(name))
    elif address is not None:
        result.append(AddressAdd(name, address, netmask))
    elif netmask is not None:
        extra.extend(("netmask", netmask))
    if up is not None or mtu is not None or mac is not None or promisc is not None or extra:
        result.append(LinkSet(name, up, mtu, mac, promisc, tuple(extra)))
    return tuple(result) or (Other(text, "read-only command"),)


def _substitute(argv: list[str], iface: str | None) -> list[str]:
    if iface is None:
        return argv
    return [
        word.replace("${IFACE}", iface).replace("$IFACE", iface) if "$" in word else word
        for word in argv
    ]


def _recognise(argv: list[str], text: str) -> tuple[Fact, ...]:
    words, target = _split_redirects(argv)
    program, args = _program(words)
    if program == "ip":
        return _ip(args, text)
    if program == "brctl":
        return _brctl(args, text)
    if program == "vconfig":
        return _vconfig(args, text)
    if program.startswith("ifenslave"):
        return _ifenslave(args, text)
    if program == "echo":
        return _echo(args, target, text)
    if program == "modprobe":
        return _modprobe(args, text)
    if program == "ifconfig":
        return _ifconfig(args, text)
    return (Other(text),)


def _command(operator: str, text: str, iface: str | None) -> Command:
    try:
        argv = _substitute(shlex.split(text, posix=True), iface)
    except ValueError as error:  # unbalanced quotes, dangling escape
        return Command(text, (), operator, (Other(text, f"cannot split: {error}"),))
    return Command(text, tuple(argv), operator, _recognise(argv, text))


# --------------------------------------------------------------------------------------------
# Entry points


def parse_command(text: str, iface: str | None = None) -> tuple[Fact, ...]:
    """Facts of one simple command (no ``;``/``&&`` handling); never raises."""
    return _command("", text.strip(), iface).facts


def parse_commands(value: str, iface: str | None = None) -> tuple[Command, ...]:
    """Every simple command of an option value, with its facts; never raises.

    ``iface`` replaces ``$IFACE``/``${IFACE}``, which ifupdown exports to the commands.
    """
    return tuple(_command(operator, text, iface) for operator, text in split_chain(value))


def facts(value: str, iface: str | None = None) -> tuple[Fact, ...]:
    """All facts of an option value, flattened, :class:`Other` included."""
    return tuple(fact for command in parse_commands(value, iface) for fact in command.facts)


def stanza_commands(stanza: Stanza) -> tuple[OptionCommands, ...]:
    """The parsed commands of every command option of ``stanza``, in file order.

    The stanza's name is substituted for ``$IFACE``; for ``NAME:LABEL`` aliases ifupdown
    exports the whole name, so it is used as written.
    """
    return tuple(
        OptionCommands(option, parse_commands(option.value, stanza.name))
        for option in stanza.options
        if option.canonical in COMMAND_OPTIONS
    )
