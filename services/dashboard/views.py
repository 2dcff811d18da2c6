"""What each page shows, read from the services' HTTP APIs (no decisions, no tables of
other services). A page builder adds one function per page here, returning plain dicts
and lists the template renders."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from datetime import time as dtime
from typing import Any, TypeVar
from urllib.parse import urlencode
from uuid import UUID

from services.dashboard.adapters.clients.registry import Services
from services.dashboard.domain import charts
from services.dashboard.domain import reception as reception_rules
from services.dashboard.domain.formatting import CLOCK_LABELS, ClockState, byline, clock_state
from shared.catalogue import Office
from shared.labels import CHANNEL_LABELS
from shared.localtime import MONTHS, local_today, zone_of
from shared.refusal import Refused

T = TypeVar("T")

STATUS_LABELS = {
    "registered": "Terdaftar",
    "front_office": "Di front office",
    "eligible": "Memenuhi syarat",
    "not_eligible": "Tidak memenuhi syarat",
    "documents_complete": "Dokumen lengkap",
    "back_office": "Di back office",
    "assigned": "Ditugaskan",
    "in_progress": "Diproses",
    "referred": "Dirujuk",
    "letter_drafted": "Draf surat dibuat",
    "letter_in_approval": "Surat dalam persetujuan",
    "letter_returned": "Surat dikembalikan",
    "letter_approved": "Surat disetujui",
    "letter_signed": "Surat ditandatangani",
    "waiting_for_citizen": "Menunggu warga",
    "waiting_for_agency": "Menunggu instansi lain",
    "answered": "Dijawab",
    "resolved": "Selesai",
    "closed": "Ditutup",
    "forwarded": "Diteruskan",
    "merged": "Digabung",
}


def _parse(moment: Any) -> datetime | None:
    if moment is None or isinstance(moment, datetime):
        return moment
    return datetime.fromisoformat(str(moment))


async def fresh(
    read: Callable[[], Awaitable[T]],
    reached: Callable[[T], bool],
    *,
    timeout: float = 2.0,
) -> T:
    """Read until the read has caught up with a change (`reached`), at most `timeout`:
    a live change can arrive before the service that is read has folded it."""
    deadline = time.monotonic() + timeout
    delay = 0.05
    while True:
        value = await read()
        if reached(value) or time.monotonic() >= deadline:
            return value
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.4)


def _clock(item: dict[str, Any]) -> ClockState:
    return clock_state(
        due_at=_parse(item.get("due_at")),
        paused=bool(item.get("clock_paused")),
        breached=bool(item.get("breached")),
        remaining_seconds=item.get("remaining_office_seconds"),
        warned=bool(item.get("warned")),
    )


def _service_label(office: Office, item: dict[str, Any]) -> str:
    standard = office.services.get(str(item.get("service")))
    if standard is None:
        return str(item.get("service", ""))
    label = standard.name
    variant = item.get("variant")
    if variant and variant in standard.variants:
        label += f" · {standard.variants[variant].name}"
    return label


def _row(item: dict[str, Any], office: Office) -> dict[str, Any]:
    state = _clock(item)
    return {
        **item,
        "service_label": _service_label(office, item),
        "channel_label": CHANNEL_LABELS.get(str(item.get("channel")), item.get("channel")),
        "due_at": _parse(item.get("due_at")),
        "opened_at": _parse(item.get("opened_at")),
        "clock": state.value,
        "clock_label": CLOCK_LABELS[state],
        "status_label": STATUS_LABELS.get(item.get("status", ""), item.get("status", "")),
    }


async def my_work(
    services: Services,
    token: str,
    office: Office,
    *,
    case_id: UUID | None = None,
    after: int | None = None,
) -> list[dict[str, Any]]:
    """My work queue (casework `/v1/work/queue`), most urgent first: overdue, then the
    soonest due; cases without a deadline last."""

    def reached(queue: dict[str, Any]) -> bool:
        if after is None or case_id is None:
            return True
        for item in queue["cases"]:
            if item["case_id"] == str(case_id):
                return int(item.get("last_position") or 0) >= after
        return False

    queue = await fresh(lambda: services.casework.work_queue(token), reached)
    rows = [_row(item, office) for item in queue["cases"]]
    order = {"breached": 0, "warned": 1, "running": 2, "paused": 3, "none": 4}
    return sorted(
        rows,
        key=lambda r: (
            order[r["clock"]],
            r.get("remaining_office_seconds") is None,
            r.get("remaining_office_seconds") or 0,
        ),
    )


async def case_page(
    services: Services, token: str, office: Office, case_id: UUID, *, after: int | None = None
) -> dict[str, Any]:
    """The case file (casework `GET /v1/cases/{id}`): status, deadline and the timeline,
    newest first. Casework leaves the citizen's own text out of the timeline (personal
    data); the applicant's name is there for the roles that may see it."""
    case = await fresh(
        lambda: services.casework.case_file(token, case_id),
        lambda c: after is None or int(c.get("last_position") or 0) >= after,
    )
    timeline = [
        {
            **item,
            "time": _parse(item.get("time")),
            "occurred_at": _parse(item.get("occurred_at")),
            "byline": byline(item.get("summary"), item.get("actor")),  # the actor, once
        }
        for item in case.get("timeline", [])
    ]
    clock = await services.casework.deadline(token, case_id)  # warned / breached, exactly
    row = _row(
        {
            **case,
            "remaining_office_seconds": clock.get("remaining_office_seconds"),
            "warned": clock.get("warned"),
            "breached": clock.get("breached"),
        },
        office,
    )
    return {
        **row,
        "published_time": clock.get("published_time"),
        "timeline": list(reversed(timeline)),
    }


