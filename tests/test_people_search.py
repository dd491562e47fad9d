"""The people directory's search (``accounts.search_users``) through the trigram index of
everyone's words (``rse_user_words``, migration core_0028, kept by triggers).

Property: for generated people, changes to them and queries, the search returns exactly the
active people each of whose words is found in one of their fields or skills, in username
order, page by page; through the index (few matches), through the walk in username order
(many), and through a window of that walk then the index past it, which must agree. The
expected answer is computed from the generated people alone.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, text

from rse_core.identity import accounts
from rse_core.identity.models import User, UserSkill
from rse_core.testing import (
    add_user,
    build_app,
    make_settings,
    migrate_down,
    migrate_up,
    on_postgres,
)

# Lower-case letters and é (the same under SQLite's and PostgreSQL's case rules), a capital,
# and LIKE's own wildcards, which must be searched for as themselves.
ALPHABET = "abcdeé%_ A"
field = st.text(ALPHABET, max_size=8)
person_st = st.fixed_dictionaries(
    {
        "display_name": st.text(ALPHABET, min_size=1, max_size=10),
        "job_title": field,
        "department": field,
        "skills": st.lists(st.text("abcde", min_size=1, max_size=5), max_size=3, unique=True),
        "active": st.booleans(),
    }
)
change_st = st.one_of(
    st.none(),
    st.tuples(st.just("rename"), st.integers(0, 5), st.text(ALPHABET, min_size=1, max_size=10)),
    st.tuples(
        st.just("skills"), st.integers(0, 5), st.lists(st.text("abcde", min_size=1), max_size=4)
    ),
    st.tuples(st.just("delete"), st.integers(0, 5)),
)
query_st = st.lists(st.text(ALPHABET.replace(" ", ""), min_size=1, max_size=4), max_size=3)
short_words = st.lists(st.text(ALPHABET.replace(" ", ""), min_size=1, max_size=2), max_size=2)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """One installation for every example (each writes in a transaction it rolls back)."""
    built = build_app(make_settings(tmp_path_factory.mktemp("people") / "var"))
    yield built
    built.state.rse.db.dispose()


def matches(person: dict, username: str, words: list[str]) -> bool:
    fields = [person["display_name"], username, person["job_title"], person["department"]]
    fields += [s.lower() for s in person["skills"]]
    return all(any(w.lower() in f.lower() for f in fields) for w in words)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    people=st.lists(person_st, min_size=1, max_size=6),
    change=change_st,
    words=query_st,
    data=st.data(),
)
def test_search_finds_exactly_the_matching_active_people(app, people, change, words, data):
    db = app.state.rse.db
    names = [f"p{n}x" for n in range(len(people))]
    with db.write() as session:
        rows = []
        for name, person in zip(names, people, strict=True):
            user = User(
                username=name,
                email=f"{name}@example.com",
                display_name=person["display_name"],
                job_title=person["job_title"],
                department=person["department"],
                is_active=person["active"],
                skills=[UserSkill(skill=s, key=s.lower()) for s in person["skills"]],
            )
            session.add(user)
            rows.append(user)
        session.flush()
        changed = people
        if change is not None:
            user, person = rows[change[1] % len(rows)], people[change[1] % len(rows)]
            changed = [person]
            if change[0] == "rename":
                user.display_name = person["display_name"] = change[2]
            elif change[0] == "skills":
                skills = accounts.parse_skills(change[2])
                accounts.update_profile(session, user, {"skills": skills})
                person["skills"] = skills
            else:
                session.execute(delete(User).where(User.id == user.id))
                person["active"] = False
            session.flush()
        # Or, instead of random words, a piece of a field as it now is (of the changed person
        # if any): it finds them, unless the words the index holds did not follow the change.
        fields = [t for p in changed for t in (p["display_name"], *p["skills"]) if t.strip()]
        if fields and data.draw(st.booleans()):
            piece = data.draw(st.sampled_from(fields)).split()[0]
            size = data.draw(st.integers(min(3, len(piece)), len(piece)))
            start = data.draw(st.integers(0, len(piece) - size))
            # With a short word or none beside it: the index lists by the piece alone and
            # the short word is checked on each (found or not).
            words = [piece[start : start + size], *data.draw(short_words)]
        expected = [
            name
            for name, person in zip(names, people, strict=True)
            if person["active"] and matches(person, name, words)
        ]
        saved = accounts.CANDIDATES, accounts.WALK_WINDOW, accounts.SPARSE
        q = " ".join(words)
        try:
            # Through the trigram index; walking everyone (more candidates than allowed: with
            # 1, some words list too many people and others none); walking a window of 0 or 2
            # people, then the index past it (SPARSE 0: the words taken for rare) or the walk
            # going on (the words taken for common).
            for accounts.CANDIDATES, accounts.WALK_WINDOW, accounts.SPARSE in (
                saved,
                (1, *saved[1:]),
                (0, *saved[1:]),
                (0, 0, 0),
                (0, 2, 0),
                (0, 0, 10**9),
                (0, 2, 10**9),
            ):
                found = accounts.search_users(session, q, limit=50)
                assert [u.username for u in found] == expected
                first = accounts.search_users(session, q, limit=2)
                after = first[-1].username if first else None
                rest = accounts.search_users(session, q, after=after, limit=50) if after else []
                assert [u.username for u in first + rest] == expected
        finally:
            accounts.CANDIDATES, accounts.WALK_WINDOW, accounts.SPARSE = saved
            session.rollback()


def test_the_trigram_index_answers_a_word_of_three_letters(app):
    """The candidates are found through the index, not by reading everyone's words."""
    add_user(app, "kim", job_title="SRE", department="IT")
    with app.state.rse.db.write() as session:
        accounts.update_profile(
            session, accounts.get_user(session, "kim"), {"skills": "Kubernetes"}
        )
    with app.state.rse.db.read() as session:
        if on_postgres():
            session.execute(text("SET LOCAL enable_seqscan = off"))  # a table of few rows
        dialect = session.get_bind().dialect.name
        statement = accounts._candidates((True,), dialect)
        sql = statement.params(word0="%bernet%", cap=10).compile(
            session.get_bind(), compile_kwargs={"literal_binds": True}
        )
        if on_postgres():
            plan = " ".join(session.scalars(text(f"EXPLAIN {sql}")))
            assert "ix_rse_user_words" in plan
        else:
            explain = session.execute(text(f"EXPLAIN QUERY PLAN {sql}"))
            assert "VIRTUAL TABLE INDEX 0:L" in " ".join(r[3] for r in explain)  # trigrams
        assert [u.username for u in accounts.search_users(session, "BERNET sre")] == ["kim"]
        # Two letters: no trigram; SQLite reads the text from FTS5's own table.
        assert [u.username for u in accounts.search_users(session, "ku")] == ["kim"]


