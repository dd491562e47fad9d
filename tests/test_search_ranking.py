"""The array ranking of the whoosh backend (``rse_core.search.ranking``) against whoosh itself:
the same BM25 scores, the same postings read block by block as one at a time, columns that
keep every distinct value, and capped facets."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh import index, qparser
from whoosh.fields import ID
from whoosh.filedb.filestore import RamStorage
from whoosh.scoring import BM25F

from rse_core.search import ranking
from rse_core.search.backend import FACET_LIMIT, top_facets
from rse_core.search.columns import ValueColumn, read_values
from rse_core.search.documents import Document
from rse_core.search.whoosh_backend import WhooshBackend, schema

WORDS = [f"w{n}" for n in range(12)]
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def _document(key: int, rnd: random.Random, space: str = "") -> Document:
    words = " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(1, 30)))
    return Document(
        f"c:{key}", "t.post", f"t{key}", words, "everyone", f"/c/{key}", space, "a", NOW
    )


@pytest.fixture
def backend(tmp_path):
    opened = WhooshBackend(tmp_path / "ix")
    yield opened
    opened.close()


def test_scores_are_whooshs_bm25_for_terms_and_or(backend):
    rnd = random.Random(7)
    backend.rebuild([_document(n, rnd) for n in range(600)])  # one segment: fixed statistics
    parser = qparser.QueryParser("body", backend.ix.schema, group=qparser.AndGroup)
    cache = ranking.PostingCache()
    with backend.ix.searcher(weighting=BM25F()) as searcher:
        for text in ["w1", "w1 w2", "w3 OR w4", "w5 (w6 OR w7)"]:
            query = parser.parse(text)
            assert ranking.supported(query)
            ours = ranking.evaluate(query, searcher, cache)
            theirs = {hit.docnum: hit.score for hit in searcher.search(query, limit=None)}
            assert ours.ids.tolist() == sorted(theirs)
            assert ours.scores == pytest.approx([theirs[d] for d in ours.ids.tolist()], rel=1e-5)


def test_postings_read_by_block_equal_one_at_a_time_with_deletions(backend):
    rnd = random.Random(3)
    backend.rebuild([_document(n, rnd) for n in range(1500)])  # lists of several blocks
    backend.write([], [f"c:{n}" for n in range(0, 1500, 7)])  # deletions in the segment
    with backend.ix.searcher() as searcher:
        for reader, _offset in ranking.segments(searcher):
            assert reader.has_deletions()
            for word in WORDS[:4]:
                fast_ids, fast_weights = ranking.posting_arrays(reader, "body", word)
                matcher = reader.postings("body", word).child  # whoosh's, without deletions
                matcher.reset()  # (the deletion filter had moved it past a deleted document)
                slow = []
                while matcher.is_active():
                    slow.append((matcher.id(), matcher.weight()))
                    matcher.next()
                assert len(slow) > 128
                assert list(zip(fast_ids.tolist(), fast_weights.tolist(), strict=True)) == slow


def test_a_column_keeps_more_than_65535_distinct_values():
    """whoosh's RefBytesColumn silently stores value 0 beyond 65,535 distinct values: every
    personal audience of a large company would have been lost from the filter."""
    storage = RamStorage()
    count = 90_000  # 72,000 distinct values
    values = [f"user:{n}".encode() for n in range(count)]
    out = storage.create_file("column")
    writer = ValueColumn().writer(out)
    for docnum, value in enumerate(values):
        if docnum % 5:  # some documents without a value
            writer.add(docnum, value)
    writer.finish(count + 3)
    length = out.tell()
    out.close()
    column = ValueColumn().reader(storage.open_file("column"), 0, length, count + 3)
    assert column._typecode == "I"
    assert [column[d] for d in (1, 2, 5, 89_999, count)] == [
        values[1],
        values[2],
        b"",
        values[89_999],
        b"",
    ]


def test_segments_read_their_columns_as_arrays(backend):
    rnd = random.Random(5)
    backend.rebuild([_document(n, rnd, space=f"s{n % 3}" if n % 4 else "") for n in range(50)])
    with backend.ix.searcher() as searcher:
        (reader, _offset), *_ = ranking.segments(searcher)
        values, codes = read_values(reader, "space")
        spaces = [values[c] for c in codes.tolist()]
        stored = [searcher.stored_fields(d)["space"] for d in range(50)]
        assert spaces == stored and values[0] == ""


def test_an_index_without_the_columns_is_rebuilt(tmp_path):
    """An index written before the columns (same field names) is outdated, not misread."""
    directory = tmp_path / "ix"
    directory.mkdir()
    old = schema()
    for name in ("kind", "audience", "space"):
        old.remove(name)
        old.add(name, ID(stored=True))
    index.create_in(str(directory), old)
    backend = WhooshBackend(directory)
    try:
        assert backend.outdated and backend.count() == 0
    finally:
        backend.close()


def test_facets_list_the_values_with_most_results_and_the_chosen_one():
    counts = {f"s{n:02}": n for n in range(1, 30)}
    top = top_facets(counts, "s01")
    assert list(top)[:FACET_LIMIT] == [f"s{n:02}" for n in range(29, 29 - FACET_LIMIT, -1)]
    assert top["s01"] == 1 and len(top) == FACET_LIMIT + 1


def test_the_search_page_lists_ten_spaces_at_most(backend):
    rnd = random.Random(9)
    docs = [_document(n, rnd, space=f"s{n % 25}") for n in range(400)]
    backend.rebuild(docs)
    results = backend.search("w1 OR w2 OR w3", frozenset({"everyone"}))
    assert len(results.facets["space"]) == FACET_LIMIT
    assert results.total == sum(
        1 for d in docs if {"w1", "w2", "w3"} & set(d.text.split())
    )  # the total still counts every match


def test_best_breaks_ties_by_newest():
    matches = ranking.Matches(np.array([1, 2, 3, 4, 5]), np.array([1.0, 2.0, 2.0, 0.5, 2.0]))
    assert ranking.best(matches, 2).tolist() == [5, 3]
    assert ranking.best(matches, 9).tolist() == [5, 3, 2, 1, 4]


@settings(max_examples=150, deadline=None)
@given(
    size=st.integers(3100, 60_000),
    distinct=st.integers(1, 10**6),
    count=st.integers(1, 3),
    seed=st.integers(0, 2**32 - 1),
)
def test_the_sampled_selection_finds_the_exact_kth_highest(size, distinct, count, seed):
    """Among many matches the best are selected through every 32nd score first
    (``kth_highest``): the same threshold, ties included, as selecting among them all."""
    values = np.random.default_rng(seed).integers(0, distinct, size) / 4  # ties or none
    assert len(values) > ranking.SAMPLED_SELECTION * count  # the sampled selection
    exact = np.partition(values, len(values) - count)[len(values) - count]
    assert ranking.kth_highest(values, count) == exact
    assert (ranking.at_least_kth(values, count) == (values >= exact)).all()


@settings(max_examples=100, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 300), min_size=1, max_size=3),
    documents=st.integers(1, 2_000),
    seed=st.integers(0, 2**32 - 1),
)
def test_facets_counted_through_their_joint_code_equal_one_column_at_a_time(sizes, documents, seed):
    """``JointCodes`` counts every column's values among matches in one pass: the same
    counts as a ``bincount`` per column, for any number of columns, values and matches."""
    rng = np.random.default_rng(seed)
    columns = [
        ranking.Column(tuple(f"v{i}" for i in range(size)), rng.integers(0, size, documents))
        for size in sizes
    ]
    ids = np.flatnonzero(rng.random(documents) < 0.5)
    counted = ranking.JointCodes.of(columns).counts_of(ids)
    for column, counts in zip(columns, counted, strict=True):
        expected = np.bincount(column.codes[ids], minlength=len(column.values))
        assert counts.tolist() == expected.tolist()


def test_a_long_documents_snippet_marks_a_word_far_into_it_whatever_its_accents():
    """Snippets analyse only a passage of a long document (stemming a whole wiki page took
    11 ms a hit): the passage is found where a query word is written, accents and case
    included."""
    from rse_core.search.analysis import SNIPPET_SOURCE_CHARS, query_terms, snippet

    filler = " ".join(f"mot{n}" for n in range(12_000))
    text = f"{filler} Les RÉUNIONS du budget {filler}"
    assert len(text) > 20 * SNIPPET_SOURCE_CHARS
    marked = snippet(text, query_terms("reunion"))
    assert '<mark class="hit term0">RÉUNIONS</mark>' in marked
    assert marked.count("<mark") >= 1 and len(marked) < 1000
    assert snippet(text, query_terms("absent")).startswith("mot0 mot1")  # the start


def test_a_new_worker_reads_long_posting_lists_from_the_store_until_their_segment_goes(
    tmp_path, monkeypatch
):
    """A list read once is kept beside the index (segments never change): another backend on
    the same index, a restarted worker, reads it without whoosh; a merge or rebuild that
    removes the segment removes its lists."""
    from rse_core.search import stored_postings

    monkeypatch.setattr(stored_postings, "STORED_MIN", 10)
    rnd = random.Random(11)
    first = WhooshBackend(tmp_path / "search")
    first.rebuild([_document(n, rnd) for n in range(300)])
    expected = first.search("w1 w2", frozenset({"everyone"}))
    store = tmp_path / "search-postings"
    assert len(list(store.glob("*/*.npy"))) >= 2
    first.close()

    def no_whoosh(*args):
        raise AssertionError("read from whoosh, not from the store")

    monkeypatch.setattr(ranking, "posting_arrays", no_whoosh)
    second = WhooshBackend(tmp_path / "search")
    again = second.search("w1 w2", frozenset({"everyone"}))
    assert [h.key for h in again.hits] == [h.key for h in expected.hits]
    assert again.total == expected.total
    monkeypatch.undo()
    old_segments = {p.name for p in store.iterdir()}
    second.rebuild([_document(n, rnd) for n in range(50)])  # a new segment, the old gone
    assert not old_segments & {p.name for p in store.iterdir()}
    second.close()


def test_the_lists_people_searched_for_are_read_again_in_the_segments_a_merge_makes(
    tmp_path, monkeypatch
):
    """A merge or rebuild replaces segments: the writer reads the stored terms' lists in the
    new segments before removing the old ones, so the next worker's first query for those
    words does not read whoosh's blocks; words nobody searched for are not read."""
    from rse_core.search import stored_postings

    monkeypatch.setattr(stored_postings, "STORED_MIN", 10)
    rnd = random.Random(12)
    writer = WhooshBackend(tmp_path / "search")
    writer.rebuild([_document(n, rnd) for n in range(300)])
    writer.search("w1 w2", frozenset({"everyone"}))
    store = stored_postings.PostingStore(tmp_path / "search-postings")
    (before,) = [p.name for p in store.directory.iterdir()]
    assert store.terms(before) == {("body", "w1"), ("body", "w2")}
    writer.rebuild([_document(n, rnd) for n in range(400)])  # every segment replaced
    writer.write([_document(n, rnd) for n in range(400, 420)])  # a small one beside
    segments = [p.name for p in store.directory.iterdir()]
    assert before not in segments and len(segments) == 1
    assert store.terms(segments[0]) == {("body", "w1"), ("body", "w2")}
    expected = writer.search("w1 w2", frozenset({"everyone"}))
    writer.close()

    def only_short_lists(reader, field, text):
        assert text not in ("w1", "w2"), "read from whoosh after the merge"
        return read(reader, field, text)

    read = ranking.posting_arrays
    monkeypatch.setattr(ranking, "posting_arrays", only_short_lists)
    reader = WhooshBackend(tmp_path / "search")  # a worker started after the merge
    again = reader.search("w1 w2", frozenset({"everyone"}))
    assert [h.key for h in again.hits] == [h.key for h in expected.hits]
    assert again.total == expected.total
    reader.close()


def test_a_forked_process_names_its_whoosh_files_apart_from_its_parent():
    """The two processes of a parallel rebuild are forked: with whoosh's name generator
    copied, not reseeded, both named their run files alike and removed each other's."""
    import os

    import whoosh.util

    import rse_core.search.whoosh_backend  # noqa: F401  (installs the generator)

    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next name, to the parent
        os.write(write, whoosh.util.random_name().encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    child = os.read(read, 100).decode()
    os.close(read)
    assert child and child != whoosh.util.random_name()