# ---- reception: the queue, the guest book, ID cards held, walk-in registration ----------

TRIAGE_REASONS = {
    "service_not_recognised": "Layanan tidak dikenali",
    "office_not_recognised": "Kantor tidak dikenali",
    "variant_not_recognised": "Jenis layanan tidak dikenali",
}
CARD_LABELS = {"ktp": "KTP", "sim": "SIM", "other": "Kartu lain"}


def _day(value: Any) -> str:
    """'2026-11-30' -> '30 November 2026'."""
    try:
        day = date.fromisoformat(str(value))
    except ValueError:
        return str(value or "")
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def _visit(v: dict[str, Any]) -> dict[str, Any]:
    card = v.get("id_card")
    if v.get("case_id"):
        state, label = "registered", "Permohonan terdaftar"
    elif v.get("called_at"):
        state, label = "called", "Dipanggil"
    else:
        state, label = "waiting", "Menunggu"
    return {
        **v,
        "checked_in_at": _parse(v.get("checked_in_at")),
        "called_at": _parse(v.get("called_at")),
        "visit_day": _day(v.get("visit_date")),
        "state": state,
        "state_label": label,
        "card_label": CARD_LABELS.get(card["kind"], card["kind"]) if card else None,
        "card_returned": bool(card and card.get("returned_at")),
    }


async def reception(services: Services, token: str) -> dict[str, Any]:
    """Today's guest book (intake `GET /v1/desk/visits`), the number to call next (the
    oldest still waiting), the number called last, and the ID cards held at reception
    (intake `GET /v1/desk/id-cards`)."""
    visits, cards = await asyncio.gather(
        services.intake.visits_today(token), services.intake.id_cards_held(token)
    )
    following = reception_rules.next_to_call(visits)
    serving = reception_rules.now_serving(visits)
    return {
        "visits": [_visit(v) for v in visits],
        "next": _visit(dict(following)) if following else None,
        "serving": _visit(dict(serving)) if serving else None,
        "waiting": sum(1 for v in visits if not v.get("called_at") and not v.get("case_id")),
        "cards": [_visit(c) for c in cards],
    }


async def walk_in_choices(
    services: Services, token: str, office: str
) -> list[reception_rules.Choice]:
    """What a walk-in can be registered for: the office's published standards, read from
    intake (`GET /v1/catalogue/{office}`), each variant with its required documents."""
    standards = await services.intake.office_catalogue(token, office)
    return reception_rules.walk_in_choices(standards)


# ---- triage and duplicates --------------------------------------------------------------


async def triage(services: Services, token: str, office: Office) -> dict[str, Any]:
    """What no rule could classify (intake `GET /v1/triage`, oldest first), the office's
    services and variants to choose from, and the suspected duplicates side by side (intake
    `GET /v1/duplicates`; both case files read from casework, each read logged there)."""
    items, duplicates, standards = await asyncio.gather(
        services.intake.triage(token),
        services.intake.duplicates(token),
        services.intake.office_catalogue(token, office.id),
    )
    choices = reception_rules.all_choices(standards)
    pairs = duplicates["items"][:20]

    async def case_or_none(case_id: str) -> dict[str, Any] | None:
        try:
            case = await services.casework.case_file(token, UUID(case_id))
        except Refused:
            return None
        return _row(case, office)

    files = await asyncio.gather(
        *(case_or_none(p[k]) for p in pairs for k in ("case_id", "duplicate_of"))
    )
    return {
        "items": [
            {
                **i,
                "queued_at": _parse(i.get("queued_at")),
                "channel_label": CHANNEL_LABELS.get(str(i.get("channel")), i.get("channel")),
                "reason_label": TRIAGE_REASONS.get(str(i.get("reason")), i.get("reason")),
            }
            for i in items["items"]
        ],
        "choices": choices,
        "pairs": [
            {
                **p,
                "suspected_at": _parse(p.get("suspected_at")),
                "newer": files[2 * n],
                "earlier": files[2 * n + 1],
            }
            for n, p in enumerate(pairs)
        ],
        "more_pairs": max(0, len(duplicates["items"]) - len(pairs)),
    }


