"""``GET /api/openapi.json``: the API description of the core and the reader's active plugins.

Each component describes its own routes through the ``rse_openapi_paths`` hook; a test checks
that every API route in the route table is described.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .context import active_plugins, runtime

ERROR_RESPONSE = {
    "description": "Error",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}


def operation(
    summary: str,
    *,
    params: tuple[str, ...] = (),
    query: tuple[str, ...] = (),
    body: dict[str, Any] | None = None,
    status: int = 200,
    errors: tuple[int, ...] = (401, 404),
) -> dict[str, Any]:
    """An OpenAPI operation object: path and query parameters, JSON body, responses."""
    op: dict[str, Any] = {
        "summary": summary,
        "parameters": [
            {"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
            for p in params
        ]
        + [
            {"name": q, "in": "query", "required": False, "schema": {"type": "string"}}
            for q in query
        ],
        "responses": {str(status): {"description": "OK"}}
        | {str(code): ERROR_RESPONSE for code in errors},
    }
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    return op


SPACE_BODY = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "maxLength": 120},
        "slug": {"type": "string", "pattern": "^[a-z0-9-]{1,60}$"},
        "visibility": {"type": "string", "enum": ["public", "private", "secret"]},
        "description": {"type": "string"},
        "join_policy": {"type": "string", "enum": ["open", "request", "invite"]},
    },
    "additionalProperties": False,
}
MEMBER_BODY = {
    "type": "object",
    "required": ["username"],
    "properties": {
        "username": {"type": "string"},
        "role": {"type": "string", "enum": ["member", "moderator", "owner"]},
    },
}

BODY = {
    "type": "object",
    "required": ["body"],
    "properties": {"body": {"type": "string", "maxLength": 10000}},
}
REACTION = {
    "type": "object",
    "required": ["kind"],
    "properties": {"kind": {"type": "string", "enum": ["like"]}},
}
FOLLOW = {"type": "object", "required": ["target"], "properties": {"target": {"type": "string"}}}

CORE_PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/me": {"get": operation("The caller, with memberships", errors=(401,))},
    "/api/v1/users": {
        "get": operation(
            "Find colleagues by name, department or skill",
            query=("q", "cursor", "limit"),
            errors=(400, 401, 422),
        )
    },
    "/api/v1/users/{username}": {"get": operation("A colleague", params=("username",))},
    "/api/v1/spaces": {
        "get": operation(
            "Spaces the caller may know of", query=("cursor", "limit"), errors=(400, 401)
        ),
        "post": operation(
            "Create a space", body=SPACE_BODY, status=201, errors=(400, 401, 403, 422)
        ),
    },
    "/api/v1/spaces/{slug}": {"get": operation("A space", params=("slug",))},
    "/api/v1/spaces/{slug}/members": {
        "post": operation(
            "Add (or invite) a member",
            params=("slug",),
            body=MEMBER_BODY,
            status=201,
            errors=(400, 401, 403, 404, 422),
        ),
    },
    "/api/v1/spaces/{slug}/members/{username}": {
        "delete": operation(
            "Remove a member, or leave",
            params=("slug", "username"),
            status=204,
            errors=(401, 403, 404, 422),
        ),
    },
    "/api/v1/admin/plugins": {"get": operation("Installed plugins (admins)", errors=(401, 403))},
    "/api/v1/admin/jobs": {
        "get": operation(
            "Background jobs: counts, failed and waiting jobs (admins)",
            query=("status",),
            errors=(400, 401, 403),
        )
    },
    "/api/v1/admin/jobs/{job_id}/retry": {
        "post": operation(
            "Queue a failed job again (admins)", params=("job_id",), errors=(401, 403, 404)
        )
    },
    "/api/v1/stream": {
        "get": operation(
            "Activities the caller may see, newest first (Activity Streams 2.0)",
            query=("space", "person", "following", "before", "limit"),
            errors=(400, 401, 404, 422),
        )
    },
    "/api/v1/content/{content_id}/comments": {
        "get": operation("Comments on an item", params=("content_id",)),
        "post": operation(
            "Comment on an item",
            params=("content_id",),
            body=BODY,
            status=201,
            errors=(400, 401, 404, 422),
        ),
    },
    "/api/v1/comments/{comment_id}": {
        "patch": operation(
            "Edit your comment", params=("comment_id",), body=BODY, errors=(400, 401, 403, 404, 422)
        ),
        "delete": operation(
            "Delete a comment (author or moderator)",
            params=("comment_id",),
            status=204,
            errors=(401, 403, 404),
        ),
    },
    "/api/v1/content/{content_id}/reactions": {
        "get": operation("Likes on an item: count and who", params=("content_id",)),
        "post": operation(
            "Like an item",
            params=("content_id",),
            body=REACTION,
            status=201,
            errors=(400, 401, 404, 422),
        ),
    },
    "/api/v1/content/{content_id}/reactions/{kind}": {
        "delete": operation("Take your like back", params=("content_id", "kind"), status=204),
    },
    "/api/v1/follows": {
        "get": operation("What you follow", errors=(401,)),
        "post": operation(
            "Follow user:<id>, space:<id> or tag:<name>",
            body=FOLLOW,
            status=201,
            errors=(400, 401, 422),
        ),
    },
    "/api/v1/follows/{target}": {
        "delete": operation("Stop following", params=("target",), status=204, errors=(401,)),
    },
    "/api/v1/search": {
        "get": operation(
            "Everything the caller may see: hits, total, facets (type, space), suggestion",
            query=("q", "type", "space", "cursor"),
            errors=(400, 401, 422),
        )
    },
    "/api/v1/notifications": {
        "get": operation(
            "Your notifications, each re-checked against what you may see",
            query=("before", "limit"),
            errors=(401, 422),
        )
    },
    "/api/v1/notifications/read": {
        "post": operation(
            "Mark one notification (id) or all read",
            body={"type": "object", "properties": {"id": {"type": "integer"}}},
            errors=(400, 401, 422),
        )
    },
}


def build_spec(request: Request) -> dict[str, Any]:
    """The OpenAPI 3.1 document for this reader."""
    paths: dict[str, dict[str, Any]] = {}
    for _name, contributed in runtime(request).plugins.collect(
        "rse_openapi_paths", active_plugins(request)
    ):
        for path, item in contributed.items():
            paths.setdefault(path, {}).update(item)
    return {
        "openapi": "3.1.0",
        "info": {"title": "rse API", "version": "1"},
        "paths": dict(sorted(paths.items())),
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A personal access token (profile → tokens).",
                },
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "rse_session",
                    "description": "Browser session; unsafe methods need X-CSRF-Token.",
                },
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "properties": {
                        "error": {
                            "type": "object",
                            "properties": {
                                "code": {"type": "string"},
                                "message": {"type": "string"},
                                "fields": {"type": "object"},
                            },
                        }
                    },
                }
            },
        },
        "security": [{"bearer": []}, {"session": []}],
    }


async def openapi(request: Request) -> Response:
    """GET /api/openapi.json."""
    return JSONResponse(build_spec(request))


ROUTES = [Route("/api/openapi.json", openapi, methods=["GET"])]
