"""User-written Markdown to safe HTML: markdown-it-py renders, nh3 sanitises.

Nothing user-written reaches a page any other way.
"""

from __future__ import annotations

import re
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_md = MarkdownIt("commonmark", {"html": False, "linkify": True, "typographer": False}).enable(
    ["table", "strikethrough", "linkify"]
)

ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "strong",
    "em",
    "del",
    "s",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "a",
    "img",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "th": {"align"},
    "td": {"align"},
}
URL_SCHEMES = {"http", "https", "mailto"}


MENTION = re.compile(r"(?<![\w@/\[])@([a-z0-9][a-z0-9_.-]{0,38}[a-z0-9])", re.IGNORECASE)


def link_mentions(text: str) -> str:
    """Turn ``@username`` into a Markdown link to the person's profile."""
    return MENTION.sub(lambda m: f"[@{m.group(1)}](/people/{m.group(1).lower()})", text)


#: Texts up to this long are rendered once and kept (an LRU of RENDERED_KEPT): a stream
#: page shows the same 20 posts to every reader, and Markdown plus sanitising was a third of
#: its cost. Longer texts are rendered each time rather than held in memory.
CACHED_TEXT_MAX = 8_000
RENDERED_KEPT = 1024


def render_markdown(text: str) -> Markup:
    """Render Markdown to sanitised HTML, safe to insert into a page; ``@mentions`` link."""
    text = text or ""
    if len(text) > CACHED_TEXT_MAX:
        return _render(text)
    return _render_kept(text)


def _render(text: str) -> Markup:
    html = _md.render(link_mentions(text))
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )
    return Markup(clean)


_render_kept = lru_cache(maxsize=RENDERED_KEPT)(_render)


def excerpt(text: str, length: int = 140) -> str:
    """Plain text of at most ``length`` characters, cut at a word, with an ellipsis."""
    flat = " ".join(text.split())
    if len(flat) <= length:
        return flat
    return flat[:length].rsplit(" ", 1)[0].rstrip(",.;:") + "…"


#: A ``#hashtag`` in text: not inside a word, a URL's fragment or an HTML entity, and not a
#: Markdown heading (``# Title``, ``## Part``).
HASHTAG = re.compile(r"(?<![\w/#&])#([^\W\d_][\w-]{0,59})", re.UNICODE)


def hashtags(text: str, limit: int = 20) -> list[str]:
    """The lower-cased ``#hashtags`` of a text, in order, each once, at most ``limit``: the
    tags of a post or a wiki page written inline."""
    return list(dict.fromkeys(tag.lower() for tag in HASHTAG.findall(text)))[:limit]
