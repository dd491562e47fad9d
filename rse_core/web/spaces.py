"""Space pages: list, create, home with plugin tabs, members, settings and permissions."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from ..hooktypes import SpaceTab
from ..i18n import N_
from ..identity import accounts
from ..identity import spaces as svc
from ..identity.models import JOIN_POLICIES, VISIBILITIES, Space
from ..permissions import GRANTABLE_ROLES, can_read_space, load_access, overrides, set_override
from ..social import followed
from ..validation import ValidationError
from .community_pages import pinned_context
from .context import access, active_in_space, can, current_user, reading_page, runtime, write
from .forms import form_dict
from .stream import render_items
from .templating import render

SITE_ONLY_PERMISSIONS = frozenset({"core.space.create", "core.sign_in.password"})


def load_space(request: Request) -> Space:
    """The space named in the path if the user may know it, else 404 (same as missing)."""
    with runtime(request).db.read() as session:
        try:
            return svc.get_space(session, access(request), request.path_params["slug"])
        except svc.NotFound:
            raise HTTPException(404) from None


def space_context(request: Request, space: Space, current_tab: str) -> dict[str, Any]:
    """What every space page shows: the space, the user's role, tabs, what they may do."""
    acc = access(request)
    readable = can_read_space(acc, space)
    tabs = [
        SpaceTab(N_("Home"), f"/spaces/{space.slug}", 0),
        SpaceTab(N_("Members"), f"/spaces/{space.slug}/members", 900),
    ]
    if readable:
        for _name, result in runtime(request).plugins.collect(
            "rse_space_tabs", active_in_space(request, space.id), request=request, space=space
        ):
            tabs.extend(result)
    manage = can(request, "core.space.manage", space)
    if manage:
        tabs.append(SpaceTab(N_("Settings"), f"/spaces/{space.slug}/settings", 1000))
    with runtime(request).db.read() as session:
        pending_invite = any(s.id == space.id for s in svc.invitations_for(session, acc.user))
        requested = any(u.id == acc.user.id for u, _ in svc.pending(session, space, "request"))
    return {
        "space": space,
        "role": acc.roles.get(space.id),
        "readable": readable,
        "tabs": sorted(tabs, key=lambda t: (t.order, t.label)),
        "current_tab": current_tab,
        "can_manage": manage,
        "can_manage_members": can(request, "core.space.members", space),
        "can_invite": can(request, "core.space.invite", space),
        "invited": pending_invite,
        "requested": requested,
    }


async def space_list(request: Request) -> Response:
    """GET /spaces: the spaces the user may know, their invitations, a create button."""
    acc = access(request)
    q = request.query_params.get("q", "")[:100]
    after = request.query_params.get("after") or None
    with runtime(request).db.read() as session:
        found = svc.list_spaces(session, acc, q=q, after=after, limit=51)
        invitations = svc.invitations_for(session, acc.user)
    more = len(found) > 50
    found = found[:50]
    return render(
        request,
        "spaces/list.html",
        {
            "spaces": found,
            "roles": acc.roles,
            "invitations": invitations,
            "q": q,
            "next_after": found[-1].slug if more and found else None,
            "can_create": can(request, "core.space.create"),
        },
    )


async def space_new(request: Request) -> Response:
    """GET and POST /spaces/new: create a space (its creator becomes owner)."""
    if not can(request, "core.space.create"):
        raise HTTPException(403, "Your administrators have turned off creating spaces.")
    values: dict[str, Any] = {"visibility": "public", "join_policy": ""}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = await form_dict(request)
        rt = runtime(request)
        acc = access(request)

        def create(session: Session) -> str:
            fresh = load_access(session, acc.user)
            space = svc.create_space(
                session,
                rt.permissions,
                fresh,
                name=values.get("name"),
                slug=values.get("slug") or None,
                visibility=values.get("visibility"),
                description=values.get("description", ""),
                join_policy=values.get("join_policy") or None,
            )
            return space.slug

        try:
            slug = await write(request, create)
        except ValidationError as exc:
            errors = exc.fields
        else:
            return RedirectResponse(f"/spaces/{slug}", status_code=303)
    return render(
        request,
        "spaces/new.html",
        {
            "values": values,
            "errors": errors,
            "visibilities": VISIBILITIES,
            "join_policies": JOIN_POLICIES,
        },
        status_code=422 if errors else 200,
    )


