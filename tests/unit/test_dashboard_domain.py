"""The staff web app's pure parts: lock-out, password and username rules, Indonesian
dates and times in the office's zone, the clock's colour, refusals in Bahasa Indonesia,
Argon2 hashes, the live hub's routing and the per-person service token."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any, cast

import pytest

from services.casework.adapters.calendar import office_calendar
from services.dashboard import views
from services.dashboard.adapters.live_hub import QUEUE_SIZE, LiveHub, Subscription
from services.dashboard.adapters.passwords import (
    hash_password_sync,
    needs_rehash,
    verify_password_sync,
)
from services.dashboard.adapters.tokens import service_token
from services.dashboard.domain.accounts import (
    Account,
    LockoutPolicy,
    check_password_rules,
    check_username,
    parse_roles,
)
from services.dashboard.domain.formatting import (
    OFFICE_DAY_SECONDS,
    ClockState,
    byline,
    clock_state,
    date_time,
    duration,
    time_left,
    zone_name,
)
from services.dashboard.domain.live import Change, Topic
from services.dashboard.domain.navigation import home_for, items_for
from services.dashboard.domain.refusals import SENTENCES, explain
from services.dashboard.entrypoints.templating import make_templates
from shared.auth import verify_token
from shared.contracts.vocab import Role
from shared.refusal import Refused
from shared.settings import Settings

NOW = datetime(2026, 11, 30, 6, 5, tzinfo=UTC)


def account(**kw: object) -> Account:
    base: dict[str, object] = {
        "account_id": uuid.uuid4(),
        "username": "lmj-desk",
        "office": "lumajang",
        "name": "Petugas Contoh",
        "email": None,
        "roles": frozenset({Role.FRONT_OFFICE}),
        "active": True,
    }
    return Account(**{**base, **kw})  # type: ignore[arg-type]


def test_five_wrong_passwords_lock_for_fifteen_minutes_and_a_right_one_resets() -> None:
    policy = LockoutPolicy()
    a = account()
    for n in range(1, 5):
        a = policy.after_failure(a, NOW)
        assert a.failed_attempts == n and not a.locked(NOW)
    a = policy.after_failure(a, NOW)
    assert a.locked(NOW)
    assert a.locked_until == NOW + timedelta(minutes=15)
    assert a.locked(NOW + timedelta(minutes=14, seconds=59))
    assert not a.locked(NOW + timedelta(minutes=15))
    # After the lock has run out, counting starts again from one.
    later = NOW + timedelta(minutes=16)
    a = policy.after_failure(a, later)
    assert a.failed_attempts == 1 and not a.locked(later)
    assert LockoutPolicy.after_success(a).failed_attempts == 0


def test_password_and_username_rules() -> None:
    with pytest.raises(Refused) as err:
        check_password_rules("pendek")
    assert err.value.code == "password_too_short"
    check_password_rules("cukup-panjang-1")
    assert check_username("  LMJ-Desk ") == "lmj-desk"
    for bad in ("a", "../etc", "nama dengan spasi", "<script>"):
        with pytest.raises(Refused):
            check_username(bad)
    assert parse_roles(["officer", "kabid"]) == {Role.OFFICER, Role.HEAD_OF_DIVISION}
    with pytest.raises(Refused):
        parse_roles([])
    with pytest.raises(Refused):
        parse_roles(["emperor"])


def test_argon2_hashes_verify_only_the_right_password() -> None:
    h = hash_password_sync("kata-sandi-uji-123")
    assert h.startswith("$argon2id$")
    assert h != hash_password_sync("kata-sandi-uji-123")  # salted
    assert verify_password_sync(h, "kata-sandi-uji-123")
    assert not verify_password_sync(h, "kata-sandi-uji-124")
    assert not verify_password_sync(None, "kata-sandi-uji-123")  # unknown user
    assert not verify_password_sync("not-a-hash", "x")
    assert not needs_rehash(h)


def test_dates_in_the_office_zone_in_indonesian() -> None:
    assert date_time(NOW, "52.71") == "Senin, 30 November 2026 14.05 WITA"  # Mataram
    assert date_time(NOW, "35.08") == "Senin, 30 November 2026 13.05 WIB"  # Lumajang
    assert date_time(NOW, "94.71") == "Senin, 30 November 2026 15.05 WIT"  # Jayapura
    # 23.30 UTC on Sunday is already Monday in Kupang.
    assert date_time(datetime(2026, 11, 29, 23, 30, tzinfo=UTC), "53.71").startswith("Senin, 30")
    assert date_time(None, "35.08") == "—"
    assert zone_name("53.71") == "WITA"
    assert duration(2 * OFFICE_DAY_SECONDS + 2 * 3600) == "2 hari kerja 2 jam"
    assert duration(-(45 * 60)) == "45 menit"
    assert duration(20) == "kurang dari 1 menit"
    assert duration(None) == "—"


HOUR = 3600


def test_time_left_is_office_time_in_working_days_of_eight_hours() -> None:
    """Casework counts office seconds; a working day is 8 office hours, never 24: a
    7-working-day budget is 56 office hours, not "2 hari 8 jam"."""
    assert OFFICE_DAY_SECONDS == 8 * HOUR
    assert time_left(56 * HOUR) == "sisa 7 hari kerja"
    assert time_left(55 * HOUR) == "sisa 6 hari kerja 7 jam"
    assert time_left(11 * HOUR) == "sisa 1 hari kerja 3 jam"
    assert time_left(8 * HOUR) == "sisa 1 hari kerja"
    assert time_left(7 * HOUR + 59 * 60) == "sisa 7 jam 59 menit"
    assert time_left(2 * HOUR + 30 * 60 + 59) == "sisa 2 jam 30 menit"
    assert time_left(3 * HOUR) == "sisa 3 jam"
    assert time_left(45 * 60) == "sisa 45 menit"
    assert time_left(30) == "sisa kurang dari 1 menit"
    assert time_left(0) == "sisa kurang dari 1 menit"
    # Overdue: negative office seconds.
    assert time_left(-16 * HOUR) == "lewat 2 hari kerja"
    assert time_left(-(9 * HOUR + 5 * 60)) == "lewat 1 hari kerja 1 jam"
    assert time_left(-(45 * 60)) == "lewat 45 menit"
    assert time_left(None) == ""
    # Another office day length (the calendar's `day_seconds`).
    assert time_left(15 * HOUR, day_seconds=7.5 * HOUR) == "sisa 2 hari kerja"


def test_the_working_day_is_caseworks() -> None:
    """The dashboard may not import casework: its working day must stay casework's."""
    for region in ("35.08", "52.71", "94.71"):
        assert office_calendar(region).day_seconds == OFFICE_DAY_SECONDS


