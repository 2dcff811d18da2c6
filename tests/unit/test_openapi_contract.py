"""Every service's OpenAPI document says what the service answers (issue 18.7): each 4xx is
the one error shape `{"error": {code, message, details}}` (never FastAPI's
`HTTPValidationError`), and each JSON 2xx has a schema. The operations below still answer
a free-form object: the list may only shrink (a new operation without a response model
fails here)."""

from __future__ import annotations

import importlib
from typing import Any

import pytest

SERVICES = ("intake", "eligibility", "documents", "casework", "notifications")

# What still answers `dict[str, Any]` (issue 18.7, not finished): give each a response model
# and take it off this list.
FREE_FORM_2XX = {
    ("intake", "POST /v1/requests"),
    ("intake", "GET /v1/inbound/{inbound_id}"),
    ("intake", "GET /v1/inbound"),
    ("intake", "GET /v1/catalogue"),
    ("intake", "GET /v1/catalogue/{office}"),
    ("intake", "POST /v1/channels/{platform}/{office}"),
    ("intake", "POST /v1/channels/twitter/{office}"),
    ("intake", "POST /v1/channels/lapor/{office}"),
    ("intake", "POST /v1/channels/website/{office}"),
    ("intake", "POST /v1/channels/telephone"),
    ("intake", "POST /v1/channels/suggestion-box"),
    ("intake", "POST /v1/channels/letter"),
    ("intake", "GET /v1/triage"),
    ("intake", "POST /v1/triage/{inbound_id}/classify"),
    ("intake", "GET /v1/duplicates"),
    ("intake", "POST /v1/cases/{case_id}/duplicate/{decision}"),
    ("intake", "POST /v1/desk/visits"),
    ("intake", "GET /v1/desk/visits"),
    ("intake", "GET /v1/desk/id-cards"),
    ("intake", "POST /v1/desk/visits/{visit_id}/id-card/return"),
    ("intake", "POST /v1/desk/visits/{visit_id}/call"),
    ("eligibility", "GET /v1/cases/{case_id}/eligibility"),
    ("eligibility", "POST /v1/cases/{case_id}/eligibility/recheck"),
    ("eligibility", "POST /v1/registry/members"),
    ("eligibility", "POST /v1/registry/imports"),
    ("eligibility", "GET /v1/registry/snapshots"),
    ("eligibility", "GET /v1/registry/snapshots/{snapshot_id}/rejects"),
    ("eligibility", "GET /v1/registry/persons/{nik}"),
    ("eligibility", "GET /v1/registry/persons/{nik}/history"),
    ("documents", "POST /v1/cases/{case_id}/documents"),
    ("documents", "POST /v1/cases/{case_id}/documents/upload"),
    ("documents", "POST /v1/cases/{case_id}/checklist/decision"),
    ("documents", "GET /v1/files/{file_id}"),
    ("documents", "GET /v1/cases/{case_id}/checklist"),
    ("documents", "POST /v1/cases/{case_id}/letters"),
    ("documents", "GET /v1/cases/{case_id}/letters"),
    ("documents", "GET /v1/letters"),
    ("documents", "GET /v1/letters/{letter_id}"),
    ("documents", "POST /v1/letters/{letter_id}/approve"),
    ("documents", "POST /v1/letters/{letter_id}/return"),
    ("documents", "POST /v1/letters/{letter_id}/resubmit"),
    ("documents", "POST /v1/letters/{letter_id}/sign"),
    ("documents", "POST /v1/letters/{letter_id}/issue"),
    ("documents", "GET /v1/cases/{case_id}/attachments"),
    ("documents", "POST /v1/cases/{case_id}/attachments/{attachment_id}/accept"),
    ("documents", "GET /v1/verify/{letter_id}"),
    ("documents", "GET /v1/letters/{letter_id}/download"),
}


def _spec(service: str) -> dict[str, Any]:
    app = importlib.import_module(f"services.{service}.bootstrap").create_app()
    spec: dict[str, Any] = app.openapi()
    return spec


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if isinstance(op, dict)
    ]


@pytest.mark.parametrize("service", SERVICES)
def test_every_4xx_is_the_error_model(service: str) -> None:
    spec = _spec(service)
    assert "HTTPValidationError" not in str(spec)
    assert "ErrorResponse" in spec["components"]["schemas"]
    declared = 0
    for method, path, op in _operations(spec):
        for code, response in op["responses"].items():
            if code.startswith("4"):
                declared += 1
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorResponse"}, (method, path)
        if op.get("parameters") or op.get("requestBody"):
            assert "422" in op["responses"], (method, path)
        if "{" in path and path != "/asyncapi.json":
            assert "404" in op["responses"], (method, path)
    assert declared >= len(_operations(spec))


@pytest.mark.parametrize("service", SERVICES)
def test_every_json_2xx_has_a_schema_but_the_listed_ones(service: str) -> None:
    free_form = set()
    for method, path, op in _operations(_spec(service)):
        for code, response in op["responses"].items():
            schema = (response.get("content") or {}).get("application/json", {}).get("schema")
            if not code.startswith("2") or schema is None or path == "/asyncapi.json":
                continue
            if not schema or (
                schema.get("type") == "object" and not {"properties", "$ref"} & set(schema)
            ):
                free_form.add((service, f"{method} {path}"))
    listed = {x for x in FREE_FORM_2XX if x[0] == service}
    assert free_form <= listed, f"new operations without a response model: {free_form - listed}"
    assert listed <= free_form, f"these have a model now, take them off: {listed - free_form}"


def test_asyncapi_is_served_by_every_service() -> None:
    spec = _spec("casework")
    assert "/asyncapi.json" in spec["paths"]
