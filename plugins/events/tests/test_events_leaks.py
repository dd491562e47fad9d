"""Property: every events read path shows exactly the events the reader may see.

Hypothesis generates spaces (visibility, members) and events (organiser, company-wide or in a
space, one-off or weekly); the expected set comes from that model alone. Then, for each
reader: the API's occurrences and each event by id, the event pages and .ics files, the
upcoming list, the month calendar, each space's calendar tab, the stream, search, and the
subscribable calendar (with every event of their spaces) must agree with it. Every reader
answered "maybe" to every event they could, then the organisers changed every event: only
readers who may see an event are told.
"""

from __future__ import annotations

import itertools
import os
import random
import re
from datetime import UTC, datetime

import icalendar
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rse_core.testing import app_with_clients, create_spaces, wait_for_index

pytestmark = pytest.mark.slow

USERS = ("u0", "u1", "u2")
YEAR = datetime.now(UTC).year + 2
run_ids = itertools.count()

space_st = st.fixed_dictionaries(
    {
        "visibility": st.sampled_from(["public", "private", "secret"]),
        "members": st.sets(st.sampled_from(USERS), max_size=3),
    }
)
event_st = st.fixed_dictionaries(
    {
        "organiser": st.sampled_from(USERS),
        "where": st.one_of(st.just("company"), st.integers(0, 1)),
        "weekly": st.booleans(),
    }
)


@pytest.fixture(scope="module")
def shared_app(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("eventsprop") / "var"
    with app_with_clients(data_dir, USERS, plugins=["events"]) as (app, clients):
        for client in clients.values():
            client.post("/profile/feed", data={"action": "reset"})
        yield app, clients


def may_see(reader, event, spaces):
    if event["where"] == "company":
        return True
    space = spaces[event["where"]]
    return space["visibility"] == "public" or reader in space["members"]


def calendar_feed(client):
    page = client.get("/events/mine").text
    return re.search(r'id="ev-feed"[^>]*value="[^"]*(/feeds/[^"]+)"', page).group(1)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    spaces=st.lists(space_st, min_size=2, max_size=2),
    items=st.lists(event_st, min_size=1, max_size=5),
)
def test_every_events_read_path_shows_exactly_the_visible_events(shared_app, spaces, items):
    app, clients = shared_app
    random.seed(os.urandom(16))  # whoosh names segments with `random` (see the core's test)
    run = next(run_ids)
    prefix = f"e{run}-"
    month = 1 + run % 12
    slugs = [f"es{run}-{i}" for i in range(len(spaces))]
    owner = clients[USERS[0]]
    create_spaces(owner, USERS[0], slugs, spaces)
    ids = {}
    for n, event in enumerate(items):
        if (
            event["where"] != "company"
            and event["organiser"] not in spaces[event["where"]]["members"]
        ):
            event["where"] = "company"  # organisers plan in their own spaces only
        body = {
            "title": f"{prefix}{n}",
            "description": f"{prefix}{n} agenda",
            "starts_at": f"{YEAR}-{month:02d}-0{1 + n}T10:00",
            "ends_at": f"{YEAR}-{month:02d}-0{1 + n}T11:00",
            "timezone": "Europe/Paris",
        }
        if event["where"] != "company":
            body["space"] = slugs[event["where"]]
        if event["weekly"]:
            body["rrule"] = "FREQ=WEEKLY;COUNT=3"
        response = clients[event["organiser"]].post("/api/v1/events", json=body)
        assert response.status_code == 201, response.text
        ids[n] = response.json()["id"]

    wait_for_index(app)
    span = {"from": f"{YEAR}-{month:02d}-01", "to": f"{YEAR}-{month:02d}-28"}
    for reader, client in clients.items():
        expected = {f"{prefix}{n}" for n, e in enumerate(items) if may_see(reader, e, spaces)}

        def ours(titles):
            return {t for t in titles if t.startswith(prefix)}

        listed = client.get("/api/v1/events", params=span).json()["items"]
        assert ours(o["title"] for o in listed) == expected, reader
        for o in listed:  # answer "maybe" to every first occurrence one may see
            if o["title"].startswith(prefix) and o["starts_at"][8:10] <= "05":
                client.post(
                    f"/api/v1/events/{o['event']}/rsvp",
                    json={"status": "maybe", "occurrence": o["id"]},
                )
        month_page = client.get(f"/events/month?month={YEAR}-{month:02d}").text
        assert {t for t in map(lambda n: f"{prefix}{n}", ids) if f">{t}<" in month_page} == expected
        upcoming = client.get(f"/events?from={YEAR}-{month:02d}-01").text
        assert {t for t in map(lambda n: f"{prefix}{n}", ids) if f">{t}<" in upcoming} == expected
        stream = client.get("/api/v1/stream?limit=100").json()["items"]
        assert ours(i["object"]["name"] for i in stream) == expected, reader
        hits = client.get("/api/v1/search", params={"q": f"e{run}"}).json()["hits"]
        assert ours(h["title"] for h in hits) == expected, reader
        feed = client.get(calendar_feed(client) + "?spaces=1")
        assert feed.status_code == 200, reader
        cal = icalendar.Calendar.from_ical(feed.text)
        assert ours(str(e.get("summary")) for e in cal.walk("VEVENT")) == expected, reader
        for n, event in enumerate(items):
            may = may_see(reader, event, spaces)
            for path in (
                f"/api/v1/events/{ids[n]}",
                f"/events/{ids[n]}",
                f"/events/{ids[n]}.ics",
            ):
                response = client.get(path)
                assert response.status_code == (200 if may else 404), (reader, path)
                assert may or prefix not in response.text
            for i in range(len(spaces)):
                tab = client.get(f"/events/spaces/{slugs[i]}?from={YEAR}-{month:02d}-01")
                shown = f">{prefix}{n}<" in tab.text
                assert shown == (may and event["where"] == i), (reader, slugs[i], n)

    for n, event in enumerate(items):  # a change tells the attendees who may still see it
        changed = clients[event["organiser"]].patch(
            f"/api/v1/events/{ids[n]}", json={"location": f"Room {prefix}{n}"}
        )
        assert changed.status_code == 200, changed.text
    for reader, client in clients.items():
        notes = client.get("/notifications").text
        told = {f"{prefix}{n}" for n in ids if f">{prefix}{n}<" in notes}
        expected = {
            f"{prefix}{n}"
            for n, e in enumerate(items)
            if may_see(reader, e, spaces) and reader != e["organiser"]
        }
        assert told == expected, reader