def test_work_rows_show_time_left_in_working_days() -> None:
    template = make_templates().env.get_template("_work_rows.html")
    row = {
        "case_id": uuid.uuid4(),
        "ticket_number": "MTR-2026-000042",
        "service_label": "Rekomendasi",
        "status_label": "Diproses",
        "due_at": NOW,
        "clock": "running",
        "clock_label": "Berjalan",
    }
    html = template.render(
        region="52.71",
        rows=[
            {**row, "remaining_office_seconds": 56 * HOUR},
            {**row, "remaining_office_seconds": -(17 * HOUR)},
            {**row, "remaining_office_seconds": None},
        ],
    )
    assert "sisa 7 hari kerja" in html
    assert "lewat 2 hari kerja 1 jam" in html
    assert " hari " not in html.replace("hari kerja", "")


def test_a_timeline_line_names_its_actor_once() -> None:
    # Casework's line leaves the actor out: the dashboard names them.
    assert byline("Jawaban diberikan", "staff:kc-test") == "oleh staff:kc-test"
    # A row projected before that already names them: no second "oleh".
    assert byline("Jawaban diberikan oleh staff:kc-test", "staff:kc-test") == ""
    assert byline("Kasus ditutup oleh staff:kc-test: selesai", "staff:kc-test") == ""
    assert byline("Disposisi oleh staff:kabid kepada kasi (x)", "staff:kabid") == ""
    # Another person named, or a longer name that starts the same: the actor is shown.
    assert byline("Kasus ditutup oleh staff:kc-test", "staff:kc") == "oleh staff:kc"
    assert byline("Kasus ditugaskan kepada staff:kc (x)", "staff:kc") == "oleh staff:kc"
    assert byline("Jawaban diberikan", "") == ""


