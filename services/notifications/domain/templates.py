"""The messages a citizen receives, in Bahasa Indonesia, rendered from plain facts.

One template per moment worth telling. The *words* are data, per office
(`catalogue/messages/`, validated at start-up by `shared.catalogue.messages`); this
module decides which pieces a message is made of, in which order, and with which facts.
The facts come from the event and the office's published standard; no template repeats
personal data beyond what the citizen already knows (their ticket number, the letter
number, their own check code).

What a message asks of the citizen follows the channel their request came by
(`domain.delivery`): walk-ins and letters are served at the office (collect the letter,
bring what is missing); online requests are served online (a one-time download link,
answer this message with what is missing), and are never asked to come in for a letter.
How the citizen is addressed follows the service's kind (`service_kind`): a complaint is
"Pengaduan Anda", and a service without a letter never promises one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Literal, get_args

from services.notifications.domain.delivery import CHANNEL_WORDS, Delivery, delivery_for
from shared.catalogue import OfficeMessages, default_messages
from shared.contracts.base import Event
from shared.contracts.casework_events import (
    CaseAnswered,
    CaseForwarded,
    CaseMerged,
    DuplicateMerged,
)
from shared.contracts.documents_events import DocumentsMissingNoted, LetterIssued
from shared.contracts.events import (
    CaseResolved,
    ComplaintRegistered,
    DomicileRefused,
    DtksNotFound,
    LetterSigned,
    ReferralMade,
)
from shared.contracts.vocab import Channel
from shared.labels import FORM_LABELS
from shared.localtime import DAYS
from shared.localtime import tanggal as tanggal  # re-exported: messages' dates

TemplateName = Literal[
    "complaint_registered",
    "dtks_not_found",
    "letter_signed",
    "letter_online",
    "letter_posted",
    "referral_made",
    "case_resolved",
    "domicile_refused",
    "case_forwarded",
    "case_merged",
    "duplicate_merged",
    "documents_missing",
    "survey_invitation",
    "status_answer",
    "status_refused",
    "case_answered",
]
TEMPLATES: tuple[str, ...] = get_args(TemplateName)

# How the citizen is addressed, by the service's workflow (the catalogue's `workflow`):
# a complaint (`complaint_answer`) is told "Pengaduan Anda", not "Permohonan Anda"; a
# service that gives no letter (`social_work`: LK3 counselling) is never told that "your
# letter is ready"; a letter or a certificate is the default wording. A piece with a
# wording of its own for the kind is `<piece>.<kind>` in `catalogue/messages/`
# (`complaint_registered.opening.complaint`); any other piece reads the same for every
# kind.
ServiceKind = Literal["letter", "complaint", "no_letter"]
_KIND_OF_WORKFLOW: dict[str, ServiceKind] = {
    "complaint_answer": "complaint",
    "social_work": "no_letter",
}


def service_kind(workflow: str | None) -> ServiceKind:
    """The kind of a service by its workflow; unknown (or no catalogue entry): a letter."""
    return _KIND_OF_WORKFLOW.get(workflow or "", "letter")


@dataclass(frozen=True)
class MissingItem:
    """One requirement still missing, as `DocumentsMissingNoted` lists it: its published
    names (several are alternatives: any one of them will do) and the form it must be in
    (`original`, `copy`, `either`)."""

    names: tuple[str, ...]
    form: str = "either"


# The words a list of missing documents is joined with (documents' checklist says the
# form the same way: asli, fotokopi).
OR = "atau"
ONE_IS_ENOUGH = "cukup salah satu"


@dataclass(frozen=True)
class MessageFacts:
    ticket_number: str
    office_name: str
    office_address: str | None = None
    service_name: str | None = None
    completion_time: str | None = None  # as published: "1 hari kerja", "15 menit"
    letter_name: str | None = None  # "Surat Rekomendasi Pengurusan Reset PIN"
    letter_number: str | None = None
    dtks_reason: str | None = None  # DtksNotFound.reason
    agency_name: str | None = None
    outcome: str | None = None  # CaseResolved.outcome
    # The channel the request came by: it decides what the citizen is asked to do.
    request_channel: Channel = Channel.WALK_IN
    # The channel the messages go out by (the case's contact: a website form's answers
    # go by WhatsApp or e-mail); None when nobody is contacted.
    contact_channel: Channel | None = None
    # Complaint, letter, or a service without a letter (`service_kind`): the wording.
    kind: ServiceKind = "letter"
    download_link: str | None = None  # one-time link to the signed PDF (online delivery)
    link_valid_until: str | None = None  # "30 November 2026", the office's calendar
    # Domicile refused: the area the service is for, why, and where else to go.
    area_name: str | None = None  # "Kota Mataram"
    domicile_basis: str | None = None  # DomicileRefused.basis
    domicile_found: bool = False  # a region was found (outside the area)
    other_office_name: str | None = None  # the catalogue's office for that region
    other_office_address: str | None = None
    # Merges: the other case's ticket (CaseMerged: the one that continues; DuplicateMerged:
    # the one merged into this). None when telling it could reveal an anonymous reporter.
    other_ticket: str | None = None
    # The citizen's check code (first message only) and where the status page is.
    check_code: str | None = None
    status_url: str | None = None
    # Requirements still missing, one item per requirement (its alternatives together),
    # by their published names and form.
    documents: tuple[MissingItem, ...] = ()
    # The satisfaction survey's one-time link (closing message).
    survey_link: str | None = None
    survey_valid_until: str | None = None
    # A status answer: which status words (casework's stage or finer status,
    # `shared.contracts.case_stages.status_key`), the due date in the office's calendar,
    # the office's contact.
    stage: str | None = None
    due_date: str | None = None
    office_contact: str | None = None
    answer: str | None = None  # CaseAnswered: what staff answered

    @property
    def delivery(self) -> Delivery:
        return delivery_for(self.request_channel)


class MissingFact(ValueError):
    """A template needs a fact the event did not give.

    Not a refusal (`shared.refusal.Refused`): nobody asked for anything, so there is no
    one to answer. It is raised inside the consumer, which retries the event and then
    dead-letters it with this reason for a person to look at: an event that lacks what
    its message needs is a producer's bug, never an HTTP answer."""


