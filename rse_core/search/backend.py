"""What every search backend does, and the results it returns.

Two backends implement :class:`SearchBackend`: ``whoosh`` (embedded, the default) and
``postgres`` (PostgreSQL full text, in the application's own PostgreSQL database). The rest of
the core (indexer, check, pages, API) only ever talks to this protocol.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

from .documents import Document

#: Stored fields ``rse search check`` compares between the database and the index.
COMPARED = ("title", "text", "audience", "space", "url")
#: Values each facet lists: the ones with the most results (a company has thousands of spaces).
FACET_LIMIT = 10


def top_facets(counts: dict[str, int], chosen: str | None = None) -> dict[str, int]:
    """The :data:`FACET_LIMIT` values with the most results (ties by value), and ``chosen``,
    the value filtered on, whatever its rank."""
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:FACET_LIMIT]
    top = dict(ranked)
    if chosen and chosen in counts:
        top[chosen] = counts[chosen]
    return top


@dataclass
class Hit:
    """One result as pages and the API show it; ``snippet`` is safe HTML (escaped text and
    ``<mark>`` around the matched words)."""

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
    """A page of hits with the total, facets (each its :data:`FACET_LIMIT` values with the most
    results) and an optional spelling suggestion. Totals and facets count only documents the
    reader may see."""

    hits: list[Hit]
    total: int
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    suggestion: str | None = None
    next_page: int | None = None
    #: More matched than ``total``: a backend that bounds its work (PostgreSQL) counted,
    #: faceted and ranked only the newest ``total`` matches.
    total_capped: bool = False


class SearchBackend(Protocol):
    """Index, delete, search with principals and filters, rebuild, check."""

    def writer_lock(self, *, wait: bool) -> AbstractContextManager[bool]:
        """Held by whoever writes (a drain, a rebuild, a repair), across processes and hosts;
        yields False when someone else holds it and ``wait`` is False."""
        ...

    def write(self, documents: Iterable[Document], delete_keys: Iterable[str] = ()) -> int:
        """Add or replace ``documents`` and delete ``delete_keys`` together; returns how many
        documents were written."""
        ...

    def rebuild(
        self, documents: Iterable[Document], progress: Callable[[int], Any] | None = None
    ) -> int:
        """Replace the whole index with ``documents``; ``progress(n)`` after each one."""
        ...

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
        """A page of the documents matching ``text`` whose audience is one of ``principals``,
        optionally of one ``kind`` or in one ``space`` (slug)."""
        ...

    def count(self) -> int:
        """How many documents the index holds."""
        ...

    def keys(self) -> dict[str, dict[str, Any]]:
        """Every indexed key with its stored :data:`COMPARED` fields (for ``rse search check``)."""
        ...

    def close(self) -> None:
        """Release searchers and connections."""
        ...
