"""Intake's use cases on the in-memory unit of work: no PostgreSQL, milliseconds each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from services.intake.domain.duplicates import (
    LikelyDuplicate,
    OpenCase,
    Request,
    likely_duplicate,
)
from services.intake.service_layer.confirm_duplicate import confirm_duplicate
from services.intake.service_layer.dismiss_duplicate import dismiss_duplicate
from services.intake.service_layer.return_id_card import return_id_card
from services.intake.service_layer.sign_guest_book import sign_guest_book
from shared.auth import StaffIdentity
from shared.catalogue import Catalogue, load_catalogue
from shared.contracts.base import EventMetadata
from shared.contracts.intake_events import DuplicateDismissed, DuplicateSuspected, ReplyReceived
from shared.contracts.streams import complaint_stream, visit_stream
from shared.contracts.vocab import Channel, Role
from shared.localtime import WITA
from shared.refusal import Refused
from shared.unit_of_work import Loaded
from tests.unit.fakes_intake import FakeDuplicateLinks, FakeIntake, FakeIntakeUnitOfWork

DESK = StaffIdentity(staff_id="kpg-fo-01", office="kupang", roles=frozenset({Role.FRONT_OFFICE}))
OTHER = StaffIdentity(staff_id="lmj-fo-01", office="lumajang", roles=frozenset({Role.FRONT_OFFICE}))


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


async def suspected(db: FakeIntake, office: str = "kupang") -> tuple[UUID, UUID]:
    case_id, earlier = uuid4(), uuid4()
    await db.events.append(
        complaint_stream(case_id),
        0,
        [
            DuplicateSuspected(
                case_id=case_id, duplicate_of=earlier, reason="same_phone", window_days=30
            )
        ],
        EventMetadata(case_id=case_id, office=office, actor="intake:adapter"),
    )
    db.events.commit()
    return case_id, earlier


# ---- likely duplicates ------------------------------------------------------------------


def test_the_rule_takes_the_earliest_open_case_within_thirty_days() -> None:
    now = datetime(2026, 3, 2, tzinfo=UTC)
    new = Request("kupang", "pkh", now, nik="5371014101900001", phone="+6281200000001")

    def case(days: int, **kw: object) -> OpenCase:
        req = Request("kupang", kw.pop("service", "pkh"), now - timedelta(days=days), **kw)  # type: ignore[arg-type]
        return OpenCase(uuid4(), req)

    by_phone = case(20, service="kks", phone="+6281200000001")
    by_nik = case(5, nik="5371014101900001")
    too_old = case(31, nik="5371014101900001")
    closed = OpenCase(uuid4(), case(25, nik="5371014101900001").request, closed=True)
    assert likely_duplicate(new, [by_nik, too_old, closed, by_phone]) == LikelyDuplicate(
        by_phone.case_id, "same_phone"
    )
    assert likely_duplicate(new, [by_nik]) == LikelyDuplicate(
        by_nik.case_id, "same_nik_and_service"
    )
    assert likely_duplicate(new, [too_old, closed]) is None
    other_office = OpenCase(uuid4(), Request("mataram", "pkh", now, nik="5371014101900001"))
    assert likely_duplicate(new, [other_office]) is None


async def test_confirming_a_duplicate_appends_the_fact() -> None:
    db = FakeIntake()
    case_id, earlier = await suspected(db)
    out = await confirm_duplicate(db.new_uow, DESK, case_id, correlation_id=uuid4())
    assert out == {"case_id": str(case_id), "duplicate_of": str(earlier), "status": "confirmed"}
    assert db.types(complaint_stream(case_id)) == ["DuplicateSuspected", "DuplicateConfirmed"]
    confirmed = db.events.committed[-1]
    assert confirmed.case_id == case_id and confirmed.actor == "staff:kpg-fo-01"


async def test_a_decided_link_is_refused_and_nothing_is_written() -> None:
    db = FakeIntake()
    case_id, _ = await suspected(db)
    await dismiss_duplicate(db.new_uow, DESK, case_id, reason="different", correlation_id=uuid4())
    with pytest.raises(Refused) as info:
        await confirm_duplicate(db.new_uow, DESK, case_id, correlation_id=uuid4())
    assert (info.value.code, info.value.status) == ("already_decided", 409)
    assert info.value.details == {"status": "dismissed"}
    assert db.types(complaint_stream(case_id)) == ["DuplicateSuspected", "DuplicateDismissed"]
    assert not db.units[-1].committed


async def test_another_office_or_no_link_is_refused() -> None:
    db = FakeIntake()
    case_id, _ = await suspected(db)
    with pytest.raises(Refused) as info:
        await dismiss_duplicate(db.new_uow, OTHER, case_id, reason="", correlation_id=uuid4())
    assert (info.value.code, info.value.status) == ("wrong_office", 403)
    with pytest.raises(Refused) as info:
        await confirm_duplicate(db.new_uow, DESK, uuid4(), correlation_id=uuid4())
    assert (info.value.code, info.value.status) == ("no_duplicate", 404)


class Racing(FakeDuplicateLinks):
    """Another writer appends to the stream just after the first load."""

    def __init__(self, db: FakeIntake, event: object) -> None:
        super().__init__(db.events)
        self.db = db
        self.event = event
        self.loads = 0

    async def load(self, key: UUID) -> Loaded:  # type: ignore[type-arg]
        loaded = await super().load(key)
        self.loads += 1
        if self.loads == 1:
            pending, self.db.events.pending = self.db.events.pending, []
            await self.db.events.append(
                complaint_stream(key),
                loaded.version,
                [self.event],  # type: ignore[list-item]
                EventMetadata(case_id=key, office="kupang"),
            )
            self.db.events.commit()
            self.db.events.pending = pending
        return loaded


async def test_a_moved_stream_is_decided_again() -> None:
    db = FakeIntake()
    case_id, _ = await suspected(db)
    reply = ReplyReceived(case_id=case_id, inbound_id=uuid4(), channel=Channel.EMAIL)
    racing = Racing(db, reply)

    def new_uow() -> FakeIntakeUnitOfWork:
        uow = db.new_uow()
        uow.duplicates = racing
        return uow

    await confirm_duplicate(new_uow, DESK, case_id, correlation_id=uuid4())
    assert racing.loads == 2
    assert db.types(complaint_stream(case_id)) == [
        "DuplicateSuspected",
        "ReplyReceived",
        "DuplicateConfirmed",
    ]


async def test_two_officers_at_once_get_one_success_and_one_refusal() -> None:
    db = FakeIntake()
    case_id, earlier = await suspected(db)
    other_officer = DuplicateDismissed(
        case_id=case_id, duplicate_of=earlier, dismissed_by="staff:kpg-fo-02"
    )
    racing = Racing(db, other_officer)

    def new_uow() -> FakeIntakeUnitOfWork:
        uow = db.new_uow()
        uow.duplicates = racing
        return uow

    with pytest.raises(Refused) as info:
        await confirm_duplicate(new_uow, DESK, case_id, correlation_id=uuid4())
    assert info.value.code == "already_decided"
    assert db.types(complaint_stream(case_id)) == ["DuplicateSuspected", "DuplicateDismissed"]


# ---- the walk-in desk -------------------------------------------------------------------


async def test_the_guest_book_numbers_the_days_visitors(catalogue: Catalogue) -> None:
    db = FakeIntake()
    first = await sign_guest_book(
        db.new_uow,
        catalogue,
        DESK,
        name="Warga",
        phone=None,
        nik=None,
        purpose="Pengaduan",
        id_card="ktp",
        correlation_id=uuid4(),
    )
    second = await sign_guest_book(
        db.new_uow,
        catalogue,
        DESK,
        name="Warga Lain",
        phone=None,
        nik=None,
        purpose="Tanya",
        id_card=None,
        correlation_id=uuid4(),
    )
    assert (first.queue_number, second.queue_number) == ("A-001", "A-002")
    assert first.visit_date == datetime.now(WITA).date()  # Kupang keeps WITA
    assert db.types(visit_stream(first.visit_id)) == ["GuestBookSigned", "IdCardDeposited"]
    assert db.types(visit_stream(second.visit_id)) == ["GuestBookSigned"]


async def test_an_office_outside_the_catalogue_cannot_sign(catalogue: Catalogue) -> None:
    nowhere = DESK.model_copy(update={"office": "atlantis"})
    with pytest.raises(Refused) as info:
        await sign_guest_book(
            FakeIntake().new_uow,
            catalogue,
            nowhere,
            name="x",
            phone=None,
            nik=None,
            purpose="x",
            id_card=None,
            correlation_id=uuid4(),
        )
    assert (info.value.code, info.value.status) == ("wrong_office", 403)


async def test_an_id_card_is_returned_once(catalogue: Catalogue) -> None:
    db = FakeIntake()

    async def visit(card: bool) -> UUID:
        v = await sign_guest_book(
            db.new_uow,
            catalogue,
            DESK,
            name="Warga",
            phone=None,
            nik=None,
            purpose="Pengaduan",
            id_card="ktp" if card else None,
            correlation_id=uuid4(),
        )
        return v.visit_id

    with_card, without = await visit(True), await visit(False)
    out = await return_id_card(db.new_uow, DESK, with_card, correlation_id=uuid4())
    assert out == {"visit_id": str(with_card), "id_card": "returned"}
    for visit_id, staff, code in [
        (with_card, DESK, "already_returned"),
        (without, DESK, "no_id_card"),
        (with_card, OTHER, "wrong_office"),
        (uuid4(), DESK, "visit_not_found"),
    ]:
        with pytest.raises(Refused) as info:
            await return_id_card(db.new_uow, staff, visit_id, correlation_id=uuid4())
        assert info.value.code == code
    assert db.types(visit_stream(with_card)) == [
        "GuestBookSigned",
        "IdCardDeposited",
        "IdCardReturned",
    ]
