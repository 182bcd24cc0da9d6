"""HTTP plumbing shared by every context: the per-request transaction and RFC 9457 problem responses."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Request, UploadFile
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from sqlalchemy import event
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.orm import ORMExecuteState, Session
from starlette.exceptions import HTTPException as StarletteHTTPException

from forecourt.core import idempotency
from forecourt.core.db import WRITE_LOCK_FIRST, write_lock_first
from forecourt.core.errors import DomainError, FieldError
from forecourt.core.request_guard import UNSTORABLE

log = logging.getLogger("forecourt.http")
PROBLEM_TYPE_BASE = "https://forecourt.dev/problems/"


# A writer gave up after the whole busy timeout: the queue is long, so a client should not come straight back.
BUSY_HEADERS = {"Retry-After": "5"}
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})  # RFC 9110 §9.2.1: a client expects them to change nothing
READ_ONLY_REQUEST = "forecourt.read_only_request"  # Session.info key: what a write in this session should do


def _session(request: Request) -> Iterator[Session]:
    """One transaction per request: commit when the handler returns, roll back on any exception.

    A state-changing method's transaction takes SQLite's write lock at its first statement (`write_lock_first`),
    so concurrent writers queue on the busy timeout instead of failing; a request that never touches the database
    takes no lock. A GET is read-only: writing in it (in a transaction begun DEFERRED, which cannot wait for the
    lock) is a bug that the tests turn into an error, unless the route declares `WriteSession`."""
    session = request.app.state.session_factory()
    if request.method not in SAFE_METHODS:
        write_lock_first(session)
    else:
        strict = request.app.state.settings.environment == "test"
        session.info[READ_ONLY_REQUEST] = ("raise" if strict else "log", f"{request.method} {request.url.path}")
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# scope="function" runs the commit before the response is sent, so a failed commit becomes an error answer.
DbSession = Annotated[Session, Depends(_session, scope="function")]


def _write_session(session: DbSession) -> Session:
    """The request's session in write mode (BEGIN IMMEDIATE on SQLite). Every POST/PUT/PATCH/DELETE already has it;
    a GET route that writes must declare it, before any other dependency that reads (e.g. the current user),
    because the lock is chosen before the transaction's first statement. On a state-changing route it documents
    that the route's invariant (a check-then-insert) relies on the lock."""
    try:
        write_lock_first(session)
    except RuntimeError:
        raise RuntimeError("WriteSession must be the first database dependency of the route") from None
    return session


WriteSession = Annotated[Session, Depends(_write_session)]


def _read_only(session: Session) -> bool:
    return READ_ONLY_REQUEST in session.info and not session.info.get(WRITE_LOCK_FIRST)


def _refuse_write(session: Session, what: str) -> None:
    action, request = session.info[READ_ONLY_REQUEST]
    message = f"{request} writes ({what}) in a read-only transaction: declare WriteSession first on its route"
    if action == "raise":
        raise RuntimeError(message)
    log.error(message)


# Registered on the class (every session), they cost a dict lookup outside read-only requests.
@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    if _read_only(session) and (session.new or session.deleted or any(map(session.is_modified, session.dirty))):
        _refuse_write(session, "flush")


@event.listens_for(Session, "do_orm_execute")
def _on_execute(state: ORMExecuteState) -> None:
    if _read_only(state.session) and (state.is_insert or state.is_update or state.is_delete):
        _refuse_write(state.session, type(state.statement).__name__)


def problem(
    status: int, code: str, title: str, detail: str, errors: list[FieldError] | None = None, **extra: Any
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + code,
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors:
        body["errors"] = [e.as_dict() for e in errors]
    body.update(extra)
    return JSONResponse(jsonable_encoder(body), status_code=status, media_type="application/problem+json")


_TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Too large",
    415: "Unsupported media type",
    422: "Invalid input",
    429: "Too many requests",
}


def domain_problem(exc: DomainError) -> JSONResponse:
    """The problem answer of a domain error. Handlers return it (instead of raising) when the request's
    writes must still be committed, e.g. the failed-attempt counters of a refused sign-in."""
    response = problem(exc.status, exc.code, _TITLES.get(exc.status, "Error"), exc.message, exc.errors, **exc.extra)
    response.headers.update(exc.headers)
    return response


