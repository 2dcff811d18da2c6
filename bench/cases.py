"""Synthetic cases through the real event models: what a store of many cases holds.

`case_script` gives one case's events as the services would have appended them (owner,
stream, event), every stream in its own order; the mix follows the three seeded offices:
Lumajang's KKS letter (documents, DTKS, a letter through its chain, signed, resolved),
Mataram's LK3 (domicile, assignment to a social worker, assessment, a referral, sometimes
a pause), Kupang's suggestion-box complaint (anonymous, answered and closed), and
notifications and deadline facts along the way. All names, NIKs and phones are synthetic.
Used by the rebuild bench (`bench/rebuild.py`) and the fold tests.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

from shared.contracts.base import Event
from shared.contracts.casework_events import (
    CaseAnswered,
    CaseClosed,
    CaseFileOpened,
    CasePaused,
    CaseResumed,
    CaseWorkStarted,
    DeadlineWarned,
)
from shared.contracts.events import (
    Applicant,
    AssessmentRecorded,
    CaseAssigned,
    CaseResolved,
    ComplaintRegistered,
    DocumentReceived,
    DomicileVerified,
    DtksNotFound,
    DtksVerified,
    LetterApproved,
    LetterDrafted,
    LetterReviewed,
    LetterSigned,
    NotificationSent,
    ReferralMade,
    RequirementsCompleted,
)
from shared.contracts.streams import (
    case_stream,
    checklist_stream,
    complaint_stream,
    eligibility_stream,
    letter_stream,
)
from shared.contracts.vocab import Channel, Role

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Scripted:
    """One event as a service appended it."""

    owner: str
    stream_id: str
    event: Event
    office: str
    actor: str


def _uuid(rng: random.Random) -> UUID:
    return UUID(int=rng.getrandbits(128), version=4)


def _nik(i: int) -> str:
    return f"3508010101{i % 1_000_000:06d}"


def case_script(case_id: UUID, n: int, rng: random.Random) -> list[Scripted]:
    """Case number `n`'s events, streams interleaved as they might have been appended."""
    kind = rng.choices(("lumajang", "mataram", "kupang"), weights=(5, 2, 3))[0]
    received = T0 + timedelta(minutes=n)
    out: list[Scripted] = []

    def add(owner: str, stream: str, event: Event, office: str, actor: str = "") -> None:
        out.append(Scripted(owner, stream, event, office, actor or f"system:{owner}"))

    def casework(event: Event, office: str, staff: str) -> None:
        add("casework", case_stream(case_id), event, office, f"staff:{staff}")

    if kind == "lumajang":
        office = "lumajang"
        add(
            "intake",
            complaint_stream(case_id),
            ComplaintRegistered(
                case_id=case_id,
                ticket_number=f"LMJ-2026-{n:06d}",
                office=office,
                service="kks-recommendation",
                variant="reset-pin",
                channel=Channel.WALK_IN,
                applicant=Applicant(
                    name=f"Warga Sintetis {n}", nik=_nik(n), phone=f"0812{n % 10**8:08d}"
                ),
                description="Lupa PIN KKS (data sintetis)",
                received_at=received,
            ),
            office,
        )
        if rng.random() < 0.8:
            verdict: Event = DtksVerified(
                case_id=case_id,
                nik=_nik(n),
                kk_number=_nik(n + 1),
                region_code="35.08.01.2001",
                decile=rng.randint(1, 4),
                programmes=("BPNT",),
                snapshot_date=date(2026, 1, 31),
            )
        else:
            verdict = DtksNotFound(case_id=case_id, nik=_nik(n), reason="not_listed")
        add("eligibility", eligibility_stream(case_id), verdict, office)
        casework(CaseFileOpened(case_id=case_id, by="staff:lmj-fo-01"), office, "lmj-fo-01")
        checklist = checklist_stream(case_id)
        for doc in ("ktp", "kks"):
            add(
                "documents",
                checklist,
                DocumentReceived(case_id=case_id, document_type=doc, checked_by="lmj-fo-01"),
                office,
                "staff:lmj-fo-01",
            )
        add(
            "documents",
            checklist,
            RequirementsCompleted(case_id=case_id, variant="reset-pin", documents=("ktp", "kks")),
            office,
        )
        if isinstance(verdict, DtksVerified) and rng.random() < 0.85:
            letter = _uuid(rng)
            stream = letter_stream(letter)
            chain = (Role.SUB_COORDINATOR, Role.HEAD_OF_DIVISION, Role.SECRETARY)
            for event in (
                LetterDrafted(
                    letter_id=letter,
                    case_id=case_id,
                    letter_type="kks_reset_pin_recommendation",
                    product="reset-pin-letter",
                    subject=f"Rekomendasi reset PIN KKS a.n. Warga Sintetis {n}",
                    body=f"... NIK {_nik(n)} ...",
                    drafted_by="staff:lmj-officer-01",
                    chain=chain,
                ),
                LetterReviewed(
                    letter_id=letter,
                    case_id=case_id,
                    step=1,
                    role=Role.SUB_COORDINATOR,
                    reviewed_by="staff:lmj-subco-01",
                ),
                LetterReviewed(
                    letter_id=letter,
                    case_id=case_id,
                    step=2,
                    role=Role.HEAD_OF_DIVISION,
                    reviewed_by="staff:lmj-kabid-01",
                ),
                LetterApproved(
                    letter_id=letter,
                    case_id=case_id,
                    approved_by=("staff:lmj-subco-01", "staff:lmj-kabid-01"),
                ),
                LetterSigned(
                    letter_id=letter,
                    case_id=case_id,
                    letter_number=f"400.9/{n:06d}/427.64/2026",  # one number a letter
                    letter_type="kks_reset_pin_recommendation",
                    signed_by="staff:lmj-sekdin-01",
                    role=Role.SECRETARY,
                    content_sha256="0" * 64,
                ),
            ):
                add("documents", stream, event, office, "staff:lmj-officer-01")
            add(
                "casework",
                case_stream(case_id),
                CaseResolved(case_id=case_id, outcome="letter_issued", resolved_by="system"),
                office,
                "system:casework",
            )
    elif kind == "mataram":
        office = "mataram"
        add(
            "intake",
            complaint_stream(case_id),
            ComplaintRegistered(
                case_id=case_id,
                ticket_number=f"MTR-2026-{n:06d}",
                office=office,
                service="lk3-consultation",
                variant="family-counselling",
                channel=Channel.TELEPHONE,
                applicant=Applicant(name=f"Warga Sintetis {n}", phone=f"0813{n % 10**8:08d}"),
                description="Konsultasi keluarga (data sintetis)",
                received_at=received,
            ),
            office,
        )
        add(
            "eligibility",
            eligibility_stream(case_id),
            DomicileVerified(case_id=case_id, region_code="52.71", basis="registry"),
            office,
        )
        casework(
            CaseAssigned(
                case_id=case_id,
                assignee="mtr-sw-01",
                role=Role.SOCIAL_WORKER,
                assigned_by="staff:mtr-head-01",
            ),
            office,
            "mtr-head-01",
        )
        casework(
            AssessmentRecorded(
                case_id=case_id, recorded_by="staff:mtr-sw-01", summary="Catatan (sintetis)."
            ),
            office,
            "mtr-sw-01",
        )
        if rng.random() < 0.3:
            casework(
                CasePaused(case_id=case_id, by="staff:mtr-sw-01", waiting_for="citizen"),
                office,
                "mtr-sw-01",
            )
            casework(CaseResumed(case_id=case_id, by="staff:mtr-sw-01"), office, "mtr-sw-01")
        if rng.random() < 0.6:
            casework(
                ReferralMade(
                    case_id=case_id,
                    referral_id=_uuid(rng),
                    agency="dinas-kesehatan",
                    reason="Rujukan (sintetis).",
                    referred_by="staff:mtr-sw-01",
                ),
                office,
                "mtr-sw-01",
            )
        casework(
            CaseResolved(case_id=case_id, outcome="referred", resolved_by="staff:mtr-sw-01"),
            office,
            "mtr-sw-01",
        )
    else:
        office = "kupang"
        add(
            "intake",
            complaint_stream(case_id),
            ComplaintRegistered(
                case_id=case_id,
                ticket_number=f"KPG-2026-{n:06d}",
                office=office,
                service="public-complaint",
                variant="general",
                channel=Channel.SUGGESTION_BOX,
                applicant=Applicant(),
                anonymous=True,
                description="Keluhan pelayanan (data sintetis)",
                received_at=received,
            ),
            office,
        )
        casework(CaseFileOpened(case_id=case_id, by="staff:kpg-fo-01"), office, "kpg-fo-01")
        casework(CaseWorkStarted(case_id=case_id, by="staff:kpg-fo-01"), office, "kpg-fo-01")
        if rng.random() < 0.3:
            casework(
                DeadlineWarned(
                    case_id=case_id, by="system:casework", due_at=received + timedelta(days=9)
                ),
                office,
                "kpg-fo-01",
            )
        casework(
            CaseAnswered(case_id=case_id, by="staff:kpg-head-01", answer="Jawaban (sintetis)."),
            office,
            "kpg-head-01",
        )
        casework(CaseClosed(case_id=case_id, by="staff:kpg-head-01"), office, "kpg-head-01")
    add(
        "notifications",
        f"notification-{case_id}",
        NotificationSent(
            case_id=case_id,
            notification_id=_uuid(rng),
            channel=Channel.WHATSAPP,
            template="case_registered",
            recipient="0812****0001",
        ),
        office,
    )
    return out
