"""Matching, permission filtering, facets and BM25 ranking over whoosh segments, as arrays.

Whoosh walks its matchers one posting at a time in Python (~1 µs each): a two-word query
matching 30 % of 1,000,000 documents cost seconds, and even with each posting list read once
into a dict, the per-document passes for the permission filter, the count and the facets
cost ~100 ms. Here each (segment, term) posting list is read once, block by block, into two
numpy arrays (local document numbers, BM25 scores), and kept while the segment lives (segments
never gain documents, so a cached list can only hold documents since deleted, and the
caller's permission mask, rebuilt when deletions change, drops those). Each segment's
audience, kind and space are kept as integer codes. A query is then a few array operations:
AND and OR of sorted arrays, a boolean mask for what the reader may see, ``bincount`` for the
facets and a partial sort for the page.

Scores use the collection statistics (idf, average length) of the moment a posting list was
read: as the index grows they drift slightly from a fresh computation, which changes the
order of near ties only. Queries other than terms, AND and OR (phrases, NOT) get their
matches from whoosh and their scores from their terms, the same BM25.

Reading blocks uses the internals of whoosh's W3 codec (``W3LeafMatcher``); any other matcher
is read one posting at a time, with the same result (tested).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher
from whoosh.columns import NumericColumn
from whoosh.matching.wrappers import FilterMatcher
from whoosh.query import And, Or, Query, Term
from whoosh.util.numeric import byte_to_length

from .columns import read_values
from .stored_postings import PostingStore

B, K1 = 0.75, 1.2  # whoosh's BM25F defaults
CACHED_BYTES = 128 * 1024 * 1024  # per process: posting lists, combinations and columns
#: Above this many values per one asked for, the best are selected through a sample first.
SAMPLED_SELECTION = 1024
_LENGTH_OF_BYTE = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)


@dataclass(frozen=True)
class Matches:
    """Documents, as sorted numbers, with their scores."""

    ids: np.ndarray  # int64, ascending
    scores: np.ndarray  # float64, same length

    @property
    def nbytes(self) -> int:
        return self.ids.nbytes + self.scores.nbytes


NO_MATCHES = Matches(np.empty(0, np.int64), np.empty(0, np.float64))


@dataclass(frozen=True)
class Column:
    """One ID field of a segment: its distinct values and each document's value as a code
    (an index into ``values``; 0 is ``""``, documents without one)."""

    values: tuple[str, ...]
    codes: np.ndarray

    @property
    def nbytes(self) -> int:
        return self.codes.nbytes


class PostingCache:
    """Per segment: posting lists (local numbers), their AND/OR combinations, ID columns and
    field lengths, least recently used first out beyond ``limit`` bytes."""

    def __init__(self, limit: int = CACHED_BYTES, store: PostingStore | None = None) -> None:
        self.limit = limit
        self.store = store
        self._entries: OrderedDict[tuple[str, str, str], Any] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def postings(self, searcher: Any, reader: Any, field: str, text: str) -> Matches:
        """The term's documents in this segment (local numbers) with their BM25 scores."""
        return self._cached(
            (_segment_key(reader), field, text),
            lambda: _read(searcher, reader, field, text, self.store),
        )

    def combined(self, reader: Any, query: str, compute: Callable[[], Matches]) -> Matches:
        """An AND or OR of terms in this segment, computed once (segments never change)."""
        return self._cached((_segment_key(reader), "", query), compute)

    def column(self, reader: Any, field: str) -> Column:
        """Each document's value of the ID field ``field`` in this segment, as codes."""
        return self._cached((_segment_key(reader), "column", field), lambda: _column(reader, field))

    def _cached(self, key: tuple[str, str, str], compute: Callable[[], Any]) -> Any:
        with self._lock:
            cached = self._entries.get(key)
            if cached is not None:
                self._entries.move_to_end(key)
                return cached
        value = compute()
        with self._lock:
            if key not in self._entries:
                self._entries[key] = value
                self._size += value.nbytes
            while self._size > self.limit and len(self._entries) > 1:
                _key, dropped = self._entries.popitem(last=False)
                self._size -= dropped.nbytes
        return value


