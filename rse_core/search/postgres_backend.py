"""The PostgreSQL full-text backend, for installations whose database is PostgreSQL.

Documents live in the application's own database (``rse_search_document``, created by the
core migration ``core_0005``): a ``tsvector`` of English and French analyses (title weighted
A, text B) under a GIN index, queried with ``websearch_to_tsquery`` in both languages (quotes,
``or`` and ``-word`` work). The permission filter is ``audience = ANY(principals)`` in the same
statement, so counts, facets and snippets come only from documents the reader may see. A query
reads at most the newest :data:`SAMPLE` visible matches (walking an index on ``created``):
beyond that, the page says "More than 2,000 results" (``total_capped``), the facets count
those and the page ranks the best of them. Any number of web workers on any number of hosts
search; drains take an advisory lock.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import text

from ..db import Database
from ..permissions import plugins_of
from ..sql_sets import array_sql, array_text, as_array
from .analysis import fold_accents, query_terms, snippet
from .backend import COMPARED, Hit, Results, top_facets
from .documents import Document

#: Matches a query reads at most, newest first: they are counted, faceted and ranked (a common
#: word matches a third of the documents: 708 ms at 1,000,000 to count and rank them all; the
#: cost of a sample grows with its size, not the index's: 2,000 ~28 ms, 5,000 ~38 ms).
SAMPLE = 2_000
LOCK_ID = 0x525345_5345  # "RSE" "SE": the advisory lock of search writers
WORD = re.compile(r"\w{3,40}")

_VECTOR = " || ".join(
    f"setweight(to_tsvector('{language}', :folded_{column}), '{weight}')"
    for column, weight in (("title", "A"), ("text", "B"))
    for language in ("english", "french")
)
_UPSERT = text(
    "INSERT INTO rse_search_document"
    " (key, kind, audience, space, title, url, author, text, created, tsv)"
    f" VALUES (:key, :kind, :audience, :space, :title, :url, :author, :text, :created, {_VECTOR})"
    " ON CONFLICT (key) DO UPDATE SET kind = excluded.kind, audience = excluded.audience,"
    " space = excluded.space, title = excluded.title, url = excluded.url,"
    " author = excluded.author, text = excluded.text, created = excluded.created,"
    " tsv = excluded.tsv"
)
_QUERY = "(websearch_to_tsquery('english', :q) || websearch_to_tsquery('french', :q))"
#: A query's statements run without parallel workers: the walk stops at ``SAMPLE + 1``
#: matches, and the workers PostgreSQL started for it (a Gather Merge of two) nearly doubled
#: it, 101 -> 60 ms for a word in a fifth of 204,844 documents (docs/performance.md).
_ONE_WORKER = "SET LOCAL max_parallel_workers_per_gather = 0"


class PostgresBackend:
    """Index and search documents in PostgreSQL tables of the application's database."""

    def __init__(self, db: Database) -> None:
        if db.engine.dialect.name != "postgresql":
            raise ValueError("the postgres search backend needs a PostgreSQL database")
        self.db = db

    # -- writing ----------------------------------------------------------------------------

    @contextmanager
    def writer_lock(self, *, wait: bool) -> Iterator[bool]:
        """A session-level advisory lock on a connection of its own, for every host."""
        with self.db.engine.connect() as connection:
            if wait:
                connection.execute(text("SELECT pg_advisory_lock(:id)"), {"id": LOCK_ID})
            elif not connection.execute(
                text("SELECT pg_try_advisory_lock(:id)"), {"id": LOCK_ID}
            ).scalar_one():
                connection.rollback()
                yield False
                return
            connection.commit()
            try:
                yield True
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": LOCK_ID})
                connection.commit()

    def write(self, documents: Iterable[Document], delete_keys: Iterable[str] = ()) -> int:
        """Upsert documents and delete keys in one transaction."""
        rows = [_row(d) for d in documents]
        keys = list(delete_keys)
        with self.db.engine.begin() as connection:
            if keys:
                connection.execute(
                    text("DELETE FROM rse_search_document WHERE key = ANY(:keys)"), {"keys": keys}
                )
            self._insert(connection, rows, None)
        return len(rows)

    def rebuild(
        self, documents: Iterable[Document], progress: Callable[[int], Any] | None = None
    ) -> int:
        """Replace every document in one transaction: searches see the old set until it
        commits."""
        count = 0
        with self.db.engine.begin() as connection:
            connection.execute(text("DELETE FROM rse_search_document"))
            batch: list[dict[str, Any]] = []
            for doc in documents:
                batch.append(_row(doc))
                if len(batch) == 1000:
                    count += self._insert(connection, batch, progress)
                    batch = []
            count += self._insert(connection, batch, progress)
        return count

    def _insert(
        self, connection: Any, rows: list[dict[str, Any]], progress: Callable[[int], Any] | None
    ) -> int:
        if rows:
            connection.execute(_UPSERT, rows)
            _add_words(connection, rows)
            if progress is not None:
                progress(len(rows))
        return len(rows)

    # -- reading ----------------------------------------------------------------------------

    def search(
        self,
        text_: str,
        principals: frozenset[str],
        *,
        kind: str | None = None,
        space: str | None = None,
        page: int = 1,
        per_page: int = 20,
    ) -> Results:
        """Hits the reader may see; counts, facets and snippets only ever from those."""
        params: dict[str, Any] = {"q": fold_accents(text_), **_reader(principals)}
        where = [f"tsv @@ {_QUERY}", _visible(principals)]
        if kind:
            where.append("kind = :kind")
            params["kind"] = kind
        if space:
            where.append("space = :space")
            params["space"] = space
        condition = " AND ".join(where)
        with self.db.engine.connect() as connection:
            connection.exec_driver_sql(_ONE_WORKER)
            # One scan of the newest SAMPLE + 1 matches (the one past SAMPLE only says there
            # are more) for the count, the facets and the page (ts_rank, not ts_rank_cd: half
            # the cost at 16,000 matches, measured with EXPLAIN ANALYZE).
            found, groups, page_keys = connection.execute(
                text(
                    "WITH matches AS MATERIALIZED ("
                    f" SELECT key, kind, space, created, ts_rank(tsv, {_QUERY}) AS rank"
                    f" FROM rse_search_document WHERE {condition}"
                    " ORDER BY created DESC LIMIT :sample + 1),"
                    " kept AS MATERIALIZED ("
                    "  SELECT * FROM matches ORDER BY created DESC, key DESC LIMIT :sample)"
                    " SELECT (SELECT count(*) FROM matches),"
                    " (SELECT coalesce(json_agg(f), '[]') FROM"
                    "  (SELECT kind, space, count(*) AS n FROM kept GROUP BY kind, space) f),"
                    " (SELECT coalesce(json_agg(p.key), '[]') FROM"
                    "  (SELECT key FROM kept ORDER BY rank DESC, created DESC, key"
                    "   LIMIT :limit OFFSET :offset) p)"
                ),
                {
                    **params,
                    "limit": per_page,
                    "offset": (page - 1) * per_page,
                    "sample": SAMPLE,
                },
            ).one()
            total = min(found, SAMPLE)
            capped = found > SAMPLE
            facets: dict[str, dict[str, int]] = {"kind": {}, "space": {}}
            for group in groups:
                kind_, space_, n = group["kind"], group["space"], group["n"]
                facets["kind"][kind_] = facets["kind"].get(kind_, 0) + n
                if space_:
                    facets["space"][space_] = facets["space"].get(space_, 0) + n
            facets = {
                "kind": top_facets(facets["kind"], kind),
                "space": top_facets(facets["space"], space),
            }
            hits: list[Hit] = []
            if page_keys:
                rows = connection.execute(
                    text(
                        "SELECT key, kind, title, url, space, author, created, text"
                        " FROM rse_search_document WHERE key = ANY(:keys)"
                    ),
                    {"keys": page_keys},
                ).all()
                order = {key: i for i, key in enumerate(page_keys)}
                terms = query_terms(text_)
                hits = [
                    Hit(key, kind_, title, url, snippet(body, terms), space_, author, created)
                    for key, kind_, title, url, space_, author, created, body in sorted(
                        rows, key=lambda row: order[row[0]]
                    )
                ]
            suggestion = None
            if total == 0 and text_.strip():
                suggestion = self._visible_suggestion(connection, text_, principals)
        next_page = page + 1 if page * per_page < total else None
        return Results(hits, total, facets, suggestion, next_page, total_capped=capped)

    def _visible_suggestion(
        self, connection: Any, query: str, principals: frozenset[str]
    ) -> str | None:
        """Each unknown word replaced by the closest known word sharing its first two letters;
        offered only if the corrected query finds a document this reader may see."""
        folded = fold_accents(query).lower()
        words = WORD.findall(folded)
        if not words:
            return None
        corrected = folded
        for word in words:
            candidates = connection.execute(
                text(
                    "SELECT word FROM rse_search_word WHERE word >= :lo AND word < :hi LIMIT 5000"
                ),
                {"lo": word[:2], "hi": word[:2] + "\uffff"},
            ).scalars()
            pool = list(candidates)
            if word in pool:
                continue
            close = difflib.get_close_matches(word, pool, n=1, cutoff=0.75)
            if close:
                corrected = re.sub(rf"\b{re.escape(word)}\b", close[0], corrected)
        if corrected == folded:
            return None
        visible = connection.execute(
            text(
                f"SELECT 1 FROM rse_search_document WHERE tsv @@ {_QUERY}"
                f" AND {_visible(principals)} LIMIT 1"
            ),
            {"q": corrected, **_reader(principals)},
        ).first()
        return corrected if visible else None

    def count(self) -> int:
        """How many documents the index holds."""
        with self.db.engine.connect() as connection:
            return connection.execute(text("SELECT count(*) FROM rse_search_document")).scalar_one()

    def keys(self) -> dict[str, dict[str, Any]]:
        """Every indexed key with its compared fields (for ``rse search check``)."""
        columns = ", ".join(COMPARED)
        with self.db.engine.connect() as connection:
            rows = connection.execute(
                text(f"SELECT key, {columns} FROM rse_search_document")
            ).mappings()
            return {row["key"]: dict(row) for row in rows}

    def close(self) -> None:
        """Nothing to release: connections belong to the application's engine."""


