"""Who knows a topic: declared skills and the evidence in what people wrote, as a viewer may
see it.

A **topic** is a tag (``kubernetes``). **Evidence** is what an item shows about the people
around it: its author wrote about its tags, its likes were received by the author, and what
plugins add through the ``rse_evidence`` hook (answers, accepted answers, wiki edits). Each
kind has a weight (hook ``rse_evidence_kinds``) and each piece counts more when recent: its
score is ``weight * 2 ** (years since EPOCH)``, so the ranking by the sum of scores is the
ranking by evidence halved every year of age, without rewriting anything as time passes.

Two tables keep it, written at commit by the transaction that changed an item
(``watch_evidence``), never recomputed per query:

* ``rse_item_evidence``: each item's evidence per tag, person and kind (what it added);
* ``rse_expertise``: the sums per tag, person, kind **and the item's audience and plugin**,
  so a ranking counts only evidence from items the viewer may see (their principals and
  active plugins): a secret space's content is nobody's expertise to a non-member.

Refreshing an item subtracts what its ``rse_item_evidence`` rows said and adds what it shows
now: idempotent, so ``rse expertise rebuild`` (empty both, refresh every tagged item) is safe
while people write. Declared skills are rows of kind ``core.skill`` seen by everyone, scored
as evidence of the day they were declared. ``rse_expertise_total`` keeps each person's sum per
topic over every audience, the upper bound that lets a ranking stop early (``_ranking``).
"""

from __future__ import annotations

import heapq
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    and_,
    bindparam,
    delete,
    false,
    func,
    or_,
    select,
    tuple_,
)
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from . import changes
from .content import Content, ContentTag
from .db import Base, Database, dialect_insert, utcnow
from .enablement import EVERYONE
from .hooktypes import Evidence, EvidenceKind, Job, JobContext
from .i18n import N_
from .identity.models import User, UserSkill
from .permissions import ScopeParameter, audience_in, plugin_in
from .social import Reaction
from .sql_sets import in_set, large_set, set_parameter
from .validation import TAG

EPOCH = datetime(2025, 1, 1, tzinfo=UTC)
HALF_LIFE_SECONDS = 365.25 * 24 * 3600
SKILL = "core.skill"
LIKED = "core.liked"
CORE = "core"  # the plugin column of declared skills: seen whatever plugins are active
CORE_KINDS = (
    EvidenceKind(SKILL, N_("listed in their skills"), N_("listed in their skills"), 4.0),
    EvidenceKind(LIKED, N_("like received"), N_("likes received"), 0.5),
)
ITEM_KIND = EvidenceKind("", N_("item"), N_("items"), 1.0)  # a content type without a kind
REBUILD_BATCH = 1_000


class ItemEvidence(Base):
    """What one item adds to ``rse_expertise``: per tag, person and kind."""

    __tablename__ = "rse_item_evidence"

    content_id: Mapped[int] = mapped_column(
        ForeignKey("rse_content.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(60), primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(60), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)


class Expertise(Base):
    """Evidence summed per topic, person, kind and the audience and plugin of its items."""

    __tablename__ = "rse_expertise"
    __table_args__ = (
        Index("ix_rse_expertise_user", "user_id", "tag"),
        # Everything a ranking round reads of a person's rows: read from the index alone
        # (migrations core_0027, core_0029).
        Index(
            "ix_rse_expertise_scores",
            "tag",
            "user_id",
            "audience",
            "plugin",
            "kind",
            "score",
            "count",
            "public",
        ),
    )

    tag: Mapped[str] = mapped_column(String(60), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("rse_user.id", ondelete="CASCADE"), primary_key=True
    )
    audience: Mapped[str] = mapped_column(String(40), primary_key=True)
    plugin: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(60), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)
    # Whether ``audience`` is a public space's (in ``rse_public_audience``): set by the
    # database's triggers on every insert and every change of a space's visibility
    # (migration core_0029), never by the code; SQLite's ranking reads it instead of
    # probing that table for each row.
    public: Mapped[bool] = mapped_column(Boolean, server_default=false())


class ExpertiseTotal(Base):
    """Everything a person has on a topic, whoever may see it: an upper bound of what any
    reader's ranking counts, walked from the top to rank without reading every row."""

    __tablename__ = "rse_expertise_total"
    __table_args__ = (Index("ix_rse_expertise_total_score", "tag", "score", "user_id"),)

    tag: Mapped[str] = mapped_column(String(60), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("rse_user.id", ondelete="CASCADE"), primary_key=True
    )
    count: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)


