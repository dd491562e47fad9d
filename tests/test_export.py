"""``rse export`` and ``rse import`` (#18): the demo installation, exported from SQLite and
imported into an empty one (PostgreSQL in the PostgreSQL run), is the same item by item, row
by row (but what is left out on purpose), blob by blob; people sign in again and find their
pages; every table of every installed plugin is declared; bad input changes nothing."""

from __future__ import annotations

import json
import subprocess

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from rse_core.db import Base
from rse_core.demo import load_demo
from rse_core.export import ExportError, declared_tables, export, import_
from rse_core.identity.accounts import get_user, set_password
from rse_core.identity.models import User
from rse_core.testing import TEST_PASSWORD, build_app, login, make_settings
from tests.conftest import VENV_BIN, cli_env


@pytest.fixture
def demo_app(tmp_path):
    """The demo installation, always on SQLite (the export's source)."""
    settings = make_settings(
        tmp_path / "source", database_url=f"sqlite:///{tmp_path / 'source.db'}"
    )
    app = build_app(settings)
    load_demo(app.state.rse, actor="test")
    yield app
    app.state.rse.close()


def rows_of(app, table_name, left_out):
    table = Base.metadata.tables[table_name]
    columns = [c for c in table.columns if c.name not in left_out]
    order = list(table.primary_key.columns) or columns
    with app.state.rse.db.read() as session:
        return [dict(r) for r in session.execute(select(*columns).order_by(*order)).mappings()]


def test_the_demo_round_trips_row_by_row_and_blob_by_blob(demo_app, rse_app_factory, tmp_path):
    exported = export(demo_app.state.rse, tmp_path / "export")
    target = rse_app_factory()  # empty; PostgreSQL in the PostgreSQL run
    imported = import_(target.state.rse, tmp_path / "export")
    assert (imported.people, imported.rows, imported.blobs) == (
        exported.people,
        exported.rows,
        exported.blobs,
    )
    assert exported.people >= 8 and exported.blobs >= 5 and exported.undeclared == []
    manifest = json.loads((tmp_path / "export" / "manifest.json").read_text())
    compared = 0
    for entry in manifest["tables"]:
        before = rows_of(demo_app, entry["table"], entry["left_out"])
        after = rows_of(target, entry["table"], entry["left_out"])
        assert after == before, entry["table"]
        compared += len(before)
    assert compared == exported.rows > 1000
    for line in (tmp_path / "export" / "tables" / "rse_user.jsonl").read_text().splitlines():
        assert "password_hash" not in json.loads(line)
    # Blob by blob: every stored file downloads with the same bytes.
    source = demo_app.state.rse.plugins.per_plugin(
        "rse_export_blobs", settings=demo_app.state.rse.settings
    )
    copies = dict(
        target.state.rse.plugins.per_plugin("rse_export_blobs", settings=target.state.rse.settings)
    )
    for plugin, blobs in source:
        with demo_app.state.rse.db.read() as session:
            keys = list(blobs.keys(session))
        assert keys
        for key in keys:
            assert b"".join(copies[plugin].read(key)) == b"".join(blobs.read(key))
    # People sign in again (a new password: hashes are not carried) and find the same pages.
    with target.state.rse.db.write() as session:
        set_password(session, get_user(session, "bruno"), TEST_PASSWORD)
        set_password(session, get_user(session, "alice"), TEST_PASSWORD)
    with demo_app.state.rse.db.write() as session:
        set_password(session, get_user(session, "bruno"), TEST_PASSWORD)
    with TestClient(demo_app) as old, TestClient(target) as new:
        login(old, "bruno")
        login(new, "bruno")
        for path in ("/wiki/company/welcome", "/files", "/ideas", "/events", "/qa"):
            was, now = old.get(path), new.get(path)
            assert now.status_code == was.status_code == 200, path
        # New rows take new ids after the imported ones (PostgreSQL's sequences follow).
        login(new, "alice")
        created = new.post("/api/v1/feed/posts", json={"body": "after the move"})
        assert created.status_code == 201, created.text


def test_every_table_of_every_installed_plugin_is_declared(rse_app):
    declared = declared_tables(rse_app.state.rse)
    assert set(Base.metadata.tables) <= set(declared), set(Base.metadata.tables) - set(declared)
    for _plugin, table in declared.values():
        assert not table.skip or table.why, table.name


def test_bad_exports_and_a_full_installation_are_refused_and_change_nothing(
    demo_app, rse_app_factory, tmp_path
):
    with pytest.raises(ExportError, match="not an rse export"):
        import_(rse_app_factory().state.rse, tmp_path)
    export(demo_app.state.rse, tmp_path / "export")
    with pytest.raises(ExportError, match="not empty"):
        export(demo_app.state.rse, tmp_path / "export")
    with pytest.raises(ExportError, match="holds people already"):
        import_(demo_app.state.rse, tmp_path / "export")
    broken = tmp_path / "export" / "tables" / "wiki_revision.jsonl"
    broken.write_text(broken.read_text() + "{not json\n")
    target = rse_app_factory()
    with pytest.raises(ExportError, match=r"wiki_revision\.jsonl, line"):
        import_(target.state.rse, tmp_path / "export")
    with target.state.rse.db.read() as session:  # one transaction: nothing half-imported
        assert session.scalar(select(func.count(User.id))) == 0


@pytest.mark.slow  # spawns rse processes
def test_the_commands_export_and_import_the_demo(tmp_path):
    def rse(env, *args):
        return subprocess.run(
            [str(VENV_BIN / "rse"), *args], env=env, capture_output=True, text=True, timeout=300
        )

    source = cli_env(tmp_path / "source")
    target = cli_env(tmp_path / "target")
    assert rse(source, "demo").returncode == 0
    out = rse(source, "export", str(tmp_path / "export"))
    assert out.returncode == 0, out.stderr
    assert "exported 8 people" in out.stdout
    out = rse(target, "import", str(tmp_path / "export"))
    assert out.returncode == 0, out.stderr
    assert "imported 8 people" in out.stdout
    again = rse(target, "import", str(tmp_path / "export"))
    assert again.returncode != 0 and "holds people already" in again.stderr
