"""Statements built once and run with each reader's values (``ScopeParameter``): they show
what the statement built for the reader shows, and they are kept per form, not per reader."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from rse_core import ScopeParameter, visible
from rse_core.activity import _walk, stream
from rse_core.content import Content
from rse_core.identity.models import Space
from rse_core.permissions import ReadScope
from tests.conftest import share

MANY = [f"space:{n}" for n in range(9_000, 9_150)]  # more than sql_sets.LARGE_SET


def _scopes(public: list[str], member: str) -> list[ReadScope]:
    """Scopes of every form a reader's can take: with and without ``own`` (the public
    spaces then read from their table), a rollout rule or none, small and large sets."""
    own = {"everyone", "user:1", member}
    return [
        ReadScope({*own, *public}, {"example"}, own=own),
        ReadScope({*own, *public}, None, own=own),
        ReadScope({*own, *public, *MANY}, {"example"}, own={*own, *MANY}),
        ReadScope({*own, *public}, {"example"}),
        ReadScope({*own, *public, *MANY}, None),
        ReadScope({"everyone"}, ()),
        ReadScope(set(), {"example"}),
    ]


@pytest.fixture
def items(rse_app, rse_user, rse_client_for):
    """Items for everyone, in a public and a private space, and private to one person."""
    rse_user("ann")
    ann = rse_client_for("ann")
    ann.post("/api/v1/spaces", json={"name": "Open", "slug": "open", "visibility": "public"})
    ann.post("/api/v1/spaces", json={"name": "HR", "slug": "hr", "visibility": "private"})
    from rse_core.testing import enable

    enable(rse_app, "example")
    share(rse_app, "ann", "company")
    share(rse_app, "ann", "open", space="open")
    share(rse_app, "ann", "hr", space="hr")
    with rse_app.state.rse.db.read() as session:
        spaces = {s.slug: s.principal for s in session.scalars(select(Space))}
    return spaces


def test_a_statement_built_once_shows_what_one_built_for_the_reader_shows(rse_app, items):
    db = rse_app.state.rse.db
    for scope in _scopes([items["open"]], items["hr"]) + _scopes([items["open"]], "space:404"):
        parameter = ScopeParameter.of(scope)
        built_once = select(Content.title).where(visible(Content.audience, parameter))
        for_reader = select(Content.title).where(visible(Content.audience, scope))
        with db.read() as session:
            once = set(session.scalars(built_once, parameter.values(scope)))
            direct = set(session.scalars(for_reader))
        assert once == direct, scope
    with db.read() as session:  # the two meet the data: not both empty
        mine = _scopes([items["open"]], items["hr"])[0]
        assert {e.content.title for e in stream(session, mine)} == {"company", "open", "hr"}
        public = ReadScope({"everyone", "user:1", items["open"]}, {"example"}, own={"everyone"})
        assert {e.content.title for e in stream(session, public)} == {"company", "open"}


def test_stream_statements_are_kept_per_form_not_per_reader(rse_app, items):
    db = rse_app.state.rse.db
    with db.read() as session:
        stream(session, ReadScope({"everyone"}, {"example"}, own={"everyone"}), fold=True)
        kept = _walk.cache_info().currsize
        for user_id in range(2, 40):  # readers of one form, each with their own values
            own = {"everyone", f"user:{user_id}", items["hr"]}
            scope = ReadScope({*own, items["open"]}, {"example"}, own=own)
            titles = {e.content.title for e in stream(session, scope, fold=True)}
            assert titles == {"company", "open", "hr"}
            own = {"everyone", f"user:{user_id}"}
            outsider = ReadScope({*own, items["open"]}, {"example"}, own=own)
            titles = {e.content.title for e in stream(session, outsider, fold=True)}
            assert titles == {"company", "open"}
    assert _walk.cache_info().currsize <= kept + 1
