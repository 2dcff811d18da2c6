"""Staff tokens: signed, expiring, and the role/office checks every command goes through."""

from __future__ import annotations

from datetime import timedelta

import jwt
import pytest

from shared.auth import authorize, mint_token, verify_token
from shared.contracts.vocab import Role
from shared.refusal import Refused
from shared.settings import Settings

S = Settings(slrt_jwt_secret="unit-test-secret-0123456789abcdef0123")


def test_token_round_trip_carries_staff_office_and_roles() -> None:
    token = mint_token(
        "lmj-kabid", "lumajang", [Role.HEAD_OF_DIVISION], name="Kabid Contoh", settings=S
    )
    staff = verify_token(token, S)
    assert staff.staff_id == "lmj-kabid"
    assert staff.office == "lumajang"
    assert staff.roles == {Role.HEAD_OF_DIVISION}
    assert staff.actor == "staff:lmj-kabid"


def test_forged_expired_and_garbage_tokens_are_refused() -> None:
    forged = mint_token("x", "lumajang", [Role.ADMIN], settings=Settings(slrt_jwt_secret="o" * 40))
    expired = mint_token("x", "lumajang", [Role.ADMIN], settings=S, ttl=timedelta(seconds=-5))
    for token, code in [
        (forged, "token_invalid"),
        (expired, "token_expired"),
        ("abc", "token_invalid"),
    ]:
        with pytest.raises(Refused) as err:
            verify_token(token, S)
        assert err.value.status == 401
        assert err.value.code == code


def test_unknown_role_in_a_token_is_refused() -> None:
    token = jwt.encode(
        {"sub": "x", "office": "kupang", "roles": ["emperor"], "iss": "slrt", "exp": 4102444800},
        S.slrt_jwt_secret,
        algorithm="HS256",
    )
    with pytest.raises(Refused):
        verify_token(token, S)


def test_wrong_role_and_wrong_office_are_403_with_a_code() -> None:
    staff = verify_token(mint_token("d", "lumajang", [Role.FRONT_OFFICE], settings=S), S)
    authorize(staff, roles=[Role.FRONT_OFFICE, Role.OFFICER], office="lumajang")
    with pytest.raises(Refused) as err:
        authorize(staff, roles=[Role.SECRETARY])
    assert (err.value.status, err.value.code) == (403, "wrong_role")
    with pytest.raises(Refused) as err:
        authorize(staff, office="kupang")
    assert (err.value.status, err.value.code) == (403, "wrong_office")
