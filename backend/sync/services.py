"""The sync protocol's server side."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import msgspec

from backend.accounts.principal import DevicePrincipal
from backend.catalog.services import CatalogService
from backend.communes.services import CommuneService
from backend.context import Context
from media.images import ACCEPTED_TYPES, DEFAULT_MAX_BYTES
from schemas import sync as wire

__all__ = ["CHUNK_BYTES", "MAX_DOSSIERS_PER_BATCH", "SyncService"]

CHUNK_BYTES = 128 * 1024
"""Preferred tus PATCH size: small enough that a cut 2G link loses little."""

MAX_DOSSIERS_PER_BATCH = 200

_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


class SyncService:
    """What devices exchange with the server."""

    def __init__(self, ctx: Context, communes: CommuneService, catalog: CatalogService) -> None:
        self.ctx = ctx
        self.communes = communes
        self.catalog = catalog

    async def bootstrap(self, device: DevicePrincipal) -> wire.Bootstrap:
        """Everything a device needs before capturing."""
        revision = await self.catalog.revision(device.commune_code)
        procedures = await self.catalog.list_for_commune(device.commune_code)
        return wire.Bootstrap(
            device_id=device.device_id,
            team=await self.communes.team_in(device.commune_code, device.team_id),
            commune=await self.communes.get(device.commune_code),
            catalog_revision=revision,
            procedures=procedures,
            limits=wire.Limits(
                max_blob_bytes=DEFAULT_MAX_BYTES,
                chunk_bytes=CHUNK_BYTES,
                accepted_media_types=sorted(ACCEPTED_TYPES),
                max_dossiers_per_batch=MAX_DOSSIERS_PER_BATCH,
            ),
            server_time=self.ctx.clock.now(),
        )

    @staticmethod
    def bootstrap_etag(boot: wire.Bootstrap) -> str:
        """A weak ETag over everything in the bootstrap except the server time."""
        stable = msgspec.structs.replace(boot, server_time=_EPOCH)
        digest = hashlib.sha256(msgspec.json.encode(stable)).hexdigest()[:20]
        return f'W/"boot-{boot.catalog_revision}-{digest}"'
