"""HTTP doors of the channel adapters: webhooks (WhatsApp, Facebook, Instagram, X,
SP4N-LAPOR!), the public website form, and what desk staff type in (call log, letter,
suggestion-box slips).

Every door answers only after the delivery is durable (raw bytes kept, `InboundReceived`
in the outbox): 202 with the inbound ids. A forged webhook gets 401, is kept as rejected
and logged, and is never registered. A body that fails the schema (422), a door called
for an office that does not exist (404), a body too large (413: its first MiB, flagged
`body_truncated`) and a letter whose scan is refused (413, 415) are kept as rejected too,
with a machine-readable reason (`schema_invalid` with the field paths, `malformed_json`,
`unknown_office`, `payload_too_large`, `unsupported_scan`); the answer stays the refusal,
with the kept message's id in `details.inbound_id`.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable
from typing import Annotated, Any, Literal

import filetype
import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.types import Message

from services.intake.adapters.channels.base import (
    Attachment,
    Delivery,
    PayloadUnreadable,
    Received,
    hmac_sha256_b64,
    hmac_sha256_b64_valid,
    hmac_sha256_hex_valid,
)
from services.intake.adapters.channels.forms import (
    CallLog,
    LaporReport,
    LetterDetails,
    SuggestionBoxBatch,
    WebsiteForm,
)
from services.intake.adapters.channels.social import (
    parse_meta_page,
    parse_twitter,
    parse_whatsapp,
)
from services.intake.adapters.channels.statuses import DeliveryStatus, parse_whatsapp_statuses
from services.intake.domain.inbound import AttachmentRef
from services.intake.domain.registration import schema_errors
from services.intake.entrypoints.deps import new_uow
from services.intake.entrypoints.schemas import InboundReceived
from services.intake.service_layer.receive_inbound import receive_inbound
from services.intake.service_layer.record_delivery_statuses import record_delivery_statuses
from services.intake.service_layer.refuse_delivery import MAX_KEPT_BYTES, refuse_delivery
from services.intake.service_layer.register_request import MAX_BODY_BYTES
from shared.auth import Staff, StaffIdentity, authorize
from shared.contracts.vocab import Channel, Role
from shared.http import correlation_id, error_body
from shared.refusal import Refused
from shared.runtime import get_runtime

router = APIRouter(tags=["channels"])

DESK_ROLES = (Role.FRONT_OFFICE, Role.RECEPTIONIST, Role.OFFICER, Role.COMPLAINT_OFFICER)
MAX_SCAN_BYTES = 10 * 1024 * 1024
_FORM_OVERHEAD = 64 * 1024  # the boundaries and the typed details around the scan
SCAN_TYPES = {"application/pdf", "image/jpeg", "image/png"}
_KEPT_HEADERS = (
    "content-type",
    "user-agent",
    "x-hub-signature-256",
    "x-twitter-webhooks-signature",
    "x-lapor-signature",
    "x-correlation-id",
)


def _office(request: Request, office: str) -> str:
    if office not in get_runtime(request).catalogue.offices:
        raise Refused.not_found("unknown_office", f"There is no office {office!r}.")
    return office


async def _kept(
    request: Request,
    delivery: Delivery,
    channel: Channel,
    refusal: Refused,
    office: str | None,
) -> Refused:
    """Keep a delivery refused before it could be read (unknown office, a body that fails
    the schema) as rejected, and give back the refusal to answer, naming what was kept.
    `office`: the one the door or the staff member belongs to; kept only if it exists."""
    known = office if office in get_runtime(request).catalogue.offices else None
    reason = "schema_invalid" if refusal.code == "invalid_request" else refusal.code
    details = dict(refusal.details)
    if refusal.code == "unknown_office":
        details["office"] = office
    inbound_id = await refuse_delivery(
        get_runtime(request).pool,
        delivery,
        channel=channel,
        reason=reason,
        message=refusal.message,
        office=known,
        details=details,
    )
    return Refused(
        refusal.code,
        refusal.message,
        status=refusal.status,
        details={**refusal.details, "inbound_id": str(inbound_id)},
    )


async def _known_office(request: Request, delivery: Delivery, channel: Channel, office: str) -> str:
    """The door's office, or 404 `unknown_office` with the delivery kept as rejected."""
    try:
        return _office(request, office)
    except Refused as refusal:
        raise await _kept(request, delivery, channel, refusal, office) from None


