"""Who is signing in: the seam for identity providers.

`IdentityProvider.authenticate` turns what the sign-in form (or an IdP's callback) gives
into a dashboard `Account`, or refuses with a `Refused` the page explains. The password
provider (`sign_in.PasswordIdentityProvider`: Argon2 hashes in `dashboard.accounts`,
lock-out after repeated failures) is the one implemented.

For an office with its own identity provider (Keycloak, Azure AD, Google Workspace...), an
`OidcIdentityProvider` would implement the same protocol with `authlib`
(`authlib.integrations.starlette_client.OAuth`): redirect to the IdP, take the callback,
validate the ID token, then map its subject (or e-mail) to the account in the staff
directory, which still says office and roles. The session, CSRF and service-token steps
after `authenticate` stay the same. Not built yet: no office has asked for it.
"""

from __future__ import annotations

from typing import Protocol

from services.dashboard.domain.accounts import Account


class IdentityProvider(Protocol):
    name: str

    async def authenticate(self, username: str, secret: str, *, client: str | None) -> Account:
        """The active account these credentials prove, or `Refused` (401/423) with why."""
        ...
