"""The device's durable outbox: an SQLite file (WAL, synchronous=FULL) and a folder of scans.

Nothing captured is deleted before the server confirmed its commit, and every state change is
one SQLite transaction, so a kill -9 at any moment leaves the outbox either before or after the
change, never halfway. Scans are normalised (``media.normalise``) before they are stored, written
to a temporary file, fsynced and renamed under their sha256.

What is stored is the shared wire types (``schemas.sync``) encoded as JSON, so a field renamed
on the server breaks this client's type check, not a tablet in the field. The file carries its
schema version in ``PRAGMA user_version``; :data:`MIGRATIONS` brings an older file up to date
in order, each step in one transaction with the version it reaches, so an update never strands
the unsent dossiers of a tablet that was offline when it was installed.
"""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import msgspec

from media.store import write_atomically
from schemas.catalog import Procedure
from schemas.communes import Team
from schemas.dossiers import DocumentRef
from schemas.sync import (
    BatchItem,
    BatchManifest,
    BlobRef,
    Bootstrap,
    Change,
    DeliveryChange,
    ItemKind,
    ItemResult,
    LaterItem,
    NewDossier,
    OutboxState,
    Rating,
    Supplement,
)

__all__ = ["MIGRATIONS", "Outbox", "OutboxError", "OutboxTooNewError", "PendingBlob", "SealedBatch"]

_V1 = """
CREATE TABLE IF NOT EXISTS setting (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS dossier (
    id TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    batch_id TEXT,
    code TEXT,
    outcome_code TEXT,
    detail TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS blob (
    sha256 TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    media_type TEXT NOT NULL,
    upload_url TEXT,
    uploaded INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS batch (
    id TEXT PRIMARY KEY,
    manifest TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'sealed',
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS change (
    seq INTEGER PRIMARY KEY,
    dossier_id TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS source (
    fingerprint TEXT PRIMARY KEY,
    dossier_id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS dossier_state ON dossier (state);
"""


def _v1(db: sqlite3.Connection) -> None:
    """The first schema. An outbox made before versioning (``user_version`` 0) has it
    already, so every statement is ``IF NOT EXISTS``."""
    for statement in _V1.split(";"):
        if statement.strip():
            db.execute(statement)


def _v2(db: sqlite3.Connection) -> None:
    """What the office last said of each dossier (status, due date, standing), so the device
    can tell the household without reading the whole change log; filled from the changes
    already pulled."""
    db.execute("ALTER TABLE dossier ADD COLUMN status_code INTEGER")
    db.execute("ALTER TABLE dossier ADD COLUMN status_label TEXT NOT NULL DEFAULT ''")
    db.execute("ALTER TABLE dossier ADD COLUMN due_date TEXT")
    db.execute("ALTER TABLE dossier ADD COLUMN standing TEXT")
    rows = db.execute("SELECT body FROM change ORDER BY seq").fetchall()
    for (body,) in rows:
        _apply_change(db, msgspec.json.decode(body, type=Change))


def _v3(db: sqlite3.Connection) -> None:
    """Items that follow a dossier already sent: the missing pages of a supplement request
    and the household's rating. ``position`` is the item's index in its sealed batch, which
    is how the server's per-item results name it."""
    db.execute(
        "CREATE TABLE item ("
        " id TEXT PRIMARY KEY, kind TEXT NOT NULL, dossier_ref TEXT NOT NULL, body TEXT NOT NULL,"
        " state TEXT NOT NULL DEFAULT 'pending', batch_id TEXT, position INTEGER,"
        " outcome_code TEXT, detail TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL)"
    )
    db.execute("CREATE INDEX item_state ON item (state)")


MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (_v1, _v2, _v3)
"""Step ``n`` (1-based) takes an outbox from ``user_version`` n-1 to n. Append only."""


class OutboxError(Exception):
    """The outbox cannot be used as it is."""


class OutboxTooNewError(OutboxError):
    """The outbox was written by a newer field-sync than this one."""


@dataclass(frozen=True)
class SealedBatch:
    """A batch whose manifest is fixed; pushing it again sends the very same manifest."""

    id: str
    manifest: BatchManifest
    state: str


