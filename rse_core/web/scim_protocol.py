"""The SCIM 2.0 endpoint (``/scim/v2``, routed by :mod:`rse_core.web.scim`): what an
identity provider calls to provision accounts and groups. It authenticates with a site
admin's personal access token (``Authorization: Bearer``); answers are
``application/scim+json``, errors SCIM errors.

The discovery documents publish exactly the attributes rse keeps (``rse_core.identity.scim``),
so a provider (or the scim2-tester compliance suite) knows what round-trips.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import ValidationError as PydanticError
from scim2_models import (
    Context,
    EnterpriseUser,
    Error,
    Group,
    InvalidSyntaxException,
    InvalidValueException,
    ListResponse,
    Meta,
    NotFoundException,
    PatchOp,
    Required,
    ResourceType,
    ResponseParameters,
    Schema,
    SCIMException,
    ServiceProviderConfig,
)
from scim2_models import User as ScimUser
from scim2_models.resources.service_provider_config import (
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    ETag,
    Filter,
    Patch,
    Sort,
)
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from ..identity import scim
from .context import current_user, runtime, write
from .scim import ALL_METHODS

MEDIA_TYPE = "application/scim+json"
FullUser = scim.FullUser  # User with the enterprise extension
Handler = Callable[[Request], Awaitable[Response]]


def _trimmed(
    schema: Schema, keep: dict[str, set[str] | None], required: set[str] = frozenset()
) -> Schema:
    """``schema`` with only the attributes rse keeps (and their kept sub-attributes)."""
    attributes = []
    for attribute in schema.attributes or []:
        if attribute.name not in keep:
            continue
        update: dict[str, Any] = {}
        subs = keep[attribute.name]
        if subs is not None and attribute.sub_attributes:
            update["sub_attributes"] = [
                a.model_copy(update={"required": Required.true})
                if f"{attribute.name}.{a.name}" in required
                else a
                for a in attribute.sub_attributes
                if a.name in subs
            ]
        if attribute.name in required:
            update["required"] = Required.true
        attributes.append(attribute.model_copy(update=update))
    return schema.model_copy(update={"attributes": attributes})


USER_SCHEMA = _trimmed(
    ScimUser.to_schema(),
    {
        "userName": None,
        "displayName": None,
        "title": None,
        "active": None,
        "emails": {"value"},
        "phoneNumbers": {"value"},
    },
    # rse always keeps a name, an e-mail address and whether the account is active.
    required={"emails", "emails.value", "displayName", "active"},
)
ENTERPRISE_SCHEMA = _trimmed(EnterpriseUser.to_schema(), {"department": None})
GROUP_SCHEMA = _trimmed(Group.to_schema(), {"displayName": None, "members": {"value", "$ref"}})
SCHEMAS = {s.id: s for s in (USER_SCHEMA, ENTERPRISE_SCHEMA, GROUP_SCHEMA)}
RESOURCE_TYPES = {
    "User": ResourceType.from_resource(FullUser),
    "Group": ResourceType.from_resource(Group),
}


def _base(request: Request) -> str:
    public = runtime(request).settings.public_url.rstrip("/")
    root = public or str(request.base_url).rstrip("/")
    return f"{root}/scim/v2"


def _json(
    payload: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(json.dumps(payload), status, headers=headers, media_type=MEDIA_TYPE)


def _error(status: int, detail: str, scim_type: str | None = None) -> Response:
    error = Error(status=status, detail=detail, scim_type=scim_type)
    return _json(error.model_dump(), status)


def endpoint(*methods: str) -> Callable[[Handler], Handler]:
    """Site admins only; other methods get 405; SCIM exceptions and unreadable bodies become
    SCIM errors (4xx). Routes take every method so that the catch-all 404 does not hide a 405."""

    def decorate(handler: Handler) -> Handler:
        return _wrap(handler, methods or tuple(ALL_METHODS))

    return decorate


def _wrap(handler: Handler, methods: tuple[str, ...]) -> Handler:
    async def wrapped(request: Request) -> Response:
        user = current_user(request)
        if user is None or not user.is_admin:
            return _error(403, "Provisioning needs a site administrator's token.")
        if request.method not in methods:
            response = _error(405, f"{request.method} is not allowed here.")
            response.headers["allow"] = ", ".join(methods)
            return response
        try:
            return await handler(request)
        except SCIMException as exc:
            error = exc.to_error()
            return _json(error.model_dump(), error.status or 400)
        except PydanticError as exc:
            detail = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
            )
            return _error(400, detail[:500] or "Invalid value.", "invalidValue")

    wrapped.__doc__ = handler.__doc__
    wrapped.__name__ = handler.__name__
    return wrapped


async def _body(request: Request) -> Any:
    try:
        body = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidSyntaxException(detail="The body is not JSON.") from exc
    if not isinstance(body, dict):
        raise InvalidSyntaxException(detail="The body is not a JSON object.")
    return body


def _parameters(request: Request, model: Any) -> Any:
    query = request.query_params
    values = {k: query[k] for k in ("attributes", "excludedAttributes") if query.get(k)}
    try:
        return ResponseParameters[model].model_validate(values)
    except PydanticError as exc:
        raise InvalidValueException(detail="attributes name unknown attributes.") from exc


def _int(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise InvalidValueException(detail=f"{name} must be a whole number.") from exc


# -- discovery ---------------------------------------------------------------------------------


@endpoint("GET")
async def service_provider_config(request: Request) -> Response:
    """GET /scim/v2/ServiceProviderConfig: what this endpoint supports."""
    config = ServiceProviderConfig(
        patch=Patch(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=scim.MAX_PAGE),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=False),
        etag=ETag(supported=False),
        authentication_schemes=[
            AuthenticationScheme(
                type="oauthbearertoken",
                name="Personal access token",
                description="A site administrator's personal access token, as a Bearer token.",
                primary=True,
            )
        ],
        meta=Meta(
            resource_type="ServiceProviderConfig",
            location=f"{_base(request)}/ServiceProviderConfig",
        ),
    )
    return _json(config.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))


def _with_meta(item: Any, kind: str, ident: str, request: Request) -> Any:
    return item.model_copy(
        update={"meta": Meta(resource_type=kind, location=f"{_base(request)}/{kind}s/{ident}")}
    )


def _listing(model: Any, items: list[Any]) -> dict[str, Any]:
    response = ListResponse[model](
        total_results=len(items), start_index=1, items_per_page=len(items), resources=items
    )
    return response.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)


def _discovery(kind: str, model: Any, registry: dict[str, Any]) -> Handler:
    @endpoint("GET")
    async def discovery(request: Request) -> Response:
        """GET the list, or one by its id."""
        ident = request.path_params.get("ident")
        items = {k: _with_meta(v, kind, k, request) for k, v in registry.items()}
        if ident is None:
            return _json(_listing(model, list(items.values())))
        if ident not in items:
            raise NotFoundException(detail=f"No {kind} {ident}.")
        return _json(items[ident].model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))

    return discovery


resource_types = _discovery("ResourceType", ResourceType, RESOURCE_TYPES)  # Users and Groups
schemas = _discovery("Schema", Schema, SCHEMAS)  # the attributes rse keeps


# -- users and groups --------------------------------------------------------------------------


class _Kind:
    """How one resource type maps to rse: its model and the identity functions."""

    def __init__(self, model: Any, name: str, **functions: Callable[..., Any]) -> None:
        self.model, self.name = model, name
        self.f = functions

    def one(self, session: Session, row: Any, base: str) -> Any:
        """The SCIM representation of one row."""
        return self.f["resources"](session, [row], base)[0]


USERS = _Kind(
    FullUser,
    "Users",
    resources=scim.user_resources,
    get=scim.get_scim_user,
    create=lambda session, data, _user: scim.create_scim_user(session, data),
    replace=scim.replace_scim_user,
    remove=scim.remove_scim_user,
    page=scim.page_of_users,
    attr=scim.user_filter_attribute,
)
GROUPS = _Kind(
    Group,
    "Groups",
    resources=scim.group_resources,
    get=scim.get_scim_group,
    create=scim.create_scim_group,
    replace=scim.replace_scim_group,
    remove=scim.release_scim_group,
    page=scim.page_of_groups,
    attr=scim.group_filter_attribute,
)


def _collection(kind: _Kind) -> Handler:
    @endpoint("GET", "POST")
    async def collection(request: Request) -> Response:
        """GET lists (filter, startIndex, count, attributes); POST creates."""
        base = _base(request)
        if request.method == "POST":
            data = kind.model.model_validate(
                await _body(request), scim_ctx=Context.RESOURCE_CREATION_REQUEST
            )
            admin = current_user(request)

            def create(session: Session) -> dict[str, Any]:
                row = kind.f["create"](session, data, admin)
                session.flush()
                resource = kind.one(session, row, base)
                return resource.model_dump(scim_ctx=Context.RESOURCE_CREATION_RESPONSE)

            payload = await write(request, create)
            return _json(payload, 201, {"location": payload["meta"]["location"]})
        parameters = _parameters(request, kind.model)
        start = max(_int(request, "startIndex", 1), 1)
        count = min(max(_int(request, "count", 100), 0), scim.MAX_PAGE)
        where = scim.filter_clause(request.query_params.get("filter"), kind.f["attr"])
        with runtime(request).db.read() as session:
            total, rows = kind.f["page"](session, where, start, count)
            resources = kind.f["resources"](session, rows, base)
        response = ListResponse[kind.model](
            total_results=total,
            start_index=start,
            items_per_page=len(resources),
            resources=resources,
        )
        return _json(
            response.model_dump(
                scim_ctx=Context.RESOURCE_QUERY_RESPONSE, response_parameters=parameters
            )
        )

    return collection


def _single(kind: _Kind) -> Handler:
    @endpoint("GET", "PUT", "PATCH", "DELETE")
    async def single(request: Request) -> Response:
        """GET, PUT, PATCH or DELETE one resource."""
        ident = request.path_params["ident"]
        base = _base(request)
        method = request.method
        if method == "GET":
            parameters = _parameters(request, kind.model)
            with runtime(request).db.read() as session:
                resource = kind.one(session, kind.f["get"](session, ident), base)
            return _json(
                resource.model_dump(
                    scim_ctx=Context.RESOURCE_QUERY_RESPONSE, response_parameters=parameters
                )
            )
        if method == "DELETE":
            await write(
                request, lambda session: kind.f["remove"](session, kind.f["get"](session, ident))
            )
            return Response(status_code=204)
        body = await _body(request)
        if method == "PUT":
            data = kind.model.model_validate(body, scim_ctx=Context.RESOURCE_REPLACEMENT_REQUEST)
        else:
            patch = PatchOp[kind.model].model_validate(
                body, scim_ctx=Context.RESOURCE_PATCH_REQUEST
            )
        context = (
            Context.RESOURCE_REPLACEMENT_RESPONSE
            if method == "PUT"
            else Context.RESOURCE_PATCH_RESPONSE
        )

        def change(session: Session) -> dict[str, Any]:
            row = kind.f["get"](session, ident)
            if method == "PUT":
                kind.f["replace"](session, row, data)
            else:
                current = kind.one(session, row, base)
                patch.patch(current)
                kind.f["replace"](session, row, current)
            session.flush()
            return kind.one(session, row, base).model_dump(scim_ctx=context)

        return _json(await write(request, change))

    return single


@endpoint("POST")
async def search(request: Request) -> Response:
    """POST /scim/v2/.search: searching several resource types at once is not supported."""
    return _error(501, "Search across resource types is not supported; use GET with a filter.")


@endpoint()
async def unknown(request: Request) -> Response:
    """Anything else under /scim/v2: a SCIM 404."""
    return _error(404, "No such SCIM endpoint.")


user_collection = _collection(USERS)
user_resource = _single(USERS)
group_collection = _collection(GROUPS)
group_resource = _single(GROUPS)
