"""People: the directory, profile pages, editing one's own profile, password and tokens."""

from __future__ import annotations

import hashlib
import json
from zoneinfo import available_timezones

from markupsafe import escape
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from ..db import utcnow
from ..expertise import topic_of
from ..identity import accounts, sessions, tokens
from ..identity.models import User
from ..identity.passwords import verify_password
from ..markdown import render_markdown
from ..validation import ValidationError
from .auth import signed_in_response
from .context import active_plugins, current_user, reading_page, runtime, write
from .expertise_pages import DIRECTORY_TOP, knows_section, ranked
from .forms import form_dict
from .stream import render_items
from .templating import render

PAGE_SIZE = 24


def load_profile(request: Request, username: str) -> User:
    """An active user with skills loaded, or 404."""
    with runtime(request).db.read() as session:
        user = session.execute(
            select(User)
            .where(User.username == accounts.normalise_username(username))
            .options(selectinload(User.skills))
        ).scalar_one_or_none()
    if user is None or not user.is_active:
        raise HTTPException(404)
    return user


@reading_page
def directory(request: Request) -> Response:
    """GET /people?q=&after=: find colleagues by name, department or skill."""
    q = request.query_params.get("q", "")[:200]
    after = request.query_params.get("after") or None
    with runtime(request).db.read() as session:
        people = accounts.search_users(session, q, after=after, limit=PAGE_SIZE + 1)
    more = len(people) > PAGE_SIZE
    people = people[:PAGE_SIZE]
    next_after = people[-1].username if more and people else None
    # A search that names a topic also asks who knows it (first page only); a name search
    # ("Jane Doe") shows the section only when someone knows "jane-doe", a "#topic" always.
    topic = topic_of(q) if q and not after else None
    experts = ranked(request, topic, DIRECTORY_TOP) if topic else []
    if not experts and not q.strip().startswith("#"):
        topic = None
    return render(
        request,
        "people/directory.html",
        {"people": people, "q": q, "next_after": next_after, "topic": topic, "experts": experts},
    )


@reading_page
def profile(request: Request) -> Response:
    """GET /people/{username}: a profile, with sections from plugins."""
    person = load_profile(request, request.path_params["username"])
    sections = [
        (name, html)
        for name, results in runtime(request).plugins.collect(
            "rse_profile_sections", active_plugins(request), request=request, profile=person
        )
        for html in results
    ]
    # The person's own stream, as this reader may see it, with "load more".
    stream_html, _next, newest = render_items(request, person=person.username)
    return render(
        request,
        "people/profile.html",
        {
            "person": person,
            "bio_html": render_markdown(person.bio),
            "sections": sections,
            "knows_html": knows_section(request, person),
            "stream_html": stream_html,
            "newest": newest,
        },
    )


async def edit_profile(request: Request) -> Response:
    """GET and POST /profile: edit one's own profile."""
    me = current_user(request)
    person = load_profile(request, me.username)
    errors: dict[str, str] = {}
    values = {name: getattr(person, name) for name in accounts.PROFILE_FIELDS}
    values["skills"] = ", ".join(s.skill for s in person.skills)
    values["time_zone"] = person.time_zone
    if request.method == "POST":
        data = await form_dict(request)
        values.update({k: v for k, v in data.items() if k in values})

        def save(session):  # type: ignore[no-untyped-def]
            user = session.get(User, me.id)
            accounts.update_profile(session, user, {k: v for k, v in data.items() if k in values})

        try:
            await write(request, save)
        except ValidationError as exc:
            errors = exc.fields
        else:
            return RedirectResponse(f"/people/{me.username}", status_code=303)
    return render(
        request,
        "people/edit.html",
        {
            "values": values,
            "errors": errors,
            "zones": sorted(available_timezones()),
            "site_zone": runtime(request).settings.time_zone,
        },
        status_code=422 if errors else 200,
    )


