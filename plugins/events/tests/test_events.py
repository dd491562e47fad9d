"""The events plugin: recurrence across daylight-saving changes, validation, RSVPs and the
waiting list (concurrent answers included), one occurrence or the following ones changed or
cancelled, reminders, iCalendar out (checked by what calendar programs do with it) and in."""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events
from rse_events import recurrence, rsvps
from rse_events.models import Event, Occurrence
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from rse_core import User, ValidationError
from rse_core.testing import enable, page_statements, run_jobs, wait_for_index

PARIS = ZoneInfo("Europe/Paris")
NEXT_YEAR = datetime.now(UTC).year + 1


@pytest.fixture
def people(rse_app, rse_user, rse_client_for):
    for name in ("ann", "bob", "cid"):
        rse_user(name)
    clients = {name: rse_client_for(name) for name in ("ann", "bob", "cid")}
    created = clients["ann"].post(
        "/api/v1/spaces", json={"name": "Ops", "slug": "ops", "visibility": "private"}
    )
    assert created.status_code == 201
    clients["ann"].post("/api/v1/spaces/ops/members", json={"username": "bob", "role": "member"})
    enable(rse_app, "events")
    return clients


def create(client, expect=201, **body):
    body.setdefault("title", "Team meeting")
    body.setdefault("starts_at", f"{NEXT_YEAR}-03-01T10:00")
    body.setdefault("ends_at", f"{NEXT_YEAR}-03-01T11:00")
    body.setdefault("timezone", "Europe/Paris")
    response = client.post("/api/v1/events", json=body)
    assert response.status_code == expect, response.text
    return response.json()


def occurrences(client, event_id=None, start=f"{NEXT_YEAR}-01-01", end=f"{NEXT_YEAR}-12-31"):
    items = client.get("/api/v1/events", params={"from": start, "to": end}).json()["items"]
    return [o for o in items if event_id is None or o["event"] == event_id]


def rsvp(client, event_id, status, occurrence=None, expect=200):
    body = {"status": status}
    if occurrence is not None:
        body["occurrence"] = occurrence
    response = client.post(f"/api/v1/events/{event_id}/rsvp", json=body)
    assert response.status_code == expect, response.text
    return response.json()


def notes(client):
    return client.get("/notifications").text


# Recurrence ---------------------------------------------------------------------------------


def test_a_weekly_meeting_stays_at_ten_in_paris_across_daylight_saving():
    rule = recurrence.parse_rule("FREQ=WEEKLY;BYDAY=MO;COUNT=6")
    start = datetime(2027, 3, 15, 10, tzinfo=PARIS).astimezone(UTC)
    slots = recurrence.expand(start, start + timedelta(hours=1), PARIS, rule)
    assert [s.starts_at.astimezone(PARIS).hour for s in slots] == [10] * 6
    assert [s.starts_at.hour for s in slots] == [9, 9, 8, 8, 8, 8]  # clocks moved on 28 March
    assert all(s.ends_at - s.starts_at == timedelta(hours=1) for s in slots)


