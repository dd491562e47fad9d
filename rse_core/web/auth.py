"""Authentication and CSRF middleware, and the login and logout pages.

* ``AuthMiddleware`` finds the user from the session cookie (pages and API) or from
  ``Authorization: Bearer <personal token>`` (API only). Anonymous visitors are sent to the
  login page (pages) or get 401 (API), except on public paths.
* ``CSRFMiddleware`` protects every unsafe method of cookie-authenticated requests, core and
  plugin routes alike: the ``rse_csrf`` cookie must be echoed in the ``X-CSRF-Token`` header or
  a ``csrf_token`` form field, and a present ``Origin`` must be this site.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Mapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..adoption import record_visit
from ..db import utcnow
from ..enablement import EVERYONE
from ..i18n import COOKIE as LANGUAGE_COOKIE
from ..i18n import LOCALES, N_
from ..identity import sessions, throttle
from ..identity.models import User
from ..identity.tokens import user_for_token
from ..permissions import UserAccess, overrides, user_can
from ..runtime import Runtime
from ..settings import Settings
from .context import generation, runtime, write
from .errors import MESSAGES, error_json
from .templating import render

log = logging.getLogger(__name__)
CSRF_COOKIE = "rse_csrf"
PASSWORD_PERMISSION = "core.sign_in.password"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# /feeds/ and /digest/unsubscribe/ carry their own secret in the URL (feed readers and mail
# clients have no session).
PUBLIC_PREFIXES = (
    "/login",
    "/static/",
    "/favicon.ico",
    "/feeds/",
    "/language",
    "/password/",
    "/digest/unsubscribe/",
    "/sso/",
)
# A mail client's one-click unsubscribe (RFC 8058) POSTs without cookies: the signed token in
# the URL is its authority, and all it can do is stop its owner's digest.
CSRF_EXEMPT_PREFIXES = ("/digest/unsubscribe/",)
MAX_FORM_BYTES = 25 * 1024 * 1024


def _cookies(scope: Scope) -> dict[str, str]:
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # a malformed Cookie header is treated as no cookie
                return {}
            return {key: morsel.value for key, morsel in jar.items()}
    return {}


def _header(scope: Scope, wanted: bytes) -> str | None:
    for name, value in scope.get("headers", []):
        if name == wanted:
            return value.decode("latin-1")
    return None


def is_secure(scope: Scope) -> bool:
    """True when the request came over https (cookies then get the Secure flag)."""
    return scope.get("scheme") == "https"


def cookie_header(name: str, value: str, scope: Scope, *, max_age: int | None = None) -> str:
    """A Set-Cookie value: HttpOnly, SameSite=Lax, Path=/, Secure over https."""
    parts = [f"{name}={value}", "Path=/", "HttpOnly", "SameSite=Lax"]
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    if is_secure(scope):
        parts.append("Secure")
    return "; ".join(parts)


def _is_public(path: str) -> bool:
    return any(path == p or path.startswith(p) for p in PUBLIC_PREFIXES)


class AuthMiddleware:
    """Sets ``request.state.user`` (or None) and ``request.state.auth`` ("session",
    "token" or None); refuses anonymous access to non-public paths."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        conn = HTTPConnection(scope)
        db = runtime(conn).db
        path: str = scope["path"]
        user, auth = None, None
        authorization = _header(scope, b"authorization") or ""
        if authorization.lower().startswith("bearer ") and path.startswith(("/api/", "/scim/")):
            with db.read() as session:
                user = user_for_token(session, authorization[7:].strip())
            if user is None:
                await _unauthorised(scope, receive, send, "invalid_token")
                return
            auth = "token"
        else:
            token = _cookies(scope).get(sessions.SESSION_COOKIE, "")
            if token:
                with db.read() as session:
                    user = sessions.user_for_session(session, token)
                    if user is not None:  # read here, it saves the request a transaction
                        generation(conn, session)
                if user is not None:
                    auth = "session"
                    conn.state.session_token = token
        conn.state.user = user
        conn.state.auth = auth
        if user is not None and not path.startswith("/static/"):
            await _count_visit(runtime(conn), user.id)
        if user is None and not _is_public(path):
            await _unauthorised(scope, receive, send, "login_required")
            return
        await self.app(scope, receive, send)


async def _count_visit(rt: Any, user_id: int) -> None:
    """Count the person as having used the intranet today (adoption figures): one write at
    their first request of the day on this worker."""
    today = utcnow().date()
    if not rt.visits.first_today(user_id, today):
        return

    def record() -> None:
        with rt.db.write() as session:
            record_visit(session, user_id, today)

    try:
        await run_in_threadpool(record)
    except SQLAlchemyError:  # a figure is not worth a failed page: counted at the next one
        log.warning("could not count a visit", exc_info=True)
        rt.visits.forget(user_id)