def test_many_candidates_are_read_by_key(app):
    """Up to CANDIDATES people are read by their ids, through the key however many: the form
    PostgreSQL gets for a large set, ``(rse_user.id + 0) = ANY``, read everyone."""
    from sqlalchemy import event

    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    db = app.state.rse.db
    with db.write() as session:
        for n in range(120):
            session.add(
                User(
                    username=f"many{n:03}",
                    email=f"many{n}@example.com",
                    display_name=f"Many {n}",
                    skills=[UserSkill(skill="Zymurgy", key="zymurgy")],
                )
            )
        session.flush()
        event.listen(db.engine, "before_cursor_execute", record)
        try:
            found = accounts.search_users(session, "zymurgy", limit=24)
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
        assert [u.username for u in found] == [f"many{n:03}" for n in range(24)]
        assert not any("rse_user.id + 0" in s for s in statements), statements
        session.rollback()


def test_a_common_word_beside_a_short_one_lists_by_the_common_word_alone(app):
    """``lead zz``: the index lists people by the words it can look up, up to the cap, and
    checks the short word on each; it does not list everyone with "lead" to check "zz"."""
    db = app.state.rse.db
    with db.write() as session:
        for n in range(6):
            skills = [UserSkill(skill="Jazz", key="jazz")] if n in (2, 4) else []
            session.add(
                User(
                    username=f"lead{n}",
                    email=f"lead{n}@example.com",
                    display_name=f"Team Lead {n}",
                    skills=skills,
                )
            )
        session.flush()
        saved = accounts.CANDIDATES
        try:
            for accounts.CANDIDATES in (saved, 3):  # listed whole, or too many: the walk
                found = accounts.search_users(session, "LEAD zz", limit=5)
                assert [u.username for u in found] == ["lead2", "lead4"]
        finally:
            accounts.CANDIDATES = saved
        dialect = session.get_bind().dialect.name
        statement = accounts._candidates((True, False), dialect)
        sql = str(statement.compile(session.get_bind()))
        assert sql.count("LIKE") == 2 and sql.index("ESCAPE") < sql.index("WHERE")  # checked
        session.rollback()


def test_core_0028_indexes_the_people_already_there(tmp_path):
    """An installation upgraded to core_0028 finds its people by their words at once."""
    app = build_app(make_settings(tmp_path / "var"))
    db = app.state.rse.db
    migrate_down(app, "core_0027")
    add_user(app, "kim", department="Infrastructure")  # written without the triggers
    migrate_up(app)
    with db.read() as session:
        assert [u.username for u in accounts.search_users(session, "structure")] == ["kim"]
    db.dispose()


def test_the_words_follow_every_change_of_a_person(app):
    """Renamed, their skills changed, their username changed, removed: the next search sees
    it (the triggers, whatever writes the person)."""
    add_user(app, "ann", display_name="Ann Fisher", job_title="Buyer", department="Purchasing")
    db = app.state.rse.db

    def found(q: str) -> list[str]:
        with db.read() as session:
            return [u.username for u in accounts.search_users(session, q)]

    assert found("fisher") == found("purchasing") == ["ann"]
    with db.write() as session:
        ann = accounts.get_user(session, "ann")
        accounts.update_profile(
            session, ann, {"display_name": "Ann Baker", "skills": "Pastry, Logistics"}
        )
    assert found("fisher") == [] and found("baker pastry") == ["ann"]
    with db.write() as session:
        accounts.update_profile(session, accounts.get_user(session, "ann"), {"skills": "Bread"})
    assert found("pastry") == [] and found("bread") == ["ann"]
    with db.write() as session:
        session.execute(text("UPDATE rse_user SET username = 'annb' WHERE username = 'ann'"))
    assert found("annb") == ["annb"]
    with db.write() as session:
        session.execute(delete(User).where(User.username == "annb"))
    assert found("baker") == []
    with db.read() as session:
        assert session.execute(text("SELECT count(*) FROM rse_user_words")).scalar_one() == (
            session.execute(text("SELECT count(*) FROM rse_user")).scalar_one()
        )
