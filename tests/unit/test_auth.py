"""Staff tokens: signed with Ed25519 (EdDSA), expiring, verified with the public key alone,
and the role/office checks every command goes through."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import timedelta
from pathlib import Path

import jwt
import pytest

from shared.auth import (
    KeyNotConfigured,
    authorize,
    ensure_dev_key_pair,
    generate_key_pair,
    mint_token,
    verify_token,
)
from shared.contracts.vocab import Role
from shared.refusal import Refused
from shared.settings import Settings

PRIVATE, PUBLIC = generate_key_pair()
S = Settings(slrt_jwt_private_key=PRIVATE, slrt_jwt_public_key=PUBLIC)
# What a service holds: the public key, nothing to sign with.
SERVICE = Settings(slrt_jwt_private_key=None, slrt_jwt_public_key=PUBLIC)
# The development secret staff tokens used to be signed with (HS256).
OLD_SECRET = "dev-only-secret-change-me-0123456789abcdef"


def test_token_round_trip_carries_staff_office_and_roles() -> None:
    token = mint_token(
        "lmj-kabid", "lumajang", [Role.HEAD_OF_DIVISION], name="Kabid Contoh", settings=S
    )
    assert jwt.get_unverified_header(token)["alg"] == "EdDSA"
    staff = verify_token(token, SERVICE)
    assert staff.staff_id == "lmj-kabid"
    assert staff.office == "lumajang"
    assert staff.roles == {Role.HEAD_OF_DIVISION}
    assert staff.actor == "staff:lmj-kabid"


def test_a_service_holding_only_the_public_key_cannot_mint() -> None:
    with pytest.raises(KeyNotConfigured):
        mint_token("x", "lumajang", [Role.ADMIN], settings=SERVICE)


def test_forged_expired_and_garbage_tokens_are_refused() -> None:
    other_private, _ = generate_key_pair()
    forged = mint_token(
        "x", "lumajang", [Role.ADMIN], settings=Settings(slrt_jwt_private_key=other_private)
    )
    expired = mint_token("x", "lumajang", [Role.ADMIN], settings=S, ttl=timedelta(seconds=-5))
    for token, code in [
        (forged, "token_invalid"),
        (expired, "token_expired"),
        ("abc", "token_invalid"),
    ]:
        with pytest.raises(Refused) as err:
            verify_token(token, SERVICE)
        assert err.value.status == 401
        assert err.value.code == code


def _hs256(claims: dict[str, object], key: bytes) -> str:
    """An HS256 token built by hand (PyJWT itself refuses a PEM as an HMAC key)."""

    def b64(raw: bytes) -> bytes:
        return base64.urlsafe_b64encode(raw).rstrip(b"=")

    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps(claims).encode())
    sig = b64(hmac.new(key, head + b"." + body, hashlib.sha256).digest())
    return (head + b"." + body + b"." + sig).decode()


def test_an_hs256_token_signed_with_the_old_secret_is_refused() -> None:
    claims = {
        "sub": "x",
        "office": "lumajang",
        "roles": ["admin"],
        "iss": "slrt",
        "exp": 4102444800,
    }
    for token in (
        jwt.encode(claims, OLD_SECRET, algorithm="HS256"),
        # the classic confusion: HMAC keyed with the public key's own text
        _hs256(claims, PUBLIC.encode()),
        jwt.encode(claims, "", algorithm="none"),
    ):
        with pytest.raises(Refused) as err:
            verify_token(token, SERVICE)
        assert (err.value.status, err.value.code) == (401, "token_invalid")


def test_a_service_without_a_public_key_refuses_every_token() -> None:
    token = mint_token("x", "lumajang", [Role.ADMIN], settings=S)
    with pytest.raises(Refused) as err:
        verify_token(token, Settings(slrt_jwt_public_key=None, slrt_jwt_public_key_file=None))
    assert (err.value.status, err.value.code) == (401, "token_unverifiable")


def test_keys_are_read_from_files_and_the_dev_pair_is_made_once(tmp_path: Path) -> None:
    private_path, public_path = ensure_dev_key_pair(tmp_path / "keys")
    assert private_path.stat().st_mode & 0o077 == 0  # the owner's only
    again = ensure_dev_key_pair(tmp_path / "keys")
    assert again == (private_path, public_path)
    files = Settings(slrt_jwt_private_key_file=private_path, slrt_jwt_public_key_file=public_path)
    files = files.model_copy(update={"slrt_jwt_private_key": None, "slrt_jwt_public_key": None})
    staff = verify_token(mint_token("f", "kupang", [Role.OFFICER], settings=files), files)
    assert staff.office == "kupang"


def test_unknown_role_in_a_token_is_refused() -> None:
    token = jwt.encode(
        {"sub": "x", "office": "kupang", "roles": ["emperor"], "iss": "slrt", "exp": 4102444800},
        PRIVATE,
        algorithm="EdDSA",
    )
    with pytest.raises(Refused):
        verify_token(token, SERVICE)


def test_wrong_role_and_wrong_office_are_403_with_a_code() -> None:
    staff = verify_token(mint_token("d", "lumajang", [Role.FRONT_OFFICE], settings=S), SERVICE)
    authorize(staff, roles=[Role.FRONT_OFFICE, Role.OFFICER], office="lumajang")
    with pytest.raises(Refused) as err:
        authorize(staff, roles=[Role.SECRETARY])
    assert (err.value.status, err.value.code) == (403, "wrong_role")
    with pytest.raises(Refused) as err:
        authorize(staff, office="kupang")
    assert (err.value.status, err.value.code) == (403, "wrong_office")