def _segment_key(reader: Any) -> str:
    """A segment's identity: its random name and size (a name alone could repeat)."""
    return segment_name(reader.segment())


def segment_name(segment: Any) -> str:
    """A whoosh segment's identity, as a file name: its random name and size."""
    return f"{segment.segment_id()}-{segment.doc_count_all()}"


def posting_arrays(reader: Any, field: str, text: str) -> tuple[np.ndarray, np.ndarray]:
    """A term's local document numbers and term frequencies in this segment, deleted
    documents included (the caller's mask drops them)."""
    matcher = reader.postings(field, text)
    if isinstance(matcher, FilterMatcher):  # whoosh's own deletion filter
        matcher = matcher.child
    if type(matcher) is W3LeafMatcher:
        return _read_blocks(matcher)
    matcher.reset()
    ids: list[int] = []
    weights: list[float] = []
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        matcher.next()
    return np.array(ids, dtype=np.int64), np.array(weights, dtype=np.float64)


def _read_blocks(matcher: W3LeafMatcher) -> tuple[np.ndarray, np.ndarray]:
    """The whole posting list, a block (up to 128 postings) at a time: each block stores its
    numbers as deltas from its first one, and its last number in the block header."""
    matcher.reset()
    deltas: list[int] = []
    weights: list[Any] = []
    starts: list[int] = []
    last_ids: list[int] = []
    while matcher.is_active():
        if matcher._data is None:
            matcher._read_data()
        block_ids, block_weights = matcher._data[0], matcher._data[1]
        count = matcher._blocklength
        starts.append(len(deltas))
        last_ids.append(matcher._maxid)
        deltas.extend(block_ids)
        if block_weights is None:
            weights.extend([1.0] * count)
        elif isinstance(block_weights, float):
            weights.extend([block_weights] * count)
        else:
            weights.extend(block_weights)
        matcher._next_block()
    ids = np.array(deltas, dtype=np.int64)
    if len(starts) > 1:
        # A block's first number is absolute: make it a delta from the previous block's last.
        ids[starts[1:]] -= np.array(last_ids[:-1], dtype=np.int64)
    return np.cumsum(ids), np.array(weights, dtype=np.float64)


def _read(searcher: Any, reader: Any, field: str, text: str, store: PostingStore | None) -> Matches:
    if (field, text) not in reader:
        return NO_MATCHES
    stored = None if store is None else store.load(_segment_key(reader), field, text)
    if stored is not None:
        ids, weights = stored
    else:
        ids, weights = posting_arrays(reader, field, text)
        if store is not None:
            store.save(_segment_key(reader), field, text, ids, weights)
    if not searcher.schema[field].scorable:
        return Matches(ids, np.zeros(len(ids)))
    idf = searcher.idf(field, text)
    average = searcher.avg_field_length(field) or 1
    lengths = _field_lengths(reader, field)[ids]
    # whoosh.scoring.bm25, over the whole list at once
    scores = idf * (weights * (K1 + 1)) / (weights + K1 * ((1 - B) + B * lengths / average))
    return Matches(ids, scores)


def _field_lengths(reader: Any, field: str) -> np.ndarray:
    """Each document's length in ``field`` (whoosh keeps it as one byte per document)."""
    count = reader.doc_count_all()
    perdoc = getattr(reader, "_perdoc", None)
    lengths = None
    if perdoc is not None and hasattr(perdoc, "_cached_reader"):
        lengths = perdoc._cached_reader(f"_{field}_len", LENGTHS_COLUMN)
    if isinstance(lengths, NumericColumn.Reader) and lengths._fixedlen == 1:
        raw = np.zeros(count, dtype=np.uint8)
        stored = min(lengths._count, count)
        raw[:stored] = np.frombuffer(lengths._dbfile.get(lengths._basepos, stored), np.uint8)
        return _LENGTH_OF_BYTE[raw]
    return np.array([reader.doc_field_length(d, field) for d in range(count)], np.float64)


