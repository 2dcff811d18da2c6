"""Intake's media worker: fetches the media citizens sent by reference (WhatsApp) after
the webhook was answered, one due file at a time, with retries (`fetch_channel_media.py`).

Started with the service (bootstrap) as a background task of its own; it polls for due
fetches, so a file received by another intake process is fetched too, and a restart picks
up whatever was left pending.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from services.intake.adapters.unit_of_work import IntakeUnitOfWork
from services.intake.adapters.whatsapp_media import WhatsAppMedia
from services.intake.service_layer.fetch_channel_media import fetch_next_media
from shared.logging import bind_context, get_logger
from shared.runtime import cancel_within
from shared.settings import Settings

log = get_logger(__name__)


class MediaWorker:
    def __init__(
        self,
        new_uow: Callable[[], IntakeUnitOfWork],
        settings: Settings,
        *,
        poll_seconds: float = 0.5,
    ) -> None:
        self.new_uow = new_uow
        self.max_bytes = settings.slrt_whatsapp_media_max_bytes
        self.media = WhatsAppMedia(
            settings.slrt_whatsapp_api_base,
            settings.slrt_whatsapp_token,
            max_bytes=self.max_bytes,
        )
        self.poll_seconds = poll_seconds
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="intake-media-worker")

    async def stop(self) -> None:
        if self._task is not None:
            await cancel_within([self._task])
        await self.media.close()

    async def _run(self) -> None:
        while True:
            bind_context(worker="media")
            try:
                if await fetch_next_media(self.new_uow, self.media, max_bytes=self.max_bytes):
                    continue  # more may be due
            except Exception as exc:  # the next round tries again; say so
                log.warning("media_worker_failed", error=repr(exc))
            await asyncio.sleep(self.poll_seconds)