def test_the_clock_colour() -> None:
    due = NOW + timedelta(days=2)
    assert clock_state(due_at=due, paused=False, breached=False, remaining_seconds=86400) == (
        ClockState.RUNNING
    )
    assert clock_state(due_at=due, paused=False, breached=False, remaining_seconds=3600) == (
        ClockState.WARNED
    )
    assert clock_state(
        due_at=due, paused=False, breached=False, remaining_seconds=86400, warned=True
    ) == (ClockState.WARNED)
    assert clock_state(due_at=due, paused=False, breached=False, remaining_seconds=-1) == (
        ClockState.BREACHED
    )
    assert clock_state(due_at=None, paused=True, breached=False, remaining_seconds=None) == (
        ClockState.PAUSED
    )
    assert clock_state(due_at=None, paused=False, breached=False, remaining_seconds=None) == (
        ClockState.NONE
    )


def test_refusals_read_in_indonesian_with_the_service_message_as_fallback() -> None:
    for code in ("illegal_transition", "wrong_role", "wrong_office", "documents_missing"):
        assert code in SENTENCES
    n = explain("wrong_office", 403, "Staff of office 'a' cannot act ...")
    assert n.sentence.startswith("Kasus ini milik kantor lain")
    assert n.service_message.startswith("Staff of office")
    assert explain("brand_new_code", 409, "Something new.").sentence == "Something new."
    assert explain("brand_new_code", 404).sentence == "Data tidak ditemukan."
    n = explain("requirements_incomplete", 409, "", {"missing": ["ktp", "kk"]})
    assert n.missing == ["ktp", "kk"]


def test_navigation_by_role() -> None:
    assert [i.key for i in items_for({Role.FRONT_OFFICE})] == ["work", "reception", "triage"]
    assert [i.key for i in items_for({Role.RECEPTIONIST})] == ["work", "reception"]
    assert [i.key for i in items_for({Role.HEAD_OF_OFFICE})] == ["work", "approvals", "office"]
    assert [i.key for i in items_for({Role.ADMIN})] == ["staff"]
    assert home_for({Role.ADMIN}) == "/admin/staf"
    assert home_for({Role.ANALYST}) is None


async def position(sub: Subscription) -> int | None:
    change = await sub.queue.get()
    assert change is not None
    return change.position


async def test_the_live_hub_routes_by_office_and_case_only() -> None:
    hub = LiveHub()
    case_a, case_b = uuid.uuid4(), uuid.uuid4()
    with (
        hub.subscribe(Topic("lumajang", case_a)) as page_a,
        hub.subscribe(Topic("lumajang")) as office_page,
        hub.subscribe(Topic("kupang")) as other_office,
        hub.subscribe(Topic("kupang", case_a)) as other_office_same_id,
    ):
        assert hub.connections == 4
        assert hub.publish(Change("lumajang", case_a, "DocumentReceived", 7)) == 2
        assert hub.publish(Change("lumajang", case_b, "CaseAssigned", 8)) == 1
        assert await position(page_a) == 7
        assert page_a.queue.empty()
        assert [await position(office_page) for _ in range(2)] == [7, 8]
        assert other_office.queue.empty() and other_office_same_id.queue.empty()
    assert hub.connections == 0
    assert hub.publish(Change("lumajang", case_a, "X", 9)) == 0


async def test_a_slow_page_loses_the_oldest_changes_and_is_told_to_resync() -> None:
    hub = LiveHub()
    with hub.subscribe(Topic("lumajang")) as page:
        for n in range(QUEUE_SIZE + 5):
            hub.publish(Change("lumajang", uuid.uuid4(), "X", n))
        assert page.overflowed
        assert page.queue.qsize() == QUEUE_SIZE
        assert await position(page) == 5  # the oldest five were dropped


