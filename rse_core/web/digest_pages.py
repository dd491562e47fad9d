"""Choosing the e-mail digest (settings page and API) and its one-click unsubscribe link."""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from .. import digests
from ..i18n import LOCALES, N_, language
from ..identity.models import User
from ..validation import ValidationError
from .context import current_user, public_base, runtime, write
from .contract import Body, Shape, api, api_routes
from .flash import flash
from .forms import form_dict
from .templating import render


def digest_context(request: Request, session: Session) -> dict[str, Any]:
    """What the settings page shows of the digest: the choice, its language, the next send."""
    sub = digests.subscription(session, current_user(request).id)
    return {
        "digest": sub,
        "digest_frequency": sub.frequency if sub else "off",
        "digest_language": sub.language if sub else language(request),
        "languages": LOCALES,
    }


def _choose(request: Request, frequency: object, lang: object):  # type: ignore[no-untyped-def]
    me = current_user(request)
    base = public_base(request)
    site_zone = runtime(request).settings.time_zone

    def run(session: Session) -> digests.DigestSubscription | None:
        user = session.get(User, me.id)
        return digests.choose(session, user, frequency, lang, base_url=base, site_zone=site_zone)

    return run


async def choose_page(request: Request) -> Response:
    """POST /notifications/digest: ``frequency`` (off, daily, weekly) and ``language``."""
    data = await form_dict(request)
    back = RedirectResponse("/notifications/settings#digest", status_code=303)
    try:
        await write(request, _choose(request, data.get("frequency"), data.get("language")))
    except ValidationError as exc:
        return flash(request, back, next(iter(exc.fields.values())))
    return flash(request, back, N_("Saved."))


def _token_user(request: Request) -> tuple[str, int]:
    token = request.path_params["token"]
    user_id = digests.user_of_token(runtime(request).settings.secret_key, token)
    if user_id is None:
        raise HTTPException(404, "This unsubscribe link is not valid.")
    return token, user_id


async def unsubscribe_page(request: Request) -> Response:
    """GET /digest/unsubscribe/{token}: confirm (a mail scanner's visit changes nothing);
    POST: unsubscribe, from the page's button or a mail client's one-click (RFC 8058)."""
    token, user_id = _token_user(request)
    done = False
    if request.method == "POST":

        def run(session: Session) -> None:
            sub = digests.subscription(session, user_id)
            if sub is not None:
                session.delete(sub)

        await write(request, run)
        done = True
    with runtime(request).db.read() as session:
        subscribed = digests.subscription(session, user_id) is not None
    return render(
        request,
        "notifications/unsubscribe.html",
        {"token": token, "done": done, "subscribed": subscribed},
    )


ROUTES = [
    Route("/notifications/digest", choose_page, methods=["POST"]),
    Route("/digest/unsubscribe/{token}", unsubscribe_page, methods=["GET", "POST"]),
]


# -- API ---------------------------------------------------------------------------------------


class DigestOut(Shape):
    """Your e-mail digest: off, daily or weekly, its language and when it is next due"""

    frequency: str
    language: str
    next_at: str | None


class DigestIn(Body):
    """Choose your e-mail digest (a new one starts from now)"""

    frequency: Literal["off", "daily", "weekly"]
    language: Literal["en", "fr"] = "en"


def digest_json(sub: digests.DigestSubscription | None, fallback_language: str) -> dict:
    """The digest choice as the API shows it."""
    if sub is None:
        return {"frequency": "off", "language": fallback_language, "next_at": None}
    return {
        "frequency": sub.frequency,
        "language": sub.language,
        "next_at": sub.next_at.isoformat(),
    }


@api(
    "GET",
    "/api/v1/me/digest",
    summary="Your e-mail digest choice",
    operation_id="core.getDigest",
    responses={200: DigestOut},
)
async def api_digest(request: Request) -> Response:
    """GET /api/v1/me/digest."""
    with runtime(request).db.read() as session:
        sub = digests.subscription(session, current_user(request).id)
        return JSONResponse(digest_json(sub, language(request)))


@api(
    "PUT",
    "/api/v1/me/digest",
    summary="Choose your e-mail digest: off, daily or weekly",
    operation_id="core.putDigest",
    body=DigestIn,
    responses={200: DigestOut},
)
async def api_put_digest(request: Request, body: DigestIn) -> Response:
    """PUT /api/v1/me/digest {"frequency", "language"}."""
    sub = await write(request, _choose(request, body.frequency, body.language))
    return JSONResponse(digest_json(sub, body.language))


API_ROUTES = api_routes(api_digest, api_put_digest)
