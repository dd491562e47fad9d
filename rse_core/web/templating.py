"""Jinja2 set-up: namespaced plugin templates, site overrides, and the render helpers.

Lookup order for ``blog/post.html``: the site templates dir (``RSE_SITE_TEMPLATES_DIR``), then
the ``blog`` plugin's templates, then the core's. ``default:blog/post.html`` skips the site dir,
so an override can extend the template it replaces.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import jinja2
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse

from ..i18n import template_callables
from ..plugins import PluginRegistry
from ..settings import Settings
from .context import active_plugins, current_user, principals, runtime
from .flash import COOKIE as FLASH_COOKIE
from .flash import pending_flash
from .names import who
from .times import day, when

CORE_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


class Environment(jinja2.Environment):
    """Jinja2's environment, with each template's globals a plain dict.

    Jinja2 chains a template's globals to the environment's (a ``ChainMap``), and every
    render copies them key by key into its context through that chain: ~18 µs of a 26 µs
    render of a small fragment, ~50 fragments on a stream page (docs/performance.md). Here
    each template takes a copy when it loads; ``make_environment`` then makes the
    environment's globals read-only, so a global added later fails loudly instead of
    reaching only the templates loaded after it."""

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        """The template's own globals over the environment's, as one dict."""
        return {**self.globals, **(d or {})}


class _CompiledTemplates(jinja2.BytecodeCache):
    """The templates this process compiled, shared by every environment it makes.

    An environment compiles each template at its first render: 15-100 ms of a page's first
    request, paid again by each app a process builds (the test suite builds hundreds, each
    rendering a few pages once). Jinja2 keys a template's code by its name and file and
    recompiles when the source's checksum differs, so a changed or overridden template is
    never served stale. Every environment of ``make_environment`` compiles with the same
    options (autoescape, the i18n extension, new-style gettext), which the code depends on."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        """Give the bucket the code compiled earlier, if any."""
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        """Keep the code just compiled."""
        self._code[bucket.key] = bucket.bytecode_to_string()


_COMPILED = _CompiledTemplates()


def make_environment(settings: Settings, plugins: PluginRegistry) -> jinja2.Environment:
    """Build the Jinja2 environment for one app."""
    plugin_loaders: dict[str, jinja2.BaseLoader] = {}
    for name, path in plugins.directories("templates"):
        plugin_loaders[name] = jinja2.FileSystemLoader(str(path))
    defaults = jinja2.ChoiceLoader(
        [jinja2.PrefixLoader(plugin_loaders), jinja2.FileSystemLoader(str(CORE_TEMPLATES))]
    )
    loaders: list[jinja2.BaseLoader] = []
    if settings.site_templates_dir:
        loaders.append(jinja2.FileSystemLoader(str(settings.site_templates_dir)))
    loaders += [defaults, jinja2.PrefixLoader({"default": defaults}, delimiter=":")]
    env = Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=True,
        undefined=jinja2.StrictUndefined if settings.debug else jinja2.Undefined,
        extensions=["jinja2.ext.i18n"],
        auto_reload=settings.debug,  # no stat() per render in production
        bytecode_cache=_COMPILED,
    )
    env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
    env.globals["static_url"] = static_url
    env.globals = MappingProxyType(dict(env.globals))  # type: ignore[assignment]
    return env


def static_url(owner: str, path: str) -> str:
    """URL of a static file: ``owner`` is ``core`` or a plugin name."""
    if owner == "core":
        return f"/static/core/{path}"
    return f"/static/plugins/{owner}/{path}"


def nav_items(request: Request) -> list[Any]:
    """The header navigation for this request, from every active plugin, sorted."""
    items = []
    for _name, result in runtime(request).plugins.collect(
        "rse_nav_items", active_plugins(request), request=request
    ):
        items.extend(result)
    return sorted(items, key=lambda item: (item.order, item.label))


def unread_notifications(request: Request) -> int:
    """The bell's count for the signed-in user (one indexed count)."""
    from ..notifications import unread_count

    user = current_user(request)
    if user is None:
        return 0
    with runtime(request).db.read() as session:
        return unread_count(session, user.id, principals(request).plugins)


def request_callables(request: Request) -> dict[str, Any]:
    """What templates call for this reader: ``_``/``gettext``/``ngettext`` in their language,
    ``lang``, ``when(dt)`` for a time ("5 minutes ago", exact local time on hover),
    ``day(dt, end=False)`` for a local date and ``who(entry)`` for the people of a folded
    stream entry ("Bruno and 2 others").

    Built once per request: a stream page renders a fragment per entry."""
    made = getattr(request.state, "rse_callables", None)
    if made is not None:
        return made

    def when_for(moment: Any, relative: bool = True) -> Markup:
        return when(request, moment, relative=relative)

    def who_for(entry: Any) -> Markup:
        return who(request, entry)

    def day_for(moment: Any, end: bool = False) -> str:
        return day(request, moment, end=end)

    made = {**template_callables(request), "when": when_for, "who": who_for, "day": day_for}
    request.state.rse_callables = made
    return made


def base_context(request: Request) -> dict[str, Any]:
    """What every page template may use."""
    return {
        **request_callables(request),
        "request": request,
        "user": current_user(request),
        "unread": unread_notifications(request),
        "nav_items": nav_items(request),
        "csrf_token": getattr(request.state, "csrf_token", ""),
        "settings": runtime(request).settings,
        "flash_message": pending_flash(request),
    }


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """Render a full page with the base context."""
    template = request.app.state.templates.get_template(name)
    html = template.render({**base_context(request), **(context or {})})
    response = HTMLResponse(html, status_code=status_code, headers=headers)
    if FLASH_COOKIE in request.cookies:
        response.delete_cookie(FLASH_COOKIE)  # shown once
    return response


def render_fragment(request: Request, name: str, context: dict[str, Any] | None = None) -> Markup:
    """Render a template to safe markup (a widget, an htmx partial) with the request in scope."""
    template = request.app.state.templates.get_template(name)
    base = {
        **request_callables(request),
        "request": request,
        "csrf_token": getattr(request.state, "csrf_token", ""),
        "user": current_user(request),
    }
    return Markup(template.render({**base, **(context or {})}))
