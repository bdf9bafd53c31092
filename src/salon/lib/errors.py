"""The one error type. Raise an ``AppError`` subclass from services; the app renders it as RFC 9457 problem+json."""

from __future__ import annotations

from typing import Any

from litestar import MediaType, Request, Response
from litestar.plugins.problem_details import ProblemDetailsException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR, HTTP_503_SERVICE_UNAVAILABLE

PROBLEM_JSON = "application/problem+json"


class AppError(ProblemDetailsException):
    """A failure with a message a person can act on. ``extra`` fields are merged into the problem body."""

    status_code = 400
    title = "Bad request"

    def __init__(
        self,
        detail: str,
        *,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        status_code: int | None = None,
    ) -> None:
        status = status_code or self.status_code
        super().__init__(detail=detail, status_code=status, title=self.title, extra=extra, headers=headers)


class ValidationFailed(AppError):
    status_code = 422
    title = "Validation failed"


class NotFound(AppError):
    status_code = 404
    title = "Not found"


class Conflict(AppError):
    status_code = 409
    title = "Conflict"


class Unauthorized(AppError):
    status_code = 401
    title = "Unauthorized"


class Forbidden(AppError):
    status_code = 403
    title = "Forbidden"


class RateLimited(AppError):
    status_code = 429
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after: int, extra: dict[str, Any] | None = None) -> None:
        retry_after = max(1, int(retry_after))
        super().__init__(
            detail, extra={"retry_after": retry_after, **(extra or {})}, headers={"Retry-After": str(retry_after)}
        )


class ServiceUnavailable(AppError):
    status_code = 503
    title = "Service unavailable"


def _problem(
    request: Request[Any, Any, Any], status: int, title: str, detail: str, headers: dict[str, str] | None = None
) -> Response[dict[str, Any]]:
    """A problem+json response carrying the request id, for failures that are not an ``AppError``."""
    request_id = request.scope.get("state", {}).get("request_id")
    return Response(
        content={"type": "about:blank", "title": title, "status": status, "detail": detail, "request_id": request_id},
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def unexpected_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    """Last resort: an unexpected failure is still problem+json, logged with the request id, never leaking internals."""
    request.logger.exception("unhandled error", exc_info=exc)
    request_id = request.scope.get("state", {}).get("request_id")
    detail = (
        "Something went wrong on our side. Nothing you sent was wrong; please retry, and report the request id "
        f"{request_id} if it keeps happening."
    )
    return _problem(request, HTTP_500_INTERNAL_SERVER_ERROR, "Internal server error", detail)


def store_unavailable_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    """Valkey unreachable, or no pooled connection free within its wait (a burst beyond what the process can serve):
    503 with Retry-After, not a 500, since nothing about the request was wrong."""
    request.logger.warning("valkey unavailable: %s", exc)
    detail = "The server is overloaded or cannot reach its cache right now. Retry in a few seconds."
    return _problem(request, HTTP_503_SERVICE_UNAVAILABLE, "Service unavailable", detail, {"Retry-After": "2"})


__all__ = [
    "PROBLEM_JSON",
    "AppError",
    "Conflict",
    "Forbidden",
    "MediaType",
    "NotFound",
    "RateLimited",
    "ServiceUnavailable",
    "Unauthorized",
    "ValidationFailed",
    "store_unavailable_handler",
    "unexpected_error_handler",
]
