"""Wire types for liveness and readiness probes."""

from __future__ import annotations

import msgspec

__all__ = ["Health", "Readiness"]


class Health(msgspec.Struct, frozen=True):
    """The process is up."""

    status: str
    version: str


class Readiness(msgspec.Struct, frozen=True):
    """The database answers, every migration is applied and the media folder takes files."""

    status: str
    database: str
    """``sqlite`` or ``postgres``."""
    migrations_applied: int
    media: str
    """``writable``: scans and uploads can be written to the media folder."""
    rate_limits: str
    """Where the rate limits count: ``memory`` (each worker), ``redis`` (shared), or
    ``redis-unreachable`` (requests pass uncounted until Redis answers)."""