def _need(value: str | None, name: str) -> str:
    if not value:
        raise MissingFact(name)
    return value


def _where(f: MessageFacts) -> str:
    return f.office_name + (f", {f.office_address}" if f.office_address else "")


def _say(t: OfficeMessages, f: MessageFacts, key: str, **facts: object) -> str:
    """The piece in the wording for the service's kind (`<key>.<kind>`) where the
    contract has one, else the piece itself."""
    worded = f"{key}.{f.kind}"
    return t.say(worded if worded in t.pieces else key, **facts)


def _common(f: MessageFacts) -> dict[str, object]:
    """The facts every piece may use (each piece takes only those it offers)."""
    return {
        "ticket": f.ticket_number,
        "office": f.office_name,
        "where": _where(f),
        "status_url": f.status_url or "",
    }


def _registered(f: MessageFacts, t: OfficeMessages) -> str:
    c = _common(f)
    text = _say(t, f, "complaint_registered.opening", **c)
    if f.service_name:
        text += t.say("complaint_registered.service", service=f.service_name)
    if f.completion_time:
        text += t.say("complaint_registered.completion", completion_time=f.completion_time)
    if f.due_date:
        text += t.say("complaint_registered.due", due_date=f.due_date)
    if f.delivery == "online":
        # The channel the updates really go by: this message's own (a website form's
        # citizen is answered by WhatsApp or e-mail, not "through the website form").
        by = f.contact_channel or f.request_channel
        channel = CHANNEL_WORDS.get(by, by.value)
        text += _say(t, f, "complaint_registered.next.online", channel=channel, **c)
    else:
        text += _say(t, f, "complaint_registered.next.at_office", **c)
    if f.check_code and f.status_url:
        text += _say(t, f, "complaint_registered.check_code", check_code=f.check_code, **c)
    return text + _say(t, f, "complaint_registered.closing", **c)


