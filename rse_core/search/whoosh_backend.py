"""The embedded search backend (whoosh-reloaded), index under ``<data dir>/search``.

Only the indexer writes (see ``indexer.py``); web workers open searchers. Per searcher
generation (until the index changes) it caches the permission mask of each principal set and
each document's kind and space (for facets), built from per-segment caches (``ranking.py``)
that outlive the change. A query is then a few array operations over its matching documents
(numpy): the mask, a count, ``bincount`` for the facets and a partial sort for the page.
"""

from __future__ import annotations

import fcntl
import os
import random
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import whoosh.util
from whoosh import index, qparser
from whoosh.fields import ID, STORED, TEXT, Schema
from whoosh.index import TOC
from whoosh.query import And, Or, Term
from whoosh.searching import Searcher
from whoosh.writing import CLEAR

from ..permissions import plugins_of
from . import ranking
from .analysis import bilingual_analyzer, snippet, written_form
from .backend import FACET_LIMIT, Hit, Results, top_facets
from .columns import ValueColumn
from .documents import Document, plugin_of_kind
from .stored_postings import PostingStore

# whoosh names segments and temporary run files with the global ``random`` module. The indexer
# writes from a thread, so it would move everyone else's random state at any moment (hypothesis
# checks that state and flakes); a generator of its own keeps the global state alone. It must
# be reseeded in a forked child, as ``random`` itself is: the two sub-processes of a parallel
# rebuild named their run files alike and deleted each other's (documents lost at ~1,100,000).
_NAMES = random.Random()
os.register_at_fork(after_in_child=_NAMES.seed)
whoosh.util.random = _NAMES  # type: ignore[attr-defined]

WRITER_TIMEOUT = 10.0
# Segments are written as separate files, not one compound file: whoosh opens a compound
# file's parts by copying them into memory (BytesIO over the mmap), so every new searcher
# copied the whole index: 58 ms per index change at 100,000 documents, 0.5 ms without.
WRITER_OPTIONS: dict[str, Any] = {"timeout": WRITER_TIMEOUT, "compound": False}
FACETS = ("kind", "space")
# Permission masks kept per searcher (one byte per document each: 1 MB at 1,000,000).
ALLOWED_CACHED = 32
SUGGESTION_SOURCE_CHARS = 20_000  # how much of a document to read for a word's written form


def schema() -> Schema:
    """One searchable field with English and French stems (the title is indexed twice, a
    boost). "Did you mean" proposes its terms, which are stems: whoosh's separate unstemmed
    spelling field cost 40 % of the indexing speed."""
    return Schema(
        key=ID(stored=True, unique=True),
        kind=ID(stored=True, sortable=ValueColumn()),
        audience=ID(stored=True, sortable=ValueColumn()),
        space=ID(stored=True, sortable=ValueColumn()),
        title=STORED,
        url=STORED,
        author=STORED,
        text=STORED,
        created=STORED,
        body=TEXT(analyzer=bilingual_analyzer(), multitoken_query="or"),
    )


