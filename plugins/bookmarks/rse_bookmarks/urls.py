"""Which URLs may be saved, and the optional, SSRF-safe title and description fetch.

The fetch is off unless the site turns it on (``bookmarks_fetch_titles = true`` in rse.toml or
``RSE_BOOKMARKS_FETCH_TITLES=1``). When on, it only ever connects to public addresses: the host
is resolved here, every address checked, and the connection pinned to a checked address (TLS
still verifies the real host name), before and after every redirect.
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import httpx2

from rse_core import (
    FETCH_SCHEMES,
    Resolver,
    UnsafeURL,
    checked_address,
    pinned_request,
    system_resolver,
)

SAVE_SCHEMES = ("http", "https", "mailto")
MAX_URL = 2000
MAX_BYTES = 512 * 1024
TIMEOUT = 5.0
MAX_REDIRECTS = 3


def check_saveable(url: object) -> str:
    """A URL that may be stored: http, https or mailto, at most 2,000 characters."""
    if not isinstance(url, str) or not url.strip():
        raise UnsafeURL("Enter a link.")
    url = url.strip()
    if len(url) > MAX_URL:
        raise UnsafeURL("Links are at most 2,000 characters.")
    if any(ch in url for ch in "\x00\r\n\t"):
        raise UnsafeURL("Links cannot contain control characters.")
    parts = urlsplit(url)
    if parts.scheme.lower() not in SAVE_SCHEMES:
        raise UnsafeURL("Only http, https and mailto links can be saved.")
    if parts.scheme.lower() in FETCH_SCHEMES and not parts.hostname:
        raise UnsafeURL("This link has no host.")
    return url


class _TitleParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.in_title = False
        self.title = ""
        self.description = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k.lower(): v or "" for k, v in attrs}
        if tag == "title":
            self.in_title = True
        elif tag == "meta" and values.get("name", "").lower() == "description":
            self.description = self.description or values.get("content", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self.in_title = False

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title += data


def fetch_title(
    url: str,
    *,
    resolve: Resolver = system_resolver,
    transport: httpx2.BaseTransport | None = None,
) -> tuple[str, str]:
    """The page's title and meta description (plain text; escaped wherever shown)."""
    current = check_saveable(url)
    with httpx2.Client(transport=transport, timeout=TIMEOUT, follow_redirects=False) as client:
        for _hop in range(MAX_REDIRECTS + 1):
            address = checked_address(current, resolve)
            request = pinned_request(
                client, "GET", current, address, headers={"accept": "text/html"}
            )
            response = client.send(request, stream=True)
            try:
                if response.is_redirect:
                    location = response.headers.get("location", "")
                    current = check_saveable(urljoin(current, location))
                    continue
                if response.status_code != 200:
                    raise UnsafeURL(f"The page answered {response.status_code}.")
                body = b""
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) >= MAX_BYTES:
                        break
            finally:
                response.close()
            parser = _TitleParser()
            parser.feed(body[:MAX_BYTES].decode(response.encoding or "utf-8", "replace"))
            return " ".join(parser.title.split())[:300], " ".join(parser.description.split())[:1000]
    raise UnsafeURL("Too many redirects.")
