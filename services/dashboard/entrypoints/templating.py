"""Jinja2 for the pages: autoescape ON for every template (what a citizen wrote is text,
never markup), and the filters that show dates, times and durations the Indonesian way."""

from __future__ import annotations

from pathlib import Path

import jinja2
from starlette.templating import Jinja2Templates

from services.dashboard.domain import formatting
from services.dashboard.domain.accounts import ROLE_LABELS
from shared.contracts.vocab import Role

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def _role_label(role: str | Role) -> str:
    try:
        return ROLE_LABELS[Role(role)]
    except ValueError:
        return str(role)


def make_templates() -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,  # every template, whatever its file name
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["waktu"] = formatting.date_time  # {{ moment | waktu(region) }}
    env.filters["tanggal"] = formatting.date_only
    env.filters["jam"] = formatting.time_only
    env.filters["durasi"] = formatting.duration  # office time: hari kerja, jam, menit
    env.filters["sisa_waktu"] = formatting.time_left  # `sisa 1 hari kerja 3 jam` / `lewat …`
    env.filters["peran"] = _role_label
    env.filters["zona"] = formatting.zone_name
    env.globals["ROLE_LABELS"] = {r.value: label for r, label in ROLE_LABELS.items()}
    return Jinja2Templates(env=env)
