"""Staff tokens over the five real processes: signed with Ed25519, verified with the public
key alone; the services are never given the private key, and a token signed the old way
(HS256 with the development secret) or with another key is refused by every service."""

from __future__ import annotations

from pathlib import Path

import httpx
import jwt
import pytest

from shared.auth import generate_key_pair, mint_token
from shared.contracts.vocab import Role
from shared.devstack import Stack
from shared.kafka import SERVICES
from shared.settings import Settings

pytestmark = pytest.mark.e2e

OLD_DEV_SECRET = "dev-only-secret-change-me-0123456789abcdef"
# A staff read each service answers for an office's staff (no case needed).
READS = {
    "intake": "/v1/inbound",
    "eligibility": "/v1/registry/snapshots",
    "documents": "/v1/cases/00000000-0000-4000-8000-000000000000/checklist",
    "casework": "/v1/cases",
    "notifications": "/v1/cases/00000000-0000-4000-8000-000000000000/notifications",
}


def test_the_services_hold_no_private_key(stack: Stack) -> None:
    for name in SERVICES:
        environ = Path(f"/proc/{stack.processes[name].pid}/environ").read_bytes()
        names = {item.split(b"=", 1)[0] for item in environ.split(b"\0") if item}
        assert b"SLRT_JWT_PUBLIC_KEY" in names or b"SLRT_JWT_PUBLIC_KEY_FILE" in names
        assert not names & {b"SLRT_JWT_PRIVATE_KEY", b"SLRT_JWT_PRIVATE_KEY_FILE"}, name


def test_every_service_refuses_tokens_not_signed_with_the_staff_key(stack: Stack) -> None:
    claims = {
        "sub": "x",
        "office": "lumajang",
        "roles": ["admin", "front_office"],
        "iss": "slrt",
        "exp": 4102444800,
    }
    old = jwt.encode(claims, OLD_DEV_SECRET, algorithm="HS256")
    other_key = mint_token(
        "x",
        "lumajang",
        [Role.ADMIN, Role.FRONT_OFFICE],
        settings=Settings(slrt_jwt_private_key=generate_key_pair()[0]),
    )
    good = mint_token("x", "lumajang", [Role.ADMIN, Role.FRONT_OFFICE])
    with httpx.Client(timeout=10) as c:
        for name, path in READS.items():
            url = stack.url(name) + path
            for token in (old, other_key):
                r = c.get(url, headers={"Authorization": f"Bearer {token}"})
                assert r.status_code == 401, (name, r.text)
                assert r.json()["error"]["code"] == "token_invalid"
            r = c.get(url, headers={"Authorization": f"Bearer {good}"})
            assert r.status_code != 401, (name, r.text)