class HiddenTopic(Base):
    """A topic a person does not want to be asked about: left out of rankings and profile."""

    __tablename__ = "rse_hidden_topic"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("rse_user.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(60), primary_key=True)


def kind_of(kinds: Mapping[str, EvidenceKind], name: str) -> EvidenceKind:
    """The kind ``name`` among those declared, or the generic "item" (a content type no
    plugin declared)."""
    return kinds.get(name) or ITEM_KIND


def growth(at: datetime) -> float:
    """What one unit of evidence from ``at`` scores: doubles every year after ``EPOCH``."""
    return float(2.0 ** ((at - EPOCH).total_seconds() / HALF_LIFE_SECONDS))


def topic_of(text: str) -> str | None:
    """The topic (tag) a skill or a search names: ``"Project management"`` and
    ``"#project-management"`` are ``project-management``; None when it is not one."""
    topic = re.sub(r"\s+", "-", text.strip().lstrip("#").lower())
    return topic if TAG.match(topic) else None


# -- the write side ------------------------------------------------------------------------


@dataclass
class Evaluator:
    """How evidence is found and weighed: the declared kinds and the plugins' hook."""

    kinds: Mapping[str, EvidenceKind] = field(default_factory=dict)
    #: ``rse_evidence`` over every installed plugin (``None``: the core's evidence only).
    hook: Callable[..., list[Mapping[int, list[Evidence]] | None]] | None = None

    def kind(self, name: str) -> EvidenceKind:
        """The declared kind ``name``, or the generic "item"."""
        return kind_of(self.kinds, name)

    def evidence(self, session: Session, items: list[Content]) -> dict[int, list[Evidence]]:
        """Every item's evidence: its author wrote it, its likes, and the plugins'."""
        found: dict[int, list[Evidence]] = {
            item.id: [Evidence(item.author_id, item.type, item.created_at)] for item in items
        }
        if not items:
            return found
        authors = {item.id: item.author_id for item in items}
        likes = session.execute(
            select(Reaction.content_id, Reaction.user_id, Reaction.created_at).where(
                Reaction.content_id.in_(list(authors)), Reaction.kind == "like"
            )
        )
        for content_id, user_id, at in likes:
            if user_id != authors[content_id]:  # liking one's own item proves nothing
                found[content_id].append(Evidence(authors[content_id], LIKED, at))
        for answer in self.hook(session=session, items=items) if self.hook else ():
            for content_id, pieces in (answer or {}).items():
                if content_id in found:
                    found[content_id].extend(pieces)
        return found


def refresh_expertise(session: Session, content: Content) -> None:
    """Say that ``content``'s evidence changed through your own rows (an answer written,
    accepted or voted on): the core asks ``rse_evidence`` again when the transaction
    commits. Publishing, editing, deleting and likes need no call."""
    changes.mark_item(session, content.id)


def refresh_items(session: Session, ids: Iterable[int], evaluator: Evaluator) -> None:
    """Bring ``rse_expertise`` in line with these items as the session sees them."""
    ids = sorted(set(ids))
    if not ids:
        return
    if session.get_bind().dialect.name == "postgresql":
        # Two transactions refreshing one item (two likes at once) take turns: the second
        # reads what the first wrote in rse_item_evidence, so nothing is counted twice. NO KEY
        # UPDATE: each like's foreign key holds a KEY SHARE lock on the item, which a plain
        # FOR UPDATE would wait for in both transactions (a deadlock).
        session.execute(
            select(Content.id)
            .where(Content.id.in_(ids))
            .order_by(Content.id)
            .with_for_update(key_share=True)
        )
    items = {c.id: c for c in session.scalars(select(Content).where(Content.id.in_(ids)))}
    tags: dict[int, list[str]] = defaultdict(list)
    for content_id, tag in session.execute(
        select(ContentTag.content_id, ContentTag.tag).where(ContentTag.content_id.in_(ids))
    ):
        tags[content_id].append(tag)
    deltas: dict[tuple[str, int, str, str, str], list[float]] = defaultdict(lambda: [0, 0.0])
    for row in session.scalars(select(ItemEvidence).where(ItemEvidence.content_id.in_(ids))):
        item = items.get(row.content_id)
        if item is not None:
            delta = deltas[(row.tag, row.user_id, item.audience, item.plugin, row.kind)]
            delta[0] -= row.count
            delta[1] -= row.score
    session.execute(delete(ItemEvidence).where(ItemEvidence.content_id.in_(ids)))
    live = [c for c in items.values() if c.deleted_at is None and tags.get(c.id)]
    new_rows = []
    for content_id, pieces in evaluator.evidence(session, live).items():
        item = items[content_id]
        summed: dict[tuple[int, str], list[float]] = defaultdict(lambda: [0, 0.0])
        for piece in pieces:
            total = summed[(piece.user_id, piece.kind)]
            total[0] += 1
            total[1] += evaluator.kind(piece.kind).weight * growth(piece.at)
        for (user_id, kind), (count, score) in summed.items():
            for tag in tags[content_id]:
                new_rows.append(
                    {
                        "content_id": content_id,
                        "tag": tag,
                        "user_id": user_id,
                        "kind": kind,
                        "count": int(count),
                        "score": score,
                    }
                )
                delta = deltas[(tag, user_id, item.audience, item.plugin, kind)]
                delta[0] += count
                delta[1] += score
    if new_rows:
        session.execute(ItemEvidence.__table__.insert(), new_rows)
    _apply(session, deltas)


def _apply(session: Session, deltas: Mapping[tuple[str, int, str, str, str], list[float]]) -> None:
    """Add ``deltas`` to ``rse_expertise`` and to the totals of ``rse_expertise_total`` (in
    key order, so concurrent writers never wait for each other in a circle); rows left with
    no evidence go."""
    rows = [
        {
            "tag": tag,
            "user_id": user_id,
            "audience": audience,
            "plugin": plugin,
            "kind": kind,
            "count": int(count),
            "score": score,
        }
        for (tag, user_id, audience, plugin, kind), (count, score) in sorted(deltas.items())
        if count or abs(score) > 1e-9
    ]
    if not rows:
        return
    totals: dict[tuple[str, int], list[float]] = defaultdict(lambda: [0, 0.0])
    for row in rows:
        total = totals[(row["tag"], row["user_id"])]
        total[0] += row["count"]
        total[1] += row["score"]
    _upsert(session, Expertise, KEY, rows)
    _upsert(
        session,
        ExpertiseTotal,
        ("tag", "user_id"),
        [
            {"tag": tag, "user_id": user_id, "count": int(count), "score": score}
            for (tag, user_id), (count, score) in sorted(totals.items())
        ],
    )


def _upsert(session: Session, table: Any, key: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
    """Add each row's count and score to the row of ``table`` with its ``key``; remove
    those whose count fell to zero."""
    statement = dialect_insert(session)(table)
    statement = statement.on_conflict_do_update(
        index_elements=list(key),
        set_={
            "count": table.count + statement.excluded.count,
            "score": table.score + statement.excluded.score,
        },
    )
    session.execute(statement, rows)
    emptied = [tuple(row[k] for k in key) for row in rows if row["count"] < 0]
    if emptied:
        session.execute(
            delete(table).where(
                tuple_(*(getattr(table, k) for k in key)).in_(emptied), table.count <= 0
            )
        )


KEY = ("tag", "user_id", "audience", "plugin", "kind")


def refresh_skills(session: Session, user_ids: Iterable[int]) -> None:
    """Bring the ``core.skill`` rows of these people in line with their profiles: a skill
    declared now scores as evidence of now, and ages like the rest."""
    user_ids = sorted(set(user_ids))
    if not user_ids:
        return
    wanted = {
        (user_id, topic)
        for user_id, key in session.execute(
            select(UserSkill.user_id, UserSkill.key).where(UserSkill.user_id.in_(user_ids))
        )
        if (topic := topic_of(key)) is not None
    }
    held = {
        (user_id, tag): (count, score)
        for user_id, tag, count, score in session.execute(
            select(Expertise.user_id, Expertise.tag, Expertise.count, Expertise.score).where(
                Expertise.user_id.in_(user_ids), Expertise.kind == SKILL
            )
        )
    }
    deltas: dict[tuple[str, int, str, str, str], list[float]] = {}
    for (user_id, tag), (count, score) in held.items():
        if (user_id, tag) not in wanted:
            deltas[(tag, user_id, EVERYONE, CORE, SKILL)] = [-count, -score]
    score = CORE_KINDS[0].weight * growth(utcnow())
    for user_id, tag in wanted - set(held):
        deltas[(tag, user_id, EVERYONE, CORE, SKILL)] = [1, score]
    _apply(session, deltas)


def watch_evidence(db: Database, evaluator: Evaluator) -> None:
    """Keep expertise current: when a write session of ``db`` commits, refresh what it
    marked (``changes``) in the same transaction."""

    def before_commit(session: Session) -> None:
        items, skills = changes.take(session, changes.ITEMS), changes.take(session, changes.SKILLS)
        if items or skills:
            session.flush()
            refresh_items(session, items, evaluator)
            refresh_skills(session, skills)

    db.listen("before_commit", before_commit)


def rebuild(
    db: Database, evaluator: Evaluator, progress: Callable[[int, int], None] | None = None
) -> int:
    """Recompute every person's expertise from the database; returns the items read.
    Safe while people write (see the module)."""
    with db.write() as session:
        session.execute(delete(Expertise))
        session.execute(delete(ExpertiseTotal))
        session.execute(delete(ItemEvidence))
        users = list(session.scalars(select(UserSkill.user_id).distinct()))
        refresh_skills(session, users)
    with db.read() as session:
        total = session.scalar(select(func.count(ContentTag.content_id.distinct()))) or 0
    done = 0
    for batch in _tagged_batches(db, REBUILD_BATCH):
        with db.write() as session:
            refresh_items(session, batch, evaluator)
        done += len(batch)
        if progress is not None:
            progress(done, total)
    return done


def _rebuild_job(ctx: JobContext) -> None:
    rebuild(ctx.runtime.db, ctx.runtime.evaluator)


#: Queued by the migration that created the tables, for an installation with data already.
REBUILD_JOB = Job(
    "core.expertise_rebuild", _rebuild_job, max_attempts=3, lease=timedelta(minutes=5)
)


def _tagged_batches(db: Database, size: int) -> Iterator[list[int]]:
    """Ids of the tagged items, ``size`` at a time, in id order."""
    after = 0
    while True:
        with db.read() as session:
            batch = list(
                session.scalars(
                    select(ContentTag.content_id)
                    .where(ContentTag.content_id > after)
                    .distinct()
                    .order_by(ContentTag.content_id)
                    .limit(size)
                )
            )
        if not batch:
            return
        yield batch
        after = batch[-1]


# -- the read side -------------------------------------------------------------------------


@dataclass(frozen=True)
class Standing:
    """A person's evidence on a topic as one viewer may see it."""

    user_id: int
    tag: str
    score: float  # in "posts written this year"
    counts: Mapping[str, int]  # kind -> how many


def _readable(principals: frozenset[str] | ScopeParameter) -> ColumnElement[bool]:
    """Rows from items the viewer may see (their audience, and their plugin active): the
    audience compared as ``visible()`` does (on SQLite the reader's own principals and the
    public spaces' table, not a 2,280-value set), for a scope or a :class:`ScopeParameter`."""
    predicate = audience_in(Expertise.audience, principals, public=Expertise.public)
    allowed = plugin_in(Expertise.plugin, principals)
    if allowed is None:
        return predicate
    return and_(predicate, or_(Expertise.plugin == CORE, allowed))


FIRST_CANDIDATES = 64  # people read in the first round of a ranking (then twice as many)


def _ranking(
    session: Session, principals: frozenset[str], topic: str, want: int
) -> list[tuple[int, float]]:
    """The ``want`` best scores on ``topic`` from what the viewer may see, best first.

    People are walked from the highest total (``rse_expertise_total``, all their evidence,
    an upper bound of what any viewer sees), a growing batch at a time, their visible score
    summed for the batch (the threshold algorithm). Once ``want`` people are found, the
    ``want``-th visible score (ties broken by id, as the walk and the result are) is a floor
    that only rises: whoever's total is not above it cannot enter, so the walk reads only
    people above it and ends where their totals fall to it. A reader who sees most of the
    evidence reads one batch, not the 45,000 people of the most used topic; one who sees a
    part of it stops at the floor rather than at the end of a doubled batch (the most used
    topic at 10,000,000 activities: 448 people read for an ordinary reader, now 203)."""
    found: dict[int, float] = {}
    batch = max(FIRST_CANDIDATES, 2 * want)
    # Plain rows through the connection: thousands of (id, score) pairs a page, which the
    # ORM's result machinery cost more to build than the database to find.
    connection = session.connection()
    scope = ScopeParameter.of(principals)
    values = {**scope.values(principals), "topic": topic}
    after: tuple[float, int] | None = None  # (total, id) of the last person read
    floor: tuple[float, int] | None = None  # (score, id) of the want-th found
    while True:
        candidates = _candidates(connection, topic, after, floor, batch)
        if candidates:
            people = [u for u, _ in candidates]
            statement = _visible_scores(scope, large_set(people))
            found.update(connection.execute(statement, values | {"people": people}).all())
        if len(candidates) < batch:  # nobody left above the floor
            break
        last_id, last_total = candidates[-1]
        after = (last_total, last_id)
        if len(found) >= want:
            kth_id, kth_score = heapq.nlargest(want, found.items(), key=_best_first)[-1]
            floor = (kth_score, kth_id)
            # Whoever comes next has a smaller (total, id) than the last read and a visible
            # score no higher than their total. Comparing ids too stops inside a tie (a skill
            # imported for thousands of people at one moment gives them one total).
            if after <= floor:
                break
        batch *= 2
    return heapq.nlargest(want, found.items(), key=_best_first)


def _candidates(
    connection: Any,
    topic: str,
    after: tuple[float, int] | None,
    floor: tuple[float, int] | None,
    limit: int,
) -> list[Any]:
    """The next ``limit`` people by (total, id), highest first: below ``after`` (the last
    read) and above ``floor`` (who cannot enter the ranking), a range of the totals' index."""
    bounds: dict[str, Any] = {"topic": topic, "limit": limit}
    if after is not None:
        bounds |= {"after_total": after[0], "after_id": after[1]}
    if floor is not None:
        bounds |= {"floor_score": floor[0], "floor_id": floor[1]}
    statement = _candidates_statement(after is not None, floor is not None)
    return connection.execute(statement, bounds).all()


@lru_cache(maxsize=4)
def _candidates_statement(after: bool, floor: bool) -> Any:
    """:func:`_candidates`' statement, built once per pair of bounds (docs/architecture.md,
    "Database": a page runs it in every round)."""
    order = tuple_(ExpertiseTotal.score, ExpertiseTotal.user_id)
    query = select(ExpertiseTotal.user_id, ExpertiseTotal.score).where(
        ExpertiseTotal.tag == bindparam("topic")
    )
    if after:
        query = query.where(order < tuple_(bindparam("after_total"), bindparam("after_id")))
    if floor:
        query = query.where(order > tuple_(bindparam("floor_score"), bindparam("floor_id")))
    return query.order_by(ExpertiseTotal.score.desc(), ExpertiseTotal.user_id.desc()).limit(
        bindparam("limit", type_=Integer)
    )


@lru_cache(maxsize=64)
def _visible_scores(scope: ScopeParameter, many: bool) -> Any:
    """The visible score on the topic of each person of the batch (the parameter ``people``,
    one parameter however many: an expanding IN rendered a parameter per person in Python)."""
    people = set_parameter("people", integers=True)
    return (
        select(Expertise.user_id, func.sum(Expertise.score))
        .where(
            Expertise.tag == bindparam("topic"),
            in_set(Expertise.user_id, people, integers=True, large=many, indexed=True),
            _readable(scope),
        )
        .group_by(Expertise.user_id)
    )


def _best_first(item: tuple[int, float]) -> tuple[float, int]:
    """A ranking's order of (user id, score) pairs: by score, ties by the higher id."""
    return item[1], item[0]


def experts(
    session: Session,
    principals: frozenset[str],
    topic: str,
    *,
    limit: int = 20,
    exclude: Iterable[int] = (),
    now: datetime | None = None,
) -> list[tuple[User, Standing]]:
    """The people who know ``topic`` best, as the viewer holding ``principals`` may see it:
    active, not hiding the topic, not in ``exclude``; best first with their evidence."""
    excluded = set(exclude)
    # A few more than asked, for those filtered out after (deactivated, hiding the topic).
    ranked = _ranking(session, principals, topic, limit + len(excluded) + 10)
    ids = [user_id for user_id, _ in ranked if user_id not in excluded]
    if not ids:
        return []
    statement = _rankable(large_set(ids))
    people = {u.id: u for u in session.scalars(statement, {"people": ids, "topic": topic})}
    chosen = [(uid, s) for uid, s in ranked if uid in people][:limit]
    counts = _counts(session, principals, [topic], [uid for uid, _ in chosen])
    scale = growth(now or utcnow())
    return [
        (people[uid], Standing(uid, topic, s / scale, counts.get((uid, topic), {})))
        for uid, s in chosen
    ]


@lru_cache(maxsize=2)
def _rankable(many: bool) -> Any:
    """Those of the people (the parameter ``people``) who may be ranked on the topic: active,
    not hiding it. One statement, built once."""
    people = set_parameter("people", integers=True)
    hiding = select(HiddenTopic.user_id).where(
        HiddenTopic.user_id == User.id, HiddenTopic.tag == bindparam("topic")
    )
    return select(User).where(
        in_set(User.id, people, integers=True, large=many, indexed=True),
        User.is_active.is_(True),
        ~hiding.exists(),
    )


def known_topics(
    session: Session,
    principals: frozenset[str],
    user_id: int,
    *,
    limit: int = 10,
    now: datetime | None = None,
) -> list[Standing]:
    """What a person knows about, best first, as the viewer may see it; hidden topics out."""
    score = func.sum(Expertise.score).label("score")
    hidden = select(HiddenTopic.tag).where(HiddenTopic.user_id == user_id)
    ranked = session.execute(
        select(Expertise.tag, score)
        .where(Expertise.user_id == user_id, _readable(principals), Expertise.tag.not_in(hidden))
        .group_by(Expertise.tag)
        .order_by(score.desc(), Expertise.tag)
        .limit(limit)
    ).all()
    counts = _counts(session, principals, [tag for tag, _ in ranked], [user_id])
    scale = growth(now or utcnow())
    return [Standing(user_id, tag, s / scale, counts.get((user_id, tag), {})) for tag, s in ranked]


def _counts(
    session: Session, principals: frozenset[str], tags: list[str], user_ids: list[int]
) -> dict[tuple[int, str], dict[str, int]]:
    if not tags or not user_ids:
        return {}
    found: dict[tuple[int, str], dict[str, int]] = defaultdict(dict)
    scope = ScopeParameter.of(principals)
    values = {**scope.values(principals), "tags": tags, "people": user_ids}
    statement = _counts_statement(scope, large_set(user_ids))
    for user_id, tag, kind, count in session.execute(statement, values):
        found[(user_id, tag)][kind] = int(count)
    return found


@lru_cache(maxsize=32)
def _counts_statement(scope: ScopeParameter, many: bool) -> Any:
    """:func:`_counts`' statement, built once per form of scope. The topics and the people
    are set parameters, not expanding ``IN`` lists: psycopg prepares a statement run five
    times on a connection, PostgreSQL then plans it generically after five more, and that
    plan for 60 people's ``$1 ... $60`` read 54-56 ms a call at 100,000 activities against
    ~4 ms (docs/performance.md)."""
    tags = set_parameter("tags")
    people = set_parameter("people", integers=True)
    return (
        select(Expertise.user_id, Expertise.tag, Expertise.kind, func.sum(Expertise.count))
        .where(
            in_set(Expertise.tag, tags, indexed=True),
            in_set(Expertise.user_id, people, integers=True, large=many, indexed=True),
            _readable(scope),
        )
        .group_by(Expertise.user_id, Expertise.tag, Expertise.kind)
    )


def hidden_topics(session: Session, user_id: int) -> list[str]:
    """The topics a person hid, alphabetically."""
    return list(
        session.scalars(
            select(HiddenTopic.tag).where(HiddenTopic.user_id == user_id).order_by(HiddenTopic.tag)
        )
    )


def set_hidden(session: Session, user_id: int, topic: str, hidden: bool) -> None:
    """Hide a topic from one's expertise, or show it again (idempotent)."""
    if hidden:
        if session.get(HiddenTopic, (user_id, topic)) is None:
            session.add(HiddenTopic(user_id=user_id, tag=topic))
    else:
        session.execute(
            delete(HiddenTopic).where(HiddenTopic.user_id == user_id, HiddenTopic.tag == topic)
        )


def explain(
    counts: Mapping[str, int], kinds: Mapping[str, EvidenceKind], gettext: Callable[[str], str]
) -> list[str]:
    """``counts`` as phrases, weightiest first: ``["3 accepted answers", "12 posts"]``
    (counts are at least 1: the singular is for 1 in English and French alike)."""
    ordered = sorted(counts.items(), key=lambda kv: (-kind_of(kinds, kv[0]).weight * kv[1], kv[0]))
    phrases = []
    for name, count in ordered:
        kind = kind_of(kinds, name)
        label = gettext(kind.one if count == 1 else kind.many)
        phrases.append(label if name == SKILL else f"{count} {label}")
    return phrases
