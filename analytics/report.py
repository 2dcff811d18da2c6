"""The monthly report of an office: figures from the analytics views, charts, HTML and PDF.

Everything is read through the `analytics` views as of the month's last moment (office
time), so a report for a past month says what was known then, whatever happened after.
The text is in Bahasa Indonesia (heads of office and the public read it); the charts are
drawn with matplotlib (Agg, no display), the PDF is laid out with fpdf2 (already what the
letters are printed with), the HTML embeds the same PNGs.

IKM (PermenPANRB 14/2017): per element the average score (1-4) over the respondents, the
index the elements' mean times 25, graded A 88.31-100, B 76.61-88.30, C 65.00-76.60,
D 25.00-64.99.
"""

from __future__ import annotations

import base64
import io
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import jinja2

from shared.contracts.ikm import ELEMENTS, grade
from shared.labels import CHANNEL_LABELS
from shared.localtime import MONTHS

STAGES = {
    "registered": "Terdaftar",
    "front_office": "Front office",
    "back_office": "Back office",
    "assigned": "Didisposisi / ditugaskan",
    "in_progress": "Diproses",
    "waiting_for_citizen": "Menunggu pemohon",
    "waiting_for_agency": "Menunggu instansi lain",
}
TREND_MONTHS = 12


def month_label(month: date) -> str:
    return f"{MONTHS[month.month - 1]} {month.year}"


# A month of this century or the last, in ASCII digits: the report also reads the year
# before and the month after, which a year 1 or 9999 cannot hold.
MONTH_PATTERN = r"^(19|20)[0-9]{2}-(0[1-9]|1[0-2])$"


def parse_month(text: str) -> date:
    """`2026-11` -> the first of that month (ValueError if it is not one)."""
    if not re.fullmatch(MONTH_PATTERN, text):
        raise ValueError(f"not a month (YYYY-MM, 1900-2099): {text!r}")
    year, _, mon = text.partition("-")
    return date(int(year), int(mon), 1)


def _add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Ikm:
    respondents: int
    element_averages: dict[str, float]
    index: float
    grade: str
    label: str


@dataclass(frozen=True)
class ServiceSla:
    service: str
    name: str
    closed: int
    met: int

    @property
    def compliance(self) -> float | None:
        return self.met / self.closed if self.closed else None


@dataclass(frozen=True)
class MonthlyFigures:
    office: str
    office_name: str
    zone: str
    month: date
    months: list[date]  # the trend: TREND_MONTHS months ending with `month`
    registered: int  # requests registered in the month
    by_channel: dict[str, list[int]]  # channel -> count per month of `months`
    by_service: dict[str, list[int]]  # service name -> count per month of `months`
    closed: int  # cases whose clock stopped in the month
    met: int  # ... of them by their due time
    sla_by_service: list[ServiceSla]
    days_to_close: list[int]  # working days to close, one per case closed in the month
    overdue_by_stage: dict[str, int]  # open and past due at the month's end, by stage
    ikm: Ikm | None
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def overdue(self) -> int:
        return sum(self.overdue_by_stage.values())

    @property
    def compliance(self) -> float | None:
        return self.met / self.closed if self.closed else None