async def _read_delivery(
    request: Request,
    source: str,
    channel: Channel,
    office: str | None,
    staff: StaffIdentity | None = None,
) -> Delivery:
    """The delivery as it came; one too large is refused (413) while it streams, and its
    first MAX_BODY_BYTES are kept as rejected like every other refusal of a channel."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        if size + len(chunk) > MAX_BODY_BYTES:
            chunks.append(chunk[: MAX_BODY_BYTES - size])
            kept = _delivery(request, source, b"".join(chunks), staff, truncated=True)
            refusal = Refused(
                "payload_too_large",
                f"The body is larger than {MAX_BODY_BYTES} bytes; its first bytes are kept.",
                status=413,
                details={"max_bytes": MAX_BODY_BYTES},
            )
            raise await _kept(request, kept, channel, refusal, office) from None
        size += len(chunk)
        chunks.append(chunk)
    return _delivery(request, source, b"".join(chunks), staff)


def _delivery(
    request: Request,
    source: str,
    body: bytes,
    staff: StaffIdentity | None = None,
    *,
    truncated: bool = False,
) -> Delivery:
    return Delivery(
        source=source,
        body=body,
        content_type=request.headers.get("content-type"),
        headers={h: request.headers[h] for h in _KEPT_HEADERS if h in request.headers},
        correlation_id=correlation_id(request),
        entered_by=staff.actor if staff else None,
        entered_by_office=staff.office if staff else None,
        truncated=truncated,
    )


async def _accept(request: Request, delivery: Delivery, items: list[Received]) -> JSONResponse:
    ids = await receive_inbound(new_uow(request), delivery, items)
    return JSONResponse(
        {"status": "received", "inbound_ids": [str(i) for i in ids]}, status_code=202
    )


async def _refuse(
    request: Request,
    delivery: Delivery,
    channel: Channel,
    code: str,
    message: str,
    status: int,
    office: str | None = None,
) -> JSONResponse:
    runtime = get_runtime(request)
    inbound_id = await refuse_delivery(
        runtime.pool, delivery, channel=channel, reason=code, message=message, office=office
    )
    return JSONResponse(
        error_body(code, message, {"inbound_id": str(inbound_id)}), status_code=status
    )


async def _webhook(
    request: Request,
    *,
    source: str,
    channel: Channel,
    verified: Callable[[bytes], bool],
    parse: Callable[[bytes], list[Received]],
    office: str,
) -> JSONResponse:
    """`office` is the one the door's path names: an unknown one is refused (404) and
    kept without an office; a refused delivery is kept with a known one, for that
    office's front office to see."""
    delivery = await _read_delivery(request, source, channel, office)
    body = delivery.body
    await _known_office(request, delivery, channel, office)
    if not verified(body):
        return await _refuse(
            request,
            delivery,
            channel,
            "signature_invalid",
            "The webhook signature does not match: refused and logged.",
            401,
            office,
        )
    try:
        items = parse(body)
    except PayloadUnreadable as exc:
        return await _refuse(request, delivery, channel, exc.code, exc.message, 400, office)
    except (ValueError, TypeError, ArithmeticError) as exc:
        # A signed delivery of a shape no message can be made of (a 40-digit sender, a
        # field of the wrong type): refused with a reason, and kept as it came.
        message = f"The webhook could not be read as messages: {_reason(exc)}"
        return await _refuse(request, delivery, channel, "payload_invalid", message, 422, office)
    return await _accept(request, delivery, items)


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5]
        )
    return type(exc).__name__


def _model(model: type[BaseModel], body: bytes) -> Any:
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        errors = schema_errors(exc)
        if any(e["type"] == "json_invalid" for e in errors):
            raise Refused("malformed_json", "The body is not valid JSON.", status=400) from None
        raise Refused.invalid(
            "invalid_request", "The body does not match the schema.", {"errors": errors}
        ) from None


async def _read_kept(
    request: Request, delivery: Delivery, channel: Channel, model: type[BaseModel], office: str
) -> Any:
    """The body as `model`, or its refusal (400/422) with the delivery kept as rejected."""
    try:
        return _model(model, delivery.body)
    except Refused as refusal:
        raise await _kept(request, delivery, channel, refusal, office) from None


# ---- Meta: WhatsApp Cloud API, Facebook, Instagram -----------------------------------------


