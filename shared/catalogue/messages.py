"""What citizens are told, as data: the pieces of every message, per office.

The words live in `catalogue/messages/`: `default.yaml` holds every piece; an office's
own file (`catalogue/messages/<office id>.yaml`) may reword any of them. Which pieces
make up a message, and in which order, is the notifications service's logic
(`services/notifications/domain/templates.py`); *what they say* is here, editable by the
office without a release.

Each piece is one string with `{placeholders}`. `PIECES` below is the contract: every
piece the code uses, and the placeholders it may use. Loading refuses (a
`shared.catalogue.CatalogueError`, so the services do not start):

- a piece the code does not know (a typo would otherwise be silently unused);
- a placeholder that piece does not offer (`{nomor}` where the piece gives `{ticket}`),
  or a malformed one (`{ticket`, `{0}`, `{ticket!r}`);
- a default set that lacks a piece;
- an office file for an office the catalogue does not have.

Pure data and validation; the files are read by `shared.catalogue.loader`.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from shared.contracts.case_stages import FINER_STATUSES, STAGES


def _p(*names: str) -> frozenset[str]:
    return frozenset(names)


_LETTER = _p("letter", "letter_number", "ticket", "office")

# Every piece of every message and the placeholders it may use.
PIECES: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        # received: ticket, service, published time, what happens next, the check code
        "complaint_registered.opening": _p("ticket", "office"),
        "complaint_registered.service": _p("service"),
        "complaint_registered.completion": _p("completion_time"),
        "complaint_registered.due": _p("due_date"),
        "complaint_registered.next.online": _p("ticket", "office", "channel"),
        "complaint_registered.next.at_office": _p("ticket", "office", "where"),
        "complaint_registered.check_code": _p("ticket", "check_code", "status_url"),
        "complaint_registered.closing": _p("ticket", "office"),
        # not in DTKS, by reason; what to do about a NIK, by delivery
        "dtks_not_found.not_listed": _p("ticket", "office"),
        "dtks_not_found.listed_in_other_region": _p("ticket", "office"),
        "dtks_not_found.nik_invalid": _p("ticket", "office"),
        "dtks_not_found.nik_missing": _p("ticket", "office"),
        "dtks_not_found.send_nik.at_office": _p("ticket", "office"),
        "dtks_not_found.send_nik.online": _p("ticket", "office"),
        "more_information.online": _p("ticket", "office"),
        "more_information.at_office": _p("ticket", "office", "where"),
        # documents missing, naming what to bring or send
        "documents_missing.opening": _p("ticket", "documents", "office"),
        "documents_missing.at_office": _p("ticket", "office", "where"),
        "documents_missing.online": _p("ticket", "office"),
        # letters
        "letter.default_name": _p(),
        "letter_signed.text": _LETTER | _p("where"),
        "letter_online.opening": _LETTER,
        "letter_online.no_link": _LETTER,
        "letter_online.link": _LETTER | _p("link", "valid_until"),
        "letter_posted.default_name": _p(),
        "letter_posted.text": _LETTER,
        # referral, forwarding, merges
        "referral_made.text": _p("ticket", "agency", "office"),
        "case_forwarded.text": _p("ticket", "agency", "office"),
        "case_merged.anonymous": _p("ticket", "office"),
        "case_merged.named": _p("ticket", "other", "office"),
        "duplicate_merged.text": _p("ticket", "other", "office"),
        # the answer
        "case_resolved.outcome.answered": _p(),
        "case_resolved.outcome.referred": _p(),
        "case_resolved.outcome.letter_issued": _p(),
        "case_resolved.outcome.other": _p(),
        "case_resolved.text": _p("ticket", "outcome", "office"),
        "case_answered.text": _p("ticket", "answer", "office"),
        # refused: domicile outside the office's area
        "domicile_refused.default_service": _p(),
        "domicile_refused.default_area": _p(),
        "domicile_refused.opening": _p("service", "area", "ticket", "office"),
        "domicile_refused.source.registry": _p(),
        "domicile_refused.source.nik": _p(),
        "domicile_refused.elsewhere_unknown": _p(),
        "domicile_refused.found": _p("source", "area", "ticket", "elsewhere", "office"),
        "domicile_refused.proof_found.online": _p("area", "ticket", "office"),
        "domicile_refused.proof_found.at_office": _p("area", "ticket", "office"),
        "domicile_refused.why.nik_missing": _p(),
        "domicile_refused.why.nik_invalid": _p(),
        "domicile_refused.not_found": _p("why", "ticket", "area", "office"),
        "domicile_refused.proof_not_found.online": _p("area", "ticket", "office"),
        "domicile_refused.proof_not_found.at_office": _p("area", "ticket", "office"),
        "domicile_refused.closing": _p("office"),
        # the survey (IKM), in the closing message or on its own
        "survey_invitation.text": _p("ticket", "survey_link", "valid_until", "office"),
        # a citizen asks "status <ticket>" through their channel
        "status_answer.text": _p("ticket", "status", "next_step", "office", "contact"),
        "status_answer.due": _p("due_date"),
        "status_refused.text": _p("office", "status_url"),
        # the status words (page and answers), by casework's stage or finer status
        **{
            f"status.{key}.{part}": _p()
            for key in (*STAGES, *FINER_STATUSES)
            for part in ("label", "next")
        },
    }
)
# A piece worded for a kind of service (`<piece>.<kind>`, the same placeholders): a
# complaint (workflow complaint_answer) is told "Pengaduan Anda"; a service without a
# letter (social_work) is not told its letter is ready. Chosen by notifications'
# `domain/templates.py` (`service_kind`); any other piece reads the same for every kind.
_WORDED_BY_KIND = {
    "complaint": (
        "complaint_registered.opening",
        "complaint_registered.next.online",
        "complaint_registered.next.at_office",
        "complaint_registered.check_code",
        "complaint_registered.closing",
        "documents_missing.opening",
        "letter_online.opening",
        "letter_posted.text",
        "referral_made.text",
        "case_forwarded.text",
        "case_merged.anonymous",
        "case_merged.named",
        "duplicate_merged.text",
        "case_resolved.text",
        "case_answered.text",
    ),
    "no_letter": ("complaint_registered.next.at_office",),
}
PIECES = MappingProxyType(
    {**PIECES, **{f"{k}.{kind}": PIECES[k] for kind, ks in _WORDED_BY_KIND.items() for k in ks}}
)


@dataclass(frozen=True)
class OfficeMessages:
    """The pieces one office's citizens are told: its own wording over the default."""

    office: str | None
    pieces: Mapping[str, str]

    def piece(self, key: str) -> str:
        """The raw piece (KeyError for a piece the contract does not know)."""
        if key not in PIECES:
            raise KeyError(key)
        return self.pieces[key]

    def say(self, key: str, **facts: object) -> str:
        """The piece with its placeholders filled. Facts the piece does not use are
        ignored, so one call can offer every fact a message has."""
        allowed = PIECES[key]
        return self.pieces[key].format_map({k: v for k, v in facts.items() if k in allowed})


