"""Which commune holds which blob."""

from __future__ import annotations

from piccolo.columns import ForeignKey, OnDelete, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table

from backend.communes.tables import Commune

__all__ = ["BlobCustody"]


class BlobCustody(Table, tablename="blob_custody"):
    """A commune's right to a stored blob: its staff or devices proved they had the bytes.

    The store is deduplicated by hash across communes; this row, unique per ``(commune,
    sha256)``, is what lets a dossier of one commune name a blob. A commune that never sent the
    bytes cannot reach another commune's scan by quoting its hash.
    """

    id = Serial(primary_key=True)
    commune = ForeignKey(Commune, null=False, on_delete=OnDelete.restrict)
    sha256 = Varchar(length=64, index=True)
    source = Varchar(length=16)
    """How the commune came to hold it: ``upload``, ``dossier`` (data from before custody was
    recorded) or ``demo``."""
    refused = Text(null=True, default=None)
    """Why the image was refused (``"code: detail"``) when it was checked at upload; its bytes
    are then removed from the store, and a batch naming it is answered with this reason."""
    at = Timestamptz()
