"""Webhook pages: site admins register company-wide webhooks (``/admin/webhooks``), a space's
owners register webhooks bound to their space (``/spaces/{slug}/webhooks``); each webhook's
page shows its secret, its delivery log and "send again"."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from .. import webhooks
from ..i18n import N_
from ..identity.models import Space, User
from ..identity.spaces import get_space
from ..validation import ValidationError
from .context import access, current_user, public_base, runtime, write
from .flash import flash
from .guards import require_admin
from .templating import render

LOG = 50


def _space(request: Request, session: Session) -> Space | None:
    """The space of a ``/spaces/{slug}/webhooks`` page (its owners only), or None for the
    admin's pages (site admins only)."""
    slug = request.path_params.get("slug")
    if slug is None:
        require_admin(request)
        return None
    space = get_space(session, access(request), slug)
    if access(request).roles.get(space.id) != "owner":
        raise HTTPException(403, "Only the space's owners manage its webhooks.")
    return space


def _base(space: Space | None) -> str:
    return f"/spaces/{space.slug}/webhooks" if space else "/admin/webhooks"


def _hook_id(request: Request) -> int:
    params = request.path_params
    return params["webhook_id"] if "webhook_id" in params else params["admin_webhook_id"]


def _hook(session: Session, space: Space | None, hook_id: int) -> webhooks.Webhook:
    hook = session.get(webhooks.Webhook, hook_id)
    if hook is None or hook.space_id != (space.id if space else None):
        raise HTTPException(404)
    return hook


def _list(
    request: Request, values: dict[str, Any], errors: dict[str, str], status: int = 200
) -> Response:
    with runtime(request).db.read() as session:
        space = _space(request, session)
        where = (
            webhooks.Webhook.space_id.is_(None)
            if space is None
            else (webhooks.Webhook.space_id == space.id)
        )
        hooks = list(session.scalars(select(webhooks.Webhook).where(where)))
    return render(
        request,
        "admin/webhooks.html",
        {
            "hooks": hooks,
            "space": space,
            "base": _base(space),
            "verbs": webhooks.VERBS,
            "values": values,
            "errors": errors,
        },
        status_code=status,
    )


async def webhooks_page(request: Request) -> Response:
    """GET /admin/webhooks and /spaces/{slug}/webhooks: the webhooks and the form."""
    return _list(request, {"events": list(webhooks.VERBS)}, {})


async def register(request: Request) -> Response:
    """POST /admin/webhooks and /spaces/{slug}/webhooks: register a webhook."""
    form = await request.form()
    values = {"url": form.get("url") or "", "events": form.getlist("events")}
    hosts = tuple(runtime(request).settings.webhook_hosts)
    me = current_user(request)

    def run(session: Session) -> str:
        space = _space(request, session)
        url = webhooks.clean_url(values["url"], hosts)
        events = webhooks.clean_events(values["events"])
        hook = webhooks.register(session, session.get(User, me.id), url, events, space)
        return f"{_base(space)}/{hook.id}"

    try:
        target = await write(request, run)
    except ValidationError as exc:
        return _list(request, values, exc.fields, status=422)
    return RedirectResponse(target, status_code=303)


async def webhook_page(request: Request) -> Response:
    """GET .../webhooks/{id}: the webhook, its secret and its last deliveries."""
    with runtime(request).db.read() as session:
        space = _space(request, session)
        hook = _hook(session, space, _hook_id(request))
        log = list(
            session.scalars(
                select(webhooks.Delivery)
                .where(webhooks.Delivery.webhook_id == hook.id)
                .order_by(webhooks.Delivery.id.desc())
                .limit(LOG)
            )
        )
    return render(
        request,
        "admin/webhook.html",
        {"hook": hook, "log": log, "space": space, "base": _base(space)},
    )


async def change(request: Request) -> Response:
    """POST .../webhooks/{id}: ``pause``, ``resume``, ``delete``, or ``again`` with
    ``delivery`` (send that activity again, now)."""
    form = await request.form()
    action = form.get("action")
    hook_id = _hook_id(request)

    def run(session: Session) -> tuple[str, Any]:
        space = _space(request, session)
        hook = _hook(session, space, hook_id)
        base = _base(space)
        if action in ("pause", "resume"):
            hook.active = action == "resume"
            hook.retry_at, hook.failures = None, 0
            if hook.active:
                webhooks.nudge(session)
            return f"{base}/{hook.id}", None
        if action == "delete":
            session.delete(hook)
            return base, None
        if action == "again":
            try:
                delivery_id = int(str(form.get("delivery")))
            except ValueError:
                raise HTTPException(400, "delivery must be a delivery's number") from None
            delivery = session.get(webhooks.Delivery, delivery_id)
            if delivery is None or delivery.webhook_id != hook.id:
                raise HTTPException(404)
            session.expunge(delivery)
            return f"{base}/{hook.id}", delivery
        raise HTTPException(400, "action must be pause, resume, delete or again")

    target, delivery = await write(request, run)
    if delivery is None:
        return RedirectResponse(target, status_code=303)
    try:
        sent = webhooks.send_again(runtime(request), delivery, public_base(request))
    except ValidationError as exc:
        message = next(iter(exc.fields.values()))
        return flash(request, RedirectResponse(target, status_code=303), message)
    message = (
        N_("Sent again: delivered.") if sent.ok else N_("Sent again: the receiver refused it.")
    )
    return flash(request, RedirectResponse(target, status_code=303), message)


PAGE_ROUTES = [
    Route("/admin/webhooks", webhooks_page, methods=["GET"]),
    Route("/admin/webhooks", register, methods=["POST"]),
    # The admin's pages name the webhook by another parameter: the admin check guards them
    # (403 to employees), where a space's webhook is a 404 to whoever is not its owner.
    Route("/admin/webhooks/{admin_webhook_id:int}", webhook_page, methods=["GET"]),
    Route("/admin/webhooks/{admin_webhook_id:int}", change, methods=["POST"]),
    Route("/spaces/{slug}/webhooks", webhooks_page, methods=["GET"]),
    Route("/spaces/{slug}/webhooks", register, methods=["POST"]),
    Route("/spaces/{slug}/webhooks/{webhook_id:int}", webhook_page, methods=["GET"]),
    Route("/spaces/{slug}/webhooks/{webhook_id:int}", change, methods=["POST"]),
]
