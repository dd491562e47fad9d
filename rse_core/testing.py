"""pytest fixtures for rse and its plugins (registered as the ``rse`` pytest11 plugin).

* ``rse_settings``: settings on a fresh temporary data dir.
* ``rse_app_factory``: ``rse_app_factory(extra_plugins=[("name", module)], **settings)``
  builds a migrated app; call it as often as a test needs.
* ``rse_app``: one migrated app with the installed plugins.
* ``rse_client``: an anonymous ``TestClient`` on ``rse_app`` (lifespan run).
* ``rse_user``: ``rse_user("alice", admin=True, **profile)`` creates an account on ``rse_app``.
* ``rse_client_for``: ``rse_client_for("alice")`` a client signed in as alice; it sends the
  CSRF header on every request, like the pages' htmx set-up does.
* ``enable_plugin``: ``enable_plugin("blog")`` or ``enable_plugin("blog", spaces=["pilot"])``.
* ``run_jobs(app, now=...)``: run the background jobs that are due (at ``now``, a fake clock),
  in the test's thread. Test apps run no job worker of their own, so a test decides when jobs
  run and sleeps never.
* ``wait_for_index(app)``: index what was written, in the test's thread. Test apps run no
  search indexer of their own either; a test of search calls it before searching.

Passwords are hashed with cheap argon2 parameters under these fixtures, to keep tests fast.
"""

from __future__ import annotations

import atexit
import os
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from starlette.applications import Starlette
from starlette.testclient import TestClient

from . import migrate
from .app import create_app
from .db import utcnow
from .enablement import EVERYONE
from .identity.accounts import create_user
from .identity.models import User
from .identity.passwords import set_hasher
from .identity.spaces import audience_for_slugs
from .runtime import change_plugin
from .settings import Settings

AppFactory = Callable[..., Starlette]
TEST_PASSWORD = "correct horse battery"
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def make_settings(data_dir: Path, **overrides: Any) -> Settings:
    """Settings for a test: a data dir of its own, a fixed secret, no rse.toml, no env.

    With ``RSE_TEST_DATABASE_URL`` naming a PostgreSQL server (``make test-postgres`` sets it),
    every settings object gets a fresh schema of its own there and, unless the test chooses
    one, the PostgreSQL search backend: the same tests then run on PostgreSQL. Jobs and
    search indexing run only when the test asks (``run_jobs``, ``wait_for_index``)."""
    server = os.environ.get(TEST_DATABASE_ENV)
    if server and "database_url" not in overrides:
        overrides["database_url"] = fresh_postgres_schema(server)
        overrides.setdefault("search_backend", "postgres")
    overrides.setdefault("jobs_worker", "off")  # tests run jobs with run_jobs()
    overrides.setdefault("search_indexer", "external")  # tests index with wait_for_index()
    overrides.setdefault("check_api_responses", True)  # every API answer as declared
    overrides.setdefault("shared_seconds", 0)  # shared counts fresh on every page
    return Settings.load(
        env={}, data_dir=data_dir, secret_key="test-secret-key-" + "x" * 32, **overrides
    )


TEST_DATABASE_ENV = "RSE_TEST_DATABASE_URL"
_schemas: list[str] = []


def on_postgres() -> bool:
    """True when the tests run on PostgreSQL (``RSE_TEST_DATABASE_URL`` is set)."""
    return bool(os.environ.get(TEST_DATABASE_ENV))


def fresh_postgres_schema(server_url: str) -> str:
    """Create an empty schema on the PostgreSQL server and return a URL whose connections
    use it (``search_path``); the schemas are dropped when the test process ends."""
    name = f"rse_test_{uuid.uuid4().hex[:16]}"
    _admin_sql(server_url, f'CREATE SCHEMA "{name}"')
    if not _schemas:
        atexit.register(_drop_schemas, server_url)
    _schemas.append(name)
    url = make_url(server_url).update_query_dict({"options": f"-csearch_path={name}"})
    return url.render_as_string(hide_password=False)


