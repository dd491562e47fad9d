"""The API contract, declared once.

Every API operation is declared with :func:`api` on its handler: its query parameters, JSON
body and responses as pydantic models. :func:`api_routes` turns the handlers into routes, one
per path (so a 405 names every method the path has), and the same declarations

* validate each request before the handler runs (a clear 400 or 422 in the API's error shape,
  ``{"error": {"code", "message", "fields"}}``, and nothing changed),
* write ``/api/openapi.json`` (:func:`openapi_document`), links between operations included,
* and, with ``check_api_responses`` (the tests), check every response against its
  declaration, so that a handler cannot drift from the document unnoticed.

Plugins declare their operations the same way through ``rse_core``'s public API.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Annotated, Any, get_args, get_origin

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic.json_schema import models_json_schema
from starlette.convertors import IntegerConvertor
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, compile_path

from . import MAX_ID
from .context import runtime
from .errors import ApiError

#: No NUL character (PostgreSQL refuses them in text); said in the document, checked here.
NO_NUL = r"^[^\x00]*$"
#: What Python's ``str.strip()`` removes, spelled out: ``\s`` differs between the regex
#: dialects of the document (ECMA 262), pydantic (Rust) and Python.
WHITESPACE = r"\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
#: Some visible text: not blank once stripped, no NUL.
SOME_TEXT = rf"^[^\x00]*[^\x00{WHITESPACE}][^\x00]*$"


def _integral(value: Any) -> Any:
    """JSON Schema counts 3.0 as an integer: take it as 3 (strings stay refused)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def Int(minimum: int, maximum: int) -> Any:
    """A whole number from ``minimum`` to ``maximum`` in a body: JSON Schema's integer (3 or
    3.0), never a string or a boolean."""
    return Annotated[int, Field(ge=minimum, le=maximum), BeforeValidator(_integral)]


#: An object's id: an integer as JSON Schema means it (3 or 3.0), never a string or a boolean.
Id = Int(1, MAX_ID)


#: ``?limit=``: a page's length.
Limit = Annotated[int, Field(ge=1, le=100)]


def Text(max_length: int, *, required: bool = False) -> Any:
    """A string type: at most ``max_length`` characters, no NUL; with ``required``, not blank
    either (what the services accept, said in the document)."""
    return Annotated[
        str,
        Field(
            min_length=1 if required else 0,
            max_length=max_length,
            pattern=SOME_TEXT if required else NO_NUL,
        ),
    ]


class Body(BaseModel):
    """A JSON request body: unknown fields and values of the wrong type are refused (422)."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Query(BaseModel):
    """Query-string parameters: text converted to the declared types; others are ignored."""

    model_config = ConfigDict(extra="ignore")

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            for name, value in data.items():
                if isinstance(value, str) and "\x00" in value:
                    raise ValueError(f"{name} must not contain NUL characters")
        return data


class Shape(BaseModel):
    """A response body as the document describes it (unknown fields are a drift)."""

    model_config = ConfigDict(extra="forbid")


class Error(Shape):
    """The API's error body."""

    class Detail(Shape):
        code: str
        message: str
        fields: dict[str, str]

    error: Detail


@dataclass(frozen=True)
class Link:
    """An OpenAPI link: which operation a response leads to, and with which values
    (runtime expressions such as ``$response.body#/id``)."""

    operation_id: str
    parameters: Mapping[str, str]
    description: str = ""


Handler = Callable[..., Awaitable[Response]]


class Binary:
    """A response of bytes (a file's content) rather than JSON: ``responses={200: Binary}``;
    a subclass names the types it may be served as in ``media_types``."""

    media_types: tuple[str, ...] = ("application/octet-stream",)


def _is_binary(model: Any) -> bool:
    return isinstance(model, type) and issubclass(model, Binary)


#: A multipart field holding one file or several (``multipart`` schemas of :func:`api`).
FILE_PART = {"type": "string", "format": "binary", "contentMediaType": "application/octet-stream"}


@dataclass(frozen=True)
class Operation:
    """One declared API operation."""

    method: str
    path: str
    handler: Handler
    summary: str
    operation_id: str
    query: type[Query] | None = None
    body: type[Body] | None = None
    multipart: Mapping[str, Any] | None = None
    responses: Mapping[int, type[BaseModel] | type[Binary] | None] = field(default_factory=dict)
    errors: tuple[int, ...] = ()
    links: Mapping[int, Mapping[str, Link]] = field(default_factory=dict)
    path_schemas: Mapping[str, dict[str, Any]] = field(default_factory=dict)

    @cached_property
    def path_params(self) -> dict[str, Any]:
        """The path's parameters and their starlette convertors."""
        return compile_path(self.path)[2]

    @cached_property
    def statuses(self) -> set[int]:
        """Every status this operation may answer: declared, and implied by its inputs."""
        implied = {401}
        if self.method in ("POST", "PUT", "PATCH", "DELETE"):
            implied.add(403)  # a browser session without its CSRF token
        if self.path_params:
            implied.add(404)
        if self.query or self.body or self.multipart:
            implied.add(422)
        if self.body or self.multipart:
            implied |= {400, 413}
        return set(self.responses) | set(self.errors) | implied


