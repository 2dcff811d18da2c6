"""What each page shows, read from the services' HTTP APIs (no decisions, no tables of
other services). A page builder adds one function per page here, returning plain dicts
and lists the template renders."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

from services.dashboard.adapters.clients.registry import Services
from services.dashboard.domain.formatting import CLOCK_LABELS, ClockState, clock_state
from shared.catalogue import Office

T = TypeVar("T")

CHANNEL_LABELS = {
    "walk_in": "Datang langsung",
    "letter": "Surat",
    "email": "E-mail",
    "sp4n_lapor": "SP4N-LAPOR!",
    "whatsapp": "WhatsApp",
    "facebook": "Facebook",
    "instagram": "Instagram",
    "twitter": "X (Twitter)",
    "youtube": "YouTube",
    "website": "Situs web",
    "telephone": "Telepon",
    "suggestion_box": "Kotak saran",
    "survey_form": "Formulir survei",
}

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
        {**item, "time": _parse(item.get("time")), "occurred_at": _parse(item.get("occurred_at"))}
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
