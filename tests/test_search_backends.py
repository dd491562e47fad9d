"""Both search backends against a model: hits, totals and facets are exactly the visible
matching documents, whatever the order of writes and deletions (and, for whoosh, of segments
merged under its per-segment caches). The PostgreSQL backend runs under ``make test-postgres``."""

from __future__ import annotations

import dataclasses
import os
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event
from whoosh import index
from whoosh.fields import ID, TEXT, Schema

from rse_core.search.documents import Document
from rse_core.search.postgres_backend import PostgresBackend
from rse_core.search.whoosh_backend import WhooshBackend
from rse_core.testing import make_settings, on_postgres

WORDS = ["w1", "w2", "w3", "w4"]
AUDIENCES = ["everyone", "space:1", "space:2", "user:9"]
NOW = datetime(2026, 11, 1, tzinfo=UTC)


def doc(
    key: int, words: list[str], audience: str, kind: str = "t.post", space: str = ""
) -> Document:
    return Document(
        f"c:{key}", kind, f"title {key}", " ".join(words), audience, f"/c/{key}", space, "a", NOW
    )


op_st = st.one_of(
    st.tuples(
        st.just("put"),
        st.integers(0, 15),
        st.lists(st.sampled_from(WORDS), min_size=1, max_size=3),
        st.sampled_from(AUDIENCES),
        st.sampled_from(["", "s1", "s2"]),
    ),
    st.tuples(st.just("delete"), st.integers(0, 15)),
)


BACKENDS = ["whoosh", *(["postgres"] if on_postgres() else [])]


@pytest.fixture(scope="module")
def postgres_runtime(tmp_path_factory):
    from rse_core import migrate
    from rse_core.app import create_runtime

    if not on_postgres():
        yield None
        return
    rt = create_runtime(
        make_settings(tmp_path_factory.mktemp("pg") / "var", load_entry_points=False)
    )
    migrate.upgrade(rt.db, rt.plugins)
    yield rt
    rt.db.dispose()


OPENED: list = []


@pytest.fixture(autouse=True)
def close_backends():
    """Close every backend a test opened (whoosh keeps its segment files open)."""
    yield
    while OPENED:
        OPENED.pop().close()


def empty_backend(name, tmp_path, postgres_runtime):
    """A new, empty index of the backend ``name`` (closed after the test)."""
    if name == "whoosh":
        backend = WhooshBackend(tmp_path / f"ix{random.random()}")
    else:
        backend = PostgresBackend(postgres_runtime.db)
        backend.rebuild([])
    OPENED.append(backend)
    return backend


@pytest.mark.parametrize("backend_name", BACKENDS)
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    batches=st.lists(st.lists(op_st, min_size=1, max_size=6), min_size=1, max_size=6),
    queries=st.lists(
        st.tuples(
            st.lists(st.sampled_from(WORDS), min_size=1, max_size=2, unique=True),
            st.sets(st.sampled_from(AUDIENCES), min_size=1),
        ),
        min_size=1,
        max_size=4,
    ),
)
def test_hits_totals_and_facets_equal_the_model(
    tmp_path, postgres_runtime, backend_name, batches, queries
):
    random.seed(os.urandom(16))  # whoosh names segments with `random`; hypothesis seeds it
    backend = empty_backend(backend_name, tmp_path, postgres_runtime)
    model: dict[str, Document] = {}
    for batch in batches:
        written: dict[str, Document] = {}
        gone: list[str] = []
        for op in batch:
            if op[0] == "put":
                _, key, words, audience, space = op
                d = doc(key, words, audience, space=space)
                written[d.key] = d
                model[d.key] = d
            else:
                key = f"c:{op[1]}"
                written.pop(key, None)
                model.pop(key, None)
                gone.append(key)
        backend.write(list(written.values()), [k for k in gone if k not in written])
        for words, principals in queries:  # query after every commit: caches see each state
            expected = {
                k
                for k, d in model.items()
                if d.audience in principals and all(w in d.text.split() for w in words)
            }
            found, page = set(), 1
            while page:
                results = backend.search(
                    " ".join(words), frozenset(principals), page=page, per_page=3
                )
                found |= {h.key for h in results.hits}
                assert results.total == len(expected)
                page = results.next_page
            assert found == expected
            spaces = {}
            for k in expected:
                if model[k].space:
                    spaces[model[k].space] = spaces.get(model[k].space, 0) + 1
            assert results.facets["space"] == spaces
    backend.close()


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_past_its_sample_postgres_reads_the_newest_matches_and_says_so(
    tmp_path, postgres_runtime, backend_name, monkeypatch
):
    """The PostgreSQL backend counts, facets and ranks at most the newest SAMPLE visible
    matches (a common word matches a third of the index); whoosh counts them all."""
    from rse_core.search import postgres_backend

    monkeypatch.setattr(postgres_backend, "SAMPLE", 4)
    backend = empty_backend(backend_name, tmp_path, postgres_runtime)
    docs = [
        dataclasses.replace(
            doc(n, ["w1"], "space:1" if n >= 8 else "everyone", space=f"s{n % 2}"),
            created=NOW + timedelta(minutes=n),
        )
        for n in range(10)
    ]
    backend.write(docs)
    first = backend.search("w1", frozenset({"everyone"}), per_page=3)
    second = backend.search("w1", frozenset({"everyone"}), page=2, per_page=3)
    found = [h.key for h in first.hits + second.hits]
    if backend_name == "postgres":
        # The newest four the reader may see (the two newest are another space's).
        assert first.total == 4 and first.total_capped
        assert sorted(found) == ["c:4", "c:5", "c:6", "c:7"]
        assert sum(first.facets["space"].values()) == 4 and second.next_page is None
    else:
        assert first.total == 8 and not first.total_capped
        assert len(found) == 6 and second.next_page == 3