async def _unauthorised(scope: Scope, receive: Receive, send: Send, code: str) -> None:
    if scope["path"].startswith("/scim/"):
        body = {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
            "status": "401",
            "detail": "Send a site administrator's personal access token as a Bearer token.",
        }
        response: Response = JSONResponse(
            body,
            401,
            headers={"www-authenticate": 'Bearer realm="rse"'},
            media_type="application/scim+json",
        )
    elif scope["path"].startswith("/api/"):
        body = error_json(401, code, "Sign in, or send a valid personal access token.")
        response = JSONResponse(body, 401, headers={"www-authenticate": 'Bearer realm="rse"'})
    else:
        target = scope["path"] + (
            "?" + scope["query_string"].decode("latin-1") if scope.get("query_string") else ""
        )
        response = RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
    await response(scope, receive, send)


class CSRFMiddleware:
    """Double-submit token plus Origin check on unsafe methods of cookie sessions."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        conn = HTTPConnection(scope)
        cookie_token = _cookies(scope).get(CSRF_COOKIE, "")
        valid_cookie = len(cookie_token) == 43
        token = cookie_token if valid_cookie else secrets.token_urlsafe(32)
        conn.state.csrf_token = token
        if (
            scope["method"] not in SAFE_METHODS
            and getattr(conn.state, "auth", None) != "token"
            and not scope["path"].startswith(CSRF_EXEMPT_PREFIXES)
        ):
            if not _origin_ok(scope):
                await _forbidden(scope, receive, send, "bad_origin")
                return
            submitted = _header(scope, CSRF_HEADER.encode())
            if submitted is None:
                body, submitted = await _read_form_token(scope, receive)
                if body is None:
                    await _too_large(scope, receive, send)
                    return
                receive = _replay(body)
            if not (valid_cookie and submitted and hmac.compare_digest(submitted, cookie_token)):
                await _forbidden(scope, receive, send, "csrf_failed")
                return

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                fresh = getattr(conn.state, "csrf_token", token)
                if fresh != cookie_token:
                    headers = MutableHeaders(scope=message)
                    headers.append("set-cookie", cookie_header(CSRF_COOKIE, fresh, scope))
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def _origin_ok(scope: Scope) -> bool:
    origin = _header(scope, b"origin")
    if origin is None:
        return True  # non-browser clients and same-origin navigations without Origin
    host = _header(scope, b"host") or ""
    parts = urlsplit(origin)
    expected_scheme = "https" if is_secure(scope) else "http"
    return parts.scheme == expected_scheme and parts.netloc == host and bool(host)


async def _read_form_token(scope: Scope, receive: Receive) -> tuple[bytes | None, str | None]:
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            return None, None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    content_type = (_header(scope, b"content-type") or "").lower()
    if content_type.startswith("application/x-www-form-urlencoded"):
        values = parse_qs(body.decode("latin-1"), keep_blank_values=True).get(CSRF_FIELD)
        return body, values[0] if values else None
    if content_type.startswith("multipart/form-data"):
        request = Request(scope, _replay(body))
        form = await request.form()
        value = form.get(CSRF_FIELD)
        await form.close()
        return body, value if isinstance(value, str) else None
    return body, None


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


async def _forbidden(scope: Scope, receive: Receive, send: Send, code: str) -> None:
    message = "This form has expired or did not come from this site. Reload the page and retry."
    if scope["path"].startswith("/api/"):
        response: Response = JSONResponse(error_json(403, code, message), 403)
    else:
        response = Response(
            f"403 Forbidden: {message}", 403, media_type="text/plain; charset=utf-8"
        )
    await response(scope, receive, send)


async def _too_large(scope: Scope, receive: Receive, send: Send) -> None:
    response = JSONResponse(error_json(413, "too_large", MESSAGES[413]), 413)
    await response(scope, receive, send)


def safe_next(value: str | None) -> str:
    """A local path to go to after login; anything else (other hosts, schemes) becomes "/"."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return "/"
    if any(ch in value for ch in "\\\r\n\t\x00") or ":" in value.split("?", 1)[0]:
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return "/"
    return value


def client_ip(request: Request) -> str:
    """The client's address as seen by this process (put a trusted proxy's in front)."""
    return request.client.host if request.client else "unknown"


def sso_enabled(settings: Settings) -> bool:
    """True when single sign-on (OpenID Connect) is set up."""
    return bool(settings.oidc_issuer and settings.oidc_client_id)


def sso_label(settings: Settings) -> str:
    """What the single sign-on button names."""
    return settings.oidc_label or N_("your company account")


def password_allowed(session: Session, rt: Runtime, user: User) -> bool:
    """Whether ``user`` may sign in with a password: always without single sign-on; with it,
    as the site's policy says (site admins always may: the way in when the provider is down)."""
    if not sso_enabled(rt.settings):
        return True
    access = UserAccess(user, {}, frozenset())
    return user_can(session, rt.permissions, access, PASSWORD_PERMISSION)


