"""What the case timeline keeps of each event: no personal data, and a line for people.

The timeline is read by every staff member of the office, so the applicant's personal
data (UU 27/2022: names, NIK, KK, phone, e-mail, address, free text they wrote) is left
out; it stays in the event store, where it can be made unreadable per person. Counselling
notes (AssessmentRecorded.summary) are left out too: the case file fetches them from the
store only for the people allowed to read them.

Event types not listed in `PERSONAL_FIELDS` are kept whole: add a line here when a
cross-service event gains a personal field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from services.casework.domain.model import CaseFact, decoded_fact, made
from shared.contracts import events as contracts
from shared.contracts.base import EVENT_TYPES, Event
from shared.contracts.events import ComplaintRegistered
from shared.contracts.vocab import Channel
from shared.labels import CHANNEL_LABELS, DTKS_NOT_FOUND_LABELS, FORM_LABELS, role_label

# Every cross-service event of a case (the catalogue in shared/contracts/events.py and each
# service's further events module): casework projects all of them. Left out: the raw inbound
# messages and the triage and guest-book events, which belong to no case.
_CONTRACT_MODULES = frozenset(
    {
        contracts.__name__,
        "shared.contracts.intake_events",
        "shared.contracts.eligibility_events",
        "shared.contracts.documents_events",
        "shared.contracts.casework_events",
    }
)
NOT_CASE_EVENTS = frozenset(
    {"InboundReceived", "TriageRequested", "GuestBookSigned", "ChannelDeliveryStatusReported"}
)
CASE_EVENT_TYPES: tuple[str, ...] = tuple(
    sorted(
        name
        for name, cls in EVENT_TYPES.items()
        if cls.__module__ in _CONTRACT_MODULES and name not in NOT_CASE_EVENTS
    )
)

PERSONAL_FIELDS: dict[str, frozenset[str]] = {
    "ComplaintRegistered": frozenset({"applicant", "on_behalf_of", "description", "external_id"}),
    "DtksVerified": frozenset({"nik", "kk_number", "decile", "name"}),
    "DtksNotFound": frozenset({"nik", "detail"}),
    # The letter names the applicant and quotes the NIK; the documents service keeps it.
    "LetterDrafted": frozenset({"subject", "body"}),
    "LetterSigned": frozenset({"content"}),
    # What the citizen wrote again, and an answer that may quote it.
    "ReplyReceived": frozenset({"summary", "attachments"}),
    "CaseAnswered": frozenset({"answer"}),
}
# Counselling notes: readable only by the social worker and psychologist of the case.
CONFIDENTIAL_FIELDS: dict[str, str] = {
    "AssessmentRecorded": "summary",
    "CounsellingSessionRecorded": "notes",
}
REDACTED = "[rahasia]"


def _dropped(event_type: str) -> frozenset[str]:
    fields = PERSONAL_FIELDS.get(event_type, frozenset())
    if event_type in CONFIDENTIAL_FIELDS:
        fields = fields | {CONFIDENTIAL_FIELDS[event_type]}
    return fields


# What the timeline leaves out of each event type that has something to leave out.
_DROPPED: dict[str, frozenset[str]] = {
    t: _dropped(t) for t in {*PERSONAL_FIELDS, *CONFIDENTIAL_FIELDS}
}


def redact(event_type: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """The event's data without personal or confidential fields."""
    dropped = _DROPPED.get(event_type)
    if dropped is None:
        return dict(data)
    return {k: v for k, v in data.items() if k not in dropped}


# What a staff notice was about (`StaffNotified.kind`).
_NOTICE_WORDS = {
    "case_assigned": "kasus ditugaskan",
    "letter_waiting": "surat menunggu",
    "letter_returned": "surat dikembalikan",
    "deadline_warning": "batas waktu segera berakhir",
    "deadline_breach": "batas waktu terlampaui",
}
# The LK3 procedure's steps (`social_work.STEP_KEYS`) as staff read them.
_STEP_WORDS = {
    "identity": "pencatatan identitas klien",
    "social_worker": "penyerahan kepada pekerja sosial",
    "assessment": "asesmen awal",
    "consultation": "konsultasi kasus",
    "counselling": "konseling",
    "referral": "rujukan",
}


