"""Times read as people read them: relative ("5 minutes ago", "il y a 5 minutes"), with the
exact time in the reader's own time zone on hover."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import update

from rse_core.content import Content
from rse_core.db import utcnow
from rse_core.testing import enable
from tests.conftest import share

pytestmark = pytest.mark.portable


def time_of(page: str, title: str) -> tuple[str, str]:
    """(title attribute, text) of the <time> in the stream entry showing ``title``."""
    (entry,) = [a for a in page.split('<article class="card entry')[1:] if f">{title}<" in a]
    match = re.search(r'<time datetime="[^"]+" title="([^"]+)">([^<]+)</time>', entry)
    assert match, entry
    return match.group(1), match.group(2)


def test_relative_times_in_the_reader_s_language_and_zone(rse_app, client):
    enable(rse_app, "example")
    item = share(rse_app, "erin", "Coffee at ten")
    moment = (utcnow() - timedelta(minutes=5)).replace(hour=9, minute=30, second=0)
    moment = moment if moment < utcnow() else moment - timedelta(days=1)
    with rse_app.state.rse.db.write() as session:  # written at 09:30 UTC
        session.execute(update(Content).where(Content.id == item).values(created_at=moment))
        from rse_core.content import Activity

        session.execute(
            update(Activity).where(Activity.content_id == item).values(created_at=moment)
        )
    title, text = time_of(client.get("/").text, "Coffee at ten")
    assert "9:30:00" in title and text.endswith("ago")  # the site's zone: UTC
    title, text = time_of(client.get("/", headers={"accept-language": "fr"}).text, "Coffee at ten")
    assert text.startswith("il y a") and "09:30:00" in title
    saved = client.post(
        "/profile",
        data={"display_name": "Erin", "time_zone": "Asia/Tokyo"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    title, _text = time_of(client.get("/").text, "Coffee at ten")
    assert "6:30:00" in title  # 09:30 UTC is 18:30 in Tokyo


def test_a_minute_ago_and_a_bad_time_zone(rse_app, client):
    enable(rse_app, "example")
    share(rse_app, "erin", "Just now")
    _title, text = time_of(client.get("/").text, "Just now")
    assert text == "just now"  # not Babel's "in 0 seconds"
    refused = client.post("/profile", data={"display_name": "Erin", "time_zone": "Mars/Olympus"})
    assert refused.status_code == 422 and "Choose a time zone from the list." in refused.text
    page = client.get("/profile").text
    assert '<option value="Europe/Paris">Europe/Paris</option>' in page