@reading_page
def space_home(request: Request) -> Response:
    """GET /spaces/{slug}: the space's stream, with composers from plugins."""
    space = load_space(request)
    ctx = space_context(request, space, "Home")
    if ctx["readable"]:
        ctx["stream_html"], _next, ctx["newest"] = render_items(request, space=space.slug)
        ctx.update(pinned_context(request, space))
        ctx["composers"] = runtime(request).plugins.collect(
            "rse_stream_composer",
            active_in_space(request, space.id),
            request=request,
            space=space,
        )
        with runtime(request).db.read() as session:
            ctx["following"] = space.principal in followed(session, access(request).user.id)
    return render(request, "spaces/home.html", ctx)


async def members_page(request: Request) -> Response:
    """GET /spaces/{slug}/members: members, requests and invitations."""
    space = load_space(request)
    ctx = space_context(request, space, "Members")
    if not ctx["readable"] and not ctx["can_manage_members"]:
        raise HTTPException(404)
    with runtime(request).db.read() as session:
        ctx["members"] = svc.members(session, space)
        ctx["requests"] = svc.pending(session, space, "request")
        ctx["invites"] = svc.pending(session, space, "invite")
    ctx["errors"] = {}
    ctx["notice"] = request.query_params.get("notice", "")[:100]
    return render(request, "spaces/members.html", ctx)


def _act_on_member(
    request: Request, space: Space, username: str, action: str, role: str
) -> Callable[[Session], str]:
    rt = runtime(request)
    acting = access(request).user

    def run(session: Session) -> str:
        acc = load_access(session, acting)
        target = accounts.get_user(session, username)
        if target is None:
            raise ValidationError({"username": "No such person."})
        fresh_space = session.get(Space, space.id)
        if action == "add":
            return svc.add_member(session, rt.permissions, acc, fresh_space, target, role)
        if action == "role":
            svc.set_role(session, rt.permissions, acc, fresh_space, target, role)
            return "role changed"
        if action == "remove":
            svc.remove_member(session, rt.permissions, acc, fresh_space, target)
            return "removed"
        if action == "reject":
            svc.reject_request(session, rt.permissions, acc, fresh_space, target)
            return "rejected"
        raise ValidationError({"action": "Unknown action."})

    return run


async def members_submit(request: Request) -> Response:
    """POST /spaces/{slug}/members: add/invite, change a role, remove, approve or reject."""
    space = load_space(request)
    data = await form_dict(request)
    action = str(data.get("action", "add"))
    username = str(data.get("username", ""))
    role = str(data.get("role", "member"))
    try:
        outcome = await write(request, _act_on_member(request, space, username, action, role))
    except svc.Forbidden:
        raise HTTPException(403) from None
    except (ValidationError, svc.NotFound) as exc:
        ctx = space_context(request, space, "Members")
        with runtime(request).db.read() as session:
            ctx["members"] = svc.members(session, space)
            ctx["requests"] = svc.pending(session, space, "request")
            ctx["invites"] = svc.pending(session, space, "invite")
        ctx["errors"] = (
            exc.fields
            if isinstance(exc, ValidationError)
            else {"username": "This person is not a member."}
        )
        ctx["notice"] = ""
        return render(request, "spaces/members.html", ctx, status_code=422)
    return RedirectResponse(f"/spaces/{space.slug}/members?notice={outcome}", status_code=303)


