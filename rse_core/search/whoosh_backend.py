"""The embedded search backend (whoosh-reloaded), index under ``<data dir>/search``.

Only the indexer writes (see ``indexer.py``); web workers open searchers. The permission filter
is the set of documents whose ``audience`` is one of the reader's principals; it is computed
once per (searcher generation, principal set) and reused until the index changes.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markupsafe import escape
from whoosh import index, qparser
from whoosh.analysis import LanguageAnalyzer
from whoosh.fields import DATETIME, ID, KEYWORD, STORED, TEXT, Schema
from whoosh.highlight import ContextFragmenter, HtmlFormatter
from whoosh.query import And, Term
from whoosh.searching import Searcher
from whoosh.writing import CLEAR

from .documents import Document

WRITER_TIMEOUT = 10.0
FIELDS = ["text_en", "text_fr"]  # the title is indexed inside the text, twice (a boost)


def schema() -> Schema:
    """Two analyses of every text, English and French stemming; one query searches both."""
    return Schema(
        key=ID(stored=True, unique=True),
        kind=ID(stored=True),
        audience=ID(stored=True),
        space=ID(stored=True),
        title=STORED,
        url=STORED,
        author=STORED,
        text=STORED,
        created=DATETIME(stored=True, sortable=True),
        text_en=TEXT(analyzer=LanguageAnalyzer("en")),
        text_fr=TEXT(analyzer=LanguageAnalyzer("fr")),
        people=KEYWORD(lowercase=True, commas=True),
    )


@dataclass
class Hit:
    """One result as pages and the API show it."""

    key: str
    kind: str
    title: str
    url: str
    snippet: str
    space: str
    author: str
    created: Any


@dataclass
class Results:
    """A page of hits with the total, facets and an optional spelling suggestion."""

    hits: list[Hit]
    total: int
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    suggestion: str | None = None
    next_page: int | None = None


class WhooshBackend:
    """Index and search documents in one directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self._open()
        self._searcher: Searcher | None = None
        self._lock = threading.Lock()
        self._allowed: OrderedDict[frozenset[str], Any] = OrderedDict()
        self._by_principal: dict[str, set[int]] = {}
        self._parser = qparser.MultifieldParser(FIELDS, self.ix.schema, group=qparser.AndGroup)
        self._parser.remove_plugin_class(qparser.WildcardPlugin)

    def _open(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        if index.exists_in(str(self.directory)):
            self.ix = index.open_dir(str(self.directory))
        else:
            self.ix = index.create_in(str(self.directory), schema())

    # -- writing (the indexer only) ---------------------------------------------------------

    def write(self, documents: Iterable[Document], delete_keys: Iterable[str] = ()) -> int:
        """Add or replace documents and delete keys in one commit; returns documents written."""
        writer = self.ix.writer(timeout=WRITER_TIMEOUT)
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
        return count

    def rebuild(self, documents: Iterable[Document], progress: Any = None) -> int:
        """Replace the whole index with ``documents`` (one writer, one commit)."""
        writer = self.ix.writer(timeout=WRITER_TIMEOUT, procs=1, limitmb=256)
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
        return count

    # -- reading ----------------------------------------------------------------------------

    def searcher(self) -> Searcher:
        """The current searcher, reopened when the index changed."""
        with self._lock:
            try:
                if self._searcher is None:
                    self._searcher = self.ix.searcher()
                elif not self._searcher.up_to_date():
                    # A new searcher, not refresh(): refresh() reuses unchanged segments'
                    # readers with their old deletion sets, so deleted documents lingered.
                    self._searcher.close()
                    self._searcher = self.ix.searcher()
                    self._allowed.clear()
                    self._by_principal.clear()
            except (OSError, index.EmptyIndexError):
                # The directory was deleted or rebuilt under us: open it afresh.
                self._open()
                self._searcher = self.ix.searcher()
                self._allowed.clear()
                self._by_principal.clear()
            return self._searcher

    def allowed(self, searcher: Searcher, principals: frozenset[str]) -> Any:
        """Document numbers a holder of ``principals`` may see: the union of one cached set
        per principal, itself cached per principal set; both live until the index changes."""
        with self._lock:
            cached = self._allowed.get(principals)
            if cached is not None:
                self._allowed.move_to_end(principals)
                return cached
        docs: set[int] = set()
        for principal in principals:
            docs |= self._for_principal(searcher, principal)
        with self._lock:
            self._allowed[principals] = docs
            while len(self._allowed) > 512:
                self._allowed.popitem(last=False)
        return docs

    def _for_principal(self, searcher: Searcher, principal: str) -> set[int]:
        cached = self._by_principal.get(principal)
        if cached is None:
            cached = set(searcher.docs_for_query(Term("audience", principal)))
            self._by_principal[principal] = cached
        return cached

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
        searcher = self.searcher()
        query = self._parser.parse(text)
        allowed = self.allowed(searcher, principals)
        filters = [query]
        if kind:
            filters.append(Term("kind", kind))
        if space:
            filters.append(Term("space", space))
        full = And(filters) if len(filters) > 1 else query
        results = searcher.search_page(
            full,
            page,
            pagelen=per_page,
            filter=allowed,
            groupedby=["kind", "space"],
        )
        results.results.fragmenter = ContextFragmenter(maxchars=200, surround=40)
        results.results.formatter = HtmlFormatter(tagname="mark", classname="hit", between=" … ")
        hits = []
        for hit in results:
            snippet = (
                hit.highlights("text_en", text=hit["text"])
                or hit.highlights("text_fr", text=hit["text"])
                or _escape(hit["text"][:200])
            )
            hits.append(
                Hit(
                    hit["key"],
                    hit["kind"],
                    hit["title"],
                    hit["url"],
                    snippet,
                    hit["space"],
                    hit["author"],
                    hit["created"],
                )
            )
        facets = {
            name: {
                value: len(docs) for value, docs in results.results.groups(name).items() if value
            }
            for name in ("kind", "space")
        }
        total = results.total
        suggestion = None
        if total == 0 and text.strip():
            suggestion = self._visible_suggestion(searcher, text, allowed)
        next_page = page + 1 if page < results.pagecount else None
        return Results(hits, total, facets, suggestion, next_page)

    def _visible_suggestion(self, searcher: Searcher, text: str, allowed: Any) -> str | None:
        """A corrected query, offered only if it finds documents this reader may see: words
        that appear only in private documents are never suggested."""
        try:
            corrected = searcher.correct_query(self._parser.parse(text), text)
        except Exception:
            return None
        if corrected.string == text:
            return None
        if searcher.search(corrected.query, limit=1, filter=allowed).scored_length() == 0:
            return None
        return corrected.string

    def keys(self) -> dict[str, Any]:
        """Every indexed key with its stored fields (for ``rse search check``)."""
        searcher = self.searcher()
        return {fields["key"]: fields for fields in searcher.all_stored_fields()}

    def close(self) -> None:
        """Close the searcher."""
        with self._lock:
            if self._searcher is not None:
                self._searcher.close()
                self._searcher = None


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
        "created": doc.created.replace(tzinfo=None),
        "text_en": searchable,
        "text_fr": searchable,
    }


def _escape(text: str) -> str:
    return str(escape(text))
