"""Reading what a page's form submits."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request


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