_DTKS_REASONS = ("not_listed", "listed_in_other_region", "nik_invalid", "nik_missing")


def _more_information(f: MessageFacts, t: OfficeMessages) -> str:
    return t.say(f"more_information.{f.delivery}", **_common(f))


def _dtks_not_found(f: MessageFacts, t: OfficeMessages) -> str:
    reason = f.dtks_reason if f.dtks_reason in _DTKS_REASONS else "not_listed"
    c = _common(f)
    text = t.say(f"dtks_not_found.{reason}", **c)
    if reason in ("nik_invalid", "nik_missing"):
        text += t.say(f"dtks_not_found.send_nik.{f.delivery}", **c)
    return text + _more_information(f, t)


def _says_it(names: Iterable[str], word: str) -> bool:
    """Every name says the word already ("Fotokopi KTP": "fotokopi")."""
    return all(re.search(rf"\b{word}\b", name, re.IGNORECASE) for name in names)


def missing_item(item: MissingItem) -> str:
    """One missing requirement in words: its alternatives joined with "atau" (one of
    them will do, and the item says so), and its form where it matters ("asli",
    "fotokopi"; not when every name says it already, nor when either form will do).
    'Fotokopi KTP atau identitas diri lainnya, atau Nomor HP yang biasa dihubungi (cukup
    salah satu)'; 'Buku Tabungan (asli)'."""
    names = [n.strip() for n in item.names if n.strip()]
    # A name that holds an "atau" of its own keeps its alternatives apart with a comma.
    joiner = f", {OR} " if any(f" {OR} " in n.lower() for n in names) else f" {OR} "
    notes: list[str] = []
    form = FORM_LABELS.get(item.form) if item.form != "either" else None
    if form and not _says_it(names, form):
        notes.append(form)
    if len(names) > 1:
        notes.append(ONE_IS_ENOUGH)
    return joiner.join(names) + (f" ({', '.join(notes)})" if notes else "")


def missing_list(items: Iterable[MissingItem]) -> str:
    """The missing requirements: one inline, several one per line, numbered, so that
    alternatives never read as items of their own."""
    words = [missing_item(i) for i in items]
    if len(words) == 1:
        return words[0]
    return ";".join(f"\n{n}. {w}" for n, w in enumerate(words, start=1))


def _documents_missing(f: MessageFacts, t: OfficeMessages) -> str:
    if not f.documents:
        raise MissingFact("documents")
    c = _common(f)
    text = _say(t, f, "documents_missing.opening", documents=missing_list(f.documents), **c)
    text = text.replace(" \n", "\n")  # "belum lengkap: {documents}" before a list's lines
    return text + t.say(f"documents_missing.{f.delivery}", **c)


def hari_tanggal(on: date) -> str:
    """'Senin, 7 Desember 2026'."""
    return f"{DAYS[on.weekday()]}, {tanggal(on)}"


# The first message's due date is casework's (the office's calendar: working days,
# holidays, cuti bersama). The consumer keeps the message with this mark where the date
# goes; the delivery worker puts the date in before it sends
# (`service_layer/fill_due_date.py`). Never shown to a citizen.
DUE_DATE_PENDING = "[[batas waktu menunggu casework]]"
# The worker's last attempt without casework's date: the sentence still reads.
DUE_DATE_UNKNOWN = "sesuai waktu penyelesaian standar pelayanan di atas"


def _letter(f: MessageFacts, t: OfficeMessages, default: str) -> dict[str, object]:
    return {
        **_common(f),
        "letter": f.letter_name or t.piece(default),
        "letter_number": _need(f.letter_number, "letter_number"),
    }


def _letter_signed(f: MessageFacts, t: OfficeMessages) -> str:
    """Served at the office: the signed letter is collected at the desk."""
    return t.say("letter_signed.text", **_letter(f, t, "letter.default_name")) + _survey(f, t)


