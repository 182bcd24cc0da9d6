"""Logging of the web server: every handler masks secrets and personal data before a line is written.

Secrets reach log lines by two roads: a request line in the access log (a reset link's `?token=…`), and a message
or exception that quotes a value (a phone number, an ID number, a DBAPI error's parameters). `RedactingFilter`
(core.masking) closes both; this module puts it where the lines are written:

- `forecourt serve` hands uvicorn `uvicorn_log_config()`: uvicorn's own configuration plus a root handler for
  every other logger, with the filter on every handler and on the `uvicorn.access` / `uvicorn.error` loggers.
- `install_redaction_filters()`, called by the app factory, adds the filter to whatever handlers another server
  (gunicorn, hypercorn, a plain `uvicorn forecourt.app:create_app`) configured before loading the app.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

from forecourt.core.masking import RedactingFilter

FILTER_NAME = "redact_secrets"
SERVER_LOGGERS = ("uvicorn", "uvicorn.access", "uvicorn.error", "gunicorn.access", "gunicorn.error", "hypercorn.access")
LEVELS = ("critical", "error", "warning", "info", "debug")


def uvicorn_log_config(level: str = "info") -> dict[str, Any]:
    """uvicorn's default logging configuration with redaction on every handler, and a root handler so the app's
    and libraries' records are written (redacted) too, with their logger's name."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {FILTER_NAME: {"()": f"{RedactingFilter.__module__}.{RedactingFilter.__qualname__}"}}
    config["formatters"]["app"] = {
        "()": "uvicorn.logging.DefaultFormatter",
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
