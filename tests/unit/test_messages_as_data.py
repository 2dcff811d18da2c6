"""What citizens are told is data per office (`catalogue/messages/`), validated at load:
unknown placeholders, unknown or missing pieces and offices the catalogue lacks are
refused with the file and piece named."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from services.notifications.domain.templates import MessageFacts, render
from shared.catalogue import PIECES, CatalogueError, load_catalogue
from shared.catalogue.loader import REPO_ROOT
from shared.catalogue.messages import placeholder_problems

FACTS = MessageFacts(
    ticket_number="KPG-2026-000007",
    office_name="Dinas Sosial Kota Kupang",
    service_name="Pengaduan Masyarakat",
    completion_time="14 hari kerja",
)


def _copy_catalogue(tmp_path: Path) -> Path:
    target = tmp_path / "catalogue"
    shutil.copytree(REPO_ROOT / "catalogue", target)
    return target


def test_the_repositorys_messages_load_and_cover_every_piece() -> None:
    catalogue = load_catalogue()
    default = catalogue.messages_for(None)
    assert set(default.pieces) == set(PIECES)
    # Every default piece offers only what it may use (the loader checked; say it again).
    assert all(not placeholder_problems(k, v) for k, v in default.pieces.items())


def test_an_office_rewords_a_piece_and_keeps_the_rest() -> None:
    catalogue = load_catalogue()
    kupang = render("complaint_registered", FACTS, catalogue.messages_for("kupang"))
    lumajang = render("complaint_registered", FACTS, catalogue.messages_for("lumajang"))
    assert "Setiap pengaduan kami jawab melalui kanal yang Anda gunakan." in kupang
    assert "Setiap pengaduan" not in lumajang
    opening = "Permohonan Anda telah kami terima dengan nomor tiket KPG-2026-000007."
    assert kupang.startswith(opening) and lumajang.startswith(opening)


def test_the_wording_comes_from_the_data_file(tmp_path: Path) -> None:
    directory = _copy_catalogue(tmp_path)
    (directory / "messages" / "lumajang.yaml").write_text(
        'messages:\n  referral_made.text: "Tiket {ticket}: dirujuk ke {agency}."\n',
        encoding="utf-8",
    )
    texts = load_catalogue(directory).messages_for("lumajang")
    facts = MessageFacts(ticket_number="LMJ-2026-000001", office_name="X", agency_name="BPJS")
    assert render("referral_made", facts, texts) == "Tiket LMJ-2026-000001: dirujuk ke BPJS."


@pytest.mark.parametrize(
    ("yaml_text", "problem"),
    [
        (
            'messages:\n  referral_made.text: "Tiket {nomor} dirujuk."\n',
            "messages.referral_made.text: unknown placeholder {nomor}",
        ),
        (
            'messages:\n  referral_made.txt: "Tiket {ticket}."\n',
            "messages.referral_made.txt: unknown message piece",
        ),
        (
            'messages:\n  referral_made.text: "Tiket {ticket"\n',
            "messages.referral_made.text: malformed placeholder",
        ),
        (
            'messages:\n  referral_made.text: "Tiket {ticket!r}"\n',
            "takes no conversion or format",
        ),
        ("pesan: {}\n", "expected a mapping with `messages:`"),
    ],
)
def test_an_office_file_with_a_bad_piece_stops_the_load(
    tmp_path: Path, yaml_text: str, problem: str
) -> None:
    directory = _copy_catalogue(tmp_path)
    (directory / "messages" / "mataram.yaml").write_text(yaml_text, encoding="utf-8")
    with pytest.raises(CatalogueError) as refused:
        load_catalogue(directory)
    assert any("mataram.yaml" in p and problem in p for p in refused.value.problems), (
        refused.value.problems
    )


def test_a_default_set_missing_a_piece_stops_the_load(tmp_path: Path) -> None:
    directory = _copy_catalogue(tmp_path)
    default = directory / "messages" / "default.yaml"
    data = yaml.safe_load(default.read_text(encoding="utf-8"))
    del data["messages"]["status_refused.text"]
    default.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CatalogueError) as refused:
        load_catalogue(directory)
    assert any(
        "messages.status_refused.text: missing from the default set" in p
        for p in refused.value.problems
    )


def test_messages_for_an_office_the_catalogue_lacks_are_refused(tmp_path: Path) -> None:
    directory = _copy_catalogue(tmp_path)
    (directory / "messages" / "atlantis.yaml").write_text(
        'messages:\n  referral_made.text: "{ticket}"\n', encoding="utf-8"
    )
    with pytest.raises(CatalogueError) as refused:
        load_catalogue(directory)
    assert any("no office 'atlantis'" in p for p in refused.value.problems)


def test_a_catalogue_without_its_own_messages_uses_the_repositorys(tmp_path: Path) -> None:
    directory = tmp_path / "only-offices"
    directory.mkdir()
    shutil.copy(REPO_ROOT / "catalogue" / "lumajang.yaml", directory)
    catalogue = load_catalogue(directory)
    assert catalogue.messages_for("lumajang").piece("letter.default_name") == "Surat rekomendasi"
