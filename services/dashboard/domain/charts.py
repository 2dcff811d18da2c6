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


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def bar_chart(chart_id: str, title: str, bars: list[Bar], *, width: int = 560) -> str:
    """A horizontal bar chart as an inline SVG string (escaped; safe to mark up as-is).

    Scales to its container (`viewBox`, width 100%); labels on the left, the value at
    the end of each bar; each bar links to its drill-down list when it has one."""
    row, gap, label_w, top = 28, 8, 190, 4
    height = top + max(1, len(bars)) * (row + gap)
    plot_w = width - label_w - 56
    peak = max((b.value for b in bars), default=0) or 1
    total = sum(b.value for b in bars)
    desc = "; ".join(f"{b.label}: {b.value}" for b in bars) or "Belum ada data."
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{escape(chart_id)}" '
        f'viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-labelledby="{escape(chart_id)}-t {escape(chart_id)}-d" '
        f'preserveAspectRatio="xMinYMin meet">',
        f'<title id="{escape(chart_id)}-t">{escape(title)} (jumlah {total})</title>',
        f'<desc id="{escape(chart_id)}-d">{escape(desc)}</desc>',
    ]
    if not bars:
        parts.append(
            f'<text x="0" y="{top + row * 0.7:.0f}" class="chart-empty">Belum ada data.</text>'
        )
    for i, b in enumerate(bars):
        y = top + i * (row + gap)
        w = 0 if b.value <= 0 else max(2.0, plot_w * b.value / peak)
        colour = PALETTE[i % len(PALETTE)]
        bar = (
            f'<text x="{label_w - 8}" y="{y + row * 0.68:.1f}" text-anchor="end" '
            f'class="chart-label">{escape(_truncate(b.label, 26))}</text>'
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{row}" rx="3" '
            f'fill="{colour}"/>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + row * 0.68:.1f}" '
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