@router.get(
    "/v1/channels/{platform}/{office}",
    summary="Meta's webhook verification (hub.challenge) or X's CRC check",
    response_class=PlainTextResponse,
)
async def verify_webhook(
    platform: str,
    office: str,
    request: Request,
    hub_mode: Annotated[str | None, Query(alias="hub.mode")] = None,
    hub_verify_token: Annotated[str | None, Query(alias="hub.verify_token")] = None,
    hub_challenge: Annotated[str | None, Query(alias="hub.challenge", max_length=200)] = None,
    crc_token: Annotated[str | None, Query(max_length=200)] = None,
) -> Any:
    _office(request, office)
    settings = get_runtime(request).settings
    if platform == "twitter" and crc_token:
        token = hmac_sha256_b64(settings.slrt_twitter_consumer_secret, crc_token.encode())
        return JSONResponse({"response_token": f"sha256={token}"})
    if platform in ("whatsapp", "facebook", "instagram") and hub_mode == "subscribe":
        if hub_verify_token == settings.slrt_meta_verify_token and hub_challenge:
            return PlainTextResponse(hub_challenge)
        raise Refused.forbidden("verify_token_invalid", "The verify token does not match.")
    raise Refused("not_a_verification", "Nothing to verify in this request.", status=400)


@router.post(
    "/v1/channels/twitter/{office}",
    status_code=202,
    summary="X Account Activity",
    response_model=InboundReceived,
)
async def twitter(office: str, request: Request) -> JSONResponse:
    secret = get_runtime(request).settings.slrt_twitter_consumer_secret
    header = request.headers.get("x-twitter-webhooks-signature")
    return await _webhook(
        request,
        source="x-account-activity",
        channel=Channel.TWITTER,
        verified=lambda body: hmac_sha256_b64_valid(secret, body, header),
        parse=lambda body: parse_twitter(body, office),
        office=office,
    )


@router.post(
    "/v1/channels/lapor/{office}",
    response_model=InboundReceived,
    status_code=202,
    summary="SP4N-LAPOR! report forwarded to this office",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/LaporReport"}}
            },
        }
    },
)
async def lapor(office: str, request: Request) -> JSONResponse:
    secret = get_runtime(request).settings.slrt_lapor_secret
    header = request.headers.get("x-lapor-signature")

    def parse(body: bytes) -> list[Received]:
        try:
            report = LaporReport.model_validate_json(body)
        except ValidationError as exc:
            errors = schema_errors(exc)[:5]
            raise PayloadUnreadable("invalid_request", f"Not a LAPOR! report: {errors}") from None
        return [report.to_received(office)]

    return await _webhook(
        request,
        source="sp4n-lapor",
        channel=Channel.SP4N_LAPOR,
        verified=lambda body: hmac_sha256_hex_valid(secret, body, header),
        parse=parse,
        office=office,
    )


# ---- the public website form ---------------------------------------------------------------


@router.post(
    "/v1/channels/website/{office}",
    response_model=InboundReceived,
    status_code=202,
    summary="The office website's complaint / request form (public)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/WebsiteForm"}}
            },
        }
    },
)
async def website(office: str, request: Request) -> JSONResponse:
    delivery = await _read_delivery(request, "website-form", Channel.WEBSITE, office)
    await _known_office(request, delivery, Channel.WEBSITE, office)
    form: WebsiteForm = await _read_kept(request, delivery, Channel.WEBSITE, WebsiteForm, office)
    return await _accept(request, delivery, [form.to_received(office)])


_META_PARSERS: dict[str, tuple[str, Channel, Callable[[bytes, str], list[Received]]]] = {
    "whatsapp": ("whatsapp-cloud-api", Channel.WHATSAPP, parse_whatsapp),
    "facebook": (
        "facebook-webhook",
        Channel.FACEBOOK,
        lambda body, office: parse_meta_page(body, office, Channel.FACEBOOK),
    ),
    "instagram": (
        "instagram-webhook",
        Channel.INSTAGRAM,
        lambda body, office: parse_meta_page(body, office, Channel.INSTAGRAM),
    ),
}


# Declared after the other channel doors: FastAPI tries routes in order.
@router.post(
    "/v1/channels/{platform}/{office}",
    status_code=202,
    response_model=InboundReceived,
    summary="Meta webhooks: WhatsApp Cloud API, Facebook page, Instagram",
)
async def meta_webhook(
    platform: Literal["whatsapp", "facebook", "instagram"], office: str, request: Request
) -> JSONResponse:
    source, channel, parse = _META_PARSERS[platform]
    secret = get_runtime(request).settings.slrt_meta_app_secret
    header = request.headers.get("x-hub-signature-256")
    statuses: list[DeliveryStatus] = []

    def read(body: bytes) -> list[Received]:
        items = parse(body, office)
        if channel == Channel.WHATSAPP:  # what became of the office's own messages
            statuses.extend(parse_whatsapp_statuses(body))
        return items

    response = await _webhook(
        request,
        source=source,
        channel=channel,
        verified=lambda body: hmac_sha256_hex_valid(secret, body, header),
        parse=read,
        office=office,
    )
    if statuses and response.status_code == 202:  # durable before Meta gets its 2xx
        await record_delivery_statuses(
            new_uow(request), channel, office, statuses, correlation_id(request)
        )
    return response


