"""Reading what a request submits: a page's form, and the API's paging parameter."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from .errors import ApiError

MAX_LIMIT = 100


async def form_dict(request: Request) -> dict[str, Any]:
    """The submitted form as a dict: a string per field, a list of strings for a field sent
    several times (checkboxes, multiple selects); the CSRF field is left out."""
    form = await request.form()
    data: dict[str, Any] = {}
    for key in form:
        if key == "csrf_token":
            continue
        values = [v for v in form.getlist(key) if isinstance(v, str)]
        data[key] = values[0] if len(values) == 1 else values
    return data


def page_limit(request: Request, default: int = 20) -> int:
    """``?limit=`` bounded to 1..100."""
    raw = request.query_params.get("limit")
    if raw is None:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise ApiError(422, "invalid", "limit must be 1-100.", {"limit": "1-100"})
    return int(raw)