async def monthly_figures(conn: asyncpg.Connection, office: str, month: date) -> MonthlyFigures:
    """The report's figures, read through the analytics views as of the month's end."""
    info = await conn.fetchrow(
        "SELECT name, utc_offset, zone_abbrev FROM analytics.offices WHERE office = $1", office
    )
    if info is None:
        raise LookupError(f"unknown office {office!r}")
    offset: timedelta = info["utc_offset"]
    first = _add_months(month, -(TREND_MONTHS - 1))
    months = [_add_months(first, i) for i in range(TREND_MONTHS)]

    def local_start(m: date) -> datetime:
        return datetime(m.year, m.month, 1, tzinfo=UTC) - offset

    since, until = local_start(month), local_start(_add_months(month, 1))
    trend_since = local_start(first)
    async with conn.transaction(readonly=True):
        # Every view as of the month's last moment.
        await conn.execute(
            "SELECT set_config('analytics.as_of', $1, true)",
            (until - timedelta(microseconds=1)).isoformat(),
        )
        counts = await conn.fetch(
            """SELECT date_trunc('month', c.opened_at AT TIME ZONE $4::interval)::date AS month,
                      c.channel, coalesce(s.name, c.service) AS service, count(*) AS n
               FROM analytics.cases c
               LEFT JOIN analytics.service_standards s
                   ON s.office = c.office AND s.service = c.service AND s.channel = '*'
               WHERE c.office = $1 AND c.opened_at >= $2 AND c.opened_at < $3
               GROUP BY 1, 2, 3""",
            office,
            trend_since,
            until,
            offset,
        )
        closed = await conn.fetch(
            """SELECT c.service, coalesce(s.name, c.service) AS name, c.sla_met,
                      c.working_days_to_close
               FROM analytics.cases c
               LEFT JOIN analytics.service_standards s
                   ON s.office = c.office AND s.service = c.service AND s.channel = '*'
               WHERE c.office = $1 AND c.closed_at >= $2 AND c.closed_at < $3""",
            office,
            since,
            until,
        )
        overdue = await conn.fetch(
            """SELECT stage, count(*) AS n FROM analytics.cases
               WHERE office = $1 AND overdue GROUP BY stage""",
            office,
        )
        answers = await conn.fetch(
            """SELECT element, avg(score)::float8 AS average,
                      count(DISTINCT survey_id) AS respondents
               FROM analytics.ikm_answers
               WHERE office = $1 AND answered_at >= $2 AND answered_at < $3
               GROUP BY element""",
            office,
            since,
            until,
        )
    index_of = {m: i for i, m in enumerate(months)}
    by_channel: dict[str, list[int]] = {}
    by_service: dict[str, list[int]] = {}
    for r in counts:
        i = index_of[r["month"]]
        by_channel.setdefault(r["channel"], [0] * len(months))[i] += r["n"]
        by_service.setdefault(r["service"], [0] * len(months))[i] += r["n"]
    per_service: dict[str, list[Any]] = {}
    for r in closed:
        entry = per_service.setdefault(r["service"], [r["name"], 0, 0])
        entry[1] += 1
        entry[2] += 1 if r["sla_met"] else 0
    ikm = None
    if answers:
        averages = {r["element"]: float(r["average"]) for r in answers}
        index = round(sum(averages.get(k, 0.0) for k in ELEMENTS) / len(ELEMENTS) * 25, 2)
        letter, label = grade(index)
        ikm = Ikm(
            respondents=max(r["respondents"] for r in answers),
            element_averages={k: round(averages.get(k, 0.0), 3) for k in ELEMENTS},
            index=index,
            grade=letter,
            label=label,
        )
    return MonthlyFigures(
        office=office,
        office_name=info["name"],
        zone=info["zone_abbrev"],
        month=month,
        months=months,
        registered=sum(v[-1] for v in by_channel.values()),
        by_channel=dict(sorted(by_channel.items(), key=lambda kv: -sum(kv[1]))),
        by_service=dict(sorted(by_service.items(), key=lambda kv: -sum(kv[1]))),
        closed=len(closed),
        met=sum(1 for r in closed if r["sla_met"]),
        sla_by_service=[
            ServiceSla(service=s, name=v[0], closed=v[1], met=v[2])
            for s, v in sorted(per_service.items())
        ],
        days_to_close=sorted(
            r["working_days_to_close"] for r in closed if r["working_days_to_close"] is not None
        ),
        overdue_by_stage={r["stage"] or "registered": r["n"] for r in overdue},
        ikm=ikm,
    )


# ---- charts -------------------------------------------------------------------------------


def _png(fig: Any) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return buffer.getvalue()


