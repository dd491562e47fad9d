"""Counts every reader's page shares (the week's trending tags, the most bookmarked links),
made once per worker for every audience and merged for each reader.

A widget such as "trending this week" counted, for each page view, every item of the week
the reader may see: its cost grew with the company's weekly activity (~20,000 items a week
at the seeds' scale), not with what the reader holds. Here ``load`` counts the week once,
split by audience and plugin; the parts of the audiences everyone holds (``everyone`` and
the public spaces) are merged once; a reader's answer merges that with the parts of the few
audiences only they hold (their user, their private and secret spaces), among the plugins
active for them. The same visibility rule as everywhere (``ReadScope``), applied to parts.

What ``load`` returns is kept ``settings.shared_seconds`` (60 s) per worker, so a new item may
reach these counts up to a minute late and a deleted one leave them as late. A change of
access (joining or leaving a space, a space's visibility, a rollout) drops them at once: the
access generation tags them, as it tags everything else the worker keeps.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy.orm import Session
from starlette.requests import HTTPConnection

from ..enablement import EVERYONE
from .context import access, generation, runtime

P = TypeVar("P")
K = TypeVar("K")


@dataclass(frozen=True)
class _Counted(Generic[P]):
    by_audience: Mapping[str, list[tuple[str, P]]]  # audience -> [(plugin, part)]
    public: Mapping[str, P]  # plugin -> the merged parts of the audiences everyone holds
    # (the plugins a reader has active) -> the public parts merged, and their keys best first
    ranked: dict[frozenset[str] | None, tuple[Any, list[Any]]] = field(default_factory=dict)


def _reader_parts(
    conn: HTTPConnection,
    key: str,
    load: Callable[[Session], Mapping[tuple[str, str], P]],
    merge: Callable[[Iterable[P]], P],
) -> tuple[_Counted[P], frozenset[str] | None, list[P]] | None:
    """The worker's counts (made now if none are current), the plugins active for the
    reader and the parts of the audiences only they hold; None for no reader."""
    rt = runtime(conn)
    acc = access(conn)  # reads the access generation too, once per request
    current = getattr(conn.state, "generation", None)
    if current is None:
        with rt.db.read() as session:
            current = generation(conn, session)

    def count() -> _Counted[P]:
        with rt.db.read() as session:
            parts = load(session)
        everyone = {EVERYONE, *(f"space:{space}" for space in acc.public_space_ids)}
        by_audience: dict[str, list[tuple[str, P]]] = {}
        public: dict[str, list[P]] = {}
        for (audience, plugin), part in parts.items():
            if audience in everyone:
                public.setdefault(plugin, []).append(part)
            else:
                by_audience.setdefault(audience, []).append((plugin, part))
        return _Counted(by_audience, {plugin: merge(p) for plugin, p in public.items()})

    counted = rt.access.timed(current, f"tally:{key}", rt.settings.shared_seconds, count)
    if acc.user is None:
        return None
    plugins = acc.principals.plugins
    own_audiences = [f"user:{acc.user.id}"]
    own_audiences += [f"space:{space}" for space in acc.roles if space not in acc.public_space_ids]
    own = [
        part
        for audience in own_audiences
        for plugin, part in counted.by_audience.get(audience, ())
        if plugins is None or plugin in plugins
    ]
    return counted, plugins, own


def _public(counted: _Counted[P], plugins: frozenset[str] | None) -> list[P]:
    return [p for plugin, p in counted.public.items() if plugins is None or plugin in plugins]


def shared_tally(
    conn: HTTPConnection,
    key: str,
    load: Callable[[Session], Mapping[tuple[str, str], P]],
    merge: Callable[[Iterable[P]], P],
) -> P:
    """The merge of the parts this request's reader may see.

    ``load(session)`` returns a part per ``(audience, plugin)`` (a ``Counter`` of tags, say);
    ``merge`` combines parts into one (``sum_counters``) and must accept an empty iterable.
    ``key`` names the count among the worker's (``"feed.trending"``)."""
    held = _reader_parts(conn, key, load, merge)
    if held is None:
        return merge(())
    counted, plugins, own = held
    return merge(_public(counted, plugins) + own)


def shared_top(
    conn: HTTPConnection,
    key: str,
    load: Callable[[Session], Mapping[tuple[str, str], Mapping[K, Any]]],
    merge: Callable[[Iterable[Mapping[K, Any]]], Mapping[K, Any]],
    order: Callable[[tuple[K, Any]], Any],
    limit: int,
) -> list[tuple[K, Any]]:
    """The ``limit`` first ``(name, value)`` pairs, by ``order`` (a sort key of a pair), of
    what :func:`shared_tally` would return for parts that are mappings: the top ten of a
    widget, without merging and sorting the whole public part on every page (at 10,000,000
    activities ~2,400 links or ~5,600 tags, ~1 ms a widget).

    The public parts are merged and ranked once per worker and set of active plugins; a page
    merges the names its reader's own parts hold and the public first ``limit``, which holds
    the answer provided merging never ranks a name lower than its public part did (counts
    added, savers united: ``top_of``)."""
    held = _reader_parts(conn, key, load, merge)
    if held is None:
        return []
    counted, plugins, own = held
    ranked = counted.ranked.get(plugins)
    if ranked is None:
        public = merge(_public(counted, plugins))
        ranked = (public, [name for name, _ in sorted(public.items(), key=order)])
        counted.ranked[plugins] = ranked  # the same answer if two requests race to it
    public, best = ranked
    return top_of(public, best, own, merge, order, limit)


def top_of(
    public: Mapping[K, Any],
    best: list[K],
    own: list[Mapping[K, Any]],
    merge: Callable[[Iterable[Mapping[K, Any]]], Mapping[K, Any]],
    order: Callable[[tuple[K, Any]], Any],
    limit: int,
) -> list[tuple[K, Any]]:
    """:func:`shared_top`'s answer from the merged public part, its names in ``order``
    (``best``) and the reader's own parts: ``sorted(merge([public, *own]).items(),
    key=order)[:limit]``, merging only the names that can be in it."""
    # A name of the answer the reader's parts do not hold keeps its public value; every name
    # ranked above it in the answer is either theirs or ranked above it in public too: so it
    # is among the public first ``limit``.
    names: set[K] = set().union(*own)
    names.update(best[:limit])
    candidates = [{name: public[name] for name in names if name in public}, *own]
    return sorted(merge(candidates).items(), key=order)[:limit]


def sum_counters(parts: Iterable[Counter[K]]) -> Counter[K]:
    """Counters added up: the ``merge`` of counts. The largest part (the public one) is
    copied whole, the reader's own parts added to it."""
    parts = sorted(parts, key=len, reverse=True)
    total: Counter[K] = Counter(parts[0]) if parts else Counter()
    get = total.get
    # Added name by name here: ``Counter.update`` checks its argument against the Mapping ABC
    # on each call, 1.5 µs a part; a reader in 500 spaces merges ~280 parts a page.
    for part in parts[1:]:
        for name, count in part.items():
            total[name] = get(name, 0) + count
    return total


def most_first(item: tuple[K, int]) -> tuple[int, K]:
    """The order of ``(name, count)`` pairs by count, largest first, ties in name order:
    ``most_common``'s, and an ``order`` for :func:`shared_top` of counts."""
    return -item[1], item[0]


def most_common(counts: Mapping[str, int], limit: int) -> list[tuple[str, int]]:
    """The ``limit`` largest counts, ties in name order."""
    return sorted(counts.items(), key=most_first)[:limit]
