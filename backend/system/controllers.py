"""Liveness and readiness probes."""

from __future__ import annotations

import asyncio
import logging
import tempfile
from pathlib import Path

from litestar import Controller, get
from litestar.di import NamedDependency

from backend import __version__
from backend.db.engine import Database
from backend.db.migrate import known_migrations, pending_ids
from backend.errors import AppError
from backend.settings import Settings
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
        self, db: NamedDependency[Database], settings: NamedDependency[Settings]
    ) -> Readiness:
        try:
            pending = await pending_ids(db)
        except Exception as exc:
            logger.warning("readiness: database unreachable: %s", exc)
            raise AppError(ErrorCode.not_ready, "Không kết nối được cơ sở dữ liệu.") from None
        if pending:
            raise AppError(ErrorCode.not_ready, f"Chưa áp dụng migration: {', '.join(pending)}.")
        problem = await asyncio.to_thread(_unwritable, Path(settings.media_root))
        if problem:
            logger.warning("readiness: media folder not writable: %s", problem)
            raise AppError(ErrorCode.not_ready, f"Không ghi được vào thư mục tệp: {problem}.")
        return Readiness(
            status="ready",
            database=db.kind,
            migrations_applied=len(known_migrations()),
            media="writable",
        )


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