def test_monthly_by_weekday_and_until_end_in_the_zone():
    rule = recurrence.parse_rule("FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20270630")
    assert rule.text == "FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20270630"
    start = datetime(2027, 1, 29, 17, tzinfo=PARIS).astimezone(UTC)
    slots = recurrence.expand(start, start + timedelta(hours=2), PARIS, rule)
    days = [s.starts_at.astimezone(PARIS).date().isoformat() for s in slots]
    assert days == [
        "2027-01-29",
        "2027-02-26",
        "2027-03-26",
        "2027-04-30",
        "2027-05-28",
        "2027-06-25",
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("FREQ=WEEKLY;BYDAY=MO", "needs an end"),
        ("FREQ=DAILY;COUNT=1001", "from 1 to 1000"),
        ("FREQ=DAILY;UNTIL=20991231", "more than 1000"),
        ("FREQ=HOURLY;COUNT=3", "FREQ must be"),
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30;COUNT=3", "never happens"),
        ("FREQ=DAILY;BYMONTH=2;COUNT=3", "not supported"),
        ("FREQ=WEEKLY;BYDAY=XX;COUNT=3", "Not a day"),
        ("FREQ=WEEKLY;COUNT=3;COUNT=4", "given twice"),
        ("FREQ=WEEKLY;COUNT=3;UNTIL=20271231", "not both"),
        ("FREQ=WEEKLY;UNTIL=20200101", "never happens"),
        ("garbage", "Not a rule part"),
    ],
)
def test_impossible_or_unbounded_rules_are_refused_quickly(text, message):
    started = time.perf_counter()
    start = datetime(2027, 1, 4, 9, tzinfo=UTC)
    with pytest.raises(ValidationError) as caught:
        rule = recurrence.parse_rule(text)
        recurrence.expand(start, start + timedelta(hours=1), PARIS, rule)
    assert message in caught.value.fields["rrule"]
    assert time.perf_counter() - started < 1.0


# The API and its validation -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"ends_at": f"{NEXT_YEAR}-03-01T09:00"}, "ends_at"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"timezone": "../../etc/passwd"}, "timezone"),
        ({"rrule": "FREQ=DAILY"}, "rrule"),
        ({"rrule": "FREQ=DAILY;COUNT=5000"}, "rrule"),
        ({"capacity": -1}, "capacity"),
        ({"capacity": 0}, "capacity"),
        ({"online_url": "javascript:alert(1)"}, "online_url"),
        ({"starts_at": "next tuesday"}, "starts_at"),
        ({"ends_at": f"{NEXT_YEAR}-06-01T09:00"}, "ends_at"),  # longer than 62 days
        ({"title": "   "}, "title"),
        ({"space": "no-such-space"}, None),
    ],
)
def test_bad_input_is_a_4xx_naming_the_field_and_changes_nothing(rse_app, people, change, field):
    response = people["ann"].post(
        "/api/v1/events",
        json={
            "title": "Bad",
            "starts_at": f"{NEXT_YEAR}-03-01T10:00",
            "ends_at": f"{NEXT_YEAR}-03-01T11:00",
            **change,
        },
    )
    assert 400 <= response.status_code < 500, response.text
    if field:  # 422: not what the document accepts; 409: values that contradict each other
        named = response.json()["error"]["fields"]
        assert response.status_code in (409, 422) and any(k.startswith(field) for k in named)
    with rse_app.state.rse.db.read() as session:
        assert session.execute(select(func.count()).select_from(Event)).scalar_one() == 0


def test_a_javascript_meeting_link_is_refused_in_words(people):
    response = people["ann"].post(
        "/api/v1/events",
        json={
            "title": "Bad link",
            "starts_at": f"{NEXT_YEAR}-03-01T10:00",
            "ends_at": f"{NEXT_YEAR}-03-01T11:00",
            "online_url": "javascript:alert(1)",
        },
    )
    assert response.status_code == 422
    said = response.json()["error"]["fields"]["online_url"]
    assert said == "Must be an http or https meeting link; empty for none."


def test_an_event_reaches_its_page_the_stream_search_and_the_calendars(rse_app, people):
    ann, bob = people["ann"], people["bob"]
    event = create(
        ann,
        title="Quarterly review",
        description="Numbers **and** plans <script>alert(1)</script>",
        location="Room 4",
        online_url="https://meet.example.com/q",
        capacity=10,
    )
    assert event["starts_at"] == f"{NEXT_YEAR}-03-01T09:00:00+00:00"  # 10:00 in Paris
    assert "<script>" not in event["html"] and "<strong>and</strong>" in event["html"]
    page = bob.get(f"/events/{event['id']}").text
    assert "Quarterly review" in page and "Room 4" in page and "<script>alert" not in page
    wait_for_index(rse_app)
    hits = bob.get("/api/v1/search", params={"q": "quarterly"}).json()["hits"]
    assert [h["title"] for h in hits] == ["Quarterly review"]
    stream = bob.get("/api/v1/stream").json()["items"]
    assert [i["object"]["name"] for i in stream] == ["Quarterly review"]
    assert "Quarterly review" in bob.get("/").text  # the stream entry and nothing broken
    month = bob.get(f"/events/month?month={NEXT_YEAR}-03").text
    assert "Quarterly review" in month
    assert "Quarterly review" in bob.get(f"/events?from={NEXT_YEAR}-03-01").text