# ---- typed in by desk staff -----------------------------------------------------------------


def _own_office(staff: StaffIdentity, office: str) -> None:
    authorize(staff, roles=DESK_ROLES, office=office)


@router.post(
    "/v1/channels/telephone",
    response_model=InboundReceived,
    status_code=202,
    summary="A call to the telephone / call centre, logged by the officer",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CallLog"}}},
        }
    },
)
async def telephone(request: Request, staff: Staff) -> JSONResponse:
    delivery = await _read_delivery(request, "call-log", Channel.TELEPHONE, staff.office, staff)
    call: CallLog = await _read_kept(request, delivery, Channel.TELEPHONE, CallLog, staff.office)
    await _known_office(request, delivery, Channel.TELEPHONE, call.office)
    _own_office(staff, call.office)
    return await _accept(request, delivery, [call.to_received()])


@router.post(
    "/v1/channels/suggestion-box",
    response_model=InboundReceived,
    status_code=202,
    summary="The slips of one opening of the suggestion box (kotak saran), entered at once",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/SuggestionBoxBatch"}}
            },
        }
    },
)
async def suggestion_box(request: Request, staff: Staff) -> JSONResponse:
    channel = Channel.SUGGESTION_BOX
    delivery = await _read_delivery(request, "suggestion-box", channel, staff.office, staff)
    batch: SuggestionBoxBatch = await _read_kept(
        request, delivery, channel, SuggestionBoxBatch, staff.office
    )
    await _known_office(request, delivery, channel, batch.office)
    _own_office(staff, batch.office)
    return await _accept(request, delivery, batch.to_received())


class _BodyTooLarge(Exception):
    """The letter's body passed its limit while it streamed in."""


class _Recorded:
    """The request, its body recorded while it streams: the first `keep` bytes are kept
    for a refusal. Past `limit` bytes, or once `keep` bytes are in when the declared
    Content-Length is over `limit` already, the stream stops with `_BodyTooLarge`: a
    body too large is read only as far as it is kept (or to the limit, when chunked)."""

    def __init__(self, request: Request, *, limit: int, keep: int) -> None:
        declared = request.headers.get("content-length", "")
        self._declared_over = declared.isdigit() and int(declared) > limit
        self._limit, self._keep = limit, keep
        self._upstream = request.receive
        self._head: list[bytes] = []
        self.kept = 0  # bytes in `head`
        self.size = 0  # bytes read
        self.complete = False  # the whole body was read
        self.request = Request(request.scope, self._receive)

    @property
    def head(self) -> bytes:
        return b"".join(self._head)

    @property
    def truncated(self) -> bool:
        return not self.complete or self.size > self.kept

    async def read_on(self) -> None:
        """Read what the form parser left unread (it stopped early), as far as it is kept."""
        with contextlib.suppress(_BodyTooLarge):
            while not self.complete and self.kept < self._keep:
                if (await self._receive())["type"] != "http.request":
                    return  # the client went away

    async def _receive(self) -> Message:
        message = await self._upstream()
        if message["type"] == "http.request":
            chunk: bytes = message.get("body", b"")
            self.size += len(chunk)
            room = self._keep - self.kept
            if room > 0 and chunk:
                self._head.append(chunk[:room])
                self.kept += min(room, len(chunk))
            self.complete = not message.get("more_body", False)
            if self.size > self._limit or (
                self._declared_over and self.kept >= self._keep and not self.complete
            ):
                raise _BodyTooLarge
        return message


def _scan_too_large(size: int) -> Refused:
    return Refused(
        "payload_too_large",
        f"A letter's scan is at most {MAX_SCAN_BYTES} bytes; "
        f"the letter's first {MAX_KEPT_BYTES} bytes are kept.",
        status=413,
        details={"max_bytes": MAX_SCAN_BYTES, "size_at_least": size},
    )


async def _letter_kept(
    request: Request,
    staff: StaffIdentity,
    body: _Recorded,
    refusal: Refused,
    office: str | None = None,
) -> Refused:
    """The refusal to answer, with the letter kept as rejected: the multipart body as it
    came (its first MiB, flagged truncated when there was more), for the staff member's
    office (`office`: an unknown office the details named instead)."""
    kept = _delivery(request, "letter-scan", body.head, staff, truncated=body.truncated)
    return await _kept(request, kept, Channel.LETTER, refusal, office or staff.office)


