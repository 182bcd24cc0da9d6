"""Logging of the web server: every handler masks secrets and personal data before a line is written.

Secrets reach log lines by two roads: a request line in the access log (a reset link's `?token=…`), and a message
or exception that quotes a value (a phone number, an ID number, a DBAPI error's parameters). `RedactingFilter`
(core.masking) closes both; this module puts it where the lines are written:

- `forecourt serve` hands uvicorn `uvicorn_log_config()`: uvicorn's own configuration plus a root handler for
  every other logger, with the filter on every handler and on the `uvicorn.access` / `uvicorn.error` loggers, and
  lines in JSON (`FORECOURT_LOG_FORMAT=json`, the default) or text. JSON fields (`extra`) are masked by the
  formatter itself, since they are attached to a record after the filters have seen it.
- `install_redaction_filters()`, called by the app factory, adds the filter to whatever handlers another server
  (gunicorn, hypercorn, a plain `uvicorn forecourt.app:create_app`) configured before loading the app.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

from forecourt.core.json_logging import JsonFormatter, TextFormatter
from forecourt.core.masking import RedactingFilter

FILTER_NAME = "redact_secrets"
SERVER_LOGGERS = ("uvicorn", "uvicorn.access", "uvicorn.error", "gunicorn.access", "gunicorn.error", "hypercorn.access")
LEVELS = ("critical", "error", "warning", "info", "debug")
LOG_FORMATS = ("json", "text")


def uvicorn_log_config(level: str = "info", log_format: str = "json") -> dict[str, Any]:
    """uvicorn's default logging configuration with redaction on every handler, and a root handler so the app's
    and libraries' records are written (redacted) too, with their logger's name.

    `json`: every line is a JSON object (core/json_logging.py), uvicorn's own included. `text`: uvicorn's lines
    as uvicorn writes them, the others as `LEVEL: logger: message key=value...`. Either way the request lines come
    from `forecourt.request` (core/request_log.py) through the root handler; `serve` turns uvicorn's access log off
    so that a request is written once."""
    from uvicorn.config import LOGGING_CONFIG

    if log_format not in LOG_FORMATS:
        raise ValueError(f"log format {log_format!r} is not one of {', '.join(LOG_FORMATS)}")
    config = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {FILTER_NAME: {"()": f"{RedactingFilter.__module__}.{RedactingFilter.__qualname__}"}}
    if log_format == "json":
        json_lines = {"()": f"{JsonFormatter.__module__}.{JsonFormatter.__qualname__}"}
        config["formatters"] = {"default": json_lines, "access": dict(json_lines), "app": dict(json_lines)}
    else:
        config["formatters"]["app"] = {
            "()": f"{TextFormatter.__module__}.{TextFormatter.__qualname__}",
            "fmt": "%(levelprefix)s %(name)s: %(message)s",
            "use_colors": None,
        }
    config["handlers"]["app"] = {"formatter": "app", "class": "logging.StreamHandler", "stream": "ext://sys.stderr"}
    for handler in config["handlers"].values():
        handler["filters"] = [FILTER_NAME]
    for name in ("uvicorn.access", "uvicorn.error"):  # records logged here directly, whatever handler is added later
        config["loggers"][name]["filters"] = [FILTER_NAME]
    config["root"] = {"handlers": ["app"], "level": level.upper()}
    return config


def _has_redaction(holder: logging.Filterer) -> bool:
    return any(isinstance(existing, RedactingFilter) for existing in holder.filters)


def _add_redaction(holder: logging.Filterer) -> None:
    if not _has_redaction(holder):
        holder.addFilter(RedactingFilter())


def install_redaction_filters() -> None:
    """Add the redacting filter to the root logger's handlers, to the server loggers and their handlers, and to
    logging's last-resort handler. Idempotent; handlers added later need `uvicorn_log_config` or their own filter
    (records of the `forecourt` loggers are redacted when created, see `core.masking.install_log_redaction`)."""
    holders: list[logging.Filterer] = [*logging.getLogger().handlers]
    for name in SERVER_LOGGERS:
        logger = logging.getLogger(name)
        holders += [logger, *logger.handlers]
    if logging.lastResort is not None:
        holders.append(logging.lastResort)
    for holder in holders:
        _add_redaction(holder)
