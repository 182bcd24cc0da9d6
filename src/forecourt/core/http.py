"""HTTP plumbing shared by every context: the per-request transaction and RFC 9457 problem responses."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException

from forecourt.core import idempotency
from forecourt.core.errors import DomainError, FieldError
from forecourt.core.request_guard import UNSTORABLE

log = logging.getLogger("forecourt.http")
PROBLEM_TYPE_BASE = "https://forecourt.dev/problems/"


def _session(request: Request) -> Iterator[Session]:
    """One transaction per request: commit when the handler returns, roll back on any exception."""
    session = request.app.state.session_factory()
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
    """The request's session, its transaction begun IMMEDIATE on SQLite: the write lock is taken before the
    first read, so a check-then-insert (no overlapping booking) cannot be interleaved with another writer's.
    Declare it before any other dependency that reads (e.g. the current user), or the transaction has begun."""
    if session.get_bind().dialect.name == "sqlite":
        if session.in_transaction():
            raise RuntimeError("WriteSession must be the first database dependency of the route")
        session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
    return session


WriteSession = Annotated[Session, Depends(_write_session)]


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


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        return domain_problem(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [FieldError(_validation_field(tuple(e.get("loc", ()))), _field_message(e)) for e in exc.errors()]
        return problem(422, "validation_error", "Invalid input", "The request has invalid fields; see errors.", errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, f"http_{exc.status_code}")
        response = problem(exc.status_code, code, _TITLES.get(exc.status_code, "Error"), str(exc.detail))
        response.headers.update(exc.headers or {})  # keeps e.g. the Allow header of a 405
        return response

    @app.exception_handler(IntegrityError)
    async def _integrity(_: Request, exc: IntegrityError) -> JSONResponse:
        log.warning("integrity error: %s", exc.orig)
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
        log.error("database unavailable or busy: %s", exc.orig)
        return problem(503, "database_busy", "Service busy", "The database is busy; retry in a moment.")

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return problem(500, "internal_error", "Internal error", "Something went wrong on our side; it has been logged.")


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
    secret = request.app.state.settings.secret_key.get_secret_value()
    request_fingerprint = idempotency.fingerprint(request.method, request.url.path, payload, key=secret)
    claimed = idempotency.begin(session, scope, key, request_fingerprint)
    if isinstance(claimed, idempotency.Replay):
        return JSONResponse(claimed.body, status_code=claimed.status, headers={"Idempotent-Replayed": "true"})
    status, body = run()
    body = jsonable_encoder(body)
    idempotency.finish(session, claimed, status, redact(body))
    return JSONResponse(body, status_code=status)
