"""The app factory: ``granian --interface asgi --factory salon.server:create_app``."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from asyncpg.exceptions import CharacterNotInRepertoireError
from granian.utils.proxies import wrap_asgi_with_proxy_headers
from litestar import Litestar, Router
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.problem_details import ProblemDetailsConfig, ProblemDetailsPlugin
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController
from litestar.static_files import create_static_files_router
from swagger_ui_bundle import swagger_ui_path
from valkey.exceptions import ConnectionError as ValkeyConnectionError
from valkey.exceptions import TimeoutError as ValkeyTimeoutError

import salon
from salon.ai import generation as ai_generation
from salon.domains import api_route_handlers
from salon.lib import auth, db, gc_tuning, jobs, shutdown
from salon.lib import logging as salon_logging
from salon.lib import openapi as salon_openapi
from salon.lib import valkey as valkey_client
from salon.lib.errors import (
    Utf8BodyRequest,
    http_exception_handler,
    nul_character_handler,
    store_unavailable_handler,
    unexpected_error_handler,
)
from salon.lib.request_context import RequestContextMiddleware
from salon.realtime import hub as realtime_hub
from salon.settings import Settings, get_settings, trusted_proxies
from salon.system.controllers import HealthController
from salon.web import ROUTES as WEB_CLIENT_ROUTES

log = logging.getLogger("salon.server")

API_PREFIX = "/api/v1"
SWAGGER_ASSETS = "/static/swagger-ui"


class SalonMetrics(PrometheusController):
    path = "/metrics"
    include_in_schema = False


async def _quietly(closing: Awaitable[None], what: str) -> None:
    """Close a store connection on shutdown; the store may already be gone (salon dev stops everything at once)."""
    try:
        await closing
    except Exception:
        log.debug("closing the %s failed during shutdown", what, exc_info=True)


def _lifespan(settings: Settings) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        if not settings.valkey_url:
            raise RuntimeError("VALKEY_URL is not set (salon dev sets it for its embedded Valkey)")
        await db.start_pool(settings)
        await valkey_client.connect(settings.valkey_url, max_connections=settings.valkey_max_connections)
        await jobs.connect(settings.valkey_url)
        try:
            yield
        finally:
            await _quietly(jobs.close(), "job queue")
            await _quietly(valkey_client.close(), "valkey")
            await _quietly(db.close_pool(), "postgres pool")

    return lifespan


def _openapi() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="salon API",
        version=salon.__version__,
        description="Private AI conversations that become social content. Conventions: docs/api.md.",
        path="/schema",
        render_plugins=[
            SwaggerRenderPlugin(
                js_url=f"{SWAGGER_ASSETS}/swagger-ui-bundle.js",
                css_url=f"{SWAGGER_ASSETS}/swagger-ui.css",
                standalone_preset_js_url=f"{SWAGGER_ASSETS}/swagger-ui-standalone-preset.js",
                favicon=f"<link rel='icon' type='image/png' href='{SWAGGER_ASSETS}/favicon-32x32.png'>",
                path="/swagger",
            )
        ],
        components=Components(
            security_schemes={
                "BearerToken": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT"),
            }
        ),
    )


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()
    jobs.load_registry()
    prometheus = PrometheusConfig(app_name="salon", prefix="salon", group_path=True, exclude=["/metrics"])
    jwt_auth = auth.build_jwt_auth(settings)
    api = Router(
        path=API_PREFIX,
        route_handlers=api_route_handlers(),
        guards=[auth.signed_in],
        dependencies={
            "viewer": Provide(auth.provide_viewer),
            "maybe_viewer": Provide(auth.provide_optional_viewer),
            "settings": Provide(lambda: settings, use_cache=True, sync_to_thread=False),
        },
        security=[{"BearerToken": []}],
    )
    app = Litestar(
        route_handlers=[
            HealthController,
            SalonMetrics,
            api,
            create_static_files_router(
                path=SWAGGER_ASSETS, directories=[swagger_ui_path], include_in_schema=False, cache_control=None
            ),
            *WEB_CLIENT_ROUTES,  # the web client at / (salon.web)
        ],
        # Entered in order, left in reverse: the event hub, then the shutdown signal (ends streams, interrupts AI
        # replies), then AI replies record how they ended, and only then the stores close.
        lifespan=[_lifespan(settings), ai_generation.lifespan, shutdown.lifespan, realtime_hub.lifespan],
        # Once every lifespan started: what is alive now lives as long as the process. Not in tests, whose process
        # builds an app per test and keeps CPython's collector as it is.
        on_startup=[] if settings.environment == "test" else [lambda: gc_tuning.tune(settings.gc_young_threshold)],
        plugins=[
            # Our AppErrors render themselves; Litestar's own HTTP errors go through http_exception_handler below.
            ProblemDetailsPlugin(ProblemDetailsConfig()),
            salon_logging.plugin(settings.log_level),
        ],
        middleware=[prometheus.middleware],
        on_app_init=[jwt_auth.on_app_init],
        exception_handlers={
            HTTPException: http_exception_handler,
            CharacterNotInRepertoireError: nul_character_handler,  # a NUL the client sent reached Postgres
            Exception: unexpected_error_handler,
            ValkeyConnectionError: store_unavailable_handler,
            ValkeyTimeoutError: store_unavailable_handler,
        },
        request_class=Utf8BodyRequest,  # a body that is not UTF-8 is a 400, not a 500
        openapi_config=_openapi(),
        state=State({"settings": settings}),
        debug=False,
    )
    salon_openapi.install(app)  # error responses documented as what they are: problem+json
    # Outside Litestar's routing, so unrouted requests (404, 405) get a request id and an access-log line too.
    app.asgi_handler = RequestContextMiddleware(app.asgi_handler)
    if proxies := trusted_proxies(settings):
        # The client address and scheme a trusted reverse proxy reports (X-Forwarded-For / -Proto): Granian's own.
        app.asgi_handler = wrap_asgi_with_proxy_headers(app.asgi_handler, trusted_hosts=proxies)
    return app
