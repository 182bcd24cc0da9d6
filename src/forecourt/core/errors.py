"""Domain errors with a stable code and HTTP status, rendered as RFC 9457 problem details."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str
    value: Any = None

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"field": self.field, "message": self.message}
        if self.value is not None:
            data["value"] = self.value
        return data


@dataclass
class DomainError(Exception):
    """Base of every error a use case raises on purpose. `code` is stable; clients may switch on it."""

    message: str
    code: str = "domain_error"
    status: int = 400
    errors: list[FieldError] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)  # e.g. WWW-Authenticate, Retry-After

    def __str__(self) -> str:
        return self.message


class NotFound(DomainError):
    def __init__(self, message: str, code: str = "not_found", **kwargs: Any) -> None:
        super().__init__(message, code=code, status=404, **kwargs)


class Conflict(DomainError):
    def __init__(self, message: str, code: str = "conflict", **kwargs: Any) -> None:
        super().__init__(message, code=code, status=409, **kwargs)


class InvalidInput(DomainError):
    def __init__(self, message: str, code: str = "invalid_input", **kwargs: Any) -> None:
        super().__init__(message, code=code, status=422, **kwargs)


class Unauthenticated(DomainError):
    """No (valid) credentials: 401 with a WWW-Authenticate challenge, as RFC 9110 requires."""

    def __init__(
        self,
        message: str = "Sign in or send an API token to use this endpoint",
        code: str = "not_authenticated",
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("headers", {"WWW-Authenticate": "Bearer"})
        super().__init__(message, code=code, status=401, **kwargs)


class Forbidden(DomainError):
    def __init__(self, message: str, code: str = "forbidden", **kwargs: Any) -> None:
        super().__init__(message, code=code, status=403, **kwargs)


class TooManyRequests(DomainError):
    def __init__(self, message: str, retry_after: int, code: str = "too_many_requests", **kwargs: Any) -> None:
        super().__init__(
            message,
            code=code,
            status=429,
            headers={"Retry-After": str(max(1, retry_after))},
            extra={"retry_after": max(1, retry_after)},
            **kwargs,
        )