def summarize(event_type: str, data: Mapping[str, Any], actor: str | None = None) -> str:
    """A short line in Bahasa Indonesia for the timeline, from the redacted data only.

    `actor`: the row's actor (the envelope's), which the timeline shows beside every line
    ("oleh staff:…"). The line then says what happened and leaves out who did it when that
    is the actor, so the actor is named once; someone else is still named (`oleh …`).
    Without `actor` the line names whoever the event says did it.
    """
    d = data
    match event_type:
        case "ComplaintRegistered":
            variant = f"/{d['variant']}" if d.get("variant") else ""
            return (
                f"Permohonan terdaftar: tiket {d.get('ticket_number')}, layanan "
                f"{d.get('service')}{variant}, kanal {_channel(d)}"
            )
        case "DtksVerified":
            return f"Terdaftar dalam {d.get('source', 'DTKS')} (wilayah {d.get('region_code')})"
        case "DtksNotFound":
            reason = DTKS_NOT_FOUND_LABELS.get(str(d.get("reason")), str(d.get("reason")))
            return f"Tidak terverifikasi dalam DTKS: {reason}"
        case "DomicileVerified":
            return f"Domisili terverifikasi (wilayah {d.get('region_code')})"
        case "DomicileRefused":
            found = d.get("found_region_code") or "tidak diketahui (tanpa NIK)"
            return (
                f"Domisili tidak memenuhi syarat: wajib {d.get('required_region_code')}, "
                f"ditemukan {found}"
            )
        case "DocumentReceived":
            form = FORM_LABELS.get(str(d.get("form")), str(d.get("form")))
            return f"Dokumen diterima: {d.get('document_type')} ({form})"
        case "RequirementsCompleted":
            return f"Persyaratan lengkap ({len(d.get('documents') or ())} dokumen)"
        case "LetterDrafted":
            return f"Draf surat {d.get('letter_type')} disusun" + _by(d.get("drafted_by"), actor)
        case "LetterReviewed":
            return f"Draf disetujui pada tahap {d.get('step')} ({role_label(d.get('role'))})" + _by(
                d.get("reviewed_by"), actor
            )
        case "LetterReturned":
            return (
                f"Draf dikembalikan pada tahap {d.get('step')} ({role_label(d.get('role'))})"
                f"{_by(d.get('returned_by'), actor)}: {d.get('comment')}"
            )
        case "LetterApproved":
            return "Surat disetujui, menunggu tanda tangan"
        case "LetterSigned":
            return f"Surat nomor {d.get('letter_number')} ditandatangani" + _by(
                d.get("signed_by"), actor
            )
        case "CaseAssigned" if d.get("kind") == "disposition":
            return (
                f"Disposisi{_by(d.get('assigned_by'), actor)} kepada {d.get('assignee')} "
                f"({role_label(d.get('role'))})"
            )
        case "CaseDelegated":
            return (
                f"Didelegasikan{_by(d.get('by'), actor)} dari {role_label(d.get('from_role'))}"
                f" kepada {d.get('assignee')} ({role_label(d.get('role'))})"
            )
        case "CaseAssigned" if d.get("kind") == "handover":
            return (
                f"Pengunjung diantar kepada pejabat {d.get('assignee')}"
                f" ({role_label(d.get('role'))})"
            )
        case "CaseAssigned":
            return (
                f"Kasus ditugaskan kepada {d.get('assignee')} ({role_label(d.get('role'))})"
                + _by(d.get("assigned_by"), actor)
            )
        case "AssessmentRecorded":
            return "Asesmen awal dicatat" + _by(d.get("recorded_by"), actor)
        case "ReferralMade":
            return f"Dirujuk ke {d.get('agency')}"
        case "CaseResolved":
            outcome = str(d.get("outcome") or "")
            words = OUTCOME_WORDS.get(outcome, outcome.replace("_", " "))
            return f"Kasus selesai ({words})" + _by(d.get("resolved_by"), actor) + _why(d)
        case "CaseFileOpened":
            return "Kasus diterima front office" + _by(d.get("by"), actor) + _why(d)
        case "CaseTransferred":
            return "Kasus diteruskan ke back office" + _by(d.get("by"), actor) + _why(d)
        case "CaseWorkStarted":
            return "Penanganan dimulai" + _by(d.get("by"), actor) + _why(d)
        case "CasePaused":
            whom = "warga" if d.get("waiting_for") == "citizen" else f"instansi {d.get('agency')}"
            return f"Menunggu {whom} (waktu layanan dihentikan)" + _why(d)
        case "CaseResumed":
            return "Penanganan dilanjutkan" + _by(d.get("by"), actor) + _why(d)
        case "CaseAnswered":
            return "Jawaban diberikan" + _by(d.get("by"), actor)
        case "CaseClosed":
            return "Kasus ditutup" + _by(d.get("by"), actor) + _why(d)
        case "CaseReopened":
            return "Kasus dibuka kembali" + _by(d.get("by"), actor) + _why(d)
        case "CaseForwarded":
            return f"Bukan kewenangan kami: diteruskan ke {d.get('forwarded_to')}" + _why(d)
        case "CaseMerged":
            return f"Kasus ganda, digabung ke kasus {d.get('merged_into')}"
        case "DuplicateMerged":
            return f"Kasus ganda {d.get('duplicate_case_id')} digabung ke kasus ini"
        case "DuplicateSuspected":
            return f"Diduga ganda dengan kasus {d.get('duplicate_of')}"
        case "DuplicateConfirmed":
            return f"Dikonfirmasi ganda dengan kasus {d.get('duplicate_of')}"
        case "DuplicateDismissed":
            return f"Dugaan ganda dengan kasus {d.get('duplicate_of')} dibatalkan"
        case "ReplyReceived":
            return f"Warga mengirim balasan lewat {_channel(d)}"
        case "IdCardDeposited":
            return f"Kartu identitas ({d.get('card_kind')}) dititipkan di resepsionis"
        case "IdCardReturned":
            return "Kartu identitas dikembalikan kepada pengunjung"
        # The due time is on the case page, in the office's zone; the row's own time says
        # when the warning or the breach was noticed.
        case "DeadlineWarned":
            return "Peringatan: batas waktu layanan segera berakhir"
        case "DeadlineBreached" if d.get("step"):
            step = _STEP_WORDS.get(str(d["step"]), str(d["step"]))
            return f"Batas waktu langkah {step} terlampaui"
        case "DeadlineBreached":
            return "Batas waktu layanan terlampaui"
        case "LetterIssued":
            walk_in = d.get("channel") == Channel.WALK_IN
            how = "diserahkan di loket" if walk_in else f"dikirim lewat {_channel(d)}"
            return f"Surat nomor {d.get('letter_number')} {how}" + _by(d.get("issued_by"), actor)
        case "DocumentsMissingNoted":
            missing = d.get("missing") or []
            return f"Dokumen belum lengkap: {len(missing)} persyaratan diberitahukan kepada warga"
        case "LetterDraftingAssigned":
            return f"Penyusunan surat diserahkan kepada {d.get('assignee')}" + _by(
                d.get("assigned_by"), actor
            )
        case "RequestClassified":
            variant = f"/{d['variant']}" if d.get("variant") else ""
            return f"Pesan diklasifikasikan: layanan {d.get('service')}{variant}"
        case "StaffNotified":
            who = d.get("staff_id") or role_label(d.get("role"))
            about = _NOTICE_WORDS.get(str(d.get("kind")), d.get("kind"))
            return f"Pemberitahuan kepada petugas ({about}): {who}"
        case "StatusRequested":
            return f"Warga menanyakan status lewat {_channel(d)}"
        case "VisitCalled":
            return f"Nomor antrean {d.get('queue_number')} dipanggil"
        case "CaseEscalated":
            return f"Kasus dieskalasi ke {role_label(d.get('to_role'))}"
        case "ClientIdentityRecorded":
            return "Identitas klien dicatat" + _by(d.get("by"), actor)
        case "CaseConsulted":
            return f"Kasus dikonsultasikan; konseling dengan psikolog {d.get('psychologist')}"
        case "CounsellingSessionRecorded":
            return f"Sesi konseling ke-{d.get('session')}" + _by(d.get("by"), actor)
        case "ReferralAccepted":
            # `by` records the receiver's answer: the receiver is named without "oleh",
            # so the line does not read "… oleh penerima oleh staff:…".
            return f"Penerima menerima rujukan {d.get('referral_id')}"
        case "ReferralRefused":
            return f"Penerima menolak rujukan {d.get('referral_id')}" + _why(d)
        case "ReferralFollowUpRequested":
            return f"Pengingat tindak lanjut rujukan ke-{d.get('reminder')}"
        case "ReferralClosed":
            return f"Rujukan {d.get('referral_id')} selesai ({d.get('outcome')})"
        case "SurveyAnswered":
            return "Survei kepuasan masyarakat diisi"
        case "NotificationSent":
            return (
                f"Pemberitahuan {d.get('template')} dikirim lewat {d.get('channel')} "
                f"ke {d.get('recipient')}"
            )
        case "NotificationDelivered":
            return (
                f"Pemberitahuan {d.get('template')} disampaikan lewat {d.get('channel')} "
                f"ke {d.get('recipient')} ({d.get('how')})"
            )
        case "NotificationFailed":
            return (
                f"Pemberitahuan {d.get('template')} gagal disampaikan lewat "
                f"{d.get('channel')}" + _why(d)
            )
        case "NotificationStatusReported":
            return f"Status pemberitahuan lewat {d.get('channel')}: {d.get('status')}"
        case _:
            return event_type


