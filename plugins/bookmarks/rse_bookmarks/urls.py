"""Which URLs may be saved, and the optional, SSRF-safe title and description fetch.

The fetch is off unless the site turns it on (``bookmarks_fetch_titles = true`` in rse.toml or
``RSE_BOOKMARKS_FETCH_TITLES=1``). When on, it only ever connects to public addresses: the host
is resolved here, every address checked, and the connection pinned to a checked address (TLS
still verifies the real host name), before and after every redirect.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx2

SAVE_SCHEMES = ("http", "https", "mailto")
FETCH_SCHEMES = ("http", "https")
MAX_URL = 2000
MAX_BYTES = 512 * 1024
TIMEOUT = 5.0
MAX_REDIRECTS = 3
# Hosts written as a bare number (2130706433), in octal or hex (0177.0.0.1, 0x7f.1) or as a
# shortened dotted quad (127.1) are IP addresses in disguise: refused before any lookup.
NUMERIC_HOST = re.compile(r"^(0x[0-9a-f]+|[0-9]+)(\.(0x[0-9a-f]+|[0-9]+)){0,3}\.?$", re.I)


class UnsafeURL(ValueError):
    """A URL that may not be saved or fetched; the message says why."""


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


def is_public_address(address: str) -> bool:
    """True for a globally routable unicast address (IPv4-mapped IPv6 judged as IPv4)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        mapped = ip.ipv4_mapped or ip.sixtofour
        if mapped is not None:
            ip = mapped
        elif ip.teredo is not None:
            return False
    return ip.is_global and not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


Resolver = Callable[[str, int], list[str]]


def system_resolver(host: str, port: int) -> list[str]:
    """Every address the host resolves to."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({info[4][0] for info in infos})


def checked_address(url: str, resolve: Resolver) -> str:
    """Resolve the URL's host and return an address to connect to, refusing unless every
    address is public."""
    parts = urlsplit(url)
    if parts.scheme not in FETCH_SCHEMES or not parts.hostname:
        raise UnsafeURL("Only http and https links are fetched.")
    host = parts.hostname
    if NUMERIC_HOST.match(host):
        try:
            ipaddress.ip_address(host)
        except ValueError:
            raise UnsafeURL("This address is written in a disguised form.") from None
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [str(literal)]
    else:
        try:
            addresses = resolve(host, parts.port or (443 if parts.scheme == "https" else 80))
        except OSError:
            raise UnsafeURL("This host does not resolve.") from None
    if not addresses or not all(is_public_address(a) for a in addresses):
        raise UnsafeURL("This link points to a private or local address.")
    return addresses[0]


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
            parts = urlsplit(current)
            host = parts.hostname or ""
            netloc = f"[{address}]" if ":" in address else address
            if parts.port:
                netloc += f":{parts.port}"
            pinned = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
            request = client.build_request(
                "GET",
                pinned,
                headers={"host": parts.netloc, "accept": "text/html"},
                extensions={"sni_hostname": host},
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
