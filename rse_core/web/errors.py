"""Error responses: HTML pages for browsers, the JSON error shape under /api/.

Neither ever echoes the request (path, query, body) back: an error page is not a reflection
point for injected markup.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from ..i18n import N_

log = logging.getLogger(__name__)

MESSAGES = {
    400: N_("The request could not be understood."),
    403: N_("You are not allowed to do this."),
    404: N_("There is nothing here, or you are not allowed to see it."),
    405: N_("This address does not accept that method."),
    413: N_("The request is too large."),
    409: N_("This conflicts with what exists."),
    422: N_("Some fields are not valid."),
    429: N_("Too many attempts. Wait a moment and try again."),
    500: N_("Something went wrong on our side. It has been logged."),
}
#: The error page's titles (HTTP's own phrases, translated on the page).
TITLES = {
    400: N_("Bad Request"),
    401: N_("Unauthorized"),
    403: N_("Forbidden"),
    404: N_("Not Found"),
    405: N_("Method Not Allowed"),
    409: N_("Conflict"),
    413: N_("Content Too Large"),
    422: N_("Unprocessable Content"),
    429: N_("Too Many Requests"),
    500: N_("Internal Server Error"),
}


class ApiError(HTTPException):
    """A 4xx answer for the JSON API with a machine-readable code and per-field messages."""

    def __init__(
        self,
        status_code: int,
        code: str,
        message: str,
        fields: dict[str, str] | None = None,
    ) -> None:
        super().__init__(status_code, message)
        self.code = code
        self.fields = fields or {}


def error_json(status: int, code: str, message: str, fields: dict[str, str] | None = None) -> Any:
    """The API's error body: ``{"error": {"code", "message", "fields"}}``."""
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _response(request: Request, status: int, detail: str | None = None, **kw: Any) -> Response:
    fallback = MESSAGES.get(status, HTTPStatus(status).phrase)
    # A 500 never says why (it would tell internals); a 503 given on purpose says what is
    # unavailable ("files cannot be checked for viruses right now").
    message = detail if detail and (status < 500 or status == 503) else fallback
    headers = kw.get("headers")
    if _is_api(request):
        exc = kw.get("exc")
        code = getattr(exc, "code", None) or HTTPStatus(status).phrase.lower().replace(" ", "_")
        fields = getattr(exc, "fields", None)
        return JSONResponse(error_json(status, code, message, fields), status, headers=headers)
    try:
        from .templating import render

        return render(
            request,
            "errors/error.html",
            # language_next: the footer's language switch must not echo the requested path
            {
                "status": status,
                "title": TITLES.get(status, HTTPStatus(status).phrase),
                "message": message,
                "language_next": "/",
            },
            status_code=status,
            headers=headers,
        )
    except Exception:  # the error page itself failed: answer plainly
        log.exception("rendering the error page failed")
        return PlainTextResponse(f"{status} {HTTPStatus(status).phrase}", status, headers=headers)


async def http_exception(request: Request, exc: Exception) -> Response:
    """Handler for HTTPException (404, 403, 405, 429, ...)."""
    assert isinstance(exc, HTTPException)
    # Starlette fills detail with the status phrase when none was given: use our wording then.
    given = exc.detail if exc.detail != HTTPStatus(exc.status_code).phrase else None
    return _response(request, exc.status_code, given, headers=exc.headers, exc=exc)


async def server_error(request: Request, exc: Exception) -> Response:
    """Handler for anything unexpected: log it, answer 500 without details."""
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _response(request, 500)


EXCEPTION_HANDLERS: dict[Any, Any] = {HTTPException: http_exception, 500: server_error}


async def validation_error(request: Request, exc: Exception) -> Response:
    """A service refused the input: 422 naming each field."""
    fields = getattr(exc, "fields", {})
    return _response(
        request, 422, MESSAGES[422], exc=ApiError(422, "invalid", MESSAGES[422], fields)
    )


async def conflict(request: Request, exc: Exception) -> Response:
    """A service refused input that conflicts with the current state: 409 naming the field."""
    fields = getattr(exc, "fields", {})
    message = next(iter(fields.values()), MESSAGES[409])
    return _response(request, 409, message, exc=ApiError(409, "conflict", message, fields))


async def forbidden(request: Request, exc: Exception) -> Response:
    """A service refused the action: 403."""
    return _response(request, 403, None, exc=ApiError(403, "forbidden", MESSAGES[403]))


async def not_found(request: Request, exc: Exception) -> Response:
    """A service found nothing the user may see: 404."""
    return _response(request, 404, None, exc=ApiError(404, "not_found", MESSAGES[404]))


def _service_handlers() -> dict[Any, Any]:
    from ..validation import Conflict, Forbidden, NotFound, ValidationError

    return {
        ValidationError: validation_error,
        Conflict: conflict,
        Forbidden: forbidden,
        NotFound: not_found,
    }


EXCEPTION_HANDLERS.update(_service_handlers())
