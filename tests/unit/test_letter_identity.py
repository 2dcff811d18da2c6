"""Letters name the person as the registry lists them, with as much of their numbers as
the recipient needs; the public verification page shows the name and a masked NIK only."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID, uuid4

import pytest

from services.documents.domain.commands import DraftLetter, ReceiveDocument, SignLetter
from services.documents.domain.content import LetterFacts, about, compose, letter_content
from services.documents.domain.identity import (
    RegistryIdentity,
    identify,
    mask_nik,
    person_lines,
    registry_identity,
    unchecked_basis,
)
from services.documents.entrypoints.rate_limit import RateLimit
from services.documents.entrypoints.verification import page
from services.documents.service_layer.draft_letter import draft_letter
from services.documents.service_layer.record_document import record_document
from services.documents.service_layer.sign_letter import sign_letter
from services.documents.service_layer.verify_letter import verify_letter
from services.documents.service_layer.when_complaint_registered_open_checklist import (
    when_complaint_registered_open_checklist,
)
from services.documents.service_layer.when_dtks_checked_record_result import (
    when_dtks_verified_record_result,
)
from shared.auth import StaffIdentity
from shared.catalogue import load_catalogue
from shared.contracts.base import EventMetadata
from shared.contracts.events import Applicant, ComplaintRegistered, DtksVerified, LetterDrafted
from shared.contracts.streams import complaint_stream, eligibility_stream, letter_stream
from shared.contracts.vocab import Channel, Role
from shared.refusal import Refused
from tests.unit.fakes_documents import FakeDocuments

CATALOGUE = load_catalogue()
PARIAMAN = CATALOGUE.office("pariaman")
CERTIFICATE = PARIAMAN.service("dtks-certificate")
LUMAJANG = CATALOGUE.office("lumajang")
KKS = LUMAJANG.service("kks-recommendation")

# Synthetic identities.
NIK = "1377014101900011"
KK = "1377010101100011"
HOLDER_NIK = "3508014101900041"
HOLDER_KK = "3508010101100041"
KKS_CARD = "5264221000000041"
PROFILE_NAME = "Rina"  # what a WhatsApp profile says
REGISTRY_NAME = "Rina Uji Pariaman"  # what the registry lists for the NIK


def certificate_facts(**kw: object) -> LetterFacts:
    return LetterFacts(
        office=PARIAMAN,
        service=CERTIFICATE,
        variant=CERTIFICATE.variant("certificate"),
        product=CERTIFICATE.product("dtks-certificate"),
        ticket_number="PRM-2026-000001",
        applicant=Applicant(name=PROFILE_NAME, nik=NIK, phone="6281200000011"),
        dtks_listed=True,
        **kw,  # type: ignore[arg-type]
    )


def test_mask_keeps_the_region_and_the_last_four_digits() -> None:
    assert mask_nik("5271014101900007") == "5271********0007"
    assert mask_nik("5271014101900007", fill="\u2022") == "5271" + "\u2022" * 8 + "0007"
    assert mask_nik(None) == "-" and mask_nik("") == "-"
    assert mask_nik("1234") == "****"  # too short to show anything


def test_the_registry_s_identity_wins_over_the_channel_s_name() -> None:
    registry = RegistryIdentity(nik=NIK, name=REGISTRY_NAME, kk_number=KK)
    person = identify(Applicant(name=PROFILE_NAME, nik=NIK), registry, "declared")
    assert (person.name, person.nik, person.kk_number, person.basis) == (
        REGISTRY_NAME,
        NIK,
        KK,
        "registry",
    )
    # An answer written before the registry's name travelled: the declared identity, said so.
    nameless = RegistryIdentity(nik=NIK, name=None, kk_number=KK)
    assert identify(Applicant(name=PROFILE_NAME, nik=NIK), nameless, "declared").basis == (
        "declared"
    )


def test_an_unchecked_identity_is_the_ktp_s_at_the_desk_else_as_declared() -> None:
    assert unchecked_basis(Channel.WALK_IN, {"ktp", "kk"}) == "ktp"
    assert unchecked_basis(Channel.WALK_IN, {"kk"}) == "declared"
    assert unchecked_basis(Channel.WHATSAPP, {"ktp"}) == "declared"
    ktp = person_lines(identify(Applicant(name="A", nik=NIK), None, "ktp"), "masked")
    assert ktp[-1] == "(Identitas sesuai KTP yang diperiksa petugas.)"
    said = person_lines(identify(Applicant(name="A", nik=NIK), None, "declared"), "masked")
    assert "keterangan pemohon" in said[-1] and "DTKS" in said[-1]


def test_a_certificate_names_the_registry_s_person_with_a_masked_nik() -> None:
    facts = certificate_facts(registry=RegistryIdentity(NIK, REGISTRY_NAME, KK))
    subject, body = compose(facts)
    assert subject == "Surat Keterangan DTKS"
    assert f"Nama           : {REGISTRY_NAME}" in body
    assert f"Nama           : {PROFILE_NAME}\n" not in body
    assert "NIK            : 1377********0011" in body
    assert NIK not in body and KK not in body  # `identity: masked` in the catalogue
    assert "keterangan pemohon" not in body  # the registry vouches for it
    person = about(facts)
    assert (person.name, person.nik_masked, person.basis) == (
        REGISTRY_NAME,
        "1377********0011",
        "registry",
    )


def test_a_certificate_without_a_registry_name_says_the_identity_is_declared() -> None:
    _, body = compose(certificate_facts())
    assert f"Nama           : {PROFILE_NAME}" in body
    assert "(Identitas sesuai keterangan pemohon; belum dicocokkan dengan data DTKS.)" in body


def test_a_bank_letter_carries_the_full_nik_kk_and_kks_numbers_of_the_cardholder() -> None:
    assert KKS.product("proxy-letter").identity == "full"
    facts = LetterFacts(
        office=LUMAJANG,
        service=KKS,
        variant=KKS.variant("proxy-reset-pin"),
        product=KKS.product("proxy-letter"),
        ticket_number="LMJ-2026-000001",
        applicant=Applicant(name="Kuasa Contoh", nik="3508010202850042"),
        on_behalf_of=Applicant(name="Ibu", nik=HOLDER_NIK, kks_number=KKS_CARD),
        registry=RegistryIdentity(HOLDER_NIK, "Pemegang Kartu Terdaftar", HOLDER_KK),
        unchecked="ktp",
    )
    _, body = compose(facts)
    holder = body[body.index("pemegang kartu:") :]
    assert "Nama           : Pemegang Kartu Terdaftar" in holder
    assert f"NIK            : {HOLDER_NIK}" in holder
    assert f"Nomor KK       : {HOLDER_KK}" in holder
    assert f"Nomor KKS      : {KKS_CARD}" in holder
    # The proxy is not the registry's person: their own identity, from the KTP at the desk.
    proxy = body[: body.index("pemegang kartu:")]
    assert "Kuasa Contoh" in proxy and "3508010202850042" in proxy
    assert "(Identitas sesuai KTP yang diperiksa petugas.)" in proxy
    assert about(facts).name == "Pemegang Kartu Terdaftar"  # the letter is about the holder


def test_the_signed_content_keeps_whom_it_is_about_masked() -> None:
    facts = certificate_facts(registry=RegistryIdentity(NIK, REGISTRY_NAME, KK))
    subject, body = compose(facts)
    content = letter_content(
        letter_number="400.9/0001/PRM/XI/2026",
        on=date(2026, 11, 3),
        office=PARIAMAN,
        subject=subject,
        body=body,
        signatory=PARIAMAN.signatory(Role.HEAD_OF_OFFICE),
        letter_type="dtks_certificate",
        about=about(facts),
    )
    assert content["about"] == {
        "name": REGISTRY_NAME,
        "nik": "1377********0011",
        "basis": "registry",
    }


async def test_registry_identity_is_the_answer_documents_recorded() -> None:
    case_id = uuid4()
    meta = EventMetadata(case_id=case_id, office="pariaman", actor="system:eligibility")

    def verified(name: str) -> DtksVerified:
        return DtksVerified(
            case_id=case_id,
            nik=NIK,
            kk_number=KK,
            region_code="13.77.01.1001",
            snapshot_date=date(2026, 10, 1),
            name=name,
        )

    log = FakeDocuments().events
    [older, _newer] = await log.append(
        eligibility_stream(case_id), 0, [verified("Lama"), verified("Baru")], meta
    )
    log.commit()
    envelopes = await log.read_case(case_id)
    assert registry_identity(envelopes, older.global_position) == RegistryIdentity(
        NIK, "Lama", KK, "DTKS"
    )
    assert registry_identity(envelopes, None) == RegistryIdentity(NIK, "Baru", KK, "DTKS")
    assert registry_identity([], None) is None


# ---- the use cases on the in-memory unit of work ------------------------------------------


BACK = StaffIdentity(staff_id="prm-back", office="pariaman", roles=frozenset({Role.BACK_OFFICE}))
FO = StaffIdentity(staff_id="prm-desk", office="pariaman", roles=frozenset({Role.FRONT_OFFICE}))
HEAD = StaffIdentity(staff_id="prm-head", office="pariaman", roles=frozenset({Role.HEAD_OF_OFFICE}))


async def whatsapp_certificate_request(db: FakeDocuments) -> UUID:
    """A WhatsApp request whose profile name is not the registry's, verified in DTKS."""
    case_id = uuid4()
    registered = ComplaintRegistered(
        case_id=case_id,
        ticket_number="PRM-2026-000001",
        office="pariaman",
        service="dtks-certificate",
        variant="certificate",
        channel=Channel.WHATSAPP,
        applicant=Applicant(name=PROFILE_NAME, nik=NIK, phone="6281200000011"),
        received_at=datetime(2026, 11, 2, 2, 0, tzinfo=UTC),
    )
    meta = EventMetadata(case_id=case_id, office="pariaman", actor="citizen")
    await db.events.append(complaint_stream(case_id), 0, [registered], meta)
    verified = DtksVerified(
        case_id=case_id,
        nik=NIK,
        kk_number=KK,
        region_code="13.77.01.1001",
        programmes=("PKH",),
        snapshot_date=date(2026, 10, 1),
        name=REGISTRY_NAME,
    )
    [answer] = await db.events.append(eligibility_stream(case_id), 0, [verified], meta)
    db.events.commit()
    uow = db.unit_of_work()
    await when_complaint_registered_open_checklist(uow, registered, CATALOGUE)
    await when_dtks_verified_record_result(uow, verified, answer)
    for document_type in ("kk", "ktp"):
        cmd = ReceiveDocument(case_id=case_id, document_type=document_type, form="copy")
        assert await record_document(db.unit_of_work, cmd, FO, uuid4())
    return case_id


