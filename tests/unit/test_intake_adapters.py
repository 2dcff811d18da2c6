"""Channel adapters read each channel's own format; intake's rules classify what they read."""

from __future__ import annotations

import hashlib
import hmac
from email.message import EmailMessage
from pathlib import Path

import orjson
import pytest

from services.intake.adapters.channels.base import (
    PayloadUnreadable,
    hmac_sha256_b64,
    hmac_sha256_b64_valid,
    hmac_sha256_hex_valid,
)
from services.intake.adapters.channels.email import parse_email
from services.intake.adapters.channels.forms import LaporReport, SuggestionBoxBatch
from services.intake.adapters.channels.social import parse_meta_page, parse_twitter, parse_whatsapp
from services.intake.domain.inbound import (
    Classified,
    InboundPayload,
    NeedsTriage,
    Sender,
    classify,
    reply_reference,
)
from services.intake.domain.registration import identifiers, normalise_phone
from shared.catalogue import Catalogue, CatalogueError, load_catalogue
from shared.contracts.events import Applicant
from shared.contracts.vocab import Channel


@pytest.fixture(scope="module")
def cat() -> Catalogue:
    return load_catalogue()


def test_meta_and_lapor_signatures_are_hmac_sha256_hex() -> None:
    body = b'{"object":"page"}'
    good = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert hmac_sha256_hex_valid("s3cret", body, good)
    assert not hmac_sha256_hex_valid("other", body, good)
    assert not hmac_sha256_hex_valid("s3cret", body + b" ", good)
    assert not hmac_sha256_hex_valid("s3cret", body, None)
    assert not hmac_sha256_hex_valid("s3cret", body, good.removeprefix("sha256="))


def test_x_signatures_are_base64() -> None:
    body = b'{"for_user_id":"1"}'
    header = "sha256=" + hmac_sha256_b64("k", body)
    assert hmac_sha256_b64_valid("k", body, header)
    assert not hmac_sha256_b64_valid("k", b"{}", header)


def test_whatsapp_text_media_and_receipts() -> None:
    body = orjson.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "changes": [
                        {
                            "value": {
                                "contacts": [{"profile": {"name": "Warga"}, "wa_id": "628120001"}],
                                "messages": [
                                    {
                                        "from": "628120001",
                                        "id": "wamid.1",
                                        "timestamp": "1763900000",
                                        "type": "text",
                                        "text": {"body": "KKS hilang"},
                                    },
                                    {
                                        "from": "628120001",
                                        "id": "wamid.2",
                                        "timestamp": "1763900001",
                                        "type": "image",
                                        "image": {
                                            "id": "MEDIA9",
                                            "mime_type": "image/jpeg",
                                            "sha256": "abc",
                                            "caption": "foto KK",
                                        },
                                    },
                                    {"from": "628120001", "id": "wamid.3", "type": "reaction"},
                                ],
                                "statuses": [{"id": "wamid.0", "status": "read"}],
                            }
                        }
                    ]
                }
            ],
        }
    )
    items = parse_whatsapp(body, "pariaman")
    assert [i.external_id for i in items] == ["wamid.1", "wamid.2"]
    assert items[0].payload.sender == Sender(name="Warga", phone="+628120001")
    assert items[1].payload.text == "foto KK"
    assert items[1].payload.attachments[0].id == "MEDIA9"
    assert items[1].attachments == ()  # media are fetched by id later, not in the webhook
    with pytest.raises(PayloadUnreadable):
        parse_whatsapp(b"[]", "pariaman")
    with pytest.raises(PayloadUnreadable):
        parse_whatsapp(b"not json", "pariaman")


