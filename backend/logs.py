"""Logs an operator can search: one JSON object per line (``LOG_FORMAT=json``), each carrying the
id of the request it was written during (the ``X-Request-ID`` of the answer), or the readable
text lines of the embedded default.

What is never logged: query strings (they hold clerks' searches and tracking tokens), request
and response bodies, headers (bearer tokens, cookies), and the applicant's details. The access
line names the route's path, whose ids are opaque (a ULID, a dossier code).
"""

from __future__ import annotations

import logging
import traceback
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Literal

import msgspec

__all__ = ["REQUEST_ID", "JsonFormatter", "formatters", "install_request_ids", "uvicorn_log_config"]

REQUEST_ID: ContextVar[str] = ContextVar("request_id", default="")
"""The id of the request being answered (set by ``backend.edge``)."""

LogFormat = Literal["text", "json"]
TEXT = "%(levelname)s %(asctime)s %(name)s [%(request_id)s] %(message)s"

# Attributes every LogRecord has: anything else on a record came from ``extra=`` and is a field.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id"}


def install_request_ids() -> None:
    """Give every log record the current request's id (``-`` outside a request); done once per
    process, at record creation, so it holds whichever thread later writes the record."""
    current = logging.getLogRecordFactory()
    if getattr(current, "luudong", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = current(*args, **kwargs)
        record.request_id = REQUEST_ID.get() or "-"
        return record

    factory.luudong = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, the ``extra=``
    fields, and an error's type, message and traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", "-")
        if request_id != "-":
            entry["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            entry["error"] = record.exc_info[0].__name__
            entry["traceback"] = "".join(traceback.format_exception(*record.exc_info))
        return msgspec.json.encode(entry, enc_hook=str).decode()


def formatters(kind: LogFormat) -> dict[str, dict[str, Any]]:
    """Litestar's ``LoggingConfig`` formatters for ``kind``."""
    if kind == "json":
        return {"standard": {"()": JsonFormatter}}
    return {"standard": {"format": TEXT}}


def uvicorn_log_config(kind: LogFormat) -> dict[str, Any]:
    """uvicorn's own lines (start, stop, worker restarts) in the same format."""
    formatter: dict[str, Any] = {"()": JsonFormatter} if kind == "json" else {"format": TEXT}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": formatter},
        "handlers": {
            "default": {"class": "logging.StreamHandler", "formatter": "default"},
        },
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": "INFO", "propagate": False},
            "uvicorn.error": {"level": "INFO"},
        },
    }
