"""Outgoing requests to addresses people give (a bookmark's page, a webhook's receiver):
only public addresses, unless the site allows a host by name (an internal tool).

The host is resolved here and every address checked; callers connect to the checked address
(TLS still verifies the real host name), so a DNS answer that changes between the check and
the connection (rebinding) cannot point them at the intranet.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Iterable, Mapping
from urllib.parse import urlsplit, urlunsplit

import httpx2

FETCH_SCHEMES = ("http", "https")
# Hosts written as a bare number (2130706433), in octal or hex (0177.0.0.1, 0x7f.1) or as a
# shortened dotted quad (127.1) are IP addresses in disguise: refused before any lookup.
NUMERIC_HOST = re.compile(r"^(0x[0-9a-f]+|[0-9]+)(\.(0x[0-9a-f]+|[0-9]+)){0,3}\.?$", re.I)


class UnsafeURL(ValueError):
    """A URL that may not be saved, fetched or called; the message says why."""


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


def checked_address(
    url: str, resolve: Resolver | None = None, allowed_hosts: Iterable[str] = ()
) -> str:
    """Resolve the URL's host and return an address to connect to, refusing unless every
    address is public or the host is one of ``allowed_hosts`` (names or addresses the site
    trusts, written as in the URL)."""
    resolve = resolve or system_resolver
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
    if host.lower() in {h.lower() for h in allowed_hosts}:
        return addresses[0]
    if not addresses or not all(is_public_address(a) for a in addresses):
        raise UnsafeURL("This link points to a private or local address.")
    return addresses[0]


def pinned_request(
    client: httpx2.Client,
    method: str,
    url: str,
    address: str,
    *,
    headers: Mapping[str, str] | None = None,
    content: bytes | None = None,
) -> httpx2.Request:
    """A request for ``url`` that connects to ``address`` (what ``checked_address`` gave),
    the real host in the Host header and in TLS's SNI, so that certificates are still
    checked against it: a DNS answer that changes after the check cannot redirect it."""
    parts = urlsplit(url)
    netloc = f"[{address}]" if ":" in address else address
    if parts.port:
        netloc += f":{parts.port}"
    pinned = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    return client.build_request(
        method,
        pinned,
        headers={**(headers or {}), "host": parts.netloc},
        content=content,
        extensions={"sni_hostname": parts.hostname or ""},
    )