@router.post(
    "/v1/channels/letter",
    response_model=InboundReceived,
    status_code=202,
    summary="A letter received by post: its scan and the details typed in from it",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["details", "scan"],
                        "properties": {
                            "details": {
                                "type": "string",
                                "maxLength": 20_000,
                                "description": "LetterDetails as JSON",
                            },
                            "scan": {
                                "type": "string",
                                "format": "binary",
                                "description": "The scanned letter: PDF, JPEG or PNG",
                            },
                        },
                    }
                }
            },
        }
    },
)
async def letter(request: Request, staff: Staff) -> JSONResponse:
    # The token is checked before a byte of the body is read; the body streams into the
    # form parser with its first MiB recorded, and is refused while it streams once past
    # the scan's limit (never spooled whole first). Every refusal of what was sent keeps
    # the letter as it came, its first MiB (not a 401/403 of the staff member's token).
    body = _Recorded(request, limit=MAX_SCAN_BYTES + _FORM_OVERHEAD, keep=MAX_KEPT_BYTES)
    try:
        form = await body.request.form(max_files=1, max_fields=5)
    except _BodyTooLarge:
        raise await _letter_kept(request, staff, body, _scan_too_large(body.size)) from None
    except HTTPException as exc:  # a multipart body the parser cannot read
        await body.read_on()
        refusal = Refused(
            "malformed_form", f"The letter's form cannot be read: {exc.detail}", status=400
        )
        raise await _letter_kept(request, staff, body, refusal) from None
    try:
        return await _letter(request, staff, form, body)
    finally:
        await form.close()


async def _letter(
    request: Request, staff: StaffIdentity, form: FormData, body: _Recorded
) -> JSONResponse:
    details, scan = form.get("details"), form.get("scan")
    if not isinstance(details, str) or len(details) > 20_000 or not isinstance(scan, UploadFile):
        incomplete = Refused.invalid(
            "invalid_request",
            "A letter is a multipart form with `details` (JSON, at most 20,000 characters) "
            "and the file `scan`.",
            {"fields": ["details", "scan"]},
        )
        raise await _letter_kept(request, staff, body, incomplete)
    try:
        info: LetterDetails = _model(LetterDetails, details.encode())
    except Refused as refusal:
        raise await _letter_kept(request, staff, body, refusal) from None
    try:
        _office(request, info.office)
    except Refused as refusal:
        raise await _letter_kept(request, staff, body, refusal, info.office) from None
    _own_office(staff, info.office)
    content = await scan.read(MAX_SCAN_BYTES + 1)
    if len(content) > MAX_SCAN_BYTES:
        raise await _letter_kept(request, staff, body, _scan_too_large(len(content)))
    kind = filetype.guess(content)
    if kind is None or kind.mime not in SCAN_TYPES:
        not_a_scan = Refused(
            "unsupported_scan",
            "The scan must be a PDF, JPEG or PNG file (judged by its content).",
            status=415,
            details={"detected": kind.mime if kind else None, "declared": scan.content_type},
        )
        raise await _letter_kept(request, staff, body, not_a_scan)
    file_name = (scan.filename or "surat")[:200]
    item = info.to_received()
    digest = hashlib.sha256(content).hexdigest()
    payload = item.payload.model_copy(
        update={
            "attachments": (
                AttachmentRef(
                    id=digest[:16],
                    file_name=file_name,
                    content_type=kind.mime,
                    size_bytes=len(content),
                    sha256=digest,
                ),
            )
        }
    )
    received = Received(
        channel=item.channel,
        external_id=item.external_id,
        received_at=item.received_at,
        payload=payload,
        attachments=(Attachment(file_name, kind.mime, content),),
    )
    raw = orjson.dumps({"details": orjson.loads(info.model_dump_json()), "scan_sha256": digest})
    delivery = _delivery(request, "letter-scan", raw, staff)
    return await _accept(request, delivery, [received])


def register_channel_schemas(components: dict[str, Any]) -> None:
    """Bodies read raw (to keep them byte for byte) are still documented in OpenAPI."""
    for model in (LaporReport, WebsiteForm, CallLog, SuggestionBoxBatch, LetterDetails):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, sub in schema.pop("$defs", {}).items():
            components.setdefault(name, sub)
        components[model.__name__] = schema
