"""E-mails per second delivered end to end to a local SMTP sink, against a raw aiosmtplib
send loop to the same sink in the same run.

End to end: `n` e-mail requests through intake's HTTP API; each becomes a case, its
`ComplaintRegistered` reaches notifications over Kafka, the consumer records the message,
the delivery worker renders and sends it over SMTP (one connection per message). Timed
from the first request to the n-th message the sink has. The raw loop sends `n`
messages of the same shape (composed by the same code) with `aiosmtplib.send` from as
many concurrent senders as the worker has slots (`SLRT_DELIVERY_CONCURRENCY`, 4).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import aiosmtplib
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from bench.http import Connection
from services.notifications.adapters.email_sender import compose
from services.notifications.domain.outgoing import OutgoingMessage
from shared.auth import mint_token
from shared.contracts.vocab import Channel, Role
from shared.infra import free_port

WORKER_SLOTS = 4
BODY = (
    "Permohonan Anda telah kami terima dengan nomor tiket KPN-2026-000123.\n"
    "Layanan: Standar Pelayanan Pengaduan Masyarakat. Waktu penyelesaian: 5 hari kerja.\n"
    "Simpan nomor tiket ini untuk menanyakan perkembangan permohonan Anda.\n"
    "Salam, Dinas Sosial Kota Kupang."
)


class CountingSink:
    """A real SMTP server (aiosmtpd) that counts what it accepts, by recipient domain."""

    def __init__(self) -> None:
        self.port = free_port()
        self.count = 0
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.count += 1
        return "250 OK"

    def start(self) -> CountingSink:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()


async def raw_rate(sink: CountingSink, n: int) -> float:
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(n):
        queue.put_nowait(i)

    async def sender() -> None:
        while True:
            try:
                i = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            mail = compose(
                OutgoingMessage(
                    notification_id=uuid.uuid4(),
                    case_id=uuid.uuid4(),
                    channel=Channel.EMAIL,
                    address=f"raw{i}@bench.example.org",
                    template="complaint_registered",
                    body=BODY,
                    ticket_number="KPN-2026-000123",
                    thread_ref="<bench@example.org>",
                ),
                from_address="dinsos@kupangkota.go.id",
                from_name="Dinas Sosial Kota Kupang",
            )
            await aiosmtplib.send(mail, hostname="127.0.0.1", port=sink.port, timeout=30)

    before = sink.count
    started = time.perf_counter()
    await asyncio.gather(*(sender() for _ in range(WORKER_SLOTS)))
    elapsed = time.perf_counter() - started
    assert sink.count - before == n
    return n / elapsed


async def end_to_end_rate(
    intake_url: str, sink: CountingSink, n: int, concurrency: int, timeout: float = 600
) -> dict[str, Any]:
    token = mint_token("bench-desk", "kupang", [Role.FRONT_OFFICE])
    headers = {"Authorization": f"Bearer {token}"}
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(n):
        queue.put_nowait(i)
    errors: list[str] = []
    run = uuid.uuid4().hex[:8]

    async def caller() -> None:
        conn = await Connection.open(intake_url)
        try:
            while True:
                try:
                    i = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                r = await conn.post_json(
                    "/v1/requests",
                    {
                        "office": "kupang",
                        "service": "public-complaint",
                        "channel": "email",
                        "applicant": {
                            "name": f"Warga Surel {i}",
                            "email": f"warga{i}.{run}@bench.example.org",
                        },
                        "description": "Bantuan sembako berhenti (data uji bench, lewat e-mail)",
                    },
                    headers,
                )
                if r.status != 201:
                    errors.append(f"{r.status} {r.body[:200]!r}")
        finally:
            await conn.close()

    before = sink.count
    started = time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(concurrency)))
    accepted = n - len(errors)
    deadline = time.perf_counter() + timeout
    # The sink counts in its own thread: polled, not awaited.
    while sink.count - before < accepted and time.perf_counter() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    elapsed = time.perf_counter() - started
    delivered = sink.count - before
    return {"delivered": delivered, "per_s": delivered / elapsed, "errors": errors[:3]}