# A resolution's outcome code as staff read it (the dashboard's "Hasil" choices, and the
# signed letter's own); any other code is shown as written, underscores as spaces.
OUTCOME_WORDS: dict[str, str] = {
    "answered": "dijawab",
    "letter_issued": "surat ditandatangani",
    "referred": "dirujuk",
    "not_eligible": "tidak memenuhi syarat",
    "served": "dilayani",
}


def _channel(d: Mapping[str, Any]) -> str:
    """The event's channel as staff read it ("Datang langsung", "WhatsApp")."""
    return CHANNEL_LABELS.get(str(d.get("channel")), str(d.get("channel")))


def _by(who: Any, actor: str | None) -> str:
    """` oleh <who>`, or nothing when `who` is the row's actor (shown beside the line)."""
    return "" if not who or who == actor else f" oleh {who}"


def _why(d: Mapping[str, Any]) -> str:
    return f": {d['reason']}" if d.get("reason") else ""


@dataclass(frozen=True)
class TimelineEntry:
    """One row of the case timeline, built the same way live, on rebuild and as of a date."""

    event_id: UUID
    case_id: UUID
    position: int
    event_type: str
    stream_id: str
    actor: str
    channel: str | None
    recorded_at: datetime
    occurred_at: datetime
    summary: str
    data: dict[str, Any]

    @property
    def fact(self) -> CaseFact:
        return CaseFact(
            position=self.position,
            event_type=self.event_type,
            data=self.data,
            recorded_at=self.recorded_at,
            occurred_at=self.occurred_at,
            actor=self.actor,
        )

    def fact_with(self, event: Event) -> CaseFact:
        """`fact`, with the row's event already decoded (the rebuild's, in full)."""
        return decoded_fact(
            self.position,
            self.event_type,
            self.data,
            self.recorded_at,
            self.occurred_at,
            self.actor,
            event,
        )


