"""``rse export PATH`` and ``rse import PATH``: all of a company's data as documented JSON Lines
plus blobs, readable without rse and loadable into an empty installation of any database kind.

Layout of an export (docs/export.md)::

    manifest.json                 format, versions, and per table: plugin, columns, rows
    tables/<table>.jsonl          one JSON object per row, ids kept, ordered by primary key
    blobs/<plugin>/<key>          the bytes a plugin keeps beside the database

Every plugin names its tables through ``rse_export_tables`` (secrets left out column by
column, sessions and queues skipped); its blobs through ``rse_export_blobs``. The rows are read
in one snapshot. Import goes into an empty installation, in foreign-key order, in one
transaction: a failure leaves it as it was.
"""

from __future__ import annotations

import base64
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy import Table, TypeDecorator, delete, func, inspect, select, update
from sqlalchemy.orm import Session

from . import models  # noqa: F401  (every core table on the metadata)
from ._version import __version__
from .db import Base
from .hooktypes import BlobSource, ExportTable
from .identity.models import User
from .runtime import Runtime

FORMAT = "rse-export"
VERSION = 1
MANIFEST = "manifest.json"
BATCH = 500


class ExportError(RuntimeError):
    """An export or an import that cannot be done; the message says why."""


@dataclass
class Summary:
    """What an export or an import carried."""

    tables: int = 0
    rows: int = 0
    blobs: int = 0
    people: int = 0
    skipped: list[str] = field(default_factory=list)
    undeclared: list[str] = field(default_factory=list)


def declared_tables(rt: Runtime) -> dict[str, tuple[str, ExportTable]]:
    """Table name -> (plugin, declaration), from every installed plugin's ``rse_export_tables``."""
    found: dict[str, tuple[str, ExportTable]] = {}
    for plugin, tables in rt.plugins.per_plugin("rse_export_tables"):
        for table in tables:
            if table.name in found:
                raise ExportError(
                    f"{table.name} is declared by {found[table.name][0]} and {plugin}"
                )
            found[table.name] = (plugin, table)
    return found


def _tables(rt: Runtime, session: Session) -> list[Table]:
    """This installation's tables that exist in its database, parents before children."""
    existing = set(inspect(session.connection()).get_table_names())
    return [t for t in Base.metadata.sorted_tables if t.name in existing]


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):  # times are UTC: "2026-12-06T08:18:03+00:00"
        return (value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, Decimal):
        return str(value)
    return value


def _python_type(column: Any) -> type | None:
    kind = column.type
    if isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    try:
        return kind.python_type
    except NotImplementedError:
        return None


def _decode(column: Any, value: Any) -> Any:
    if value is None:
        return None
    kind = _python_type(column)
    if kind is datetime:
        moment = datetime.fromisoformat(value)
        moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
        # UTCDateTime columns take aware times; plain DateTime ones naive UTC.
        return moment if isinstance(column.type, TypeDecorator) else moment.replace(tzinfo=None)
    if kind is date:
        return date.fromisoformat(value)
    if kind is bytes:
        return base64.b64decode(value)
    if kind is Decimal:
        return Decimal(value)
    return value


def _safe_key(key: str) -> PurePosixPath:
    path = PurePosixPath(key)
    if not key or path.is_absolute() or ".." in path.parts or "\\" in key:
        raise ExportError(f"unsafe blob key {key!r}")
    return path


# -- export -----------------------------------------------------------------------------------


def export(rt: Runtime, target: Path) -> Summary:
    """Write every exported table and blob of ``rt``'s installation into the new folder
    ``target`` (an existing empty one will do)."""
    target = Path(target)
    if target.exists() and any(target.iterdir()):
        raise ExportError(f"{target} is not empty: export into a new folder.")
    declared = declared_tables(rt)
    summary = Summary()
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "rse_version": __version__,
        "exported_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "database": "sqlite" if rt.settings.is_sqlite else "postgresql",
        "plugins": sorted(rt.plugins.plugin_names()),
        "tables": [],
        "skipped": [],
        "blobs": {},
    }
    (target / "tables").mkdir(parents=True)
    with rt.db.read() as session:
        if not rt.settings.is_sqlite:  # one snapshot for every table (SQLite's read is one)
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        for table in _tables(rt, session):
            plugin, declaration = declared.get(table.name, (None, ExportTable(table.name)))
            if declaration.skip:
                manifest["skipped"].append(
                    {"table": table.name, "plugin": plugin, "why": declaration.why}
                )
                summary.skipped.append(table.name)
                continue
            if plugin is None:
                summary.undeclared.append(table.name)
            columns = [c for c in table.columns if c.name not in declaration.leave_out]
            rows = _write_table(session, table, columns, target / "tables" / f"{table.name}.jsonl")
            manifest["tables"].append(
                {
                    "table": table.name,
                    "plugin": plugin,
                    "declared": plugin is not None,
                    "rows": rows,
                    "file": f"tables/{table.name}.jsonl",
                    "columns": [{"name": c.name, "type": str(c.type)} for c in columns],
                    "left_out": list(declaration.leave_out),
                }
            )
            summary.tables += 1
            summary.rows += rows
            if table.name == User.__tablename__:
                summary.people = rows
        for plugin, source in rt.plugins.per_plugin("rse_export_blobs", settings=rt.settings):
            count = _write_blobs(session, source, target / "blobs" / plugin)
            manifest["blobs"][plugin] = count
            summary.blobs += count
    manifest["undeclared"] = summary.undeclared
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return summary