def test_postgres_searches_without_parallel_workers(tmp_path, postgres_runtime):
    """A search walks the newest matches and stops at its sample; the workers of a parallel
    plan, started for each statement, nearly doubled it at 1,000,000 activities
    (docs/performance.md). Only the search's transaction is told so."""
    if postgres_runtime is None:
        pytest.skip("PostgreSQL's planner")
    backend = empty_backend("postgres", tmp_path, postgres_runtime)
    backend.write([doc(1, ["w1"], "everyone")])
    show = "SHOW max_parallel_workers_per_gather"
    seen: list[str] = []

    def record(_conn, cursor, statement, *_args):
        if statement.startswith("WITH matches"):
            seen.append(cursor.connection.execute(show).fetchone()[0])

    engine = postgres_runtime.db.engine
    with engine.connect() as connection:
        default = connection.exec_driver_sql(show).scalar()
    event.listen(engine, "before_cursor_execute", record)
    try:
        assert [hit.key for hit in backend.search("w1", frozenset({"everyone"})).hits] == ["c:1"]
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert seen == ["0"] and default != "0"
    with engine.connect() as connection:
        assert connection.exec_driver_sql(show).scalar() == default


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_french_and_english_with_or_without_accents(tmp_path, postgres_runtime, backend_name):
    backend = empty_backend(backend_name, tmp_path, postgres_runtime)
    backend.write(
        [
            doc(1, ["Réunions", "budgétaires", "trimestrielles"], "everyone"),
            doc(2, ["Planning", "meetings", "weekly"], "everyone"),
        ]
    )
    everyone = frozenset({"everyone"})
    assert [h.key for h in backend.search("reunion budgetaire", everyone).hits] == ["c:1"]
    assert [h.key for h in backend.search("réunion", everyone).hits] == ["c:1"]
    assert [h.key for h in backend.search("meeting plan", everyone).hits] == ["c:2"]
    snippet = backend.search("reunion", everyone).hits[0].snippet
    assert "<mark" in snippet and "Réunions" in snippet


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_phrases_and_exclusions(tmp_path, postgres_runtime, backend_name):
    """Web-search syntax on both backends (whoosh answers these itself, not from its caches)."""
    backend = empty_backend(backend_name, tmp_path, postgres_runtime)
    backend.write(
        [
            doc(1, ["alpha", "bravo", "charlie"], "everyone"),
            doc(2, ["bravo", "alpha", "delta"], "everyone"),
            doc(3, ["alpha", "bravo", "echo"], "space:1"),
        ]
    )
    everyone = frozenset({"everyone"})
    assert {h.key for h in backend.search('"alpha bravo"', everyone).hits} == {"c:1"}
    assert {h.key for h in backend.search("alpha -charlie", everyone).hits} == {"c:2"}
    assert {h.key for h in backend.search("charlie OR delta", everyone).hits} == {"c:1", "c:2"}
    assert backend.search('"alpha bravo"', everyone).total == 1


def test_an_index_with_an_older_schema_is_rebuilt_not_misread(tmp_path):
    directory = tmp_path / "ix"
    directory.mkdir()
    old = index.create_in(str(directory), Schema(key=ID(stored=True), text_en=TEXT))
    writer = old.writer()
    writer.add_document(key="c:1", text_en="legacy words")
    writer.commit()
    backend = WhooshBackend(directory)
    OPENED.append(backend)
    assert backend.outdated and backend.count() == 0
    assert backend.search("legacy", frozenset({"everyone"})).total == 0
    backend.rebuild([doc(1, ["legacy", "words"], "everyone")])
    assert not backend.outdated and backend.count() == 1
    assert backend.search("legacy", frozenset({"everyone"})).total == 1
    # Another process's backend, opened on the old schema, follows the rebuild.
    other = WhooshBackend(directory)
    OPENED.append(other)
    assert other.search("legacy", frozenset({"everyone"})).total == 1


def _open_index(directory: str, barrier) -> str:
    barrier.wait()
    try:
        WhooshBackend(Path(directory))
    except Exception as exc:  # reported to the test, which names it
        return f"{type(exc).__name__}: {exc}"
    return "ok"


def test_workers_starting_together_on_a_new_data_directory_share_one_index(tmp_path):
    """Four workers of `rse serve --workers 4` open the index of a new data directory at
    once: one creates it, the others wait and open it (they used to read one another's
    half-written files: EmptyIndexError, LockError)."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, context.Pool(4) as pool:
        for n in range(6):
            barrier = manager.Barrier(4)
            directory = str(tmp_path / f"data{n}" / "search")
            assert pool.starmap(_open_index, [(directory, barrier)] * 4) == ["ok"] * 4


@pytest.mark.portable
def test_a_two_process_rebuild_that_loses_documents_says_so(tmp_path, monkeypatch):
    """whoosh's multi-process writer commits without the segment of a sub-process that
    failed: the rebuild counts what the index holds and refuses to call that done (the CLI
    then indexes again in one process)."""
    from whoosh import multiproc

    from rse_core.search.whoosh_backend import IndexIncomplete

    def lost(self, filename, doc_count):
        raise FileNotFoundError("a run file is gone")

    backend = WhooshBackend(tmp_path / "ix")
    OPENED.append(backend)
    documents = [doc(n, ["w1"], "everyone") for n in range(500)]
    monkeypatch.setattr(multiproc.SubWriterTask, "_process_file", lost)
    with pytest.raises(IndexIncomplete, match="of the 500 documents"):
        backend.rebuild(documents, procs=2)
    monkeypatch.undo()
    assert backend.rebuild(documents, procs=2) == 500
    assert backend.count() == 500
