"""The SCIM 2.0 routes (``/scim/v2``). The protocol (:mod:`rse_core.web.scim_protocol`) is
imported at a worker's first SCIM request: its models (scim2_models, built on pydantic) took
~0.4 s of every start of ``rse`` and a share of every worker's memory, for the few requests
an identity provider sends."""

from __future__ import annotations

from importlib import import_module

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

#: Every route takes every method, so that the catch-all 404 does not hide a 405.
ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def _protocol(handler: str):  # type: ignore[no-untyped-def]
    """The endpoint that calls ``handler`` of the protocol module, imported at its first call."""

    async def endpoint(request: Request) -> Response:
        protocol = import_module("rse_core.web.scim_protocol")
        return await getattr(protocol, handler)(request)

    endpoint.__name__ = endpoint.__qualname__ = f"scim_{handler}"
    return endpoint


ROUTES = [
    Route(f"/scim/v2/{path}", _protocol(handler), methods=ALL_METHODS)
    for path, handler in (
        ("ServiceProviderConfig", "service_provider_config"),
        ("ResourceTypes", "resource_types"),
        ("ResourceTypes/{ident}", "resource_types"),
        ("Schemas", "schemas"),
        ("Schemas/{ident}", "schemas"),
        ("Users", "user_collection"),
        ("Users/{ident}", "user_resource"),
        ("Groups", "group_collection"),
        ("Groups/{ident}", "group_resource"),
        (".search", "search"),
        ("{rest:path}", "unknown"),
    )
]
