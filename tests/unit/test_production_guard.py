"""The production guard (issue 16.8): with SLRT_ENVIRONMENT=production a process refuses to
start on a development secret or a short key, naming each one."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from shared.production import UnsafeProductionSettings, check_production, production_problems
from shared.settings import KEY_SETTINGS, REPO_ROOT, SECRET_SETTINGS, Settings

STRONG = "k" * 32
PUBLIC_KEY = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n"


def _production(**overrides: object) -> Settings:
    values: dict[str, object] = {name: STRONG + name for name in KEY_SETTINGS}
    values.update(slrt_environment="production", slrt_jwt_public_key=PUBLIC_KEY)
    values.update(  # Kafka over SASL/SCRAM (tests/unit/test_kafka_sasl.py)
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_username="slrt-intake",
        kafka_sasl_password=STRONG,
    )
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def test_real_secrets_pass() -> None:
    assert production_problems(_production()) == []
    check_production(_production(), "intake")  # no exception


def test_development_allows_the_defaults() -> None:
    assert production_problems(Settings(slrt_environment="development")) == []


def test_every_default_and_short_key_is_named_in_one_error() -> None:
    settings = _production(
        slrt_lapor_secret="dev-lapor-secret",
        slrt_internal_api_key="x",
        slrt_jwt_public_key=None,
    )
    with pytest.raises(UnsafeProductionSettings) as refused:
        check_production(settings, "intake")
    message = str(refused.value)
    assert message.startswith("intake: refusing to start with SLRT_ENVIRONMENT=production")
    assert "SLRT_LAPOR_SECRET is the development default" in message
    assert "SLRT_INTERNAL_API_KEY is 1 bytes (at least 32)" in message
    assert "SLRT_JWT_PUBLIC_KEY (or SLRT_JWT_PUBLIC_KEY_FILE) is not set" in message
    assert "dev-lapor-secret" not in message  # names, never values
    assert len(production_problems(settings)) == 3


def test_all_defaults_are_refused() -> None:
    settings = Settings(slrt_environment="production")
    problems = production_problems(settings)
    for name in KEY_SETTINGS:
        assert f"{name.upper()} is the development default" in problems


def test_every_key_with_a_development_default_is_guarded() -> None:
    """A new secret with a public default must be added to KEY_SETTINGS (and so guarded)."""
    for name, field in Settings.model_fields.items():
        if isinstance(field.default, str) and field.default.startswith("dev-"):
            assert name in KEY_SETTINGS, name
            assert name in SECRET_SETTINGS, name


def test_a_service_started_in_production_with_a_dev_secret_exits_and_says_why() -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.upper().startswith(("SLRT_", "DATABASE_URL", "KAFKA_"))
    }
    env.update({name.upper(): STRONG for name in KEY_SETTINGS})
    env.update(
        PYTHONPATH=str(REPO_ROOT),
        SLRT_ENVIRONMENT="production",
        SLRT_JWT_PUBLIC_KEY=PUBLIC_KEY,
        SLRT_CHECK_CODE_SECRET="dev-check-code-secret-change-me",  # the public default
        SLRT_HTTP_PORT="1",  # never reached: the guard stops it before it listens
    )
    done = subprocess.run(
        [sys.executable, "-m", "services.intake"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0
    assert (
        "intake: refusing to start with SLRT_ENVIRONMENT=production: "
        "SLRT_CHECK_CODE_SECRET is the development default"
    ) in done.stderr


def test_documents_in_production_needs_the_offices_signing_certificate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from shared.production import UnsafeProductionSettings, check_production
    from shared.settings import Settings

    monkeypatch.delenv("SLRT_SIGNING_DIR", raising=False)
    settings = Settings(slrt_environment="production")
    with pytest.raises(UnsafeProductionSettings, match="SLRT_SIGNING_DIR"):
        check_production(settings, "documents")
