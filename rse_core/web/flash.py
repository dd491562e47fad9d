"""One-time messages shown on the next page ("Saved for later", "Imported 8 bookmarks").

The message travels in a signed cookie, not in the URL: nobody can craft a link that shows a
colleague a message of their choosing. The next full page shows it once and clears it.
"""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeSerializer
from starlette.requests import HTTPConnection
from starlette.responses import Response

from .context import runtime

COOKIE = "rse_flash"
MAX_LENGTH = 300


def _serializer(conn: HTTPConnection) -> URLSafeSerializer:
    return URLSafeSerializer(runtime(conn).settings.secret_key, salt="rse.flash")


def flash(request: HTTPConnection, response: Response, message: str) -> Response:
    """Show ``message`` once on the next page this browser loads; returns ``response``."""
    value = _serializer(request).dumps(message[:MAX_LENGTH])
    response.set_cookie(
        COOKIE,
        value,
        max_age=300,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


def pending_flash(request: HTTPConnection) -> str | None:
    """The message waiting for this request's page, if any (a forged cookie is ignored)."""
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    try:
        message = _serializer(request).loads(raw)
    except BadSignature:
        return None
    return message if isinstance(message, str) else None
