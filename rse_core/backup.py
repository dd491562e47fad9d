"""``rse backup PATH`` and ``rse restore PATH``: a whole installation, taken while it serves.

A backup is a folder: ``rse.db`` (SQLite, through SQLite's online backup API: one consistent
snapshot, taken under a read transaction that writers in WAL mode never wait for) or
``rse.dump`` (PostgreSQL, ``pg_dump`` in its custom format: one consistent snapshot too),
then ``data/``, the data directory's other files (uploaded files' bytes, the secret key that
signs sessions, tokens and links), copied *after* the snapshot so that every file the
snapshot names is there, and ``rse-backup.json``, what the backup holds. The search index is
not in it: it is rebuilt from the database after a restore, as after any start with an
outdated index.

A restore goes into a stopped installation: it refuses one that holds people unless told to
replace them, puts the database and the files back, drops the search index, and migrates (a
backup of an older version is upgraded like any database).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import column, func, inspect, select, table
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from ._version import __version__
from .content import Content
from .db import utcnow
from .identity.models import User
from .runtime import Runtime
from .settings import Settings

MANIFEST = "rse-backup.json"
SQLITE_FILE = "rse.db"
DUMP_FILE = "rse.dump"
DATA = "data"
#: In the data directory but not backed up: the database (copied by its own means) and the
#: search index (rebuilt from the database).
SKIPPED = ("rse.db", "rse.db-wal", "rse.db-shm", "rse.db-journal", "search", "*.lock", "tmp")


class BackupError(RuntimeError):
    """A backup or a restore that cannot be done; the message says why."""


@dataclass(frozen=True)
class Manifest:
    """What a backup holds."""

    rse_version: str
    created_at: str
    database: str  # "sqlite" or "postgresql"
    migrations: list[str]
    users: int
    items: int


def backup(rt: Runtime, target: Path) -> Manifest:
    """Back up the installation of ``rt`` into the new folder ``target`` while it serves."""
    target = Path(target)
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} is not empty: back up into a new folder.")
    target.mkdir(parents=True, exist_ok=True)
    settings = rt.settings
    if settings.is_sqlite:
        _sqlite_snapshot(_sqlite_path(settings), target / SQLITE_FILE)
        kind = "sqlite"
    else:
        _pg_dump(settings.database_url, target / DUMP_FILE)
        kind = "postgresql"
    shutil.copytree(
        settings.data_dir,
        target / DATA,
        ignore=shutil.ignore_patterns(*SKIPPED),
        dirs_exist_ok=True,
    )
    with rt.db.read() as session:
        manifest = Manifest(
            rse_version=__version__,
            created_at=utcnow().isoformat(),
            database=kind,
            migrations=_heads(session),
            users=session.scalar(select(func.count(User.id))) or 0,
            items=session.scalar(select(func.count(Content.id))) or 0,
        )
    (target / MANIFEST).write_text(json.dumps(asdict(manifest), indent=2) + "\n")
    return manifest


def read_manifest(source: Path) -> Manifest:
    """The manifest of the backup folder ``source`` (BackupError if it is none)."""
    path = Path(source) / MANIFEST
    if not path.is_file():
        raise BackupError(f"{source} is not an rse backup (no {MANIFEST}).")
    return Manifest(**json.loads(path.read_text()))


def restore(settings: Settings, source: Path, *, replace: bool = False) -> Manifest:
    """Put the backup ``source`` back into the (stopped) installation of ``settings``; an
    installation that holds people is replaced only with ``replace``. The caller migrates
    and starts it."""
    source = Path(source)
    manifest = read_manifest(source)
    expected = "sqlite" if settings.is_sqlite else "postgresql"
    if manifest.database != expected:
        raise BackupError(
            f"This backup is of a {manifest.database} database; this installation uses "
            f"{expected}: restore it into a {manifest.database} installation, or move the data"
            " with rse export and rse import."
        )
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if not replace and _holds_people(settings):
        raise BackupError(
            "This installation holds people already: restore into an empty one, or pass "
            "--replace to overwrite it."
        )
    data_dir = settings.data_dir
    if settings.is_sqlite:
        database = _sqlite_path(settings)
        for leftover in ("-wal", "-shm", "-journal"):
            Path(f"{database}{leftover}").unlink(missing_ok=True)
        _sqlite_snapshot(source / SQLITE_FILE, database)
    else:
        _pg_restore(settings.database_url, source / DUMP_FILE)
    shutil.copytree(source / DATA, data_dir, dirs_exist_ok=True)
    shutil.rmtree(data_dir / "search", ignore_errors=True)  # rebuilt from the database
    return manifest


def _sqlite_path(settings: Settings) -> Path:
    database = make_url(settings.database_url).database
    if not database:
        raise BackupError("An in-memory database cannot be backed up.")
    return Path(database)


def _sqlite_snapshot(source: Path, target: Path) -> None:
    """Copy an SQLite database page by page in one read transaction (consistent even while
    others write), then check the copy."""
    if not source.is_file():
        raise BackupError(f"No database at {source}.")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)  # every page in one step: one snapshot
        (verdict,) = dst.execute("PRAGMA integrity_check").fetchone()
        if verdict != "ok":
            raise BackupError(f"The copy of the database is damaged: {verdict}")
    finally:
        dst.close()
        src.close()


def _libpq(url: str) -> tuple[str, str | None]:
    """The server URL for libpq's tools (no driver, no options) and the schema its
    ``search_path`` option names, if any."""
    parsed = make_url(url)
    options = parsed.query.get("options", "")
    text = options if isinstance(options, str) else " ".join(options)
    schema = None
    for part in text.split():
        if part.startswith("-csearch_path="):
            schema = part.split("=", 1)[1].split(",")[0]
    plain = parsed.set(drivername="postgresql").difference_update_query(["options"])
    return plain.render_as_string(hide_password=False), schema


def _run(command: list[str]) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is missing: install PostgreSQL's client tools.")
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip()[-500:]}")


def _pg_dump(url: str, target: Path) -> None:
    server, schema = _libpq(url)
    command = ["pg_dump", "--format=custom", "--no-owner", f"--file={target}", server]
    if schema:
        command.insert(1, f"--schema={schema}")
    _run(command)


def _pg_restore(url: str, source: Path) -> None:
    server, _schema = _libpq(url)
    _create_extensions(url)
    _run(["pg_restore", "--clean", "--if-exists", "--no-owner", f"--dbname={server}", str(source)])


def _create_extensions(url: str) -> None:
    """The extensions the schema's indexes use (``pg_trgm``, migration core_0028), created
    as its migration does: a backup of one schema (``--schema``) names them without creating
    them, and the database restored into may be new."""
    from sqlalchemy import create_engine
    from sqlalchemy.exc import DBAPIError

    from .db import POSTGRES_EXTENSIONS

    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            for statement in POSTGRES_EXTENSIONS:
                connection.exec_driver_sql(statement)
    except DBAPIError as exc:
        raise BackupError(
            f"Could not create PostgreSQL's pg_trgm extension in the database restored into"
            f" ({str(exc.orig).strip()}): have an administrator run"
            " 'CREATE EXTENSION pg_trgm SCHEMA public;' in it, then restore again."
        ) from exc
    finally:
        engine.dispose()


def _holds_people(settings: Settings) -> bool:
    from .db import Database

    db = Database(settings.database_url)
    try:
        with db.read() as session:
            if "rse_user" not in inspect(session.connection()).get_table_names():
                return False
            return bool(session.scalar(select(func.count(User.id))))
    finally:
        db.dispose()


def _heads(session: Session) -> list[str]:
    """The migration heads of the core and every plugin (each its own version table)."""
    heads = []
    for name in sorted(inspect(session.connection()).get_table_names()):
        if name.startswith("alembic_version"):
            query = select(column("version_num")).select_from(table(name))
            heads += list(session.scalars(query))
    return sorted(heads)