def _validation_field(location: tuple[Any, ...]) -> str:
    parts = [str(p) for p in location if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "request"


def _field_message(error: dict[str, Any]) -> str:
    message = error.get("msg", "invalid value")
    if error.get("type") == "extra_forbidden":
        return "unknown parameter; check the spelling against the API documentation"
    return message.removeprefix("Value error, ")


def _first_line(error: object) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def violated_constraint(exc: IntegrityError) -> str:
    """What an operator needs of a constraint violation, without the row's values: PostgreSQL's DETAIL line
    quotes them ("Key (mobile)=(13800138000) already exists"), so only the constraint's name is kept there;
    SQLite names the constraint or its columns and never the values."""
    name = getattr(getattr(exc.orig, "diag", None), "constraint_name", None)
    if name:
        return f"constraint {name}"
    return _first_line(exc.orig) if exc.orig is not None else type(exc).__name__


def allowed_methods(request: Request) -> str:
    """Every method served at the request's path. The router's own 405 names only the methods of the first route
    whose path matched, but FastAPI makes one route per operation: GET and POST /campaigns are two routes, so
    its `Allow: GET` hid the POST (RFC 9110 wants every supported method listed). Only the most literal
    templates count: /leads/contact is its own resource, though GET /leads/{reference} would also match it."""
    by_parameters: dict[int, set[str]] = {}
    for route in iter_route_contexts(request.app.routes):  # flattens included routers, prefixes applied
        regex, route_methods = getattr(route, "path_regex", None), route.methods
        if regex is not None and route_methods and regex.match(request.scope["path"]):
            by_parameters.setdefault((route.path_format or "").count("{"), set()).update(route_methods)
    return ", ".join(sorted(by_parameters[min(by_parameters)])) if by_parameters else ""


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        return domain_problem(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [FieldError(_validation_field(tuple(e.get("loc", ()))), _field_message(e)) for e in exc.errors()]
        return problem(422, "validation_error", "Invalid input", "The request has invalid fields; see errors.", errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, f"http_{exc.status_code}")
        response = problem(exc.status_code, code, _TITLES.get(exc.status_code, "Error"), str(exc.detail))
        response.headers.update(exc.headers or {})
        if exc.status_code == 405:
            response.headers["Allow"] = allowed_methods(request)
        return response

    @app.exception_handler(IntegrityError)
    async def _integrity(_: Request, exc: IntegrityError) -> JSONResponse:
        log.warning("integrity error: %s", violated_constraint(exc))
        return problem(409, "conflict", "Conflict", "The change conflicts with existing data; reload and retry.")

    @app.exception_handler(DataError)
    async def _data(_: Request, exc: DataError) -> JSONResponse:
        # The last line of defence: input that passed validation yet the database refuses (NUL in text on
        # PostgreSQL, a number past a column's range) is the sender's to correct, not a 500.
        log.warning("value refused by the database: %s", exc.orig)
        detail = "A value cannot be stored as sent (a NUL character, or a number out of range); correct it."
        return problem(422, UNSTORABLE, "Invalid input", detail)

    @app.exception_handler(OperationalError)
    async def _operational(_: Request, exc: OperationalError) -> JSONResponse:
        log.error("database unavailable or busy: %s", _first_line(exc.orig))
        response = problem(503, "database_busy", "Service busy", "The database is busy; retry in a moment.")
        response.headers.update(BUSY_HEADERS)
        return response

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return problem(500, "internal_error", "Internal error", "Something went wrong on our side; it has been logged.")


def app_secret(request: Request) -> str:
    """The app's secret key: it keys fingerprints, pick-up codes and ID-number digests (never sent anywhere)."""
    return request.app.state.settings.secret_key.get_secret_value()


# The header of a retry-safe write (`run_idempotent`), described once for every API that takes it.
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="A UUID per attempt: a retry with the same key and body replays the first answer",
    ),
]


def run_idempotent(
    session: Session,
    request: Request,
    *,
    scope: str,
    key: str | None,
    payload: Any,
    run: Callable[[], tuple[int, Any]],
    redact: Callable[[Any], Any] = lambda body: body,
) -> JSONResponse:
    """Run a retry-safe write once per `Idempotency-Key` (see core/idempotency.py). `run` returns the status and
    a JSON-able body; `redact` strips what must not be stored for replay (a one-time secret)."""
    key = idempotency.check_key(key)
    request_fingerprint = idempotency.fingerprint(request.method, request.url.path, payload, key=app_secret(request))
    claimed = idempotency.begin(session, scope, key, request_fingerprint)
    if isinstance(claimed, idempotency.Replay):
        return JSONResponse(claimed.body, status_code=claimed.status, headers={"Idempotent-Replayed": "true"})
    status, body = run()
    body = jsonable_encoder(body)
    idempotency.finish(session, claimed, status, redact(body))
    return JSONResponse(body, status_code=status)


def upload_size(upload: UploadFile) -> int:
    """Bytes of an upload, rewound to its start. Starlette has already spooled it to a temporary file (past
    1 MB), so an import can check its size limit and then read it a block at a time, never whole in memory."""
    size = upload.size
    if size is None:
        upload.file.seek(0, 2)
        size = upload.file.tell()
    upload.file.seek(0)
    return size