def test_stream_entries_show_their_time_with_one_query_for_the_page(rse_app, people):
    """The events of a stream page are loaded at once (``rse_prepare_entries``), not one query
    per entry: a home page with three events runs what a page with one does."""
    ann = people["ann"]
    create(ann, title="Planning one", starts_at=f"{NEXT_YEAR}-03-02T10:00",
           ends_at=f"{NEXT_YEAR}-03-02T11:00")  # fmt: skip
    one = page_statements(rse_app, ann, "/")
    for n in (2, 3):
        create(ann, title=f"Planning {n}")
    assert len(page_statements(rse_app, ann, "/")) == len(one)
    home = ann.get("/").text
    assert home.count('class="ev-when"') == 3
    assert f"2 Mar {NEXT_YEAR}, 9:00" in home  # 10:00 in Paris, read in UTC


def test_the_occurrences_list_pages_with_a_cursor(people):
    """Two events at the same time and a daily series: pages of two, each following the
    last one's ``next``, give every occurrence once, in time order."""
    ann = people["ann"]
    create(ann, title="Same time A")
    create(ann, title="Same time B")
    create(ann, title="Daily", rrule="FREQ=DAILY;COUNT=5")
    span = {"from": f"{NEXT_YEAR}-03-01", "to": f"{NEXT_YEAR}-03-31"}
    whole = ann.get("/api/v1/events", params=span).json()
    assert whole["next"] is None and len(whole["items"]) == 7
    paged, after = [], None
    while True:
        cursor = {"after": after} if after else {}
        page = ann.get("/api/v1/events", params={**span, "limit": 2, **cursor}).json()
        assert len(page["items"]) <= 2
        paged += page["items"]
        after = page["next"]
        if after is None:
            break
    assert [o["id"] for o in paged] == [o["id"] for o in whole["items"]]
    for bad in ("yesterday", "20261399T000000000000-1"):
        refused = ann.get("/api/v1/events", params={**span, "after": bad})
        assert refused.status_code in (409, 422) and "after" in str(refused.json()), bad


def test_later_pages_through_a_day_busier_than_a_page(people, monkeypatch):
    """The agenda's "Later" goes on after the last occurrence shown: with more events in one
    day than a page holds it used to restart at that day, the same page again and again."""
    from rse_events import views

    monkeypatch.setattr(views, "UPCOMING_LIMIT", 3)
    ann = people["ann"]
    titles = [f"Stand-up {n}" for n in range(7)]
    for title in titles:
        create(ann, title=title)
    create(
        ann,
        title="Next day",
        starts_at=f"{NEXT_YEAR}-03-02T09:00",
        ends_at=f"{NEXT_YEAR}-03-02T10:00",
    )
    seen, url = [], f"/events?from={NEXT_YEAR}-03-01"
    for _ in range(10):
        page = ann.get(url)
        assert page.status_code == 200
        seen += re.findall(r"Stand-up \d|Next day", page.text)
        later = re.search(r'href="\?([^"]*after=[^"]*)"', page.text)
        if later is None:
            break
        url = "/events?" + later.group(1).replace("&amp;", "&")
    else:
        pytest.fail("Later never stopped")
    assert seen == [*titles, "Next day"]


