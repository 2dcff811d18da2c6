"""Lumajang's "Pengaduan Layanan" (seed 002, a.-c.): complaints about the office's
service, from every complaint channel, answered by the complaint officer on behalf of the
PPID officials, "paling lama 2x24 jam". Counted as two working days of office time (every
clock counts office time: 48 office hours would be six working days), read as published.

The office's `complaint_response` and the service that keeps it cannot drift apart: the
catalogue refuses one without the other, or with another time.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest

from services.casework.adapters.calendar import office_calendar
from services.casework.domain.deadlines import due_at
from services.casework.domain.model import CaseState
from services.casework.domain.standards import CaseStandards
from services.dashboard.domain.reception import walk_in_choices
from services.documents.service_layer.when_complaint_registered_open_checklist import (
    promise_for,
)
from services.intake.domain.inbound import Classified, InboundPayload, Sender, classify
from services.intake.domain.registration import validate_request
from services.intake.views import catalogue_summary, office_standards
from services.notifications.adapters.directory import OfficeDirectory
from shared.catalogue import Catalogue, CatalogueError, Duration, load_catalogue
from shared.catalogue.loader import REPO_ROOT
from shared.contracts.vocab import Channel, DurationUnit, Role

CATALOGUE_DIR = REPO_ROOT / "catalogue"
DAYS = DurationUnit.WORKING_DAYS
WIB = ZoneInfo("Asia/Jakarta")
# The walkthrough's Facebook message (walk 13, defect 2).
COMPLAINT = "Pelayanan di kantor Dinsos lambat sekali, saya antre 3 jam. Mohon diperbaiki."
SERVICE_TIME = '    completion_time: {value: 2, unit: working_days, published: "2x24 jam"}\n'
OFFICE_TIME = 'complaint_response: {value: 2, unit: working_days, published: "2x24 jam"}\n'


@pytest.fixture(scope="module")
def cat() -> Catalogue:
    return load_catalogue(CATALOGUE_DIR)


def test_the_complaint_service_is_the_standard_s_complaint_section(cat: Catalogue) -> None:
    office = cat.office("lumajang")
    svc = office.service("service-complaint")
    assert svc.name == "Pengaduan atas Pelayanan"
    assert svc.workflow == "complaint_answer"
    # Not an application: no DTKS listing, no domicile, nothing to bring, no fee.
    assert svc.requires_dtks is False
    assert svc.domicile_region_code is None
    (variant,) = svc.variants.values()
    assert variant.required_documents == ()
    assert svc.fee == 0
    # From every channel the standard lists for complaints, offline and online.
    assert set(svc.channels) == {c.channel for c in office.complaint_channels}
    assert {Channel.FACEBOOK, Channel.SUGGESTION_BOX, Channel.TELEPHONE} <= set(svc.channels)
    # The complaint officer answers for the PPID officials; no letter chain is published.
    assert {step.role for step in svc.procedure} == {Role.COMPLAINT_OFFICER}
    assert any(
        "Pejabat PPID" in step.description and "petugas pengelola pengaduan" in step.description
        for step in svc.procedure
    )
    assert svc.approval_chain == ()
    assert [p.id for p in svc.products] == ["direct-answer", "written-answer"]
    assert all(p.letter_type is None for p in svc.products)


def test_its_time_reads_2x24_jam_and_is_the_office_s_complaint_response(cat: Catalogue) -> None:
    office = cat.office("lumajang")
    svc = office.service("service-complaint")
    promised = Duration(2, DAYS, published="2x24 jam")
    assert office.complaint_response == promised
    assert svc.completion_time == promised
    for channel in svc.channels:
        assert svc.completion_time_for(channel).label == "2x24 jam"
    assert str(svc.completion_time) == "2x24 jam"
    # Without a published wording a duration reads as it always did.
    assert Duration(2, DAYS).label == "2 hari kerja"
    assert office.service("kks-recommendation").completion_time.label == "1 hari kerja"


def test_the_budget_is_two_working_days_of_office_time(cat: Catalogue) -> None:
    standards = CaseStandards(cat, office_calendar)
    state = CaseState(
        case_id=uuid4(),
        registered=True,
        office="lumajang",
        service="service-complaint",
        channel="facebook",
    )
    plan = standards.plan_for(state)
    assert plan is not None
    assert plan.label == "2x24 jam"
    assert plan.budget == 2 * plan.calendar.day_seconds == 16 * 3600
    # Received Tuesday 14:08 WIB (the walkthrough's message): answered by Thursday 14:08.
    tuesday = datetime(2026, 12, 1, 14, 8, tzinfo=WIB)
    assert due_at(tuesday, plan.budget, plan.calendar) == datetime(2026, 12, 3, 14, 8, tzinfo=WIB)
    # Friday afternoon: the weekend is not office time.
    friday = datetime(2026, 11, 27, 14, 0, tzinfo=WIB)
    assert due_at(friday, plan.budget, plan.calendar) == datetime(2026, 12, 1, 14, 0, tzinfo=WIB)


def test_every_place_that_prints_the_time_prints_2x24_jam(cat: Catalogue) -> None:
    office = cat.office("lumajang")
    svc = office.service("service-complaint")
    # intake's GET /v1/catalogue
    (summary,) = (o for o in catalogue_summary(cat)["offices"] if o["id"] == "lumajang")
    times = {s["id"]: s["completion_time"] for s in summary["services"]}
    assert times == {"service-complaint": "2x24 jam", "kks-recommendation": "1 hari kerja"}
    # notifications' first message ("Waktu penyelesaian sesuai standar pelayanan: …")
    directory = OfficeDirectory(cat)
    for channel in svc.channels:
        assert directory.completion_time("lumajang", svc.id, channel) == "2x24 jam"
    # documents' promise kept with the checklist: the clock's value and unit, the wording
    promise = promise_for(svc, Channel.FACEBOOK)
    assert (promise.value, promise.unit, promise.label) == (2, DAYS, "2x24 jam")
    # the desk's registration form and receipt (the web app reads GET /v1/catalogue/{office})
    choices = {c.service: c for c in walk_in_choices(office_standards(office))}
    assert choices["service-complaint"].completion_time == "2x24 jam"
    assert choices["kks-recommendation"].completion_time == "1 hari kerja"


def test_a_complaint_about_the_service_is_classified_to_it(cat: Catalogue) -> None:
    office = cat.office("lumajang")
    cases = {
        COMPLAINT: ("service-complaint", "general"),
        "Petugas loket judes dan tidak ramah waktu saya mengurus reset PIN KKS": (
            "service-complaint",
            "general",
        ),
        "Ada pungli di kantor Dinsos, saya dimintai uang untuk surat rekomendasi": (
            "service-complaint",
            "general",
        ),
        # A KKS request without a word of dissatisfaction stays a KKS request.
        "Mohon bantuan, saya lupa PIN KKS": ("kks-recommendation", "reset-pin"),
        "KKS saya hilang, bagaimana buat kartu baru?": ("kks-recommendation", "new-kks"),
        "reset pin dikuasakan kepada anak karena ibu sakit": (
            "kks-recommendation",
            "proxy-reset-pin",
        ),
    }
    for text, expected in cases.items():
        found = office.classify(text)
        assert found is not None, text
        assert (found[0].id, found[1].id) == expected, text
    # Neither a complaint nor a request: staff say what it is (triage).
    assert office.classify("Selamat siang, saya mau tanya soal kartu ibu saya") is None
    assert office.classify("Kantor Dinsos buka jam berapa?") is None


def test_a_facebook_complaint_becomes_a_service_complaint_request(cat: Catalogue) -> None:
    """Intake's routing (the same rules staff's triage classification goes through)."""
    payload = InboundPayload(office="lumajang", sender=Sender(handle="PSID-1"), text=COMPLAINT)
    outcome = classify(payload, Channel.FACEBOOK, cat, external_id="m_1")
    assert isinstance(outcome, Classified)
    cmd = outcome.command
    assert (cmd.service, cmd.variant, cmd.channel) == ("service-complaint", "general", "facebook")
    valid = validate_request(cmd, cat.office("lumajang"), now=datetime.now(UTC))
    assert valid.service.id == "service-complaint" and valid.variant == "general"
    # Every complaint channel may bring it (none is refused as channel_not_offered).
    for channel in valid.service.channels:
        validate_request(
            cmd.model_copy(update={"channel": channel.value}),
            cat.office("lumajang"),
            now=datetime.now(UTC),
        )


# ------------------------------------------------------------------ the cross-check


def _lumajang(tmp_path: Path, old: str, new: str) -> Path:
    directory = tmp_path / "catalogue"
    shutil.copytree(CATALOGUE_DIR, directory)
    path = directory / "lumajang.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")
    return directory


def _refused(directory: Path) -> str:
    with pytest.raises(CatalogueError) as info:
        load_catalogue(directory)
    message = str(info.value)
    assert "lumajang.yaml" in message
    return message


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        # 48 office hours are six working days, not "2x24 jam".
        (
            SERVICE_TIME,
            '    completion_time: {value: 48, unit: hours, published: "2x24 jam"}\n',
            "service-complaint: 48 hours",
        ),
        (
            OFFICE_TIME,
            "complaint_response: {value: 48, unit: hours}\n",
            "complaint_response: 48 hours differs from the completion time of every "
            'complaint_answer service (service-complaint: 2 working_days ("2x24 jam"))',
        ),
        # The same clock, another wording: what citizens read would drift.
        (
            SERVICE_TIME,
            "    completion_time: {value: 2, unit: working_days}\n",
            "service-complaint: 2 working_days)",
        ),
        # A channel with a time of its own breaks the one published promise.
        (
            SERVICE_TIME,
            SERVICE_TIME + "    completion_time_by_channel:\n"
            "      walk_in: {value: 15, unit: minutes}\n",
            '(service-complaint: 2 working_days ("2x24 jam"), on walk_in: 15 minutes)',
        ),
    ],
    ids=["service-in-hours", "office-in-hours", "service-wording", "per-channel"],
)
def test_a_complaint_response_that_no_service_keeps_is_refused(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    message = _refused(_lumajang(tmp_path, old, new))
    assert "complaint_response" in message
    assert expected in message


def test_a_complaint_response_without_a_complaint_service_is_refused(tmp_path: Path) -> None:
    directory = _lumajang(
        tmp_path, "    workflow: complaint_answer\n", "    workflow: social_work\n"
    )
    message = _refused(directory)
    assert "no service has workflow complaint_answer" in message


def test_the_complaint_service_takes_every_complaint_channel(tmp_path: Path) -> None:
    directory = _lumajang(
        tmp_path,
        "    channels: [walk_in, suggestion_box, letter, facebook, instagram, twitter, youtube,"
        " website,\n               telephone]\n",
        "    channels: [walk_in, suggestion_box, letter, instagram, twitter, youtube, website,\n"
        "               telephone]\n",
    )
    message = _refused(directory)
    assert "services.service-complaint.channels" in message
    assert "complaint channel; missing: facebook" in message


def test_an_office_that_publishes_no_response_time_needs_no_complaint_service(
    tmp_path: Path,
) -> None:
    """Kupang, Mataram, Pariaman: `complaint_response: null`; nothing to keep."""
    directory = _lumajang(tmp_path, OFFICE_TIME, "complaint_response: null\n")
    office = load_catalogue(directory).office("lumajang")
    assert office.complaint_response is None
    assert office.service("service-complaint").completion_time.label == "2x24 jam"
