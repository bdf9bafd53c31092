"""The one error type. Raise an ``AppError`` subclass from services; the app renders it as RFC 9457 problem+json."""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import ClientException, HTTPException, SerializationException, ValidationException
from litestar.params import ParameterKwarg
from litestar.plugins.problem_details import ProblemDetailsException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR, HTTP_503_SERVICE_UNAVAILABLE

PROBLEM_JSON = "application/problem+json"
ECHO_LIMIT = 64


def clipped(value: object) -> str:
    """Something the client sent (an id, a username, a path), for an error's detail: whole up to ``ECHO_LIMIT``
    characters, else its start and an ellipsis. A 3,000-character id is not worth sending back."""
    text = str(value)
    return text if len(text) <= ECHO_LIMIT else text[: ECHO_LIMIT - 1] + "\u2026"


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


def _sentence(phrase: str) -> str:
    """'Method Not Allowed' -> 'Method not allowed', like our own titles."""
    return phrase[:1] + phrase[1:].lower()


def _wire_name(request: Request[Any, Any, Any], argument: str) -> str:
    """The name a client sends a parameter as (``type``), for the argument Litestar names (``search_type``)."""
    handler = request.scope.get("route_handler")
    try:
        definition = handler.signature_model._fields[argument].kwarg_definition  # type: ignore[union-attr]
    except (AttributeError, KeyError, TypeError):
        return argument
    if isinstance(definition, ParameterKwarg):
        return definition.name or definition.query or definition.header or definition.cookie or argument
    return argument


def _field_messages(request: Request[Any, Any, Any], extra: Any) -> list[dict[str, Any]]:
    """Litestar's per-field validation messages, with what it leaves unreadable made plain: a missing body arrives as
    the KeyError text ``'data'``, and a parameter is named by its handler argument rather than its wire name."""
    messages = []
    for item in extra if isinstance(extra, list) else []:
        item = dict(item) if isinstance(item, dict) else {"message": str(item)}
        if "source" in item:  # a ParamType member for query/path/header parameters
            item["source"] = str(getattr(item["source"], "value", item["source"]))
            if item["source"] != "body" and isinstance(item.get("key"), str):
                item["key"] = _wire_name(request, item["key"])
        if item.get("key") == "data" and item.get("message") == "'data'":
            item = {"message": "The request body is missing.", "key": "body", "source": "body"}
        messages.append(item)
    return messages


def _describe(item: dict[str, Any]) -> str:
    key, source, message = item.get("key"), item.get("source"), str(item.get("message", "")).rstrip(".")
    if source == "body" and key in ("data", "body", None):  # the body as a whole (unknown field, wrong JSON type)
        return f"Body: {message}"
    where = {"body": "Body field", "query": "Query parameter", "path": "Path parameter", "header": "Header"}
    label = where.get(str(source), "Field")
    return f"{label} {key}: {message}" if key else message


def _framework_detail(request: Request[Any, Any, Any], exc: HTTPException, phrase: str) -> str:
    """What to change, for a rejection Litestar made before our handlers ran."""
    detail = str(exc.detail or "")
    if isinstance(exc, ValidationException) and (messages := _field_messages(request, exc.extra)):
        if any(item.get("message") == "The request body is missing." for item in messages):
            return "The request body is missing: send a JSON object with Content-Type: application/json."
        return "; ".join(_describe(item) for item in messages) + "."
    if detail.startswith("JSON is malformed") or detail == "Input data was truncated":
        reason = detail.removeprefix("JSON is malformed: ").lower() if ":" in detail else detail.lower()
        return f"The request body is not valid JSON ({reason}). Send one JSON object."
    if detail and detail != phrase:
        return detail if detail.endswith(".") else f"{detail}."
    if exc.status_code == 404:
        return f"There is no route {clipped(request.url.path)}. The API's routes are listed at /schema/openapi.json."
    if exc.status_code == 405:
        allowed = (exc.headers or {}).get("allow") or (exc.headers or {}).get("Allow")
        suffix = f"; use {allowed}" if allowed else ""
        return f"{request.method} is not allowed on {clipped(request.url.path)}{suffix}."
    return f"{phrase}."


