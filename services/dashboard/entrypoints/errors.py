"""Refusals and errors as pages: in Bahasa Indonesia, never a stack trace.

A `Refused` (raised by a service client with the service's own code, or by the dashboard)
becomes the page `error.html` with its status; for an htmx request, the notice is swapped
into the page's flash area instead (`HX-Retarget: #flash`), so the page stays as it was.
Not signed in: a redirect to the sign-in page (`HX-Redirect` for htmx).
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.dashboard.domain.refusals import explain
from services.dashboard.entrypoints.deps import NotSignedIn, get_dashboard, is_htmx, render
from shared.logging import get_logger
from shared.refusal import Refused
from shared.unavailable import RETRY_AFTER_SECONDS, database_unavailable

log = get_logger(__name__)


def _notice_response(
    request: Request, code: str, status: int, message: str, details: object
) -> Response:
    notice = explain(code, status, message, details if isinstance(details, dict) else None)
    if is_htmx(request):
        response = render(request, "_notice.html", {"notice": notice}, status=status)
        response.headers["HX-Retarget"] = "#flash"
        response.headers["HX-Reswap"] = "innerHTML"
        return response
    return render(request, "error.html", {"notice": notice}, status=status)


def install(app: FastAPI) -> None:
    @app.exception_handler(NotSignedIn)
    async def _not_signed_in(request: Request, _: NotSignedIn) -> Response:
        target = "/masuk"
        if request.method == "GET" and request.url.path not in ("/", "/masuk"):
            target += "?lanjut=" + quote(request.url.path, safe="/")
        if is_htmx(request):
            return Response(status_code=401, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(Refused)
    async def _refused(request: Request, exc: Refused) -> Response:
        log.info("request_refused", code=exc.code, status=exc.status, path=request.url.path)
        return _notice_response(request, exc.code, exc.status, exc.message, exc.details)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        return _notice_response(request, "invalid_request", 422, "", None)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        code = {404: "page_not_found", 405: "method_not_allowed"}.get(exc.status_code, "http")
        return _notice_response(request, code, exc.status_code, str(exc.detail), None)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        get_dashboard(request)  # the app is wired; the page below needs it
        if database_unavailable(exc):
            log.warning("database_unavailable", error=repr(exc))
            response = _notice_response(request, "database_unavailable", 503, "", None)
            response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
            return response
        log.exception("unhandled_error", error=repr(exc))
        return _notice_response(request, "internal_error", 500, "", None)