class Recorded(Protocol):
    """An event as recorded in the store: an `EventEnvelope`, or the rebuild's lighter
    read of the same columns."""

    @property
    def event_id(self) -> UUID: ...
    @property
    def event_type(self) -> str: ...
    @property
    def stream_id(self) -> str: ...
    @property
    def global_position(self) -> int | None: ...
    @property
    def case_id(self) -> UUID | None: ...
    @property
    def actor(self) -> str: ...
    @property
    def channel(self) -> Channel | None: ...
    @property
    def occurred_at(self) -> datetime: ...
    @property
    def recorded_at(self) -> datetime | None: ...

    def payload(self) -> Event: ...


def case_id_of(envelope: Recorded, data: Mapping[str, Any]) -> UUID | None:
    """The case an event belongs to: the envelope's, else the payload's own field."""
    if envelope.case_id is not None:
        return envelope.case_id
    raw = data.get("case_id")
    return UUID(str(raw)) if raw else None


def entry_from_envelope(envelope: Recorded, event: Event | None = None) -> TimelineEntry | None:
    """The timeline row of a cross-service event; None if it belongs to no case.

    The payload is decoded first (or given decoded: `event`), so an older schema version
    is upcast and the timeline always holds current-schema data.
    """
    event_type = envelope.event_type
    data = (event or envelope.payload()).model_dump(mode="json")
    case_id = case_id_of(envelope, data)
    if case_id is None or envelope.global_position is None:
        return None
    # `redact`, without copying a dump that is this function's own already.
    dropped = _DROPPED.get(event_type)
    kept = data if dropped is None else {k: v for k, v in data.items() if k not in dropped}
    return made(  # as `TimelineEntry(...)`, without the frozen `__init__`'s cost
        TimelineEntry,
        event_id=envelope.event_id,
        case_id=case_id,
        position=envelope.global_position,
        event_type=envelope.event_type,
        stream_id=envelope.stream_id,
        actor=envelope.actor,
        channel=envelope.channel.value if envelope.channel else None,
        recorded_at=envelope.recorded_at or envelope.occurred_at,
        occurred_at=envelope.occurred_at,
        summary=summarize(event_type, kept, envelope.actor),
        data=kept,
    )


def applicant_name_of(event: Event) -> str | None:
    """The name the case row shows (personal data, so only on the row, not the timeline)."""
    if not isinstance(event, ComplaintRegistered) or event.anonymous:
        return None
    return event.applicant.name
