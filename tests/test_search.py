"""Search finds everything the reader may see and nothing else."""

from __future__ import annotations

import re
import shutil

import pytest

from rse_core.testing import enable, wait_for_index
from tests.conftest import cli_env, share


@pytest.fixture
def world(rse_app, rse_user, rse_client_for):
    rse_user("ann", skills="Kubernetes, Negotiation", department="Sales")
    rse_user("bob")
    rse_user("cid")
    clients = {n: rse_client_for(n) for n in ("ann", "bob", "cid")}
    clients["ann"].post(
        "/api/v1/spaces", json={"name": "Board", "slug": "board", "visibility": "private"}
    )
    clients["ann"].post("/api/v1/spaces/board/members", json={"username": "bob"})
    enable(rse_app, "example")
    return clients


def lose_the_index(rt):
    """Whoosh: delete the index directory; PostgreSQL: delete every indexed document."""
    rt.search.close()
    if rt.settings.search_backend == "whoosh":
        shutil.rmtree(rt.settings.data_dir / "search")
    else:
        from sqlalchemy import text

        with rt.db.write() as session:
            session.execute(text("DELETE FROM rse_search_document"))


def search(client, q, **params):
    response = client.get("/api/v1/search", params={"q": q, **params})
    assert response.status_code == 200, response.text
    return response.json()


def test_posts_become_searchable_for_those_who_may_see_them(rse_app, world):
    share(rse_app, "ann", "Quarterly merger plans", space="board")
    share(rse_app, "ann", "Cafeteria menu for the merger party")
    wait_for_index(rse_app)
    bob, cid = search(world["bob"], "merger"), search(world["cid"], "merger")
    assert bob["total"] == 2 and cid["total"] == 1
    assert [h["title"] for h in cid["hits"]] == ["Cafeteria menu for the merger party"]
    assert cid["facets"]["space"] == {} and bob["facets"]["space"] == {"board": 1}
    assert all("Quarterly" not in h["snippet"] for h in cid["hits"])
    assert re.search(r'<mark class="hit[^"]*">merger</mark>', bob["hits"][0]["snippet"])


def test_membership_change_takes_effect_without_reindexing(rse_app, world):
    share(rse_app, "ann", "Salary bands 2027", space="board")
    wait_for_index(rse_app)
    assert search(world["bob"], "salary")["total"] == 1
    world["ann"].delete("/api/v1/spaces/board/members/bob")
    assert search(world["bob"], "salary")["total"] == 0


def test_english_and_french_stemming(rse_app, world):
    share(rse_app, "ann", "The developers are running new deployments")
    share(rse_app, "ann", "Les développeuses préparent les nouvelles versions")
    wait_for_index(rse_app)
    assert search(world["cid"], "deployment run")["total"] == 1
    assert search(world["cid"], "développeuse nouvelle")["total"] == 1


def test_people_are_found_by_skill(rse_app, world):
    wait_for_index(rse_app)
    hits = search(world["cid"], "kubernetes")["hits"]
    assert [(h["type"], h["url"]) for h in hits] == [("person", "/people/ann")]


def test_comments_are_searchable_and_deleted_items_disappear(rse_app, world):
    item = share(rse_app, "ann", "Office move")
    world["bob"].post(f"/api/v1/content/{item}/comments", json={"body": "bring cardboard boxes"})
    wait_for_index(rse_app)
    assert search(world["cid"], "cardboard")["total"] == 1
    from rse_core.content import Content, delete

    with rse_app.state.rse.db.write() as session:
        delete(session, session.get(Content, item))
    wait_for_index(rse_app)
    assert search(world["cid"], "cardboard")["total"] == 0


def test_suggestions_never_reveal_a_private_word(rse_app, world):
    share(rse_app, "ann", "Project zanzibar acquisition", space="board")
    share(rse_app, "ann", "Holiday calendar published")
    wait_for_index(rse_app)
    assert search(world["bob"], "zanzibr")["suggestion"] == "zanzibar"
    assert search(world["cid"], "zanzibr")["suggestion"] is None
    assert search(world["cid"], "calender")["suggestion"] == "calendar"


def test_did_you_mean_proposes_written_words_not_stems(rse_app, world):
    """The index holds stems: "kubrnetes" was answered "did you mean kubernet"."""
    share(rse_app, "ann", "Kubernetes upgrade notes")
    share(rse_app, "ann", "Quarterly réunions schedule")
    wait_for_index(rse_app)
    assert search(world["cid"], "kubrnetes")["suggestion"] == "kubernetes"
    assert search(world["cid"], "kubrnetes upgrade")["suggestion"] == "kubernetes upgrade"
    assert search(world["cid"], "scedule")["suggestion"] == "schedule"