def http_exception_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    """Litestar's own HTTP errors (malformed JSON, validation, unknown route, wrong method...) as problem+json whose
    ``detail`` says what to change. The stock problem-details conversion puts the message in ``title`` and leaves
    ``detail`` as the bare status phrase ("Bad Request")."""
    try:
        phrase = HTTPStatus(exc.status_code).phrase
    except ValueError:
        phrase = "Error"
    if exc.status_code >= 500:  # a framework 5xx (e.g. a failing dependency) is ours: never echo its text
        return unexpected_error_handler(request, exc)
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": _sentence(phrase),
        "status": exc.status_code,
        "detail": _framework_detail(request, exc, phrase),
    }
    if isinstance(exc, ValidationException) and (messages := _field_messages(request, exc.extra)):
        body["extra"] = messages
    elif isinstance(exc.extra, dict):
        body.update(exc.extra)
    return Response(content=body, status_code=exc.status_code, media_type=PROBLEM_JSON, headers=exc.headers)


LONE_SURROGATE = re.compile(
    rb"(?<!\\)(?:\\\\)*(\\u[dD][89abAB][0-9a-fA-F]{2})(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"  # a high half, unpaired
    rb"|(?<!\\)(?:\\\\)*(?<!\\u[dD][89abAB][0-9a-fA-F]{2})(\\u[dD][c-fC-F][0-9a-fA-F]{2})"  # a low half, unpaired
)
"""A JSON escape of half a UTF-16 surrogate pair with no other half (not a backslash escaped as ``\\\\``)."""


class Utf8BodyRequest(Request[Any, Any, Any]):
    """Litestar's request, with a body that is not UTF-8 a client error. JSON is UTF-8, but a string holding other
    bytes (Latin-1 text, an encoded lone surrogate) makes msgspec raise ``UnicodeDecodeError``, which Litestar passes
    on as a 500 (it turns only ``msgspec.DecodeError`` into a 400)."""

    async def json(self) -> Any:
        try:
            return await super().json()
        except UnicodeDecodeError as exc:
            raise ClientException(
                f"The request body is not valid UTF-8 ({exc.reason}). Send JSON encoded as UTF-8."
            ) from None
        except SerializationException:
            # msgspec calls a lone high surrogate escape "Input data was truncated": name the real mistake
            if match := LONE_SURROGATE.search(await self.body()):
                escape = (match.group(1) or match.group(2)).decode()
                raise ClientException(
                    f"The request body holds {escape}, a lone UTF-16 surrogate escape, which is no character. Escape "
                    "a character outside the Basic Multilingual Plane as a pair (\\ud83d\\ude00), or send it as UTF-8."
                ) from None
            raise


def unexpected_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    """Last resort: an unexpected failure is still problem+json, logged with the request id, never leaking internals."""
    request.logger.exception("unhandled error", exc_info=exc)
    request_id = request.scope.get("state", {}).get("request_id")
    detail = (
        "Something went wrong on our side. Nothing you sent was wrong; please retry, and report the request id "
        f"{request_id} if it keeps happening."
    )
    return _problem(request, HTTP_500_INTERNAL_SERVER_ERROR, "Internal server error", detail)


def nul_character_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    """Postgres text cannot hold U+0000, and salon never writes one itself: the NUL came from the client, in any
    string it sent (a body field, a query or path parameter). A 400, not a 500."""
    detail = "Text may not contain the NUL character (U+0000, \\u0000). Remove it and send the request again."
    return _problem(request, 400, "Bad request", detail)


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
    "Utf8BodyRequest",
    "ValidationFailed",
    "clipped",
    "http_exception_handler",
    "nul_character_handler",
    "store_unavailable_handler",
    "unexpected_error_handler",
]