async def test_two_hundred_open_pages_are_reached_without_polling() -> None:
    hub = LiveHub()
    case_id = uuid.uuid4()
    received = 0

    async def page(topic: Topic, ready: asyncio.Event, go: asyncio.Event) -> None:
        nonlocal received
        with hub.subscribe(topic) as sub:
            ready.set()
            await go.wait()
            await asyncio.wait_for(sub.queue.get(), 1.0)
            received += 1

    readies = [asyncio.Event() for _ in range(200)]
    go = asyncio.Event()
    tasks = [
        asyncio.create_task(page(Topic("lumajang", case_id if i % 2 else None), r, go))
        for i, r in enumerate(readies)
    ]
    for r in readies:
        await r.wait()
    assert hub.publish(Change("lumajang", case_id, "CaseAssigned", 1)) == 200
    go.set()
    await asyncio.gather(*tasks)
    assert received == 200


def test_the_service_token_carries_the_person_and_expires_soon() -> None:
    settings = Settings()  # the session's key pair (tests/conftest.py)
    a = account(roles=frozenset({Role.OFFICER, Role.FRONT_OFFICE}))
    token = service_token(a, "session-1", settings, minutes=10)
    assert service_token(a, "session-1", settings, minutes=10) == token  # reused
    staff = verify_token(token, settings)
    assert (staff.staff_id, staff.office, staff.name) == ("lmj-desk", "lumajang", a.name)
    assert staff.roles == {Role.OFFICER, Role.FRONT_OFFICE}
    import jwt

    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 600


def test_the_case_page_names_each_timeline_actor_once() -> None:
    case_id = uuid.uuid4()

    class Casework:
        async def case_file(self, token: str, cid: uuid.UUID) -> dict[str, Any]:
            return {
                "case_id": str(case_id),
                "service": "x",
                "timeline": [
                    {  # projected before casework left the actor out of the line
                        "summary": "Jawaban diberikan oleh staff:kc-test",
                        "actor": "staff:kc-test",
                        "time": "2026-11-30T06:05:00Z",
                    },
                    {
                        "summary": "Kasus ditutup",
                        "actor": "staff:kc-test",
                        "time": "2026-11-30T06:06:00Z",
                    },
                ],
            }

        async def deadline(self, token: str, cid: uuid.UUID) -> dict[str, Any]:
            return {"remaining_office_seconds": 56 * HOUR, "published_time": "7 hari kerja"}

    page = asyncio.run(
        views.case_page(
            cast(Any, SimpleNamespace(casework=Casework())),
            "token",
            cast(Any, SimpleNamespace(services={})),
            case_id,
        )
    )
    assert [(i["summary"], i["byline"]) for i in page["timeline"]] == [
        ("Kasus ditutup", "oleh staff:kc-test"),
        ("Jawaban diberikan oleh staff:kc-test", ""),
    ]
    assert time_left(page["remaining_office_seconds"]) == "sisa 7 hari kerja"


def test_a_referral_names_its_agency_and_programme_as_the_standard_does() -> None:
    """Pariaman's referral panel reads "BPJS … · program Kartu Indonesia Sehat (KIS)",
    not the ids; an agency the standard does not list keeps what staff typed."""
    from services.dashboard.views_case import _referrals
    from shared.catalogue import load_catalogue

    standard = load_catalogue().office("pariaman").service("dtks-certificate")
    made = {
        "event_type": "ReferralMade",
        "time": "2026-12-01T08:00:00+07:00",
        "details": {"referral_id": "r1", "agency": "bpjs", "programme": "kis", "reason": "x"},
    }
    typed = {
        "event_type": "ReferralMade",
        "time": "2026-12-01T08:05:00+07:00",
        "details": {"referral_id": "r2", "agency": "uptd-ppa", "reason": "y"},
    }
    first, second = _referrals([made, typed], standard)
    bpjs = next(a.name for a in standard.agencies if a.id == "bpjs")
    assert (first["agency_name"], first["programme_name"]) == (bpjs, "Kartu Indonesia Sehat (KIS)")
    assert (second["agency_name"], second["programme_name"]) == ("uptd-ppa", None)
