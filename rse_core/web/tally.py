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
from dataclasses import dataclass
from typing import Generic, TypeVar

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
        return merge(())
    plugins = acc.principals.plugins
    chosen = [p for plugin, p in counted.public.items() if plugins is None or plugin in plugins]
    own = [f"user:{acc.user.id}"]
    own += [f"space:{space}" for space in acc.roles if space not in acc.public_space_ids]
    for audience in own:
        for plugin, part in counted.by_audience.get(audience, ()):
            if plugins is None or plugin in plugins:
                chosen.append(part)
    return merge(chosen)


def sum_counters(parts: Iterable[Counter[K]]) -> Counter[K]:
    """Counters added up: the ``merge`` of counts. The largest part (the public one) is
    copied whole, the reader's own parts added to it."""
    parts = sorted(parts, key=len, reverse=True)
    total: Counter[K] = Counter(parts[0]) if parts else Counter()
    for part in parts[1:]:
        total.update(part)
    return total


def most_common(counts: Mapping[str, int], limit: int) -> list[tuple[str, int]]:
    """The ``limit`` largest counts, ties in name order."""
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]