def _admin_sql(server_url: str, *statements: str) -> None:
    """Run statements on their own short-lived connection (autocommit)."""
    import psycopg

    conninfo = make_url(server_url).set(drivername="postgresql")
    with psycopg.connect(conninfo.render_as_string(hide_password=False), autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def _drop_schemas(server_url: str) -> None:
    # One statement each (autocommit): a schema holds many locks.
    _admin_sql(server_url, *(f'DROP SCHEMA IF EXISTS "{name}" CASCADE' for name in _schemas))


def build_app(settings: Settings, extra_plugins: Sequence[tuple[str, object]] = ()) -> Starlette:
    """Create an app and migrate its database to the latest revision.

    On SQLite a new database starts as a copy of one this process already migrated with the
    same migration scripts (running every core and plugin revision cost ~1 s a test, most of
    a fast test's time), and the copy is not migrated again: it is at those scripts' heads
    (asking alembic cost ~90 ms an app, eleven histories read)."""
    app = create_app(settings, extra_plugins=extra_plugins)
    rt = app.state.rse
    path = make_url(settings.database_url).database if settings.is_sqlite else None
    fresh = bool(path) and not Path(path).exists()
    key = _migrations_key(rt) if fresh else ""
    if fresh and key in _MIGRATED:
        rt.db.engine.dispose()
        _copy_sqlite(_MIGRATED[key], Path(path))
        return app
    migrate.upgrade(rt.db, rt.plugins)
    if fresh and key not in _MIGRATED:
        rt.db.engine.dispose()
        template = _template_dir() / f"{key}.db"
        _copy_sqlite(Path(path), template)
        _MIGRATED[key] = template
    return app


#: Migrated SQLite databases of this process, by the migration scripts that made them.
_MIGRATED: dict[str, Path] = {}
_TEMPLATE_DIR: list[Path] = []


def _migrations_key(rt: Any) -> str:
    """What a migrated schema depends on: every component's revision files (names, sizes,
    times of change)."""
    import hashlib

    parts = []
    for component in migrate.components(rt.plugins):
        for script in sorted(Path(component.versions_dir).glob("*.py")):
            stat = script.stat()
            parts.append(f"{component.name}/{script.name}/{stat.st_size}/{stat.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def _template_dir() -> Path:
    if not _TEMPLATE_DIR:
        import shutil
        import tempfile

        made = Path(tempfile.mkdtemp(prefix="rse-migrated-"))
        atexit.register(shutil.rmtree, made, ignore_errors=True)
        _TEMPLATE_DIR.append(made)
    return _TEMPLATE_DIR[0]


def _copy_sqlite(source: Path, target: Path) -> None:
    """Copy a SQLite database with its online backup API (its WAL included)."""
    import sqlite3

    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


def add_user(
    app: Starlette,
    username: str,
    *,
    admin: bool = False,
    password: str = TEST_PASSWORD,
    **profile: Any,
) -> User:
    """Create an account on ``app``."""
    with app.state.rse.db.write() as session:
        return create_user(
            session,
            username,
            email=f"{username}@example.com",
            password=password,
            display_name=profile.pop("display_name", username.title()),
            is_admin=admin,
            **profile,
        )


def submit_login(client: TestClient, username: str, password: str = TEST_PASSWORD) -> Any:
    """Fill in and send the sign-in form as a browser does; the response (303 when signed in,
    the form again with its message when refused)."""
    client.get("/login")
    return client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "csrf_token": client.cookies.get("rse_csrf", ""),
        },
        follow_redirects=False,
    )