async def join(request: Request) -> Response:
    """POST /spaces/{slug}/join: join, accept an invitation or ask to join."""
    space = load_space(request)
    acting = access(request).user
    try:
        outcome = await write(
            request, lambda session: svc.join(session, load_access(session, acting), space)
        )
    except svc.Forbidden:
        raise HTTPException(403, "This space is joined by invitation only.") from None
    target = f"/spaces/{space.slug}" + ("?notice=requested" if outcome == "requested" else "")
    return RedirectResponse(target, status_code=303)


async def leave(request: Request) -> Response:
    """POST /spaces/{slug}/leave: leave the space, withdraw a request or decline an invite."""
    space = load_space(request)
    me = current_user(request)
    rt = runtime(request)

    def run(session: Session) -> None:
        acc = load_access(session, me)
        svc.decline_invitation(session, acc, space)
        target = session.get(type(me), me.id)
        with contextlib.suppress(svc.NotFound):
            svc.remove_member(session, rt.permissions, acc, space, target)

    try:
        await write(request, run)
    except ValidationError as exc:
        raise HTTPException(400, exc.fields.get("role", "Cannot leave.")) from None
    return RedirectResponse("/spaces", status_code=303)


async def settings_page(request: Request) -> Response:
    """GET and POST /spaces/{slug}/settings: details and per-space permission roles."""
    space = load_space(request)
    rt = runtime(request)
    if not can(request, "core.space.manage", space):
        raise HTTPException(404 if not can_read_space(access(request), space) else 403)
    errors: dict[str, str] = {}
    if request.method == "POST":
        data = await form_dict(request)
        acting = access(request).user

        def save(session: Session) -> None:
            acc = load_access(session, acting)
            fresh = session.get(Space, space.id)
            svc.update_space(
                session,
                rt.permissions,
                acc,
                fresh,
                {
                    k: data[k]
                    for k in ("name", "description", "visibility", "join_policy")
                    if k in data
                },
            )
            if data.get("permissions") == "1":
                for name, declared in rt.permissions.items():
                    if name in SITE_ONLY_PERMISSIONS:
                        continue
                    chosen = data.get(f"perm:{name}", [])
                    chosen = [chosen] if isinstance(chosen, str) else list(chosen)
                    roles = tuple(sorted(chosen))
                    default = tuple(sorted(declared.default_roles))
                    set_override(
                        session, rt.permissions, fresh.id, name, None if roles == default else roles
                    )

        try:
            await write(request, save)
        except ValidationError as exc:
            errors = exc.fields
        else:
            return RedirectResponse(f"/spaces/{space.slug}/settings?saved=1", status_code=303)
    ctx = space_context(request, space, "Settings")
    with rt.db.read() as session:
        current = overrides(session, space.id)
    ctx.update(
        {
            "errors": errors,
            "visibilities": VISIBILITIES,
            "join_policies": JOIN_POLICIES,
            "grantable": GRANTABLE_ROLES,
            "saved": request.query_params.get("saved") == "1",
            "permissions": [
                (name, p, current.get(name, p.default_roles))
                for name, p in sorted(rt.permissions.items())
                if name not in SITE_ONLY_PERMISSIONS
            ],
        }
    )
    return render(request, "spaces/settings.html", ctx, status_code=422 if errors else 200)


ROUTES = [
    Route("/spaces", space_list, methods=["GET"], name="spaces"),
    Route("/spaces/new", space_new, methods=["GET", "POST"]),
    Route("/spaces/{slug}", space_home, methods=["GET"], name="space"),
    Route("/spaces/{slug}/members", members_page, methods=["GET"]),
    Route("/spaces/{slug}/members", members_submit, methods=["POST"]),
    Route("/spaces/{slug}/join", join, methods=["POST"]),
    Route("/spaces/{slug}/leave", leave, methods=["POST"]),
    Route("/spaces/{slug}/settings", settings_page, methods=["GET", "POST"]),
]
