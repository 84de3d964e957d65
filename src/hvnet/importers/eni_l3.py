"""Layer-3 options of ENI stanzas: methods, addresses, masks, gateways, MTU, MAC and DNS.

The two tools disagree on addresses and neither checks consistency (eni-dialects.md §2):
ifupdown (IU) lets ``netmask`` override an address's ``/LEN`` and falls back to the classful
mask; ifupdown2 (IU2) lets ``/LEN`` win and falls back to /32. The importer keeps what the
address itself says (``/LEN``), uses the classful rule only for stanzas written for IU (with a
family), and writes a note whenever the choice changes the result, so the operator can check.
``network`` and ``broadcast`` are not part of the model: when they agree with the address they
are implied by it; when they do not, the note says which value was kept and why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from ipaddress import (
    IPv4Address,
    IPv4Interface,
    IPv6Address,
    IPv6Interface,
    ip_address,
    ip_interface,
)

from hvnet.eni.syntax import Option, Stanza
from hvnet.importers import NoteKind
from hvnet.importers.eni_draft import Draft
from hvnet.importers.eni_notes import NoteBook, option_text
from hvnet.model import IPAddress, IPInterface

MAC = re.compile(r"^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$")

#: Options this module consumes (canonical spellings).
L3_OPTIONS = frozenset(
    {
        "address",
        "netmask",
        "network",
        "broadcast",
        "gateway",
        "mtu",
        "hwaddress",
        "dns-nameservers",
        "dns-nameserver",
        "dns-search",
        "dns-domain",
        "autoconf",
    }
)

#: Known options the model has no place for, with the reason given to the user.
L3_NOT_MODELLED = {
    "pointopoint": "point-to-point peer addresses are not part of the hvnet model",
    "metric": "route metrics of the default gateway are not part of the hvnet model",
    "scope": "address scopes are not part of the hvnet model",
    "privext": "IPv6 privacy extensions are not part of the hvnet model",
    "accept-ra": "router advertisement settings are not part of the hvnet model",
    "dad-attempts": "IPv6 duplicate address detection settings are not part of the hvnet model",
    "dad-interval": "IPv6 duplicate address detection settings are not part of the hvnet model",
    "preferred-lifetime": "address lifetimes are not part of the hvnet model",
    "hostname": "DHCP client options are not part of the hvnet model",
    "client": "DHCP client options are not part of the hvnet model",
    "vendor": "DHCP client options are not part of the hvnet model",
    "leasetime": "DHCP client options are not part of the hvnet model",
    "leasehours": "DHCP client options are not part of the hvnet model",
    "request-prefix": "DHCPv6 prefix delegation is not part of the hvnet model",
    "local": "tunnel endpoints are not part of the hvnet model",
    "endpoint": "tunnel endpoints are not part of the hvnet model",
    "ttl": "tunnel settings are not part of the hvnet model",
    "media": "link media settings are not part of the hvnet model",
    "up-delay": "not part of the hvnet model",
}

#: Methods the model expresses, per family (``None`` = IU2's family-less stanza).
METHODS = {
    None: frozenset({None, "static", "manual", "dhcp", "dhcp6"}),
    "inet": frozenset({"static", "manual", "dhcp"}),
    "inet6": frozenset({"static", "manual", "dhcp", "auto"}),
}


@dataclass(slots=True)
class DnsState:
    """Host-wide resolver settings gathered from every stanza (resolvconf merges them)."""

    nameservers: list[IPAddress] = field(default_factory=list)
    search: list[str] = field(default_factory=list)


def classful_prefix(address: IPv4Address) -> int:
    """IU 0.8's default mask when neither ``/LEN`` nor ``netmask`` is given."""
    first = int(address) >> 24
    return 8 if first < 128 else 16 if first < 192 else 24 if first < 224 else 32