async def change_password(request: Request) -> Response:
    """GET and POST /profile/password: change it and end every other session."""
    me = current_user(request)
    errors: dict[str, str] = {}
    if request.method == "POST":
        data = await form_dict(request)
        current = str(data.get("current_password", ""))
        new = str(data.get("new_password", ""))

        def change(session):  # type: ignore[no-untyped-def]
            user = session.get(User, me.id)
            ok, _ = verify_password(user.password_hash, current)
            if not ok:
                raise ValidationError({"current_password": "This is not your current password."})
            if new != data.get("confirm_password"):
                raise ValidationError({"confirm_password": "The two new passwords differ."})
            accounts.set_password(session, user, new)  # ends every session of the user
            return sessions.start_session(
                session,
                user,
                ip=request.client.host if request.client else "",
                user_agent=request.headers.get("user-agent", ""),
            )

        try:
            token = await write(request, change)
        except ValidationError as exc:
            errors = exc.fields
        else:
            return signed_in_response(request, token, "/profile?changed=password")
    return render(
        request, "people/password.html", {"errors": errors}, status_code=422 if errors else 200
    )


async def token_page(request: Request) -> Response:
    """GET and POST /profile/tokens: list, create (shown once) and revoke tokens."""
    me = current_user(request)
    created = None
    errors: dict[str, str] = {}
    if request.method == "POST":
        data = await form_dict(request)
        if data.get("action") == "revoke":
            try:
                token_id = int(str(data.get("token_id", "")))
            except ValueError:
                raise HTTPException(400, "token_id must be a number") from None
            revoked = await write(
                request,
                lambda session: tokens.revoke_token(session, session.get(User, me.id), token_id),
            )
            if not revoked:
                raise HTTPException(404)
            return RedirectResponse("/profile/tokens", status_code=303)
        try:
            _row, created = await write(
                request,
                lambda session: tokens.create_token(
                    session, session.get(User, me.id), str(data.get("name", ""))
                ),
            )
        except ValidationError as exc:
            errors = exc.fields
    with runtime(request).db.read() as session:
        rows = tokens.user_tokens(session, me)
    return render(
        request,
        "people/tokens.html",
        {"tokens": rows, "created": created, "errors": errors},
        headers={"cache-control": "no-store"},
    )


PALETTE = ("#2a5bd7", "#1b7f4b", "#b3261e", "#8a4baf", "#c26a00", "#00796b", "#5d4037")


async def avatar(request: Request) -> Response:
    """GET /avatars/{username}.svg: a generated initials avatar."""
    person = load_profile(request, request.path_params["username"])
    digest = hashlib.sha256(person.username.encode()).digest()
    colour = PALETTE[digest[0] % len(PALETTE)]
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="96" height="96" viewBox="0 0 96 96">'
        f'<rect width="96" height="96" rx="48" fill="{colour}"/>'
        '<text x="48" y="60" font-family="system-ui,sans-serif" font-size="36" '
        f'text-anchor="middle" fill="#fff">{escape(person.initials)}</text></svg>'
    )
    return Response(
        svg, media_type="image/svg+xml", headers={"cache-control": "private, max-age=3600"}
    )


async def my_data(request: Request) -> Response:
    """GET /profile/data.json: everything rse keeps about the signed-in person, to download
    (their profile, memberships, items, comments, likes, follows, settings, and each plugin's
    part): the right of access, without asking anyone."""
    from ..personal_data import collect

    me = current_user(request)
    document = await run_in_threadpool(collect, runtime(request), me.id)
    body = json.dumps(document, ensure_ascii=False, indent=2, default=str)
    name = f"rse-{me.username}-{utcnow():%Y-%m-%d}.json"
    return Response(
        body,
        media_type="application/json; charset=utf-8",
        headers={
            "content-disposition": f'attachment; filename="{name}"',
            "cache-control": "no-store",
        },
    )


ROUTES = [
    Route("/profile/data.json", my_data, methods=["GET"]),
    Route("/people", directory, methods=["GET"], name="people"),
    Route("/people/{username}", profile, methods=["GET"], name="profile"),
    Route("/profile", edit_profile, methods=["GET", "POST"], name="edit_profile"),
    Route("/profile/password", change_password, methods=["GET", "POST"]),
    Route("/profile/tokens", token_page, methods=["GET", "POST"]),
    Route("/avatars/{username}.svg", avatar, methods=["GET"]),
]