def test_search_page_and_api_validation(rse_app, world):
    share(rse_app, "ann", "Hello <b>world</b>")
    wait_for_index(rse_app)
    page = world["cid"].get("/search?q=world").text
    assert "<b>world</b>" not in page and "&lt;b&gt;" in page
    assert 'class="header-search"' in page
    empty = world["cid"].get("/api/v1/search?q=")  # the document allows it: nothing found
    assert empty.status_code == 200 and empty.json()["hits"] == [] and empty.json()["total"] == 0
    assert world["cid"].get("/api/v1/search?q=x&cursor=abc").status_code == 422
    for i in range(25):
        share(rse_app, "ann", f"paging item {i}")
    wait_for_index(rse_app)
    first = search(world["cid"], "paging")
    second = search(world["cid"], "paging", cursor=first["next"])
    assert first["total"] == 25 and len(first["hits"]) == 20 and len(second["hits"]) == 5
    assert second["next"] is None


def test_a_capped_total_says_more_than_on_the_page_and_in_the_api(rse_app, world, monkeypatch):
    """A backend that bounds its work (PostgreSQL past SAMPLE matches) says so: the page reads
    "More than 5000 results", in French too, and the API sets ``total_capped``."""
    from rse_core.search.backend import Results

    search_backend = rse_app.state.rse.search

    def capped(*args, **kwargs):
        return Results([], 5000, {"kind": {}, "space": {}}, total_capped=True)

    monkeypatch.setattr(search_backend, "search", capped)
    assert "More than 5000 results" in world["cid"].get("/search?q=budget").text
    french = world["cid"].get("/search?q=budget", headers={"Accept-Language": "fr"}).text
    assert "Plus de 5000 résultats" in french
    found = search(world["cid"], "budget")
    assert found["total"] == 5000 and found["total_capped"] is True
    monkeypatch.undo()
    assert search(world["cid"], "budget")["total_capped"] is False


def test_type_and_space_filters(rse_app, world):
    share(rse_app, "ann", "Budget review", space="board")
    share(rse_app, "ann", "Budget lunch")
    wait_for_index(rse_app)
    assert search(world["bob"], "budget", space="board")["total"] == 1
    assert search(world["bob"], "budget", type="example.greeting")["total"] == 2
    assert search(world["bob"], "budget", type="person")["total"] == 0
    # The page names the space ("Board"), in the hit and in the filter, never its slug.
    page = world["bob"].get("/search", params={"q": "budget"}).text
    assert '<span class="muted">in Board</span>' in page
    assert '&amp;space=board">Board</a>' in page and ">board<" not in page


def test_check_and_fix_repair_a_lost_index(rse_app, world, tmp_path):
    from rse_core.search.check import find_drift, repair

    rt = rse_app.state.rse
    share(rse_app, "ann", "Keep me findable")
    wait_for_index(rse_app)
    assert not find_drift(rt.db, rt.search, rt.plugins)
    # A document dropped from the index, and one the database no longer has.
    rt.search.write([], ["c:1"])
    assert find_drift(rt.db, rt.search, rt.plugins).missing == ["c:1"]
    repair(rt.db, rt.search, find_drift(rt.db, rt.search, rt.plugins), rt.plugins)
    assert search(world["cid"], "findable")["total"] == 1


@pytest.mark.slow  # spawns rse processes
def test_deleting_the_index_directory_is_repaired_by_reindex(rse_app, world, rse_bin, tmp_path):
    import os
    import subprocess

    share(rse_app, "ann", "Survives a lost index")
    wait_for_index(rse_app)
    rt = rse_app.state.rse
    lose_the_index(rt)
    env = {**os.environ, **cli_env(rt.settings)}
    out = subprocess.run([str(rse_bin), "search", "check"], env=env, capture_output=True, text=True)
    assert out.returncode == 1 and "missing" in out.stdout
    out = subprocess.run(
        [str(rse_bin), "search", "reindex"], env=env, capture_output=True, text=True
    )
    assert out.returncode == 0 and "documents/s" in out.stdout
    ok = subprocess.run([str(rse_bin), "search", "check"], env=env, capture_output=True, text=True)
    assert ok.returncode == 0 and "missing 0, stale 0, extra 0" in ok.stdout


def test_reindex_indexes_again_in_one_process_when_two_lost_documents(rse_app, world, monkeypatch):
    from click.testing import CliRunner
    from whoosh import multiproc

    from rse_core.cli import cli
    from rse_core.search.check import find_drift

    if rse_app.state.rse.settings.search_backend != "whoosh":
        pytest.skip("whoosh's writer only")
    for n in range(150):  # more than one batch: the sub-processes get some
        share(rse_app, "ann", f"Item {n}")

    def lost(self, filename, doc_count):
        raise FileNotFoundError("a run file is gone")

    monkeypatch.setattr(multiproc.SubWriterTask, "_process_file", lost)
    env = cli_env(rse_app.state.rse.settings)
    out = CliRunner().invoke(cli, ["search", "reindex"], env=env)
    assert out.exit_code == 0, out.output
    assert "indexing again in one process" in out.output
    rt = rse_app.state.rse
    assert not find_drift(rt.db, rt.search, rt.plugins)  # nothing missing


