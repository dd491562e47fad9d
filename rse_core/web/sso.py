"""Single sign-on with OpenID Connect: ``/sso/login`` sends the browser to the provider
(authorization code flow with PKCE, a state and a nonce), ``/sso/callback`` takes the code
back, checks the ID token (signature by the provider's keys, issuer, audience, expiry, nonce)
through Authlib, and signs the person in.

What the flow must remember between the two requests (state, PKCE verifier, nonce, where to
go next) lives in a signed cookie scoped to ``/sso``, written by Starlette's session
middleware, which wraps these routes only.
"""

from __future__ import annotations

import logging
from typing import Any
from weakref import WeakKeyDictionary

from httpx2 import HTTPError
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route, Router
from starlette.types import Receive, Scope, Send

from ..i18n import N_
from ..identity import sessions
from ..identity.sso import ClaimNames, SignInRefused, user_for_claims
from ..runtime import Runtime
from .auth import client_ip, safe_next, signed_in_response, sso_enabled
from .context import runtime, write
from .templating import render

log = logging.getLogger(__name__)
FLOW_COOKIE = "rse_sso"
UNREACHABLE = N_("The identity provider cannot be reached; try again later.")
FLOW_SECONDS = 600  # a sign-in at the provider must finish within ten minutes
_clients: WeakKeyDictionary[Runtime, Any] = WeakKeyDictionary()


def _client(rt: Runtime) -> Any:
    """This runtime's OpenID client (the provider's metadata and keys are fetched once)."""
    client = _clients.get(rt)
    if client is None:
        from authlib.integrations.starlette_client import OAuth  # see _oauth_error

        settings = rt.settings
        client = OAuth().register(
            name="sso",
            client_id=settings.oidc_client_id,
            client_secret=settings.oidc_client_secret,
            server_metadata_url=settings.oidc_issuer.rstrip("/")
            + "/.well-known/openid-configuration",
            client_kwargs={"scope": "openid email profile", "code_challenge_method": "S256"},
        )
        _clients[rt] = client
    return client


def _oauth_error() -> type[Exception]:
    """authlib's error, imported by the sign-in pages only: authlib (~0.1 s) is not loaded by
    the installations, commands and workers that do not sign in through a provider."""
    from authlib.integrations.base_client import OAuthError

    return OAuthError


def _callback_url(request: Request) -> str:
    public = runtime(request).settings.public_url.rstrip("/")
    if public:
        return f"{public}/sso/callback"
    return str(request.url.replace(path="/sso/callback", query=""))


def _refused(request: Request, message: str, status_code: int = 403) -> Response:
    return render(request, "auth/sso_refused.html", {"message": message}, status_code=status_code)


async def sso_login(request: Request) -> Response:
    """GET /sso/login?next=...: go to the identity provider to sign in."""
    rt = runtime(request)
    if not sso_enabled(rt.settings):
        raise HTTPException(404, "Single sign-on is not set up on this site.")
    request.session.clear()
    request.session["next"] = safe_next(request.query_params.get("next"))
    try:
        return await _client(rt).authorize_redirect(request, _callback_url(request))
    except (HTTPError, _oauth_error(), ValueError, KeyError):
        log.warning("the identity provider could not be reached", exc_info=True)
        return _refused(request, UNREACHABLE, 502)


async def sso_callback(request: Request) -> Response:
    """GET /sso/callback?code=...&state=...: the provider's answer; sign the person in."""
    rt = runtime(request)
    if not sso_enabled(rt.settings):
        raise HTTPException(404, "Single sign-on is not set up on this site.")
    if "error" in request.query_params:
        request.session.clear()
        return _refused(request, N_("The identity provider did not sign you in."))
    client, oauth_error = _client(rt), _oauth_error()
    try:
        token = await client.authorize_access_token(request)
        claims = dict(token.get("userinfo") or {})
        metadata = await client.load_server_metadata()
        if metadata.get("userinfo_endpoint"):
            extra = await client.userinfo(token=token)
            if extra.get("sub") == claims.get("sub"):  # OpenID Connect Core 5.3.2
                claims = {**extra, **claims}
    except oauth_error as exc:
        log.info("single sign-on refused: %s", exc)
        request.session.clear()
        return _refused(request, N_("This sign-in has expired or was not started here."), 400)
    except (HTTPError, ValueError, KeyError):
        log.warning("the identity provider could not be reached", exc_info=True)
        request.session.clear()
        return _refused(request, UNREACHABLE, 502)
    next_path = safe_next(request.session.get("next"))
    request.session.clear()
    settings = rt.settings
    names = ClaimNames(settings.oidc_department_claim, settings.oidc_job_title_claim)
    ip = client_ip(request)
    agent = request.headers.get("user-agent", "")

    def sign_in(session: Session) -> str:
        user = user_for_claims(
            session,
            settings.oidc_issuer,
            claims,
            create=settings.oidc_create_accounts,
            names=names,
        )
        old = getattr(request.state, "session_token", None)
        if old:
            sessions.end_session(session, old)
        return sessions.start_session(session, user, ip=ip, user_agent=agent)

    try:
        session_token = await write(request, sign_in)
    except SignInRefused as exc:
        return _refused(request, exc.message)
    return signed_in_response(request, session_token, next_path)


class _FlowCookie:
    """Starlette's session middleware, its cookie made at each request from the runtime's
    secret (the runtime is known only per request)."""

    def __init__(self, app: Router) -> None:
        self.app = app
        self._wrapped: dict[tuple[str, bool], SessionMiddleware] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        settings = scope["app"].state.rse.settings
        key = (settings.secret_key, scope.get("scheme") == "https")
        middleware = self._wrapped.get(key)
        if middleware is None:
            middleware = SessionMiddleware(
                self.app,
                secret_key=settings.secret_key,
                session_cookie=FLOW_COOKIE,
                max_age=FLOW_SECONDS,
                path="/sso",
                same_site="lax",  # the provider sends the browser back with a top-level GET
                https_only=key[1],
            )
            self._wrapped[key] = middleware
        await middleware(scope, receive, send)


ROUTES = [
    Mount(
        "/sso",
        app=_FlowCookie(
            Router(
                [
                    Route("/login", sso_login, methods=["GET"], name="sso_login"),
                    Route("/callback", sso_callback, methods=["GET"], name="sso_callback"),
                ]
            )
        ),
    )
]