# ---- the office dashboard (head of office, Kabid) ---------------------------------------


def _periods(region_code: str, now: datetime | None = None) -> dict[str, datetime]:
    zone = zone_of(region_code)
    today = local_today(region_code, now)
    return {
        "today": datetime.combine(today, dtime(0), tzinfo=zone),
        "month": datetime.combine(today.replace(day=1), dtime(0), tzinfo=zone),
    }


def _drill(**params: str) -> str:
    return "/kantor/kasus?" + urlencode(params)


def _short_service_label(office: Office, item: dict[str, Any]) -> str:
    """For a chart: the variant's name and the service's first words."""
    standard = office.services.get(str(item.get("service")))
    if standard is None:
        return str(item.get("service", ""))
    words = standard.name.split()
    name = " ".join(words[:3]) + ("…" if len(words) > 3 else "")
    variant = item.get("variant")
    if variant and variant in standard.variants:
        return f"{standard.variants[variant].name} · {name}"
    return name


def _figures(office: Office, period: str, summary: dict[str, Any]) -> dict[str, Any]:
    channel_bars = [
        charts.Bar(
            str(CHANNEL_LABELS.get(c["channel"], c["channel"])),
            int(c["count"]),
            _drill(periode=period, kanal=c["channel"]),
        )
        for c in summary["by_channel"]
    ]
    service_bars = [
        charts.Bar(
            _service_label(office, s),
            int(s["count"]),
            _drill(
                periode=period,
                layanan=s["service"],
                **({"varian": s["variant"]} if s["variant"] else {}),
            ),
            short=_short_service_label(office, s),
        )
        for s in summary["by_service"]
    ]
    name = "hari ini" if period == "hari" else "bulan ini"
    return {
        **summary,
        "period": period,
        "sla_label": charts.percent(summary.get("sla_compliance")),
        "channel_bars": channel_bars,
        "service_bars": service_bars,
        "channel_chart": charts.bar_chart(
            f"chart-channel-{period}", f"Permohonan {name} menurut kanal", channel_bars
        ),
        "service_chart": charts.bar_chart(
            f"chart-service-{period}", f"Permohonan {name} menurut layanan", service_bars
        ),
    }


async def office_dashboard(
    services: Services, token: str, office: Office, *, after: int | None = None
) -> dict[str, Any]:
    """Today's and this month's figures (casework `GET /v1/work/summary`, the office's own
    local day and month), the IKM of the month (`GET /v1/work/ikm`), with charts."""
    periods = _periods(office.region_code)
    today, month, ikm = await asyncio.gather(
        services.casework.office_summary(token, periods["today"]),
        services.casework.office_summary(token, periods["month"]),
        services.casework.ikm(token, periods["month"]),
    )
    return {
        "as_of": _parse(today.get("as_of")),
        "since_today": periods["today"],
        "since_month": periods["month"],
        "today": _figures(office, "hari", today),
        "month": _figures(office, "bulan", month),
        "ikm": ikm,
    }


async def office_cases(
    services: Services,
    token: str,
    office: Office,
    *,
    period: str | None,
    channel: str | None,
    service: str | None,
    variant: str | None,
    which: str | None,
) -> dict[str, Any]:
    """The list behind a figure (drill-down): the overdue list (casework
    `/v1/work/overdue`, complete), or the office's newest cases (`/v1/cases`, at most 500)
    narrowed to the period, channel, service and open/resolved state asked for."""
    if which == "lewat":
        rows = [_row(c, office) for c in (await services.casework.overdue(token))["cases"]]
        return {"rows": rows, "capped": False, "title": "Kasus lewat tenggat"}
    listed = (await services.casework.case_list(token, limit=500))["cases"]
    since = _periods(office.region_code).get(
        {"hari": "today", "bulan": "month"}.get(period or "", "")
    )
    rows = []
    for c in listed:
        opened = _parse(c.get("opened_at"))
        if since and (opened is None or opened < since):
            continue
        if channel and c.get("channel") != channel:
            continue
        if service and c.get("service") != service:
            continue
        if variant and c.get("variant") != variant:
            continue
        if which == "terbuka" and c.get("stage") in ("resolved", "closed", "forwarded", "merged"):
            continue
        rows.append(_row(c, office))
    parts = []
    if which == "terbuka":
        parts.append("terbuka")
    if period:
        parts.append({"hari": "hari ini", "bulan": "bulan ini"}.get(period, period))
    if channel:
        parts.append(f"kanal {CHANNEL_LABELS.get(channel, channel)}")
    if service:
        parts.append(_service_label(office, {"service": service, "variant": variant}))
    title = "Kasus" + (" — " + ", ".join(parts) if parts else "")
    return {"rows": rows, "capped": len(listed) >= 500, "title": title}
