"""A seeded month for the analytics tests: real contract events appended through the store.

Kupang (WITA, UTC+8), October 2026, nine cases across six channels, with personal data in
every place a citizen can put it (name, NIK, KK, phone, e-mail, address, free text, a
letter's body, a return comment, an assessment), a repeat requester (same NIK twice), an
anonymous report, a pause, a returned letter, a referral, a recorded breach, surveys; one
case in September, one in November, one in Lumajang. All synthetic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from uuid import UUID, uuid4

import asyncpg

from shared.contracts import streams
from shared.contracts.base import Event, EventMetadata
from shared.contracts.casework_events import (
    CaseAnswered,
    CasePaused,
    CaseResumed,
    DeadlineBreached,
    SurveyAnswered,
)
from shared.contracts.events import (
    Applicant,
    AssessmentRecorded,
    CaseAssigned,
    CaseResolved,
    ComplaintRegistered,
    DtksVerified,
    LetterDrafted,
    LetterReturned,
    LetterReviewed,
    LetterSigned,
    ReferralMade,
)
from shared.contracts.vocab import Channel, Role
from shared.eventstore.store import EventStore

WITA = timezone(timedelta(hours=8))
OFFICE = "kupang"
SERVICE = "public-complaint"

# Everything personal that the seed puts into events: no view may show any of it.
PERSONAL = {
    "name": "Yohana Sintetika Ndoen",
    "nik": "5371014107900001",
    "nik2": "5371014107900002",
    "kk": "5371010101900009",
    "phone": "081299887766",
    "email": "yohana.sintetika@example.org",
    "address": "Jalan Contoh Sintetis No. 77, Oebobo",
    "free_text": "Bantuan PKH saya dipotong oleh pendamping SINTETIS-RAHASIA",
    "letter_body": "Surat untuk Yohana Sintetika Ndoen, isi RAHASIA-SURAT",
    "comment": "Perbaiki nama pemohon KOMENTAR-SINTETIS",
    "assessment": "Catatan asesmen PRIBADI-SINTETIS",
    "instruction": "Disposisi: tangani segera INSTRUKSI-SINTETIS",
    "handle": "@yohana_sintetis",
}


def at(day: int, hour: int, minute: int = 0, month: int = 10) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=WITA)


@dataclass
class Logged:
    """One appended event, as the test keeps it (to count independently)."""

    event: Event
    case_id: UUID | None
    office: str
    channel: str | None
    occurred_at: datetime


@dataclass
class Seed:
    log: list[Logged] = field(default_factory=list)
    versions: dict[str, int] = field(default_factory=dict)
    cases: dict[str, UUID] = field(default_factory=dict)

    async def add(
        self,
        conn: asyncpg.Connection,
        owner: str,
        stream: str,
        event: Event,
        *,
        case_id: UUID | None,
        office: str,
        channel: str | None,
        when: datetime,
        actor: str = "staff:kpg-staf-01",
    ) -> None:
        version = self.versions.get(stream, 0)
        meta = EventMetadata(
            case_id=case_id,
            office=office,
            actor=actor,
            channel=Channel(channel) if channel else None,
        )
        async with conn.transaction():
            await EventStore(owner).append(
                conn, stream, version, [event], meta, occurred_at=when, publish=False
            )
        self.versions[stream] = version + 1
        self.log.append(Logged(event, case_id, office, channel, when))


def _applicant(nik: str | None, *, phone: bool = True) -> Applicant:
    return Applicant(
        name=PERSONAL["name"],
        nik=nik,
        kk_number=PERSONAL["kk"] if nik else None,
        phone=PERSONAL["phone"] if phone else None,
        email=PERSONAL["email"],
        address=PERSONAL["address"],
        handle=PERSONAL["handle"],
    )


async def seed_month(conn: asyncpg.Connection) -> Seed:
    s = Seed()

    async def register(
        key: str,
        channel: str,
        when: datetime,
        nik: str | None,
        *,
        office: str = OFFICE,
        service: str = SERVICE,
        anonymous: bool = False,
    ) -> UUID:
        case_id = uuid4()
        s.cases[key] = case_id
        event = ComplaintRegistered(
            case_id=case_id,
            ticket_number=f"KPG-2026-{len(s.cases):06d}",
            office=office,
            service=service,
            variant="general" if office == OFFICE else "reset-pin",
            channel=Channel(channel),
            applicant=Applicant() if anonymous else _applicant(nik),
            description=PERSONAL["free_text"],
            received_at=when,
            anonymous=anonymous,
            citizen_id=None if anonymous else uuid4(),
        )
        await s.add(
            conn,
            "intake",
            streams.complaint_stream(case_id),
            event,
            case_id=case_id,
            office=office,
            channel=channel,
            when=when,
            actor="citizen",
        )
        return case_id

    async def case_fact(key: str, event: Event, when: datetime, office: str = OFFICE) -> None:
        case_id = s.cases[key]
        channel = next(
            x.channel
            for x in s.log
            if x.case_id == case_id and isinstance(x.event, ComplaintRegistered)
        )
        stream = (
            streams.letter_stream(event.letter_id)
            if hasattr(event, "letter_id")
            else streams.case_stream(case_id)
        )
        owner = "documents" if hasattr(event, "letter_id") else "casework"
        await s.add(
            conn, owner, stream, event, case_id=case_id, office=office, channel=channel, when=when
        )

    def resolved(key: str, outcome: str) -> CaseResolved:
        return CaseResolved(
            case_id=s.cases[key], outcome=outcome, resolved_by="staff:kpg-staf-01", reason=""
        )

    # c1: at the desk, answered in 10 minutes (walk-in: 15 minutes published)
    await register("c1", "walk_in", at(5, 9), PERSONAL["nik"])
    await case_fact("c1", resolved("c1", "answered"), at(5, 9, 10))
    # c2: at the desk, answered after an hour: late
    await register("c2", "walk_in", at(6, 9), PERSONAL["nik2"])
    await case_fact("c2", resolved("c2", "answered"), at(6, 10))
    # c3: a letter, through the chain with one return, signed after its 7 working days
    await register("c3", "letter", at(7, 9), "5371014107900003")
    c3 = s.cases["c3"]
    await case_fact(
        "c3",
        DtksVerified(
            case_id=c3,
            nik=PERSONAL["nik"],
            kk_number=PERSONAL["kk"],
            region_code="53.71.01.1001",
            snapshot_date=at(1, 0).date(),
            name=PERSONAL["name"],
        ),
        at(7, 9, 30),
    )
    await case_fact(
        "c3",
        CaseAssigned(
            case_id=c3,
            assignee="kpg-subkoor",
            role=Role.SUB_COORDINATOR,
            assigned_by="staff:kpg-kadis",
            kind="disposition",
            instruction=PERSONAL["instruction"],
        ),
        at(7, 10),
    )
    letter = uuid4()

    def drafted() -> LetterDrafted:
        return LetterDrafted(
            letter_id=letter,
            case_id=c3,
            letter_type="jawaban-pengaduan",
            product="jawaban",
            subject="Jawaban pengaduan",
            body=PERSONAL["letter_body"],
            drafted_by="staff:kpg-subkoor",
            chain=(Role.HEAD_OF_DIVISION, Role.SECRETARY, Role.HEAD_OF_OFFICE),
        )

    await case_fact("c3", drafted(), at(8, 10))
    review = {"letter_id": letter, "case_id": c3, "reviewed_by": "staff:kpg-kabid"}
    await case_fact("c3", LetterReviewed(**review, step=1, role=Role.HEAD_OF_DIVISION), at(9, 10))
    await case_fact(
        "c3",
        LetterReturned(
            letter_id=letter,
            case_id=c3,
            step=2,
            role=Role.SECRETARY,
            returned_by="staff:kpg-sekdis",
            comment=PERSONAL["comment"],
        ),
        at(12, 10),
    )
    await case_fact("c3", drafted(), at(13, 10))
    await case_fact("c3", LetterReviewed(**review, step=1, role=Role.HEAD_OF_DIVISION), at(14, 10))
    await case_fact("c3", LetterReviewed(**review, step=2, role=Role.SECRETARY), at(15, 10))
    await case_fact(
        "c3",
        LetterSigned(
            letter_id=letter,
            case_id=c3,
            letter_number="400/001/DINSOS/2026",
            letter_type="jawaban-pengaduan",
            signed_by="staff:kpg-kadis",
            role=Role.HEAD_OF_OFFICE,
            content_sha256="0" * 64,
        ),
        at(16, 15),
    )
    await case_fact("c3", resolved("c3", "letter_issued"), at(16, 15))
    # c4: WhatsApp by phone only, paused one day for the citizen, answered in time
    await register("c4", "whatsapp", at(13, 9), None)
    c4 = s.cases["c4"]
    await case_fact(
        "c4",
        AssessmentRecorded(
            case_id=c4, recorded_by="staff:kpg-peksos", summary=PERSONAL["assessment"]
        ),
        at(13, 11),
    )
    await case_fact(
        "c4", CasePaused(case_id=c4, by="staff:kpg-staf-01", waiting_for="citizen"), at(14, 9)
    )
    await case_fact("c4", CaseResumed(case_id=c4, by="staff:kpg-staf-01"), at(15, 9))
    await case_fact("c4", CaseAnswered(case_id=c4, by="staff:kpg-staf-01"), at(19, 11))
    # c5: e-mail late in the month, still open at its end (closed in November)
    await register("c5", "email", at(23, 9), "5371014107900005")
    await case_fact("c5", resolved("c5", "answered"), at(4, 9, month=11))
    # c6: SP4N-LAPOR, assigned, breached (casework recorded it), open at the month's end
    await register("c6", "sp4n_lapor", at(5, 9), "5371014107900006")
    c6 = s.cases["c6"]
    await case_fact(
        "c6",
        CaseAssigned(
            case_id=c6,
            assignee="kpg-staf-02",
            role=Role.COMPLAINT_OFFICER,
            assigned_by="staff:kpg-kadis",
            instruction=PERSONAL["instruction"],
        ),
        at(6, 9),
    )
    await case_fact(
        "c6",
        DeadlineBreached(case_id=c6, by="system:casework", due_at=at(15, 9)),
        at(15, 9, 1),
    )
    # c7: the same NIK as c1 (a repeat requester), by the suggestion box, referred in time
    await register("c7", "suggestion_box", at(8, 9), PERSONAL["nik"])
    c7 = s.cases["c7"]
    await case_fact(
        "c7",
        ReferralMade(
            case_id=c7,
            referral_id=uuid4(),
            agency="dinas-kesehatan",
            reason=PERSONAL["free_text"],
            referred_by="staff:kpg-staf-01",
        ),
        at(9, 9),
    )
    await case_fact("c7", resolved("c7", "referred"), at(12, 10))
    # c9: anonymous WhatsApp report, untouched, overdue at the month's end
    await register("c9", "whatsapp", at(21, 9), None, anonymous=True)
    # outside the month / the office
    await register("c8", "walk_in", at(17, 9, month=9), "5371014107900008")
    await case_fact("c8", resolved("c8", "answered"), at(17, 9, 5, month=9))
    await register("c11", "walk_in", at(3, 9, month=11), "5371014107900011")
    await register(
        "c10",
        "walk_in",
        at(5, 9),
        "3508014107900010",
        office="lumajang",
        service="kks-recommendation",
    )
    # surveys (IKM) about c1, c3, c4
    for key, scores, when in (
        ("c1", [4, 4, 4, 3, 4, 4, 4, 4, 4], at(6, 8)),
        ("c3", [3, 3, 2, 4, 3, 3, 3, 2, 3], at(19, 8)),
        ("c4", [3, 3, 3, 3, 3, 3, 3, 3, 3], at(20, 8)),
    ):
        await case_fact(
            key,
            SurveyAnswered(
                case_id=s.cases[key],
                by="citizen",
                survey_id=uuid4(),
                office=OFFICE,
                service=SERVICE,
                scores={f"u{i + 1}": v for i, v in enumerate(scores)},
            ),
            when,
        )
    return s


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)