def sign_in(client: TestClient, username: str) -> TestClient:
    """Sign ``client`` in as ``username`` as the sign-in form would leave it (a session, its
    cookie, a CSRF cookie and the header that echoes it), without the form's two requests:
    for fixtures (most tests sign in a few clients). A test of signing in itself uses
    :func:`login`, which goes through the form and the ``rse_authenticate`` hook."""
    import secrets

    from .identity.accounts import get_user
    from .identity.sessions import SESSION_COOKIE, start_session
    from .web.auth import CSRF_COOKIE

    app = client.app
    with app.state.rse.db.write() as session:  # type: ignore[attr-defined]
        user = get_user(session, username)
        assert user is not None and user.is_active, f"no active account {username!r}"
        token = start_session(session, user, user_agent="testclient")
    csrf = secrets.token_urlsafe(32)
    client.cookies.set(SESSION_COOKIE, token)
    client.cookies.set(CSRF_COOKIE, csrf)
    client.headers["x-csrf-token"] = csrf
    return client


def login(client: TestClient, username: str, password: str = TEST_PASSWORD) -> TestClient:
    """Sign ``client`` in through the login form; afterwards it sends the CSRF header."""
    response = submit_login(client, username, password)
    assert response.status_code == 303, response.text
    client.headers["x-csrf-token"] = client.cookies.get("rse_csrf", "")
    return client


@contextmanager
def app_with_clients(
    data_dir: Path, usernames: Sequence[str], plugins: Sequence[str] = ()
) -> Iterator[tuple[Starlette, dict[str, TestClient]]]:
    """A migrated app with these accounts, each with a signed-in client, and ``plugins``
    enabled for everyone: for a module-scoped fixture shared by many generated examples."""
    app = build_app(make_settings(data_dir))
    for name in usernames:
        add_user(app, name)
    for plugin in plugins:
        enable(app, plugin)
    clients = {}
    try:
        for name in usernames:
            client = TestClient(app)
            client.__enter__()
            clients[name] = sign_in(client, name)
        yield app, clients
    finally:
        for client in clients.values():
            client.__exit__(None, None, None)
        app.state.rse.close()


def create_spaces(
    owner: TestClient, owner_name: str, slugs: Sequence[str], specs: Sequence[dict[str, Any]]
) -> None:
    """Create one space per spec (``visibility``, ``members``: a set of usernames) through
    the API, owned by ``owner`` (signed in as ``owner_name``, who joins each spec's members):
    the generated spaces of a property-based leak test."""
    for slug, spec in zip(slugs, specs, strict=True):
        created = owner.post(
            "/api/v1/spaces", json={"name": slug, "slug": slug, "visibility": spec["visibility"]}
        )
        assert created.status_code == 201, created.text
        spec["members"].add(owner_name)
        for member in sorted(spec["members"] - {owner_name}):
            added = owner.post(
                f"/api/v1/spaces/{slug}/members", json={"username": member, "role": "member"}
            )
            assert added.status_code in (200, 201), added.text


def page_statements(app: Starlette, client: TestClient, path: str) -> list[str]:
    """The SQL statements (but BEGIN and PRAGMA) of a page as a reader sees it from the
    second visit on: the first fills the worker's copy of their access."""
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    client.get(path)
    engine = app.state.rse.db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return [s for s in statements if not s.startswith(("BEGIN", "PRAGMA"))]


#: SQLite's statistics of ``bench/seed_data.py``'s company at 10,000,000 activities (the
#: ``sqlite_stat1`` rows of the tables whose plans tests check), for
#: :func:`plan_with_sqlite_statistics`.
AT_10_MILLION_ACTIVITIES = (
    "rse_content|ix_rse_content_created|999011 1",
    "rse_content|ix_rse_content_audience|999011 39",
    "rse_content|ix_rse_content_space|999011 200 1",
    "rse_content|ix_rse_content_author|999011 10 1",
    "rse_content_tag|ix_rse_content_tag_tag|381909 764 1",
    "rse_content_tag|sqlite_autoindex_rse_content_tag_1|381909 2 1",
    "rse_expertise|ix_rse_expertise_scores|625037 1251 2 2 2 1 1 1",
    "rse_expertise|ix_rse_expertise_user|625037 7 2",
    "rse_expertise|sqlite_autoindex_rse_expertise_1|625037 1251 2 2 2 1",
    "bookmarks_bookmark|sqlite_autoindex_bookmarks_bookmark_1|149559 1",
    "bookmarks_bookmark|ix_bookmarks_bookmark_url|149559 10",
)