def test_facebook_skips_echoes_and_reads_comments() -> None:
    body = orjson.dumps(
        {
            "object": "page",
            "entry": [
                {
                    "id": "P1",
                    "messaging": [
                        {"sender": {"id": "P1"}, "message": {"mid": "m0", "text": "balasan"}},
                        {"sender": {"id": "U1"}, "message": {"mid": "m1", "text": "halo"}},
                    ],
                    "changes": [
                        {
                            "field": "feed",
                            "value": {
                                "item": "comment",
                                "comment_id": "c1",
                                "message": "bansos belum cair",
                                "from": {"id": "U2", "name": "Warga Dua"},
                            },
                        },
                        {"field": "feed", "value": {"item": "like", "from": {"id": "U3"}}},
                    ],
                }
            ],
        }
    )
    items = parse_meta_page(body, "kupang", Channel.FACEBOOK)
    assert [(i.external_id, i.payload.sender.handle) for i in items] == [
        ("m1", "U1"),
        ("c1", "U2"),
    ]
    with pytest.raises(PayloadUnreadable):
        parse_meta_page(body, "kupang", Channel.INSTAGRAM)  # a page webhook is not Instagram's


def test_x_ignores_the_office_s_own_messages() -> None:
    body = orjson.dumps(
        {
            "for_user_id": "OFF",
            "direct_message_events": [
                {
                    "type": "message_create",
                    "id": "d1",
                    "message_create": {"sender_id": "OFF", "message_data": {"text": "ok"}},
                }
            ],
            "tweet_create_events": [
                {"id_str": "t1", "text": "@dinsos KKS hilang", "user": {"id_str": "U9"}},
                {"id_str": "t2", "text": "terima kasih", "user": {"id_str": "OFF"}},
            ],
        }
    )
    assert [i.external_id for i in parse_twitter(body, "lumajang")] == ["tweet:t1"]


def test_email_mime_with_html_only_attachment_and_thread() -> None:
    msg = EmailMessage()
    msg["From"] = "Warga Surel <Warga@Example.org>"
    msg["To"] = "Someone <dinsos@kupangkota.go.id>"
    msg["Subject"] = "Re: KPN-2026-000007"
    msg["Message-ID"] = "<b@example.org>"
    msg["In-Reply-To"] = "<a@example.org>"
    msg["References"] = "<z@example.org> <a@example.org>"
    msg.set_content("<p>Bantuan <b>PKH</b> &amp; sembako</p>", subtype="html")
    msg.add_attachment(b"\x89PNG....", maintype="image", subtype="png", filename="kk.png")
    item = parse_email(bytes(msg), {"dinsos@kupangkota.go.id": "kupang"})
    p = item.payload
    assert p.office == "kupang" and item.external_id == "<b@example.org>"
    assert p.sender == Sender(name="Warga Surel", email="warga@example.org")
    assert "Bantuan" in p.text and "PKH" in p.text and "&" in p.text and "<b>" not in p.text
    assert p.thread_refs == ("<a@example.org>", "<z@example.org>")
    assert [a.file_name for a in item.attachments] == ["kk.png"]
    assert p.attachments[0].sha256 == hashlib.sha256(b"\x89PNG....").hexdigest()
    assert reply_reference(p) is not None
    assert reply_reference(p).ticket_number == "KPN-2026-000007"  # type: ignore[union-attr]
    with pytest.raises(PayloadUnreadable):
        parse_email(b"", {})


def test_lapor_anonymous_drops_identity_whatever_the_connector_sent() -> None:
    report = LaporReport(
        tracking_id="123",
        content="x",
        is_anonymous=True,
        reporter={"name": "Jangan Tampil", "nik": "5371014101900007"},
    )
    item = report.to_received("kupang")
    assert item.payload.sender == Sender() and item.payload.anonymous
    assert item.external_id == "123"


def test_suggestion_box_slips_get_stable_ids() -> None:
    batch = SuggestionBoxBatch.model_validate(
        {"office": "kupang", "opened_on": "2026-11-20", "slips": [{"text": "a"}, {"text": "b"}]}
    )
    ids = [i.external_id for i in batch.to_received()]
    assert ids == ["utama/2026-11-20/1", "utama/2026-11-20/2"]
    assert all(i.payload.anonymous for i in batch.to_received())


