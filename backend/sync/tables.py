"""Batches pushed by devices and their resumable (tus) uploads."""

from __future__ import annotations

from piccolo.columns import JSONB, BigInt, ForeignKey, OnDelete, Timestamptz, Varchar
from piccolo.table import Table

from backend.communes.tables import Commune, Team
from backend.devices.tables import Device

__all__ = ["SyncBatch", "Upload"]


class SyncBatch(Table, tablename="sync_batch"):
    """A device's manifest, kept verbatim with its hash; ``result`` is set once committed."""

    id = Varchar(length=26, primary_key=True)
    device = ForeignKey(Device, null=False, on_delete=OnDelete.restrict, index=True)
    commune = ForeignKey(Commune, null=False, on_delete=OnDelete.restrict)
    team = ForeignKey(Team, null=False, on_delete=OnDelete.restrict)
    manifest_hash = Varchar(length=64)
    manifest = JSONB()
    created_at = Timestamptz()
    committed_at = Timestamptz(null=True, default=None)
    result = JSONB(null=True, default=None)


class Upload(Table, tablename="upload"):
    """A tus upload in progress; its bytes live in ``MEDIA_ROOT/uploads/<id>.part``."""

    id = Varchar(length=32, primary_key=True)
    device = ForeignKey(Device, null=False, on_delete=OnDelete.restrict, index=True)
    sha256 = Varchar(length=64)
    media_type = Varchar(length=100)
    length = BigInt()
    offset = BigInt(default=0)
    created_at = Timestamptz()
    expires_at = Timestamptz(index=True)
    holder = Varchar(length=32, null=True, default=None)
    """Who may write the upload now (a lease, so processes behind one proxy take turns)."""
    held_until = Timestamptz(null=True, default=None)
    """When the holder's lease runs out if it is not renewed (its process may have died)."""
