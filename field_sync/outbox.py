"""The device's durable outbox: an SQLite file (WAL, synchronous=FULL) and a folder of scans.

Nothing captured is deleted before the server confirmed its commit, and every state change is
one SQLite transaction, so a kill -9 at any moment leaves the outbox either before or after the
change, never halfway. Scans are normalised (``media.normalise``) before they are stored, written
to a temporary file, fsynced and renamed under their sha256.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from media.store import write_atomically

__all__ = ["Outbox", "PendingBlob", "SealedBatch"]

_SCHEMA = """
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


@dataclass(frozen=True)
class SealedBatch:
    """A batch whose manifest is fixed; pushing it again sends the very same manifest."""

    id: str
    manifest: dict[str, Any]
    state: str


@dataclass(frozen=True)
class PendingBlob:
    """A scan the server may still need."""

    sha256: str
    size: int
    media_type: str
    path: Path
    upload_url: str | None


class Outbox:
    """The device's local store."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / "scans").mkdir(exist_ok=True)
        self._db = sqlite3.connect(self.folder / "outbox.sqlite3", isolation_level=None, timeout=30)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)

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

    def add_dossier(self, dossier_id: str, body: dict[str, Any], source: str | None = None) -> None:
        """Queue a captured dossier (its scans must be stored first).

        ``source`` fingerprints what the dossier was made from (a watched folder's files); it is
        recorded in the same transaction, so files captured once are never captured again.
        """
        for document in body.get("documents", []):
            if not self.scan_path(document["sha256"]).exists():
                raise ValueError(f"scan {document['sha256']} is not in the outbox")
        with self._tx() as db:
            db.execute(
                "INSERT INTO dossier (id, body, created_at) VALUES (?, ?, ?)",
                (dossier_id, json.dumps(body, ensure_ascii=False), _now()),
            )
            if source is not None:
                db.execute(
                    "INSERT INTO source (fingerprint, dossier_id) VALUES (?, ?)",
                    (source, dossier_id),
                )

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
            "+ (SELECT count(*) FROM batch WHERE state != 'committed')"
        ).fetchone()
        return bool(row[0])

    def dossiers(self) -> list[sqlite3.Row]:
        """Every dossier the outbox knows, oldest first."""
        return self._db.execute("SELECT * FROM dossier ORDER BY created_at, id").fetchall()

    # --- batches --------------------------------------------------------------------------

    def open_batches(self) -> list[SealedBatch]:
        """Batches sealed but not yet confirmed committed, oldest first."""
        rows = self._db.execute(
            "SELECT * FROM batch WHERE state != 'committed' ORDER BY created_at, id"
        ).fetchall()
        return [SealedBatch(r["id"], json.loads(r["manifest"]), r["state"]) for r in rows]

    def seal(self, batch_id: str, limit: int) -> SealedBatch | None:
        """Put up to ``limit`` pending dossiers into a new batch, atomically."""
        with self._tx() as db:
            rows = db.execute(
                "SELECT id, body FROM dossier WHERE state = 'pending' ORDER BY created_at, id "
                "LIMIT ?",
                (limit,),
            ).fetchall()
            if not rows:
                return None
            items = [{"type": "dossier", **json.loads(r["body"])} for r in rows]
            hashes = sorted({d["sha256"] for item in items for d in item.get("documents", [])})
            blobs = (
                [
                    dict(b)
                    for b in db.execute(
                        f"SELECT sha256, size, media_type FROM blob WHERE sha256 IN "  # noqa: S608
                        f"({','.join('?' * len(hashes))})",
                        hashes,
                    ).fetchall()
                ]
                if hashes
                else []
            )
            manifest = {"batch_id": batch_id, "items": items, "blobs": blobs}
            db.execute(
                "INSERT INTO batch (id, manifest, created_at) VALUES (?, ?, ?)",
                (batch_id, json.dumps(manifest, ensure_ascii=False), _now()),
            )
            db.executemany(
                "UPDATE dossier SET state = 'batched', batch_id = ? WHERE id = ?",
                [(batch_id, r["id"]) for r in rows],
            )
        return SealedBatch(batch_id, manifest, "sealed")

    def blobs_to_upload(self, hashes: list[str]) -> list[PendingBlob]:
        """The listed scans, with any upload already begun."""
        result = []
        for digest in hashes:
            row = self._db.execute("SELECT * FROM blob WHERE sha256 = ?", (digest,)).fetchone()
            if row is None:
                raise KeyError(f"the server asks for {digest}, which this outbox never had")
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

    def record_commit(self, batch_id: str, results: list[dict[str, Any]]) -> None:
        """Apply the server's per-dossier results; only now are dossiers settled."""
        with self._tx() as db:
            for result in results:
                if result.get("kind") != "dossier" or not result.get("dossier_id"):
                    continue
                state = {
                    "accepted": "committed",
                    "duplicate": "committed",
                }.get(result["outcome"], result["outcome"])
                db.execute(
                    "UPDATE dossier SET state = ?, outcome_code = ?, detail = ? WHERE id = ?",
                    (state, result.get("code"), result.get("detail", ""), result["dossier_id"]),
                )
            db.execute("UPDATE batch SET state = 'committed' WHERE id = ?", (batch_id,))

    # --- changes --------------------------------------------------------------------------

    def record_changes(self, changes: list[dict[str, Any]], cursor: int) -> None:
        """Store pulled changes and advance the cursor together."""
        with self._tx() as db:
            for change in changes:
                db.execute(
                    "INSERT INTO change (seq, dossier_id, body) VALUES (?, ?, ?) "
                    "ON CONFLICT (seq) DO NOTHING",
                    (change["seq"], change["dossier_id"], json.dumps(change, ensure_ascii=False)),
                )
                if change.get("dossier_code"):
                    db.execute(
                        "UPDATE dossier SET code = ? WHERE id = ?",
                        (change["dossier_code"], change["dossier_id"]),
                    )
            db.execute(
                "INSERT INTO setting (key, value) VALUES ('cursor', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (str(cursor),),
            )

    def changes(self) -> list[dict[str, Any]]:
        """Every change pulled so far, in sequence order."""
        rows = self._db.execute("SELECT body FROM change ORDER BY seq").fetchall()
        return [json.loads(r["body"]) for r in rows]


def _now() -> str:
    return datetime.now(UTC).isoformat()
