"""The Grafana dashboard in deploy/ (issue 18.3) queries only metrics the services expose:
a renamed metric cannot leave a panel silently empty."""

from __future__ import annotations

import json
import re
from pathlib import Path

from prometheus_client import REGISTRY

import shared.metrics as metrics

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "slrt.json"


def _exposed() -> set[str]:
    metrics.kafka_middleware("test")  # FastStream's families, in the same registry
    names: set[str] = set()
    for family in REGISTRY.collect():
        names |= {s.name for s in family.samples} | {family.name}
        for suffix in ("_total", "_count", "_bucket", "_sum"):
            names.add(family.name + suffix)
    return names


def test_every_panel_queries_an_exposed_metric() -> None:
    board = json.loads(DASHBOARD.read_text())
    exposed = _exposed()
    queried: set[str] = set()
    for panel in board["panels"]:
        for target in panel.get("targets", []):
            queried |= set(re.findall(r"\b(slrt_[a-z_]+)", target["expr"]))
    for var in board["templating"]["list"]:
        if var["type"] == "query":
            queried |= set(re.findall(r"\b(slrt_[a-z_]+)", var["definition"]))
    assert queried, "no panel queries an SLRT metric"
    assert queried - exposed == set()
    # Every point of issue 18.3 has its panel.
    for wanted in (
        "slrt_http_request_duration_seconds_bucket",
        "slrt_events_applied_total",
        "slrt_events_dead_lettered_total",
        "slrt_consumer_lag_events",
        "slrt_outbox_backlog_events",
        "slrt_outbox_oldest_age_seconds",
        "slrt_outbox_publish_delay_seconds_bucket",
        "slrt_deadline_warnings_total",
        "slrt_deadline_breaches_total",
        "slrt_registry_import_progress_ratio",
    ):
        assert wanted in queried, wanted