def _column(reader: Any, field: str) -> Column:
    stored = read_values(reader, field)
    if stored is not None:
        return Column(*stored)
    # No column: no document of the segment has a value (an index written before the
    # columns is outdated and never searched, see WhooshBackend._open).
    return Column(("",), np.zeros(reader.doc_count_all(), dtype=np.int32))


def segments(searcher: Any) -> list[tuple[Any, int]]:
    """The searcher's segment readers with their first global document number (an empty
    index has none)."""
    return [(r, offset) for r, offset in searcher.reader().leaf_readers() if r.segment()]


def allowed_mask(
    searcher: Any,
    principals: Iterable[str],
    cache: PostingCache,
    kind_allowed: Callable[[str], bool] | None = None,
) -> np.ndarray:
    """For each document (global number): is it live, is its audience one of
    ``principals``, and (with ``kind_allowed``) is its kind allowed?"""
    principals = frozenset(principals)
    parts = [np.zeros(0, dtype=bool)]
    for reader, _offset in segments(searcher):
        audience = cache.column(reader, "audience")
        shown = np.fromiter((v in principals for v in audience.values), bool, len(audience.values))
        part = shown[audience.codes]
        if kind_allowed is not None:
            kinds = cache.column(reader, "kind")
            table = np.fromiter((kind_allowed(v) for v in kinds.values), bool, len(kinds.values))
            part &= table[kinds.codes]
        if reader.has_deletions():
            part[np.fromiter(reader.deleted_docs_set, np.int64)] = False
        parts.append(part)
    return np.concatenate(parts)


def global_column(searcher: Any, field: str, cache: PostingCache) -> Column:
    """Every document's value of the ID field ``field``, by global number, as codes."""
    values: dict[str, int] = {"": 0}
    parts = [np.zeros(0, dtype=np.int32)]
    for reader, _offset in segments(searcher):
        column = cache.column(reader, field)
        remap = np.array([values.setdefault(v, len(values)) for v in column.values], np.int32)
        parts.append(remap[column.codes])
    return Column(tuple(values), np.concatenate(parts))


@dataclass(frozen=True)
class JointCodes:
    """Several ID columns as one code a document (``((c0 * n1) + c1) * n2 + c2 ...``), so
    that counting their values among matches takes one gather and one ``bincount``, not one
    of each per column (:func:`counts_of`)."""

    codes: np.ndarray
    shape: tuple[int, ...]  # each column's number of values
    size: int  # how many joint codes there may be (the product of ``shape``)

    @classmethod
    def of(cls, columns: list[Column]) -> JointCodes:
        """The joint codes of ``columns`` (each with a code per document, in one order)."""
        shape = tuple(len(column.values) for column in columns)
        size = int(np.prod(shape, dtype=np.int64))
        codes = np.zeros(len(columns[0].codes), np.int32 if size < 2**31 else np.int64)
        for column, count in zip(columns, shape, strict=True):
            codes = codes * count + column.codes
        return cls(codes, shape, size)

    def counts_of(self, ids: np.ndarray) -> list[np.ndarray]:
        """For each column, how many of the documents ``ids`` hold each of its values (0.5
        ms for the kind and space of 243,117 matches, against 1.2 ms one column at a time)."""
        counts = np.bincount(self.codes[ids], minlength=self.size).reshape(self.shape)
        axes = range(len(self.shape))
        return [counts.sum(axis=tuple(a for a in axes if a != kept)) for kept in axes]


def supported(query: Query) -> bool:
    """True for queries made only of terms, AND and OR."""
    if isinstance(query, Term):
        return query.boost == 1.0
    if type(query) in (And, Or):
        return all(supported(sub) for sub in query.subqueries)
    return False


