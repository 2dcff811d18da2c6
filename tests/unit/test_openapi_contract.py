"""Every service's OpenAPI document says what the service answers (issue 18.7): each 4xx is
the one error shape `{"error": {code, message, details}}` (never FastAPI's
`HTTPValidationError`), and each JSON 2xx has a schema (a new operation without a response
model fails here)."""

from __future__ import annotations

import importlib
from typing import Any

import pytest

SERVICES = ("intake", "eligibility", "documents", "casework", "notifications")

# What still answers `dict[str, Any]`: nothing (issue 18.7). A new operation needs a
# response model; this list stays empty.
FREE_FORM_2XX: set[tuple[str, str]] = set()


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
