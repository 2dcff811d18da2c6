"""The pure parts of the citizens' lookup: check codes (hash, seal), survey links, the
portal's throttle, the status command, the staff notices' routing, and the status page's
words and due time (every status casework can report, told honestly)."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest
from structlog.testing import capture_logs

from services.casework.domain.deadlines import OfficeCalendar
from services.casework.domain.model import PUBLIC_STATUSES
from services.intake.domain.inbound import InboundPayload, Sender, status_command
from services.notifications.domain.staff_notices import next_role, notice_id
from services.notifications.views import without_check_code
from services.portal.adapters.services import PublicStatus, Services, VerifiedTicket
from services.portal.domain.pages import OFFICE_CLOSES, due_text, scores_from, status_page
from services.portal.domain.status_words import PORTAL_STATUSES, UNKNOWN, words_for
from services.portal.domain.throttle import Throttle
from services.portal.service_layer.look_up_status import Found, look_up_status
from shared.catalogue import Catalogue, load_catalogue
from shared.check_codes import (
    ALPHABET,
    LENGTH,
    hash_check_code,
    matches,
    new_check_code,
    seal,
    unseal,
)
from shared.contracts.vocab import Role
from shared.survey_links import check_survey_token, mint_survey_token

SECRET = "test-secret"


def test_check_codes_are_random_hashed_and_sealed_to_their_case() -> None:
    codes = {new_check_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(len(c) == LENGTH and set(c) <= set(ALPHABET) for c in codes)
    code = new_check_code()
    stored = hash_check_code(code, secret=SECRET)
    assert code not in stored
    assert matches(code.lower(), stored, secret=SECRET)  # typed in lower case
    assert matches(f"{code[:4]}-{code[4:]}", stored, secret=SECRET)
    assert not matches(code, stored, secret="another")
    assert not matches(code, None, secret=SECRET)
    case_id = uuid4()
    sealed = seal(code, case_id, secret=SECRET)
    assert code not in sealed
    assert unseal(sealed, case_id, secret=SECRET) == code
    assert unseal(sealed, uuid4(), secret=SECRET) is None  # bound to its case
    assert unseal(sealed, case_id, secret="another") is None
    assert unseal("garbage", case_id, secret=SECRET) is None


def test_survey_links_cannot_be_forged_moved_or_stretched() -> None:
    now = datetime(2026, 11, 1, tzinfo=UTC)
    token = mint_survey_token(
        "kupang", "KPN-2026-000001", secret=SECRET, expires_at=now + timedelta(days=30)
    )
    found = check_survey_token(token, secret=SECRET, now=now)
    assert found is not None and found.ticket_number == "KPN-2026-000001"
    assert check_survey_token(token, secret="another", now=now) is None
    assert check_survey_token(token, secret=SECRET, now=now + timedelta(days=31)) is None
    body, mac = token.split(".")
    assert check_survey_token(body[:-2] + "AA." + mac, secret=SECRET, now=now) is None
    assert check_survey_token("no-dot", secret=SECRET, now=now) is None


def test_the_throttle_keeps_a_budget_per_address_and_grows_the_wait() -> None:
    throttle = Throttle(per_minute=3, base=0.25, cap=1.0)
    assert [throttle.admit("a", 0.0 + i) for i in range(4)] == [True, True, True, False]
    assert throttle.admit("b", 3.5)  # another address has its own budget
    assert throttle.admit("a", 61.0)  # a minute later
    waits = [throttle.failed(("client:a", "ticket:T"), float(i))[0] for i in range(5)]
    assert waits == [0.25, 0.5, 1.0, 1.0, 1.0]
    # Guessing one ticket from another address pays the ticket's count too.
    assert throttle.failed(("client:c", "ticket:T"), 6.0) == (1.0, 6)
    # Forgotten after a quiet spell.
    assert throttle.failed(("client:a",), 10_000.0) == (0.25, 1)


def test_the_status_command_is_recognised_and_nothing_else() -> None:
    def said(text: str, subject: str = "") -> str | None:
        return status_command(InboundPayload(text=text, subject=subject, sender=Sender()))

    assert said("status LMJ-2026-000123") == "LMJ-2026-000123"
    assert said("Cek lmj-2026-000123") == "LMJ-2026-000123"
    assert said("cek status: KPN-2026-000001.") == "KPN-2026-000001"
    assert said("", subject="STATUS PRM-2026-000007") == "PRM-2026-000007"
    assert said("Mohon status LMJ-2026-000123 dicek, terima kasih") is None  # a reply
    assert said("bantuan PKH belum cair") is None


def test_staff_see_the_first_message_without_the_check_code() -> None:
    body = "Kode cek Anda: K7P2QXMZ. Tiket LMJ-2026-000123, Lumajang."
    assert without_check_code("complaint_registered", body) == (
        "Kode cek Anda: ********. Tiket LMJ-2026-000123, Lumajang."
    )
    assert without_check_code("letter_online", body) == body


def test_survey_scores_and_staff_notice_routing() -> None:
    assert scores_from({f"u{i}": "4" for i in range(1, 10)}) == {f"u{i}": 4 for i in range(1, 10)}
    assert scores_from({f"u{i}": "5" for i in range(1, 10)}) is None
    assert scores_from({"u1": "3"}) is None
    chain = (Role.SUB_COORDINATOR, Role.HEAD_OF_DIVISION, Role.SECRETARY)
    assert next_role(chain, Role.SUB_COORDINATOR) == Role.HEAD_OF_DIVISION
    assert next_role(chain, Role.SECRETARY) is None
    cause = uuid4()
    assert notice_id(cause, "staff:a") == notice_id(cause, "staff:a") != notice_id(cause, "b")


# ---- the status page: every status in honest words, the due time in the office's zone ----


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


def test_every_status_casework_reports_has_its_own_words_on_the_portal(
    catalogue: Catalogue,
) -> None:
    # A status added to what casework tells citizens (`PublicCaseStatus`) fails here until
    # the portal words it (`FINER_STATUSES` and the catalogue messages); every key has words
    # in every office.
    assert set(PUBLIC_STATUSES) | {"not_eligible_domicile"} == PORTAL_STATUSES
    for office in catalogue.offices:
        pieces = catalogue.messages_for(office).pieces
        received = pieces["status.registered.label"]
        for status in PORTAL_STATUSES:
            words = words_for(status, pieces)
            assert words is not None, (office, status)
            assert words.label.strip() and words.next_step.strip(), (office, status)
            if status != "registered":  # nothing else is told as "received"
                assert words.label != received, (office, status)
    not_eligible = words_for("not_eligible", catalogue.messages_for("mataram").pieces)
    assert not_eligible is not None
    assert "DTKS" in not_eligible.label and "belum dapat kami proses" in not_eligible.next_step
    assert "Hubungi kantor" in not_eligible.next_step and "desa/kelurahan" in not_eligible.next_step
    assert words_for("a_status_of_tomorrow", catalogue.messages_for("mataram").pieces) is None


def test_the_due_time_shows_the_hour_unless_it_is_the_office_closing() -> None:
    # A 1-hour standard: due within the day, in the office's zone (Mataram: WITA).
    assert due_text(datetime(2026, 12, 1, 5, 5, tzinfo=UTC), "52.71") == (
        "1 Desember 2026 pukul 13.05 WITA"
    )
    assert due_text(datetime(2026, 12, 1, 5, 5, tzinfo=UTC), "35.08") == (
        "1 Desember 2026 pukul 12.05 WIB"
    )
    assert due_text(datetime(2026, 12, 1, 5, 5), "52.71").endswith("13.05 WITA")  # naive: UTC
    # Working days end at the office's closing (16.00 local): the date says it all.
    assert due_text(datetime(2026, 12, 1, 8, 0, tzinfo=UTC), "52.71") == "1 Desember 2026"
    assert due_text(datetime(2026, 12, 1, 9, 0, tzinfo=UTC), "35.08") == "1 Desember 2026"
    # After midnight UTC-wise it is already the next office day in WITA.
    assert due_text(datetime(2026, 11, 30, 23, 30, tzinfo=UTC), "52.71") == (
        "1 Desember 2026 pukul 07.30 WITA"
    )
    closes = next(f.default for f in fields(OfficeCalendar) if f.name == "closes")
    assert closes == OFFICE_CLOSES  # casework's deadlines end at the same hour


class _Casework(Services):
    """intake's and casework's answers for one case, without HTTP."""

    def __init__(self, status: PublicStatus | None) -> None:
        self.status = status

    async def verify(self, office: str, ticket: str, code: str) -> VerifiedTicket | None:
        return VerifiedTicket(UUID(int=7), ticket, office)

    async def public_status(self, case_id: UUID) -> PublicStatus | None:
        return self.status


async def _page_for(
    catalogue: Catalogue,
    status: PublicStatus | None,
    today: datetime = datetime(2026, 12, 1, 0, 0, tzinfo=UTC),
) -> str:
    async def no_sleep(_: float) -> None:
        return None

    found = await look_up_status(
        _Casework(status),
        Throttle(per_minute=10, base=0.25, cap=1.0),
        catalogue,
        office="mataram",
        ticket="mtr-2026-000042",
        code="K7P2QXMZ",
        client="198.51.100.7",
        now=0.0,
        sleep=no_sleep,
        today=today,
    )
    assert isinstance(found, Found)
    return status_page("mataram", found.view)


def _status(
    status: str | None, stage: str = "registered", because: str | None = None
) -> PublicStatus:
    return PublicStatus(
        stage=stage,
        service="sembako-complaint",
        status=status,
        not_eligible_because=because,
        due_at=datetime(2026, 12, 1, 5, 5, tzinfo=UTC),
        paused=False,
        published_time="1 jam",
    )


async def test_a_case_not_in_dtks_is_not_shown_as_received(catalogue: Catalogue) -> None:
    page = await _page_for(catalogue, _status("not_eligible"))
    assert "MTR-2026-000042" in page
    assert "Belum dapat diproses: data Anda belum terdaftar dalam DTKS" in page
    assert "sehingga permohonan belum dapat kami proses" in page
    assert "pemutakhiran data DTKS" in page
    assert "Diterima" not in page and "akan segera diperiksa" not in page
    assert "<dd>1 Desember 2026 pukul 13.05 WITA</dd>" in page
    assert "Dinas Sosial Kota Mataram, Jl. R. A. Kartini No. 3" in page


async def test_a_due_time_gone_by_is_said_to_be_late(catalogue: Catalogue) -> None:
    later = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)  # 14.00 WITA, the 13.05 due time gone
    page = await _page_for(catalogue, _status("registered"), today=later)
    assert "<dd>1 Desember 2026 pukul 13.05 WITA (sudah terlewati)</dd>" in page
    page = await _page_for(catalogue, _status("registered"))
    assert "terlewati" not in page


async def test_a_domicile_outside_the_area_is_not_told_as_dtks(catalogue: Catalogue) -> None:
    page = await _page_for(catalogue, _status("not_eligible", because="domicile"))
    assert "domisili Anda di luar wilayah layanan kantor ini" in page
    assert "DTKS" not in page and "Diterima" not in page
    dtks = await _page_for(catalogue, _status("not_eligible", because="dtks"))
    assert "belum terdaftar dalam DTKS" in dtks


async def test_the_stage_alone_and_an_unknown_status_are_told_honestly(
    catalogue: Catalogue,
) -> None:
    # casework's read without a finer status: the stage, in the office's words.
    assert "<dd>Diterima</dd>" in await _page_for(catalogue, _status(None))
    assert "<dd>Sedang diproses</dd>" in await _page_for(catalogue, _status(None, "in_progress"))
    # Not seen by casework yet: intake has registered it.
    assert "<dd>Diterima</dd>" in await _page_for(catalogue, None)
    # A status the portal does not know: said so and logged, never "Diterima".
    with capture_logs() as logs:
        page = await _page_for(catalogue, _status("a_status_of_tomorrow"))
    assert f"<dd>{UNKNOWN.label}</dd>" in page and "Diterima" not in page
    assert any(
        e["event"] == "status_words_missing" and e["status"] == "a_status_of_tomorrow" for e in logs
    )


async def test_a_clock_paused_for_another_agency_is_not_told_as_waiting_for_the_citizen(
    catalogue: Catalogue,
) -> None:
    waiting = PublicStatus(
        stage="waiting_for_agency",
        service="sembako-complaint",
        status="waiting_for_agency",
        not_eligible_because=None,
        due_at=None,
        paused=True,
        published_time="1 jam",
    )
    page = await _page_for(catalogue, waiting)
    assert "<dd>Menunggu jawaban instansi lain</dd>" in page
    assert "dihentikan sementara selama menunggu" in page and "kelengkapan" not in page


async def test_a_client_in_counselling_is_told_the_time_leaves_it_out(
    catalogue: Catalogue,
) -> None:
    counselling = PublicStatus(
        stage="in_progress",
        service="sembako-complaint",
        status="in_progress",
        not_eligible_because=None,
        due_at=None,
        paused=True,
        published_time="7 hari kerja",
        paused_for="counselling",
    )
    page = await _page_for(catalogue, counselling)
    assert "tidak dihitung selama konseling dengan psikolog" in page
    assert "menunggu" not in page.split("Batas waktu penyelesaian")[1][:80]
