"""The record of one-time letter downloads (`documents.letter_downloads`): a code's
SHA-256 is kept the first time it is served; the primary key refuses it afterwards."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from services.documents.domain.facts import SignedLetter


class PostgresLetterDownloads:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def case_of(self, letter_id: UUID) -> UUID | None:
        value = await self.conn.fetchval(
            "SELECT case_id FROM documents.letters WHERE letter_id = $1", letter_id
        )
        return value if isinstance(value, UUID) else None

    async def record(
        self, *, code_sha256: str, letter: SignedLetter, case_id: UUID, expires_at: datetime
    ) -> bool:
        """Keep the served code's hash; False when it was served before."""
        return bool(
            await self.conn.fetchval(
                """INSERT INTO documents.letter_downloads
                       (code_sha256, letter_id, case_id, expires_at)
                   VALUES ($1, $2, $3, $4)
                   ON CONFLICT (code_sha256) DO NOTHING RETURNING true""",
                code_sha256,
                letter.letter_id,
                case_id,
                expires_at,
            )
        )

    async def count(self, letter_id: UUID) -> int:
        return int(
            await self.conn.fetchval(
                "SELECT count(*) FROM documents.letter_downloads WHERE letter_id = $1", letter_id
            )
        )
