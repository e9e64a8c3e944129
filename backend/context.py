"""What every service needs: the database, the clock and the settings."""

from __future__ import annotations

from dataclasses import dataclass

from backend.clock import Clock
from backend.db.engine import Database
from backend.settings import Settings
from media.store import BlobStore

__all__ = ["Context"]


@dataclass(frozen=True)
class Context:
    """Shared, stateless collaborators of the domain services."""

    db: Database
    clock: Clock
    settings: Settings
    blobs: BlobStore