def charts(f: MonthlyFigures) -> dict[str, bytes]:
    """The report's charts as PNG bytes, by name."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [f"{MONTHS[m.month - 1][:3]} {str(m.year)[2:]}" for m in f.months]
    out: dict[str, bytes] = {}

    def nothing_yet(ax: Any, what: str) -> None:
        """An empty chart says so in words instead of drawing axes around nothing."""
        ax.cla()
        ax.text(0.5, 0.5, what, ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()

    def stacked(series: dict[str, list[int]], title: str, names: dict[str, str]) -> bytes:
        fig, ax = plt.subplots(figsize=(8, 3.4))
        bottom = [0] * len(labels)
        for key, values in series.items():
            ax.bar(labels, values, bottom=bottom, label=names.get(key, key))
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        ax.set_title(title)
        ax.set_ylabel("Permohonan")
        ax.tick_params(axis="x", labelrotation=45)
        if series:
            ax.legend(fontsize=7, loc="upper left", ncols=2)
        return _png(fig)

    out["channels"] = stacked(f.by_channel, "Permohonan per kanal, per bulan", CHANNEL_LABELS)
    out["services"] = stacked(f.by_service, "Permohonan per layanan, per bulan", {})

    fig, ax = plt.subplots(figsize=(8, max(1.8, 0.6 + 0.5 * len(f.sla_by_service))))
    names = [s.name[:45] for s in f.sla_by_service]
    values = [100 * (s.compliance or 0.0) for s in f.sla_by_service]
    ax.barh(names, values, color=["#2e7d32" if v >= 90 else "#f9a825" for v in values])
    for i, s in enumerate(f.sla_by_service):
        ax.text(min(values[i] + 1, 90), i, f"{s.met}/{s.closed}", va="center", fontsize=8)
    ax.set_xlim(0, 100)
    ax.set_xlabel("% selesai tepat waktu")
    ax.set_title("Kepatuhan waktu layanan (selesai bulan ini)")
    if not f.sla_by_service:
        nothing_yet(ax, "Belum ada kasus selesai bulan ini")
    out["sla"] = _png(fig)

    fig, ax = plt.subplots(figsize=(8, 3))
    top = max(f.days_to_close, default=0)
    ax.hist(f.days_to_close, bins=range(0, top + 2), align="left", rwidth=0.8, color="#1565c0")
    ax.set_xlabel("Hari kerja sampai selesai")
    ax.set_ylabel("Kasus")
    ax.set_title("Sebaran lama penyelesaian (hari kerja)")
    if not f.days_to_close:
        nothing_yet(ax, "Belum ada kasus selesai bulan ini")
    out["days"] = _png(fig)

    fig, ax = plt.subplots(figsize=(8, 2.6))
    stages = list(f.overdue_by_stage)
    ax.bar(
        [STAGES.get(s, s) for s in stages], [f.overdue_by_stage[s] for s in stages], color="#c62828"
    )
    ax.set_ylabel("Kasus")
    ax.set_title("Kasus melewati batas waktu pada akhir bulan, per tahap")
    if not stages:
        nothing_yet(ax, "Tidak ada kasus yang melewati batas waktu")
    out["overdue"] = _png(fig)

    fig, ax = plt.subplots(figsize=(8, 3.6))
    if f.ikm is not None:
        keys = list(ELEMENTS)
        ax.barh(
            [f"{k.upper()} {ELEMENTS[k][:32]}" for k in keys],
            [f.ikm.element_averages[k] for k in keys],
            color="#6a1b9a",
        )
        ax.invert_yaxis()
        ax.set_xlim(1, 4)
        ax.set_title(f"IKM {f.ikm.index:.2f} — mutu {f.ikm.grade} ({f.ikm.label})")
    else:
        ax.text(0.5, 0.5, "Belum ada jawaban survei bulan ini", ha="center", va="center")
        ax.set_axis_off()
    ax.set_xlabel("Nilai rata-rata unsur (1-4)")
    out["ikm"] = _png(fig)
    return out


# ---- HTML and PDF -------------------------------------------------------------------------

_HTML = jinja2.Environment(
    loader=jinja2.PackageLoader("analytics", "templates"), autoescape=True
).get_template("report.html")


def _texts(f: MonthlyFigures) -> dict[str, str]:
    return {
        "month": month_label(f.month),
        "pct": "-" if f.compliance is None else f"{100 * f.compliance:.1f}%",
        "ikm_text": "-" if f.ikm is None else f"{f.ikm.index:.2f} ({f.ikm.grade})",
        "generated": f.generated_at.strftime("%Y-%m-%d %H:%M UTC"),
    }


def render_html(f: MonthlyFigures, pngs: dict[str, bytes] | None = None) -> str:
    pngs = pngs if pngs is not None else charts(f)
    img = {k: base64.b64encode(v).decode() for k, v in pngs.items()}
    html: str = _HTML.render(
        f=f, img=img, channels=CHANNEL_LABELS, stages=STAGES, elements=ELEMENTS, **_texts(f)
    )
    return html


def _latin1(text: str) -> str:
    return text.replace("—", "-").encode("latin-1", "replace").decode("latin-1")


def render_pdf(f: MonthlyFigures, pngs: dict[str, bytes] | None = None) -> bytes:
    from fpdf import FPDF

    pngs = pngs if pngs is not None else charts(f)
    t = _texts(f)
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 15)
    pdf.multi_cell(0, 8, "Laporan Bulanan Pelayanan dan Pengaduan", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.multi_cell(0, 5, _latin1(f.office_name), new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(
        0, 5, _latin1(f"Periode: {t['month']} (waktu {f.zone})"), new_x="LMARGIN", new_y="NEXT"
    )
    pdf.ln(2)
    pdf.set_font("Helvetica", "B", 10)
    for label, value in (
        ("Permohonan masuk", str(f.registered)),
        ("Selesai", str(f.closed)),
        ("Selesai tepat waktu", t["pct"]),
        ("Melewati batas waktu (akhir bulan)", str(f.overdue)),
        ("Indeks Kepuasan Masyarakat", t["ikm_text"]),
    ):
        pdf.cell(80, 6, _latin1(label), border=1)
        pdf.cell(40, 6, _latin1(value), border=1, new_x="LMARGIN", new_y="NEXT", align="R")
    pdf.ln(3)
    for name in ("channels", "services", "sla", "days", "overdue", "ikm"):
        pdf.image(io.BytesIO(pngs[name]), w=180)
        pdf.ln(2)
    if f.ikm is not None:
        pdf.set_font("Helvetica", "", 9)
        for k, element in ELEMENTS.items():
            pdf.cell(120, 5, _latin1(f"{k.upper()} {element}"), border=1)
            pdf.cell(
                30,
                5,
                f"{f.ikm.element_averages[k]:.2f}",
                border=1,
                align="R",
                new_x="LMARGIN",
                new_y="NEXT",
            )
    pdf.set_font("Helvetica", "I", 8)
    pdf.multi_cell(
        0, 4, _latin1(f"Dibuat {t['generated']} dari tampilan analytics SLRT."), new_x="LMARGIN"
    )
    return bytes(pdf.output())
