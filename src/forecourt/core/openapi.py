"""The OpenAPI document says what the API really answers, derived from what each route depends on.

FastAPI documents a route's success answer and a 422 in its own `HTTPValidationError` shape; everything the
app's shared plumbing adds is invisible to it: every error is an RFC 9457 `application/problem+json` document
(core/http.py), a presented but bad token is a 401 on any route that reads the caller, a role check is a 403,
a busy database a 503, control characters in the address a 400 (core/request_guard.py). Writing those on each
route by hand drifts; so the document is post-processed once, in the app factory, from facts about each route:

- every 4xx/5xx answer of an API operation is `application/problem+json` with the `Problem` schema;
- a route that reads the caller (`_authenticate`) declares the security schemes and documents 401 (with
  `WWW-Authenticate`); one that needs a user (`require_user`) documents 403 (store scope, CSRF); one that may
  stay anonymous lists `{}` among its security requirements;
- a path parameter names a resource that may not exist (404); path or query parameters may be refused for
  control characters (400); a write may conflict (409); a body may be too large (413); parameters or a body
  may be invalid (422); a route with a database session may find it busy (503).

Routes still declare what only they know (`responses={429: ...}`, a 404 of a `/me/...` resource, a 201).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts

from forecourt.core.idempotency import HEADER as IDEMPOTENCY_HEADER
from forecourt.core.idempotency import KEY_PATTERN as IDEMPOTENCY_KEY_PATTERN

PROBLEM_MEDIA_TYPE = "application/problem+json"
API_PREFIX = "/api/"
UNSAFE_METHODS = frozenset({"post", "put", "patch", "delete"})
_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}

PROBLEM_SCHEMAS: dict[str, Any] = {
    "Problem": {
        "title": "Problem",
        "description": "An RFC 9457 problem document. `code` is stable: clients may switch on it. Some problems "
        "carry more members (e.g. `retry_after`, `problems` of a rejected file).",
        "type": "object",
        "required": ["type", "title", "status", "detail", "code"],
        "properties": {
            "type": {"type": "string", "format": "uri", "description": "https://forecourt.dev/problems/<code>"},
            "title": {"type": "string"},
            "status": {"type": "integer", "minimum": 400, "maximum": 599},
            "detail": {"type": "string", "description": "What went wrong, for a person"},
            "code": {"type": "string", "pattern": "^[a-z0-9_]+$"},
            "errors": {"type": "array", "items": {"$ref": "#/components/schemas/FieldError"}},
        },
        "additionalProperties": True,
    },
    "FieldError": {
        "title": "FieldError",
        "type": "object",
        "required": ["field", "message"],
        "properties": {
            "field": {"type": "string", "description": "Dotted path of the field, e.g. applicant.monthly_income"},
            "message": {"type": "string"},
            "value": {"description": "The refused value, when it is safe to echo"},
        },
        "additionalProperties": False,
    },
}

SECURITY_SCHEMES: dict[str, Any] = {
    "bearerToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "A personal API token (`fc_...`) made with POST /api/v1/me/tokens. Needs no CSRF token.",
    },
    "sessionCookie": {
        "type": "apiKey",
        "in": "cookie",
        "name": "__Host-forecourt_session",
        "description": "The browser session set by sign-in (`forecourt_session` on plain-HTTP development).",
    },
    "csrfToken": {
        "type": "apiKey",
        "in": "header",
        "name": "X-CSRF-Token",
        "description": "Required with the session cookie on POST, PUT, PATCH and DELETE; its value is in GET /api/v1/me.",
    },
}

# Why each shared answer can happen; a route's own description of the same status wins.
_DESCRIPTIONS = {
    400: "The address contains control characters (code `invalid_url`), or the body is not well-formed JSON",
    401: "No valid credentials: not signed in, or the API token is invalid or revoked",
    403: "Signed in but not allowed here (role or store scope), or the CSRF token of a cookie session is missing",
    404: "No such resource",
    409: "The change conflicts with existing data or with a request still running; reload and retry",
    413: "The request body is too large",
    422: "Invalid input; `errors` names each field and what is wrong with it",
    503: "The database is busy; retry in a moment (code `database_busy`)",
}
_WWW_AUTHENTICATE = {"WWW-Authenticate": {"description": "The accepted scheme: Bearer", "schema": {"type": "string"}}}
_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before retrying", "schema": {"type": "integer"}}}


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)


def _route_facts(route: Any) -> set[str]:
    names = {getattr(call, "__qualname__", "") for call in _calls(route.dependant)}
    facts = set()
    if "_authenticate" in names:
        facts.add("reads_caller")
    if "require_user" in names:
        facts.add("needs_user")
    if "_session" in names:
        facts.add("database")
    return facts


def _problem_response(status: int, existing: dict[str, Any] | None) -> dict[str, Any]:
    response = dict(existing or {})
    if not response.get("description") or response["description"] in ("Validation Error", "Additional Response"):
        response["description"] = _DESCRIPTIONS.get(status, "Error")
    response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": _PROBLEM_REF}}
    if status == 401:
        response["headers"] = {**_WWW_AUTHENTICATE, **response.get("headers", {})}
    if status == 429:
        response["headers"] = {**_RETRY_AFTER, **response.get("headers", {})}
    return response


# core/request_guard.py refuses these before routing (400 invalid_url): say so in each string parameter's schema.
_REFUSED_CHARACTERS = {"path": "\\x00-\\x1f\\x7f", "query": "\\x00"}


def _forbid_characters(schema: dict[str, Any], characters: str) -> None:
    for branch in (schema, *schema.get("anyOf", ()), schema.get("items", {})):
        if branch.get("type") == "string" and "pattern" not in branch and "enum" not in branch:
            branch["pattern"] = f"^[^{characters}]*$"


def _security(method: str, facts: set[str]) -> list[dict[str, list[str]]]:
    cookie = {"sessionCookie": [], "csrfToken": []} if method in UNSAFE_METHODS else {"sessionCookie": []}
    requirements: list[dict[str, list[str]]] = [{"bearerToken": []}, cookie]
    if "needs_user" not in facts:
        requirements.append({})  # anonymous callers are served too
    return requirements


def _document_operation(method: str, operation: dict[str, Any], facts: set[str]) -> None:
    parameters = operation.get("parameters", [])
    locations = {p["in"] for p in parameters}
    statuses: set[int] = set()
    if locations & {"path", "query"} or "requestBody" in operation:
        statuses.add(400)
    if "path" in locations:
        statuses.add(404)
    if parameters or "requestBody" in operation:
        statuses.add(422)
    if "requestBody" in operation:
        statuses.add(413)
    if "reads_caller" in facts:
        statuses.add(401)
        operation["security"] = _security(method, facts)
        if "needs_user" in facts or method in UNSAFE_METHODS:
            statuses.add(403)
    if "database" in facts:
        statuses.add(503)
        if method in UNSAFE_METHODS:
            statuses.add(409)
    responses = operation.setdefault("responses", {})
    for status in statuses:
        responses.setdefault(str(status), {})
    for key in list(responses):
        if key.isdigit() and int(key) >= 400:
            responses[key] = _problem_response(int(key), responses[key])
    operation["responses"] = dict(sorted(responses.items()))
    for parameter in parameters:
        if parameter["in"] in _REFUSED_CHARACTERS:
            _forbid_characters(parameter.get("schema", {}), _REFUSED_CHARACTERS[parameter["in"]])
        if parameter["in"] == "header" and parameter["name"] == IDEMPOTENCY_HEADER:
            # Read by core/idempotency.check_key (for its own stable codes), so FastAPI thinks it optional.
            parameter["required"] = True
            parameter["schema"] = {"type": "string", "pattern": f"^{IDEMPOTENCY_KEY_PATTERN}$"}


_PLAIN_DECIMAL = "^-?[0-9]+(\\.[0-9]+)?$"


def _plain_decimal_strings(node: Any) -> None:
    """A Decimal not described by core.decimals still refuses "", "abc" or "1e5": say so in its string branch."""
    if isinstance(node, dict):
        branches = node.get("anyOf", ())
        if any(b.get("type") == "number" for b in branches):
            for branch in branches:
                if branch.get("type") == "string" and not branch.keys() - {"type"}:
                    branch["pattern"] = _PLAIN_DECIMAL
        for value in node.values():
            _plain_decimal_strings(value)
    elif isinstance(node, list):
        for value in node:
            _plain_decimal_strings(value)


def build_openapi(app: FastAPI) -> dict[str, Any]:
    document = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
        servers=app.servers,
    )
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas.update(PROBLEM_SCHEMAS)
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    components["securitySchemes"] = SECURITY_SCHEMES
    _plain_decimal_strings(document)
    for route in iter_route_contexts(app.routes):  # flattens included routers, as FastAPI's own builder does
        path = route.path_format or ""
        if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
            continue
        if not path.startswith(API_PREFIX):
            continue
        facts = _route_facts(route)
        for method in route.methods or ():
            operation = document["paths"].get(path, {}).get(method.lower())
            if operation is not None:
                _document_operation(method.lower(), operation, facts)
    return document


def install(app: FastAPI) -> None:
    """Replace FastAPI's document builder with `build_openapi`, cached like FastAPI's own."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
