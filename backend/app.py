"""The app factory: everything the service needs is built here, from a Settings object."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, Request
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.logging import LoggingConfig
from litestar.middleware.base import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from backend import __version__
from backend.accounts.controllers import AuthController, UserController
from backend.auth.middleware import SESSION_COOKIE, AuthenticationMiddleware
from backend.auth.principal import Principal, principal_of
from backend.catalog.controllers import ProcedureController
from backend.clock import Clock, SystemClock
from backend.communes.controllers import CommuneController, TeamController
from backend.context import Context
from backend.db.engine import Database
from backend.devices.controllers import DeviceController, EnrolmentController
from backend.dossiers.controllers import (
    DossierController,
    HolidayController,
    TrackingController,
)
from backend.edge import EdgeMiddleware, answer_headers
from backend.errors import exception_handlers
from backend.field_app.controllers import FieldAppController
from backend.logs import formatters, install_request_ids
from backend.metrics import MetricsController
from backend.openapi import document
from backend.rate_limits import rate_limit_middleware, rate_limit_stores
from backend.reports.controllers import ReportController
from backend.settings import Settings, blob_store
from backend.sync.controllers import SyncController
from backend.sync.upload_controller import UploadController
from backend.system.controllers import SystemController
from backend.telemetry import prometheus_config
from backend.web import PAGE_CONTROLLERS, page_error, static_files, template_config
from backend.wiring import TABLES, Services

__all__ = ["app_from_env", "create_app"]

logger = logging.getLogger("luudong")
SWEEP_INTERVAL_S = 600.0

CONTROLLERS = (
    SystemController,
    AuthController,
    UserController,
    CommuneController,
    TeamController,
    ProcedureController,
    DossierController,
    TrackingController,
    HolidayController,
    ReportController,
    EnrolmentController,
    DeviceController,
    SyncController,
    UploadController,
    FieldAppController,
    MetricsController,
)


async def _sweep_uploads(services: Services) -> None:
    """Every few minutes, drop expired uploads (each replica may; the work is idempotent)."""
    while True:
        await asyncio.sleep(SWEEP_INTERVAL_S)
        try:
            swept = await services.uploads.sweep()
        except Exception:
            logger.exception("upload sweep failed; trying again next round")
        else:
            if swept:
                logger.info("swept %d expired uploads", swept)


def _provide_principal(request: Request[Any, Any, Any]) -> Principal:
    return principal_of(request)


def _proxies(settings: Settings) -> list[DefineMiddleware]:
    """The client's address and scheme from ``X-Forwarded-For`` / ``-Proto``, only when the
    peer is one of ``TRUSTED_PROXIES`` (the rightmost address no trusted proxy added is the
    client's), so the rate limits and the audit trail see the real address behind the proxy
    and a forged header from anyone else changes nothing."""
    if not settings.trusted_proxies:
        return []
    trusted = list(settings.trusted_proxies)
    return [DefineMiddleware(ProxyHeadersMiddleware, trusted_hosts=trusted)]  # type: ignore[arg-type]


def _cors(settings: Settings) -> CORSConfig | None:
    """Cross-origin calls from the configured origins only (none by default). Bearer tokens
    travel in a header, never a cookie, so credentials are not allowed."""
    if not settings.cors_origins:
        return None
    return CORSConfig(
        allow_origins=list(settings.cors_origins),
        allow_methods=["GET", "POST", "PATCH", "HEAD", "DELETE", "OPTIONS"],
        allow_headers=[
            "Authorization",
            "Content-Type",
            "Tus-Resumable",
            "Upload-Length",
            "Upload-Offset",
            "Upload-Metadata",
            "Upload-Checksum",
            "X-HTTP-Method-Override",
            "X-App-Version",
        ],
        expose_headers=[
            "Location",
            "Tus-Resumable",
            "Tus-Version",
            "Tus-Extension",
            "Tus-Max-Size",
            "Tus-Checksum-Algorithm",
            "Upload-Offset",
            "Upload-Length",
            "Upload-Expires",
            "Retry-After",
        ],
        allow_credentials=False,
        max_age=600,
    )


def create_app(settings: Settings, *, clock: Clock | None = None) -> Litestar:
    """Build the Litestar app for ``settings``.

    The database engine is created and bound to the tables here, not at import; the PostgreSQL
    pool opens on startup and closes on shutdown.
    """
    install_request_ids()
    db = Database(settings.database_url, pool_size=settings.pg_pool_size)
    db.bind(TABLES)
    services = Services.build(
        Context(
            db=db,
            clock=clock or SystemClock(),
            settings=settings,
            blobs=blob_store(settings),
        )
    )

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncGenerator[None, None]:
        await db.start()
        sweeper = asyncio.create_task(_sweep_uploads(services))
        try:
            yield
        finally:
            sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeper
            await db.stop()

    app = Litestar(
        route_handlers=[*CONTROLLERS, *PAGE_CONTROLLERS, static_files()],
        template_config=template_config(),
        state=State({"services": services, "page_errors": page_error}),
        dependencies={
            **services.provide(),
            "principal": Provide(_provide_principal, sync_to_thread=False),
        },
        middleware=[
            EdgeMiddleware(),
            *_proxies(settings),
            prometheus_config().middleware,
            *rate_limit_middleware(settings),
            DefineMiddleware(
                AuthenticationMiddleware,
                tokens=(services.devices, services.accounts),
                sessions=services.accounts,
                exclude=["^/schema"],
            ),
        ],
        exception_handlers=exception_handlers(),
        before_send=[answer_headers],
        cors_config=_cors(settings),
        lifespan=[lifespan],
        stores=rate_limit_stores(settings),
        request_max_body_size=settings.max_request_body,
        openapi_config=OpenAPIConfig(
            title="Lưu Động API",
            version=__version__,
            description="Field-sync backend for Vietnamese roaming public-service teams. "
            "Errors are RFC 9457 problem+json with a stable `code`.",
            path="/schema",
            # Swagger UI from this server's own files (make frontend copies them from npm):
            # the docs must open on a commune's LAN with no Internet.
            render_plugins=[
                SwaggerRenderPlugin(
                    path=["/", "/swagger"],
                    js_url="/static/build/swagger-ui-bundle.js",
                    css_url="/static/build/swagger-ui.css",
                    standalone_preset_js_url="/static/build/swagger-ui-standalone-preset.js",
                    favicon='<link rel="icon" href="/static/favicon.svg">',
                )
            ],
            components=Components(
                security_schemes={
                    "bearer": SecurityScheme(type="http", scheme="bearer"),
                    "session": SecurityScheme(
                        type="apiKey", name=SESSION_COOKIE, security_scheme_in="cookie"
                    ),
                }
            ),
            security=[{"bearer": []}, {"session": []}],
        ),
        logging_config=LoggingConfig(
            root={"level": "INFO", "handlers": ["queue_listener"]},
            formatters=formatters(settings.log_format),
            log_exceptions="debug" if settings.debug else "never",
        ),
        debug=settings.debug,
    )
    document(app)
    return app


def app_from_env() -> Litestar:
    """Factory for ASGI servers (``uvicorn --factory backend.app:app_from_env``)."""
    logging.getLogger("luudong").setLevel(logging.INFO)
    return create_app(Settings.from_env())
