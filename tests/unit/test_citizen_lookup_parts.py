"""The pure parts of the citizens' lookup: check codes (hash, seal), survey links, the
portal's throttle, the status command, and the staff notices' routing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from services.intake.domain.inbound import InboundPayload, Sender, status_command
from services.notifications.domain.staff_notices import next_role, notice_id
from services.notifications.views import without_check_code
from services.portal.domain.pages import scores_from
from services.portal.domain.throttle import Throttle
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
