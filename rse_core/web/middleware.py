"""Pure ASGI middleware applied to every route, core and plugins alike."""

from __future__ import annotations

import gc

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Images may come from any https host (a blog post's cover, a company CDN): an image runs no
# code, and the referrer policy keeps the page's address from those hosts.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "object-src 'none'; frame-ancestors 'none'"
)

SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}


class SecurityHeadersMiddleware:
    """Adds the security headers to every HTTP response unless the endpoint set its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


class FreezeAfterWarmUp:
    """Moves what a worker's first requests make out of the garbage collector's walks: after
    its 1st, 10th, 100th and 1,000th request, a collection then ``gc.freeze()``.

    A worker is frozen once started (``create_app(freeze_at_start=True)``), but its first pages
    still build what it keeps for life: the mappers' configuration, compiled statements and
    templates, catalogs, the caches. Left in the oldest generation, each full collection walked
    them all: 14-23 ms, three times in 400 home pages at 10,000,000 activities (a tenth of the
    slowest 5 %). Frozen, a full collection walks what the last requests left (~0.4 ms). What
    is frozen is never collected as a cycle; the four collections before freezing leave only
    what was alive then."""

    FREEZE_AFTER = frozenset({1, 10, 100, 1000})
    LAST = max(FREEZE_AFTER)

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.served = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)
        if scope["type"] != "http" or self.served >= self.LAST:
            return
        self.served += 1
        if self.served in self.FREEZE_AFTER:
            gc.collect()
            gc.freeze()
