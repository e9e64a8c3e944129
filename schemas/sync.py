"""Wire types of the sync protocol."""

from __future__ import annotations

from datetime import datetime

import msgspec

from schemas.catalog import Procedure
from schemas.communes import Commune, Team

__all__ = ["Bootstrap", "Limits"]


class Limits(msgspec.Struct, frozen=True, kw_only=True):
    """What the server accepts, so the client can prepare its uploads."""

    max_blob_bytes: int
    chunk_bytes: int
    """Preferred tus PATCH size; the client may send less on a weak link."""
    accepted_media_types: list[str]
    max_dossiers_per_batch: int


class Bootstrap(msgspec.Struct, frozen=True, kw_only=True):
    """Everything a freshly enrolled (or returning) device needs before capturing."""

    device_id: str
    team: Team
    commune: Commune
    catalog_revision: int
    procedures: list[Procedure]
    """Active procedures of the commune's catalog."""
    limits: Limits
    server_time: datetime
    """The server's clock, so the client can note its own skew."""
