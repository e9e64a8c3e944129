"""Liveness and readiness probes."""

from __future__ import annotations

import logging

from litestar import Controller, get
from litestar.di import NamedDependency

from backend import __version__
from backend.db.engine import Database
from backend.db.migrate import known_migrations, pending_ids
from backend.errors import AppError
from schemas.errors import ErrorCode
from schemas.system import Health, Readiness

__all__ = ["SystemController"]

logger = logging.getLogger("luudong.system")


class SystemController(Controller):
    """Probes for process managers and load balancers; no authentication."""

    path = "/"
    tags = ["system"]

    @get("/health", exclude_from_auth=True, summary="The process is up")
    async def health(self) -> Health:
        return Health(status="ok", version=__version__)

    @get(
        "/ready",
        exclude_from_auth=True,
        summary="The database answers and all migrations are applied (else 503 not_ready)",
    )
    async def ready(self, db: NamedDependency[Database]) -> Readiness:
        try:
            pending = await pending_ids(db)
        except Exception as exc:
            logger.warning("readiness: database unreachable: %s", exc)
            raise AppError(ErrorCode.not_ready, "Không kết nối được cơ sở dữ liệu.") from None
        if pending:
            raise AppError(ErrorCode.not_ready, f"Chưa áp dụng migration: {', '.join(pending)}.")
        return Readiness(
            status="ready", database=db.kind, migrations_applied=len(known_migrations())
        )