def mask_prefix(mask: str, version: int) -> int | None:
    """A ``netmask`` value (dotted quad or bit count) as a prefix length; None if invalid."""
    if mask.isdigit():
        value = int(mask)
        return value if value <= (32 if version == 4 else 128) else None
    if version != 4:
        return None
    try:
        bits = int(IPv4Address(mask))
    except ValueError:
        return None
    prefix = bin(bits).count("1")
    return prefix if bits == (0xFFFFFFFF << (32 - prefix)) & 0xFFFFFFFF else None


class L3Reader:
    """Reads the layer-3 options of stanzas into drafts; see the module docstring."""

    def __init__(self, notes: NoteBook, dns: DnsState) -> None:
        self.notes = notes
        self.dns = dns

    def method_supported(self, stanza: Stanza) -> bool:
        family = stanza.family if stanza.family in METHODS else "?"
        allowed = METHODS.get(family)
        return allowed is not None and stanza.method in allowed

    def stanza(self, stanza: Stanza, draft: Draft) -> set[int]:
        """Read one stanza; returns the indices of the options it consumed."""
        claimed: set[int] = set()
        family, method = stanza.family, stanza.method
        if method == "dhcp" and family in ("inet", None):
            draft.dhcp4 = draft.dhcp4 or stanza.location
            draft.l3_lines.append((stanza.location, f"{stanza.kind} {' '.join(stanza.args)}"))
        elif (method == "dhcp" and family == "inet6") or method == "dhcp6":
            draft.dhcp6 = draft.dhcp6 or stanza.location
            draft.l3_lines.append((stanza.location, f"{stanza.kind} {' '.join(stanza.args)}"))
        elif method == "auto" and family == "inet6":
            draft.slaac = draft.slaac or stanza.location
            draft.l3_lines.append((stanza.location, f"{stanza.kind} {' '.join(stanza.args)}"))
        masks = [(i, o) for i, o in enumerate(stanza.options) if o.canonical == "netmask"]
        addresses: list[IPInterface] = []
        for index, option in enumerate(stanza.options):
            name = option.canonical
            if name in L3_NOT_MODELLED:
                self.notes.option(option, L3_NOT_MODELLED[name])
                claimed.add(index)
            if name not in L3_OPTIONS:
                continue
            claimed.add(index)
            if name == "address":
                addresses.extend(self._address(stanza, option, masks, draft))
            elif name == "gateway":
                self._gateway(option, draft)
            elif name == "mtu":
                self._mtu(option, draft)
            elif name == "hwaddress":
                self._mac(option, option.words[-1:] if option.words else (), draft)
            elif name in ("dns-nameservers", "dns-nameserver", "dns-search", "dns-domain"):
                self._dns(option)
            elif name == "autoconf":
                self._autoconf(stanza, option, draft)
        repeated = [o for o in stanza.options if o.canonical == "address"][1:]
        if repeated and stanza.family is not None:
            self.notes.option(
                repeated[0],
                "several address lines in one stanza: ifupdown joins them and fails, "
                "ifupdown2 adds each; all imported",
                NoteKind.CONVERTED,
            )
        if not addresses:
            for _, mask in masks:
                self.notes.option(mask, "netmask without an address in this stanza")
        else:
            for _, mask in masks[1:]:
                self.notes.option(
                    mask,
                    "a second netmask in one stanza: the first one is used",
                    NoteKind.INCONSISTENT,
                )
        for option in stanza.options:
            if option.canonical in ("network", "broadcast"):
                self._network_or_broadcast(option, addresses)
            if addresses and option.canonical in ("netmask", "network", "broadcast"):
                draft.l3_lines.append((option.location, option_text(option)))
        return claimed

    # -- addresses ---------------------------------------------------------------------------

    def _address(
        self,
        stanza: Stanza,
        option: Option,
        masks: list[tuple[int, Option]],
        draft: Draft,
    ) -> list[IPInterface]:
        result: list[IPInterface] = []
        for word in option.words:
            parsed = self._one_address(stanza, option, word, masks)
            if parsed is None:
                continue
            if any(a == parsed for a, _ in draft.addresses):
                self.notes.option(option, f"{parsed} is given twice: kept once", NoteKind.CONVERTED)
                continue
            draft.addresses.append((parsed, option.location))
            draft.l3_lines.append((option.location, option_text(option)))
            result.append(parsed)
        if result and stanza.family and stanza.method in ("manual", "dhcp", "auto"):
            self.notes.option(
                option,
                f"an address in an '{stanza.family} {stanza.method}' stanza: ifupdown ignores "
                "it, ifupdown2 configures it; imported",
                NoteKind.CONVERTED,
            )
        return result

    def _one_address(
        self, stanza: Stanza, option: Option, word: str, masks: list[tuple[int, Option]]
    ) -> IPInterface | None:
        host, slash, length = word.partition("/")
        family = "inet6" if ":" in host else "inet"
        if slash and not masks and stanza.family in (None, family):
            try:  # the common case, one parse: "A/LEN" with no netmask to compare with
                return ip_interface(word)
            except ValueError:
                pass  # the slow path below says what is wrong
        try:
            address = ip_address(host)
        except ValueError:
            self.notes.option(option, f"{word!r} is not an IP address")
            return None
        version = address.version
        if stanza.family in ("inet", "inet6") and (stanza.family == "inet") != (version == 4):
            self.notes.option(
                option,
                f"an IPv{version} address in an '{stanza.family}' stanza (only ifupdown2 "
                "accepts this); imported",
                NoteKind.INCONSISTENT,
            )
        prefix: int | None = None
        if slash:
            prefix = int(length) if length.isdigit() else None
            if prefix is None or prefix > (32 if version == 4 else 128):
                self.notes.option(option, f"{word!r} has an invalid prefix length")
                return None
        mask_option = masks[0][1] if masks else None
        mask_prefix_ = None
        if mask_option is not None:
            mask_prefix_ = mask_prefix(mask_option.value_without_comment.strip(), version)
            if mask_prefix_ is None:
                self.notes.option(
                    mask_option, f"not a valid netmask for the IPv{version} address {host}"
                )
        if prefix is not None and mask_prefix_ is not None and prefix != mask_prefix_:
            self.notes.option(
                mask_option or option,
                f"netmask /{mask_prefix_} disagrees with {word}: ifupdown uses the netmask, "
                f"ifupdown2 the /{prefix} in the address; /{prefix} kept",
                NoteKind.INCONSISTENT,
            )
        elif prefix is None and mask_prefix_ is not None:
            prefix = mask_prefix_
        elif prefix is None:
            prefix = self._default_prefix(stanza, option, address)
        if isinstance(address, IPv4Address):
            return IPv4Interface((address, prefix))
        assert isinstance(address, IPv6Address)
        return IPv6Interface((address, prefix))

    def _default_prefix(self, stanza: Stanza, option: Option, address: IPAddress) -> int:
        if stanza.family is None:
            prefix = 32 if address.version == 4 else 128
            why = "ifupdown2 (this stanza has no address family) uses"
        elif isinstance(address, IPv4Address):
            prefix = classful_prefix(address)
            why = "ifupdown uses the classful mask (ifupdown2 would use /32):"
        else:
            prefix = 64
            why = "assumed the usual IPv6 subnet size (ifupdown2 would use /128):"
        self.notes.option(
            option, f"no prefix length and no netmask: {why} /{prefix}", NoteKind.CONVERTED
        )
        return prefix

    def _network_or_broadcast(self, option: Option, addresses: list[IPInterface]) -> None:
        value = option.value_without_comment.strip()
        v4 = [a for a in addresses if isinstance(a, IPv4Interface)]
        if option.canonical == "broadcast" and value in ("+", ""):
            return
        if option.canonical == "broadcast" and value == "-":
            self.notes.option(
                option, "a broadcast equal to the network address is not part of the hvnet model"
            )
            return
        if not v4:
            self.notes.option(option, f"{option.canonical} without an IPv4 address in the stanza")
            return
        address = v4[0]
        expected = (
            address.network.network_address
            if option.canonical == "network"
            else address.network.broadcast_address
        )
        if option.canonical == "broadcast" and address.network.prefixlen >= 31:
            self.notes.option(option, "a broadcast on a /31 or /32 is not part of the hvnet model")
            return
        try:
            given = IPv4Address(value)
        except ValueError:
            self.notes.option(option, f"{value!r} is not an IPv4 address")
            return
        if given != expected:
            self.notes.option(
                option,
                f"{option.canonical} {given} does not match {address} ({expected}); the "
                f"address and its prefix are kept, so the {option.canonical} is {expected}",
                NoteKind.INCONSISTENT,
            )

    # -- other values -----------------------------------------------------------------------

    def _gateway(self, option: Option, draft: Draft) -> None:
        words = option.words
        try:
            gateway = ip_address(words[0]) if len(words) == 1 else None
        except ValueError:
            gateway = None
        if gateway is None:
            self.notes.option(option, f"{option.value!r} is not an IP address")
            return
        same = [g for g, _ in draft.gateways if g.version == gateway.version]
        if same:
            self.notes.option(
                option,
                f"a second IPv{gateway.version} gateway for {draft.name}: {same[0]} kept",
                NoteKind.INCONSISTENT,
            )
            return
        draft.gateways.append((gateway, option.location))
        draft.l3_lines.append((option.location, option_text(option)))

    def _mtu(self, option: Option, draft: Draft) -> None:
        value = option.value_without_comment.strip()
        if not value.isdigit() or not 68 <= int(value) <= 65535:
            self.notes.option(option, f"{value!r} is not an MTU (68-65535)")
            return
        self.set_mtu(draft, int(value), option)

    def set_mtu(self, draft: Draft, mtu: int, option: Option) -> bool:
        if draft.mtu is not None and draft.mtu[0] != mtu:
            self.notes.option(
                option,
                f"MTU {mtu} disagrees with {draft.mtu[0]} set before for {draft.name}; "
                f"{draft.mtu[0]} kept",
                NoteKind.INCONSISTENT,
            )
            return False
        draft.mtu = draft.mtu or (mtu, option.location)
        return True

    def _mac(self, option: Option, words: tuple[str, ...], draft: Draft) -> None:
        mac = words[0] if words else ""
        if not MAC.match(mac):
            reason = (
                "a random MAC address is not part of the hvnet model"
                if mac == "random"
                else f"{mac!r} is not a MAC address"
            )
            self.notes.option(option, reason)
            return
        self.set_mac(draft, mac, option)

    def set_mac(self, draft: Draft, mac: str, option: Option) -> bool:
        if draft.mac is not None and draft.mac[0].lower() != mac.lower():
            self.notes.option(
                option,
                f"MAC {mac} disagrees with {draft.mac[0]} set before for {draft.name}; "
                f"{draft.mac[0]} kept",
                NoteKind.INCONSISTENT,
            )
            return False
        draft.mac = draft.mac or (mac, option.location)
        return True

    def _dns(self, option: Option) -> None:
        if option.canonical in ("dns-search", "dns-domain"):
            for domain in option.words:
                if domain not in self.dns.search:
                    self.dns.search.append(domain)
            if option.canonical == "dns-domain":
                self.notes.option(
                    option, "dns-domain imported as a search domain", NoteKind.CONVERTED
                )
            return
        for word in option.words:
            try:
                server = ip_address(word)
            except ValueError:
                self.notes.option(option, f"{word!r} is not an IP address")
                continue
            if server not in self.dns.nameservers:
                self.dns.nameservers.append(server)

    def _autoconf(self, stanza: Stanza, option: Option, draft: Draft) -> None:
        value = option.value_without_comment.strip()
        if stanza.family != "inet6" or value not in ("0", "1"):
            self.notes.option(option, "autoconf is 0 or 1 in an inet6 stanza")
        elif value == "1":
            draft.slaac = draft.slaac or option.location
            draft.l3_lines.append((option.location, option_text(option)))
