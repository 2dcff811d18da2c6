"""Local stand-ins for the channel providers, speaking their documented HTTP shapes, and a
real SMTP server (aiosmtpd) that keeps every message byte for byte.

`FakeProviders` serves, on 127.0.0.1:
* WhatsApp Cloud API  `POST /wa/{phone_number_id}/messages`  (text or template; 200
  `{"messaging_product", "contacts", "messages": [{"id": "wamid…"}]}`; Graph errors as
  `{"error": {"message", "type", "code", "fbtrace_id"}}`);
* Messenger send API  `POST /graph/{page_id}/messages`  (200 `{"recipient_id", "message_id"}`);
* X API v2            `POST /x/2/dm_conversations/with/{participant_id}/messages`
  (201 `{"data": {"dm_conversation_id", "dm_event_id"}}`; errors as problem JSON);
* SP4N-LAPOR!         `POST /lapor/v1/reports/{tracking_id}/follow-ups` (201 `{"id"}`; a
  repeated `Idempotency-Key` answers 200 with the follow-up it has: one follow-up);
* documents           `GET /docs/v1/internal/letters/{letter_id}.pdf` (the services' shared
  internal key required, as documents' internal route does);
* casework            `GET /casework/v1/internal/cases/{case_id}/public-status` (the same
  key; every case registered, due `CASE_DUE_AT`): for a test that runs notifications
  without casework, whose delivery worker asks it the first message's due date.

A test scripts the next answers per provider (`script`): a status with a body and
headers (429 with `Retry-After`, 5xx, a 400 refusal), or a delay longer than the client's
timeout; `down` makes a provider answer 503 until a moment; `on_receive` runs when a
request arrives, before the answer (a test kills a process there).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

import uvicorn
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from shared.infra import free_port
from shared.internal_api import HEADER as INTERNAL_HEADER
from shared.settings import get_settings

# The due time the casework stand-in gives every case (a Monday, 16:00 WITA).
CASE_DUE_AT = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (longer than the client's timeout: a timeout)


@dataclass(frozen=True)
class Hit:
    provider: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    status: int  # what it was answered
    at: float
    answer: dict[str, Any] = field(default_factory=dict)  # the body it was answered


def graph_error(status: int, code: int, message: str) -> Reply:
    return Reply(
        status,
        {"error": {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "Ax"}},
    )


class FakeProviders:
    def __init__(self) -> None:
        self.hits: list[Hit] = []
        self.script: dict[str, deque[Reply]] = defaultdict(deque)
        self.down_until: dict[str, float] = {}
        self.on_receive: Callable[[str, dict[str, Any]], None] | None = None
        self.letters: dict[str, bytes] = {}
        self.lapor_keys: dict[str, str] = {}
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.app = self._build()

    # ---- what arrived --------------------------------------------------------------------

    def accepted(self, provider: str) -> list[Hit]:
        return [h for h in self.hits if h.provider == provider and h.status < 300]

    def attempts(self, provider: str) -> list[Hit]:
        return [h for h in self.hits if h.provider == provider]

    def clear(self) -> None:
        self.hits.clear()
        self.script.clear()
        self.down_until.clear()
        self.on_receive = None

    # ---- the app ---------------------------------------------------------------------------

    async def _answer(
        self, provider: str, request: Request, ok: Callable[[dict[str, Any]], Reply]
    ) -> Response:
        try:
            body = await request.json()
        except ValueError:
            body = {}
        if self.on_receive is not None:
            self.on_receive(provider, body)
        if time.monotonic() < self.down_until.get(provider, 0.0):
            reply = Reply(503, {"message": "Service Unavailable"})
        elif self.script[provider]:
            reply = self.script[provider].popleft()
        elif not request.headers.get("authorization", "").startswith("Bearer "):
            reply = graph_error(401, 190, "Invalid OAuth access token.")
        else:
            reply = ok(body)
        if reply.delay:
            await asyncio.sleep(reply.delay)
        self.hits.append(
            Hit(
                provider,
                request.url.path,
                {k.lower(): v for k, v in request.headers.items()},
                body,
                reply.status,
                time.monotonic(),
                reply.body or {},
            )
        )
        return JSONResponse(reply.body or {}, status_code=reply.status, headers=reply.headers)

    def _build(self) -> FastAPI:
        app = FastAPI()

        def whatsapp(body: dict[str, Any]) -> Reply:
            if body.get("messaging_product") != "whatsapp" or not body.get("to"):
                return graph_error(400, 100, "(#100) The parameter messaging_product is required.")
            kind = body.get("type")
            if kind == "text" and not body.get("text", {}).get("body"):
                return graph_error(400, 100, "(#100) The parameter text['body'] is required.")
            if kind == "template" and not body.get("template", {}).get("name"):
                return graph_error(400, 132001, "Template name does not exist in the translation")
            if kind not in ("text", "template"):
                return graph_error(400, 100, "(#100) Param type must be one of {TEXT, TEMPLATE}")
            return Reply(
                200,
                {
                    "messaging_product": "whatsapp",
                    "contacts": [{"input": body["to"], "wa_id": body["to"]}],
                    "messages": [{"id": f"wamid.{uuid4().hex}"}],
                },
            )

        def messenger(body: dict[str, Any]) -> Reply:
            if not body.get("recipient", {}).get("id") or "messaging_type" not in body:
                return graph_error(400, 100, "(#100) The parameter recipient is required")
            if body["messaging_type"] == "MESSAGE_TAG" and not body.get("tag"):
                return graph_error(400, 100, "(#100) Tag is required for MESSAGE_TAG")
            return Reply(
                200, {"recipient_id": body["recipient"]["id"], "message_id": f"m_{uuid4().hex}"}
            )

        def x_dm(body: dict[str, Any]) -> Reply:
            if not body.get("text"):
                return Reply(400, {"title": "Invalid Request", "detail": "text is required"})
            return Reply(
                201, {"data": {"dm_conversation_id": "1-2", "dm_event_id": str(uuid4().int)[:19]}}
            )

        @app.post("/wa/{phone_number_id}/messages")
        async def wa(phone_number_id: str, request: Request) -> Response:
            return await self._answer("whatsapp", request, whatsapp)

        @app.post("/graph/{page_id}/messages")
        async def graph(page_id: str, request: Request) -> Response:
            return await self._answer("messenger", request, messenger)

        @app.post("/x/2/dm_conversations/with/{participant_id}/messages")
        async def x(participant_id: str, request: Request) -> Response:
            return await self._answer("x", request, x_dm)

        @app.post("/lapor/v1/reports/{tracking_id}/follow-ups")
        async def lapor(tracking_id: str, request: Request) -> Response:
            key = request.headers.get("idempotency-key")

            def follow_up(body: dict[str, Any]) -> Reply:
                if not body.get("content"):
                    return Reply(422, {"message": "content is required"})
                if key and key in self.lapor_keys:
                    return Reply(200, {"id": self.lapor_keys[key], "replayed": True})
                made = f"tl-{uuid4().hex[:12]}"
                if key:
                    self.lapor_keys[key] = made
                return Reply(201, {"id": made})

            return await self._answer("lapor", request, follow_up)

        @app.get("/docs/v1/internal/letters/{letter_id}.pdf")
        async def letter(letter_id: str, request: Request) -> Response:
            if request.headers.get(INTERNAL_HEADER) != get_settings().slrt_internal_api_key:
                return JSONResponse({"error": {"code": "internal_key_invalid"}}, status_code=401)
            pdf = self.letters.get(letter_id)
            if pdf is None:
                return JSONResponse({"error": {"code": "letter_not_found"}}, status_code=404)
            return Response(
                pdf,
                media_type="application/pdf",
                headers={"Content-Disposition": 'inline; filename="400.9-001-2026.pdf"'},
            )

        @app.get("/casework/v1/internal/cases/{case_id}/public-status")
        async def case_status(case_id: str, request: Request) -> Response:
            if request.headers.get(INTERNAL_HEADER) != get_settings().slrt_internal_api_key:
                return JSONResponse({"error": {"code": "internal_key_invalid"}}, status_code=401)
            return JSONResponse(
                {"stage": "registered", "due_at": CASE_DUE_AT.isoformat(), "paused": False}
            )

        return app

    # ---- running ---------------------------------------------------------------------------

    def start(self) -> FakeProviders:
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=5)


@contextlib.contextmanager
def fake_providers() -> Iterator[FakeProviders]:
    providers = FakeProviders().start()
    try:
        yield providers
    finally:
        providers.stop()


# ---- e-mail -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mail:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes


class SmtpSink:
    """A real SMTP server (aiosmtpd) keeping every message's bytes. `refuse` maps a
    recipient to the reply it gets at RCPT (e.g. '550 5.1.1 No such user' or '451 4.3.0
    Try again later'); `on_data` runs before a message is accepted."""

    def __init__(self) -> None:
        self.mails: list[Mail] = []
        self.refuse: dict[str, str] = {}
        self.on_data: Callable[[bytes], None] | None = None
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        if self.on_data is not None:
            self.on_data(raw)
        self.mails.append(Mail(str(envelope.mail_from), tuple(envelope.rcpt_tos), raw))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Mail]:
        return [m for m in self.mails if address in m.rcpt_tos]

    def start(self) -> SmtpSink:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()


@contextlib.contextmanager
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    try:
        yield sink
    finally:
        sink.stop()


class KnownDueDates:
    """Casework's due date for every case, as its internal read would give it, for tests
    that run notifications without casework (`None` answers first: not folded yet)."""

    def __init__(self, due: date, *, unknown_first: int = 0) -> None:
        self.due = due
        self.unknown_first = unknown_first
        self.asked = 0

    async def due_date_of(self, case_id: UUID, office: str) -> date | None:
        self.asked += 1
        return None if self.asked <= self.unknown_first else self.due