def _write_table(session: Session, table: Table, columns: list[Any], path: Path) -> int:
    order = list(table.primary_key.columns) or columns
    query = select(*columns).order_by(*order).execution_options(yield_per=1000)
    rows = 0
    with path.open("w", encoding="utf-8") as out:
        for row in session.execute(query).mappings():
            record = {c.name: _encode(row[c.name]) for c in columns}
            out.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
            rows += 1
    return rows


def _write_blobs(session: Session, source: BlobSource, folder: Path) -> int:
    count = 0
    for key in sorted(set(source.keys(session))):
        path = folder / _safe_key(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as out:
            for chunk in source.read(key):
                out.write(chunk)
        count += 1
    return count


# -- import -----------------------------------------------------------------------------------


def read_manifest(source: Path) -> dict[str, Any]:
    """The export's manifest, checked to be one this version reads."""
    try:
        manifest = json.loads((Path(source) / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise ExportError(f"{source} holds no readable {MANIFEST}: not an rse export.") from exc
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise ExportError(
            f"{source} is not an rse export of version {VERSION} "
            f"(format {manifest.get('format')!r}, version {manifest.get('version')!r})."
        )
    return manifest


def import_(rt: Runtime, source: Path) -> Summary:
    """Load the export ``source`` into ``rt``'s migrated, empty installation."""
    source = Path(source)
    manifest = read_manifest(source)
    summary = Summary()
    with rt.db.write() as session:
        if session.scalar(select(func.count(User.id))):
            raise ExportError(
                "This installation holds people already: import into an empty one "
                "(rse init on a new data directory or database)."
            )
        existing = _tables(rt, session)  # parents before children
        tables = {t.name: t for t in existing}
        wanted = [entry for entry in manifest["tables"] if entry["rows"]]
        missing = [e for e in wanted if e["table"] not in tables]
        if missing:
            names = ", ".join(f"{e['table']} ({e['plugin'] or 'undeclared'})" for e in missing)
            raise ExportError(f"This installation lacks tables the export fills: {names}.")
        for entry in wanted:
            known = {c.name for c in tables[entry["table"]].columns}
            extra = [c["name"] for c in entry["columns"] if c["name"] not in known]
            if extra:
                raise ExportError(
                    f"{entry['table']} has columns this installation does not know: "
                    f"{', '.join(extra)} (upgrade rse and its plugins first)."
                )
        order = {t.name: n for n, t in enumerate(existing)}
        entries = sorted(manifest["tables"], key=lambda e: order.get(e["table"], -1))
        # What ``rse init`` wrote (plugin states, schedules) makes way for the export's.
        for entry in reversed(entries):
            if entry["table"] in tables:
                session.execute(delete(tables[entry["table"]]))
        for entry in entries:
            if entry["table"] not in tables:
                continue
            table = tables[entry["table"]]
            rows = _load_table(session, table, source / entry["file"])
            summary.tables += 1
            summary.rows += rows
            if table.name == User.__tablename__:
                summary.people = rows
        if not rt.settings.is_sqlite:
            _reset_sequences(session, [tables[e["table"]] for e in entries if e["table"] in tables])
    for plugin, blob_source in rt.plugins.per_plugin("rse_export_blobs", settings=rt.settings):
        folder = source / "blobs" / plugin
        if folder.is_dir():
            summary.blobs += _load_blobs(blob_source, folder)
    shutil.rmtree(rt.settings.data_dir / "search", ignore_errors=True)  # rebuilt at start
    return summary


def _records(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            try:
                record = json.loads(line)
            except ValueError as exc:
                raise ExportError(f"{path.name}, line {number}: not JSON.") from exc
            if not isinstance(record, dict):
                raise ExportError(f"{path.name}, line {number}: not a JSON object.")
            yield record


def _load_table(session: Session, table: Table, path: Path) -> int:
    """Insert the rows; a column pointing into the same table (a page's parent) is filled in
    after every row exists, since a parent may come later in id order."""
    columns = {c.name: c for c in table.columns}
    self_refs = [
        c.name for c in table.columns if any(fk.column.table is table for fk in c.foreign_keys)
    ]
    keys = [c.name for c in table.primary_key.columns]
    later: list[dict[str, Any]] = []
    batch: list[dict[str, Any]] = []
    count = 0
    for record in _records(path):
        row = {
            name: _decode(columns[name], value) for name, value in record.items() if name in columns
        }
        if self_refs and any(row.get(name) is not None for name in self_refs):
            later.append({**{k: row[k] for k in keys}, **{n: row[n] for n in self_refs}})
            row.update(dict.fromkeys(self_refs))
        batch.append(row)
        count += 1
        if len(batch) >= BATCH:
            session.execute(table.insert(), batch)
            batch = []
    if batch:
        session.execute(table.insert(), batch)
    for values in later:
        where = [table.c[k] == values[k] for k in keys]
        session.execute(update(table).where(*where).values({n: values[n] for n in self_refs}))
    return count


def _reset_sequences(session: Session, tables: list[Table]) -> None:
    """PostgreSQL: the next id after the imported ones."""
    from sqlalchemy import text

    for table in tables:
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or _python_type(keys[0]) is not int:
            continue
        sequence = session.scalar(
            text("SELECT pg_get_serial_sequence(:table, :column)"),
            {"table": table.name, "column": keys[0].name},
        )
        if sequence:
            session.execute(
                text(
                    f'SELECT setval(:sequence, COALESCE((SELECT MAX("{keys[0].name}") '
                    f'FROM "{table.name}"), 0) + 1, false)'
                ),
                {"sequence": sequence},
            )


def _load_blobs(source: BlobSource, folder: Path) -> int:
    count = 0
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        key = path.relative_to(folder).as_posix()
        _safe_key(key)
        source.write(key, path)
        count += 1
    return count