def test_an_installation_from_before_search_gets_its_index_at_start(rse_app_factory):
    from sqlalchemy import delete

    from rse_core.content import SearchOutbox
    from tests.conftest import signed_in

    app = rse_app_factory(search_indexer="inprocess")  # its start builds the index
    enable(app, "example")  # the item's owner
    with signed_in(app, "ann") as client:
        wait_for_index(app)
    share(app, "ann", "Written before the index existed")
    rt = app.state.rse
    with rt.db.write() as session:  # as if search did not exist when this was written
        session.execute(delete(SearchOutbox))
    lose_the_index(rt)
    rt._search = None
    with signed_in(app, "bob") as client:
        import time

        deadline = time.monotonic() + 10
        while search(client, "existed")["total"] == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert search(client, "existed")["hits"][0]["title"] == "Written before the index existed"


def test_an_indexer_killed_mid_batch_loses_nothing(rse_app_factory):
    """The outbox is emptied only after the index committed: a crash in between (here the
    index write dies) leaves the entries, and the next drain indexes them."""
    from sqlalchemy import func, select

    from rse_core.content import SearchOutbox
    from rse_core.search.indexer import drain
    from rse_core.testing import add_user

    app = rse_app_factory(load_entry_points=False, search_indexer="external")
    rt = app.state.rse
    add_user(app, "ann")
    for i in range(5):
        share(app, "ann", f"crash test {i}")

    class Dying:
        def write(self, documents, delete_keys=()):
            list(documents)
            raise KeyboardInterrupt("killed mid-batch")

    with pytest.raises(KeyboardInterrupt):
        drain(rt.db, Dying())
    with rt.db.read() as session:
        assert session.execute(select(func.count()).select_from(SearchOutbox)).scalar_one() > 0
    drain(rt.db, rt.search)
    with rt.db.read() as session:
        assert session.execute(select(func.count()).select_from(SearchOutbox)).scalar_one() == 0
    hits = rt.search.search("crash", frozenset({"everyone"}))
    assert hits.total == 5


def test_spaces_themselves_are_found_by_name_and_description(rse_app, world):
    ann = world["ann"]
    ann.post(
        "/api/v1/spaces",
        json={"name": "Kubernetes guild", "slug": "k8s", "description": "Cluster know-how"},
    )
    ann.post("/api/v1/spaces", json={"name": "Guild of secrets", "visibility": "secret"})
    wait_for_index(rse_app)
    hits = search(world["cid"], "guild")["hits"]
    assert [(h["title"], h["type"], h["url"]) for h in hits] == [
        ("Kubernetes guild", "space", "/spaces/k8s")
    ]  # the secret one is found by its members only
    assert {h["title"] for h in search(ann, "guild")["hits"]} == {
        "Kubernetes guild",
        "Guild of secrets",
    }
    assert search(world["cid"], "know-how")["total"] == 1
    # Renamed: the index follows.
    renamed = ann.post("/spaces/k8s/settings", data={"name": "Platform guild"})
    assert renamed.status_code in (200, 303)
    wait_for_index(rse_app)
    assert [h["title"] for h in search(world["cid"], "guild")["hits"]] == ["Platform guild"]
    page = world["cid"].get("/search", params={"q": "platform"}).text
    assert '<span class="badge off">Space</span>' in page


@pytest.mark.slow
def test_people_are_indexed_in_batches_with_their_skills(rse_app):
    """70,000 employees: people documents come 500 at a time, each batch with its own
    people's skills (one list of every id passed SQLite's 32,766 and PostgreSQL's 65,535
    parameters, so a company of 100,000 could not rebuild its index)."""
    from sqlalchemy import insert, select

    from rse_core.identity.models import User, UserSkill
    from rse_core.search.documents import people_documents

    with rse_app.state.rse.db.write() as session:
        session.execute(
            insert(User),
            [
                {"username": f"p{n}", "email": f"p{n}@example.com", "display_name": f"P {n}"}
                for n in range(70_000)
            ],
        )
        ids = list(session.execute(select(User.id).order_by(User.id)).scalars())
        marked = (0, 499, 500, 69_999)
        session.add_all(
            UserSkill(user_id=ids[n], skill=f"skill{n}", key=f"skill{n}") for n in marked
        )
    with rse_app.state.rse.db.read() as session:
        documents = {d.key: d for d in people_documents(session)}
    assert len(documents) == 70_000
    for n in marked:
        assert f"skill{n}" in documents[f"u:{ids[n]}"].text
    assert "skill" not in documents[f"u:{ids[1]}"].text
