"""Charts for the office dashboard, drawn on the server as SVG: no JavaScript library, no
CDN, nothing to download (offices are often offline). Pure: data in, markup out.

Every chart is a horizontal bar chart (labels are long Indonesian service names, which a
phone cannot fit under vertical bars). The SVG is an image with a title and description
for screen readers; the page shows the same numbers as a table beside it (the text
alternative), so a chart is never the only place a figure is.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

PALETTE = ("#0b5394", "#1a7f37", "#9a6700", "#8250df", "#b42318", "#57606a")


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    href: str | None = None  # drill-down: the list behind the bar
    short: str | None = None  # the text on the chart, when the label is long (a variant)


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def bar_chart(chart_id: str, title: str, bars: list[Bar]) -> str:
    """A horizontal bar chart as an inline SVG string (escaped; safe to mark up as-is).

    Each row is its label on a line of its own (long Indonesian names fit, also on a
    phone) and the bar under it, the value at its end; a bar links to its drill-down
    list when it has one. As wide as its container: bar lengths are percentages, so
    the text keeps its size from a phone to the office PC (no `viewBox` scaling)."""
    label_h, bar_h, gap, plot_pct = 18, 20, 10, 86.0
    row = label_h + bar_h + gap
    height = max(1, len(bars)) * row
    peak = max((b.value for b in bars), default=0) or 1
    total = sum(b.value for b in bars)
    cid = escape(chart_id)
    desc = "; ".join(f"{b.label}: {b.value}" for b in bars) or "Belum ada data."
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{cid}" '
        f'width="100%" height="{height}" role="img" aria-labelledby="{cid}-t {cid}-d">',
        f'<title id="{cid}-t">{escape(title)} (jumlah {total})</title>',
        f'<desc id="{cid}-d">{escape(desc)}</desc>',
    ]
    if not bars:
        parts.append(f'<text x="0" y="{label_h + 6}" class="chart-empty">Belum ada data.</text>')
    for i, b in enumerate(bars):
        y = i * row
        w = 0.0 if b.value <= 0 else max(0.5, plot_pct * b.value / peak)
        colour = PALETTE[i % len(PALETTE)]
        bar = (
            f"<title>{escape(b.label)}: {b.value}</title>"
            f'<text x="0" y="{y + label_h - 5}" class="chart-label">'
            f"{escape(_truncate(b.short or b.label, 60))}</text>"
            f'<rect x="0" y="{y + label_h}" width="{w:.1f}%" height="{bar_h}" rx="3" '
            f'fill="{colour}"/>'
            f'<text x="{w + 1.5:.1f}%" y="{y + label_h + bar_h - 5}" '
            f'class="chart-value">{b.value}</text>'
        )
        if b.href:
            bar = f'<a href="{escape(b.href)}" aria-label="{escape(b.label)}: {b.value}">{bar}</a>'
        parts.append(f"<g>{bar}</g>")
    parts.append("</svg>")
    return "".join(parts)


def percent(value: float | None) -> str:
    """0.8333 -> '83,3%' (Indonesian decimal comma); None -> a dash."""
    if value is None:
        return "–"
    return f"{value * 100:.1f}%".replace(".", ",")
