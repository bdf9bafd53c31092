"""The OpenAPI document tells the truth about errors and streams: every error response is
``application/problem+json`` (a ``Problem``), signed-in operations list 401, operations on an id list 404, a
``default`` response covers the rest (403, 409, 422, 429, 503...), and an operation that streams Server-Sent Events
documents ``text/event-stream``. Litestar on its own documents only a 400 whose body (``status_code``, ``detail``,
``extra``) and media type (``application/json``) are not what salon sends, and ``application/json`` for streams.
It also says who may call what: signed-in operations need the bearer token, public ones take it or none, sign-in
and refresh ignore it, and ``/health`` and ``/ready`` need nothing (Litestar's JWTAuth declared the token for the
whole document)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from litestar._openapi.plugin import OpenAPIPlugin  # no public hook edits the built document; tests/system cover it
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, OpenAPIType, Reference, Schema
from litestar.response import ServerSentEvent

from salon.lib.errors import PROBLEM_JSON

if TYPE_CHECKING:
    from litestar import Litestar
    from litestar.openapi.spec import OpenAPI

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

PROBLEM = Schema(
    type=OpenAPIType.OBJECT,
    title="Problem",
    description="RFC 9457 problem details (docs/api.md, Errors); extra members may appear (code, retry_after, ...)",
    required=["status", "title", "detail"],
    properties={
        "type": Schema(type=OpenAPIType.STRING),
        "title": Schema(type=OpenAPIType.STRING),
        "status": Schema(type=OpenAPIType.INTEGER),
        "detail": Schema(type=OpenAPIType.STRING, description="what to change, written for a person"),
        "extra": Schema(
            type=OpenAPIType.ARRAY,
            description="for a 400 from validation: each offending field",
            items=Schema(
                type=OpenAPIType.OBJECT,
                properties={
                    "message": Schema(type=OpenAPIType.STRING),
                    "key": Schema(type=OpenAPIType.STRING),
                    "source": Schema(type=OpenAPIType.STRING),
                },
            ),
        ),
        "code": Schema(type=OpenAPIType.STRING, description="a stable reason where clients branch on it"),
        "retry_after": Schema(type=OpenAPIType.INTEGER, description="seconds, on 429"),
        "request_id": Schema(one_of=[Schema(type=OpenAPIType.STRING), Schema(type=OpenAPIType.NULL)]),
    },
)

DESCRIPTIONS = {
    400: "The request is malformed: JSON that does not parse, or a field or parameter of the wrong type or out of "
    "range (`detail` and `extra` name it)",
    401: "Not signed in, or the access token is invalid or expired",
    404: "No such resource that you can see",
}
DEFAULT = "Any other error, as problem+json: 403, 409, 422, 429 (with Retry-After), 503 (with Retry-After)..."


def _problem(description: str) -> OpenAPIResponse:
    return OpenAPIResponse(
        description=description,
        content={PROBLEM_JSON: OpenAPIMediaType(schema=Reference(ref="#/components/schemas/Problem"))},
    )


def _operations(app: Litestar, wanted: Callable[[Any], bool]) -> set[tuple[str, str]]:
    """(path, method) of the operations whose route handler ``wanted`` picks."""
    found: set[tuple[str, str]] = set()
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            if wanted(handler):
                found.update((route.path_format, method.lower()) for method in getattr(handler, "http_methods", ()))
    return found


def _is_public(handler: Any) -> bool:
    return bool(handler.opt.get("public"))


def _ignores_token(handler: Any) -> bool:
    return bool(handler.opt.get("exclude_from_auth"))


def _streams_events(handler: Any) -> bool:
    returns = getattr(getattr(handler, "parsed_fn_signature", None), "return_type", None)
    annotation = getattr(returns, "annotation", None)
    return isinstance(annotation, type) and issubclass(annotation, ServerSentEvent)


SSE_EVENT = Schema(
    type=OpenAPIType.OBJECT,
    description="One Server-Sent Event (comments aside); data is JSON, per event name in docs/api.md",
    properties={
        "id": Schema(type=OpenAPIType.STRING, description="resume with it as Last-Event-ID"),
        "event": Schema(type=OpenAPIType.STRING),
        "data": Schema(type=OpenAPIType.STRING),
        "retry": Schema(type=OpenAPIType.INTEGER, description="milliseconds before reconnecting"),
    },
    required=["event", "data"],
)
"""Before OpenAPI 3.2's ``itemSchema``, a ``text/event-stream`` schema describes each event, not the stream as text."""


def document_streams(openapi: OpenAPI, streams: set[tuple[str, str]]) -> None:
    """A handler returning ``ServerSentEvent`` answers ``text/event-stream`` (Litestar documents JSON)."""
    for path, method in streams:
        operation = getattr((openapi.paths or {}).get(path), method, None)
        for code, response in (operation.responses or {}).items() if operation else ():
            if code.startswith("2") and isinstance(response, OpenAPIResponse) and response.content:
                response.content = {"text/event-stream": OpenAPIMediaType(schema=SSE_EVENT)}


def document_problems(
    openapi: OpenAPI, public: set[tuple[str, str]], tokenless: set[tuple[str, str]], api_prefix: str
) -> None:
    """Rewrite ``openapi`` in place (see the module docstring). ``tokenless``: public operations that ignore the
    Authorization header (sign-in and refresh take their credentials from the body)."""
    if openapi.components.schemas is None:
        openapi.components.schemas = {}
    openapi.components.schemas["Problem"] = PROBLEM
    for path, item in (openapi.paths or {}).items():
        for method in METHODS:
            operation = getattr(item, method, None)
            if operation is None or not path.startswith(api_prefix):
                continue
            responses: dict[str, Any] = operation.responses or {}
            for code in list(responses):
                if code.isdigit() and int(code) >= 400:
                    responses[code] = _problem(DESCRIPTIONS.get(int(code), responses[code].description))
            if (path, method) in tokenless:
                operation.security = [{}]
            elif (path, method) in public:  # anonymous, or signed in (a public handler still sees the viewer)
                operation.security = [{}, *(operation.security or [])]
            else:
                responses.setdefault("401", _problem(DESCRIPTIONS[401]))
            if "{" in path:
                responses.setdefault("404", _problem(DESCRIPTIONS[404]))
            responses["default"] = _problem(DEFAULT)
            operation.responses = dict(sorted(responses.items(), key=lambda kv: (not kv[0].isdigit(), kv[0])))


class _ProblemsDocumented(OpenAPIPlugin):
    """Litestar's OpenAPI plugin, whose built document (built lazily, once) goes through ``document_problems``."""

    __slots__ = ()
    api_prefix = "/api/"

    def _build_openapi(self) -> OpenAPI:
        openapi = super()._build_openapi()
        # JWTAuth declares bearer security for the whole document, /health and /ready included; the API router
        # declares it on each of its operations, and public ones also allow anonymous calls (document_problems).
        openapi.security = None
        public, tokenless = _operations(self.app, _is_public), _operations(self.app, _ignores_token)
        document_problems(openapi, public, tokenless, self.api_prefix)
        document_streams(openapi, _operations(self.app, _streams_events))
        return openapi


def install(app: Litestar) -> None:
    """Make ``app``'s OpenAPI plugin document problems (its instance keeps the routes it has collected)."""
    plugin = app.plugins.get(OpenAPIPlugin)
    plugin.__class__ = _ProblemsDocumented
