"""Fast matching and BM25 ranking over whoosh segments, for the queries people type.

Whoosh walks its matchers one document at a time in Python: a two-word query matching 30% of
100,000 documents cost ~550 ms. Here each (segment, term) posting list is read once into a dict
``docnum -> BM25 score`` and kept while the segment lives (segments never gain documents, so a
cached list can only hold documents since deleted, and the caller's permission filter, which
is rebuilt when deletions change, drops those). Queries made of terms, AND and OR are then
evaluated with dict operations; for anything else (phrases, NOT, ...) ``supported`` says no and
the caller uses whoosh's own search. Scores use the collection statistics (idf, average length)
of the moment a posting list was read: as the index grows they drift slightly from a fresh
computation, which changes the order of near ties only.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from whoosh.query import And, Or, Query, Term
from whoosh.scoring import bm25

B, K1 = 0.75, 1.2  # whoosh's BM25F defaults
CACHED_POSTINGS = 2_000_000  # per process, ~200 MB at most


class PostingCache:
    """``(segment id, offset, field, term) -> {global docnum: score}`` (and the same for
    AND/OR combinations of terms), least recently used first out; also each segment's field
    lengths and facet columns."""

    def __init__(self, limit: int = CACHED_POSTINGS) -> None:
        self.limit = limit
        self._entries: OrderedDict[tuple[str, int, str, str], dict[int, float]] = OrderedDict()
        self._lengths: dict[str, list[int]] = {}
        self._columns: OrderedDict[tuple[str, str, str], list[str]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def postings(
        self, searcher: Any, reader: Any, offset: int, field: str, text: str
    ) -> dict[int, float]:
        """The term's documents in this segment (global numbers) with their scores."""
        segment = _segment_key(reader)
        # Global numbers depend on the offset, which moves when earlier segments merge.
        return self._cached(
            (segment, offset, field, text),
            lambda: self._read(searcher, reader, offset, segment, field, text),
        )

    def combined(
        self, reader: Any, offset: int, query: str, compute: Callable[[], dict[int, float]]
    ) -> dict[int, float]:
        """An AND or OR of terms in this segment, computed once (segments never change)."""
        return self._cached((_segment_key(reader), offset, "", query), compute)

    def _cached(
        self, key: tuple[str, int, str, str], compute: Callable[[], dict[int, float]]
    ) -> dict[int, float]:
        with self._lock:
            cached = self._entries.get(key)
            if cached is not None:
                self._entries.move_to_end(key)
                return cached
        scores = compute()
        with self._lock:
            self._entries[key] = scores
            self._size += len(scores)
            while self._size > self.limit and len(self._entries) > 1:
                _key, dropped = self._entries.popitem(last=False)
                self._size -= len(dropped)
        return scores

    def _read(
        self, searcher: Any, reader: Any, offset: int, segment: str, field: str, text: str
    ) -> dict[int, float]:
        scores: dict[int, float] = {}
        if (field, text) not in reader:
            return scores
        matcher = reader.postings(field, text)
        if searcher.schema[field].scorable:
            idf = searcher.idf(field, text)
            average = searcher.avg_field_length(field) or 1
            lengths = self._field_lengths(reader, segment, field)
            while matcher.is_active():
                docnum = matcher.id()
                scores[docnum + offset] = bm25(
                    idf, matcher.weight(), lengths[docnum], average, B, K1
                )
                matcher.next()
        else:
            while matcher.is_active():
                scores[matcher.id() + offset] = 0.0
                matcher.next()
        return scores

    def column(self, reader: Any, field: str) -> list[str]:
        """Each document's value of the ID field ``field`` in this segment, by local number."""
        key = (_segment_key(reader), "column", field)
        with self._lock:
            cached = self._columns.get(key)
        if cached is None:
            cached = [""] * reader.doc_count_all()
            for value in reader.field_terms(field):
                matcher = reader.postings(field, value)
                while matcher.is_active():
                    cached[matcher.id()] = value
                    matcher.next()
            with self._lock:
                self._columns[key] = cached
                while len(self._columns) > 256:
                    self._columns.popitem(last=False)
        return cached

    def _field_lengths(self, reader: Any, segment: str, field: str) -> list[int]:
        key = f"{segment}/{field}"
        lengths = self._lengths.get(key)
        if lengths is None:
            lengths = [reader.doc_field_length(d, field) for d in range(reader.doc_count_all())]
            with self._lock:
                self._lengths[key] = lengths
                if len(self._lengths) > 256:
                    self._lengths.pop(next(iter(self._lengths)))
        return lengths


def _segment_key(reader: Any) -> str:
    """A segment's identity: its random name and size (a name alone could repeat)."""
    return f"{reader.segment().segment_id()}/{reader.doc_count_all()}"


def segments(searcher: Any) -> list[tuple[Any, int]]:
    """The searcher's segment readers with their first global document number (an empty
    index has none)."""
    return [(r, offset) for r, offset in searcher.reader().leaf_readers() if r.segment()]


def allowed_documents(searcher: Any, principals: frozenset[str], cache: PostingCache) -> set[int]:
    """Live documents whose audience is one of ``principals`` (global numbers)."""
    docs: set[int] = set()
    for reader, offset in segments(searcher):
        for principal in principals:
            docs.update(cache.postings(searcher, reader, offset, "audience", principal))
        if reader.has_deletions():
            docs.difference_update(d + offset for d in reader.deleted_docs_set)
    return docs


def facet_column(searcher: Any, field: str, cache: PostingCache) -> list[str]:
    """Every document's value of the ID field ``field``, indexed by global number."""
    column: list[str] = []
    for reader, _offset in segments(searcher):
        column.extend(cache.column(reader, field))
    return column


def supported(query: Query) -> bool:
    """True for queries made only of terms, AND and OR."""
    if isinstance(query, Term):
        return query.boost == 1.0
    if type(query) in (And, Or):
        return all(supported(sub) for sub in query.subqueries)
    return False


def evaluate(query: Query, searcher: Any, cache: PostingCache) -> dict[int, float]:
    """Every document matching ``query`` (deleted ones included, see the module docstring)
    with its score: the sum of its matching terms' BM25 scores."""
    matches: dict[int, float] = {}
    for reader, offset in segments(searcher):
        matches.update(_segment(query, searcher, reader, offset, cache))
    return matches


def _segment(
    query: Query, searcher: Any, reader: Any, offset: int, cache: PostingCache
) -> dict[int, float]:
    if isinstance(query, Term):
        return cache.postings(searcher, reader, offset, query.fieldname, query.text)
    return cache.combined(
        reader, offset, repr(query), lambda: _combine(query, searcher, reader, offset, cache)
    )


def _combine(
    query: Query, searcher: Any, reader: Any, offset: int, cache: PostingCache
) -> dict[int, float]:
    parts = [_segment(sub, searcher, reader, offset, cache) for sub in query.subqueries]
    if not parts:
        return {}
    if isinstance(query, And):
        parts.sort(key=len)
        result = dict(parts[0])
        for other in parts[1:]:
            result = {d: s + other[d] for d, s in result.items() if d in other}
        return result
    parts.sort(key=len, reverse=True)
    result = dict(parts[0])
    for other in parts[1:]:
        for d, s in other.items():
            result[d] = result.get(d, 0.0) + s
    return result
