"""The optional title fetch refuses every private, local or disguised address, before and
after redirects and after DNS resolution."""

from __future__ import annotations

import httpx2
import pytest
from rse_bookmarks.urls import fetch_title

from rse_core import UnsafeURL, checked_address, is_public_address

PUBLIC = "93.184.216.34"


def resolver(table):
    def resolve(host, port):
        return table[host]

    return resolve


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "0.0.0.0",
        "100.64.0.1",
        "::1",
        "fe80::1",
        "fc00::1",
        "fd12:3456::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "2002:7f00:1::",
        "224.0.0.1",
        "255.255.255.255",
    ],
)
def test_non_public_addresses(address):
    assert not is_public_address(address)


def test_public_addresses():
    assert is_public_address(PUBLIC) and is_public_address("2606:4700:4700::1111")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://2130706433/",
        "http://0177.0.0.1/",
        "http://0x7f.0.0.1/",
        "http://127.1/",
        "http://0x7f000001/",
        "http://169.254.169.254/latest/meta-data/",
        "ftp://example.com/",
        "mailto:a@b.c",
    ],
)
def test_refused_before_any_connection(url):
    with pytest.raises(UnsafeURL):
        checked_address(url, resolver({}))


def test_refused_after_dns_resolution():
    with pytest.raises(UnsafeURL, match="private or local"):
        checked_address("http://intranet.example/", resolver({"intranet.example": ["10.0.0.5"]}))
    with pytest.raises(UnsafeURL, match="private or local"):  # one bad address is enough
        checked_address("http://mixed.example/", resolver({"mixed.example": [PUBLIC, "127.0.0.1"]}))
    assert checked_address("http://ok.example/", resolver({"ok.example": [PUBLIC]})) == PUBLIC


def transport(routes):
    seen = []

    def handler(request):
        seen.append(
            (str(request.url), request.headers["host"], request.extensions.get("sni_hostname"))
        )
        return routes[request.headers["host"]](request)

    return httpx2.MockTransport(handler), seen


def test_fetch_pins_the_checked_address_and_parses_the_title():
    mock, seen = transport(
        {
            "site.example": lambda r: httpx2.Response(
                200,
                html="<html><head><title> Hello  <b>world</b> </title>"
                '<meta name="description" content="A page"></head></html>',
            )
        }
    )
    title, description = fetch_title(
        "https://site.example/page", resolve=resolver({"site.example": [PUBLIC]}), transport=mock
    )
    assert (title, description) == ("Hello world", "A page")
    assert seen == [(f"https://{PUBLIC}/page", "site.example", "site.example")]


def test_redirect_to_a_private_address_is_refused():
    mock, seen = transport(
        {
            "site.example": lambda r: httpx2.Response(
                302, headers={"location": "http://internal.example/admin"}
            ),
            "internal.example": lambda r: httpx2.Response(200, html="<title>secret</title>"),
        }
    )
    table = {"site.example": [PUBLIC], "internal.example": ["192.168.0.10"]}
    with pytest.raises(UnsafeURL, match="private or local"):
        fetch_title("http://site.example/", resolve=resolver(table), transport=mock)
    assert len(seen) == 1  # the private host was never contacted


def test_redirect_to_a_disguised_loopback_is_refused():
    mock, _seen = transport(
        {"site.example": lambda r: httpx2.Response(301, headers={"location": "http://0x7f000001/"})}
    )
    with pytest.raises(UnsafeURL):
        fetch_title(
            "http://site.example/", resolve=resolver({"site.example": [PUBLIC]}), transport=mock
        )


def test_size_cap_and_redirect_limit():
    big = "<title>" + "x" * 2_000_000
    mock, _ = transport({"big.example": lambda r: httpx2.Response(200, html=big)})
    title, _ = fetch_title(
        "http://big.example/", resolve=resolver({"big.example": [PUBLIC]}), transport=mock
    )
    assert len(title) == 300
    loop, _ = transport(
        {
            "loop.example": lambda r: httpx2.Response(
                302, headers={"location": "http://loop.example/again"}
            )
        }
    )
    with pytest.raises(UnsafeURL, match="Too many redirects"):
        fetch_title(
            "http://loop.example/", resolve=resolver({"loop.example": [PUBLIC]}), transport=loop
        )


def test_fetch_is_off_by_default_and_used_when_on(rse_app_factory, monkeypatch):
    from rse_bookmarks import views

    from rse_core.testing import add_user, enable, login

    calls = []
    monkeypatch.setattr(
        views, "fetch_title", lambda url: calls.append(url) or ("<b>Fetched</b>", "desc")
    )
    for options, expected_calls in (({}, 0), ({"bookmarks_fetch_titles": True}, 1)):
        calls.clear()
        app = rse_app_factory(**options)
        add_user(app, "ann")
        enable(app, "bookmarks")
        from starlette.testclient import TestClient

        with TestClient(app) as client:
            login(client, "ann")
            saved = client.post("/api/v1/bookmarks", json={"url": "https://x.example"}).json()
            page = client.get("/bookmarks").text
        assert len(calls) == expected_calls
        if expected_calls:
            assert saved["title"] == "<b>Fetched</b>" and "&lt;b&gt;Fetched" in page
