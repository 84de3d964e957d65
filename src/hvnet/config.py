"""The hvnet config file format, as pydantic models: one source for checking and JSON Schema.

These classes describe what a user may write (including the ``networks`` shorthand and naming
templates); :mod:`hvnet.resolve` turns a checked file into the :mod:`hvnet.model`. Semantic
rules (references, overlaps, kernel restrictions) live in :mod:`hvnet.rules`, so this module
only states shapes, types and ranges. ``hvnet schema`` publishes ``HostFile``'s JSON Schema.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from hvnet.options_schema import BondOptionsSchema, BridgeOptionsSchema, MacAddress

Mtu = Annotated[int, Field(ge=68, le=65535, description="MTU in bytes.")]
VlanId = Annotated[int, Field(description="802.1Q VLAN id, 1-4094.")]
IfName = Annotated[str, Field(description="Kernel interface name (at most 15 bytes).")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class AddressEntry(_Strict):
    """An address: ``10.0.0.1/24`` or the long form with netmask/network/broadcast.

    The long form exists because imported files carry netmask, network and broadcast lines;
    validation checks they agree with each other.
    """

    address: str = Field(description="IPv4/IPv6 address, with or without /prefix.")
    netmask: str | None = Field(None, description="Dotted netmask or prefix length (24).")
    network: str | None = Field(None, description="Network address (checked against the address).")
    broadcast: str | None = Field(
        None, description="Broadcast address (checked against the address)."
    )

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"address": value}
        if isinstance(value, dict) and isinstance(value.get("netmask"), int):
            return {**value, "netmask": str(value["netmask"])}  # "netmask: 24" unquoted
        return value


class RouteEntry(_Strict):
    to: IPv4Network | IPv6Network = Field(description="Destination prefix.")
    via: IPv4Address | IPv6Address | None = Field(None, description="Next hop.")
    metric: Annotated[int, Field(ge=0, le=2**32 - 1)] | None = None


class L3Settings(_Strict):
    """Layer-3 and identity settings any interface (or network bridge) may carry."""

    addresses: list[AddressEntry] = Field(default_factory=list, description="Static addresses.")
    method: Literal["static", "dhcp", "manual"] | None = Field(
        None, description="IPv4 method; default static when addresses are given, else manual."
    )
    method6: Literal["static", "dhcp", "auto", "manual"] | None = Field(
        None, description="IPv6 method; default static with IPv6 addresses, else manual."
    )
    gateway: IPv4Address | None = Field(None, description="IPv4 default gateway via this link.")
    gateway6: IPv6Address | None = Field(None, description="IPv6 default gateway via this link.")
    routes: list[RouteEntry] = Field(
        default_factory=list, description="Static routes via this link."
    )
    mtu: Mtu | None = None
    mac: MacAddress | None = Field(None, description="MAC address to set on the link.")


class NicMatch(_Strict):
    mac: MacAddress = Field(description="Permanent MAC of the NIC this entry means.")


class NicEntry(L3Settings):
    match: NicMatch | None = None


class BondEntry(L3Settings, BondOptionsSchema):
    """A bond: its slaves, every kernel option (flat), and its own addressing."""

    slaves: list[IfName] = Field(default_factory=list, description="NICs enslaved, in order.")
    separate_switches: bool = Field(
        False,
        description="Slaves go to independent switches (only active-backup/broadcast work then).",
    )


class VlanEntry(L3Settings):
    id: VlanId
    link: IfName = Field(description="Parent interface (bond or NIC).")
    protocol: Literal["802.1q", "802.1ad"] = "802.1q"


class PortEntry(_Strict):
    name: IfName
    priority: Annotated[int, Field(ge=0, le=63)] | None = Field(
        None, description="STP port priority."
    )
    cost: Annotated[int, Field(ge=1, le=65535)] | None = Field(None, description="STP path cost.")

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, value: Any) -> Any:
        return {"name": value} if isinstance(value, str) else value


class BridgeEntry(L3Settings, BridgeOptionsSchema):
    ports: list[PortEntry] = Field(
        default_factory=list, description="Ports hvnet manages (not guest taps)."
    )


class NetworkEntry(L3Settings, BridgeOptionsSchema):
    """A guest network: a VLAN on ``on`` plus its bridge (or a bridge on ``on`` if untagged).

    Bridge options given here override ``defaults.bridge``; addresses are the host's on the
    bridge. A network with no address makes the host a pure switch for its guests.
    """

    vlan: VlanId | None = Field(None, description="VLAN id; omit for an untagged network.")
    on: IfName = Field(description="Bond or NIC the network rides on.")
    protocol: Literal["802.1q", "802.1ad"] = "802.1q"
    vlan_name: IfName | None = Field(None, description="Override the VLAN name template.")
    bridge_name: IfName | None = Field(None, description="Override the bridge name template.")
    extra_ports: list[PortEntry] = Field(default_factory=list, description="More bridge ports.")


class Naming(_Strict):
    """Name templates for networks. Fields: {vid}, {parent}, {network}; {vid:04d} pads."""

    vlan: str = Field("{parent}.{vid}", description="VLAN device name, e.g. 'vlan{vid}'.")
    bridge: str = Field("br{vid}", description="Bridge name, e.g. 'vlan{vid}' or 'br-{network}'.")
    untagged_bridge: str = Field("br-{network}", description="Bridge name of untagged networks.")


class Defaults(_Strict):
    bridge: BridgeOptionsSchema = Field(
        default_factory=BridgeOptionsSchema.model_construct, description="For network bridges."
    )


class GuestNicEntry(_Strict):
    network: str = Field(description="Network name (or an explicit bridge name).")
    mac: MacAddress | None = None
    model: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.+-]{1,32}$")] | None = Field(
        None, description="NIC model, e.g. virtio, e1000, netfront."
    )


class GuestEntry(_Strict):
    type: Literal["kvm", "xen"] = "kvm"
    nics: list[GuestNicEntry] = Field(default_factory=list)


class DnsEntry(_Strict):
    nameservers: list[IPv4Address | IPv6Address] = Field(default_factory=list)
    search: list[str] = Field(default_factory=list)


class HostFile(_Strict):
    """An hvnet host file (version 1)."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={"$schema": "https://json-schema.org/draft/2020-12/schema"},
    )

    version: Literal[1] = Field(1, description="Format version.")
    hostname: str | None = None
    naming: Naming = Field(default_factory=Naming.model_construct)
    defaults: Defaults = Field(default_factory=Defaults.model_construct)
    nics: dict[IfName, NicEntry] = Field(default_factory=dict)
    bonds: dict[IfName, BondEntry] = Field(default_factory=dict)
    vlans: dict[IfName, VlanEntry] = Field(default_factory=dict)
    bridges: dict[IfName, BridgeEntry] = Field(default_factory=dict)
    networks: dict[str, NetworkEntry] = Field(default_factory=dict)
    guests: dict[str, GuestEntry] = Field(default_factory=dict)
    dns: DnsEntry = Field(default_factory=DnsEntry.model_construct)


def json_schema() -> dict[str, Any]:
    """The published JSON Schema of the file format."""
    schema = HostFile.model_json_schema()
    schema["$id"] = "https://hvnet.invalid/schema/host-v1.json"
    schema["title"] = "hvnet host file"
    return schema