def api(
    method: str,
    path: str,
    *,
    summary: str,
    operation_id: str,
    query: type[Query] | None = None,
    body: type[Body] | None = None,
    multipart: Mapping[str, Any] | None = None,
    responses: Mapping[int, type[BaseModel] | type[Binary] | None],
    errors: Iterable[int] = (),
    links: Mapping[int, Mapping[str, Link]] | None = None,
    path_schemas: Mapping[str, dict[str, Any]] | None = None,
) -> Callable[[Handler], Handler]:
    """Declare an API operation on its handler.

    The handler is called as ``handler(request, query=..., body=...)`` with the validated
    models it declares (and only those); path parameters are in ``request.path_params``,
    converted by the path's convertors (``{post_id:int}``).

    :param multipart: for an upload, the JSON schema of its ``multipart/form-data`` body
        (files as :data:`FILE_PART`); the handler reads the body itself, as a stream.
    :param responses: each success status and its body's model (None for no body,
        :class:`Binary` for bytes).
    :param errors: the error statuses the handler itself may answer (403, 404, 409, ...);
        401, and 400/404/413/422 where inputs make them possible, are implied.
    :param links: per status, the operations a response leads to (for clients and fuzzers).
    :param path_schemas: a JSON schema for a path parameter, where more precise than its
        convertor's (``{"kind": {"enum": ["like"]}}``).
    """

    def declare(handler: Handler) -> Handler:
        handler.__rse_operation__ = Operation(  # type: ignore[attr-defined]
            method=method.upper(),
            path=path,
            handler=handler,
            summary=summary,
            operation_id=operation_id,
            query=query,
            body=body,
            multipart=dict(multipart) if multipart else None,
            responses=dict(responses),
            errors=tuple(errors),
            links=dict(links or {}),
            path_schemas=dict(path_schemas or {}),
        )
        return handler

    return declare


def operation_of(handler: Any) -> Operation | None:
    """The operation declared on a handler, if any."""
    return getattr(handler, "__rse_operation__", None)


def api_routes(*handlers: Handler) -> list[Route]:
    """Routes for declared handlers: one per path, dispatching on the method."""
    by_path: dict[str, dict[str, Operation]] = {}
    for handler in handlers:
        op = operation_of(handler)
        if op is None:
            raise TypeError(f"{handler.__qualname__} is not declared with @api(...)")
        methods = by_path.setdefault(op.path, {})
        if op.method in methods:
            raise ValueError(f"{op.method} {op.path} is declared twice")
        methods[op.method] = op
    return [ApiRoute(path, ops) for path, ops in by_path.items()]


class ApiRoute(Route):
    """A route whose methods are declared operations."""

    def __init__(self, path: str, operations: Mapping[str, Operation]) -> None:
        self.operations = dict(operations)

        async def dispatch(request: Request) -> Response:
            return await _call(request, self.operations[request.method])

        super().__init__(path, dispatch, methods=list(self.operations))


async def _call(request: Request, op: Operation) -> Response:
    kwargs: dict[str, Any] = {}
    if op.query is not None:
        kwargs["query"] = _validated(op.query, dict(request.query_params), "query")
    if op.body is not None:
        kwargs["body"] = _validated(op.body, await _json_object(request), "body")
    check = runtime(request).settings.check_api_responses
    try:
        response = await op.handler(request, **kwargs)
    except HTTPException as exc:
        if check and exc.status_code not in op.statuses:
            raise AssertionError(
                f"{op.method} {op.path} answered {exc.status_code}, not declared"
            ) from exc
        raise
    if check:
        _check_response(op, response)
    return response


async def _json_object(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        data = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "invalid_json", "The body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_json", "The body must be a JSON object.")
    return data


def _message(model: type[BaseModel], error: Any) -> str:
    """What a refused field is told: pydantic's words, but a pattern it does not match is
    said with the field's description ("Must be an http or https meeting link."), not the
    regular expression."""
    declared = model.model_fields.get(str(error["loc"][0])) if error["loc"] else None
    if error["type"] == "string_pattern_mismatch" and declared is not None:
        described = declared.description or next(
            (
                info.description
                for arg in get_args(declared.annotation)
                if get_origin(arg) is Annotated
                for info in arg.__metadata__
                if isinstance(info, FieldInfo) and info.description
            ),
            None,
        )
        if described:
            return f"Must be {described}."
    return str(error["msg"])


def _validated(model: type[BaseModel], data: Any, where: str) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        fields: dict[str, str] = {}
        for error in exc.errors(include_url=False):
            name = ".".join(str(part) for part in error["loc"]) or where
            fields.setdefault(name, _message(model, error))
        first = next(iter(fields.items()))
        raise ApiError(422, "invalid", f"{first[0]}: {first[1]}", fields) from None


