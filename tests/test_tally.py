"""Counts every reader shares (``shared_tally``: the week's trending tags, the most bookmarked
links), kept a minute per worker: a change of access shows at once, new items within the
minute, and a reader never gets another audience's part."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rse_core import access_cache
from rse_core.testing import enable, make_settings


@pytest.fixture
def rse_settings(tmp_path):
    """Shared counts kept for a minute, as in production (the tests' default is 0)."""
    return make_settings(tmp_path / "var", shared_seconds=60)


@pytest.fixture
def office(rse_app, rse_user, rse_client_for):
    """ann owns the private space "hr" with bob in it; cid is in no space."""
    for name in ("ann", "bob", "cid"):
        rse_user(name)
    clients = {name: rse_client_for(name) for name in ("ann", "bob", "cid")}
    enable(rse_app, "feed")
    enable(rse_app, "bookmarks")
    ann = clients["ann"]
    ann.post("/api/v1/spaces", json={"name": "HR", "slug": "hr", "visibility": "private"})
    ann.post("/api/v1/spaces/hr/members", json={"username": "bob"})
    return clients


def trending(client) -> str:
    """The trending widget of the reader's home page."""
    page = client.get("/").text
    return page.split("Trending this week")[1].split("</ol>")[0]


def post(client, body: str, space: str | None = None) -> None:
    answer = client.post("/api/v1/feed/posts", json={"body": body, "space": space})
    assert answer.status_code == 201, answer.text


def visibility(owner, value: str) -> None:
    """Change hr's visibility through its settings form."""
    form = {"name": "HR", "visibility": value, "join_policy": "open"}
    answer = owner.post("/spaces/hr/settings", data=form, follow_redirects=False)
    assert answer.status_code in (200, 303), answer.text


def test_each_reader_counts_only_the_audiences_they_hold(office):
    post(office["ann"], "Budget review #payroll", space="hr")
    post(office["cid"], "Lunch #friday")
    post(office["bob"], "More #payroll and #friday", space="hr")
    assert '>#payroll</a> <span class="muted">2<' in trending(office["bob"])
    assert '>#friday</a> <span class="muted">2<' in trending(office["bob"])
    # cid's page is served from the same counts, without hr's part.
    assert "payroll" not in trending(office["cid"])
    assert '>#friday</a> <span class="muted">1<' in trending(office["cid"])


def test_a_change_of_access_shows_at_once_new_items_within_the_minute(office, monkeypatch):
    post(office["ann"], "Budget review #payroll", space="hr")
    assert "payroll" not in trending(office["cid"])  # counted now, and kept
    office["ann"].post("/api/v1/spaces/hr/members", json={"username": "cid"})
    assert "payroll" in trending(office["cid"])  # joined: the access generation moved on
    office["ann"].delete("/api/v1/spaces/hr/members/cid")
    assert "payroll" not in trending(office["cid"])  # left: gone at once
    visibility(office["ann"], "public")
    assert "payroll" in trending(office["cid"])  # the space opened: its part is everyone's
    visibility(office["ann"], "secret")
    assert "payroll" not in trending(office["cid"])
    # A new post is counted when the worker's minute is over, not before.
    post(office["cid"], "Lunch #friday")
    assert "friday" not in trending(office["cid"])
    later = access_cache.time.monotonic() + 61
    monkeypatch.setattr(access_cache.time, "monotonic", lambda: later)
    assert "friday" in trending(office["cid"])


def test_the_most_bookmarked_count_each_saver_once(office):
    def save(who: str, space: str | None = None) -> None:
        body = {"url": "https://wiki.example/payroll", "title": "Payroll guide"}
        body |= {"visibility": "space", "space": space} if space else {"visibility": "everyone"}
        answer = office[who].post("/api/v1/bookmarks", json=body)
        assert answer.status_code == 201, answer.text

    save("ann", space="hr")
    save("ann")  # ann again, company-wide: one saver for bob, who sees both
    save("bob", space="hr")
    widget = office["bob"].get("/").text.split("Most bookmarked this week")[1][:600]
    assert 'Payroll guide</a> <span class="muted">2</span>' in widget
    widget = office["cid"].get("/").text.split("Most bookmarked this week")[1][:600]
    assert 'Payroll guide</a> <span class="muted">1</span>' in widget


def test_a_pilot_plugin_s_tags_reach_its_members_only(rse_app, office):
    from tests.conftest import share

    enable(rse_app, "example", spaces=["hr"])  # the rollout's pilot: hr's members
    share(rse_app, "ann", "Pilot notes", tags=["pilotonly"])  # company-wide, of that plugin
    assert "pilotonly" in trending(office["bob"])
    assert "pilotonly" not in trending(office["cid"])
    enable(rse_app, "example")  # everyone: the counts follow at once
    assert "pilotonly" in trending(office["cid"])


@settings(max_examples=300, deadline=None)
@given(
    public=st.dictionaries(st.sampled_from("abcdefghijklmnop"), st.integers(1, 5)),
    own=st.lists(st.dictionaries(st.sampled_from("abcdefghijklmnop"), st.integers(1, 5))),
    limit=st.integers(1, 6),
)
def test_the_top_merges_only_the_names_that_can_be_in_it(public, own, limit):
    """``top_of`` (the ``shared_top`` of each page) equals merging the public part with the
    reader's own whole and sorting it all: for added counts and for united savers."""
    from collections import Counter

    from rse_bookmarks.service import by_savers, merge_saves

    from rse_core.web.tally import most_first, sum_counters, top_of

    counters = Counter(public), [Counter(part) for part in own]
    saves = (
        {url: ("t", frozenset(range(n))) for url, n in public.items()},
        [{url: ("t", frozenset(range(10, 10 + n))) for url, n in p.items()} for p in own],
    )
    for (whole, mine), merge, order in (
        (counters, sum_counters, most_first),
        (saves, merge_saves, by_savers),
    ):
        best = [name for name, _ in sorted(whole.items(), key=order)]
        expected = sorted(merge([whole, *mine]).items(), key=order)[:limit]
        assert top_of(whole, best, mine, merge, order, limit) == expected


@settings(max_examples=200, deadline=None)
@given(
    parts=st.lists(
        st.dictionaries(
            st.sampled_from("abcdefgh"),
            st.tuples(
                st.integers(1, 5),
                st.sampled_from(["", "a", "b"]),
                st.frozensets(st.integers(0, 6), min_size=1),
            ),
        )
    )
)
def test_the_merges_add_counts_and_unite_savers_whatever_the_parts(parts):
    """``sum_counters`` adds every part's counts; ``merge_saves`` keeps each link's largest
    title and every saver once: the same as merging naively, in any order of parts."""
    from collections import Counter

    from rse_bookmarks.service import merge_saves

    from rse_core.web.tally import sum_counters

    counters = [Counter({name: n for name, (n, _t, _s) in part.items()}) for part in parts]
    saves = [{url: (title, savers) for url, (_n, title, savers) in p.items()} for p in parts]
    kept = [dict(c) for c in counters], [dict(p) for p in saves]
    added: Counter[str] = Counter()
    for counter in counters:
        for name, n in counter.items():
            added[name] += n
    assert sum_counters(counters) == added
    assert sum_counters(reversed(counters)) == added

    united: dict[str, tuple[str, frozenset[int]]] = {}
    for part in saves:
        for url, (title, savers) in part.items():
            old_title, old_savers = united.get(url, ("", frozenset()))
            united[url] = (max(old_title, title), old_savers | savers)
    assert merge_saves(saves) == united
    assert merge_saves(list(reversed(saves))) == united
    # The parts are the worker's, shared by every reader: a merge never changes them.
    assert ([dict(c) for c in counters], [dict(p) for p in saves]) == kept