@dataclass(frozen=True)
class PendingBlob:
    """A scan the server may still need."""

    sha256: str
    size: int
    media_type: str
    path: Path
    upload_url: str | None


def _apply_change(db: sqlite3.Connection, change: Change) -> None:
    db.execute(
        "UPDATE dossier SET code = coalesce(?, code), status_code = ?, status_label = ?, "
        "due_date = ?, standing = ? WHERE id = ?",
        (
            change.dossier_code,
            change.status.code,
            change.status.label,
            change.due_date.isoformat() if change.due_date else None,
            change.standing.value,
            change.dossier_id,
        ),
    )


class Outbox:
    """The device's local store."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / "scans").mkdir(exist_ok=True)
        self._db = sqlite3.connect(
            self.folder / "outbox.sqlite3",
            isolation_level=None,
            timeout=30,
            # A push's upload threads record their uploads' addresses, under the agent's lock.
            check_same_thread=False,
        )
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._migrate()

    def _migrate(self) -> None:
        with self._tx() as db:
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            if version > len(MIGRATIONS):
                raise OutboxTooNewError(
                    f"hàng đợi {self.folder} do field-sync mới hơn tạo (phiên bản {version}); "
                    "hãy cập nhật field-sync"
                )
            for number in range(version + 1, len(MIGRATIONS) + 1):
                MIGRATIONS[number - 1](db)
                db.execute(f"PRAGMA user_version = {number}")

    @property
    def schema_version(self) -> int:
        """The outbox's schema version (``PRAGMA user_version``)."""
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    @contextlib.contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # --- settings -------------------------------------------------------------------------

    def get(self, key: str, default: str | None = None) -> str | None:
        """A stored setting (server address, device id, token, cursor...)."""
        row = self._db.execute("SELECT value FROM setting WHERE key = ?", (key,)).fetchone()
        return row["value"] if row else default

    def set(self, **values: str) -> None:
        """Store settings in one transaction."""
        with self._tx() as db:
            for key, value in values.items():
                db.execute(
                    "INSERT INTO setting (key, value) VALUES (?, ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (key, value),
                )

    def save_bootstrap(self, boot: Bootstrap) -> None:
        """Keep what the server said a device needs offline: team, commune, catalog, limits."""
        self.set(
            team=msgspec.json.encode(boot.team).decode(),
            commune=msgspec.json.encode(boot.commune).decode(),
            catalog=msgspec.json.encode(boot.procedures).decode(),
            catalog_revision=str(boot.catalog_revision),
            chunk_bytes=str(boot.limits.chunk_bytes),
        )

    def catalog(self) -> dict[str, Procedure]:
        """The procedures this device may capture, by code (empty before the first bootstrap)."""
        stored = self.get("catalog")
        procedures = msgspec.json.decode(stored, type=list[Procedure]) if stored else []
        return {p.code: p for p in procedures}

    def team(self) -> Team | None:
        """The device's team, as of the last bootstrap."""
        stored = self.get("team")
        return msgspec.json.decode(stored, type=Team) if stored else None

    # --- capture --------------------------------------------------------------------------

    def add_scan(self, data: bytes, media_type: str) -> str:
        """Store a (normalised) scan under its sha256; return the hash."""
        digest = hashlib.sha256(data).hexdigest()
        path = self.scan_path(digest)
        if not path.exists():
            write_atomically(path, data)
        with self._tx() as db:
            db.execute(
                "INSERT INTO blob (sha256, size, media_type) VALUES (?, ?, ?) "
                "ON CONFLICT (sha256) DO NOTHING",
                (digest, len(data), media_type),
            )
        return digest

    def scan_path(self, sha256: str) -> Path:
        """Where a scan's bytes are kept."""
        return self.folder / "scans" / sha256

    def add_dossier(self, dossier: NewDossier, source: str | None = None) -> None:
        """Queue a captured dossier (its scans must be stored first).

        ``source`` fingerprints what the dossier was made from (a watched folder's files); it is
        recorded in the same transaction, so files captured once are never captured again.
        """
        self._require_scans(dossier.documents)
        with self._tx() as db:
            db.execute(
                "INSERT INTO dossier (id, body, created_at) VALUES (?, ?, ?)",
                (dossier.id, msgspec.json.encode(dossier).decode(), _now()),
            )
            if source is not None:
                db.execute(
                    "INSERT INTO source (fingerprint, dossier_id) VALUES (?, ?)",
                    (source, dossier.id),
                )

    def add_item(self, item_id: str, item: LaterItem) -> None:
        """Queue a supplement's pages, a rating or a change of delivery for a dossier sent."""
        match item:
            case Supplement():
                self._require_scans(item.documents)
                kind, ref = ItemKind.supplement, item.dossier_id or item.dossier_code or ""
            case Rating():
                kind, ref = ItemKind.rating, item.dossier_id
            case DeliveryChange():
                kind, ref = ItemKind.delivery, item.dossier_id
        with self._tx() as db:
            db.execute(
                "INSERT INTO item (id, kind, dossier_ref, body, created_at) VALUES (?, ?, ?, ?, ?)",
                (item_id, kind.value, ref, msgspec.json.encode(item).decode(), _now()),
            )

    def _require_scans(self, documents: list[DocumentRef]) -> None:
        """Every page named must be stored first (a dossier never points at nothing)."""
        for document in documents:
            if not self.scan_path(document.sha256).exists():
                raise OutboxError(f"scan {document.sha256} is not in the outbox")

    def items(self) -> list[sqlite3.Row]:
        """Every supplement and rating queued on this device, oldest first."""
        return self._db.execute("SELECT * FROM item ORDER BY created_at, id").fetchall()

    def dossier_from(self, source: str) -> str | None:
        """The dossier already captured from ``source``, if any."""
        row = self._db.execute(
            "SELECT dossier_id FROM source WHERE fingerprint = ?", (source,)
        ).fetchone()
        return str(row["dossier_id"]) if row else None

    def has_work(self) -> bool:
        """Whether anything waits to be pushed."""
        row = self._db.execute(
            "SELECT (SELECT count(*) FROM dossier WHERE state = 'pending') "
            "+ (SELECT count(*) FROM item WHERE state = 'pending') "
            "+ (SELECT count(*) FROM batch WHERE state != 'committed')"
        ).fetchone()
        return bool(row[0])

    def dossiers(self) -> list[sqlite3.Row]:
        """Every dossier the outbox knows, oldest first."""
        return self._db.execute("SELECT * FROM dossier ORDER BY created_at, id").fetchall()

    @staticmethod
    def body(row: sqlite3.Row) -> NewDossier:
        """The captured dossier of a row of :meth:`dossiers`."""
        return msgspec.json.decode(row["body"], type=NewDossier)

    # --- batches --------------------------------------------------------------------------

    def open_batches(self) -> list[SealedBatch]:
        """Batches sealed but not yet confirmed committed, oldest first."""
        rows = self._db.execute(
            "SELECT * FROM batch WHERE state != 'committed' ORDER BY created_at, id"
        ).fetchall()
        return [
            SealedBatch(r["id"], msgspec.json.decode(r["manifest"], type=BatchManifest), r["state"])
            for r in rows
        ]

    def seal(self, batch_id: str, limit: int) -> SealedBatch | None:
        """Put up to ``limit`` pending dossiers into a new batch, atomically."""
        with self._tx() as db:
            rows = db.execute(
                "SELECT id, body FROM dossier WHERE state = 'pending' ORDER BY created_at, id "
                "LIMIT ?",
                (limit,),
            ).fetchall()
            later = db.execute(
                "SELECT id, body FROM item WHERE state = 'pending' ORDER BY created_at, id LIMIT ?",
                (limit - len(rows),),
            ).fetchall()
            if not rows and not later:
                return None
            items: list[BatchItem] = [self.body(r) for r in rows]
            items += [msgspec.json.decode(r["body"], type=LaterItem) for r in later]
            hashes = sorted({d.sha256 for item in items for d in getattr(item, "documents", [])})
            blobs = [
                BlobRef(sha256=b["sha256"], size=b["size"], media_type=b["media_type"])
                for b in db.execute(
                    f"SELECT sha256, size, media_type FROM blob WHERE sha256 IN "  # noqa: S608
                    f"({','.join('?' * len(hashes))}) ORDER BY sha256",
                    hashes,
                ).fetchall()
            ]
            manifest = BatchManifest(batch_id=batch_id, items=items, blobs=blobs)
            db.execute(
                "INSERT INTO batch (id, manifest, created_at) VALUES (?, ?, ?)",
                (batch_id, msgspec.json.encode(manifest).decode(), _now()),
            )
            db.executemany(
                "UPDATE dossier SET state = 'batched', batch_id = ? WHERE id = ?",
                [(batch_id, r["id"]) for r in rows],
            )
            db.executemany(
                "UPDATE item SET state = 'batched', batch_id = ?, position = ? WHERE id = ?",
                [(batch_id, len(rows) + n, r["id"]) for n, r in enumerate(later)],
            )
        return SealedBatch(batch_id, manifest, "sealed")

    def blobs_to_upload(self, hashes: list[str]) -> list[PendingBlob]:
        """The listed scans, with any upload already begun."""
        result = []
        for digest in hashes:
            row = self._db.execute("SELECT * FROM blob WHERE sha256 = ?", (digest,)).fetchone()
            if row is None:
                raise OutboxError(f"the server asks for {digest}, which this outbox never had")
            result.append(
                PendingBlob(
                    digest,
                    row["size"],
                    row["media_type"],
                    self.scan_path(digest),
                    row["upload_url"],
                )
            )
        return result

    def remember_upload(self, sha256: str, url: str | None, uploaded: bool = False) -> None:
        """Keep a tus upload's URL so a restart resumes it instead of starting over."""
        with self._tx() as db:
            db.execute(
                "UPDATE blob SET upload_url = ?, uploaded = ? WHERE sha256 = ?",
                (url, int(uploaded), sha256),
            )

    def mark_batch(self, batch_id: str, state: str) -> None:
        """Record how far a batch got (``accepted`` by the server, ...)."""
        with self._tx() as db:
            db.execute("UPDATE batch SET state = ? WHERE id = ?", (state, batch_id))

    def record_commit(self, batch_id: str, results: list[ItemResult]) -> None:
        """Apply the server's per-dossier results; only now are dossiers settled."""
        with self._tx() as db:
            for result in results:
                state = OutboxState.after(result.outcome).value
                if result.kind is not ItemKind.dossier:
                    db.execute(
                        "UPDATE item SET state = ?, outcome_code = ?, detail = ? "
                        "WHERE batch_id = ? AND position = ?",
                        (state, result.code, result.detail, batch_id, result.index),
                    )
                elif result.dossier_id:
                    db.execute(
                        "UPDATE dossier SET state = ?, outcome_code = ?, detail = ? WHERE id = ?",
                        (state, result.code, result.detail, result.dossier_id),
                    )
            db.execute("UPDATE batch SET state = 'committed' WHERE id = ?", (batch_id,))

    # --- changes --------------------------------------------------------------------------

    def record_changes(self, changes: list[Change], cursor: int) -> None:
        """Store pulled changes and advance the cursor together."""
        with self._tx() as db:
            for change in changes:
                db.execute(
                    "INSERT INTO change (seq, dossier_id, body) VALUES (?, ?, ?) "
                    "ON CONFLICT (seq) DO NOTHING",
                    (change.seq, change.dossier_id, msgspec.json.encode(change).decode()),
                )
                _apply_change(db, change)
            db.execute(
                "INSERT INTO setting (key, value) VALUES ('cursor', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (str(cursor),),
            )

    def changes(self) -> list[Change]:
        """Every change pulled so far, in sequence order."""
        rows = self._db.execute("SELECT body FROM change ORDER BY seq").fetchall()
        return [msgspec.json.decode(r["body"], type=Change) for r in rows]


def _now() -> str:
    return datetime.now(UTC).isoformat()
