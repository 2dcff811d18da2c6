"""The production guard: with `SLRT_ENVIRONMENT=production`, a process refuses to start on a
secret left at its public development default, on a key shorter than 32 bytes, or without
the staff-token public key, and names every one of them in one error.

`shared.runtime.serve` runs it before anything else, so every service (and the portal and
the staff web app) is covered."""

from __future__ import annotations

from shared.settings import KEY_SETTINGS, MIN_KEY_BYTES, Settings


class UnsafeProductionSettings(SystemExit):
    """Raised at start-up; its text is the one error line the operator reads."""


def production_problems(settings: Settings) -> list[str]:
    """What is wrong with `settings` for production (empty when it is fine, or when the
    environment is not production)."""
    if settings.slrt_environment != "production":
        return []
    problems: list[str] = []
    for name in KEY_SETTINGS:
        value: str = getattr(settings, name)
        default = Settings.model_fields[name].default
        if value == default:
            problems.append(f"{name.upper()} is the development default")
        elif len(value.encode()) < MIN_KEY_BYTES:
            problems.append(
                f"{name.upper()} is {len(value.encode())} bytes (at least {MIN_KEY_BYTES})"
            )
    if not settings.slrt_encrypt_personal_data:
        problems.append("SLRT_ENCRYPT_PERSONAL_DATA is false (bench and tests only)")
    if not (settings.slrt_jwt_public_key or settings.slrt_jwt_public_key_file):
        problems.append("SLRT_JWT_PUBLIC_KEY (or SLRT_JWT_PUBLIC_KEY_FILE) is not set")
    return problems


def check_production(settings: Settings, process: str) -> None:
    """Stop the process with one clear message if `production_problems` found any."""
    problems = production_problems(settings)
    if problems:
        raise UnsafeProductionSettings(
            f"{process}: refusing to start with SLRT_ENVIRONMENT=production: "
            + "; ".join(problems)
            + ". Set real secrets (deploy/README.md, 'Secrets')."
        )
