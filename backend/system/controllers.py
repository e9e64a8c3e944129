"""Liveness and readiness probes."""

from __future__ import annotations

import asyncio
import logging
import tempfile
from pathlib import Path
from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from redis.exceptions import RedisError

from backend import __version__
from backend.db.engine import Database
from backend.db.migrate import known_migrations, pending_ids
from backend.errors import AppError
from backend.settings import Settings
from media.store import BlobStore
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
        summary="The database answers, all migrations are applied and the media folder takes "
        "files (else 503 not_ready)",
    )
    async def ready(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
    ) -> Readiness:
        try:
            pending = await pending_ids(db)
        except Exception as exc:
            logger.warning("readiness: database unreachable: %s", exc)
            raise AppError(ErrorCode.not_ready, "Không kết nối được cơ sở dữ liệu.") from None
        if pending:
            raise AppError(ErrorCode.not_ready, f"Chưa áp dụng migration: {', '.join(pending)}.")
        problem = await asyncio.to_thread(_unwritable, Path(settings.media_root))
        if problem is None:
            blobs: BlobStore = request.app.state["services"].ctx.blobs
            try:
                await blobs.check_writable()
            except Exception as exc:  # whatever the store raises, it cannot take scans now
                problem = f"kho tệp {type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
        if problem:
            logger.warning("readiness: media folder not writable: %s", problem)
            raise AppError(ErrorCode.not_ready, f"Không ghi được vào thư mục tệp: {problem}.")
        return Readiness(
            status="ready",
            database=db.kind,
            migrations_applied=len(known_migrations()),
            media="writable",
            rate_limits=await _counters(request, settings),
        )


async def _counters(request: Request[Any, Any, Any], settings: Settings) -> str:
    """Where the rate limits count. Redis down does not make the process unready: the limits
    let requests through meanwhile (``backend/rate_limits.py``), so the office keeps working."""
    if settings.redis_url is None:
        return "memory"
    store = request.app.stores.get("rate_limit_login")
    try:
        await store.ping()  # type: ignore[attr-defined]
    except RedisError as exc:
        logger.warning("readiness: Redis unreachable, rate limits not counted: %s", exc)
        return "redis-unreachable"
    return "redis"


def _unwritable(root: Path) -> str | None:
    """What stops this process writing scans and uploads under ``root`` (a volume mounted with
    the wrong owner, a full or read-only disk), or ``None``."""
    for folder in (root, root / "tmp", root / "uploads"):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=folder, prefix=".ready-"):
                pass
        except OSError as exc:
            return f"{folder}: {exc.strerror or exc}"
    return None