@pytest.mark.parametrize(
    ("office", "text", "expected"),
    [
        ("lumajang", "PIN KKS saya terblokir", ("kks-recommendation", "reset-pin")),
        (
            "lumajang",
            "Saya dikuasakan ibu saya, KKS hilang",
            ("kks-recommendation", "proxy-new-kks"),
        ),
        ("mataram", "kartu sembako hilang", ("sembako-complaint", "lost-card")),
        ("mataram", "butuh konseling keluarga", ("lk3-consultation", "family-counselling")),
        ("pariaman", "minta surat keterangan DTKS", ("dtks-certificate", "certificate")),
        ("kupang", "bantuan PKH belum cair", ("public-complaint", "general")),
    ],
)
def test_free_text_is_classified_by_catalogue_rules(
    cat: Catalogue, office: str, text: str, expected: tuple[str, str]
) -> None:
    outcome = classify(
        InboundPayload(office=office, text=text), Channel.WEBSITE, cat, external_id=None
    )
    assert isinstance(outcome, Classified)
    assert (outcome.command.service, outcome.command.variant) == expected


def test_what_cannot_be_classified_goes_to_triage(cat: Catalogue) -> None:
    def outcome(**kw: object) -> object:
        return classify(InboundPayload(**kw), Channel.EMAIL, cat, external_id=None)

    assert outcome(office=None, text="KKS hilang") == NeedsTriage(None, "office_unknown")
    assert outcome(office="atlantis", text="x") == NeedsTriage(None, "office_unknown")
    assert outcome(office="lumajang", text="selamat pagi") == NeedsTriage(
        "lumajang", "service_not_recognised"
    )
    assert outcome(office="lumajang", service="nope", text="x") == NeedsTriage(
        "lumajang", "service_unknown"
    )
    explicit = outcome(office="mataram", service="lk3-consultation", text="apa saja")
    assert isinstance(explicit, Classified) and explicit.command.service == "lk3-consultation"


def test_one_identity_from_nik_phone_email_and_handle() -> None:
    person = Applicant(nik="5371014101900007", phone="0812-0000-0701", email="A@Example.org")
    assert identifiers(person, Channel.WALK_IN, None) == [
        ("nik", "5371014101900007"),
        ("phone", "+6281200000701"),
        ("email", "a@example.org"),
    ]
    assert identifiers(Applicant(handle="U1"), Channel.FACEBOOK, None) == [("facebook", "U1")]
    assert normalise_phone("+62 812 0000 0701") == normalise_phone("6281200000701")


def test_nul_characters_are_refused_in_commands_and_scrubbed_from_channel_text() -> None:
    from pydantic import ValidationError

    from services.intake.domain.commands import RegisterRequest

    with pytest.raises(ValidationError):
        RegisterRequest(office="x", service="y", channel="walk_in", description="a\x00b")
    assert InboundPayload(text="a\x00b").text == "a\ufffdb"


def test_intake_does_not_start_on_a_bad_catalogue_file(tmp_path: Path) -> None:
    from services.intake.bootstrap import create_app
    from shared.settings import Settings

    good = Path(__file__).resolve().parents[2] / "catalogue" / "kupang.yaml"
    text = good.read_text(encoding="utf-8").replace("unit: working_days", "unit: weeks", 1)
    (tmp_path / "kupang.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(CatalogueError) as caught:
        create_app(Settings(slrt_catalogue_dir=tmp_path))
    assert "kupang.yaml" in str(caught.value) and "unit" in str(caught.value)


def test_a_nik_typed_in_a_message_is_read_as_the_nik(cat: Catalogue) -> None:
    payload = InboundPayload(
        office="pariaman",
        text="Mohon surat keterangan DTKS. NIK: 1377 0141 0190 0001, no KK 1377010101100001",
    )
    outcome = classify(payload, Channel.WHATSAPP, cat, external_id=None)
    assert isinstance(outcome, Classified)
    assert outcome.command.applicant.nik == "1377014101900001"
    assert outcome.command.applicant.kk_number == "1377010101100001"
    explicit = InboundPayload(
        office="pariaman", sender=Sender(nik="1377014101900002"), text="DTKS NIK 1377014101900001"
    )
    outcome = classify(explicit, Channel.WEBSITE, cat, external_id=None)
    assert isinstance(outcome, Classified) and outcome.command.applicant.nik == "1377014101900002"
