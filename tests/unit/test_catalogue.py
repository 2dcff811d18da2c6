"""The catalogue holds the seeds' own facts, loads new offices from data alone and refuses
bad files by naming the file and the field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from shared.catalogue import (
    Catalogue,
    CatalogueError,
    Duration,
    UnknownEntry,
    load_catalogue,
)
from shared.catalogue.loader import REPO_ROOT
from shared.contracts.vocab import Channel, DurationUnit, Role

CATALOGUE_DIR = REPO_ROOT / "catalogue"
MIN = DurationUnit.MINUTES
HOURS = DurationUnit.HOURS
DAYS = DurationUnit.WORKING_DAYS


@pytest.fixture(scope="module")
def cat() -> Catalogue:
    return load_catalogue(CATALOGUE_DIR)


def _copy_catalogue(tmp_path: Path) -> Path:
    target = tmp_path / "catalogue"
    shutil.copytree(CATALOGUE_DIR, target)
    return target


def _types(docs: object) -> set[str]:
    return {doc.type for doc in docs}  # type: ignore[attr-defined]


# ------------------------------------------------------------------ the seeds' facts


def test_the_four_offices_are_loaded(cat: Catalogue) -> None:
    assert set(cat.offices) == {"mataram", "kupang", "lumajang", "pariaman"}
    assert {o.id: o.region_code for o in cat.offices.values()} == {
        "mataram": "52.71",
        "kupang": "53.71",
        "lumajang": "35.08",
        "pariaman": "13.77",
    }
    assert set(cat.office("mataram").services) == {"sembako-complaint", "lk3-consultation"}


def test_kupang_completion_time_by_channel(cat: Catalogue) -> None:
    svc = cat.office("kupang").service("public-complaint")
    assert svc.completion_time_for(Channel.SP4N_LAPOR) == Duration(8, DAYS)
    assert svc.completion_time_for(Channel.LETTER) == Duration(7, DAYS)
    assert svc.completion_time_for(Channel.SUGGESTION_BOX) == Duration(7, DAYS)
    assert svc.completion_time_for(Channel.WALK_IN) == Duration(15, MIN)
    assert svc.workflow == "complaint_answer"
    assert svc.fee == 0
    assert set(svc.channels) == {
        Channel.SUGGESTION_BOX,
        Channel.LETTER,
        Channel.EMAIL,
        Channel.SP4N_LAPOR,
        Channel.WHATSAPP,
        Channel.FACEBOOK,
        Channel.WALK_IN,
    }


def test_kupang_letter_route_goes_from_disposition_to_the_head_s_signature(
    cat: Catalogue,
) -> None:
    svc = cat.office("kupang").service("public-complaint")
    chain = svc.approval_chain_for(Channel.LETTER)
    assert (chain[0].role, chain[0].action) == (Role.HEAD_OF_OFFICE, "disposition")
    assert (chain[-1].role, chain[-1].action) == (Role.HEAD_OF_OFFICE, "sign")
    assert svc.approval_chain_for(Channel.WALK_IN) == ()
    assert [s.order for s in svc.procedure_for(Channel.WALK_IN)] == [1, 2, 3, 4, 5]
    assert [s.order for s in svc.procedure_for(Channel.LETTER)] == [1, 2, 3, 4]
    general = svc.variant("general")
    assert _types(general.required_documents) == {"id_card", "phone_number"}


def test_lumajang_kks_recommendation(cat: Catalogue) -> None:
    office = cat.office("lumajang")
    svc = office.service("kks-recommendation")
    assert svc.sk_number == "188.4/329/427.64/2022"
    assert svc.completion_time == Duration(1, DAYS)
    assert svc.completion_time_for(Channel.WALK_IN) == Duration(1, DAYS)
    assert svc.workflow == "letter"
    assert svc.fee == 0
    assert set(svc.variants) == {"reset-pin", "new-kks", "proxy-reset-pin", "proxy-new-kks"}
    for proxy in ("proxy-reset-pin", "proxy-new-kks"):
        assert {"materai_10000", "village_statement"} <= _types(
            svc.variant(proxy).required_documents
        )
    assert "kks" in _types(svc.variant("proxy-reset-pin").required_documents)
    assert "police_loss_report" in _types(svc.variant("proxy-new-kks").required_documents)
    assert "materai_10000" not in _types(svc.variant("reset-pin").required_documents)
    assert [(s.role, s.action) for s in svc.approval_chain] == [
        (Role.OFFICER, "draft"),
        (Role.SUB_COORDINATOR, "approve"),
        (Role.HEAD_OF_DIVISION, "approve"),
        (Role.SECRETARY, "sign"),
    ]
    assert svc.signing_role is Role.SECRETARY
    assert not svc.approval_chain_inferred
    assert office.signatory(Role.SECRETARY).title.startswith("Sekretaris Dinas")
    # "paling lama 2x24 jam" in office time: test_catalogue_service_complaint.py
    assert office.complaint_response == Duration(2, DAYS, published="2x24 jam")
    assert len(svc.products) == 3
    assert all(p.letter_type for p in svc.products)


def test_lumajang_classification(cat: Catalogue) -> None:
    svc = cat.office("lumajang").service("kks-recommendation")
    cases = {
        "Mohon bantuan, saya lupa PIN KKS": "reset-pin",
        "KKS hilang waktu banjir": "new-kks",
        "reset pin dikuasakan kepada anak karena ibu sakit": "proxy-reset-pin",
    }
    for text, expected in cases.items():
        found = svc.classify(text)
        assert found is not None
        assert found.id == expected
    assert svc.classify("pertanyaan umum") is None


def test_mataram_sembako_lost_card(cat: Catalogue) -> None:
    svc = cat.office("mataram").service("sembako-complaint")
    assert set(svc.variants) == {"lost-card", "pin-blocked", "expired"}
    assert "police_loss_report" in _types(svc.variant("lost-card").required_documents)
    assert "police_loss_report" not in _types(svc.variant("pin-blocked").required_documents)
    assert svc.completion_time == Duration(1, HOURS)
    assert svc.requires_dtks is True
    assert svc.fee == 0
    assert [p.name for p in svc.products] == ["Surat Rekomendasi"]
    assert svc.approval_chain_inferred


def test_mataram_lk3_domicile_and_step_times(cat: Catalogue) -> None:
    svc = cat.office("mataram").service("lk3-consultation")
    assert svc.domicile_region_code == "52.71"
    assert svc.workflow == "social_work"
    timed = [s.time for s in svc.procedure if s.time is not None]
    assert timed == [Duration(n, DAYS) for n in (1, 1, 3, 1, 1)]
    counselling = next(s for s in svc.procedure if s.sessions_min is not None)
    assert counselling.role is Role.PSYCHOLOGIST
    assert (counselling.sessions_min, counselling.sessions_max) == (3, 4)
    assert counselling.time is None
    assert any(p.letter_type == "lk3_referral" for p in svc.products)
    # LK3 lists its own complaint channels, with Instagram; the Sembako standard does not.
    office = cat.office("mataram")
    lk3_channels = {c.channel for c in office.complaint_channels_for("lk3-consultation")}
    sembako_channels = {c.channel for c in office.complaint_channels_for("sembako-complaint")}
    assert Channel.INSTAGRAM in lk3_channels
    assert Channel.INSTAGRAM not in sembako_channels


def test_pariaman_dtks_certificate(cat: Catalogue) -> None:
    svc = cat.office("pariaman").service("dtks-certificate")
    assert svc.completion_time_for(Channel.WALK_IN) == Duration(15, MIN)
    assert svc.completion_time_for(Channel.WHATSAPP) == Duration(1, DAYS)
    assert svc.fee == 0
    assert svc.requires_dtks is True
    assert svc.workflow == "certificate"
    assert set(svc.channels) == {Channel.WALK_IN, Channel.WEBSITE, Channel.WHATSAPP}
    assert {r.programme for r in svc.programme_referrals} == {"pkh", "sembako", "kis", "kip"}
    # Printed by the back office; the signature by the head of office is a reading.
    assert [(s.role, s.action) for s in svc.approval_chain] == [
        (Role.BACK_OFFICE, "draft"),
        (Role.HEAD_OF_OFFICE, "sign"),
    ]
    assert svc.approval_chain_inferred


def test_signatories_are_placeholders(cat: Catalogue) -> None:
    for office in cat.offices.values():
        assert office.signatories
        for signatory in office.signatories.values():
            assert set(signatory.nip) == {"0"}
            assert "isi oleh kantor" in signatory.name


# ------------------------------------------------------------------ loading


def test_env_var_selects_the_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    directory = _copy_catalogue(tmp_path)
    (directory / "pariaman.yaml").unlink()
    monkeypatch.setenv("SLRT_CATALOGUE_DIR", str(directory))
    assert set(load_catalogue().offices) == {"mataram", "kupang", "lumajang"}


def test_a_fifth_office_needs_only_a_data_file(tmp_path: Path) -> None:
    directory = _copy_catalogue(tmp_path)
    text = (directory / "lumajang.yaml").read_text(encoding="utf-8")
    text = text.replace("id: lumajang", "id: contoh", 1).replace('"35.08"', '"35.99"', 1)
    (directory / "contoh.yaml").write_text(text, encoding="utf-8")
    cat = load_catalogue(directory)
    assert len(cat.offices) == 5
    office = cat.office("contoh")
    assert office.region_code == "35.99"
    assert office.service("kks-recommendation").variant("new-kks").id == "new-kks"


def test_unknown_entries_raise_unknown_entry(cat: Catalogue) -> None:
    with pytest.raises(UnknownEntry) as info:
        cat.office("atlantis")
    assert (info.value.kind, info.value.key) == ("office", "atlantis")
    assert isinstance(info.value, KeyError)
    assert isinstance(info.value, CatalogueError)
    with pytest.raises(UnknownEntry):
        cat.office("kupang").service("nope")
    with pytest.raises(UnknownEntry):
        cat.office("kupang").service("public-complaint").variant("nope")
    with pytest.raises(UnknownEntry):
        cat.office("pariaman").signatory(Role.SECRETARY)


def _break(directory: Path, name: str, old: str, new: str) -> None:
    path = directory / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_wrong_unit_names_file_and_field(tmp_path: Path) -> None:
    directory = _copy_catalogue(tmp_path)
    _break(
        directory,
        "kupang.yaml",
        "sp4n_lapor: {value: 8, unit: working_days}",
        "sp4n_lapor: {value: 8, unit: days}",
    )
    with pytest.raises(CatalogueError) as info:
        load_catalogue(directory)
    message = str(info.value)
    assert "kupang.yaml" in message
    assert "services.public-complaint.completion_time_by_channel.sp4n_lapor.unit" in message
    assert "working_days" in message
    assert info.value.file is not None
    assert info.value.file.endswith("kupang.yaml")


def test_a_missing_field_names_file_and_field(tmp_path: Path) -> None:
    directory = _copy_catalogue(tmp_path)
    _break(directory, "lumajang.yaml", "    fee: 0  # Tidak dipungut biaya\n", "")
    with pytest.raises(CatalogueError) as info:
        load_catalogue(directory)
    message = str(info.value)
    assert "lumajang.yaml" in message
    assert "services.kks-recommendation.fee: Field required" in message


def test_an_unknown_role_in_the_chain_is_refused(tmp_path: Path) -> None:
    directory = _copy_catalogue(tmp_path)
    _break(directory, "lumajang.yaml", "- role: secretary", "- role: bupati")
    with pytest.raises(CatalogueError) as info:
        load_catalogue(directory)
    assert "services.kks-recommendation.approval_chain.3.role" in str(info.value)


def test_a_variant_product_must_exist(tmp_path: Path) -> None:
    directory = _copy_catalogue(tmp_path)
    _break(directory, "lumajang.yaml", "products: [proxy-letter]", "products: [no-such]")
    with pytest.raises(CatalogueError, match=r"lumajang\.yaml.*unknown product 'no-such'"):
        load_catalogue(directory)


def test_file_name_must_match_office_id(tmp_path: Path) -> None:
    directory = _copy_catalogue(tmp_path)
    shutil.copy(directory / "kupang.yaml", directory / "kupang2.yaml")
    with pytest.raises(CatalogueError, match=r"kupang2\.yaml: id"):
        load_catalogue(directory)


def test_duplicate_ids_and_keys_are_refused(tmp_path: Path) -> None:
    directory = _copy_catalogue(tmp_path)
    _break(directory, "mataram.yaml", "  - id: lk3-consultation", "  - id: sembako-complaint")
    with pytest.raises(CatalogueError, match=r"mataram\.yaml: services: duplicate service id"):
        load_catalogue(directory)

    directory = _copy_catalogue(tmp_path / "again")
    _break(directory, "kupang.yaml", "fee: 0", "fee: 0\n    fee: 5000")
    with pytest.raises(
        CatalogueError, match=r"kupang\.yaml: not valid YAML: .*'fee' appears twice"
    ):
        load_catalogue(directory)
