"""Admin pages for accounts (create, deactivate, promote) and site policy."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from ..enablement import EVERYONE
from ..erasure import erase
from ..i18n import N_
from ..identity import accounts
from ..identity.models import User
from ..permissions import overrides, set_override
from ..validation import ValidationError
from .auth import PASSWORD_PERMISSION, passwords_for_everyone, sso_enabled, sso_label
from .context import current_user, runtime, write
from .flash import flash
from .forms import form_dict
from .guards import require_admin
from .templating import render


def _users_context(request: Request) -> dict[str, object]:
    rt = runtime(request)
    with rt.db.read() as session:
        users = list(session.execute(select(User).order_by(User.username)).scalars())
        site = overrides(session, None)
    creation_roles = site.get("core.space.create", (EVERYONE,))
    settings = rt.settings
    return {
        "users": users,
        "spaces_open": EVERYONE in creation_roles,
        "sso": sso_enabled(settings),
        "sso_label": sso_label(settings),
        "passwords_open": passwords_for_everyone(rt, site),
        "values": {},
        "errors": {},
    }


async def users_page(request: Request) -> Response:
    """GET /admin/users: every account, a creation form, and site policy."""
    require_admin(request)
    return render(request, "admin/users.html", _users_context(request))


async def users_create(request: Request) -> Response:
    """POST /admin/users: create an account."""
    require_admin(request)
    data = await form_dict(request)

    def create(session: Session) -> None:
        accounts.create_user(
            session,
            str(data.get("username", "")),
            email=str(data.get("email", "")),
            password=str(data.get("password", "")),
            display_name=str(data.get("display_name", "")),
            is_admin=data.get("is_admin") == "1",
        )

    try:
        await write(request, create)
    except ValidationError as exc:
        ctx = _users_context(request)
        ctx.update(values=data, errors=exc.fields)
        return render(request, "admin/users.html", ctx, status_code=422)
    return RedirectResponse("/admin/users", status_code=303)


async def user_change(request: Request) -> Response:
    """POST /admin/users/{username}: activate, deactivate, promote or demote, make or unmake
    a community manager (``community``, ``uncommunity``), set a new ``password``
    (``action=password``: someone who forgot theirs; their sessions end), or ``erase`` them
    (``confirm`` = the username; ``contributions`` = ``keep`` or ``remove``)."""
    require_admin(request)
    data = await form_dict(request)
    action = data.get("action")
    me = current_user(request)
    username = request.path_params["username"]

    def change(session: Session) -> None:
        user = accounts.get_user(session, username)
        if user is None:
            raise HTTPException(404)
        if user.id == me.id and action in ("deactivate", "demote", "erase"):
            raise HTTPException(400, "You cannot deactivate, demote or erase yourself.")
        if action == "deactivate":
            accounts.deactivate_user(session, user)  # re-indexes the person itself
            return
        if action == "activate":
            user.is_active = True
            user.deprovisioned_at = None  # back in the identity provider's view too
        elif action in ("promote", "demote"):
            user.is_admin = action == "promote"
        elif action in ("community", "uncommunity"):
            user.is_community_manager = action == "community"
        elif action == "password":
            accounts.set_password(session, user, str(data.get("password", "")))
            return
        elif action == "erase":
            if data.get("confirm") != username:
                raise ValidationError({f"erase-{username}": "Type the username to confirm."})
            erase(session, user, remove_contributions=data.get("contributions") == "remove")
            return
        else:
            raise HTTPException(400, "Unknown action.")
        accounts.reindex_person(session, user)

    try:
        await write(request, change)
    except ValidationError as exc:
        ctx = _users_context(request)
        key = next(iter(exc.fields))
        field = key if key.startswith("erase-") else f"password-{username}"
        ctx["errors"] = {field: next(iter(exc.fields.values()))}
        return render(request, "admin/users.html", ctx, status_code=422)
    response = RedirectResponse("/admin/users", status_code=303)
    if action == "password":
        flash(request, response, N_("The new password is set; their sessions ended."))
    if action == "erase":
        flash(request, response, N_("Erased: the account is now a former employee's."))
    return response


async def site_policy(request: Request) -> Response:
    """POST /admin/site: whether every employee may create spaces (``spaces_open``) and, with
    single sign-on, sign in with a password (``passwords_open``; site admins always may)."""
    require_admin(request)
    data = await form_dict(request)
    rt = runtime(request)

    def save(session: Session) -> None:
        spaces = None if data.get("spaces_open") == "1" else ()
        set_override(session, rt.permissions, None, "core.space.create", spaces)
        if sso_enabled(rt.settings):
            passwords = None if data.get("passwords_open") == "1" else ()
            set_override(session, rt.permissions, None, PASSWORD_PERMISSION, passwords)

    await write(request, save)
    return RedirectResponse("/admin/users", status_code=303)


ROUTES = [
    Route("/admin/users", users_page, methods=["GET"]),
    Route("/admin/users", users_create, methods=["POST"]),
    Route("/admin/users/{username}", user_change, methods=["POST"]),
    Route("/admin/site", site_policy, methods=["POST"]),
]
