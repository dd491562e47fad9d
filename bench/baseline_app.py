"""The bare baseline: Starlette + Jinja2 rendering 20 stream items from memory.

Run by bench/stream_bench.py on its own port; rse's figures are reported as ratios to it.
"""

from __future__ import annotations

from datetime import UTC, datetime

import jinja2
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

TEMPLATE = jinja2.Environment(autoescape=True).from_string(
    """<!doctype html><html><head><title>Home</title></head><body><main>
{% for item in items %}<article><img src="/avatars/{{ item.user }}.svg" alt="">
<a href="/people/{{ item.user }}"><strong>{{ item.name }}</strong></a> shared
<a href="{{ item.url }}">{{ item.title }}</a> <time>{{ item.at.isoformat() }}</time>
<p>{{ item.summary }}</p><button>Like · {{ item.likes }}</button></article>{% endfor %}
</main></body></html>"""
)
ITEMS = [
    {
        "user": f"user{i}",
        "name": f"User {i}",
        "url": f"/content/{i}",
        "title": f"Item {i}",
        "summary": "Lorem ipsum dolor sit amet " * 4,
        "likes": i % 5,
        "at": datetime(2026, 11, 23, tzinfo=UTC),
    }
    for i in range(20)
]


async def home(request):
    return HTMLResponse(TEMPLATE.render(items=ITEMS))


app = Starlette(routes=[Route("/", home)])
