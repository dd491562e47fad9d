"""Data at the seeds' scale (issue #13), on SQLite or PostgreSQL, built in minutes.

    .venv/bin/python bench/seed_data.py --activities 10000000 [--data-dir DIR]
        [--postgres URL] [--users 100000] [--spaces 5000]

Writes, with plain sqlite3 ``executemany`` or PostgreSQL ``COPY`` (the ORM would take hours):
  * ``--users`` employees (100,000) and ``--spaces`` spaces (5,000): 45 % public, 40 % private,
    15 % secret; memberships with a long tail (90 % of people in 5-20 spaces, 9 % in 21-60,
    1 % in 100-400; spaces drawn with Zipf-like weights, so a few spaces have tens of thousands
    of members and most a few hundred); every space has an owner;
  * follows: each person follows 0-10 colleagues;
  * ``--activities`` activities (10,000,000) over the last year, one item created for every
    ten (1,000,000 searchable items), spread over every plugin (feed 48 %, bookmarks 15 %,
    wiki 12 %, blog 10 %, events 8 %, questions 5 % with up to three answers each, praise 2 %
    of 1-2 colleagues) with each plugin's own rows; the others are comments
    (with their comment rows) and edits on recent items, by members of the item's space;
  * hashtags on a third of the feed posts (a vocabulary of 500, some far more used);
  * the bench's particular readers: ``user1`` belongs to 500 spaces, ``user2`` follows 1,000
    people and tags, ``user42`` is anyone.

Also: a third of the people declare 1-3 skills named like the tags; questions and half the
blog posts carry tags too; a fifth of the items are liked by 1-5 colleagues. Then everyone's
expertise is computed from these rows (``rse expertise rebuild``).

Every installed plugin is enabled for everyone. The search index is not built (``rse search
reindex`` does that from these rows). Used by bench/scale_bench.py; prints how long each part
took.
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import random
import sqlite3
import sys
import tempfile
import time
import uuid
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HISTORY = timedelta(days=365)
PLUGIN_SHARES = (
    ("feed", 0.48), ("bookmarks", 0.15), ("wiki", 0.12), ("blog", 0.10), ("qa", 0.05),
    ("praise", 0.02),
)  # fmt: skip
# the rest (8 %) are events
VISIBILITY = (("public", 0.45), ("private", 0.85))  # then secret
RECENT = 5_000  # comments and edits go to one of the last RECENT items
BUSY_READER, FOLLOWER, ANYONE = 1, 2, 42
FIRST = ("Alice", "Bruno", "Chloé", "David", "Emma", "Farid", "Gaëlle", "Hugo", "Inès", "Jules")
LAST = ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Petit", "Durand", "Leroy", "Moreau")
WORDS = ("budget", "roadmap", "customer", "release", "onboarding", "security", "training",
         "supplier", "audit", "quality", "planning", "invoice", "design", "review", "meeting",
         "project", "launch", "feedback", "support", "migration")  # fmt: skip


class Writer:
    """Where rows go: ``write(table, columns, rows)`` then ``finish()``."""

    def write(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        raise NotImplementedError

    def finish(self) -> None:
        raise NotImplementedError


class SqliteWriter(Writer):
    """Batched ``executemany`` on one connection, durability off while loading."""

    def __init__(self, path: Path) -> None:
        self.con = sqlite3.connect(path)
        self.con.execute("PRAGMA synchronous = OFF")
        self.con.execute("PRAGMA cache_size = -400000")

    def write(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        count = 0
        for batch in batched(rows, 100_000):
            self.con.executemany(sql, batch)
            count += len(batch)
        self.con.commit()
        return count

    def finish(self) -> None:
        self.con.execute("ANALYZE")
        self.con.commit()
        self.con.close()


class PostgresWriter(Writer):
    """``COPY ... FROM STDIN`` per table; sequences moved past the ids written; ANALYZE."""

    def __init__(self, sqlalchemy_url: str) -> None:
        import psycopg
        from sqlalchemy.engine import make_url

        url = make_url(sqlalchemy_url)
        options = url.query.get("options")
        self.con = psycopg.connect(
            host=url.host,
            port=url.port,
            user=url.username,
            password=url.password,
            dbname=url.database,
            **({"options": options} if options else {}),
        )
        self.tables: list[str] = []

    def write(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        count = 0
        sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        with self.con.cursor() as cur, cur.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
        self.con.commit()
        if "id" in columns:
            self.tables.append(table)
        return count

    def finish(self) -> None:
        with self.con.cursor() as cur:
            for table in self.tables:
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                    f" (SELECT max(id) FROM {table}))"
                )
        self.con.commit()
        self.con.autocommit = True
        self.con.execute("ANALYZE")
        self.con.close()


def batched(rows: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def zipf_weights(count: int, exponent: float = 0.8) -> list[float]:
    """Cumulative weights for drawing 1..count, the first ones far more often."""
    return list(itertools.accumulate(1 / (rank**exponent) for rank in range(1, count + 1)))


def draw(rng: random.Random, cumulative: list[float]) -> int:
    """One index (0-based) drawn with ``cumulative`` weights."""
    return bisect.bisect(cumulative, rng.random() * cumulative[-1])


def prepare(data_dir: Path, database_url: str | None) -> None:
    """A migrated database, every installed plugin enabled for everyone."""
    from rse_core import migrate
    from rse_core.app import create_runtime
    from rse_core.enablement import set_enablement
    from rse_core.testing import make_settings

    overrides = {"database_url": database_url, "search_backend": "postgres"} if database_url else {}
    rt = create_runtime(make_settings(data_dir, **overrides))
    migrate.upgrade(rt.db, rt.plugins)
    with rt.db.write() as session:
        for name in rt.plugins.plugin_names():
            set_enablement(session, name, enabled=True, actor="bench")
    rt.db.dispose()


def build_expertise(data_dir: Path, database_url: str | None) -> float:
    """Compute everyone's expertise from the seeded rows (``rse expertise rebuild``, which
    an installation keeps current from its write path); returns the seconds it took."""
    from rse_core.app import create_runtime
    from rse_core.expertise import rebuild
    from rse_core.testing import make_settings

    overrides = {"database_url": database_url, "search_backend": "postgres"} if database_url else {}
    rt = create_runtime(make_settings(data_dir, **overrides))
    started = time.perf_counter()
    items = rebuild(rt.db, rt.evaluator)
    took = time.perf_counter() - started
    rt.db.dispose()
    print(f"  expertise: {items:,} tagged items in {took:.1f} s", flush=True)
    return took


def build(
    writer: Writer,
    *,
    users: int = 100_000,
    spaces: int = 5_000,
    activities: int = 10_000_000,
    seed: int = 7,
    log: Any = print,
) -> dict[str, float]:
    """Fill a migrated, empty database through ``writer``; returns seconds per part."""
    rng = random.Random(seed)
    timings: dict[str, float] = {}
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    stamp = now.isoformat(sep=" ")
    started = time.perf_counter()

    def done(part: str, rows: int) -> None:
        nonlocal started
        timings[part] = time.perf_counter() - started
        log(f"  {part}: {rows:,} rows in {timings[part]:.1f} s", flush=True)
        started = time.perf_counter()

    def person(i: int) -> tuple[Any, ...]:
        name = f"{FIRST[i % len(FIRST)]} {LAST[(i // len(FIRST)) % len(LAST)]} {i}"
        job = rng.choice(WORDS).title() + " lead"
        return (i, f"user{i}", f"user{i}@example.com", "", name, i == BUSY_READER, True, job,
                f"Dept {i % 40}", "Paris", "", "", stamp)  # fmt: skip

    done(
        "users",
        writer.write(
            "rse_user",
            USER_COLUMNS,
            (person(i) for i in range(1, users + 1)),
        ),
    )
    visibility = {}
    for sid in range(1, spaces + 1):
        roll = rng.random()
        visibility[sid] = next((v for v, limit in VISIBILITY if roll < limit), "secret")
    done(
        "spaces",
        writer.write(
            "rse_space",
            ("id", "slug", "name", "description", "visibility", "join_policy", "created_at"),
            (
                (sid, f"space-{sid}", f"Space {sid}", "", visibility[sid], "open", stamp)
                for sid in range(1, spaces + 1)
            ),
        ),
    )
    # Memberships: the long tail of how many spaces a person is in, and of how big spaces are.
    cumulative = zipf_weights(spaces)
    order = list(range(1, spaces + 1))
    rng.shuffle(order)  # which spaces are big is random, not by id
    members_of: list[list[int]] = [[] for _ in range(spaces + 1)]
    for uid in range(1, users + 1):
        roll = rng.random()
        wanted = (
            500
            if uid == BUSY_READER
            else rng.randint(5, 20)
            if roll < 0.90
            else rng.randint(21, 60)
            if roll < 0.99
            else rng.randint(100, 400)
        )
        wanted = min(wanted, spaces)  # small test data: fewer spaces than that
        chosen: set[int] = set()
        while len(chosen) < wanted:
            chosen.add(order[draw(rng, cumulative)])
        for sid in chosen:
            members_of[sid].append(uid)
    for sid in range(1, spaces + 1):
        if not members_of[sid]:
            members_of[sid].append(rng.randint(1, users))
    done(
        "memberships",
        writer.write(
            "rse_membership",
            ("space_id", "user_id", "role", "joined_at"),
            (
                (sid, uid, "owner" if n == 0 else "member", stamp)
                for sid in range(1, spaces + 1)
                for n, uid in enumerate(members_of[sid])
            ),
        ),
    )
    tags = [f"{rng.choice(WORDS)}{n}" for n in range(500)]
    tag_weights = zipf_weights(len(tags), 1.0)

    def skills() -> Iterator[tuple[Any, ...]]:
        """A third of the people declare 1-3 skills, named like the tags."""
        skill_id = 0
        for uid in range(1, users + 1):
            if rng.random() < 0.33:
                for tag in {tags[draw(rng, tag_weights)] for _ in range(rng.randint(1, 3))}:
                    skill_id += 1
                    yield (skill_id, uid, tag, tag)

    done("skills", writer.write("rse_user_skill", ("id", "user_id", "skill", "key"), skills()))

    def follows() -> Iterator[tuple[Any, ...]]:
        for uid in range(1, users + 1):
            if uid == FOLLOWER:
                people = rng.sample(range(3, users + 1), 800)
                yield from ((uid, f"user:{p}", stamp) for p in people)
                yield from ((uid, f"tag:{t}", stamp) for t in rng.sample(tags, 200))
                continue
            for other in {rng.randint(1, users) for _ in range(rng.randint(0, 10))} - {uid}:
                yield (uid, f"user:{other}", stamp)

    done("follows", writer.write("rse_follow", ("user_id", "target", "created_at"), follows()))

    # Items and activities, in time order: ids grow with time as in a live installation.
    step = HISTORY / activities
    begin = now - HISTORY
    content: list[tuple[Any, ...]] = []
    activity: list[tuple[Any, ...]] = []
    comments: list[tuple[Any, ...]] = []
    content_tags: list[tuple[Any, ...]] = []
    reactions: list[tuple[Any, ...]] = []
    plugin_rows: dict[str, list[tuple[Any, ...]]] = {
        "feed": [], "bookmarks": [], "wiki": [], "wiki_revision": [], "blog": [],
        "events": [], "event_organiser": [], "event_occurrence": [], "qa": [], "qa_answer": [],
        "praise": [], "praise_recipient": [],
    }  # fmt: skip
    recent: deque[tuple[int, int | None, str, str, int]] = deque(maxlen=RECENT)
    counts = {"items": 0, "comments": 0, "activities": 0, "likes": 0}
    shares = list(itertools.accumulate(share for _, share in PLUGIN_SHARES))
    urls = [f"https://docs.example.com/{rng.choice(WORDS)}/{n}" for n in range(20_000)]
    url_weights = zipf_weights(len(urls), 1.0)
    item_share = 0.10
    flush_every = 200_000

    def flush() -> None:
        writer.write("rse_content", CONTENT_COLUMNS, content)
        writer.write("rse_content_tag", ("content_id", "tag"), content_tags)
        writer.write("feed_post", ("id", "content_id", "body", "created_at"), plugin_rows["feed"])
        writer.write("bookmarks_bookmark", BOOKMARK_COLUMNS, plugin_rows["bookmarks"])
        writer.write("wiki_page", WIKI_COLUMNS, plugin_rows["wiki"])
        writer.write("wiki_revision", REVISION_COLUMNS, plugin_rows["wiki_revision"])
        writer.write("blog_post", BLOG_COLUMNS, plugin_rows["blog"])
        writer.write("event_event", EVENT_COLUMNS, plugin_rows["events"])
        writer.write("event_organiser", ("event_id", "user_id"), plugin_rows["event_organiser"])
        writer.write("event_occurrence", OCCURRENCE_COLUMNS, plugin_rows["event_occurrence"])
        writer.write("qa_question", QUESTION_COLUMNS, plugin_rows["qa"])
        writer.write("qa_answer", ANSWER_COLUMNS, plugin_rows["qa_answer"])
        writer.write("praise_praise", PRAISE_COLUMNS, plugin_rows["praise"])
        writer.write("praise_recipient", ("praise_id", "user_id"), plugin_rows["praise_recipient"])
        writer.write("rse_activity", ACTIVITY_COLUMNS, activity)
        writer.write("rse_comment", COMMENT_COLUMNS, comments)
        writer.write("rse_reaction", ("content_id", "user_id", "kind", "created_at"), reactions)
        for rows in (content, activity, comments, content_tags, reactions, *plugin_rows.values()):
            rows.clear()

    plugin_ids = dict.fromkeys(("feed", "bookmarks", "wiki", "blog", "qa", "praise", "events"), 0)
    for aid in range(1, activities + 1):
        at = (begin + step * aid).isoformat(sep=" ")
        if not recent or rng.random() < item_share:
            counts["items"] += 1
            cid = counts["items"]
            roll = rng.random()
            plugin = next(
                (p for (p, _), limit in zip(PLUGIN_SHARES, shares, strict=True) if roll < limit),
                "events",
            )
            roll = rng.random()
            if plugin == "feed" and roll < 0.05:
                space, author = None, rng.randint(1, users)
                audience = f"user:{author}"
            elif roll < 0.30:
                space, author, audience = None, rng.randint(1, users), "everyone"
            else:
                space = order[draw(rng, cumulative)]
                author, audience = rng.choice(members_of[space]), f"space:{space}"
            plugin_ids[plugin] += 1
            pid = plugin_ids[plugin]
            if plugin == "praise":  # 1-2 colleagues who can read where it is shared
                pool = members_of[space] if space else range(1, users + 1)
                praised = {rng.choice(pool) for _ in range(rng.randint(1, 2))} - {author}
                plugin_rows["praise_recipient"].extend(
                    (pid, u) for u in praised or {author % users + 1}
                )
            title, summary, url = item(
                plugin, pid, cid, space, author, at, now, rng, plugin_rows, urls, url_weights
            )
            if plugin == "feed" and rng.random() < 0.33:
                used = {tags[draw(rng, tag_weights)] for _ in range(rng.randint(1, 2))}
                summary += " " + " ".join(f"#{t}" for t in sorted(used))
                plugin_rows["feed"][-1] = (*plugin_rows["feed"][-1][:2], summary, at)
                content_tags.extend((cid, t) for t in used)
            elif plugin == "qa" or (plugin == "blog" and rng.random() < 0.5):
                used = {tags[draw(rng, tag_weights)] for _ in range(rng.randint(1, 2))}
                row = plugin_rows[plugin][-1]
                column = 6  # the tags column of qa_question and blog_post
                plugin_rows[plugin][-1] = (
                    *row[:column],
                    " ".join(sorted(used)),
                    *row[column + 1 :],
                )
                content_tags.extend((cid, t) for t in used)
            if rng.random() < 0.2:  # a fifth of the items are liked, by 1-5 colleagues
                for fan in {rng.randint(1, users) for _ in range(rng.randint(1, 5))}:
                    reactions.append((cid, fan, "like", at))
                    counts["likes"] += 1
            content.append((cid, f"{plugin}.{ITEM_TYPE[plugin]}", plugin, space, author,
                            audience, title, summary, url, at, at))  # fmt: skip
            activity.append((aid, author, "create", cid, space, audience, plugin, at))
            if not audience.startswith("user:"):
                recent.append((cid, space, audience, plugin, author))
        else:
            cid, space, audience, plugin, author = rng.choice(recent)
            if rng.random() < 0.1:
                activity.append((aid, author, "update", cid, space, audience, plugin, at))
            else:
                actor = rng.choice(members_of[space]) if space else rng.randint(1, users)
                counts["comments"] += 1
                comments.append((counts["comments"], cid, actor,
                                 f"A comment about {rng.choice(WORDS)}.", at, at))  # fmt: skip
                activity.append((aid, actor, "comment", cid, space, audience, plugin, at))
        if len(activity) >= flush_every:
            flush()
            log(f"    {aid:,} activities", flush=True)
    flush()
    counts["activities"] = activities
    done("items and activities", activities + counts["items"] + counts["comments"])
    writer.finish()
    done("analyse", 0)
    log(
        f"  {counts['items']:,} items ({', '.join(f'{k} {v:,}' for k, v in plugin_ids.items())}),"
        f" {counts['comments']:,} comments, {counts['likes']:,} likes",
        flush=True,
    )
    return timings


USER_COLUMNS = ("id", "username", "email", "password_hash", "display_name", "is_admin",
                "is_active", "job_title", "department", "location", "phone", "bio",
                "created_at")  # fmt: skip
ITEM_TYPE = {"feed": "post", "bookmarks": "link", "wiki": "page", "blog": "post",
             "praise": "praise", "qa": "question", "events": "event"}  # fmt: skip
CONTENT_COLUMNS = ("id", "type", "plugin", "space_id", "author_id", "audience", "title",
                   "summary", "url", "created_at", "updated_at")  # fmt: skip
ACTIVITY_COLUMNS = ("id", "actor_id", "verb", "content_id", "space_id", "audience", "plugin",
                    "created_at")  # fmt: skip
COMMENT_COLUMNS = ("id", "content_id", "author_id", "body", "created_at", "updated_at")
BOOKMARK_COLUMNS = ("id", "content_id", "url", "title", "description", "created_at")
WIKI_COLUMNS = ("id", "wiki_id", "space_id", "content_id", "slug", "title", "body",
                "parent_id", "revision", "created_at", "updated_at")  # fmt: skip
REVISION_COLUMNS = ("page_id", "wiki_id", "number", "title", "body", "summary", "author_id",
                    "merged", "created_at")  # fmt: skip
BLOG_COLUMNS = ("id", "content_id", "author_id", "space_id", "title", "body", "tags", "status",
                "published_at", "created_at", "updated_at")  # fmt: skip
EVENT_COLUMNS = ("id", "content_id", "creator_id", "space_id", "title", "description",
                 "time_zone", "starts_at", "ends_at", "all_day", "location", "online_url",
                 "uid", "sequence", "created_at", "updated_at")  # fmt: skip
OCCURRENCE_COLUMNS = ("event_id", "original_start", "starts_at", "ends_at", "moved", "cancelled")
QUESTION_COLUMNS = ("id", "content_id", "author_id", "space_id", "title", "body", "tags",
                    "answer_count", "accepted_answer_id", "created_at", "updated_at")  # fmt: skip
ANSWER_COLUMNS = ("id", "question_id", "author_id", "body", "score", "created_at", "updated_at")
PRAISE_COLUMNS = ("id", "content_id", "author_id", "space_id", "badge_id", "message", "created_at")


def item(
    plugin: str,
    pid: int,
    cid: int,
    space: int | None,
    author: int,
    at: str,
    now: datetime,
    rng: random.Random,
    rows: dict[str, list[tuple[Any, ...]]],
    urls: list[str],
    url_weights: list[float],
) -> tuple[str, str, str]:
    """The plugin's own rows for a new item; its (title, summary, url) for the core's row."""
    topic = rng.choice(WORDS)
    if plugin == "feed":
        body = f"Working on the {topic} with the team, item {cid}."
        rows["feed"].append((pid, cid, body, at))
        return "", body, f"/feed/posts/{pid}"
    if plugin == "bookmarks":
        url = urls[draw(rng, url_weights)]
        title = f"The {topic} guide"
        rows["bookmarks"].append((pid, cid, url, title, f"Useful for the {topic}.", at))
        return title, f"Useful for the {topic}.\n{url}", f"/bookmarks/{pid}"
    if plugin == "wiki":
        wiki = space or 0
        slug, title = f"{topic}-{pid}", f"{topic.title()} {pid}"
        body = f"## {topic.title()}\n\nHow we handle the {topic}. " + "More words here. " * 20
        rows["wiki"].append((pid, wiki, space, cid, slug, title, body, None, 1, at, at))
        rows["wiki_revision"].append((pid, wiki, 1, title, body, "", author, False, at))
        base = f"/wiki/space-{space}" if space else "/wiki/company"
        return title, body, f"{base}/{slug}"
    if plugin == "blog":
        title = f"What we learnt about the {topic}"
        body = f"A post about the {topic}. " + "A paragraph with some words in it. " * 40
        rows["blog"].append((pid, cid, author, space, title, body, "", "published", at, at, at))
        return title, body, f"/blog/posts/{pid}"
    if plugin == "qa":
        title = f"How do we handle the {topic} for item {cid}?"
        body = f"I need help with the {topic}."
        answers = rng.choice((0, 0, 1, 1, 2, 3))
        accepted = None
        for n in range(answers):
            answer_id = pid * 4 + n  # at most three a question: unique without a counter
            rows["qa_answer"].append(
                (answer_id, pid, rng.randint(1, 1000), f"Try this for the {topic}.",
                 rng.randint(0, 5), at, at)
            )  # fmt: skip
            accepted = answer_id if n == 0 and rng.random() < 0.5 else accepted
        rows["qa"].append((pid, cid, author, space, title, body, "", answers, accepted, at, at))
        return title, body, f"/qa/questions/{pid}"
    if plugin == "praise":
        message = f"Thanks for your help with the {topic}."
        rows["praise"].append((pid, cid, author, space, rng.randint(1, 4), message, at))
        return "Helpful", message, f"/praise/{pid}"
    # events: around today, an hour or two in the daytime
    day = now + timedelta(days=rng.randint(-180, 180))
    starts = day.replace(hour=rng.randint(7, 16), minute=rng.choice((0, 30)), second=0)
    ends = starts + timedelta(minutes=rng.choice((30, 60, 90, 120)))
    title = f"{topic.title()} {rng.choice(('review', 'workshop', 'training', 'sync'))}"
    s, e = starts.isoformat(sep=" "), ends.isoformat(sep=" ")
    rows["events"].append((pid, cid, author, space, title, "An event.", "Europe/Paris", s, e,
                           False, "", "", f"{uuid.UUID(int=rng.getrandbits(128))}@bench", 0,
                           at, at))  # fmt: skip
    rows["event_organiser"].append((pid, author))
    rows["event_occurrence"].append((pid, s, s, e, False, False))
    return title, "An event.", f"/events/{pid}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activities", type=int, default=10_000_000)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--spaces", type=int, default=5_000)
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--postgres", help="a PostgreSQL database URL (empty) instead of SQLite")
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="rse-seed-")) / "var"
    started = time.perf_counter()
    prepare(data_dir, args.postgres)
    writer = PostgresWriter(args.postgres) if args.postgres else SqliteWriter(data_dir / "rse.db")
    build(writer, users=args.users, spaces=args.spaces, activities=args.activities)
    build_expertise(data_dir, args.postgres)
    print(f"built in {time.perf_counter() - started:.0f} s: {args.postgres or data_dir}")


if __name__ == "__main__":
    sys.exit(main())
