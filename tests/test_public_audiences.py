"""The public spaces' principals that ``visible()`` reads (``rse_public_audience``, core_0026):
kept equal to the spaces by the database's triggers whatever writes them, filled for an
existing installation by the migration, and read by the statements of a signed-in reader."""

from __future__ import annotations

from sqlalchemy import delete, select, text, update

from rse_core import visible
from rse_core.content import Content
from rse_core.identity.models import Space
from rse_core.permissions import PUBLIC_AUDIENCES, ReadScope
from rse_core.testing import migrate_down, migrate_up, page_statements


def _table(db) -> set[str]:
    with db.read() as session:
        return set(session.scalars(select(PUBLIC_AUDIENCES.c.principal)))


def _public(db) -> set[str]:
    with db.read() as session:
        ids = session.scalars(select(Space.id).where(Space.visibility == "public"))
        return {f"space:{space_id}" for space_id in ids}


def test_every_write_to_the_spaces_keeps_the_table_equal_to_the_public_spaces(rse_app):
    db = rse_app.state.rse.db
    with db.write() as session:
        for n, visibility in enumerate(["public", "private", "secret", "public", "public"]):
            session.add(Space(slug=f"s{n}", name=f"S{n}", visibility=visibility))
    assert _table(db) == _public(db) and len(_public(db)) == 3
    with db.write() as session:  # made private, made public, renamed, removed; in one go
        session.execute(update(Space).where(Space.slug == "s0").values(visibility="private"))
        session.execute(update(Space).where(Space.slug == "s1").values(visibility="public"))
        session.execute(update(Space).where(Space.slug == "s3").values(name="Renamed"))
        session.execute(delete(Space).where(Space.slug == "s4"))
    assert _table(db) == _public(db) == {f"space:{i}" for i in _ids(db, "s1", "s3")}
    with db.write() as session:  # a bulk change, as an admin script would make it
        session.execute(update(Space).values(visibility="secret"))
    assert _table(db) == set()
    with db.write() as session:  # a write that fails leaves the table as it was
        session.execute(update(Space).values(visibility="public"))
        session.rollback()
    assert _table(db) == set()


def _ids(db, *slugs: str) -> list[int]:
    with db.read() as session:
        return list(session.scalars(select(Space.id).where(Space.slug.in_(slugs))))


def test_the_migration_fills_the_table_for_an_existing_installation(rse_app):
    db = rse_app.state.rse.db
    migrate_down(rse_app, "core_0025")  # as before: no table, no triggers
    with db.engine.execution_options(rse_write=True).begin() as connection:
        connection.execute(
            text(
                "INSERT INTO rse_space (slug, name, description, visibility, join_policy, "
                "created_at) VALUES ('old', 'Old', '', 'public', 'open', CURRENT_TIMESTAMP), "
                "('hush', 'Hush', '', 'secret', 'request', CURRENT_TIMESTAMP)"
            )
        )
    migrate_up(rse_app)
    assert _table(db) == _public(db) == {f"space:{i}" for i in _ids(db, "old")}


def test_a_signed_in_readers_statements_read_the_table_not_every_public_space(rse_app, client):
    """On both databases the home page's statements compare audiences with the reader's own
    principals and the table, never with a list naming the public spaces (on PostgreSQL that
    list cost ~1 ms a statement to parse and plan: see ``audience_in``); a scope without
    ``own`` (a space's reads, ``within_spaces``) compares its few values as before."""
    from sqlalchemy import event

    db = rse_app.state.rse.db
    with db.write() as session:
        session.add_all(Space(slug=f"p{n}", name=f"P{n}", visibility="public") for n in range(30))
    public = _public(db)
    sent: list[str] = []

    def record(_conn, _cursor, statement, parameters, *_args) -> None:
        values = parameters.values() if isinstance(parameters, dict) else parameters or ()
        sent.extend(str(value) for value in values)

    client.get("/")
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        statements = page_statements(rse_app, client, "/")
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert any("rse_public_audience" in s for s in statements), statements
    named = [v for v in sent if sum(f'"{principal}"' in v for principal in public) > 1]
    assert named == [] and any('"everyone"' in v for v in sent)  # own sent, not the public
    scope = ReadScope({"everyone", "space:1"}, {"feed"}, own={"everyone"})
    assert scope == {"everyone", "space:1"} and scope.own == {"everyone"}
    with db.read() as session:
        query = select(Content.id).where(visible(Content.audience, ReadScope({"everyone"}, ())))
        assert "rse_public_audience" not in str(query.compile(session.get_bind()))
    assert len(public) == 30
