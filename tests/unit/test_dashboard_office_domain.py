"""The office pages' pure parts: which number is called next, the walk-in choices from
the published catalogue, the registration body, and the server-side SVG charts."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from services.dashboard.domain import charts, reception
from services.intake.views import office_standards
from shared.catalogue import load_catalogue


def visit(n: int, *, called: str | None = None, case: str | None = None) -> dict[str, object]:
    return {
        "visit_id": f"v{n}",
        "queue_number": f"A-{n:03d}",
        "checked_in_at": f"2026-03-02T01:{n:02d}:00+00:00",
        "called_at": called,
        "case_id": case,
    }


def test_call_next_is_the_oldest_visit_still_waiting() -> None:
    visits = [visit(3), visit(1, called="2026-03-02T02:00:00+00:00"), visit(2, case="c"), visit(4)]
    following = reception.next_to_call(visits)
    assert following is not None and following["queue_number"] == "A-003"
    serving = reception.now_serving(visits)
    assert serving is not None and serving["queue_number"] == "A-001"
    assert reception.next_to_call([visit(1, called="x")]) is None


def test_walk_in_choices_come_from_the_catalogue_with_their_checklists() -> None:
    standards = office_standards(load_catalogue().office("lumajang"))
    choices = {c.key: c for c in reception.walk_in_choices(standards)}
    proxy = choices["kks-recommendation/proxy-reset-pin"]
    assert proxy.proxy and not choices["kks-recommendation/reset-pin"].proxy
    assert [d.type for d in proxy.documents] == [
        "ktp",
        "kk",
        "kks",
        "materai_10000",
        "village_statement",
    ]
    body = reception.walk_in_request(
        "lumajang",
        proxy,
        name=" Warga Kuasa ",
        nik="3508014101900001",
        phone="",
        description="Reset PIN",
        documents=["kk", "kks", "bogus", "kks"],
        visit_id="0b6f0c0e-0000-4000-8000-000000000001",
        proxy_name="Pemegang Kartu",
        proxy_nik="3508014101900002",
    )
    assert body["applicant"] == {"name": "Warga Kuasa", "nik": "3508014101900001"}
    assert body["on_behalf_of"] == {"name": "Pemegang Kartu", "nik": "3508014101900002"}
    assert body["documents_declared"] == ["kk", "kks"]
    assert (body["channel"], body["variant"]) == ("walk_in", "proxy-reset-pin")
    # KK stands for the identity group (KTP or KK): only the rest are still missing.
    missing = reception.still_missing(proxy, {"kk", "kks"})
    assert [d.type for d in missing] == ["materai_10000", "village_statement"]


def test_a_kupang_walk_in_is_told_its_own_time_and_checklist() -> None:
    """Kupang's public complaint: 15 minutes face to face (7 working days by letter), and
    the original ID shown at the desk is a walk-in's requirement only."""
    standards = office_standards(load_catalogue().office("kupang"))
    (choice,) = [c for c in reception.walk_in_choices(standards) if c.service == "public-complaint"]
    assert choice.completion_time == "15 menit"
    assert [(d.type, d.form) for d in choice.documents] == [
        ("id_card", "original"),
        ("id_card", "copy"),
        ("phone_number", "either"),
    ]


def test_triage_may_choose_any_service_of_the_office() -> None:
    standards = office_standards(load_catalogue().office("kupang"))
    keys = {c.key for c in reception.all_choices(standards)}
    assert {c.key for c in reception.walk_in_choices(standards)} <= keys


def test_a_bar_chart_is_valid_labelled_svg_with_links_and_escaped_text() -> None:
    svg = charts.bar_chart(
        "c1",
        "Menurut kanal",
        [charts.Bar("Datang <langsung>", 3, "/kantor/kasus?kanal=walk_in&periode=hari")],
    )
    root = ET.fromstring(svg)  # noqa: S314 (our own markup)
    ns = "{http://www.w3.org/2000/svg}"
    assert root.get("role") == "img"
    assert root.findtext(f"{ns}title") == "Menurut kanal (jumlah 3)"
    assert root.findtext(f"{ns}desc") == "Datang <langsung>: 3"
    link = root.find(f"{ns}g/{ns}a")
    assert link is not None and link.get("href") == "/kantor/kasus?kanal=walk_in&periode=hari"
    assert "<langsung>" not in svg
    empty = ET.fromstring(charts.bar_chart("c2", "Kosong", []))  # noqa: S314
    assert "Belum ada data." in "".join(empty.itertext())
    assert (charts.percent(0.8333), charts.percent(None)) == ("83,3%", "–")
