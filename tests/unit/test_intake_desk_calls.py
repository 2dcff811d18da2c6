"""Calling the next visitor at the walk-in desk (`VisitCalled`), on the in-memory unit of
work: a number is called once, only by its own office."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest

from services.intake.service_layer.call_visitor import call_visitor
from services.intake.service_layer.sign_guest_book import sign_guest_book
from shared.auth import StaffIdentity
from shared.catalogue import Catalogue, load_catalogue
from shared.contracts.streams import visit_stream
from shared.contracts.vocab import Role
from shared.refusal import Refused
from tests.unit.fakes_intake import FakeIntake

DESK = StaffIdentity(staff_id="kpg-rc-01", office="kupang", roles=frozenset({Role.RECEPTIONIST}))
OTHER = StaffIdentity(staff_id="lmj-fo-01", office="lumajang", roles=frozenset({Role.FRONT_OFFICE}))


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


async def test_a_waiting_number_is_called_once(catalogue: Catalogue) -> None:
    db = FakeIntake()

    async def visit() -> UUID:
        v = await sign_guest_book(
            db.new_uow,
            catalogue,
            DESK,
            name="Tamu Contoh",
            phone=None,
            nik=None,
            purpose="Pengaduan",
            id_card=None,
            correlation_id=uuid4(),
        )
        return v.visit_id

    first, second = await visit(), await visit()
    out = await call_visitor(db.new_uow, DESK, second, correlation_id=uuid4())
    assert out == {"visit_id": str(second), "queue_number": "A-002", "status": "called"}
    for visit_id, staff, code, status in [
        (second, DESK, "already_called", 409),
        (first, OTHER, "wrong_office", 403),
        (uuid4(), DESK, "visit_not_found", 404),
    ]:
        with pytest.raises(Refused) as info:
            await call_visitor(db.new_uow, staff, visit_id, correlation_id=uuid4())
        assert (info.value.code, info.value.status) == (code, status)
    assert db.types(visit_stream(second)) == ["GuestBookSigned", "VisitCalled"]
    assert db.types(visit_stream(first)) == ["GuestBookSigned"]
