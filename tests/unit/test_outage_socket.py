"""A stopped PostgreSQL reached over a Unix socket: its socket file is gone, and asyncpg's
connect raises FileNotFoundError, which is an outage (503), unlike a missing file of ours."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest

from shared.unavailable import database_unavailable


async def test_a_missing_socket_file_is_an_outage(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError) as caught:
        await asyncpg.connect(f"postgresql://postgres@/postgres?host={tmp_path}")
    assert isinstance(caught.value, FileNotFoundError)
    assert database_unavailable(caught.value)


def test_a_missing_file_of_ours_is_not_an_outage(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError) as caught:
        (tmp_path / "template.html").read_text()
    assert not database_unavailable(caught.value)
