"""A worker's first searches on an existing index (nothing cached), as a given employee.

    .venv/bin/python bench/first_query.py --data-dir DIR [--user 42]
        [--queries "budget,meeting plan"]

DIR is a data directory of bench/seed_data.py with its search index built (``rse search
reindex``). Prints, for a fresh whoosh backend, each query's first time, then the same query
again (warm). A measurement aid for docs/performance.md ("Search").
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.orm import Session

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from rse_core.identity.models import User  # noqa: E402
from rse_core.permissions import principals_for  # noqa: E402
from rse_core.search.whoosh_backend import WhooshBackend  # noqa: E402


def principals_of(data_dir: Path, user: int) -> frozenset[str]:
    """The employee's read principals and active plugins, as a page computes them."""
    engine = create_engine(f"sqlite:///{data_dir / 'rse.db'}")
    with Session(engine) as session:
        found = principals_for(session, session.get(User, user))
    engine.dispose()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--user", type=int, default=42)
    parser.add_argument("--queries", default="budget,meeting plan")
    args = parser.parse_args()
    principals = principals_of(args.data_dir, args.user)
    started = time.perf_counter()
    backend = WhooshBackend(args.data_dir / "search")
    print(
        f"opened in {(time.perf_counter() - started) * 1000:.1f} ms, {len(principals)} principals"
    )
    for query in args.queries.split(","):
        timings = []
        for _ in range(2):
            started = time.perf_counter()
            results = backend.search(query, principals)
            timings.append((time.perf_counter() - started) * 1000)
        first, again = timings
        print(f"{query!r}: first {first:.1f} ms, again {again:.1f} ms, {results.total:,} hits")
    backend.close()


if __name__ == "__main__":
    main()
