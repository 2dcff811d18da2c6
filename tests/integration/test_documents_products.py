"""Every letter product of the catalogue, scans, the completeness decision, issuing and
the public verification, on the real database (and broker) with the service in-process.

Cases are arranged as intake and eligibility leave them (events in the store before the
service starts; it catches up from the store).
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import re
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
import pypdfium2 as pdfium
import pytest
from fastapi import FastAPI

from services.documents.bootstrap import create_app
from services.documents.domain.letter import plan_chain
from shared.catalogue import load_catalogue
from shared.contracts import streams
from shared.contracts.base import EventMetadata
from shared.contracts.events import Applicant, CaseAssigned, ComplaintRegistered, DtksVerified
from shared.contracts.vocab import Channel, Role
from shared.db import migrate
from shared.eventstore.store import MIGRATIONS, EventStore, read_stream
from shared.settings import Settings
from tests.servicekit import auth, eventually, running

pytestmark = pytest.mark.integration

CATALOGUE = load_catalogue()
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 200
NIKS = {"lumajang": "3508", "mataram": "5271", "kupang": "5371", "pariaman": "1377"}


@pytest.fixture
async def store(pool: asyncpg.Pool) -> asyncpg.Pool:
    async with pool.acquire() as conn:
        await migrate(conn, "eventstore", MIGRATIONS)
    return pool


async def register_case(
    pool: asyncpg.Pool,
    *,
    office: str,
    service: str,
    variant: str,
    channel: Channel = Channel.WALK_IN,
    proxy: bool = False,
) -> tuple[UUID, datetime]:
    case_id = uuid4()
    received_at = datetime.now(UTC).replace(microsecond=0)
    nik = NIKS[office] + "014101900001"
    meta = EventMetadata(case_id=case_id, office=office, actor="citizen", channel=channel)
    registered = ComplaintRegistered(
        case_id=case_id,
        ticket_number=f"T-{str(case_id)[:8]}",
        office=office,
        service=service,
        variant=variant,
        channel=channel,
        applicant=Applicant(name="Warga Contoh", nik=nik),
        on_behalf_of=Applicant(name="Pemegang Kartu", nik=NIKS[office] + "014101900002")
        if proxy
        else None,
        description="Pengaduan contoh",
        received_at=received_at,
    )
    async with pool.acquire() as conn, conn.transaction():
        await EventStore("intake").append(
            conn, streams.complaint_stream(case_id), 0, [registered], meta
        )
        if CATALOGUE.service(office, service).requires_dtks:
            verified = DtksVerified(
                case_id=case_id,
                nik=nik,
                kk_number=NIKS[office] + "010101900001",
                region_code=f"{NIKS[office][:2]}.{NIKS[office][2:]}.01.2001",
                programmes=("BPNT",),
                snapshot_date=date(2026, 1, 1),
            )
            await EventStore("eligibility").append(
                conn, streams.eligibility_stream(case_id), 0, [verified], meta
            )
    return case_id, received_at


async def casework_disposes(
    app: FastAPI, pool: asyncpg.Pool, case_id: UUID, office: str, assignee: str, role: Role
) -> None:
    """What casework's disposition leaves in the store (`CaseAssigned`, kind disposition),
    taken in by the documents consumer (a catch-up from the store, as after a restart)."""
    disposed = CaseAssigned(
        case_id=case_id,
        assignee=assignee,
        role=role,
        assigned_by=f"staff:{office}-head",
        kind="disposition",
        instruction="Mohon dijawab.",
    )
    meta = EventMetadata(case_id=case_id, office=office, actor=f"staff:{office}-head")
    async with pool.acquire() as conn, conn.transaction():
        await EventStore("casework").append(conn, streams.case_stream(case_id), 0, [disposed], meta)

    async def taken_in() -> bool:
        # The store's reader hands an event out once every older transaction has ended
        # (it never skips one that commits late): catch up until the disposition is in.
        await app.state.runtime.consumer.catch_up()
        async with pool.acquire() as conn:
            return bool(
                await conn.fetchval(
                    "SELECT 1 FROM documents.dispositions WHERE case_id = $1", case_id
                )
            )

    await eventually(taken_in)


async def checklist(client: httpx.AsyncClient, case_id: UUID, office: str) -> Any:
    r = await client.get(
        f"/v1/cases/{case_id}/checklist",
        headers=auth(office, Role.FRONT_OFFICE, staff_id=f"{office}-{Role.FRONT_OFFICE}"),
    )
    return r.json() if r.status_code == 200 else None


async def bring_everything(client: httpx.AsyncClient, case_id: UUID, office: str) -> None:
    view = await eventually(lambda: checklist(client, case_id, office))
    for group in view["missing_documents"]:
        doc = group[0]
        form = "copy" if doc["form"] == "either" else doc["form"]
        r = await client.post(
            f"/v1/cases/{case_id}/documents",
            json={"document_type": doc["type"], "form": form},
            headers=auth(office, Role.FRONT_OFFICE, staff_id=f"{office}-{Role.FRONT_OFFICE}"),
        )
        assert r.status_code == 201, r.text
    assert (await checklist(client, case_id, office))["complete"]


PRODUCTS = [
    # office, service, variant, channel, proxy, extra draft fields
    ("lumajang", "kks-recommendation", "new-kks", Channel.WALK_IN, False, {}),
    ("lumajang", "kks-recommendation", "proxy-reset-pin", Channel.WALK_IN, True, {}),
    ("mataram", "sembako-complaint", "lost-card", Channel.WALK_IN, False, {}),
    ("pariaman", "dtks-certificate", "certificate", Channel.WALK_IN, False, {}),
    (
        "kupang",
        "public-complaint",
        "general",
        Channel.LETTER,
        False,
        {"text": "Bantuan Saudara akan disalurkan pada tahap berikutnya."},
    ),
    (
        "mataram",
        "lk3-consultation",
        "family-counselling",
        Channel.WALK_IN,
        False,
        {"recipient": "Kepala UPTD PPA Kota Mataram", "text": "Klien memerlukan pendampingan."},
    ),
]


async def test_every_letter_product_is_drafted_signed_printed_verified_and_issued(
    store: asyncpg.Pool, settings: Settings
) -> None:
    cases = [
        (
            spec,
            *await register_case(
                store,
                office=spec[0],
                service=spec[1],
                variant=spec[2],
                channel=spec[3],
                proxy=spec[4],
            ),
        )
        for spec in PRODUCTS
    ]
    numbers: dict[str, list[str]] = {}
    app = create_app(settings)
    async with running(app) as client:
        for (office, service_id, variant, channel, proxy, extra), case_id, received_at in cases:
            service = CATALOGUE.service(office, service_id)
            plan = plan_chain(service.approval_chain_for(channel))
            drafter = auth(office, plan.drafter, staff_id=f"{office}-drafter")
            await bring_everything(client, case_id, office)

            if plan.assigner is not None:  # Kupang: casework's disposition names the drafter
                r = await client.post(f"/v1/cases/{case_id}/letters", json=extra, headers=drafter)
                assert r.status_code == 409, r.text
                assert r.json()["error"]["code"] == "disposition_required"
                # Documents records no disposition of its own any more.
                r = await client.post(
                    f"/v1/cases/{case_id}/disposition",
                    json={"assignee": f"{office}-drafter", "note": "Mohon dijawab"},
                    headers=auth(office, plan.assigner, staff_id=f"{office}-head"),
                )
                assert r.status_code in (404, 405), r.text
                await casework_disposes(
                    app, store, case_id, office, f"{office}-drafter", plan.drafter
                )
                other = auth(office, plan.drafter, staff_id=f"{office}-someone-else")
                r = await client.post(f"/v1/cases/{case_id}/letters", json=extra, headers=other)
                assert r.status_code == 403 and r.json()["error"]["code"] == "not_assigned"
            if extra.get("text"):
                r = await client.post(f"/v1/cases/{case_id}/letters", json={}, headers=drafter)
                assert r.status_code == 422, r.text
                assert r.json()["error"]["code"] == "letter_field_required"

            r = await client.post(f"/v1/cases/{case_id}/letters", json=extra, headers=drafter)
            assert r.status_code == 201, (office, variant, r.text)
            letter = r.json()
            letter_id = letter["letter_id"]
            assert "Warga Contoh" in letter["body"] or extra.get("recipient", "") in letter["body"]
            bank = service.product(letter["product"]).identity == "full"
            holder_nik = NIKS[office] + ("014101900002" if proxy else "014101900001")
            assert (holder_nik in letter["body"]) is bank  # the full NIK only to a bank
            for role in plan.chain[:-1]:
                r = await client.post(
                    f"/v1/letters/{letter_id}/approve",
                    json={"comment": "Setuju"},
                    headers=auth(office, role, staff_id=f"{office}-{role.value}"),
                )
                assert r.status_code == 200, r.text
            signer = auth(office, plan.chain[-1], staff_id=f"{office}-signer")
            r = await client.post(f"/v1/letters/{letter_id}/sign", headers=signer)
            assert r.status_code == 200, r.text
            signed = r.json()
            code = re.escape(CATALOGUE.office(office).letter_number_code)
            assert re.fullmatch(rf"400\.9/\d{{4}}/{code}/[IVX]+/\d{{4}}", signed["letter_number"])
            numbers.setdefault(office, []).append(signed["letter_number"])

            # The printed letter: a real PDF whose page 1 is not blank, with the verify URL.
            r = await client.get(f"/v1/letters/{letter_id}.pdf", headers=signer)
            assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
            page = pdfium.PdfDocument(r.content)[0]
            image = page.render(scale=1).to_pil().convert("L")
            histogram = image.histogram()
            assert sum(histogram[:200]) / sum(histogram) > 0.02
            verify = f"/v1/verify/{letter_id}?h={signed['content_sha256']}"
            assert verify.encode() in r.content

            # The public page: no token; genuine by the hash; no more than the letter shows.
            v = await client.get(verify, headers={"Accept": "application/json"})
            assert v.status_code == 200 and v.json()["genuine"] is True
            assert v.json()["letter"]["number"] == signed["letter_number"]
            # Whom the letter is about: name and masked NIK; never the full NIK.
            person = v.json()["letter"]["person"]
            assert person["name"] == ("Pemegang Kartu" if proxy else "Warga Contoh")
            assert person["nik_masked"] == holder_nik[:4] + "*" * 8 + holder_nik[-4:]
            assert "014101900001" not in v.text and "014101900002" not in v.text
            html = await client.get(verify)
            assert html.status_code == 200 and "text/html" in html.headers["content-type"]
            assert "Surat ASLI" in html.text and signed["letter_number"] in html.text
            tampered = await client.get(f"/v1/verify/{letter_id}?h={'0' * 64}&format=json")
            assert tampered.status_code == 200
            assert tampered.json() == {"found": True, "genuine": False, "letter_id": letter_id}

            # Handed over at the desk (or sent): LetterIssued, once.
            desk = auth(office, Role.FRONT_OFFICE, staff_id=f"{office}-desk")
            r = await client.post(
                f"/v1/letters/{letter_id}/issue", json={"channel": "walk_in"}, headers=desk
            )
            assert r.status_code == 200, r.text
            assert r.json()["issued"]["channel"] == "walk_in"
            r = await client.post(f"/v1/letters/{letter_id}/issue", json={}, headers=desk)
            assert r.status_code == 409
            assert r.json()["error"]["code"] == "letter_already_handed_over"

            async with store.acquire() as conn:
                stream = await read_stream(conn, streams.letter_stream(letter_id))
            kinds = [e.event_type for e in stream]
            assert kinds[0] == "LetterDrafted" and kinds[-2:] == ["LetterSigned", "LetterIssued"]
            signed_event = stream[-2].data
            assert signed_event["requested_at"] is not None
            assert datetime.fromisoformat(signed_event["requested_at"]) == received_at
            promised = service.completion_time_for(channel)
            assert signed_event["promise"]["value"] == promised.value
            assert signed_event["promise"]["unit"] == promised.unit.value
            assert stream[-1].data["channel"] == "walk_in" and stream[-1].data["issued_at"]

    # One sequence per office: Mataram's two letters are 1 and 2.
    for issued in numbers.values():
        assert sorted(int(n.split("/")[1]) for n in issued) == list(range(1, len(issued) + 1))
    assert len(numbers["mataram"]) == 2


async def test_time_promises_lumajang_one_working_day_mataram_one_hour(
    store: asyncpg.Pool, settings: Settings
) -> None:
    lumajang, l_at = await register_case(
        store, office="lumajang", service="kks-recommendation", variant="reset-pin"
    )
    mataram, m_at = await register_case(
        store, office="mataram", service="sembako-complaint", variant="pin-blocked"
    )
    async with running(create_app(settings)) as client:
        await bring_everything(client, lumajang, "lumajang")
        await bring_everything(client, mataram, "mataram")
        view = await checklist(client, mataram, "mataram")
        assert view["promise"]["value"] == 1 and view["promise"]["unit"] == "hours"
    async with store.acquire() as conn:
        l_stream = await read_stream(conn, streams.checklist_stream(lumajang))
        m_stream = await read_stream(conn, streams.checklist_stream(mataram))
    l_done, m_done = l_stream[-1].data, m_stream[-1].data
    assert l_stream[-1].event_type == m_stream[-1].event_type == "RequirementsCompleted"
    assert l_done["promise"] == {
        "value": 1,
        "unit": "working_days",
        "label": "1 hari kerja",
        "standard_version": "188.4/329/427.64/2022",
    }
    assert m_done["promise"]["value"] == 1 and m_done["promise"]["unit"] == "hours"
    assert datetime.fromisoformat(l_done["requested_at"]) == l_at
    assert datetime.fromisoformat(m_done["requested_at"]) == m_at
    assert datetime.fromisoformat(m_done["completed_at"]) >= m_at


async def _files(store: asyncpg.Pool) -> int:
    async with store.acquire() as conn:
        return int(await conn.fetchval("SELECT count(*) FROM documents.files"))


async def test_scans_are_kept_with_their_checksum_and_bad_ones_leave_nothing(
    store: asyncpg.Pool, settings: Settings
) -> None:
    case_id, _ = await register_case(
        store, office="lumajang", service="kks-recommendation", variant="reset-pin"
    )
    fo = auth("lumajang", Role.FRONT_OFFICE, staff_id="lmj-fo")
    url = f"/v1/cases/{case_id}/documents/upload"

    def upload(doc: str, form: str, content: bytes, content_type: str) -> dict[str, Any]:
        return {
            "data": {"document_type": doc, "form": form},
            "files": {"file": ("scan.bin", io.BytesIO(content), content_type)},
        }

    async with running(create_app(settings)) as client:
        await eventually(lambda: checklist(client, case_id, "lumajang"))
        r = await client.post(url, headers=fo, **upload("ktp", "copy", PNG, "image/png"))
        assert r.status_code == 201, r.text
        received = r.json()["checklist"]["received"]
        assert received[0]["file"]["sha256"] == hashlib.sha256(PNG).hexdigest()
        file_id = received[0]["file"]["file_id"]
        r = await client.get(f"/v1/files/{file_id}", headers=fo)
        assert r.status_code == 200 and r.content == PNG
        assert r.headers["content-type"] == "image/png"
        r = await client.get(
            f"/v1/files/{file_id}",
            headers=auth("kupang", Role.FRONT_OFFICE, staff_id=f"kupang-{Role.FRONT_OFFICE}"),
        )
        assert r.status_code == 403 and r.json()["error"]["code"] == "wrong_office"
        again = await client.post(url, headers=fo, **upload("ktp", "copy", PNG, "image/png"))
        assert again.status_code == 200 and again.json()["recorded"] is False

        async with store.acquire() as conn:
            version_before = len(await read_stream(conn, streams.checklist_stream(case_id)))
        assert await _files(store) == 1
        refusals = [
            (upload("kks", "original", PNG, "application/pdf"), 422, "file_type_mismatch"),
            (
                upload("kks", "original", b"%PDF-1.4 hello", "text/plain"),
                415,
                "unsupported_file_type",
            ),
            (upload("passport", "copy", PNG, "image/png"), 422, "unknown_document_type"),
            (upload("kks", "copy", PNG, "image/png"), 422, "original_required"),
            (
                upload(
                    "kks", "original", b"%PDF-1.4\n" + b"0" * (5 * 1024 * 1024), "application/pdf"
                ),
                413,
                "file_too_large",
            ),
            ({"data": {"document_type": "kks", "form": "original"}}, 422, "file_missing"),
            (  # refused from its Content-Length, before the body is parsed
                upload(
                    "kks",
                    "original",
                    b"%PDF-1.4\n" + b"0" * (5 * 1024 * 1024 + 100_000),
                    "application/pdf",
                ),
                413,
                "file_too_large",
            ),
        ]
        for kwargs, status, code in refusals:
            r = await client.post(url, headers=fo, **kwargs)
            assert r.status_code == status, (code, r.text)
            assert r.json()["error"]["code"] == code
        r = await client.post(
            f"/v1/cases/{uuid4()}/documents/upload",
            headers=fo,
            **upload("ktp", "copy", PNG, "image/png"),
        )
        assert r.status_code == 404

        # Nothing half-stored: no file, no event, the checklist as it was.
        assert await _files(store) == 1
        async with store.acquire() as conn:
            assert len(await read_stream(conn, streams.checklist_stream(case_id))) == version_before
        view = await checklist(client, case_id, "lumajang")
        assert view["missing"] == ["kks"] and len(view["received"]) == 1

        pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
        r = await client.post(url, headers=fo, **upload("kks", "original", pdf, "application/pdf"))
        assert r.status_code == 201 and r.json()["checklist"]["complete"] is True
    async with store.acquire() as conn:
        stream = await read_stream(conn, streams.checklist_stream(case_id))
    assert stream[-2].data["file_sha256"] == hashlib.sha256(pdf).hexdigest()
    assert stream[-2].data["file_content_type"] == "application/pdf"
    assert stream[-1].event_type == "RequirementsCompleted"


async def test_the_citizen_is_told_what_to_bring_and_drafting_waits(
    store: asyncpg.Pool, settings: Settings
) -> None:
    case_id, _ = await register_case(
        store, office="lumajang", service="kks-recommendation", variant="proxy-new-kks", proxy=True
    )
    fo = auth("lumajang", Role.FRONT_OFFICE, staff_id=f"lumajang-{Role.FRONT_OFFICE}")
    async with running(create_app(settings)) as client:
        await eventually(lambda: checklist(client, case_id, "lumajang"))
        await client.post(
            f"/v1/cases/{case_id}/documents", json={"document_type": "kk"}, headers=fo
        )
        r = await client.post(f"/v1/cases/{case_id}/checklist/decision", headers=fo)
        assert r.status_code == 200 and r.json()["complete"] is False
        assert r.json()["missing"] == ["police_loss_report", "materai_10000", "village_statement"]
        assert "Materai 10.000 (asli)" in r.json()["message"]
        again = await client.post(f"/v1/cases/{case_id}/checklist/decision", headers=fo)
        assert again.json()["missing"] == r.json()["missing"]
        r = await client.post(
            f"/v1/cases/{case_id}/letters",
            json={},
            headers=auth("lumajang", Role.OFFICER, staff_id=f"lumajang-{Role.OFFICER}"),
        )
        assert r.status_code == 409 and r.json()["error"]["code"] == "requirements_incomplete"
        assert "Materai 10.000" in r.json()["error"]["message"]
        assert r.json()["error"]["details"]["missing"][1] == "materai_10000"
        r = await client.post(
            f"/v1/cases/{case_id}/checklist/decision",
            headers=auth(
                "lumajang", Role.HEAD_OF_DIVISION, staff_id=f"lumajang-{Role.HEAD_OF_DIVISION}"
            ),
        )
        assert r.status_code == 403
    async with store.acquire() as conn:
        stream = await read_stream(conn, streams.checklist_stream(case_id))
    noted = [e for e in stream if e.event_type == "DocumentsMissingNoted"]
    assert len(noted) == 1  # the same list is not told twice
    assert noted[0].data["missing"][0]["names"] == ["Surat kehilangan dari Polsek"]


async def test_two_signers_or_two_issuers_at_once_one_wins(
    store: asyncpg.Pool, settings: Settings
) -> None:
    case_id, _ = await register_case(
        store, office="lumajang", service="kks-recommendation", variant="reset-pin"
    )
    async with running(create_app(settings)) as client:
        await bring_everything(client, case_id, "lumajang")
        r = await client.post(
            f"/v1/cases/{case_id}/letters",
            json={},
            headers=auth("lumajang", Role.OFFICER, staff_id=f"lumajang-{Role.OFFICER}"),
        )
        letter_id = r.json()["letter_id"]
        for role in (Role.SUB_COORDINATOR, Role.HEAD_OF_DIVISION):
            r = await client.post(
                f"/v1/letters/{letter_id}/approve",
                json={},
                headers=auth("lumajang", role, staff_id=f"lumajang-{role}"),
            )
            assert r.status_code == 200
        r = await client.post(
            f"/v1/letters/{letter_id}/issue",
            json={},
            headers=auth("lumajang", Role.FRONT_OFFICE, staff_id=f"lumajang-{Role.FRONT_OFFICE}"),
        )
        assert r.status_code == 409 and r.json()["error"]["code"] == "letter_not_signed"
        r = await client.get(
            f"/v1/letters/{letter_id}.pdf",
            headers=auth(
                "lumajang", Role.HEAD_OF_DIVISION, staff_id=f"lumajang-{Role.HEAD_OF_DIVISION}"
            ),
        )
        assert r.status_code == 409 and r.json()["error"]["code"] == "letter_not_signed"

        signers = [auth("lumajang", Role.SECRETARY, staff_id=f"sec-{i}") for i in range(2)]
        results = await asyncio.gather(
            *(client.post(f"/v1/letters/{letter_id}/sign", headers=h) for h in signers)
        )
        assert sorted(r.status_code for r in results) == [200, 409]
        r = await client.post(
            f"/v1/letters/{letter_id}/issue",
            json={},
            headers=auth(
                "lumajang", Role.HEAD_OF_DIVISION, staff_id=f"lumajang-{Role.HEAD_OF_DIVISION}"
            ),
        )
        assert r.status_code == 403 and r.json()["error"]["code"] == "wrong_role"
        r = await client.post(
            f"/v1/letters/{letter_id}/issue",
            json={},
            headers=auth("kupang", Role.FRONT_OFFICE, staff_id=f"kupang-{Role.FRONT_OFFICE}"),
        )
        assert r.status_code == 403 and r.json()["error"]["code"] == "wrong_office"
        issuers = [auth("lumajang", Role.FRONT_OFFICE, staff_id=f"fo-{i}") for i in range(2)]
        results = await asyncio.gather(
            *(
                client.post(f"/v1/letters/{letter_id}/issue", json={"channel": ch}, headers=h)
                for h, ch in zip(issuers, ("walk_in", "whatsapp"), strict=True)
            )
        )
        assert sorted(r.status_code for r in results) == [200, 409]
        r = await client.get(f"/v1/verify/{uuid4()}?h={'0' * 64}&format=json")
        assert r.status_code == 404 and r.json()["found"] is False
    async with store.acquire() as conn:
        # The losing signature took no number: the office's counter is at 1.
        assert (
            await conn.fetchval(
                "SELECT last_number FROM documents.letter_counters WHERE office = 'lumajang'"
            )
            == 1
        )
        kinds = [e.event_type for e in await read_stream(conn, streams.letter_stream(letter_id))]
    assert kinds.count("LetterSigned") == 1 and kinds.count("LetterIssued") == 1


_PROJECTIONS = {
    "checklists": "case_id",
    "eligibility": "case_id",
    "letters": "letter_id",
    "dispositions": "case_id",
}


async def _snapshot(store: asyncpg.Pool) -> dict[str, list[dict[str, Any]]]:
    out = {}
    async with store.acquire() as conn:
        for table, key in _PROJECTIONS.items():
            rows = await conn.fetch(f"SELECT * FROM documents.{table} ORDER BY {key}")
            out[table] = [{k: v for k, v in dict(r).items() if k != "updated_at"} for r in rows]
    return out


async def test_the_rebuilt_projections_equal_the_live_ones(
    store: asyncpg.Pool, settings: Settings
) -> None:
    from services.documents.service_layer.rebuild import rebuild_projections

    lumajang, _ = await register_case(
        store, office="lumajang", service="kks-recommendation", variant="reset-pin"
    )
    kupang, _ = await register_case(
        store,
        office="kupang",
        service="public-complaint",
        variant="general",
        channel=Channel.LETTER,
    )
    waiting, _ = await register_case(
        store, office="mataram", service="sembako-complaint", variant="expired"
    )
    fo = auth("lumajang", Role.FRONT_OFFICE, staff_id=f"lumajang-{Role.FRONT_OFFICE}")
    app = create_app(settings)
    async with running(app) as client:
        await eventually(lambda: checklist(client, waiting, "mataram"))
        r = await client.post(
            f"/v1/cases/{waiting}/checklist/decision",
            headers=auth("mataram", Role.FRONT_OFFICE, staff_id=f"mataram-{Role.FRONT_OFFICE}"),
        )
        assert r.status_code == 200
        # Lumajang: a scan, then the letter returned once, resubmitted, signed and issued.
        await eventually(lambda: checklist(client, lumajang, "lumajang"))
        r = await client.post(
            f"/v1/cases/{lumajang}/documents/upload",
            headers=fo,
            data={"document_type": "kk", "form": "copy"},
            files={"file": ("kk.png", io.BytesIO(PNG), "image/png")},
        )
        assert r.status_code == 201
        await bring_everything(client, lumajang, "lumajang")
        r = await client.post(
            f"/v1/cases/{lumajang}/letters",
            json={},
            headers=auth("lumajang", Role.OFFICER, staff_id=f"lumajang-{Role.OFFICER}"),
        )
        letter_id = r.json()["letter_id"]
        r = await client.post(
            f"/v1/letters/{letter_id}/return",
            json={"comment": "Perbaiki"},
            headers=auth(
                "lumajang", Role.SUB_COORDINATOR, staff_id=f"lumajang-{Role.SUB_COORDINATOR}"
            ),
        )
        r = await client.post(
            f"/v1/letters/{letter_id}/resubmit",
            json={},
            headers=auth("lumajang", Role.OFFICER, staff_id=f"lumajang-{Role.OFFICER}"),
        )
        for role in (Role.SUB_COORDINATOR, Role.HEAD_OF_DIVISION):
            await client.post(
                f"/v1/letters/{letter_id}/approve",
                json={},
                headers=auth("lumajang", role, staff_id=f"lumajang-{role}"),
            )
        r = await client.post(
            f"/v1/letters/{letter_id}/sign",
            headers=auth("lumajang", Role.SECRETARY, staff_id=f"lumajang-{Role.SECRETARY}"),
        )
        assert r.status_code == 200, r.text
        await client.post(f"/v1/letters/{letter_id}/issue", json={}, headers=fo)
        # Kupang: casework's disposition taken in, and a draft in review.
        await bring_everything(client, kupang, "kupang")
        await casework_disposes(app, store, kupang, "kupang", "kpg-official", Role.SUB_COORDINATOR)
        r = await client.post(
            f"/v1/cases/{kupang}/letters",
            json={"text": "Jawaban"},
            headers=auth("kupang", Role.SUB_COORDINATOR, staff_id="kpg-official"),
        )
        assert r.status_code == 201, r.text

        live = await _snapshot(store)
        assert all(live[t] for t in _PROJECTIONS)
        report = await rebuild_projections(store, CATALOGUE)
        assert report.checklists == 3 and report.letters == 2
        assert await _snapshot(store) == live
        # The letter still verifies after the rebuild (its content came from the log).
        signed = next(x for x in live["letters"] if x["status"] == "signed")
        v = await client.get(
            f"/v1/verify/{signed['letter_id']}?h={signed['content_sha256']}&format=json"
        )
        assert v.json()["genuine"] is True


async def test_concurrent_signatures_in_two_offices_with_the_same_code(
    store: asyncpg.Pool, settings: Settings
) -> None:
    """Mataram and Pariaman both number as .../Dinsos/...: each office its own sequence."""
    specs = [("mataram", "sembako-complaint", "pin-blocked")] * 6 + [
        ("pariaman", "dtks-certificate", "certificate")
    ] * 6
    cases = [
        (office, (await register_case(store, office=office, service=s, variant=v))[0])
        for office, s, v in specs
    ]
    async with running(create_app(settings)) as client:

        async def ready(office: str, case_id: UUID) -> str:
            await bring_everything(client, case_id, office)
            r = await client.post(
                f"/v1/cases/{case_id}/letters",
                json={},
                headers=auth(office, Role.BACK_OFFICE, staff_id=f"{office}-{Role.BACK_OFFICE}"),
            )
            assert r.status_code == 201, r.text
            letter_id = str(r.json()["letter_id"])
            if office == "mataram":
                r = await client.post(
                    f"/v1/letters/{letter_id}/approve",
                    json={},
                    headers=auth(
                        office, Role.HEAD_OF_DIVISION, staff_id=f"{office}-{Role.HEAD_OF_DIVISION}"
                    ),
                )
                assert r.status_code == 200
            return letter_id

        letters = [(office, await ready(office, case_id)) for office, case_id in cases]
        results = await asyncio.gather(
            *(
                client.post(
                    f"/v1/letters/{lid}/sign",
                    headers=auth(
                        office, Role.HEAD_OF_OFFICE, staff_id=f"{office}-{Role.HEAD_OF_OFFICE}"
                    ),
                )
                for office, lid in letters
            )
        )
    assert all(r.status_code == 200 for r in results), [r.text for r in results if r.is_error]
    by_office: dict[str, list[str]] = {}
    for (office, _), r in zip(letters, results, strict=True):
        by_office.setdefault(office, []).append(r.json()["letter_number"])
    for numbers in by_office.values():
        assert sorted(int(n.split("/")[1]) for n in numbers) == list(range(1, 7))
        assert all("/Dinsos/" in n for n in numbers)


async def test_malformed_requests_get_a_4xx_with_the_error_shape(
    store: asyncpg.Pool, settings: Settings
) -> None:
    case_id, _ = await register_case(
        store, office="lumajang", service="kks-recommendation", variant="reset-pin"
    )
    staff = auth("lumajang", Role.FRONT_OFFICE, Role.OFFICER, Role.SECRETARY, Role.HEAD_OF_OFFICE)
    letter = uuid4()
    attempts: list[tuple[str, str, Any]] = [
        ("POST", f"/v1/cases/{case_id}/documents", b"{not json"),
        ("POST", f"/v1/cases/{case_id}/documents", {"document_type": "", "form": "copy"}),
        ("POST", f"/v1/cases/{case_id}/documents", {"document_type": "ktp", "form": "scan"}),
        ("POST", f"/v1/cases/{case_id}/documents", {"document_type": "k" * 65}),
        ("POST", f"/v1/cases/{case_id}/documents", {"document_type": "ktp", "x": 1}),
        ("POST", "/v1/cases/not-a-uuid/documents", {"document_type": "ktp"}),
        ("POST", f"/v1/cases/{case_id}/documents/upload", {"document_type": "ktp"}),
        ("POST", f"/v1/cases/{case_id}/documents/upload", b"--x\r\ngarbage"),
        ("POST", f"/v1/cases/{case_id}/letters", {"product": 7}),
        ("POST", f"/v1/cases/{case_id}/letters", {"product": "no-such-product"}),
        ("POST", f"/v1/cases/{case_id}/letters", {"text": "x" * 20_001}),
        ("POST", f"/v1/letters/{letter}/approve", {"expected_version": "three"}),
        ("POST", f"/v1/letters/{letter}/return", {"comment": ""}),
        ("POST", f"/v1/letters/{letter}/issue", {"channel": "pigeon"}),
        ("POST", f"/v1/letters/{letter}/sign", None),
        ("GET", f"/v1/letters/{letter}.pdf", None),
        ("GET", f"/v1/files/{uuid4()}", None),
        ("GET", f"/v1/verify/{letter}", None),
        ("GET", f"/v1/verify/{letter}?h={'a' * 500}", None),
        ("GET", "/v1/verify/not-a-uuid?h=abc", None),
    ]
    async with running(create_app(settings)) as client:
        await eventually(lambda: checklist(client, case_id, "lumajang"))
        for method, path, body in attempts:
            kwargs: dict[str, Any] = {"headers": dict(staff)}
            if isinstance(body, bytes):
                kwargs["content"] = body
                kwargs["headers"]["content-type"] = (
                    "multipart/form-data; boundary=x" if "upload" in path else "application/json"
                )
            elif body is not None:
                kwargs["json"] = body
            r = await client.request(method, path, **kwargs)
            assert 400 <= r.status_code < 500, (method, path, r.status_code, r.text)
            error = r.json().get("error")
            if "/verify/" in path and r.status_code == 404:
                assert r.json()["found"] is False
            else:
                assert error and error["code"] and error["message"], (path, r.text)
        # None of it changed the case.
        view = await checklist(client, case_id, "lumajang")
        assert view["received"] == [] and view["version"] == 0
