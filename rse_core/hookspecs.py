"""The plugin contract: every hook rse calls, one docstring each.

A plugin implements any of these with ``@hookimpl`` (``from rse_core import hookimpl``) and
may accept fewer arguments than the spec lists. Hooks fall into two families:

* **Installation hooks** are called for every *installed* plugin, enabled or not: they describe
  what the plugin brings (routes, templates, static files, migrations, permissions, commands).
  The core gates what they contribute per request, so a disabled plugin's routes answer 404.
* **Request hooks** are called only on the plugins *active* for the current user (enabled, for
  an audience the user is in). They are rendering hooks: an exception in one costs that
  plugin's contribution, is logged, and the page still renders.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    import click
    import pluggy as _pluggy
    from sqlalchemy.orm import Session
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.routing import BaseRoute

    from .activity import StreamEntry
    from .content import Content
    from .hooktypes import (
        BlobSource,
        Document,
        Evidence,
        EvidenceKind,
        ExportTable,
        Job,
        NavItem,
        Permission,
        SpaceTab,
    )
    from .identity.models import Space, User
    from .settings import Settings

PROJECT = "rse"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# ---------------------------------------------------------------------------------------------
# Installation hooks: called once per process for every installed plugin
# ---------------------------------------------------------------------------------------------


@hookspec
def rse_routes(settings: Settings) -> list[BaseRoute] | None:
    """Return the plugin's page routes (Starlette ``Route``/``Mount`` objects).

    :param settings: the installation's settings.

    Paths should start with the plugin's name (``/blog/...``). Each route is wrapped so that it
    answers 404 to a user for whom the plugin is not active. Feeds for feed readers (which
    have no session) go under ``/feeds/<plugin name>/``: public paths the wrapper leaves
    ungated, whose handler finds its reader with ``rse_core.feed_reader(..., plugin=...)``,
    which applies the rollout instead. Results from all plugins are concatenated.
    """


@hookspec
def rse_api_routes(settings: Settings) -> list[BaseRoute] | None:
    """Return the plugin's JSON API routes, with full paths under ``/api/v1/<plugin>``: its
    handlers declared with ``rse_core.api(...)`` (parameters, body and responses as pydantic
    models) and turned into routes by ``rse_core.api_routes(...)``.

    :param settings: the installation's settings.

    A path outside ``/api/v1/<plugin name>``, or a route not declared with ``api``, is refused
    at start-up. The declarations validate each request and write ``/api/openapi.json`` (for
    the readers the plugin is active for). The routes are gated like :func:`rse_routes`.
    Results from all plugins are concatenated.
    """


@hookspec
def rse_templates_dir() -> str | Path | None:
    """Return the directory holding the plugin's Jinja2 templates, or None.

    Rarely needed: a ``templates/`` directory beside the plugin's hooks module is found by
    convention. Implement this only for a package laid out differently.

    Templates are namespaced by plugin name: ``post.html`` in the ``blog`` plugin's directory is
    rendered as ``blog/post.html``. A site templates dir may override it and still extend the
    original as ``default:blog/post.html``.
    """


@hookspec
def rse_static_dir() -> str | Path | None:
    """Return the directory holding the plugin's static files, or None.

    Rarely needed: a ``static/`` directory beside the plugin's hooks module is found by
    convention. Implement this only for a package laid out differently.

    They are served under ``/static/plugins/<plugin name>/``; use
    ``static_url('<plugin name>', 'file.css')`` in templates.
    """


@hookspec
def rse_migrations_dir() -> str | Path | None:
    """Return the plugin's alembic versions directory, or None if it has no tables.

    Rarely needed: a ``migrations/`` directory beside the plugin's hooks module is found by
    convention. Implement this only for a package laid out differently.

    The plugin's revisions form their own history, recorded in the version table
    ``alembic_version_<plugin name>``; its first revision carries ``branch_labels =
    ("<plugin name>",)`` and may depend on core revisions. ``rse migrate`` upgrades the core
    first, then every installed plugin.
    """


@hookspec
def rse_locale_dir() -> str | Path | None:
    """Return the directory of the plugin's translations, or None.

    Rarely needed: a ``locale/`` directory beside the plugin's hooks module is found by
    convention. Implement this only for a package laid out differently.

    It holds ``<lang>/LC_MESSAGES/messages.po`` (for example ``fr/LC_MESSAGES/messages.po``,
    extracted with ``pybabel extract``). The plugin's templates use ``_()`` as the core's do;
    the core's catalog answers first, the plugin's fills in what it lacks.
    """


@hookspec
def rse_addhooks(pluginmanager: _pluggy.PluginManager) -> None:
    """Add hookspecs of your own, for other plugins to implement (pytest's
    ``pytest_addhooks``): call ``pluginmanager.add_hookspecs(module)``.

    :param pluginmanager: the pluggy manager of this app.

    Called once, after every installed plugin registered, so implementations registered
    before the spec existed are checked against it. Mark the specs with
    ``from rse_core import hookspec`` and name them after your plugin (``wiki_page_macros``):
    ``rse_*`` names belong to the core. Call them with ``rse_core.call_hook(request, name,
    **kwargs)``, which asks only the plugins active for the reader.
    """


@hookspec
def rse_permissions() -> list[Permission] | None:
    """Return the permissions the plugin declares (name, description, default roles).

    Names must start with ``<plugin name>.``; a name declared twice is an error at start-up.
    Results from all plugins are concatenated into the permission registry.
    """


@hookspec
def rse_content_types() -> dict[str, str] | None:
    """Return the human names of the plugin's content types: ``{"feed.post": "Post"}``.

    Types must start with ``<plugin name>.``. Search shows these names (translated through the
    plugin's catalog) in result badges and the type facet instead of the raw type. Results
    from all plugins are merged.
    """


@hookspec
def rse_jobs() -> list[Job] | None:
    """Return the background jobs the plugin runs (``Job(name, handler, ...)``).

    Names must start with ``<plugin name>.``. Queue one with ``rse_core.enqueue_job(session,
    "blog.publish", {"post": 3}, run_at=...)`` inside the write that causes it; a ``Job`` with
    ``every=timedelta(...)`` also runs periodically while the plugin is enabled. Handlers run
    in a worker (``rse worker``, or a thread of ``rse serve``), never in a request, whether or
    not the plugin is enabled for anyone: a queued job finishes what a committed write began.
    Results from all plugins are concatenated; a name declared twice is an error at start-up.
    """


@hookspec
def rse_startup(app: Starlette) -> None:
    """Called once when the app starts serving (ASGI lifespan start-up), for every plugin.

    :param app: the Starlette app; ``app.state.rse`` is the :class:`rse_core.Rse` runtime.

    An exception here stops the start-up: a plugin that cannot start should say so loudly.
    """


@hookspec
def rse_cli(cli: click.Group) -> None:
    """Add commands to the ``rse`` command line.

    :param cli: the top-level click group; call ``cli.add_command(...)``.
    """


@hookspec
def rse_demo_data(session: Session, settings: Settings) -> None:
    """Add demonstration data, called by ``rse demo`` inside one write transaction.

    :param session: a SQLAlchemy session; the transaction commits after every plugin ran.
    :param settings: the installation's settings.

    Must be idempotent in spirit: ``rse demo`` refuses to run twice on one database.
    """


@hookspec
def rse_personal_data(session: Session, user: User) -> Mapping[str, Any] | None:
    """Return what your plugin keeps about ``user`` in its own tables (what they wrote,
    chose or received: answers, votes, answers to events, drafts), as JSON-able values
    under names of your choosing, for the person's download of their data (GDPR access).

    :param session: a read session.
    :param user: the person whose data it is.

    Items published to the content registry, comments, likes and follows are the core's:
    it adds them itself. Give only this person's data, never someone else's (a question
    they answered: their answer, not the others'). Called once per download, on every
    installed plugin (the data exists whether or not the plugin is enabled for the person);
    failures are isolated: the download then lists the plugin under ``"missing"``.
    """


@hookspec
def rse_export_tables() -> list[ExportTable]:
    """Name every table your plugin keeps (``rse_core.ExportTable``), for ``rse export``
    and ``rse import``: a company's data moves to another installation (or database kind)
    and nobody is locked in.

    Leave out secrets column by column (``leave_out``); mark tables of nothing to carry
    (sessions, queues, caches rebuilt from the rest) ``skip=True`` with ``why``. Rows are
    written as they are, one JSON object per line, ids kept (links keep working), and read
    back into an empty installation in foreign-key order. A table nobody names is exported
    whole, and the manifest says so. Called once per export or import, on every installed
    plugin.
    """


@hookspec
def rse_export_blobs(settings: Settings) -> BlobSource | None:
    """Return a ``rse_core.BlobSource`` when your plugin keeps bytes beside the database
    (uploaded files, on disk or in an object store): ``rse export`` copies every blob the
    database refers to, ``rse import`` stores them back. Called on every installed plugin.
    """


@hookspec
def rse_index_documents(session: Session) -> Iterable[Document]:
    """Every search document this plugin contributes, for a full rebuild.

    :param session: a read session on the database (the truth the index is rebuilt from).

    Called by ``rse search reindex``, ``rse search check [--fix]`` and when a new, empty index is
    built at start-up. Items published to the content registry are indexed by the core (their
    outbox rows keep the index current, and the core's own implementation yields them and the
    people for a rebuild): a plugin implements this only for searchable things it keeps outside
    the registry. Their keys must start with ``<plugin name>:``, their ``audience`` is one
    principal (``everyone``, ``space:<id>``, ``user:<id>``) and is what search filters on. Such
    documents are refreshed by a rebuild or ``check --fix``. Results from all plugins are
    concatenated.
    """


@hookspec
def rse_evidence_kinds() -> list[EvidenceKind] | None:
    """Return the kinds of evidence of expertise your plugin gives: one per content type
    (``EvidenceKind("blog.post", N_("blog post"), N_("blog posts"))``: the author wrote
    about its tags) and one per kind your ``rse_evidence`` returns.

    Names start with ``<plugin name>.``. The directory's "who knows" explains a ranking with
    these labels ("3 accepted answers, 12 posts"); ``weight`` sets what one is worth (a post
    1.0). A content type without a kind counts 1.0 as an "item". Results are merged.
    """


@hookspec
def rse_evidence(session: Session, items: list[Content]) -> Mapping[int, list[Evidence]] | None:
    """Return what your items show about who knows their tags, beyond what the core counts
    (the author wrote it; the likes it received): ``{content id: [Evidence(user_id, kind,
    at), ...]}`` for the answers to a question, its accepted answer, a wiki page's editors.

    :param session: the write session (the transaction that changed the items), or a read
        session during ``rse expertise rebuild``.
    :param items: items of any plugin: answer only for your own (``item.plugin``), in one or
        a few queries for the whole list.

    The core calls this when a transaction that changed an item commits (published, edited,
    deleted, liked, or marked by your ``rse_core.refresh_expertise(session, item)`` after a
    change to your own rows, such as an accepted answer), and for every tagged item during a
    rebuild. Evidence is counted per tag of the item with the item's audience, so a reader is
    shown only the evidence of items they may see. Called on every installed plugin, enabled
    or not; an exception fails the write (it is a write hook). Results are merged.
    """


@hookspec(firstresult=True)
def rse_authenticate(
    request: Request, session: Session, username: str, password: str
) -> User | None:
    """Check a username and password from the login form; return the user, or None.

    :param request: the login request.
    :param session: a write session: a directory plugin (LDAP, ...) may create or update the
        local ``User`` here before returning it.
    :param username: as typed, lower-cased.
    :param password: as typed.

    Stops at the first non-None result. The core's local-password implementation runs last, so
    a plugin answers first; a plugin returning None lets the next one try. Called for every
    installed plugin (sign-in happens before anyone's audience is known). An exception refuses
    the sign-in (fails closed). A plugin with a redirect flow (OpenID Connect) adds its own routes
    instead and finishes with ``rse_core.signed_in_response``.
    """


# ---------------------------------------------------------------------------------------------
# Request hooks: called per request, only on plugins active for the current user
# ---------------------------------------------------------------------------------------------


@hookspec
def rse_nav_items(request: Request) -> list[NavItem] | None:
    """Return entries for the header navigation shown to this request's user.

    :param request: the current request (``request.state.user`` is the user, or None).

    A rendering hook: if it raises, the plugin's entries are left out and the error logged.
    """


@hookspec
def rse_home_widgets(request: Request) -> list[str] | None:
    """Return HTML fragments for the home page's side column.

    :param request: the current request.

    Return ``Markup`` you rendered with autoescaping (``render_fragment(request,
    "blog/widget.html", {...})``) to insert HTML; a plain ``str`` is escaped and shown as text.
    A rendering hook: if it raises, the plugin's widgets are left out and the error logged.
    """


@hookspec
def rse_profile_sections(request: Request, profile: User) -> list[str] | None:
    """Return fragments shown on a person's profile page (for example "latest posts").

    :param request: the current request (the reader is ``request.state.user``).
    :param profile: the user whose profile is shown.

    Show only what the reader may see. ``Markup`` is inserted as HTML, a ``str`` escaped. A
    rendering hook: failures are isolated.
    """


@hookspec
def rse_adoption_sections(request: Request) -> list[str] | None:
    """Return fragments shown on the adoption dashboard (``/admin/adoption``), after the
    rollout phases: a plugin's own figures of use (the ideas plugin's campaigns: ideas,
    participation, time to a decision).

    :param request: the current request; the reader is a community manager or a site admin.

    Show counts, not who did what, and only about what the reader may see (their
    principals: a secret space's figures stay with its members). ``Markup`` is inserted as
    HTML, a ``str`` escaped. A rendering hook: failures are isolated.
    """


@hookspec
def rse_space_tabs(request: Request, space: Space) -> list[SpaceTab] | None:
    """Return tabs for a space's pages (``SpaceTab(label, href, order)``).

    :param request: the current request.
    :param space: the space shown; the reader may read it.

    Called only on plugins active for the reader whose audience is everyone or this space.
    A rendering hook: failures are isolated.
    """


@hookspec
def rse_prepare_entries(request: Request, entries: list[StreamEntry]) -> Mapping[int, Any] | None:
    """Load at once what your stream entries need beyond ``entry.content``: a page's entries
    of your plugin, in one query, instead of one query per entry.

    :param request: the current request.
    :param entries: this page's entries whose item your plugin owns (at least one).

    Return a mapping from content id to anything (your rows, say); ``rse_render_activity``
    gets the value of its entry's item as ``prepared`` (None when missing). Called once per
    stream page (the home, a space's, a person's, "load more"), before rendering, only on the
    plugin that owns the entries and when it is active for the reader. A rendering hook: if it
    raises, the error is logged and the entries get ``prepared=None``.
    """


@hookspec(firstresult=True)
def rse_render_activity(request: Request, entry: StreamEntry, prepared: Any) -> str | None:
    """Render one stream entry of your plugin's content; return ``Markup``, or None to let the
    core render its default (actor, verb, title, summary, space, likes and comments).

    :param request: the current request.
    :param entry: ``entry.activity`` (verb ``create``, ``update``,
        ``comment`` or ``status``),
        ``entry.content``, ``entry.actor`` and ``entry.space``; on the pages an item's
        activities are folded into its newest, with ``entry.others`` (``(username, name)``
        pairs) and ``entry.others_count``, the other people who did the same (templates say
        it with ``{{ who(entry) }}``: "Bruno and 2 others").
    :param prepared: what your ``rse_prepare_entries`` returned for this entry's item (its
        content id), or None. Never query the database here: a page renders 20 entries.

    Stops at the first non-None result. Called only on the plugin that owns the content
    (``entry.content.plugin``) when it is active for the reader. A rendering hook: if it raises,
    the default rendering is used and the error logged.
    """


@hookspec
def rse_stream_composer(request: Request, space: Space | None) -> str | None:
    """Return a form to put above a stream: the home stream (``space`` None) or a space's.

    :param request: the current request.
    :param space: the space whose stream is shown (the reader may read it), or None.

    For example the feed plugin's "What are you working on?" box. ``Markup`` is inserted as
    HTML. For a space, called only on plugins whose audience is everyone or that space. A
    rendering hook: failures are isolated.
    """


@hookspec
def rse_item_attachments(request: Request, content: Content) -> str | None:
    """Return HTML shown on an item's page, between the item and its likes and comments: the
    files attached to it and, for who may attach more, the way to (the files plugin). Any
    plugin's item page shows it, through the core's ``render_social``.

    :param request: the current request.
    :param content: the item (the reader may see it).

    Called once per item page; may query the database. ``Markup`` is inserted as HTML. A
    rendering hook: failures are isolated.
    """


@hookspec
def rse_comment_attachments(
    request: Request, content: Content, comments: list[Any]
) -> Mapping[int, str] | None:
    """Return, by comment id, HTML shown under comments of an item's page: the files
    attached to each and, for its author, the way to attach more (the files plugin).

    :param request: the current request.
    :param content: the item (the reader may see it).
    :param comments: its visible comments (``id``, ``author_id``, ``body``, ``created_at``),
        oldest first.

    Called once per item page, for all its comments: one query, not one per comment.
    ``Markup`` is inserted as HTML. A rendering hook: failures are isolated.
    """


@hookspec
def rse_item_actions(request: Request, content: Content) -> list[str] | None:
    """Return small controls to show under any visible item (in streams and on item pages),
    for example a "Save for later" button.

    :param request: the current request.
    :param content: the item (the reader may see it).

    Called once per item shown, so it must not query the database. ``Markup`` is inserted as
    HTML. A rendering hook: failures are isolated.
    """
