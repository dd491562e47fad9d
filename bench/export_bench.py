"""Benchmark: ``rse export`` and ``rse import`` of a large installation.

    .venv/bin/python bench/export_bench.py [--activities 1000000] [--postgres URL]

It builds bench/stream_bench.py's SQLite database (10,000 users, 500 spaces, ``--activities``
activities with their items, comments and likes), then times, in this process, the export
(one snapshot, every table as JSON Lines) and the import into an empty installation: SQLite,
and with ``--postgres`` a fresh schema of that server too. Reports rows, the export's size,
seconds and rows per second.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import stream_bench  # noqa: E402


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activities", type=int, default=1_000_000)
    parser.add_argument("--postgres", default="", help="a server URL: also import into it")
    args = parser.parse_args()

    from rse_core import migrate
    from rse_core.app import create_runtime
    from rse_core.export import export, import_
    from rse_core.testing import fresh_postgres_schema, make_settings

    with tempfile.TemporaryDirectory(prefix="rse-export-bench-") as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        stream_bench.build(root / "source", args.activities)
        print(f"built {args.activities:,} activities in {time.perf_counter() - started:.0f} s")
        source = create_runtime(make_settings(root / "source"))
        started = time.perf_counter()
        summary = export(source, root / "export")
        seconds = time.perf_counter() - started
        source.close()
        size = _size(root / "export") / 1e6
        print("| step | rows | seconds | rows/s | size |")
        print("|---|---:|---:|---:|---:|")
        print(
            f"| export (SQLite) | {summary.rows:,} | {seconds:.1f} | "
            f"{summary.rows / seconds:,.0f} | {size:.0f} MB |"
        )
        targets = [("SQLite", make_settings(root / "target"))]
        if args.postgres:
            url = fresh_postgres_schema(args.postgres)
            targets.append(("PostgreSQL", make_settings(root / "pg", database_url=url)))
        for name, settings in targets:
            rt = create_runtime(settings)
            migrate.upgrade(rt.db, rt.plugins)
            started = time.perf_counter()
            loaded = import_(rt, root / "export")
            seconds = time.perf_counter() - started
            rt.close()
            print(
                f"| import into {name} | {loaded.rows:,} | {seconds:.1f} | "
                f"{loaded.rows / seconds:,.0f} | |"
            )


if __name__ == "__main__":
    main()
