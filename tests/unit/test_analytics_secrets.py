"""Analytics' secrets in deploy/ (issue 18.1): the pseudonym key and the analyst's password
are settings of the migrate job (so the deploy tests see them provided, as Secrets), and in
production the migrate job refuses a missing or short key."""

from __future__ import annotations

import pytest

from shared.dbroles import DatabaseAdminSettings
from shared.production import UnsafeProductionSettings, check_migrate_production
from shared.settings import SECRET_SETTINGS


def test_the_pepper_and_the_password_are_secret_settings_of_the_migrate_job() -> None:
    fields = DatabaseAdminSettings.model_fields
    assert {"slrt_analytics_pepper", "slrt_analyst_password"} <= set(fields)
    assert {"slrt_analytics_pepper", "slrt_analyst_password"} <= set(SECRET_SETTINGS)


def test_they_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLRT_ADMIN_DATABASE_URL", "postgresql://admin@db/slrt")
    monkeypatch.setenv("SLRT_ANALYTICS_PEPPER", "p" * 40)
    monkeypatch.setenv("SLRT_ANALYST_PASSWORD", "analis-contoh")
    settings = DatabaseAdminSettings()
    assert settings.slrt_analytics_pepper == "p" * 40
    assert settings.slrt_analyst_password == "analis-contoh"


@pytest.mark.parametrize(
    ("pepper", "says"),
    [(None, "SLRT_ANALYTICS_PEPPER is not set"), ("", "is not set"), ("short", "5 bytes")],
)
def test_production_refuses_a_missing_or_short_pepper(pepper: str | None, says: str) -> None:
    with pytest.raises(UnsafeProductionSettings, match=says) as refused:
        check_migrate_production("production", pepper, process="migrate")
    assert str(refused.value).startswith("migrate: refusing to start")


def test_a_real_pepper_or_development_passes() -> None:
    check_migrate_production("production", "k" * 32, process="migrate")
    check_migrate_production("development", None, process="migrate")


def test_the_migrate_command_stops_before_touching_the_database(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from shared import dbroles
    from shared.dbroles import main

    # Logging set up by the command would write to this test's captured (then closed) stream.
    monkeypatch.setattr(dbroles, "configure_logging", lambda *a, **k: None)
    monkeypatch.setenv("SLRT_ADMIN_DATABASE_URL", "postgresql://admin@127.0.0.1:1/none")
    monkeypatch.setenv("SLRT_ENVIRONMENT", "production")
    monkeypatch.delenv("SLRT_ANALYTICS_PEPPER", raising=False)
    with pytest.raises(UnsafeProductionSettings, match="SLRT_ANALYTICS_PEPPER is not set"):
        main(["migrate"])