def _check_response(op: Operation, response: Response) -> None:
    status = response.status_code
    if status not in op.statuses:
        raise AssertionError(f"{op.method} {op.path} answered {status}, not declared")
    model = op.responses.get(status)
    if _is_binary(model):
        return
    if model is None:
        if status in op.responses and response.body:
            raise AssertionError(f"{op.method} {op.path} {status} has a body, none declared")
        return
    try:
        model.model_validate_json(response.body)
    except ValidationError as exc:
        raise AssertionError(f"{op.method} {op.path} {status} drifted: {exc}") from exc


# -- the document --------------------------------------------------------------------------


def openapi_path(path: str) -> str:
    """``/posts/{post_id:int}`` as OpenAPI writes it: ``/posts/{post_id}``."""
    return compile_path(path)[1]


def _path_parameter(op: Operation, name: str, convertor: Any) -> dict[str, Any]:
    if isinstance(convertor, IntegerConvertor):
        schema: dict[str, Any] = {"type": "integer", "minimum": 0, "maximum": MAX_ID}
    else:
        schema = {"type": "string", "minLength": 1, "pattern": r"^[^/\x00]+$"}
    schema.update(op.path_schemas.get(name, {}))
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _query_parameters(model: type[Query]) -> list[dict[str, Any]]:
    shape = model.model_json_schema(ref_template="#/components/schemas/{model}")
    required = set(shape.get("required", ()))
    parameters = []
    for name, schema in shape.get("properties", {}).items():
        schema = dict(schema)
        schema.pop("title", None)
        if "anyOf" in schema:  # "int | None": a parameter is optional by being left out
            options = [s for s in schema.pop("anyOf") if s.get("type") != "null"]
            schema = {**schema, **options[0]} if len(options) == 1 else {**schema, "anyOf": options}
        if schema.get("default") is None:
            schema.pop("default", None)
        description = schema.pop("description", "")
        parameter = {"name": name, "in": "query", "required": name in required, "schema": schema}
        if description:
            parameter["description"] = description
        parameters.append(parameter)
    return parameters


def _link(link: Link) -> dict[str, Any]:
    body: dict[str, Any] = {"operationId": link.operation_id, "parameters": dict(link.parameters)}
    if link.description:
        body["description"] = link.description
    return body


def openapi_document(operations: Iterable[Operation], *, title: str, version: str) -> dict:
    """The OpenAPI 3.1 document describing ``operations``."""
    ops = list(operations)
    models: list[tuple[type[BaseModel], str]] = [(Error, "serialization")]
    for op in ops:
        if op.body is not None:
            models.append((op.body, "validation"))
        models += [
            (m, "serialization")
            for m in op.responses.values()
            if m is not None and not _is_binary(m)
        ]
    refs, defs = models_json_schema(
        list(dict.fromkeys(models)), ref_template="#/components/schemas/{model}"
    )
    schemas: dict[str, Any] = dict(defs.get("$defs", {}))
    error = {
        "description": "An error",
        "content": {"application/json": {"schema": refs[(Error, "serialization")]}},
    }
    paths: dict[str, dict[str, Any]] = {}
    for op in sorted(ops, key=lambda o: (o.path, o.method)):
        item: dict[str, Any] = {"operationId": op.operation_id, "summary": op.summary}
        parameters = [_path_parameter(op, n, c) for n, c in op.path_params.items()]
        if op.query is not None:
            parameters += _query_parameters(op.query)
        if parameters:
            item["parameters"] = parameters
        if op.body is not None:
            item["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": refs[(op.body, "validation")]}},
            }
        if op.multipart is not None:
            item["requestBody"] = {
                "required": True,
                "content": {"multipart/form-data": {"schema": dict(op.multipart)}},
            }
        responses: dict[str, Any] = {}
        for status in sorted(op.statuses):
            if status not in op.responses:
                responses[str(status)] = error
                continue
            model = op.responses[status]
            response: dict[str, Any] = {"description": "Done"}
            if _is_binary(model):
                response["description"] = "The bytes"
                response["content"] = {
                    media: {"schema": {**FILE_PART, "contentMediaType": media}}
                    for media in model.media_types  # type: ignore[union-attr]
                }
            elif model is not None:
                response["description"] = (model.__doc__ or "OK").strip().splitlines()[0]
                schema = refs[(model, "serialization")]
                response["content"] = {"application/json": {"schema": schema}}
            if status in op.links:
                response["links"] = {n: _link(lk) for n, lk in op.links[status].items()}
            responses[str(status)] = response
        item["responses"] = responses
        paths.setdefault(openapi_path(op.path), {})[op.method.lower()] = item
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": SECURITY_SCHEMES},
        "security": [{"bearer": []}, {"session": []}],
    }


SECURITY_SCHEMES = {
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
}