def _letter_online(f: MessageFacts, t: OfficeMessages) -> str:
    """Served online: the signed letter as a one-time download link."""
    facts = _letter(f, t, "letter.default_name")
    text = _say(t, f, "letter_online.opening", **facts)
    if f.download_link is None:  # nobody to send a link to (anonymous): kept, not sent
        return text + t.say("letter_online.no_link", **facts)
    valid_until = _need(f.link_valid_until, "link_valid_until")
    text += t.say("letter_online.link", link=f.download_link, valid_until=valid_until, **facts)
    return text + _survey(f, t)


def _letter_posted(f: MessageFacts, t: OfficeMessages) -> str:
    text = _say(t, f, "letter_posted.text", **_letter(f, t, "letter_posted.default_name"))
    return text + _survey(f, t)


def _referral_made(f: MessageFacts, t: OfficeMessages) -> str:
    agency = _need(f.agency_name, "agency_name")
    return _say(t, f, "referral_made.text", agency=agency, **_common(f))


_OUTCOMES = ("answered", "referred", "letter_issued")


def _survey(f: MessageFacts, t: OfficeMessages) -> str:
    """The survey invitation, when a link was minted for this message."""
    if not f.survey_link:
        return ""
    valid_until = _need(f.survey_valid_until, "survey_valid_until")
    return t.say(
        "survey_invitation.text", survey_link=f.survey_link, valid_until=valid_until, **_common(f)
    )


def _case_resolved(f: MessageFacts, t: OfficeMessages) -> str:
    outcome = f.outcome if f.outcome in _OUTCOMES else "other"
    words = t.piece(f"case_resolved.outcome.{outcome}")
    return _say(t, f, "case_resolved.text", outcome=words, **_common(f)) + _survey(f, t)


def _case_answered(f: MessageFacts, t: OfficeMessages) -> str:
    answer = _need(f.answer, "answer").strip()
    return _say(t, f, "case_answered.text", answer=answer, **_common(f)) + _survey(f, t)


def _survey_invitation(f: MessageFacts, t: OfficeMessages) -> str:
    """On its own (after a signed letter, whose message told the outcome already)."""
    _need(f.survey_link, "survey_link")
    return _survey(f, t).lstrip()


def _domicile_refused(f: MessageFacts, t: OfficeMessages) -> str:
    c = _common(f)
    area = f.area_name or t.piece("domicile_refused.default_area")
    service = f.service_name or t.piece("domicile_refused.default_service")
    text = t.say("domicile_refused.opening", service=service, area=area, **c)
    if f.domicile_found:
        source = t.piece(
            "domicile_refused.source.registry"
            if f.domicile_basis == "registry"
            else "domicile_refused.source.nik"
        )
        elsewhere = (
            f"{f.other_office_name}"
            + (f", {f.other_office_address}" if f.other_office_address else "")
            if f.other_office_name
            else t.piece("domicile_refused.elsewhere_unknown")
        )
        text += t.say("domicile_refused.found", source=source, area=area, elsewhere=elsewhere, **c)
        text += t.say(f"domicile_refused.proof_found.{f.delivery}", area=area, **c)
    else:
        why = t.piece(
            "domicile_refused.why.nik_missing"
            if f.domicile_basis == "nik_missing"
            else "domicile_refused.why.nik_invalid"
        )
        text += t.say("domicile_refused.not_found", why=why, area=area, **c)
        text += t.say(f"domicile_refused.proof_not_found.{f.delivery}", area=area, **c)
    return text + t.say("domicile_refused.closing", **c)


def _case_forwarded(f: MessageFacts, t: OfficeMessages) -> str:
    agency = _need(f.agency_name, "agency_name")
    return _say(t, f, "case_forwarded.text", agency=agency, **_common(f))