@dataclass(frozen=True)
class MessageCatalogue:
    """The default pieces and each office's own wording of some of them."""

    default: Mapping[str, str]
    offices: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def for_office(self, office: str | None) -> OfficeMessages:
        own = self.offices.get(office or "", {})
        return OfficeMessages(office, MappingProxyType({**self.default, **own}))


def placeholder_problems(key: str, text: object) -> list[str]:
    """What is wrong with one piece ([] when nothing)."""
    if key not in PIECES:
        return [f"{key}: unknown message piece"]
    if not isinstance(text, str):
        return [f"{key}: must be text"]
    allowed = PIECES[key]
    problems: list[str] = []
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as exc:
        return [f"{key}: malformed placeholder ({exc})"]
    for _, name, conversion, spec in parsed:
        if name is None:
            continue
        if conversion or spec:
            problems.append(f"{key}: placeholder {{{name}}} takes no conversion or format")
        if name not in allowed:
            offered = ", ".join(f"{{{n}}}" for n in sorted(allowed)) or "none"
            problems.append(f"{key}: unknown placeholder {{{name}}} (this piece offers {offered})")
    return problems


def validate_pieces(shown: str, raw: object, *, complete: bool) -> tuple[dict[str, str], list[str]]:
    """The pieces of one file (`messages:` mapping) and its problems, each
    `<file>: messages.<piece>: <message>`."""
    if not isinstance(raw, dict) or not isinstance(raw.get("messages"), dict):
        return {}, [f"{shown}: (top level): expected a mapping with `messages:`"]
    extra = sorted(set(raw) - {"messages", "office"})
    problems = [f"{shown}: {key}: unknown top-level key" for key in extra]
    pieces: dict[str, str] = {}
    for key, text in raw["messages"].items():
        found = placeholder_problems(str(key), text)
        problems.extend(f"{shown}: messages.{p}" for p in found)
        if not found:
            pieces[str(key)] = str(text)
    if complete:
        problems.extend(
            f"{shown}: messages.{key}: missing from the default set"
            for key in sorted(set(PIECES) - set(raw["messages"]))
        )
    return pieces, problems


def build_messages(
    default: tuple[str, object], offices: Iterable[tuple[str, str, object]], known: Iterable[str]
) -> MessageCatalogue:
    """The message catalogue from the default file and the offices' files, as
    `(shown name, parsed YAML)` and `(shown name, office id, parsed YAML)`; every problem
    of every file in one `CatalogueError`."""
    shown, raw = default
    base, problems = validate_pieces(shown, raw, complete=True)
    known_offices = set(known)
    own: dict[str, Mapping[str, str]] = {}
    for shown, office, raw in offices:
        if office not in known_offices:
            problems.append(f"{shown}: (file name): no office {office!r} in the catalogue")
            continue
        pieces, found = validate_pieces(shown, raw, complete=False)
        problems.extend(found)
        own[office] = MappingProxyType(pieces)
    if problems:
        from shared.catalogue.model import CatalogueError  # model imports this module

        raise CatalogueError("\n".join(problems), file=shown, problems=problems)
    return MessageCatalogue(MappingProxyType(base), MappingProxyType(own))
