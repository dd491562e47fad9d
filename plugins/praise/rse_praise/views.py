"""The praise pages: the wall, praising, one praise, a person's, and the badges admins edit."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from rse_core import (
    Space,
    User,
    ValidationError,
    access,
    current_user,
    find_space,
    member_spaces,
    parse_id,
    principals,
    reading_page,
    render,
    render_social,
    runtime,
    write,
)

from . import service
from .models import Badge

PAGE = 20


def person_or_none(session: Session, username: str) -> User | None:
    """The active colleague with this username, or None."""
    person = session.scalar(select(User).where(User.username == username.strip().lower()))
    return person if person is not None and person.is_active else None


def _person(session: Session, username: str) -> User:
    person = person_or_none(session, username)
    if person is None:
        raise HTTPException(404)
    return person


@reading_page
def wall(request: Request) -> Response:
    """GET /praise?before=: the praise the reader may see, newest first."""
    before = parse_id(request.query_params.get("before"))
    with runtime(request).db.read() as session:
        rows = service.listing(session, principals(request), before=before, limit=PAGE + 1)
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    return render(
        request,
        "praise/wall.html",
        {"rows": rows, "next_before": rows[-1].praise.id if more else None, "person": None},
    )


async def received(request: Request) -> Response:
    """GET /praise/people/{username}: the praise a colleague received (as the reader may see
    it), with their badges."""
    before = parse_id(request.query_params.get("before"))
    with runtime(request).db.read() as session:
        person = _person(session, request.path_params["username"])
        scope = principals(request)
        rows = service.listing(session, scope, recipient=person, before=before, limit=PAGE + 1)
        tally = service.badge_tally(session, scope, person)
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    return render(
        request,
        "praise/wall.html",
        {
            "rows": rows,
            "next_before": rows[-1].praise.id if more else None,
            "person": person,
            "tally": tally,
        },
    )


def _form(request: Request, values: dict[str, Any], errors: dict[str, str]) -> Response:
    with runtime(request).db.read() as session:
        offered = service.badges(session)
        spaces = member_spaces(request, session)
    return render(
        request,
        "praise/new.html",
        {"values": values, "errors": errors, "badges": offered, "spaces": spaces},
        status_code=422 if errors else 200,
    )


async def new(request: Request) -> Response:
    """GET /praise/new?to=&space=: the form (``to`` names the people to praise); POST:
    praise."""
    if request.method == "POST":
        return await create(request)
    values = {
        "recipients": request.query_params.get("to", "")[:400],
        "space": request.query_params.get("space", "")[:60],
    }
    return _form(request, values, {})


def space_to_praise_in(request: Request, session: Session, slug: object) -> Space | None:
    """The space a praise is shared in (one of the author's), or None for the company."""
    if slug in (None, ""):
        return None
    if not isinstance(slug, str):
        raise ValidationError({"space": "Give the space's address."})
    space = find_space(session, access(request), slug)
    if space.id not in access(request).roles:
        raise ValidationError({"space": "You can only praise in your spaces."})
    return space


def recipients_of(value: object) -> list[str]:
    """Usernames from a form's "a, b c" or an API's list."""
    if isinstance(value, str):
        return [v for v in value.replace(",", " ").split() if v]
    return list(value) if isinstance(value, list) else []


async def create(request: Request) -> Response:
    """Praise colleagues from the form; back to the form with the reasons when refused."""
    form = await request.form()
    values = {k: form.get(k) or "" for k in ("recipients", "badge", "message", "space")}
    me = current_user(request)

    def run(session: Session) -> int:
        space = space_to_praise_in(request, session, values["space"])
        praise = service.give(
            session,
            session.get(User, me.id),
            recipients_of(values["recipients"]),
            values["badge"],
            values["message"],
            space,
        )
        return praise.id

    try:
        praise_id = await write(request, run)
    except ValidationError as exc:
        return _form(request, values, exc.fields)
    return RedirectResponse(f"/praise/{praise_id}", status_code=303)


async def one(request: Request) -> Response:
    """GET /praise/{id}: a praise with its comments and likes."""
    with runtime(request).db.read() as session:
        praise = service.readable(session, request.path_params["praise_id"], principals(request))
        (row,) = service.shown(session, [praise])
    me = current_user(request)
    return render(
        request,
        "praise/one.html",
        {
            "row": row,
            "social": render_social(request, row.content),
            "may_delete": me.is_admin or me.id == praise.author_id,
        },
    )


async def change(request: Request) -> Response:
    """POST /praise/{id}: ``action=delete`` (its author or an admin)."""
    form = await request.form()
    me = current_user(request)

    def run(session: Session) -> None:
        praise = service.readable(session, request.path_params["praise_id"], principals(request))
        if form.get("action") != "delete":
            raise HTTPException(400, "action must be delete")
        if not (me.is_admin or me.id == praise.author_id):
            raise HTTPException(403)
        service.remove(session, praise)

    await write(request, run)
    return RedirectResponse("/praise", status_code=303)


async def one_or_change(request: Request) -> Response:
    """GET /praise/{id}: the praise; POST: change it."""
    return await (change(request) if request.method == "POST" else one(request))


async def badges_page(request: Request) -> Response:
    """GET and POST /praise/badges (admins): add, change, retire and restore badges; turn
    the home page's "most praised this month" on or off."""
    if not current_user(request).is_admin:
        raise HTTPException(403)
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    if request.method == "POST":
        form = await request.form()
        action = form.get("action")
        values = {k: form.get(k) or "" for k in ("name", "description", "symbol")}

        def run(session: Session) -> None:
            if action == "widget":
                service.set_monthly_widget(session, form.get("monthly") == "on")
                return
            badge = None
            if form.get("badge_id"):
                badge = session.get(Badge, parse_id(form.get("badge_id")) or 0)
                if badge is None:
                    raise HTTPException(404)
            if action in ("retire", "restore") and badge is not None:
                service.retire_badge(session, badge, action == "retire")
            elif action == "save":
                service.save_badge(session, badge, service.clean_badge(values))
            else:
                raise HTTPException(400, "action must be save, retire, restore or widget")

        try:
            await write(request, run)
        except ValidationError as exc:
            errors = exc.fields
        else:
            return RedirectResponse("/praise/badges?saved=1", status_code=303)
    with runtime(request).db.read() as session:
        rows = service.badges(session, retired=True)
        monthly = service.monthly_widget_on(session)
    return render(
        request,
        "praise/badges.html",
        {
            "badges": rows,
            "monthly": monthly,
            "errors": errors,
            "values": values,
            "saved": request.query_params.get("saved"),
        },
        status_code=422 if errors else 200,
    )


PAGE_ROUTES = [
    Route("/praise", wall, methods=["GET"]),
    Route("/praise/new", new, methods=["GET", "POST"]),
    Route("/praise/badges", badges_page, methods=["GET", "POST"]),
    Route("/praise/people/{username}", received, methods=["GET"]),
    Route("/praise/{praise_id:int}", one_or_change, methods=["GET", "POST"]),
]