def evaluate(query: Query, searcher: Any, cache: PostingCache) -> Matches:
    """Every document matching ``query`` (a :func:`supported` one; deleted documents
    included, see the module docstring) with its score: the sum of its matching terms' BM25
    scores. Global numbers, ascending."""
    ids = [NO_MATCHES.ids]
    scores = [NO_MATCHES.scores]
    for reader, offset in segments(searcher):
        found = _segment(query, searcher, reader, cache)
        ids.append(found.ids + offset)
        scores.append(found.scores)
    return Matches(np.concatenate(ids), np.concatenate(scores))


def scored(docs: np.ndarray, terms: Query, searcher: Any, cache: PostingCache) -> Matches:
    """``docs`` (global numbers, ascending) with the scores of the OR of ``terms``: how
    queries whoosh matched itself (phrases, exclusions) are ranked."""
    found = evaluate(terms, searcher, cache)
    at = np.searchsorted(found.ids, docs)
    at = np.minimum(at, max(len(found.ids) - 1, 0))
    scores = np.zeros(len(docs))
    if len(found.ids):
        hit = found.ids[at] == docs
        scores[hit] = found.scores[at[hit]]
    return Matches(docs, scores)


def only(matches: Matches, kept: np.ndarray) -> Matches:
    """The ``matches`` where ``kept`` (a mask as long as them) is true. Taken by position:
    indexing with a mask that follows no pattern (who may see each document) costs numpy a
    mispredicted branch per element, 1.5 ms an array at 370,000 matches ("budget" at
    10,000,000 activities) against 0.5 ms for both arrays."""
    at = np.flatnonzero(kept)
    return Matches(matches.ids.take(at), matches.scores.take(at))


def best(matches: Matches, count: int) -> np.ndarray:
    """The ``count`` best documents, best first; ties by newest (highest number), so that
    pages are stable."""
    kept = only(matches, at_least_kth(matches.scores, count))
    ids, scores = kept.ids, kept.scores
    order = np.lexsort((-ids, -scores))
    return ids[order[:count]]


def at_least_kth(values: np.ndarray, count: int) -> np.ndarray:
    """Which ``values`` are at least the ``count``-th highest (ties included, so possibly
    more than ``count``; all of them when there are no more than ``count``)."""
    if len(values) <= count:
        return np.ones(len(values), dtype=bool)
    return values >= kth_highest(values, count)


def kth_highest(values: np.ndarray, count: int) -> Any:
    """The ``count``-th highest of ``values`` (more than ``count`` of them). Among many
    (a common word's hundreds of thousands of matches) the exact selection runs on those at
    least the ``count``-th highest of every 32nd value, a bound there are at least ``count``
    values above: the same result, 0.3 ms where selecting among them all took 1.7 ms."""
    candidates = values
    if len(values) > SAMPLED_SELECTION * count:
        sample = values[::32]
        bound = np.partition(sample, len(sample) - count)[len(sample) - count]
        candidates = values[np.flatnonzero(values >= bound)]
    return np.partition(candidates, len(candidates) - count)[len(candidates) - count]


def _segment(query: Query, searcher: Any, reader: Any, cache: PostingCache) -> Matches:
    if isinstance(query, Term):
        return cache.postings(searcher, reader, query.fieldname, query.text)
    return cache.combined(reader, repr(query), lambda: _combine(query, searcher, reader, cache))


def _combine(query: Query, searcher: Any, reader: Any, cache: PostingCache) -> Matches:
    parts = [_segment(sub, searcher, reader, cache) for sub in query.subqueries]
    if not parts:
        return NO_MATCHES
    if isinstance(query, And):
        parts.sort(key=lambda m: len(m.ids))
        result = parts[0]
        for other in parts[1:]:
            common, mine, theirs = np.intersect1d(
                result.ids, other.ids, assume_unique=True, return_indices=True
            )
            result = Matches(common, result.scores[mine] + other.scores[theirs])
        return result
    ids = np.concatenate([p.ids for p in parts])
    unique, where = np.unique(ids, return_inverse=True)
    sums = np.bincount(where, weights=np.concatenate([p.scores for p in parts]))
    return Matches(unique, sums)
