"""The bare baseline: Starlette + Jinja2 reading the 20 newest stream items from the bench's
SQLite database (``$RSE_DATA_DIR/rse.db``) and rendering them, on every request.

It does the work any stream page must do (one indexed query of the activities with their item
and author, one template) and nothing else: no session, no permissions beyond the company-wide
audience, no plugins. Run by the page benches (bench/stream_bench.py ``rse_and_baseline``) on
its own port in the same run; rse's figures are reported as ratios to it (issue #13).
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import jinja2
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

TEMPLATE = jinja2.Environment(autoescape=True).from_string(
    """<!doctype html><html><head><title>Home</title></head><body><main>
{% for item in items %}<article><img src="/avatars/{{ item.username }}.svg" alt="">
<a href="/people/{{ item.username }}"><strong>{{ item.display_name }}</strong></a> shared
<a href="{{ item.url }}">{{ item.title }}</a> <time>{{ item.created_at }}</time>
<p>{{ item.summary }}</p></article>{% endfor %}
</main></body></html>"""
)
QUERY = """
SELECT a.id, a.created_at, c.title, c.summary, c.url, u.username, u.display_name
FROM rse_activity AS a
JOIN rse_content AS c ON c.id = a.content_id
JOIN rse_user AS u ON u.id = a.actor_id
WHERE a.audience = 'everyone'
ORDER BY a.id DESC LIMIT 20
"""
_connection: sqlite3.Connection | None = None


def connection() -> sqlite3.Connection:
    """One read connection for the worker (requests run on the event loop's one thread)."""
    global _connection
    if _connection is None:
        path = Path(os.environ["RSE_DATA_DIR"]) / "rse.db"
        _connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        _connection.row_factory = sqlite3.Row
    return _connection


async def home(request):
    items = connection().execute(QUERY).fetchall()
    return HTMLResponse(TEMPLATE.render(items=items))


app = Starlette(routes=[Route("/", home)])
