"""``hvnet import --format eni``: a Debian ``/etc/network/interfaces`` → resolved host.

Accepts every dialect of eni-dialects.md (ifupdown 0.8 with the ifenslave, vlan and
bridge-utils hooks; ifupdown2; the Xen-era brctl recipes) through the syntax layer of
:mod:`hvnet.eni.syntax`, which never raises and places every line. This module decides what
each line *means*, in three steps, because an interface's facts are spread over several
stanzas and over other interfaces' stanzas:

1. kinds: which names are bonds, VLANs and bridges (declarative keywords first, then commands
   such as ``brctl addbr``, then dotted ``RAW.VID`` names);
2. stanzas: every option is read into a per-interface :class:`Draft` by the layer-3, layer-2
   or command reader, or reported (an unknown option with a "did you mean");
3. resolution (:mod:`hvnet.importers.eni_resolve`): membership, implicit interfaces, and the
   choices that make the result a valid hvnet host, each with a note.

Nothing is dropped silently: every line that does not become part of the model is in
:attr:`ImportResult.notes` with ``file:line`` and a reason (``hvnet import`` keeps them as
comments in the generated config). The standard loopback stanza is the only exception.
"""

from __future__ import annotations

import difflib
import gc
import os
import re

from hvnet.eni.syntax import (
    COMMAND_OPTIONS,
    Document,
    Location,
    Option,
    Stanza,
    parse_file,
    parse_text,
)
from hvnet.importers import ImportError_, ImportResult, NoteKind
from hvnet.importers.eni_draft import Draft, dotted_vid
from hvnet.importers.eni_hooks import Action, NotConverted, interpret
from hvnet.importers.eni_l2 import (
    BOND_KEYWORDS,
    BOND_NOT_MODELLED,
    BRIDGE_KEYWORDS,
    BRIDGE_OWN,
    MEMBERSHIP_KEYWORDS,
    VLAN_KEYWORDS,
    L2Reader,
)
from hvnet.importers.eni_l3 import L3_NOT_MODELLED, L3_OPTIONS, DnsState, L3Reader
from hvnet.importers.eni_notes import NoteBook, header_text
from hvnet.importers.eni_resolve import Resolver
from hvnet.model import LinkKind

KNOWN_OPTIONS = sorted(
    L3_OPTIONS
    | set(L3_NOT_MODELLED)
    | set(BOND_KEYWORDS)
    | set(BOND_NOT_MODELLED)
    | MEMBERSHIP_KEYWORDS
    | {"bond-master", "bond-primary"}
    | set(BRIDGE_KEYWORDS)
    | BRIDGE_OWN
    | VLAN_KEYWORDS
    | COMMAND_OPTIONS
)
_MATCHED_MAC = re.compile(r"# matched by permanent MAC (\S+) \(not renamed by this file\)")
_DIRECTIVE_REASONS = {
    "rename": "interface renaming is not part of the hvnet model (use a NIC's match: mac)",
    "no-auto-down": "hvnet manages every link it defines; no-auto-down has no equivalent",
    "no-scripts": "hvnet manages every link it defines; no-scripts has no equivalent",
}


def import_eni(
    path: str | os.PathLike[str], *, root: str | os.PathLike[str] | None = None
) -> ImportResult:
    """Import an ENI file and the files it sources (absolute ``source`` paths under ``root``).

    Raises :class:`ImportError_` only when the file itself cannot be read.
    """
    name = os.fspath(path)
    document = parse_file(name, root=root)
    if not document.sources:
        problem = document.problems[0] if document.problems else None
        message = problem.message if problem else "cannot read file"
        raise ImportError_(name, 1, 1, message)
    return Importer(document).run()


def import_eni_text(text: str, name: str = "<string>") -> ImportResult:
    """Import ENI text (``source`` lines are reported, not followed)."""
    document = parse_text(text, name)
    importer = Importer(document)
    importer.notes.provide(name, text)
    return importer.run()


