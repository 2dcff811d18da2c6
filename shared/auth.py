"""Staff identity: a signed bearer token (JWT, EdDSA/Ed25519) carrying staff id, office and
roles.

Tokens are signed with a private key that only the staff web app (`services/dashboard`) and
the `slrt token` command hold; the five services hold the public key alone, so none of them
can mint a token. An HS256 token (the shared secret of old) is refused.

Every staff command is checked here: a wrong role or another office's case is refused with
403 and a machine-readable reason. Channel webhooks authenticate differently (by the
channel's own signature), through `WebhookVerifier` — the seam is left for them.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Protocol

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
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


ALGORITHM = "EdDSA"
DEV_KEY_DIR = "keys"  # under SLRT_DATA_DIR: `make up` keeps its development key pair here
PRIVATE_KEY_FILE = "staff-token-ed25519.pem"
PUBLIC_KEY_FILE = "staff-token-ed25519.pub.pem"


class KeyNotConfigured(RuntimeError):
    """This process holds no key for what it was asked to do (a service cannot mint)."""


def generate_key_pair() -> tuple[str, str]:
    """A fresh Ed25519 key pair as (private PEM, public PEM)."""
    private = Ed25519PrivateKey.generate()
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private_pem, public_pem


def ensure_dev_key_pair(directory: Path) -> tuple[Path, Path]:
    """The development key pair under `directory` (`.slrt/keys/`), made on first use.
    The private key file is readable by its owner only."""
    directory.mkdir(parents=True, exist_ok=True)
    private_path, public_path = directory / PRIVATE_KEY_FILE, directory / PUBLIC_KEY_FILE
    if not (private_path.exists() and public_path.exists()):
        private_pem, public_pem = generate_key_pair()
        private_path.touch(mode=0o600)
        private_path.write_text(private_pem)
        public_path.write_text(public_pem)
    return private_path, public_path


def _pem(value: str | None, path: Path | None) -> str | None:
    if value:
        return value.replace("\\n", "\n")  # a PEM squeezed onto one line in an env file
    if path is not None:
        # Read again only when the file changes (a rotated key): every request asks.
        st = path.stat()
        return _pem_file(path, st.st_mtime_ns, st.st_size)
    return None


@lru_cache(maxsize=8)
def _pem_file(path: Path, _mtime_ns: int, _size: int) -> str:
    return path.read_text()


@lru_cache(maxsize=8)
def _private_key(pem: str) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyNotConfigured("SLRT_JWT_PRIVATE_KEY is not an Ed25519 private key")
    return key


@lru_cache(maxsize=8)
def _public_key(pem: str) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem.encode())
    if not isinstance(key, Ed25519PublicKey):
        raise KeyNotConfigured("SLRT_JWT_PUBLIC_KEY is not an Ed25519 public key")
    return key


def signing_key(settings: Settings) -> Ed25519PrivateKey:
    pem = _pem(settings.slrt_jwt_private_key, settings.slrt_jwt_private_key_file)
    if pem is None:
        raise KeyNotConfigured(
            "No signing key: SLRT_JWT_PRIVATE_KEY(_FILE) is not set. Only the dashboard and "
            "`slrt token` sign staff tokens; the services only verify them."
        )
    return _private_key(pem)


def verifying_key_pem(settings: Settings) -> str | None:
    return _pem(settings.slrt_jwt_public_key, settings.slrt_jwt_public_key_file)


def mint_token(
    staff_id: str,
    office: str,
    roles: Iterable[Role | str],
    *,
    name: str | None = None,
    settings: Settings | None = None,
    ttl: timedelta | None = None,
) -> str:
    """A staff token signed with the Ed25519 private key (EdDSA). Raises
    `KeyNotConfigured` in a process that holds only the public key."""
    s = settings or get_settings()
    now = datetime.now(UTC)
    claims: dict[str, object] = {
        "sub": staff_id,
        "office": office,
        "roles": sorted(Role(r).value for r in roles),
        "iss": s.slrt_jwt_issuer,
        "iat": now,
        "exp": now + (ttl or timedelta(minutes=s.slrt_token_ttl_minutes)),
    }
    if name:
        claims["name"] = name
    return jwt.encode(claims, signing_key(s), algorithm=ALGORITHM)


# Verified tokens, so that a desk sending many requests is not re-verified each time:
# token -> (identity, expiry as epoch seconds). Bounded; an expired entry is re-checked.
_VERIFIED: dict[tuple[str, str, str], tuple[StaffIdentity, float]] = {}
_VERIFIED_MAX = 4096


def verify_token(token: str, settings: Settings | None = None) -> StaffIdentity:
    s = settings or get_settings()
    pem = verifying_key_pem(s)
    if pem is None:
        raise Refused(
            "token_unverifiable",
            "This service has no public key to verify staff tokens (SLRT_JWT_PUBLIC_KEY).",
            status=401,
        )
    key = (token, pem, s.slrt_jwt_issuer)
    cached = _VERIFIED.get(key)
    if cached is not None and cached[1] > time.time():
        return cached[0]
    staff, expires = _verify(token, _public_key(pem), s)
    if len(_VERIFIED) >= _VERIFIED_MAX:
        _VERIFIED.clear()
    _VERIFIED[key] = (staff, expires)
    return staff


def _verify(token: str, public: Ed25519PublicKey, s: Settings) -> tuple[StaffIdentity, float]:
    try:
        # Only EdDSA is accepted: an HS256 token (the old shared secret) or `alg: none`
        # is refused whatever it claims.
        claims = jwt.decode(
            token,
            public,
            algorithms=[ALGORITHM],
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
            {"office": office, "staff_office": staff.office},
        )
    wanted = set(roles or ())
    if wanted and not staff.has_any(wanted):
        raise Refused.forbidden(
            "wrong_role",
            "This command needs one of the roles: " + ", ".join(sorted(r.value for r in wanted)),
            {"required_roles": sorted(r.value for r in wanted), "roles": sorted(staff.roles)},
        )


class StaffRoles:
    """FastAPI dependency: the authenticated staff member holding one of `roles`, or 403
    `wrong_role`. For a route whose roles do not depend on the case; declared so
    (`dependencies=[Depends(StaffRoles(...))]`), it is checked by `shared.door` before a
    byte of the body is read. Not on an audited route (`shared.audit.audited`): a
    refused attempt there belongs in the audit log, which the door would not reach."""

    def __init__(self, *roles: Role) -> None:
        self.roles = frozenset(roles)

    async def __call__(self, staff: Staff) -> StaffIdentity:
        authorize(staff, roles=self.roles)
        return staff


class WebhookVerifier(Protocol):
    """How a channel adapter proves a webhook came from the channel (HMAC, etc.)."""

    def verify(self, body: bytes, headers: dict[str, str]) -> bool: ...