@contextmanager
def file_lock(path: Path, *, wait: bool) -> Iterator[bool]:
    """Hold an exclusive ``flock`` on ``path``; yields False when another process has it
    (``wait=False``)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@dataclass
class _View:
    """One searcher and what is cached for it: permission sets and facet columns."""

    searcher: Searcher
    allowed: OrderedDict[tuple[frozenset[str], frozenset[str] | None], np.ndarray] = field(
        default_factory=OrderedDict
    )
    columns: dict[str, ranking.Column] = field(default_factory=dict)
    facets: ranking.JointCodes | None = None  # the FACETS columns' joint codes
    users: int = 0  # queries running on it; a replaced view is closed when the last ends
    replaced: bool = False


class IndexIncomplete(RuntimeError):
    """A rebuild committed fewer documents than it was given."""


class WhooshBackend:
    """Index and search documents in one directory. ``outdated`` is True for an index written
    with an older schema: it answers nothing until rebuilt (``build_if_empty`` does at
    start-up, or ``rse search reindex``)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._current: _View | None = None
        self._lock = threading.Lock()
        self._store = PostingStore(directory.with_name(f"{directory.name}-postings"))
        self._postings = ranking.PostingCache(store=self._store)
        self._open()

    def writer_lock(self, *, wait: bool) -> AbstractContextManager[bool]:
        """One writer per index directory, across processes: a ``flock`` beside it."""
        return file_lock(self.directory.parent / "search.lock", wait=wait)

    def _open(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        if not index.exists_in(str(self.directory)):
            # Several workers starting on a new data directory would each create the index,
            # and open one another's half-written files: one creates it, the others wait.
            # (A lock of its own: the writer lock may be held for a whole drain.)
            with file_lock(self.directory.parent / "search-create.lock", wait=True):
                if not index.exists_in(str(self.directory)):
                    index.create_in(str(self.directory), schema())
        self.ix = index.open_dir(str(self.directory))
        current = self.ix.schema
        self.outdated = _signature(current) != _signature(schema())
        self._parser = qparser.QueryParser("body", current, group=qparser.AndGroup)
        self._parser.remove_plugin_class(qparser.WildcardPlugin)
        self._parser.add_plugin(qparser.PlusMinusPlugin())  # "-word" excludes, as on PostgreSQL

    # -- writing (the indexer only) ---------------------------------------------------------

    def write(self, documents: Iterable[Document], delete_keys: Iterable[str] = ()) -> int:
        """Add or replace documents and delete keys in one commit; returns documents written."""
        writer = self.ix.writer(**WRITER_OPTIONS)
        count = 0
        try:
            for key in delete_keys:
                writer.delete_by_term("key", key)
            for doc in documents:
                writer.update_document(**_fields(doc))
                count += 1
            writer.commit()
        except BaseException:
            if not writer.is_closed:
                writer.cancel()  # releases whoosh's own lock, or the next writer times out
            raise
        self._prune_store()
        return count

    def _prune_store(self) -> None:
        """Drop the stored posting lists of segments a commit merged away, after reading the
        same terms' lists in the segments that replaced them (the writer's job: it holds the
        writer lock; see ``stored_postings``)."""
        toc = TOC.read(self.ix.storage, self.ix.indexname)
        live = [ranking.segment_name(segment) for segment in toc.segments]
        gone = self._store.gone(live)
        wanted = set().union(*(self._store.terms(name) for name in gone))
        if wanted:
            with self.ix.searcher() as searcher:
                for reader, _ in ranking.segments(searcher):
                    name = ranking.segment_name(reader.segment())
                    if self._store.has(name):
                        continue  # an old segment: its lists are there already
                    for field, text in sorted(wanted):
                        if (field, text) in reader:
                            ids, weights = ranking.posting_arrays(reader, field, text)
                            self._store.save(name, field, text, ids, weights)
        self._store.prune(live)

    def rebuild(
        self,
        documents: Iterable[Document],
        progress: Callable[[int], Any] | None = None,
        *,
        procs: int = 1,
        limitmb: int = 512,
    ) -> int:
        """Replace the whole index with ``documents`` in one commit: searchers keep the old
        index until then. ``procs=2`` indexes in two processes (the CLI does; a web worker
        never forks), each sorting postings in up to ``limitmb`` MB of memory (less spills
        to disk: 954 instead of 1,399 documents/s at 50,000 documents with 256 vs 2,048)."""
        if self.outdated:
            # An empty index with the current schema at the *next* generation (create_in
            # would restart at 0, and searchers compare generations to notice a change).
            generation = self.ix.latest_generation() + 1
            TOC(schema(), [], generation).write(self.ix.storage, self.ix.indexname)
            self._open()
        options: dict[str, Any] = {**WRITER_OPTIONS, "procs": procs, "limitmb": limitmb}
        if procs > 1:
            options["multisegment"] = True  # keep one segment per process: no final merge
        writer = self.ix.writer(**options)
        count = 0
        try:
            for doc in documents:
                writer.add_document(**_fields(doc))
                count += 1
                if progress is not None:
                    progress(1)
            writer.commit(mergetype=CLEAR)
        except BaseException:
            if not writer.is_closed:
                writer.cancel()
            raise
        self._prune_store()
        indexed = self.ix.doc_count()
        if indexed != count:
            # whoosh's multi-process writer drops the segment of a sub-process that failed
            # and commits the rest (seen once at 1,100,000 documents: a run file gone).
            raise IndexIncomplete(f"the index holds {indexed} of the {count} documents written")
        return count

    # -- reading ----------------------------------------------------------------------------

    @contextmanager
    def _using(self) -> Iterator[_View]:
        """The current searcher with its caches, reopened when the index changed; a query
        holds its view throughout, and a replaced view's files are closed only when the last
        query using it ends."""
        with self._lock:
            try:
                if self._current is None:
                    self._current = _View(self.ix.searcher())
                elif not self._current.searcher.up_to_date():
                    # A new searcher, not refresh(): refresh() reuses unchanged segments'
                    # readers with their old deletion sets, so deleted documents lingered.
                    self._replace()
            except (OSError, index.EmptyIndexError):
                # The directory was deleted or rebuilt under us: open it afresh.
                self._open()
                self._replace()
            view = self._current
            assert view is not None
            view.users += 1
        try:
            yield view
        finally:
            with self._lock:
                view.users -= 1
                if view.replaced and view.users == 0:
                    view.searcher.close()

    def _replace(self) -> None:
        """Open a new view (the caller holds the lock)."""
        old = self._current
        if _signature(self.ix.schema) != _signature(self._parser.schema):
            self._open()  # rebuilt with a new schema by another process
        self._current = _View(self.ix.searcher())
        if old is not None:
            old.replaced = True
            if old.users == 0:
                old.searcher.close()

    def allowed(self, view: _View, principals: frozenset[str]) -> np.ndarray:
        """For each document, may a holder of ``principals`` see it (its audience, and its
        plugin active for the reader)? Cached per principal and plugin set until the index
        changes (built from per-segment columns that outlive the change)."""
        plugins = plugins_of(principals)
        key = (frozenset(principals), plugins)
        with self._lock:
            cached = view.allowed.get(key)
            if cached is not None:
                view.allowed.move_to_end(key)
                return cached
        kind_allowed = None if plugins is None else (lambda k: plugin_of_kind(k) in plugins)
        mask = ranking.allowed_mask(view.searcher, principals, self._postings, kind_allowed)
        with self._lock:
            view.allowed[key] = mask
            while len(view.allowed) > ALLOWED_CACHED:
                view.allowed.popitem(last=False)
        return mask

    def _column(self, view: _View, name: str) -> ranking.Column:
        column = view.columns.get(name)
        if column is None:
            column = ranking.global_column(view.searcher, name, self._postings)
            view.columns[name] = column
        return column

    def search(
        self,
        text: str,
        principals: frozenset[str],
        *,
        kind: str | None = None,
        space: str | None = None,
        page: int = 1,
        per_page: int = 20,
    ) -> Results:
        """Hits the reader may see; counts, facets and snippets only ever from those."""
        with self._using() as view:
            return self._search(view, text, principals, kind, space, page, per_page)

    def _search(
        self,
        view: _View,
        text: str,
        principals: frozenset[str],
        kind: str | None,
        space: str | None,
        page: int,
        per_page: int,
    ) -> Results:
        if self.outdated:
            return Results([], 0)
        searcher = view.searcher
        query = self._parser.parse(text)
        filters = [query]
        if kind:
            filters.append(Term("kind", kind))
        if space:
            filters.append(Term("space", space))
        full = And(filters) if len(filters) > 1 else query
        allowed = self.allowed(view, principals)
        terms = {text for name, text in full.iter_all_terms() if name == "body"}
        if ranking.supported(full):
            matches = ranking.evaluate(full, searcher, self._postings)
        else:
            # Phrases and exclusions: whoosh finds the documents, ranked by their words.
            docs = np.fromiter(searcher.docs_for_query(full), np.int64)
            words = Or([Term("body", t) for t in sorted(terms)])
            matches = ranking.scored(np.sort(docs), words, searcher, self._postings)
        matches = ranking.only(matches, allowed[matches.ids])
        total = len(matches.ids)
        chosen = {"kind": kind, "space": space}
        facets = {}
        if view.facets is None:
            view.facets = ranking.JointCodes.of([self._column(view, name) for name in FACETS])
        for name, counts in zip(FACETS, view.facets.counts_of(matches.ids), strict=True):
            column = self._column(view, name)
            counts[0] = 0  # no value
            # The candidates for the top (and the value filtered on), named; top_facets picks.
            present = np.flatnonzero(counts)
            shown = present[ranking.at_least_kth(counts[present], FACET_LIMIT)]
            if chosen[name] in column.values:
                shown = np.append(shown, column.values.index(chosen[name]))
            found = {column.values[i]: int(counts[i]) for i in shown if counts[i]}
            facets[name] = top_facets(found, chosen[name])
        hits: list[Hit] = []
        if total > (page - 1) * per_page:
            docnums = ranking.best(matches, page * per_page)[(page - 1) * per_page :]
            hits = [self._hit(searcher, int(docnum), terms) for docnum in docnums]
        suggestion = None
        if total == 0 and text.strip():
            suggestion = self._visible_suggestion(searcher, text, allowed)
        next_page = page + 1 if page * per_page < total else None
        return Results(hits, total, facets, suggestion, next_page)

    def _hit(self, searcher: Searcher, docnum: int, terms: set[str]) -> Hit:
        fields = searcher.stored_fields(docnum)
        return Hit(
            fields["key"],
            fields["kind"],
            fields["title"],
            fields["url"],
            snippet(fields["text"], terms),
            fields["space"],
            fields["author"],
            fields["created"],
        )

    def _visible_suggestion(self, searcher: Searcher, text: str, allowed: np.ndarray) -> str | None:
        """A corrected query, offered only if it finds documents this reader may see: words
        that appear only in private documents are never suggested. The index holds stems
        ("kubernet"), so each corrected word is proposed as a visible document writes it
        ("kubernetes")."""
        try:
            corrected = searcher.correct_query(self._parser.parse(text), text)
        except Exception:
            return None
        if corrected.string == text:
            return None
        seen = next((d for d in searcher.docs_for_query(corrected.query) if allowed[d]), None)
        if seen is None:
            return None
        stored = searcher.stored_fields(seen)
        written = f"{stored['title']} {stored['text'][:SUGGESTION_SOURCE_CHARS]}"
        asked, proposed = text.split(), corrected.string.split()
        if len(asked) != len(proposed):
            return None
        words = []
        for old, new in zip(asked, proposed, strict=True):
            if old != new:
                new = written_form(searcher.schema["body"].analyzer, written, new) or ""
                if not new:
                    return None
            words.append(new)
        suggestion = " ".join(words)
        return suggestion if suggestion != text else None

    def count(self) -> int:
        """How many documents the index holds (0 for an outdated one: it must be rebuilt)."""
        with self._using() as view:
            return 0 if self.outdated else view.searcher.doc_count()

    def keys(self) -> dict[str, Any]:
        """Every indexed key with its stored fields (for ``rse search check``)."""
        with self._using() as view:
            if self.outdated:
                return {}
            return {fields["key"]: fields for fields in view.searcher.all_stored_fields()}

    def close(self) -> None:
        """Close the searcher (once no query uses it)."""
        with self._lock:
            view, self._current = self._current, None
            if view is not None:
                view.replaced = True
                if view.users == 0:
                    view.searcher.close()


def _signature(schema: Schema) -> list[tuple[str, str, str]]:
    """What must match for an index to be read with this code: fields, their types and
    columns (an index written without the columns is rebuilt)."""
    return sorted(
        (name, type(f).__name__, type(f.column_type).__name__ if f.column_type else "")
        for name, f in schema.items()
    )


def _fields(doc: Document) -> dict[str, Any]:
    searchable = f"{doc.title}\n{doc.title}\n{doc.text}"
    return {
        "key": doc.key,
        "kind": doc.kind,
        "audience": doc.audience,
        "space": doc.space,
        "title": doc.title,
        "url": doc.url,
        "author": doc.author,
        "text": doc.text,
        "created": doc.created,
        "body": searchable,
    }