class Importer:
    """One import run over a parsed document; see the module docstring."""

    def __init__(self, document: Document) -> None:
        self.doc = document
        self.notes = NoteBook(document.sources)
        self.dns = DnsState()
        self.l3 = L3Reader(self.notes, self.dns)
        self.l2 = L2Reader(self.notes, self.l3)
        self.drafts: dict[str, Draft] = {}
        self.actions: dict[Location, tuple[Option, list[Action]]] = {}
        self.mako_lines = {
            (p.location.file, p.location.line) for p in document.problems_with("mako")
        }

    def draft(self, name: str, implicit: bool = True) -> Draft:
        """The draft of ``name``, created (as an implicit interface) on first use."""
        draft = self.drafts.get(name)
        if draft is None:
            draft = Draft(name, len(self.drafts), implicit=implicit)
            self.drafts[name] = draft
        return draft

    def run(self) -> ImportResult:
        """The whole import, with the cyclic garbage collector paused.

        The importer builds only acyclic data (tuples, drafts holding lists), so collections
        triggered by the ~100 000 allocations of a 40 000-line file free nothing and cost a
        quarter of the run time (the syntax layer pauses it for the same reason).
        """
        enabled = gc.isenabled()
        gc.disable()
        try:
            return self._run()
        finally:
            if enabled:
                gc.enable()

    def _run(self) -> ImportResult:
        self._problems_and_directives()
        stanzas = self._usable_stanzas()
        for stanza in stanzas:
            self.draft(stanza.name, implicit=False).stanzas.append(stanza)
        self._kinds()
        for stanza in stanzas:
            self._stanza(stanza)
        marked = {m.name for m in self.doc.auto}
        marked |= {m.name for marks in self.doc.allow.values() for m in marks}
        host = Resolver(self.notes, self.l2, self.drafts, self.actions, marked).resolve(self.dns)
        return ImportResult(host, self.notes.sorted(), "eni")

    # -- what is not an interface stanza ---------------------------------------------------

    def _problems_and_directives(self) -> None:
        for problem in self.doc.problems:
            if problem.location.line == 0:
                self.notes.add(problem.location, "", problem.message)
            elif problem.code == "encoding" and "byte order mark" in problem.message:
                self.notes.line(problem.location, problem.message, NoteKind.CONVERTED)
            else:
                self.notes.line(problem.location, problem.message)
        stanza_names = {s.name for s in self.doc.stanzas if s.kind == "iface"}
        for directive in self.doc.directives:
            text = " ".join((directive.keyword, *directive.args))
            reason = _DIRECTIVE_REASONS.get(directive.keyword)
            if reason is not None:
                self.notes.add(directive.location, text, reason)
            elif directive.keyword == "auto" or directive.keyword.startswith("allow-"):
                missing = [a for a in directive.args if a not in stanza_names]
                if missing and (directive.location.file, directive.location.line) not in (
                    self.mako_lines
                ):
                    self.notes.add(
                        directive.location,
                        text,
                        f"no iface stanza for {', '.join(missing)}: nothing to bring up",
                        NoteKind.INCONSISTENT,
                    )

    def _usable_stanzas(self) -> list[Stanza]:
        """Interface stanzas worth converting; everything else is reported here."""
        usable: list[Stanza] = []
        for stanza in self.doc.stanzas:
            where = (stanza.location.file, stanza.location.line)
            if where in self.mako_lines:
                for option in stanza.options:  # lines inside the block are problems already
                    if (option.location.file, option.location.line) not in self.mako_lines:
                        self.notes.option(option, "in a stanza opened inside a mako template")
                continue
            if stanza.kind == "mapping":
                self.notes.stanza(
                    stanza,
                    "mapping stanzas (ifup scripts choosing a logical "
                    "interface) are not part of the hvnet model",
                )
            elif stanza.kind == "vlan":
                self.notes.stanza(
                    stanza, "ifupdown2 bridge-VLAN attributes are not part of the hvnet model"
                )
            elif stanza.name == "lo" or stanza.method == "loopback":
                self._loopback(stanza)
            elif not self.l3.method_supported(stanza):
                what = " ".join(a for a in (stanza.family, stanza.method) if a)
                self.notes.stanza(stanza, f"the '{what}' method is not part of the hvnet model")
            else:
                if stanza.inherits is not None:
                    self.notes.add(
                        stanza.location,
                        header_text(stanza),
                        f"inherits {stanza.inherits}: the template's options are not applied",
                    )
                usable.append(stanza)
        return usable

    def _loopback(self, stanza: Stanza) -> None:
        """The standard ``lo`` stanza is the kernel's own; anything more is reported."""
        if stanza.name != "lo" or stanza.method not in (None, "loopback"):
            self.notes.stanza(stanza, "loopback configuration is not managed by hvnet")
            return
        for option in stanza.options:
            self.notes.option(option, "loopback configuration is not managed by hvnet")

    # -- step 1: kinds ----------------------------------------------------------------------

    def _kinds(self) -> None:
        commands: list[tuple[Stanza, Option]] = []  # after the keywords: those decide first
        for draft in list(self.drafts.values()):
            first: dict[str, Location] = {}
            for stanza in draft.stanzas:
                for option in stanza.options:
                    first.setdefault(option.canonical, option.location)
                    if option.canonical in COMMAND_OPTIONS:
                        commands.append((stanza, option))
            names = first.keys()
            if "bridge-ports" in names:
                draft.set_kind(LinkKind.BRIDGE, first["bridge-ports"])
            elif "bond-master" not in names and (names & MEMBERSHIP_KEYWORDS):
                keyword = sorted(names & MEMBERSHIP_KEYWORDS)[0]
                draft.set_kind(LinkKind.BOND, first[keyword])
            elif "bond-master" not in names and "bond-mode" in names:
                draft.set_kind(LinkKind.BOND, first["bond-mode"])
            elif names & {"vlan-raw-device", "vlan-id"}:
                keyword = sorted(names & {"vlan-raw-device", "vlan-id"})[0]
                draft.set_kind(LinkKind.VLAN, first[keyword])
        for stanza, option in commands:
            self._command_kinds(stanza, option)
        for draft in list(self.drafts.values()):
            for stanza in draft.stanzas:
                master = stanza.first("bond-master")
                if master is not None and len(master.words) == 1:
                    self.draft(master.words[0]).set_kind(LinkKind.BOND, master.location)
        for draft in self.drafts.values():
            if draft.kind is LinkKind.NIC and dotted_vid(draft.name) is not None:
                draft.set_kind(LinkKind.VLAN, None)
        self._matched_macs()

    def _command_kinds(self, stanza: Stanza, option: Option) -> None:
        try:
            actions = interpret(option, stanza.name)
        except NotConverted as exc:
            self.notes.option(option, str(exc))
            return
        self.actions[option.location] = (option, actions)
        for action in actions:
            if action.what == "kind":
                self.draft(action.name).set_kind(action.value, option.location)
            elif action.what == "vlan":
                self.draft(action.name).set_kind(LinkKind.VLAN, option.location)

    def _matched_macs(self) -> None:
        """hvnet's renderer writes a NIC's permanent-MAC match as a comment before it."""
        comments = list(self.doc.comments) + [c for s in self.doc.stanzas for c in s.comments]
        macs = {}
        for comment in comments:
            match = _MATCHED_MAC.fullmatch(comment.text)
            if match:
                macs[(comment.location.file, comment.location.line + 1)] = match.group(1)
        for draft in self.drafts.values():
            for stanza in draft.stanzas:
                mac = macs.get((stanza.location.file, stanza.location.line))
                if mac and draft.kind is LinkKind.NIC:
                    draft.match_mac = mac

    # -- step 2: stanzas --------------------------------------------------------------------

    def _stanza(self, stanza: Stanza) -> None:
        draft = self.drafts[stanza.name]
        earlier = [s for s in draft.stanzas if s.family == stanza.family and s is not stanza]
        if (earlier and earlier[0].location.line < stanza.location.line) or (
            earlier and earlier[0].location.file != stanza.location.file
        ):
            self.notes.add(
                stanza.location,
                header_text(stanza),
                f"{stanza.name} is declared again (first at "
                f"{_where(earlier[0].location, stanza)}): both stanzas are merged into one "
                "interface",
                NoteKind.CONVERTED,
            )
        claimed = self.l3.stanza(stanza, draft) | self.l2.stanza(stanza, draft)
        for index, option in enumerate(stanza.options):
            if index in claimed or option.canonical in COMMAND_OPTIONS:
                continue
            if not option.value:
                continue  # reported as a syntax problem already
            guess = difflib.get_close_matches(option.canonical, KNOWN_OPTIONS, n=1, cutoff=0.8)
            hint = f" (did you mean {guess[0]}?)" if guess else ""
            self.notes.option(option, f"unknown option{hint}")


__all__ = ["Importer", "import_eni", "import_eni_text"]


def _where(location: Location, stanza: Stanza) -> str:
    same = location.file == stanza.location.file
    return f"line {location.line}" if same else str(location)