def test_a_private_spaces_event_is_invisible_to_outsiders(rse_app, people):
    ann, cid = people["ann"], people["cid"]
    event = create(ann, title="Ops offsite", space="ops")
    assert cid.get(f"/api/v1/events/{event['id']}").status_code == 404
    assert cid.get(f"/events/{event['id']}").status_code == 404
    assert cid.get(f"/events/{event['id']}.ics").status_code == 404
    assert rsvp(cid, event["id"], "yes", expect=404)
    assert occurrences(cid) == []
    assert "Ops offsite" not in cid.get(f"/events/month?month={NEXT_YEAR}-03").text
    assert "Ops offsite" not in cid.get("/events/spaces/ops").text  # a private space's name shows
    assert [o["title"] for o in occurrences(people["bob"])] == ["Ops offsite"]


def test_only_organisers_change_or_cancel(people):
    ann, bob = people["ann"], people["bob"]
    event = create(ann, title="Ann's")
    path = f"/api/v1/events/{event['id']}"
    assert bob.patch(path, json={"title": "Bob's"}).status_code == 403
    assert bob.delete(path).status_code == 403
    assert ann.patch(path, json={"title": "Renamed"}).json()["title"] == "Renamed"


def test_co_organisers_run_the_event_and_must_be_able_to_see_it(people):
    ann, bob, cid = people["ann"], people["bob"], people["cid"]
    event = create(ann, title="Ops review", space="ops", organisers=["bob", "@bob"])
    assert event["organisers"] == ["ann", "bob"]
    path = f"/api/v1/events/{event['id']}"
    assert bob.patch(path, json={"location": "Room 2"}).json()["location"] == "Room 2"
    # cid is not a member of the private space: refused, naming the field, nothing changed
    for names, who in ((["cid"], "Cid"), (["nobody"], "'nobody'")):
        refused = ann.patch(path, json={"organisers": names})
        assert refused.status_code == 409, refused.text
        assert who in refused.json()["error"]["fields"]["organisers"]
    assert ann.get(path).json()["organisers"] == ["ann", "bob"]
    # the list replaces the co-organisers; the creator stays one
    assert ann.patch(path, json={"organisers": []}).json()["organisers"] == ["ann"]
    assert bob.patch(path, json={"title": "Bob's"}).status_code == 403
    assert cid.patch(path, json={"organisers": ["cid"]}).status_code == 404


