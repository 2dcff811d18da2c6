"""The production guard: with `SLRT_ENVIRONMENT=production`, a process refuses to start on a
secret left at its public development default, on a key shorter than 32 bytes, or without
the staff-token public key, and names every one of them in one error.

`shared.runtime.serve` runs it before anything else, so every service (and the portal and
the staff web app) is covered."""

from __future__ import annotations

import os

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


# Processes that never connect to Kafka (the citizens' portal reads through the APIs).
WITHOUT_KAFKA = frozenset({"portal"})


def kafka_problems(settings: Settings) -> list[str]:
    """Kafka in production only with SASL (deploy/: SCRAM, one user per process, ACLs):
    the embedded broker's PLAINTEXT lets anyone on the network write any topic."""
    if settings.slrt_environment != "production":
        return []
    if settings.kafka_security_protocol == "PLAINTEXT":
        return ["KAFKA_SECURITY_PROTOCOL is PLAINTEXT (SASL_SSL or SASL_PLAINTEXT with SCRAM)"]
    return [
        f"{name.upper()} is not set"
        for name in ("kafka_sasl_username", "kafka_sasl_password")
        if not getattr(settings, name)
    ]


def pepper_problems(environment: str, pepper: str | None) -> list[str]:
    """What is wrong with analytics' pseudonym key for production: it must be set (a key
    made up at start-up would differ per database, so pseudonyms would not survive a
    restore into a new one) and at least MIN_KEY_BYTES long."""
    if environment != "production":
        return []
    if not pepper:
        return ["SLRT_ANALYTICS_PEPPER is not set"]
    if len(pepper.encode()) < MIN_KEY_BYTES:
        return [f"SLRT_ANALYTICS_PEPPER is {len(pepper.encode())} bytes (at least {MIN_KEY_BYTES})"]
    return []


def check_migrate_production(environment: str, pepper: str | None, process: str) -> None:
    """The guard of the migrate job (which writes analytics' key): one clear message."""
    _refuse(pepper_problems(environment, pepper), process)


def _refuse(problems: list[str], process: str) -> None:
    if problems:
        raise UnsafeProductionSettings(
            f"{process}: refusing to start with SLRT_ENVIRONMENT=production: "
            + "; ".join(problems)
            + ". Set real secrets (deploy/README.md, 'Secrets')."
        )


def check_production(settings: Settings, process: str) -> None:
    """Stop the process with one clear message if `production_problems` found any."""
    problems = production_problems(settings)
    if process not in WITHOUT_KAFKA:
        problems += kafka_problems(settings)
    if (
        process == "documents"
        and settings.slrt_environment == "production"
        and not os.environ.get("SLRT_SIGNING_DIR")
    ):
        # Letters would be signed by a certificate made up at start-up: not the office's.
        problems.append("SLRT_SIGNING_DIR (the office's signing key and certificate) is not set")
    _refuse(problems, process)