def plan_with_sqlite_statistics(app: Starlette, statistics: Sequence[str]) -> None:
    """Make SQLite plan the app's statements as if its tables held a company's data: each of
    ``statistics`` is a ``sqlite_stat1`` row, ``"table|index|stat"`` as ``ANALYZE`` wrote it
    on that data (``sqlite3 rse.db 'SELECT * FROM sqlite_stat1'``). A plan checked on a test's
    few rows is the plan of few rows; with these it is the plan SQLite picks at scale."""
    with app.state.rse.db.write() as session:
        session.execute(text("ANALYZE"))  # creates sqlite_stat1
        for row in statistics:
            table, index, stat = row.split("|")
            key = {"t": table, "i": index}
            session.execute(text("DELETE FROM sqlite_stat1 WHERE tbl = :t AND idx = :i"), key)
            session.execute(
                text("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (:t, :i, :s)"),
                {**key, "s": stat},
            )
        session.execute(text("ANALYZE sqlite_master"))  # read again
    app.state.rse.db.dispose()


@contextmanager
def sqlite_query_plans(app: Starlette, marker: str) -> Iterator[list[str]]:
    """SQLite's ``EXPLAIN QUERY PLAN`` steps of every statement containing ``marker`` run
    inside the block (the list fills as they run)."""
    steps: list[str] = []

    def explain(_conn: Any, cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        if marker in statement:
            plan = cursor.connection.execute("EXPLAIN QUERY PLAN " + statement, parameters)
            steps.extend(row[3] for row in plan)

    engine = app.state.rse.db.engine
    event.listen(engine, "before_cursor_execute", explain)
    try:
        yield steps
    finally:
        event.remove(engine, "before_cursor_execute", explain)


def enable(app: Starlette, name: str, spaces: Sequence[str] = ()) -> None:
    """Enable plugin ``name`` for everyone, or for the members of ``spaces`` (slugs)."""
    rt = app.state.rse
    audience: Sequence[str] = (EVERYONE,)
    if spaces:
        with rt.db.read() as session:
            audience = audience_for_slugs(session, list(spaces))
    change_plugin(rt, name, enabled=True, audience=audience, actor="test")


#: The young generation's threshold while tests run (Python's default: 700 allocations).
TEST_GC_THRESHOLD = 10_000


def pytest_collection_finish(session: pytest.Session) -> None:
    """Before the first test: what collecting imported (modules, mappers, hypothesis) lives
    for the whole run, so it leaves the garbage collector's walks (``gc.freeze()``), and the
    young generation is collected ~14 times less often. Each test builds and drops an app (a
    graph of cycles), and the collector's walks of everything were ~15 % of a run's time
    (docs/architecture.md, "The test suite's speed")."""
    import gc

    gc.collect()
    gc.freeze()
    _young, *older = gc.get_threshold()
    gc.set_threshold(TEST_GC_THRESHOLD, *older)


@pytest.fixture(autouse=True)
def _rse_fast_password_hashing() -> Iterator[None]:
    set_hasher(FAST_HASHER)
    yield
    set_hasher(PasswordHasher())


@pytest.fixture
def rse_settings(tmp_path: Path) -> Settings:
    """Settings on a fresh temporary data dir."""
    return make_settings(tmp_path / "var")


@pytest.fixture
def rse_app_factory(tmp_path: Path) -> Iterator[AppFactory]:
    """Build migrated apps, each on its own data dir; their engines are disposed after."""
    apps: list[Starlette] = []

    def factory(extra_plugins: Sequence[tuple[str, object]] = (), **overrides: Any) -> Starlette:
        settings = make_settings(tmp_path / f"var{len(apps)}", **overrides)
        app = build_app(settings, extra_plugins)
        apps.append(app)
        return app

    yield factory
    for app in apps:
        app.state.rse.close()


@pytest.fixture
def rse_app(rse_settings: Settings) -> Iterator[Starlette]:
    """A migrated app with every installed plugin (none enabled)."""
    app = build_app(rse_settings)
    yield app
    app.state.rse.close()


@pytest.fixture
def rse_client(rse_app: Starlette) -> Iterator[TestClient]:
    """An anonymous HTTP client on ``rse_app``, with the app's lifespan running."""
    with TestClient(rse_app) as client:
        yield client


@pytest.fixture
def rse_user(rse_app: Starlette) -> Callable[..., User]:
    """Create accounts on ``rse_app``: ``rse_user("alice", admin=True, department="IT")``."""
    return lambda username, **kw: add_user(rse_app, username, **kw)


@pytest.fixture
def rse_client_for(rse_app: Starlette) -> Iterator[Callable[[str], TestClient]]:
    """Signed-in clients on ``rse_app``: ``rse_client_for("alice")`` (the user must exist)."""
    clients: list[TestClient] = []

    def make(username: str) -> TestClient:
        client = TestClient(rse_app)
        client.__enter__()
        clients.append(client)
        return sign_in(client, username)

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def enable_plugin(rse_app: Starlette) -> Callable[..., None]:
    """Enable a plugin on ``rse_app``: ``enable_plugin(name, spaces=("pilot",))``."""
    return lambda name, spaces=(): enable(rse_app, name, spaces)


def run_jobs(app: Starlette, now: datetime | None = None, limit: int | None = None) -> int:
    """Run the jobs due at ``now`` (default: the real time) and the periodic jobs due then,
    in this thread; returns how many ran. ``now`` is the clock every handler sees too."""
    from .jobs.worker import JobWorker

    clock = (lambda: now) if now is not None else utcnow
    return JobWorker(app.state.rse, clock=clock).run_pending(limit=limit)


def migrate_down(app: Starlette, revision: str, component: str = "core") -> None:
    """Downgrade one migration history of ``app`` (the core's or a plugin's) to ``revision``,
    committed: the tables are then as that revision left them."""
    _move(app, component, "downgrade", revision)


def migrate_up(app: Starlette, component: str = "core", revision: str = "heads") -> None:
    """Upgrade one migration history of ``app`` to ``revision`` (its heads), committed."""
    _move(app, component, "upgrade", revision)


def _move(app: Starlette, component: str, direction: str, revision: str) -> None:
    from alembic import command

    rt = app.state.rse
    history = next(c for c in migrate.components(rt.plugins) if c.name == component)
    with rt.db.engine.execution_options(rse_write=True).connect() as connection:
        cfg = migrate._config(history)
        cfg.attributes["connection"] = connection
        getattr(command, direction)(cfg, revision)
        connection.commit()


def wait_for_index(app: Starlette, timeout: float = 10.0) -> None:
    """Index everything the search outbox holds before going on. Test apps index nothing on
    their own (``make_settings`` sets ``search_indexer="external"``: a thread indexing every
    test's writes took 19 % of the CPU of the tests sampled), so the outbox is drained here,
    in the test's thread; an app given ``search_indexer="inprocess"`` is woken and waited
    for (it must be running, e.g. inside a TestClient block)."""
    import time

    from sqlalchemy import func, select

    from .content import SearchOutbox

    rt = app.state.rse
    if rt.indexer is None and rt.search is not None:
        from .search.indexer import build_if_empty, drain

        with rt.search.writer_lock(wait=True):
            build_if_empty(rt.db, rt.search, rt.plugins)
            drain(rt.db, rt.search)
    deadline = time.monotonic() + timeout
    while True:
        if rt.indexer is not None:
            rt.indexer.wake()
        with rt.db.read() as session:
            left = session.execute(select(func.count()).select_from(SearchOutbox)).scalar_one()
        if left == 0:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"the search outbox still holds {left} entries")
        time.sleep(0.05)
