"""Staff identity: a signed bearer token (JWT, HS256) carrying staff id, office and roles.

Every staff command is checked here: a wrong role or another office's case is refused with
403 and a machine-readable reason. Channel webhooks authenticate differently (by the
channel's own signature), through `WebhookVerifier` — the seam is left for them.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Protocol

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict

from shared.contracts.vocab import Role
from shared.refusal import Refused
from shared.settings import Settings, get_settings


class StaffIdentity(BaseModel):
    model_config = ConfigDict(frozen=True)

    staff_id: str
    office: str
    roles: frozenset[Role]
    name: str | None = None

    @property
    def actor(self) -> str:
        return f"staff:{self.staff_id}"

    def has_any(self, roles: Iterable[Role]) -> bool:
        return bool(self.roles & set(roles))


def mint_token(
    staff_id: str,
    office: str,
    roles: Iterable[Role | str],
    *,
    name: str | None = None,
    settings: Settings | None = None,
    ttl: timedelta | None = None,
) -> str:
    s = settings or get_settings()
    now = datetime.now(UTC)
    claims = {
        "sub": staff_id,
        "office": office,
        "roles": sorted(Role(r).value for r in roles),
        "iss": s.slrt_jwt_issuer,
        "iat": now,
        "exp": now + (ttl or timedelta(minutes=s.slrt_token_ttl_minutes)),
    }
    if name:
        claims["name"] = name
    return jwt.encode(claims, s.slrt_jwt_secret, algorithm="HS256")


# Verified tokens, so that a desk sending many requests is not re-verified each time:
# token -> (identity, expiry as epoch seconds). Bounded; an expired entry is re-checked.
_VERIFIED: dict[tuple[str, str, str], tuple[StaffIdentity, float]] = {}
_VERIFIED_MAX = 4096


def verify_token(token: str, settings: Settings | None = None) -> StaffIdentity:
    s = settings or get_settings()
    key = (token, s.slrt_jwt_secret, s.slrt_jwt_issuer)
    cached = _VERIFIED.get(key)
    if cached is not None and cached[1] > time.time():
        return cached[0]
    staff, expires = _verify(token, s)
    if len(_VERIFIED) >= _VERIFIED_MAX:
        _VERIFIED.clear()
    _VERIFIED[key] = (staff, expires)
    return staff


def _verify(token: str, s: Settings) -> tuple[StaffIdentity, float]:
    try:
        claims = jwt.decode(
            token,
            s.slrt_jwt_secret,
            algorithms=["HS256"],
            issuer=s.slrt_jwt_issuer,
            options={"require": ["sub", "exp", "iss"]},
        )
        staff = StaffIdentity(
            staff_id=claims["sub"],
            office=claims["office"],
            roles=frozenset(Role(r) for r in claims.get("roles", [])),
            name=claims.get("name"),
        )
        return staff, float(claims["exp"])
    except jwt.ExpiredSignatureError as exc:
        raise Refused("token_expired", "The bearer token has expired.", status=401) from exc
    except (jwt.InvalidTokenError, KeyError, ValueError) as exc:
        raise Refused("token_invalid", f"The bearer token is not valid: {exc}", status=401) from exc


_bearer = HTTPBearer(auto_error=False)


async def current_staff(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> StaffIdentity:
    """FastAPI dependency: the authenticated staff member, or 401."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Refused("token_missing", "A staff bearer token is required.", status=401)
    staff = verify_token(credentials.credentials)
    request.state.staff = staff
    return staff


Staff = Annotated[StaffIdentity, Depends(current_staff)]


def authorize(
    staff: StaffIdentity, *, roles: Iterable[Role] | None = None, office: str | None = None
) -> None:
    """Refuse (403) a staff member without one of `roles`, or acting on another office."""
    if office is not None and staff.office != office:
        raise Refused.forbidden(
            "wrong_office",
            f"Staff of office {staff.office!r} cannot act on a case of office {office!r}.",
        )
    wanted = set(roles or ())
    if wanted and not staff.has_any(wanted):
        raise Refused.forbidden(
            "wrong_role",
            "This command needs one of the roles: " + ", ".join(sorted(r.value for r in wanted)),
            {"required_roles": sorted(r.value for r in wanted), "roles": sorted(staff.roles)},
        )


class WebhookVerifier(Protocol):
    """How a channel adapter proves a webhook came from the channel (HMAC, etc.)."""

    def verify(self, body: bytes, headers: dict[str, str]) -> bool: ...


def cli(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="slrt token", description="Mint a staff token for local use.")
    p.add_argument("--staff-id", required=True)
    p.add_argument("--office", required=True, help="catalogue office id, e.g. lumajang")
    p.add_argument("--role", action="append", required=True, choices=[r.value for r in Role])
    p.add_argument("--name")
    p.add_argument("--hours", type=float, default=8.0)
    a = p.parse_args(argv)
    print(mint_token(a.staff_id, a.office, a.role, name=a.name, ttl=timedelta(hours=a.hours)))
