"""Whom a letter names, and how much of their numbers it shows.

A letter asserts an identity, so it takes it from the best evidence the case has:

- `registry`: eligibility checked the NIK against the DTKS/DTSEN registry and found it
  listed (`DtksVerified`). The letter prints the registry's name, NIK and KK number for
  that person, whatever name the channel gave (a WhatsApp profile name is not a name).
- `ktp`: not checked against the registry, but registered at the desk (walk-in) where
  staff checked the KTP: the identity staff typed from it.
- `declared`: neither; the identity as the applicant gave it, and the letter says so.

The registry check concerns the person the request is about: the cardholder when the
applicant acts by proxy, else the applicant. A proxy's own identity is never the
registry's.

How much a letter shows is a property of the product in the catalogue
(`Product.identity`): `full` where the recipient must match the person to its own
records (a bank: the whole NIK, KK and KKS numbers), `masked` elsewhere (the NIK's first
four and last four digits). The public verification page always masks, and never shows
the KK or KKS number, an address or a phone.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Literal

from shared.catalogue.model import IdentityDisclosure
from shared.contracts.base import EventEnvelope
from shared.contracts.events import Applicant, DtksVerified, LetterPerson
from shared.contracts.vocab import Channel

Basis = Literal["registry", "ktp", "declared"]

MASK = "*"  # Latin-1, so a printed letter shows it as written
PAGE_MASK = "\u2022"  # the verification page's bullet


def mask_nik(nik: str | None, fill: str = MASK) -> str:
    """'5271********0007': the region code and the last four digits stay readable."""
    if not nik:
        return "-"
    if len(nik) <= 8:
        return fill * len(nik)
    return nik[:4] + fill * (len(nik) - 8) + nik[-4:]


@dataclass(frozen=True)
class RegistryIdentity:
    """What the registry lists for the NIK eligibility checked (from `DtksVerified`)."""

    nik: str
    name: str | None
    kk_number: str | None
    source: str = "DTKS"


@dataclass(frozen=True)
class Identity:
    """A person as a letter names them, and the evidence for it."""

    name: str | None
    nik: str | None
    basis: Basis
    kk_number: str | None = None
    kks_number: str | None = None


def registry_identity(
    case_events: Iterable[EventEnvelope], at_position: int | None = None
) -> RegistryIdentity | None:
    """The registry's answer the case's DTKS state was recorded from (`at_position`, the
    global position documents recorded), else the case's last `DtksVerified`."""
    found: DtksVerified | None = None
    for envelope in case_events:
        if envelope.event_type != DtksVerified.event_type:
            continue
        event = envelope.payload()
        if not isinstance(event, DtksVerified):
            continue
        if at_position is not None and envelope.global_position == at_position:
            found = event
            break
        found = event
    if found is None:
        return None
    return RegistryIdentity(found.nik, found.name, found.kk_number, found.source)


def unchecked_basis(channel: Channel | None, received_types: Collection[str]) -> Basis:
    """An identity the registry did not confirm: typed from the KTP at the desk, or as
    declared."""
    return "ktp" if channel == Channel.WALK_IN and "ktp" in received_types else "declared"


def identify(declared: Applicant, registry: RegistryIdentity | None, unchecked: Basis) -> Identity:
    """The registry's identity where it verified this person and names them (its NIK
    wins: the one eligibility checked, possibly as staff corrected it); otherwise the one
    registered with the request, with the basis `unchecked`."""
    if registry is not None and registry.name:
        return Identity(
            name=registry.name,
            nik=registry.nik,
            basis="registry",
            kk_number=registry.kk_number or declared.kk_number,
            kks_number=declared.kks_number,
        )
    return Identity(
        name=declared.name,
        nik=declared.nik,
        basis=unchecked,
        kk_number=declared.kk_number,
        kks_number=declared.kks_number,
    )


NOTES: dict[Basis, str | None] = {
    "registry": None,
    "ktp": "(Identitas sesuai KTP yang diperiksa petugas.)",
    "declared": "(Identitas sesuai keterangan pemohon; belum dicocokkan dengan data DTKS.)",
}


def person_lines(person: Identity, disclosure: IdentityDisclosure) -> list[str]:
    """The person's block of a letter, as much as the recipient needs."""
    full = disclosure == "full"
    lines = [
        f"Nama           : {person.name or '-'}",
        f"NIK            : {(person.nik or '-') if full else mask_nik(person.nik)}",
    ]
    if full and person.kk_number:
        lines.append(f"Nomor KK       : {person.kk_number}")
    if full and person.kks_number:
        lines.append(f"Nomor KKS      : {person.kks_number}")
    note = NOTES[person.basis]
    if note:
        lines.append(note)
    return lines


def about(person: Identity) -> LetterPerson:
    """What the public verification page may show of the person: name and masked NIK."""
    return LetterPerson(
        name=person.name,
        nik_masked=mask_nik(person.nik) if person.nik else None,
        basis=person.basis,
    )
