"""The reception desk's decisions that the dashboard makes itself: which number to call
next, which of the office's services a walk-in can be registered for, and the body of a
walk-in registration from the form. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

WALK_IN = "walk_in"


def next_to_call(visits: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The oldest visit of the day still waiting: not called yet and not yet registered
    as a request. Visits come from intake's guest book of today (any order)."""
    waiting = [v for v in visits if not v.get("called_at") and not v.get("case_id")]
    if not waiting:
        return None
    return min(waiting, key=lambda v: (str(v.get("checked_in_at", "")), v["queue_number"]))


def now_serving(visits: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The number called last (shown big at the desk)."""
    called = [v for v in visits if v.get("called_at")]
    return max(called, key=lambda v: str(v["called_at"])) if called else None


@dataclass(frozen=True)
class Document:
    type: str
    name: str
    form: str
    note: str | None
    alternative_group: str | None


@dataclass(frozen=True)
class Choice:
    """One thing a walk-in can ask for: a service and one of its variants."""

    service: str
    service_name: str
    variant: str
    variant_name: str
    documents: tuple[Document, ...]
    proxy: bool
    completion_time: str

    @property
    def key(self) -> str:
        return f"{self.service}/{self.variant}"

    @property
    def label(self) -> str:
        return f"{self.service_name} · {self.variant_name}"


def is_proxy(variant_id: str, variant_name: str) -> bool:
    """A variant applied for on someone's behalf (Lumajang's 'dikuasakan' variants): the
    form asks for the cardholder too (`on_behalf_of`)."""
    return variant_id.startswith("proxy") or "dikuasakan" in variant_name.lower()


def _duration(value: Any) -> str:
    if isinstance(value, dict) and value.get("published"):  # as published: "2x24 jam"
        return str(value["published"])
    if isinstance(value, dict) and "value" in value and "unit" in value:
        units = {"working_days": "hari kerja", "days": "hari", "hours": "jam", "minutes": "menit"}
        return f"{value['value']} {units.get(str(value['unit']), str(value['unit']))}"
    return ""


def walk_in_choices(standards: Mapping[str, Any]) -> list[Choice]:
    """From intake's `GET /v1/catalogue/{office}` (the published standards): every
    service and variant a walk-in can be registered for, with its required documents."""
    choices: list[Choice] = []
    services = standards.get("services", {})
    items = services.values() if isinstance(services, Mapping) else services
    for service in items:
        if WALK_IN not in service.get("channels", []):
            continue
        variants = service.get("variants", {})
        for variant in variants.values() if isinstance(variants, Mapping) else variants:
            choices.append(
                Choice(
                    service=service["id"],
                    service_name=service["name"],
                    variant=variant["id"],
                    variant_name=variant["name"],
                    documents=tuple(
                        Document(
                            type=d["type"],
                            name=d["name"],
                            form=d.get("form", "either"),
                            note=d.get("note"),
                            alternative_group=d.get("alternative_group"),
                        )
                        for d in variant.get("required_documents", [])
                        # a requirement of other channels only (a copy sent by post)
                        if WALK_IN in (d.get("channels") or [WALK_IN])
                    ),
                    proxy=is_proxy(variant["id"], variant["name"]),
                    # the walk-in's own time where the standard gives one (Kupang: 15 menit)
                    completion_time=_duration(
                        (service.get("completion_time_by_channel") or {}).get(WALK_IN)
                        or service.get("completion_time")
                    ),
                )
            )
    return choices


def _person(name: str, nik: str, phone: str = "") -> dict[str, str]:
    return {k: v.strip() for k, v in (("name", name), ("nik", nik), ("phone", phone)) if v.strip()}


def walk_in_request(
    office: str,
    choice: Choice,
    *,
    name: str,
    nik: str,
    phone: str,
    description: str,
    documents: Sequence[str],
    visit_id: str | None,
    proxy_name: str = "",
    proxy_nik: str = "",
) -> dict[str, Any]:
    """The body of intake's `POST /v1/requests` for a walk-in registered at the desk.
    Only documents the variant requires are declared; intake checks everything else."""
    known = {d.type for d in choice.documents}
    body: dict[str, Any] = {
        "office": office,
        "service": choice.service,
        "variant": choice.variant,
        "channel": WALK_IN,
        "applicant": _person(name, nik, phone),
        "description": description.strip(),
        "documents_declared": [d for d in dict.fromkeys(documents) if d in known],
    }
    if choice.proxy and (proxy_name.strip() or proxy_nik.strip()):
        body["on_behalf_of"] = _person(proxy_name, proxy_nik)
    if visit_id:
        body["visit_id"] = visit_id
    return body


def all_choices(standards: Mapping[str, Any]) -> list[Choice]:
    """Every service and variant of the office, whatever its channels: what a triaged
    message (from any channel) may be classified as."""
    services = standards.get("services", {})
    items = list(services.values() if isinstance(services, Mapping) else services)
    everything = {"services": [{**s, "channels": [*s.get("channels", []), WALK_IN]} for s in items]}
    return walk_in_choices(everything)


def still_missing(choice: Choice, declared: set[str]) -> list[Document]:
    """The required documents not brought: one of an alternative group (KTP or KK)
    stands for the whole group."""
    covered = {d.alternative_group for d in choice.documents if d.type in declared}
    return [
        d
        for d in choice.documents
        if d.type not in declared
        and (d.alternative_group is None or d.alternative_group not in covered)
    ]
