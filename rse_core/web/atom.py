"""Atom feeds: one writer for every feed (the personal stream, a plugin's blogs), and the
reader's feed keys that let a feed reader in without a session.

A reader turns feeds on once (``/profile/feed``): that stores a hashed secret. Their personal
stream is ``/feeds/<secret>.atom``; every other feed (a blog, a space's blog) is addressed with
a **feed key** derived from that secret's hash and the site's secret key, so a page can show
the reader their subscription URL again without storing the secret. Resetting or turning off
the personal feed revokes every key at once. A feed always shows what its reader may see
today: their principals are loaded at each fetch, never frozen in the URL.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

from sqlalchemy.orm import Session
from starlette.requests import HTTPConnection
from starlette.responses import Response

from ..identity.models import FeedToken, User
from ..permissions import load_access, plugins_of
from . import parse_id
from .context import runtime

ATOM = "http://www.w3.org/2005/Atom"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class AtomEntry:
    """One entry: ``id`` a stable IRI, ``link`` an absolute URL, ``html`` optional content
    (already sanitised: it is sent as escaped HTML), ``summary`` plain text."""

    id: str
    title: str
    link: str
    updated: datetime
    author: str
    summary: str = ""
    html: str = ""
    published: datetime | None = None
    categories: tuple[str, ...] = ()


def _iso(moment: datetime) -> str:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


def atom_response(
    *, title: str, feed_id: str, link: str, self_link: str, entries: Iterable[AtomEntry]
) -> Response:
    """An Atom 1.0 document (RFC 4287) of ``entries``, newest first, private to its reader
    (``cache-control: private, no-store``: the URL carries their key)."""
    entries = list(entries)
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    ET.SubElement(feed, f"{{{ATOM}}}title").text = title
    ET.SubElement(feed, f"{{{ATOM}}}id").text = feed_id
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="alternate", type="text/html", href=link)
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=self_link)
    newest = max((e.updated for e in entries), default=EPOCH)
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = _iso(newest)
    ET.SubElement(ET.SubElement(feed, f"{{{ATOM}}}author"), f"{{{ATOM}}}name").text = "rse"
    for e in entries:
        item = ET.SubElement(feed, f"{{{ATOM}}}entry")
        ET.SubElement(item, f"{{{ATOM}}}title").text = e.title
        ET.SubElement(item, f"{{{ATOM}}}id").text = e.id
        ET.SubElement(item, f"{{{ATOM}}}updated").text = _iso(e.updated)
        if e.published is not None:
            ET.SubElement(item, f"{{{ATOM}}}published").text = _iso(e.published)
        ET.SubElement(item, f"{{{ATOM}}}link", rel="alternate", href=e.link)
        author = ET.SubElement(item, f"{{{ATOM}}}author")
        ET.SubElement(author, f"{{{ATOM}}}name").text = e.author
        for term in e.categories:
            ET.SubElement(item, f"{{{ATOM}}}category", term=term)
        if e.summary:
            ET.SubElement(item, f"{{{ATOM}}}summary").text = e.summary
        if e.html:
            ET.SubElement(item, f"{{{ATOM}}}content", type="html").text = e.html
    body = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return Response(
        body,
        media_type="application/atom+xml; charset=utf-8",
        headers={"cache-control": "private, no-store"},
    )


def _signature(secret_key: str, user_id: int, token_hash: str) -> str:
    message = f"feed:{user_id}:{token_hash}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()[:32]


def feed_key(conn: HTTPConnection, session: Session, user: User) -> str | None:
    """The reader's key for feed URLs, or None while their feeds are off (``/profile/feed``
    turns them on; resetting or turning them off there revokes every key)."""
    row = session.get(FeedToken, user.id)
    if row is None:
        return None
    return f"{user.id}-{_signature(runtime(conn).settings.secret_key, user.id, row.token_hash)}"


def feed_reader(
    conn: HTTPConnection, session: Session, key: str, *, plugin: str | None = None
) -> tuple[User, frozenset[str]] | None:
    """The active user a feed key belongs to and the principals they read with today (plugin
    rollout included), or None for a wrong, revoked or malformed key, or when ``plugin`` (the
    caller's) is not active for that user: a plugin's feed routes live under ``/feeds/``,
    where no session exists for the rollout gate to check."""
    user_part, _, signature = key.partition("-")
    user_id = parse_id(user_part)
    if user_id is None or len(signature) != 32:
        return None
    user = session.get(User, user_id)
    row = session.get(FeedToken, user.id) if user is not None else None
    if user is None or row is None or not user.is_active:
        return None
    expected = _signature(runtime(conn).settings.secret_key, user.id, row.token_hash)
    if not hmac.compare_digest(expected, signature):
        return None
    scope = load_access(session, user, runtime(conn).plugin_states()).principals
    plugins = plugins_of(scope)
    if plugin is not None and plugins is not None and plugin not in plugins:
        return None
    return user, scope
