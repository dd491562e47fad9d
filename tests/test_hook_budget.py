"""Hook calls a page makes are counted and bounded (#13): the home page of the demo, with
every plugin enabled, calls each page hook at most once per plugin implementing it, and each
per-entry hook at most once per entry and implementing plugin. A plugin that calls a hook in a
loop, or a core change that renders an entry twice, fails here."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import event
from starlette.testclient import TestClient

from rse_core.demo import load_demo
from rse_core.identity.accounts import get_user, set_password
from rse_core.testing import TEST_PASSWORD, build_app, login, make_settings, page_statements

PER_PAGE = {
    "rse_nav_items",
    "rse_home_widgets",
    "rse_prepare_entries",
    "rse_stream_composer",
}
PER_ENTRY = {"rse_render_activity", "rse_item_actions", "rse_item_attachments"}


@pytest.fixture(scope="module")
def rse_app(tmp_path_factory):
    """One app with the demo for the module, in place of the kit's one per test (loading it
    takes seconds; the tests only read, but for a tag bruno follows)."""
    app = build_app(make_settings(tmp_path_factory.mktemp("demo") / "var"))
    rt = app.state.rse
    load_demo(rt, actor="test")
    with rt.db.write() as session:
        set_password(session, get_user(session, "bruno"), TEST_PASSWORD)
    yield app
    rt.close()


@pytest.fixture
def bruno_on_the_demo(rse_app):
    """A client signed in as bruno through the form, whose first home page filled the
    worker's caches."""
    with TestClient(rse_app) as client:
        login(client, "bruno")
        client.get("/")
        yield client


def test_the_home_page_calls_each_hook_a_bounded_number_of_times(rse_app, bruno_on_the_demo):
    rt = rse_app.state.rse
    before = Counter(rt.plugins.calls)
    page = bruno_on_the_demo.get("/")
    calls = Counter(rt.plugins.calls) - before
    entries = page.text.count('class="card entry"')
    assert entries == 20

    def implementers(hook: str) -> int:
        return len(getattr(rt.plugins.pm.hook, hook).get_hookimpls())

    unexpected = set(calls) - PER_PAGE - PER_ENTRY
    assert not unexpected, f"hooks the home page did not call before: {unexpected}"
    for hook in PER_PAGE:
        assert calls[hook] <= implementers(hook), (hook, calls[hook])
    for hook in PER_ENTRY:
        assert calls[hook] <= entries * implementers(hook), (hook, calls[hook])
    # Each entry is rendered by its own plugin only, once.
    assert calls["rse_render_activity"] <= entries
    assert sum(calls.values()) <= 60, calls  # 58 on 2026-12-06: raise it knowingly


def test_the_home_page_reads_in_one_session(rse_app, bruno_on_the_demo):
    """The page's reads (stream, widgets, bell, pinned items: eleven sessions before) share
    one connection checkout, the sign-in's lookup another."""
    engine = rse_app.state.rse.db.engine
    checkouts: list[object] = []

    def counted(*args: object) -> None:
        # A search indexer's thread (test apps run none unless asked) is not the page's.
        if not threading.current_thread().name.startswith("rse-"):
            checkouts.append(args)

    event.listen(engine, "checkout", counted)
    try:
        page = bruno_on_the_demo.get("/")
    finally:
        event.remove(engine, "checkout", counted)
    assert page.status_code == 200 and page.text.count('class="card entry"') == 20
    assert len(checkouts) <= 2, len(checkouts)


def test_the_home_page_runs_a_bounded_number_of_statements(rse_app, bruno_on_the_demo):
    """Every plugin's widget and entries: each statement is ~0.2 ms on SQLite and a round trip
    on PostgreSQL, so their number is the page's floor. 25 here, where the week's tallies
    (trending tags, most bookmarked, most praised) are counted on every page (tests keep
    nothing: ``shared_seconds=0``); 29 before the "share in" menu's spaces were kept by the
    worker and the blog and Q&A widgets read their authors' names with their rows
    (2026-12-07)."""
    statements = page_statements(rse_app, bruno_on_the_demo, "/")
    assert len(statements) <= 25, "\n".join(statements)


def test_what_the_reader_follows_is_read_once_a_page(rse_app, bruno_on_the_demo):
    """The stream's "following" filter and the questions widget both ask what the reader
    follows: one read of the page's session answers both (``rse_core.db.once_per_read``)."""
    from rse_core.social import follow

    rt = rse_app.state.rse
    with rt.db.write() as session:
        follow(session, get_user(session, "bruno"), "tag:onboarding")
    statements = page_statements(rse_app, bruno_on_the_demo, "/?following=1")
    assert sum("FROM rse_follow" in s for s in statements) == 1, "\n".join(statements)


def test_a_space_page_reads_its_space_once(rse_app, bruno_on_the_demo):
    """The space's page and its stream both look the space up by its slug: one read of the
    page's session answers both (a statement is a round trip on PostgreSQL)."""
    statements = page_statements(rse_app, bruno_on_the_demo, "/spaces/kubernetes-guild")
    by_slug = [s for s in statements if "WHERE rse_space.slug = " in s]
    assert len(by_slug) == 1, "\n".join(statements)
    page = bruno_on_the_demo.get("/spaces/kubernetes-guild")
    assert page.status_code == 200 and "Kubernetes" in page.text
