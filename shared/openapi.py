"""Every service's API document, true to what it answers, and readable without internet.

* The docs pages (`/docs`: Swagger UI, `/redoc`: ReDoc) load their scripts and styles from
  the service itself (`/static-offline-docs/…`, shipped by the pinned `fastapi-offline`),
  never from a CDN: an office with filtered or no internet still reads them.
* Every 4xx is declared with the one error shape the services answer,
  `{"error": {"code", "message", "details"}}` (`shared.http`), instead of FastAPI's
  `HTTPValidationError`: 422 where the operation takes input, 401 and 403 where it needs a
  staff token or the services' internal key, 404 where its path names something, 409 for a
  command the state may refuse. What a route declares itself is kept, with this schema.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel, Field

from shared.auth import current_staff
from shared.internal_api import require_internal_key


class ErrorDetail(BaseModel):
    code: str = Field(
        description="Stable, machine-readable reason (`invalid_request`, `wrong_role`, "
        "`case_not_found`, `token_expired`…): clients branch on it."
    )
    message: str = Field(description="What went wrong, for a person.")
    details: Any | None = Field(
        default=None,
        description="What a client needs to act: for `invalid_request` the list of "
        "`{loc, type, msg}` per field; for a refusal its own facts (stage, roles…).",
    )


class ErrorResponse(BaseModel):
    """Every error a service answers (4xx and 5xx)."""

    error: ErrorDetail


_DESCRIPTIONS = {
    "400": "Bad request: `malformed_json` (the body is not JSON; `details.errors`).",
    "401": "No valid staff token (`token_missing`, `token_invalid`, `token_expired`), or "
    "not the services' internal key (`internal_key_invalid`).",
    "403": "Refused: this person may not (`wrong_role`, `wrong_office`, …).",
    "404": "Not found: there is no such case, letter or message.",
    "409": "Refused: the state does not allow it now (an illegal transition).",
    "413": "The upload is too large.",
    "415": "The upload's type is not accepted.",
    "422": "The request is invalid: `invalid_request` (the fields in `details.errors`), "
    "or a domain code (an unknown variant, a bad NIK…).",
    "429": "Too many requests.",
}
_COMMANDS = {"post", "put", "patch", "delete"}
_AUTH_CALLS: tuple[Callable[..., Any], ...] = (current_staff, require_internal_key)


def _calls(dependant: Dependant) -> Iterator[Any]:
    for dep in dependant.dependencies:
        yield dep.call
        yield from _calls(dep)


def _expected_errors(route: RouteContext, method: str, operation: dict[str, Any]) -> set[str]:
    codes: set[str] = set()
    if operation.get("parameters") or operation.get("requestBody"):
        codes.add("422")
    if any(call in _AUTH_CALLS for call in _calls(route.dependant)):
        codes |= {"401", "403"}
    if "{" in (route.path_format or ""):
        codes.add("404")
    if method in _COMMANDS:
        codes.add("409")
    return codes


def declare_error_model(schema: dict[str, Any], routes: list[Any], *, html: bool = False) -> None:
    """Rewrite an OpenAPI document in place: the 4xx of every operation as `ErrorResponse`
    (or, for a web app's pages, an HTML error page)."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    model = ErrorResponse.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(model.pop("$defs", {}))
    components["ErrorResponse"] = model
    content: dict[str, Any] = (
        {"text/html": {"schema": {"type": "string"}}}
        if html
        else {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}
    )
    # Route contexts, as FastAPI's own OpenAPI walks them: included routers' routes with
    # their full path and their router's dependencies.
    by_operation = {
        (r.path_format, m.lower()): r
        for r in iter_route_contexts(routes)
        if isinstance(r.original_route, APIRoute)
        for m in r.methods or ()
    }
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            route = by_operation.get((path, method))
            if route is None or not isinstance(operation, dict):
                continue
            responses = operation.setdefault("responses", {})
            for code in _expected_errors(route, method, operation) | {
                c for c in responses if c.startswith("4")
            }:
                described = responses.get(code, {}).get("description")
                if not described or described == "Validation Error":
                    described = _DESCRIPTIONS.get(code, "Refused.")
                responses[code] = {"description": described, "content": content}
    used = str(schema.get("paths", {}))
    for name in ("HTTPValidationError", "ValidationError"):
        if name not in used:
            components.pop(name, None)


def create_api(
    *, title: str, description: str = "", html_errors: bool = False, **kw: Any
) -> FastAPI:
    """A FastAPI app whose docs pages work offline and whose OpenAPI declares the real
    error model. A web app of pages (`html_errors`: the staff app) gets no docs pages: its
    content security policy allows no inline script, which Swagger UI needs."""
    if html_errors:
        kw.setdefault("docs_url", None)
        kw.setdefault("redoc_url", None)
    kw.setdefault("swagger_ui_parameters", {"validatorUrl": None})  # no outside validator
    app = FastAPIOffline(title=title, description=description, **kw)
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = original()
        declare_error_model(schema, app.routes, html=html_errors)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
