"""Migrations: per-component histories, idempotent upgrades, existing databases."""

from __future__ import annotations

import warnings
from dataclasses import replace

from sqlalchemy import text

from rse_core import migrate
from rse_core.app import create_runtime
from rse_core.testing import make_settings


def test_upgrade_is_idempotent_and_reports_heads(tmp_path):
    rt = create_runtime(make_settings(tmp_path / "var"))
    first = migrate.upgrade(rt.db, rt.plugins)
    second = migrate.upgrade(rt.db, rt.plugins)
    assert first == second
    assert first["core"] == ("core_0029",) and first["example"] == ("example_0003",)
    assert migrate.pending(rt.db, rt.plugins) == []
    rt.db.dispose()


def test_plugin_installed_later_is_migrated_on_an_existing_database(tmp_path):
    settings = make_settings(tmp_path / "var")
    without = create_runtime(replace(settings, load_entry_points=False))
    migrate.upgrade(without.db, without.plugins)
    with without.db.write() as session:
        session.execute(text("INSERT INTO rse_meta (key, value) VALUES ('kept', 'yes')"))
    without.db.dispose()

    with_example = create_runtime(settings)
    assert "example" in migrate.pending(with_example.db, with_example.plugins)
    migrate.upgrade(with_example.db, with_example.plugins)
    with with_example.db.read() as session:
        assert session.execute(text("SELECT value FROM rse_meta")).scalar_one() == "yes"
        assert session.execute(text("SELECT count(*) FROM example_greeting")).scalar_one() == 0
    with_example.db.dispose()


def test_an_uninstalled_plugins_history_does_not_block_migrations(tmp_path):
    settings = make_settings(tmp_path / "var")
    rt = create_runtime(settings)
    migrate.upgrade(rt.db, rt.plugins)
    rt.db.dispose()
    # The plugin is gone (load_entry_points=False stands for its uninstalled distribution).
    gone = create_runtime(replace(settings, load_entry_points=False))
    assert migrate.upgrade(gone.db, gone.plugins)["core"]
    with gone.db.read() as session:  # its data stays
        assert session.execute(text("SELECT count(*) FROM example_greeting")).scalar_one() == 0
    gone.db.dispose()


def test_core_models_and_migrations_agree(tmp_path):
    """No table, column or index of the core exists only in the models or only in the
    migrations (alembic's autogenerate sees nothing to do)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    import rse_core.models  # noqa: F401
    from rse_core.db import Base

    rt = create_runtime(make_settings(tmp_path / "var", load_entry_points=False))
    migrate.upgrade(rt.db, rt.plugins)
    core_tables = {name for name in Base.metadata.tables if name.startswith("rse_")}
    with rt.db.engine.connect() as connection, warnings.catch_warnings():
        # SQLite's reflection cannot read an expression index (lower(subject)); PostgreSQL's
        # run of this test compares it.
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based")
        warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expression")
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = [
            d
            for d in compare_metadata(context, Base.metadata)
            if _table_of(d) in core_tables
            or (_table_of(d) is None and not str(d).count("alembic_version"))
        ]
    rt.db.dispose()
    assert diff == []


def _table_of(change):
    item = change[0] if isinstance(change, list) else change
    for part in item[1:]:
        name = getattr(part, "name", None)
        table = getattr(part, "table", None)
        if table is not None:
            return table.name
        if name and hasattr(part, "columns"):
            return name
    return None


def test_core_0008_unmarks_items_never_edited(rse_app):
    """Items written before the fix had times microseconds apart; core_0008 equalises them
    for items with no update activity, and leaves edited ones alone."""
    from datetime import timedelta

    from rse_core.content import Content, publish, update
    from rse_core.identity.models import User
    from rse_core.testing import add_user, migrate_down, migrate_up

    add_user(rse_app, "ann")
    db = rse_app.state.rse.db
    with db.write() as session:
        ann = session.query(User).filter_by(username="ann").one()
        common = {"plugin": "example", "type": "example.greeting", "author": ann, "url": "/x"}
        never = publish(session, title="never", **common)
        edited = publish(session, title="edited", **common)
        session.flush()
        update(session, edited, ann, title="edited!")
        never.updated_at = never.created_at + timedelta(microseconds=7)  # as the old code did
        ids = never.id, edited.id
    migrate_down(rse_app, "core_0007")
    migrate_up(rse_app)  # core_0008, and the later ones the model reads
    with db.read() as session:
        never, edited = (session.get(Content, i) for i in ids)
        assert never.updated_at == never.created_at
        assert edited.updated_at > edited.created_at


def test_core_0018_computes_the_expertise_of_an_existing_installation(rse_app):
    """Tagged items written before expertise existed: the migration queues a rebuild, which
    the next worker runs with every plugin's evidence."""
    from sqlalchemy import select

    from rse_core.expertise import Expertise
    from rse_core.jobs.models import JobRow
    from rse_core.testing import add_user, migrate_down, migrate_up, run_jobs
    from tests.conftest import share

    add_user(rse_app, "ann")
    share(rse_app, "ann", "a note", tags=["kubernetes"])
    db = rse_app.state.rse.db
    migrate_down(rse_app, "core_0017")  # as before expertise: no tables
    migrate_up(rse_app)
    with db.read() as session:
        assert session.scalars(select(JobRow.name)).all() == ["core.expertise_rebuild"]
        assert session.scalars(select(Expertise)).all() == []
    assert run_jobs(rse_app) == 1
    with db.read() as session:
        assert [(r.tag, r.kind, r.count) for r in session.scalars(select(Expertise))] == [
            ("kubernetes", "example.greeting", 1)
        ]
