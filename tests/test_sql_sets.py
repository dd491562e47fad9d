"""``in_set``: a set of any size as one parameter, the same rows on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select
from sqlalchemy.dialects import postgresql

from rse_core.db import Database
from rse_core.permissions import ReadScope
from rse_core.sql_sets import LARGE_SET, array_sql, as_array, compares_large_set, in_set
from rse_core.testing import make_settings

ODD = ['quote"d', "back\\slash", "com,ma", "{brace}", "sp ace", "", "NULL", "accentué"]


def _table() -> Table:
    return Table(
        "set_probe",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("name", String(40)),
    )


def test_small_and_large_sets_of_strings_and_integers_find_the_same_rows(tmp_path):
    settings = make_settings(tmp_path)
    db = Database(settings.database_url)
    table = _table()
    table.metadata.create_all(db.engine)
    names = ODD + [f"space:{n}" for n in range(400)]
    with db.write() as session:
        session.execute(insert(table), [{"id": i, "name": n} for i, n in enumerate(names, 1)])
    for size in (3, LARGE_SET, LARGE_SET + 1, 300):
        wanted = set(ODD[:3]) | {f"space:{n}" for n in range(0, 800, 800 // size)}
        ids = set(range(1, 2 * size, 2))
        with db.read() as session:
            by_name = session.scalars(select(table.c.name).where(in_set(table.c.name, wanted)))
            numbers = in_set(table.c.id, ids, integers=True)
            by_id = session.scalars(select(table.c.id).where(numbers))
            assert set(by_name) == wanted & set(names), size
            assert set(by_id) == ids & set(range(1, len(names) + 1)), size
    with db.read() as session:  # every odd character survives the array's text
        found = session.scalars(select(table.c.name).where(in_set(table.c.name, ODD * 20)))
        assert sorted(found) == sorted(ODD)
        scope = ReadScope(ODD, plugins=None)  # a ReadScope's kept text or JSON is the same
        found = session.scalars(select(table.c.name).where(in_set(table.c.name, scope)))
        assert sorted(found) == sorted(ODD)
    db.dispose()


def test_postgresql_compares_a_large_set_with_an_expression_the_planner_has_no_statistics_for():
    table = _table()
    dialect = postgresql.dialect()
    small = str(select(table.c.id).where(in_set(table.c.name, ["a"])).compile(dialect=dialect))
    large = select(table.c.id).where(in_set(table.c.name, [str(n) for n in range(LARGE_SET + 1)]))
    numbers = select(table.c.id).where(in_set(table.c.id, range(LARGE_SET + 1), integers=True))
    assert "set_probe.name = ANY(" in small
    assert "(set_probe.name || '') = ANY(" in str(large.compile(dialect=dialect))
    assert "(set_probe.id + 0) = ANY(" in str(numbers.compile(dialect=dialect))
    # A batch of keys to look up (a ranking round's 226 people) keeps the column: wrapped, the
    # round read every row of the topic (5.7 -> 3.6 ms at 100,000 activities).
    keys = in_set(table.c.id, range(LARGE_SET + 1), integers=True, indexed=True)
    looked_up = str(select(table.c.id).where(keys).compile(dialect=dialect))
    assert "set_probe.id = ANY(" in looked_up
    # The statements compared row by row with a large set are the ones never prepared.
    assert compares_large_set(str(large.compile(dialect=dialect)))
    assert compares_large_set(str(numbers.compile(dialect=dialect)))
    assert compares_large_set(array_sql("audience", LARGE_SET + 1) + " = ANY(:principals)")
    assert not compares_large_set(small) and not compares_large_set(looked_up)


def test_the_array_text_quotes_what_postgresql_would_read_otherwise():
    assert as_array(["b", "a"]) == '{"a","b"}'
    assert as_array(['x"y', "x\\y"]) == '{"x\\"y","x\\\\y"}'
    assert as_array([3, 1]) == '{"1","3"}'


def test_a_space_s_reads_carry_three_principals_not_every_public_space():
    """``within_spaces``: a subset (never more visible), the plugins kept, and small enough
    that PostgreSQL compares the column itself (no expression, no per-value planning)."""
    from rse_core.activity import _shape_and_values, _walk
    from rse_core.permissions import within_spaces

    scope = ReadScope(
        {"everyone", "user:7", *(f"space:{n}" for n in range(2_000))}, plugins={"feed"}
    )
    narrowed = within_spaces(scope, [12])
    assert narrowed == {"everyone", "user:7", "space:12"} and narrowed <= scope
    assert narrowed.plugins == scope.plugins
    assert within_spaces(scope, [99_999]) == {"everyone", "user:7"}  # not held: nothing of it
    assert within_spaces(scope, [3, 4]) == {"everyone", "user:7", "space:3", "space:4"}
    shape, _values = _shape_and_values(scope, space_id=12)
    sql = str(_walk(shape).compile(dialect=postgresql.dialect()))
    assert "rse_activity.audience = ANY(" in sql and "audience || ''" not in sql


def test_a_batch_of_keys_is_looked_up_through_the_index_a_visibility_set_is_not(rse_app):
    """``in_set(..., indexed=True)``: SQLite looks the values up through the column's index
    (a ranking round's people: the whole topic's rows were read, 30 ms at 10,000,000
    activities). By default it checks the set row by row on the walk it chose: started from
    the audience index, the praise wall sorted every visible item (1.8 s at that size)."""
    from sqlalchemy import select

    from rse_core.expertise import Expertise
    from rse_core.sql_sets import in_set
    from rse_core.testing import on_postgres, sqlite_query_plans

    if on_postgres():
        pytest.skip("SQLite's plans (PostgreSQL plans by statistics)")
    db = rse_app.state.rse.db
    keys = in_set(Expertise.user_id, [3, 4], integers=True, indexed=True)
    checked = in_set(Expertise.user_id, [3, 4], integers=True)
    with sqlite_query_plans(rse_app, "rse_expertise.tag") as plans, db.read() as session:
        session.execute(select(Expertise.score).where(Expertise.tag == "x", keys)).all()
        by_key = list(plans)
        plans.clear()
        session.execute(select(Expertise.score).where(Expertise.tag == "x", checked)).all()
    assert any("user_id=?" in step for step in by_key), by_key
    assert not any("user_id=?" in step for step in plans), plans
