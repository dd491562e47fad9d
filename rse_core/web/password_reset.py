"""Forgotten passwords: ask for a link by e-mail, then choose a new password through it.

The answer to a request is the same whether or not an account uses the address, so the form
tells nobody who works here. The link is signed, expires within the hour and works once (see
:mod:`rse_core.identity.password_reset`)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from ..i18n import N_, template_callables
from ..identity import accounts
from ..identity.password_reset import account_for_reset, reset_token, user_for_reset_token
from ..mail import send_mail
from ..validation import ValidationError
from .auth import client_ip
from .context import public_base, runtime, write
from .flash import flash
from .templating import render

EXPIRED = N_("This link has expired or was already used. Ask for a new one.")


async def forgot_page(request: Request) -> Response:
    """GET /password/forgot: the form asking for an e-mail address or username."""
    return render(request, "auth/forgot.html", {"sent": False})


async def forgot_submit(request: Request) -> Response:
    """POST /password/forgot: mail a reset link if an account uses the address (the answer
    is the same either way)."""
    form = await request.form()
    address = str(form.get("address", ""))[:254]
    rt = runtime(request)
    _ = template_callables(request)["_"]  # the mail is in the asker's language
    base = public_base(request)

    def request_link(session):  # type: ignore[no-untyped-def]
        user = account_for_reset(session, address, client_ip(request))
        if user is None:
            return
        token = reset_token(rt.settings.secret_key, user)
        text = _(
            "Hello %(name)s,\n\nSomeone, probably you, asked to reset your password. Choose a"
            " new one within the hour at:\n\n%(link)s\n\nIf you did not ask, ignore this mail:"
            " your password stays as it is.\n"
        ) % {"name": user.display_name, "link": f"{base}/password/reset?token={token}"}
        send_mail(session, to=user.email, subject=_("Reset your password"), text=text)

    await write(request, request_link)
    return render(request, "auth/forgot.html", {"sent": True})


async def reset_page(request: Request) -> Response:
    """GET /password/reset?token=: the new-password form, or why the link no longer works."""
    token = request.query_params.get("token", "")
    rt = runtime(request)
    with rt.db.read() as session:
        user = user_for_reset_token(session, rt.settings.secret_key, token)
    if user is None:
        return render(request, "auth/reset.html", {"error": EXPIRED}, status_code=400)
    return render(request, "auth/reset.html", {"token": token, "username": user.username})


async def reset_submit(request: Request) -> Response:
    """POST /password/reset: set the new password (twice the same) and end every session."""
    form = await request.form()
    token = str(form.get("token", ""))
    password = str(form.get("password", ""))[:2048]
    confirm = str(form.get("confirm", ""))[:2048]
    rt = runtime(request)

    def change(session):  # type: ignore[no-untyped-def]
        user = user_for_reset_token(session, rt.settings.secret_key, token)
        if user is None:
            return "expired", {}
        if password != confirm:
            return "invalid", {"confirm": N_("The two passwords differ.")}
        try:
            accounts.set_password(session, user, password)
        except ValidationError as exc:
            return "invalid", {"password": next(iter(exc.fields.values()))}
        return "ok", {}

    outcome, errors = await write(request, change)
    if outcome == "expired":
        return render(request, "auth/reset.html", {"error": EXPIRED}, status_code=400)
    if outcome == "invalid":
        return render(
            request, "auth/reset.html", {"token": token, "errors": errors}, status_code=422
        )
    response = RedirectResponse("/login", status_code=303)
    return flash(request, response, N_("Your password is changed: sign in with it."))


ROUTES = [
    Route("/password/forgot", forgot_page, methods=["GET"]),
    Route("/password/forgot", forgot_submit, methods=["POST"]),
    Route("/password/reset", reset_page, methods=["GET"]),
    Route("/password/reset", reset_submit, methods=["POST"]),
]
