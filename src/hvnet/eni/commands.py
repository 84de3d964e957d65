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

import shlex
from collections.abc import Iterable

from hvnet.eni.command_facts import (
    AddressAdd,
    AddressFlush,
    BondCreate,
    BondDelete,
    BondModuleOptions,
    BondOptionSet,
    BondSlaveAdd,
    BondSlaveRemove,
    BridgeCreate,
    BridgeDelete,
    BridgeOptionSet,
    BridgePortAdd,
    BridgePortRemove,
    BridgeStp,
    Command,
    Fact,
    LinkCreate,
    LinkDelete,
    LinkSet,
    MasterSet,
    OptionCommands,
    Other,
    Pairs,
    VlanCreate,
)
from hvnet.eni.shell import program_of, split_chain, split_redirects
from hvnet.eni.syntax import COMMAND_OPTIONS, Stanza

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
    words, target = split_redirects(argv)
    program, args = program_of(words)
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
