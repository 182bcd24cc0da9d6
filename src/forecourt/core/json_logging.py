"""Log lines as JSON objects (one per line, for a log shipper) or as text with their fields (for a terminal).

Both render a record's `extra` fields, so structured records (`log.info("job run", extra={"job": ..., "outcome":
...})`, the request lines of core/request_log.py) keep their fields in either format. Redaction is applied here
too, not only by the handlers' `RedactingFilter`: that filter masks the message, arguments and traceback, but
`extra` fields are attached to a record after the record factory and the filters have run, so each field is
masked as it is written (`masking.redact_field`). A line written during a request carries its request id.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

import orjson
from uvicorn.logging import DefaultFormatter

from forecourt.core.masking import REDACTED_MARK, redact_field, redact_record, redact_secrets

# The request being served on this task or thread (Starlette copies the context into its worker threads).
REQUEST_ID: ContextVar[str | None] = ContextVar("forecourt_request_id", default=None)

# Attributes every LogRecord has; anything else on a record came from `extra`. uvicorn's colour copy of its
# message and our redaction mark are bookkeeping, not fields.
_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
    "color_message",
    REDACTED_MARK,
}


def extra_fields(record: logging.LogRecord) -> dict[str, Any]:
    """The record's `extra` fields, masked, with the current request id unless the record names its own."""
    fields = {
        key: redact_field(key, value)
        for key, value in record.__dict__.items()
        if key not in _RECORD_ATTRIBUTES and not key.startswith("_")
    }
    request_id = REQUEST_ID.get()
    if request_id is not None and "request_id" not in fields:
        fields["request_id"] = redact_field("request_id", request_id)  # it may be the client's
    return fields


def _ensure_redacted(record: logging.LogRecord) -> None:
    """Handlers configured by Forecourt redact before formatting; a formatter used elsewhere still must not leak."""
    if not getattr(record, REDACTED_MARK, False):
        redact_record(record)


def _time(record: logging.LogRecord) -> str:
    return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _default(value: object) -> str:
    return str(value)  # fields are masked to JSON types already; this is the last resort for anything else


class JsonFormatter(logging.Formatter):
    """{"time", "level", "logger", "message", then the record's fields, "exception" when there is one}."""

    def format(self, record: logging.LogRecord) -> str:
        _ensure_redacted(record)
        entry: dict[str, Any] = {
            "time": _time(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = extra_fields(record)
        if "request_id" in fields:  # first, where a reader looks for it
            entry["request_id"] = fields.pop("request_id")
        for key, value in fields.items():
            entry.setdefault(key, value)  # a field never overwrites the ones above
        if record.exc_info and not record.exc_text:
            record.exc_text = redact_secrets(self.formatException(record.exc_info))
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return orjson.dumps(entry, default=_default, option=orjson.OPT_NON_STR_KEYS).decode()


class TextFormatter(DefaultFormatter):
    """uvicorn's text lines (`INFO:     logger: message`), followed by the record's fields as key=value."""

    def format(self, record: logging.LogRecord) -> str:
        _ensure_redacted(record)
        line = super().format(record)
        fields = extra_fields(record)
        if not fields:
            return line
        head, newline, rest = line.partition("\n")  # fields go on the message's line, before any traceback
        pairs = " ".join(f"{key}={_text(value)}" for key, value in fields.items())
        return f"{head} {pairs}{newline}{rest}"


def _text(value: object) -> str:
    if isinstance(value, str) and value and " " not in value and '"' not in value:
        return value
    return orjson.dumps(value, default=_default).decode()