def _visible(principals: frozenset[str]) -> str:
    """The reader's audience principals, and the plugins whose documents they may see (a
    kind's plugin is its prefix, "feed" for "feed.post"; bare kinds such as "person" are the
    core's). A large set of principals is compared so that the planner does not estimate it
    value by value (``sql_sets``): it then walks the newest matches instead of sorting all."""
    return (
        f"{array_sql('audience', len(principals))} = ANY(CAST(:principals AS TEXT[]))"
        " AND (:all_plugins OR CASE WHEN strpos(kind, '.') > 0"
        " THEN split_part(kind, '.', 1) ELSE 'core' END = ANY(CAST(:plugins AS TEXT[])))"
    )


def _reader(principals: frozenset[str]) -> dict[str, Any]:
    plugins = plugins_of(principals)
    return {
        "principals": array_text(principals),
        "all_plugins": plugins is None,
        "plugins": as_array(plugins or ()),
    }


def _row(doc: Document) -> dict[str, Any]:
    return {
        "key": doc.key,
        "kind": doc.kind,
        "audience": doc.audience,
        "space": doc.space,
        "title": doc.title,
        "url": doc.url,
        "author": doc.author,
        "text": doc.text,
        "folded_title": fold_accents(doc.title),
        "folded_text": fold_accents(doc.text),
        "created": doc.created,
    }


def _add_words(connection: Any, rows: list[dict[str, Any]]) -> None:
    """Remember the written words (lowercased, accents folded, unstemmed) for suggestions."""
    written = " ".join(f"{row['folded_title']} {row['folded_text']}" for row in rows).lower()
    words = set(WORD.findall(written))
    if words:
        connection.execute(
            text(
                "INSERT INTO rse_search_word (word) SELECT unnest(CAST(:words AS text[]))"
                " ON CONFLICT DO NOTHING"
            ),
            {"words": sorted(words)},
        )
