"""One-time letter download codes (`shared.letter_links`) and the documents use case that
serves a signed letter once per code (`download_letter`), on the in-memory unit of work."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from services.documents.domain.commands import ApproveLetter, SignLetter
from services.documents.domain.facts import SignedLetter
from services.documents.service_layer.approve_letter import approve_letter
from services.documents.service_layer.download_letter import download_letter
from services.documents.service_layer.sign_letter import sign_letter
from services.notifications.adapters.letter_links import SignedLetterLinks
from shared.letter_links import CodeCheck, check_code, code_sha256, mint_code
from shared.refusal import Refused
from tests.unit.fakes_documents import FakeDocuments
from tests.unit.test_documents_use_cases import CATALOGUE, KABID, SECRETARY, SUB, drafted

SECRET = "unit-letter-link-secret"
NOW = datetime(2026, 11, 3, 3, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=7)


# ---- the code -----------------------------------------------------------------------------


def test_a_code_is_valid_for_its_letter_until_it_expires() -> None:
    letter_id = uuid4()
    code = mint_code(letter_id, secret=SECRET, expires_at=LATER)
    checked = check_code(letter_id, code, secret=SECRET, now=NOW)
    assert checked.result is CodeCheck.VALID and checked.expires_at == LATER
    assert check_code(letter_id, code, secret=SECRET, now=LATER).result is CodeCheck.EXPIRED


def test_codes_are_random_and_bound_to_letter_and_secret() -> None:
    letter_id = uuid4()
    one, two = (mint_code(letter_id, secret=SECRET, expires_at=LATER) for _ in range(2))
    assert one != two  # a fresh nonce each time
    assert check_code(uuid4(), one, secret=SECRET, now=NOW).result is CodeCheck.INVALID
    assert check_code(letter_id, one, secret="other", now=NOW).result is CodeCheck.INVALID
    tampered = one[:-2] + ("AA" if not one.endswith("AA") else "BB")
    assert check_code(letter_id, tampered, secret=SECRET, now=NOW).result is CodeCheck.INVALID
    for garbage in ("", "x", "!!!!", "A" * 54, one + "A"):
        assert check_code(letter_id, garbage, secret=SECRET, now=NOW).result is CodeCheck.INVALID


def test_the_expiry_cannot_be_stretched() -> None:
    """The expiry is inside the MAC: a code re-made with a later expiry and the old MAC
    does not check."""
    import base64

    letter_id = uuid4()
    code = mint_code(letter_id, secret=SECRET, expires_at=LATER, nonce=b"\x01" * 16)
    raw = bytearray(base64.urlsafe_b64decode(code + "=" * (-len(code) % 4)))
    raw[16:24] = int((LATER + timedelta(days=365)).timestamp()).to_bytes(8, "big")
    stretched = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    assert check_code(letter_id, stretched, secret=SECRET, now=NOW).result is CodeCheck.INVALID


def test_only_the_hash_of_a_code_is_kept() -> None:
    code = mint_code(uuid4(), secret=SECRET, expires_at=LATER)
    digest = code_sha256(code)
    assert len(digest) == 64 and code not in digest


def test_notifications_links_point_at_the_documents_route() -> None:
    links = SignedLetterLinks(
        base_url="https://layanan.example.go.id/", secret=SECRET, ttl=timedelta(days=7)
    )
    letter_id = uuid4()
    link = links.link_for(letter_id)
    prefix = f"https://layanan.example.go.id/v1/letters/{letter_id}/download?code="
    assert link.url.startswith(prefix)
    code = link.url.removeprefix(prefix)
    assert check_code(letter_id, code, secret=SECRET, now=datetime.now(UTC)).result is (
        CodeCheck.VALID
    )


# ---- the download -------------------------------------------------------------------------


async def signed_letter(db: FakeDocuments) -> UUID:
    letter_id = await drafted(db)
    for who in (SUB, KABID):
        await approve_letter(db.unit_of_work, ApproveLetter(letter_id=letter_id), who, uuid4())
    await sign_letter(
        db.unit_of_work, CATALOGUE, SignLetter(letter_id=letter_id), SECRETARY, uuid4(), now=NOW
    )
    return letter_id


def pdf_of(letter: SignedLetter) -> bytes:
    return b"%PDF-" + letter.letter_number.encode()


async def test_a_signed_letter_is_served_once_per_code() -> None:
    db = FakeDocuments()
    letter_id = await signed_letter(db)
    code = mint_code(letter_id, secret=SECRET, expires_at=LATER)

    got = await download_letter(
        db.unit_of_work, letter_id, code, secret=SECRET, render=pdf_of, now=NOW
    )
    assert got.pdf.startswith(b"%PDF-") and got.letter.letter_id == letter_id
    assert db.downloads == {code_sha256(code): letter_id}  # the hash, never the code

    with pytest.raises(Refused) as again:
        await download_letter(
            db.unit_of_work, letter_id, code, secret=SECRET, render=pdf_of, now=NOW
        )
    assert (again.value.code, again.value.status) == ("download_link_used", 410)
    # Another code for the same letter is its own single use.
    other = mint_code(letter_id, secret=SECRET, expires_at=LATER)
    assert await download_letter(
        db.unit_of_work, letter_id, other, secret=SECRET, render=pdf_of, now=NOW
    )


@pytest.mark.parametrize(
    ("code_for", "expires", "status", "reason"),
    [
        ("other_letter", LATER, 404, "download_link_invalid"),
        ("this_letter", NOW, 410, "download_link_expired"),
    ],
)
async def test_a_wrong_or_expired_code_is_refused_and_uses_nothing(
    code_for: str, expires: datetime, status: int, reason: str
) -> None:
    db = FakeDocuments()
    letter_id = await signed_letter(db)
    minted_for = letter_id if code_for == "this_letter" else uuid4()
    code = mint_code(minted_for, secret=SECRET, expires_at=expires)
    with pytest.raises(Refused) as refused:
        await download_letter(
            db.unit_of_work, letter_id, code, secret=SECRET, render=pdf_of, now=NOW
        )
    assert (refused.value.code, refused.value.status) == (reason, status)
    assert db.downloads == {}


async def test_an_unsigned_letter_is_not_served_and_a_failed_render_keeps_the_code() -> None:
    db = FakeDocuments()
    draft = await drafted(db)
    code = mint_code(draft, secret=SECRET, expires_at=LATER)
    with pytest.raises(Refused) as refused:
        await download_letter(db.unit_of_work, draft, code, secret=SECRET, render=pdf_of, now=NOW)
    assert refused.value.code == "letter_not_found"

    letter_id = await signed_letter(db)
    code = mint_code(letter_id, secret=SECRET, expires_at=LATER)

    def broken(letter: SignedLetter) -> bytes:
        raise RuntimeError("renderer down")

    with pytest.raises(RuntimeError):
        await download_letter(
            db.unit_of_work, letter_id, code, secret=SECRET, render=broken, now=NOW
        )
    assert db.downloads == {}
    assert await download_letter(
        db.unit_of_work, letter_id, code, secret=SECRET, render=pdf_of, now=NOW
    )