def _case_merged(f: MessageFacts, t: OfficeMessages) -> str:
    """To the citizen of the case merged away: which ticket continues."""
    if f.other_ticket is None:  # the case it joined is an anonymous report: name nothing
        return _say(t, f, "case_merged.anonymous", **_common(f))
    return _say(t, f, "case_merged.named", other=f.other_ticket, **_common(f))


def _duplicate_merged(f: MessageFacts, t: OfficeMessages) -> str:
    """To the citizen of the case that continues: the other ticket was merged into it."""
    other = _need(f.other_ticket, "other_ticket")
    return _say(t, f, "duplicate_merged.text", other=other, **_common(f))


def status_words(stage: str, t: OfficeMessages) -> tuple[str, str]:
    """(label, next step) of a case's stage or finer status, as the office words them."""
    key = stage if f"status.{stage}.label" in t.pieces else "in_progress"
    return t.piece(f"status.{key}.label"), t.piece(f"status.{key}.next")


def _status_answer(f: MessageFacts, t: OfficeMessages) -> str:
    label, next_step = status_words(_need(f.stage, "stage"), t)
    contact = f.office_contact or _where(f)
    text = t.say(
        "status_answer.text", status=label, next_step=next_step, contact=contact, **_common(f)
    )
    if f.due_date:
        text += t.say("status_answer.due", due_date=f.due_date)
    return text


def _status_refused(f: MessageFacts, t: OfficeMessages) -> str:
    return t.say("status_refused.text", **_common(f))


_RENDER = {
    "complaint_registered": _registered,
    "dtks_not_found": _dtks_not_found,
    "letter_signed": _letter_signed,
    "letter_online": _letter_online,
    "letter_posted": _letter_posted,
    "referral_made": _referral_made,
    "case_resolved": _case_resolved,
    "domicile_refused": _domicile_refused,
    "case_forwarded": _case_forwarded,
    "case_merged": _case_merged,
    "duplicate_merged": _duplicate_merged,
    "documents_missing": _documents_missing,
    "survey_invitation": _survey_invitation,
    "status_answer": _status_answer,
    "status_refused": _status_refused,
    "case_answered": _case_answered,
}


def render(template: TemplateName, facts: MessageFacts, texts: OfficeMessages | None = None) -> str:
    """The message text in the office's wording (`texts`: the catalogue's messages for
    the case's office; the repository's default wording when none is given); MissingFact
    if the event lacked something the template needs."""
    return _RENDER[template](facts, texts or default_messages().for_office(None))


def template_for(event: Event, delivery: Delivery = "at_office") -> TemplateName | None:
    """Which message an event calls for, for a citizen served `at_office` or `online`;
    None when the citizen needs no (second) message.

    A signed letter: collected at the office, or sent online at once (a download link).
    An issued letter: handed over at the desk needs no message; posted, it is told; sent
    online to a citizen who asked at the office, it is the download link; sent online to
    one who asked online, the link went out when it was signed (one message is enough).
    """
    match event:
        case ComplaintRegistered():
            return "complaint_registered"
        case DtksNotFound():
            return "dtks_not_found"
        case DomicileRefused():
            return "domicile_refused"
        case DocumentsMissingNoted():
            return "documents_missing"
        case LetterSigned():
            return "letter_online" if delivery == "online" else "letter_signed"
        case LetterIssued(channel=Channel.LETTER):
            return "letter_posted"
        case LetterIssued(channel=channel) if delivery_for(channel) == "online":
            return None if delivery == "online" else "letter_online"
        case LetterIssued():
            return None  # handed over in person
        case ReferralMade():
            return "referral_made"
        case CaseAnswered(answer=answer) if answer.strip():
            return "case_answered"  # an answer given in writing elsewhere has no text here
        case CaseForwarded():
            return "case_forwarded"
        case CaseMerged():
            return "case_merged"
        case DuplicateMerged():
            return "duplicate_merged"
        case CaseResolved(outcome="letter_issued"):
            return None  # the letter's own message already told them; one message is enough
        case CaseResolved():
            return "case_resolved"
        case _:
            return None