def passwords_for_everyone(rt: Runtime, site: Mapping[str, tuple[str, ...]]) -> bool:
    """Whether the site's policy (its overrides ``site``) lets everyone sign in with a
    password, rather than site admins only."""
    declared = rt.permissions[PASSWORD_PERMISSION].default_roles
    return EVERYONE in site.get(PASSWORD_PERMISSION, declared)


def _login_context(request: Request, **values: Any) -> dict[str, Any]:
    """What the sign-in page shows: the single sign-on button when it is set up, and whether
    the password form is for everyone or only for site admins (the policy)."""
    rt = runtime(request)
    sso = sso_enabled(rt.settings)
    passwords_for_all = True
    if sso:
        with rt.db.read() as session:
            passwords_for_all = passwords_for_everyone(rt, overrides(session, None))
    return {
        "sso": sso,
        "sso_label": sso_label(rt.settings),
        "passwords_for_all": passwords_for_all,
        **values,
    }


async def login_page(request: Request) -> Response:
    """GET /login: the sign-in form (already signed in: go on)."""
    if getattr(request.state, "user", None) is not None:
        return RedirectResponse(safe_next(request.query_params.get("next")), 303)
    next_path = safe_next(request.query_params.get("next"))
    return render(request, "auth/login.html", _login_context(request, next=next_path))


async def login_submit(request: Request) -> Response:
    """POST /login: check throttling, authenticate through the hook, start a new session."""
    form = await request.form()
    username = str(form.get("username", ""))[:254].strip().lower()
    password = str(form.get("password", ""))[:1024]
    next_path = safe_next(str(form.get("next", "")))
    ip = client_ip(request)
    rt = runtime(request)

    def attempt(session):  # type: ignore[no-untyped-def]
        if throttle.is_throttled(session, username, ip):
            return "throttled", None
        user = rt.plugins.hook.rse_authenticate(
            request=request, session=session, username=username, password=password
        )
        if user is None:
            throttle.record_failure(session, username, ip)
            return "failed", None
        if not password_allowed(session, rt, user):
            return "sso_only", None
        throttle.clear_account(session, username)
        old = getattr(request.state, "session_token", None)
        if old:
            sessions.end_session(session, old)
        token = sessions.start_session(
            session, user, ip=ip, user_agent=request.headers.get("user-agent", "")
        )
        return "ok", token

    outcome, token = await write(request, attempt)
    if outcome == "throttled":
        return render(
            request,
            "auth/login.html",
            _login_context(request, next=next_path, username=username, error=MESSAGES[429]),
            status_code=429,
            headers={"retry-after": str(int(throttle.WINDOW.total_seconds()))},
        )
    if outcome in ("failed", "sso_only"):
        error = (
            N_("Wrong username or password.")
            if outcome == "failed"
            else N_("Sign in with your company account: passwords are for administrators only.")
        )
        return render(
            request,
            "auth/login.html",
            _login_context(request, next=next_path, username=username, error=error),
            # The form again with its message: a wrong password is no malformed request (400),
            # and 401 would need a WWW-Authenticate challenge a login form does not have.
            status_code=200,
        )
    return signed_in_response(request, token, next_path)


def signed_in_response(request: Request, token: str, next_path: str = "/") -> Response:
    """Redirect after sign-in, setting the new session cookie and a fresh CSRF token.

    Public so that an authentication plugin (OpenID Connect, ...) can finish its own flow."""
    response = RedirectResponse(safe_next(next_path), status_code=303)
    max_age = int(sessions.SESSION_LIFETIME.total_seconds())
    response.headers.append(
        "set-cookie",
        cookie_header(sessions.SESSION_COOKIE, token, request.scope, max_age=max_age),
    )
    request.state.csrf_token = secrets.token_urlsafe(32)
    return response


async def logout(request: Request) -> Response:
    """POST /logout: end this session everywhere (the row is deleted)."""
    token = getattr(request.state, "session_token", None)
    if token:
        await write(request, lambda session: sessions.end_session(session, token))
    response = RedirectResponse("/login", status_code=303)
    response.headers.append(
        "set-cookie", cookie_header(sessions.SESSION_COOKIE, "", request.scope, max_age=0)
    )
    request.state.csrf_token = secrets.token_urlsafe(32)
    return response


async def choose_language(request: Request) -> Response:
    """POST /language: ``lang`` (en or fr) remembered in a cookie for a year."""
    form = await request.form()
    lang = form.get("lang")
    response = RedirectResponse(safe_next(str(form.get("next", "/"))), status_code=303)
    if lang in LOCALES:
        response.headers.append(
            "set-cookie",
            cookie_header(LANGUAGE_COOKIE, str(lang), request.scope, max_age=365 * 24 * 3600),
        )
    return response


ROUTES = [
    Route("/language", choose_language, methods=["POST"]),
    Route("/login", login_page, methods=["GET"], name="login"),
    Route("/login", login_submit, methods=["POST"]),
    Route("/logout", logout, methods=["POST"], name="logout"),
]
