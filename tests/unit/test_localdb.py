"""Which database a one-off command uses (issue 12, point 8); the embedded cases run in
tests/e2e/test_local_operations.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.cli import main
from shared.localdb import command_database, running_database
from shared.settings import Settings


def test_database_url_wins_and_is_said() -> None:
    said: list[str] = []
    settings = Settings(database_url="postgresql://u@h/db")
    with command_database("casework rebuild", settings=settings, say=said.append) as dsn:
        assert dsn == "postgresql://u@h/db"
    assert said == ["casework rebuild: using the database at DATABASE_URL"]


def test_no_url_and_no_make_up_data_is_a_clear_refusal(tmp_path: Path) -> None:
    settings = Settings(database_url=None, slrt_data_dir=tmp_path / "never-started")
    with (
        pytest.raises(SystemExit, match=r"no `make up` database under .*never-started"),
        command_database("casework rebuild", settings=settings),
    ):
        pytest.fail("no database to use")


def test_a_data_dir_without_a_server_has_no_running_database(tmp_path: Path) -> None:
    assert running_database(tmp_path) is None


def test_slrt_rebuild_names_the_services_that_have_one(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["rebuild", "intake"])
    assert exit_.value.code == 2
    assert "one of casework, documents" in capsys.readouterr().err