def test_the_editor_keeps_what_it_does_not_change(people):
    """Saving the editor as it opens changes nothing (the capacity and the co-organisers
    included), and its weekday choices speak the reader's language."""
    ann = people["ann"]
    event = create(
        ann, title="Capped", capacity=4, organisers=["bob"], rrule="FREQ=WEEKLY;BYDAY=MO;COUNT=3"
    )
    form = ann.get(f"/events/{event['id']}/edit").text
    values = dict(re.findall(r'<input id="f-(\w+)"[^>]*? value="([^"]*)"', form))
    assert values["capacity"] == "4" and values["organisers"] == "bob"
    fields = {k: values[k] for k in ("title", "capacity", "organisers", "starts_at", "ends_at")}
    fields |= {"timezone": "Europe/Paris", "repeat": "weekly", "days": "MO", "count": "3"}
    saved = ann.post(f"/events/{event['id']}/edit", data=fields, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    after = ann.get(f"/api/v1/events/{event['id']}").json()
    assert (after["capacity"], after["organisers"]) == (4, ["ann", "bob"])
    assert after["rrule"] == "FREQ=WEEKLY;BYDAY=MO;COUNT=3"
    french = ann.get("/events/new", headers={"accept-language": "fr"}).text
    assert "> lun." in french and "> MO<" not in french


# RSVPs and the waiting list -----------------------------------------------------------------


def test_a_full_event_has_a_waiting_list_that_moves_up_and_tells_who_got_in(people):
    ann, bob, cid = people["ann"], people["bob"], people["cid"]
    event = create(ann, title="Workshop", capacity=1)
    assert rsvp(bob, event["id"], "yes") == {
        "event": event["id"],
        "occurrence": event["next"]["occurrence"],
        "status": "yes",
        "waitlisted": False,
    }
    assert rsvp(cid, event["id"], "yes")["waitlisted"] is True
    assert rsvp(cid, event["id"], "yes")["waitlisted"] is True  # asking again keeps the place
    got = ann.get(f"/api/v1/events/{event['id']}").json()["next"]
    assert (got["going"], got["waiting"]) == (1, 1)
    rsvp(bob, event["id"], "no")
    got = ann.get(f"/api/v1/events/{event['id']}").json()["next"]
    assert (got["going"], got["waiting"]) == (1, 0)
    assert "A place opened up: you are going." in notes(cid)
    page = cid.get(f"/events/{event['id']}").text
    assert "You are going." in page


def test_a_series_needs_its_occurrence_named(people):
    event = create(people["ann"], rrule="FREQ=WEEKLY;COUNT=3")
    response = people["bob"].post(f"/api/v1/events/{event['id']}/rsvp", json={"status": "yes"})
    assert response.status_code == 409 and "occurrence" in response.json()["error"]["fields"]


def test_fifty_concurrent_answers_fill_ten_places_exactly(rse_app, rse_user, people):
    event = create(people["ann"], title="Popular", capacity=10)
    names = [f"p{i}" for i in range(50)]
    for name in names:
        rse_user(name)
    db = rse_app.state.rse.db
    with db.read() as session:
        ids = dict(
            session.execute(select(User.username, User.id).where(User.username.in_(names))).all()
        )
    occurrence_id = event["next"]["occurrence"]

    def answer(name):
        now = datetime.now(UTC)
        for _attempt in range(20):  # PostgreSQL may refuse a serialisation; SQLite waits
            try:
                with db.write() as session:
                    row = rsvps.answer(
                        session,
                        occurrence_id,
                        session.get(Event, event["id"]),
                        session.get(User, ids[name]),
                        "yes",
                        now,
                    )
                    return row.waitlisted
            except DBAPIError as exc:  # only the database's refusals are retried
                last = exc
                time.sleep(0.05)
        raise last

    with ThreadPoolExecutor(max_workers=25) as pool:
        waitlisted = list(pool.map(answer, names))
    assert waitlisted.count(False) == 10 and waitlisted.count(True) == 40
    counts = people["ann"].get(f"/api/v1/events/{event['id']}").json()["next"]
    assert (counts["going"], counts["waiting"]) == (10, 40)


# Changing and cancelling --------------------------------------------------------------------


def expanded_by_a_calendar_program(ics_text, start, end):
    calendar = icalendar.Calendar.from_ical(ics_text)
    found = recurring_ical_events.of(calendar).between(start, end)
    return sorted(e.decoded("dtstart").astimezone(UTC) for e in found)


def test_cancelled_and_moved_occurrences_reach_the_ics_as_real_clients_read_it(people):
    ann, bob = people["ann"], people["bob"]
    event = create(ann, title="Weekly", rrule="FREQ=WEEKLY;BYDAY=MO;COUNT=6")
    first = occurrences(ann, event["id"])
    rsvp(bob, event["id"], "yes", first[1]["id"])
    assert (
        ann.delete(
            f"/api/v1/events/{event['id']}", params={"occurrence": first[1]["id"], "scope": "this"}
        ).status_code
        == 204
    )
    assert "This occurrence is cancelled." in notes(bob)
    moved = ann.patch(
        f"/api/v1/events/{event['id']}",
        json={
            "occurrence": first[2]["id"],
            "scope": "this",
            "starts_at": f"{NEXT_YEAR}-03-16T14:00",
            "ends_at": f"{NEXT_YEAR}-03-16T15:00",
        },
    )
    assert moved.status_code == 200, moved.text
    shown = occurrences(ann, event["id"])
    assert len(shown) == 5 and shown[1]["moved"] is True
    ics = ann.get(f"/events/{event['id']}.ics")
    assert ics.headers["content-type"].startswith("text/calendar")
    text = ics.text
    needed = ("BEGIN:VTIMEZONE", "TZID:Europe/Paris", "RRULE:FREQ=WEEKLY", "EXDATE;TZID=", "UID:")
    for part in (*needed, "RECURRENCE-ID", "DTSTAMP:", "SEQUENCE:"):
        assert part in text, part
    program = expanded_by_a_calendar_program(
        text, datetime(NEXT_YEAR, 1, 1, tzinfo=UTC), datetime(NEXT_YEAR, 12, 31, tzinfo=UTC)
    )
    assert program == sorted(datetime.fromisoformat(o["starts_at"]) for o in shown)


def test_this_and_following_splits_the_series_and_keeps_the_answers(rse_app, people):
    ann, bob = people["ann"], people["bob"]
    event = create(ann, title="Standup", rrule="FREQ=WEEKLY;BYDAY=MO;COUNT=6")
    first = occurrences(ann, event["id"])
    rsvp(bob, event["id"], "yes", first[4]["id"])
    response = ann.patch(
        f"/api/v1/events/{event['id']}",
        json={
            "occurrence": first[3]["id"],
            "scope": "following",
            "title": "Standup (new time)",
            "starts_at": f"{NEXT_YEAR}-03-22T11:00",
            "ends_at": f"{NEXT_YEAR}-03-22T11:30",
        },
    )
    assert response.status_code == 200, response.text
    successor = response.json()
    assert successor["id"] != event["id"] and successor["rrule"].endswith("COUNT=3")
    old = ann.get(f"/api/v1/events/{event['id']}").json()
    assert "UNTIL=" in old["rrule"]
    titles = [(o["title"], o["starts_at"][:16]) for o in occurrences(ann)]
    assert [t for t, _ in titles] == ["Standup"] * 3 + ["Standup (new time)"] * 3
    assert titles[3][1] == f"{NEXT_YEAR}-03-22T10:00"  # 11:00 in Paris
    mine = bob.get("/events/mine").text
    assert "Standup (new time)" in mine
    assert "The time or place changed." in notes(bob)


def test_cancelling_the_whole_event_tells_the_attendees_and_empties_the_calendars(people):
    ann, bob = people["ann"], people["bob"]
    event = create(ann, title="Party")
    rsvp(bob, event["id"], "yes")
    assert ann.delete(f"/api/v1/events/{event['id']}").status_code == 204
    assert ann.get(f"/api/v1/events/{event['id']}").json()["cancelled"] is True
    assert occurrences(bob) == []
    assert "This event is cancelled." in notes(bob)
    assert "STATUS:CANCELLED" in bob.get(f"/events/{event['id']}.ics").text
    assert rsvp(bob, event["id"], "maybe", expect=409)


# Reminders and messages ---------------------------------------------------------------------


def test_a_reminder_comes_at_the_chosen_time_and_not_after_a_no(rse_app, people):
    ann, bob, cid = people["ann"], people["bob"], people["cid"]
    event = create(ann, title="Demo day")
    rsvp(bob, event["id"], "yes")
    rsvp(cid, event["id"], "yes")
    rsvp(cid, event["id"], "no")
    assert bob.post("/events/reminder", data={"minutes": "15"}).status_code == 200
    start = datetime.fromisoformat(event["starts_at"])
    run_jobs(rse_app, now=start - timedelta(minutes=20))
    assert "Reminder" not in notes(bob)
    run_jobs(rse_app, now=start - timedelta(minutes=14))
    assert "Reminder: it starts in 15 minutes." in notes(bob)
    assert "Reminder" not in notes(cid)


def test_an_organiser_reaches_only_their_own_events_occurrences(people):
    """Naming another event's occurrence is a 404 on every organiser's path, and tells
    nobody: a message, a cancellation, an edit."""
    ann, bob, cid = people["ann"], people["bob"], people["cid"]
    mine = create(ann, title="Ann's")
    theirs = create(bob, title="Bob's")
    rsvp(cid, theirs["id"], "yes")
    other = theirs["next"]["occurrence"]
    before = notes(cid)
    form = {"text": "Come to mine", "occurrence": other}
    assert ann.post(f"/events/{mine['id']}/message", data=form).status_code == 404
    cancelled = ann.post(f"/events/{mine['id']}/cancel", data={"occurrence": other})
    assert cancelled.status_code == 404
    assert ann.get(f"/events/{mine['id']}/edit?occurrence={other}&scope=this").status_code == 404
    path = f"/api/v1/events/{mine['id']}"
    assert ann.delete(f"{path}?occurrence={other}&scope=this").status_code == 404
    assert ann.patch(path, json={"occurrence": other, "scope": "this"}).status_code == 404
    assert notes(cid) == before
    assert ann.get(path).json()["cancelled"] is False


def test_organisers_message_the_attendees(people):
    ann, bob, cid = people["ann"], people["bob"], people["cid"]
    event = create(ann, title="Offsite")
    rsvp(bob, event["id"], "maybe")
    ann.post(
        f"/events/{event['id']}/message",
        data={"text": "Bring a laptop", "occurrence": event["next"]["occurrence"]},
    )
    assert "Bring a laptop" in notes(bob) and "Bring a laptop" not in notes(cid)
    response = cid.post(f"/events/{event['id']}/message", data={"text": "spam"})
    assert response.status_code == 403 and "spam" not in notes(bob)


# iCalendar feeds and import -----------------------------------------------------------------


def test_the_subscription_url_serves_my_events_and_is_revocable(people):
    ann, bob = people["ann"], people["bob"]
    mine = create(ann, title="Mine", rrule="FREQ=DAILY;COUNT=3")
    create(ann, title="Not answered")
    private = create(ann, title="Ops only", space="ops")
    rsvp(bob, mine["id"], "yes", occurrences(bob, mine["id"])[0]["id"])
    bob.post("/profile/feed", data={"action": "reset"})
    page = bob.get("/events/mine").text
    url = re.search(r'id="ev-feed"[^>]*value="[^"]*/feeds/([^"]+)"', page).group(1)
    feed = bob.get(f"/feeds/{url}")
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    names = {str(e.get("summary")) for e in icalendar.Calendar.from_ical(feed.text).walk("VEVENT")}
    assert names == {"Mine"}
    everything = bob.get(f"/feeds/{url}?spaces=1").text
    names = {str(e.get("summary")) for e in icalendar.Calendar.from_ical(everything).walk("VEVENT")}
    assert names == {"Mine", "Not answered", "Ops only"}
    people["ann"].delete("/api/v1/spaces/ops/members/bob")
    after = bob.get(f"/feeds/{url}?spaces=1").text
    assert "Ops only" not in after and private["id"]
    bob.post("/profile/feed", data={"action": "reset"})
    assert bob.get(f"/feeds/{url}").status_code == 404


ICS = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//EN
BEGIN:VEVENT
UID:abc-1@example.com
DTSTAMP:20261101T000000Z
DTSTART;TZID=Europe/Paris:{y}0405T093000
DTEND;TZID=Europe/Paris:{y}0405T103000
RRULE:FREQ=WEEKLY;COUNT=4
EXDATE;TZID=Europe/Paris:{y}0412T093000
SUMMARY:Imported weekly
LOCATION:Lyon
END:VEVENT
BEGIN:VEVENT
UID:abc-2@example.com
DTSTAMP:20261101T000000Z
DTSTART;VALUE=DATE:{y}0501
DTEND;VALUE=DATE:{y}0502
SUMMARY:Labour day
END:VEVENT
END:VCALENDAR
"""


def test_importing_an_ics_file_creates_its_events(people):
    ann = people["ann"]
    response = ann.post(
        "/events/import",
        files={"file": ("cal.ics", ICS.format(y=NEXT_YEAR).encode(), "text/calendar")},
        data={"space": ""},
    )
    assert response.status_code == 200, response.text[-500:]
    shown = occurrences(ann)
    assert [(o["title"], o["starts_at"][5:16]) for o in shown] == [
        ("Imported weekly", "04-05T07:30"),
        ("Imported weekly", "04-19T07:30"),
        ("Imported weekly", "04-26T07:30"),
        ("Labour day", "05-01T00:00"),
    ]
    assert shown[-1]["all_day"] is True


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("not a calendar", "Not an iCalendar file"),
        (ICS.replace("RRULE:FREQ=WEEKLY;COUNT=4", "RRULE:FREQ=WEEKLY"), "Event 1"),
        (ICS.replace("DTSTART;VALUE=DATE:{y}0501\n", ""), "Event 2"),
        ("BEGIN:VCALENDAR\nVERSION:2.0\nEND:VCALENDAR\n", "no event"),
    ],
)
def test_a_bad_ics_file_is_refused_whole_with_the_reason(rse_app, people, text, reason):
    response = people["ann"].post(
        "/events/import",
        files={"file": ("cal.ics", text.format(y=NEXT_YEAR).encode(), "text/calendar")},
    )
    assert response.status_code == 422 and reason in response.text
    with rse_app.state.rse.db.read() as session:
        assert session.execute(select(func.count()).select_from(Occurrence)).scalar_one() == 0


def test_the_pages_read_well_in_french(people):
    ann = people["ann"]
    event = create(ann, title="Réunion", capacity=3)
    page = ann.get(f"/events/{event['id']}", headers={"accept-language": "fr"}).text
    assert "Viendrez-vous" in page and "places" in page
    month = ann.get(f"/events/month?month={NEXT_YEAR}-03", headers={"accept-language": "fr"}).text
    assert "mars" in month.lower()


def test_the_event_page_says_how_it_repeats(people):
    ann = people["ann"]
    monthly = create(
        ann,
        starts_at=f"{NEXT_YEAR}-03-09T10:00",
        ends_at=f"{NEXT_YEAR}-03-09T11:00",
        rrule="FREQ=MONTHLY;BYDAY=2TU;COUNT=6",
    )
    page = ann.get(f"/events/{monthly['id']}").text
    assert "the second Tuesday" in page and "6 times" in page
    french = ann.get(f"/events/{monthly['id']}", headers={"accept-language": "fr"}).text
    assert "le deuxième mardi" in french
    weekly = create(ann, rrule=f"FREQ=WEEKLY;BYDAY=MO,WE;UNTIL={NEXT_YEAR}0331")
    page = ann.get(f"/events/{weekly['id']}").text
    assert "Monday, Wednesday" in page and f"until Mar 31, {NEXT_YEAR}" in page


def test_a_range_finds_what_is_still_running_long_or_short(people):
    """A range's occurrences include those begun before it that still run: a short one from
    the day before, and a long one (over a day: its own index) from weeks before; those that
    ended before the range are left out, as are long ones that ended."""
    ann = people["ann"]
    y = NEXT_YEAR
    short = create(
        ann, title="Night shift", starts_at=f"{y}-05-09T22:00", ends_at=f"{y}-05-10T06:00"
    )
    long_one = create(
        ann, title="Trade fair", starts_at=f"{y}-04-20T09:00", ends_at=f"{y}-05-12T18:00"
    )
    create(ann, title="Ended fair", starts_at=f"{y}-04-01T09:00", ends_at=f"{y}-05-09T18:00")
    create(ann, title="Over", starts_at=f"{y}-05-09T08:00", ends_at=f"{y}-05-09T09:00")
    later = create(ann, title="Later", starts_at=f"{y}-05-11T08:00", ends_at=f"{y}-05-11T09:00")
    found = occurrences(ann, start=f"{y}-05-10", end=f"{y}-05-20")
    assert [o["event"] for o in found] == [long_one["id"], short["id"], later["id"]]