async def test_a_whatsapp_certificate_is_signed_and_verified_with_the_registry_s_name() -> None:
    db = FakeDocuments()
    case_id = await whatsapp_certificate_request(db)
    letter_id = await draft_letter(
        db.unit_of_work, CATALOGUE, DraftLetter(case_id=case_id), BACK, uuid4()
    )
    [drafted] = [e.payload() for e in await db.events.read_stream(letter_stream(letter_id))][:1]
    assert isinstance(drafted, LetterDrafted)
    assert REGISTRY_NAME in drafted.body and f": {PROFILE_NAME}\n" not in drafted.body
    assert drafted.about is not None and drafted.about.name == REGISTRY_NAME

    signed = await sign_letter(
        db.unit_of_work, CATALOGUE, SignLetter(letter_id=letter_id), HEAD, uuid4()
    )
    assert signed.content_sha256 is not None
    result = await verify_letter(db.unit_of_work, letter_id, signed.content_sha256)
    assert result["genuine"] is True
    assert result["letter"]["person"] == {
        "name": REGISTRY_NAME,
        "nik_masked": "1377********0011",
        "basis": "registry",
    }
    html = page(result)
    assert "Surat ASLI" in html and REGISTRY_NAME in html
    assert "1377\u2022\u2022\u2022\u2022\u2022\u2022\u2022\u20220011" in html
    assert NIK not in html and KK not in html and "6281200000011" not in html
    assert f">{PROFILE_NAME}<" not in html

    # A wrong hash shows nothing about the letter, nor whom it is about.
    wrong = await verify_letter(db.unit_of_work, letter_id, "0" * 64)
    assert "letter" not in wrong and REGISTRY_NAME not in page(wrong)


@pytest.mark.parametrize("product", ["reset-pin-letter", "new-kks-letter", "proxy-letter"])
def test_the_catalogue_says_which_letters_go_to_a_bank(product: str) -> None:
    assert KKS.product(product).identity == "full"
    mataram = CATALOGUE.service("mataram", "sembako-complaint")
    assert mataram.product("recommendation-letter").identity == "full"
    assert CERTIFICATE.product("dtks-certificate").identity == "masked"
    referral = CATALOGUE.service("mataram", "lk3-consultation").product("referral-letter")
    assert referral.identity == "masked"


def test_the_public_page_is_rate_limited_per_client() -> None:
    now = [1000.0]
    limit = RateLimit(3, clock=lambda: now[0])
    for _ in range(3):
        limit.check("203.0.113.7")
    with pytest.raises(Refused) as err:
        limit.check("203.0.113.7")
    assert (err.value.status, err.value.code) == (429, "too_many_requests")
    assert err.value.details["retry_after_seconds"] == 60
    limit.check("198.51.100.1")  # another client is not slowed down
    now[0] += 60.5  # the window has passed
    limit.check("203.0.113.7")
