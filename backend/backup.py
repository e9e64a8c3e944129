"""Backup and restore of a whole installation: database, scans and the secret key, in one file.

A backup is a tar archive (scans are JPEG and WebP: compressing them again gains nothing):

- ``manifest.json``: format, version, engine, when, and what it holds;
- ``database.sqlite3``: a consistent copy taken with SQLite's online backup API, safe while the
  server writes (copying the file of a database in WAL mode is not: the last transactions live
  in ``-wal`` and a copy taken mid-checkpoint is torn), or ``database.pgdump``: ``pg_dump``'s
  custom format, one consistent snapshot of a PostgreSQL database;
- ``secret_key``: without it every stored token hash is unusable, so every device would have to
  enrol again and every clerk sign in again;
- ``media/blobs/...``: every stored scan, when they are in the local folder. Scans kept in an
  S3-compatible bucket are not copied: the bucket is backed up by the object store's own
  versioning or replication (docs/deploy.md), and the archive names it. Upload parts, temporary
  files and derived images
  (thumbnails, page views) are left out: a device resends an unfinished upload, and derived
  images are made again on first view.

The database is copied first and the scans after it: scans are immutable and named by hash, so
every scan the copied database names is still there to copy (a scan stored meanwhile is simply
extra). The backup checks that each scan the database names is in the archive, and restore
checks each scan's bytes against its name.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import msgspec

from backend import __version__
from backend.db.engine import sqlite_path
from media.errors import MediaError
from media.store import check_sha256, fsync_dir

__all__ = [
    "BackupError",
    "BackupSummary",
    "Target",
    "backup",
    "describe",
    "key_for_restore",
    "restore",
]

FORMAT = "luudong.backup/1"
BLOBS = "media/blobs"


class BackupError(Exception):
    """A backup or restore that cannot be done as asked; the message says why, in one line."""


class BackupSummary(msgspec.Struct, frozen=True):
    """What an archive holds (its ``manifest.json``)."""

    format: str
    version: str
    engine: str
    created_at: str
    dossiers: int
    scans: int
    scan_bytes: int
    object_store: str | None = None
    """The bucket holding the scans, when the archive does not."""


@dataclass(frozen=True)
class Target:
    """Where an installation lives: its database, its media folder and its secret key."""

    database_url: str
    media_root: Path
    secret_key: str
    object_store: str | None = None
    """The bucket the scans live in, when not in ``media_root`` (they are then not copied)."""

    @property
    def engine(self) -> str:
        return "sqlite" if self.database_url.startswith("sqlite:") else "postgres"


def backup(
    source: Target, folder: Path, *, now: datetime | None = None
) -> tuple[Path, BackupSummary]:
    """Write a backup of ``source`` into ``folder``; the archive's path and what it holds."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"luudong-{stamp}.tar"
    with tempfile.TemporaryDirectory(prefix=".luudong-backup-", dir=folder) as scratch:
        work = Path(scratch)
        if source.engine == "sqlite":
            database = work / "database.sqlite3"
            _sqlite_snapshot(sqlite_path(source.database_url), database)
            named, dossiers = _sqlite_references(database)
        else:
            database = work / "database.pgdump"
            _pg_dump(source.database_url, database)
            named, dossiers = _pg_references(source.database_url)
        blobs = {} if source.object_store else dict(_stored_blobs(source.media_root))
        missing = set() if source.object_store else named - blobs.keys()
        if missing:
            raise BackupError(
                f"{len(missing)} scans the database names are not in {source.media_root} "
                f"(first: {sorted(missing)[0]}); the media folder is not this database's"
            )
        summary = BackupSummary(
            format=FORMAT,
            version=__version__,
            engine=source.engine,
            created_at=(now or datetime.now(UTC)).isoformat(),
            dossiers=dossiers,
            scans=len(blobs),
            scan_bytes=sum(path.stat().st_size for path in blobs.values()),
            object_store=source.object_store,
        )
        partial = work / "archive.tar"
        with tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as archive:
            _add_bytes(archive, "manifest.json", msgspec.json.format(msgspec.json.encode(summary)))
            _add_bytes(archive, "secret_key", source.secret_key.encode(), mode=0o600)
            archive.add(database, arcname=database.name, recursive=False)
            for sha256, path in sorted(blobs.items()):
                archive.add(path, arcname=_blob_member(sha256), recursive=False)
        with partial.open("rb+") as handle:
            os.fsync(handle.fileno())
        os.chmod(partial, 0o600)  # it holds the secret key and personal data
        partial.replace(final)
        fsync_dir(folder)
    return final, summary


def restore(archive_path: Path, target: Target, *, key_file: Path | None) -> BackupSummary:
    """Restore an archive into the empty installation ``target``.

    ``target.secret_key`` is the key the target will run with; one that differs from the
    archive's is refused, since none of the restored token hashes would verify. The archive's
    key is written to ``key_file`` (when the target reads its key from a file), after every
    check has passed.
    """
    with tarfile.open(archive_path, "r") as archive:
        summary = _manifest(archive)
        key = _read(archive, "secret_key").decode().strip()
        if target.secret_key != key:
            raise BackupError(
                "SECRET_KEY differs from the backup's key: unset it (the key file is then written "
                "from the backup) or set it to the backed-up key"
            )
        if target.engine != summary.engine:
            raise BackupError(
                f"this backup is of a {summary.engine} database and DATABASE_URL names "
                f"{target.engine}; restore into the same engine"
            )
        if bool(summary.object_store) != bool(target.object_store):
            raise BackupError(
                "this backup keeps its scans in the bucket "
                f"{summary.object_store} and the target in its media folder"
                if summary.object_store
                else "this backup holds its scans and the target keeps scans in a bucket "
                "(S3_BUCKET): restore without S3_* settings"
            )
        _check_empty(target)
        if key_file is not None and key_file.exists() and key_file.read_text().strip() != key:
            raise BackupError(f"{key_file} holds another secret key: move it away first")
        _restore_blobs(archive, target.media_root)
        if target.engine == "sqlite":
            destination = sqlite_path(target.database_url)
            destination.parent.mkdir(parents=True, exist_ok=True)
            partial = destination.with_name(destination.name + ".restoring")
            with partial.open("wb") as out:
                _copy(archive, "database.sqlite3", out)
                out.flush()
                os.fsync(out.fileno())
            partial.replace(destination)
            fsync_dir(destination.parent)
        else:
            with tempfile.NamedTemporaryFile(suffix=".pgdump") as dump:
                _copy(archive, "database.pgdump", dump)
                dump.flush()
                _pg_restore(target.database_url, Path(dump.name))
        if key_file is not None:
            _write_key(key_file, key)
    return summary


def key_for_restore(archive_path: Path) -> str:
    """The secret key a backup holds (so a restore can start the target's settings with it)."""
    with tarfile.open(archive_path, "r") as archive:
        _manifest(archive)
        return _read(archive, "secret_key").decode().strip()


# --- databases ---------------------------------------------------------------------------------


def _sqlite_snapshot(source: Path, destination: Path) -> None:
    if not source.exists():
        raise BackupError(f"no database at {source}")
    with (
        closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src,
        closing(sqlite3.connect(destination)) as dst,
    ):
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file


def _sqlite_references(database: Path) -> tuple[set[str], int]:
    with closing(sqlite3.connect(database)) as connection:
        rows = connection.execute("SELECT DISTINCT sha256 FROM dossier_document").fetchall()
        dossiers = connection.execute("SELECT count(*) FROM dossier").fetchone()[0]
    return {row[0] for row in rows}, int(dossiers)


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} is not installed (Debian: apt-get install postgresql-client); it must be "
            "the server's major version or newer"
        )
    return found


def _pg_dump(url: str, destination: Path) -> None:
    _run_tool([_pg_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={destination}", url])


def _pg_restore(url: str, dump: Path) -> None:
    _run_tool(
        [_pg_tool("pg_restore"), "--no-owner", "--exit-on-error", f"--dbname={url}", str(dump)]
    )


def _run_tool(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["(no message)"])[-1]
        raise BackupError(f"{Path(command[0]).name} failed: {last}")


def _pg_query(url: str, sql: str) -> list[tuple[object, ...]]:
    done = subprocess.run(  # noqa: S603 - psql with our own query, no shell
        [_pg_tool("psql"), "--no-psqlrc", "--tuples-only", "--no-align", "--field-separator=|",
         "--set=ON_ERROR_STOP=1", f"--command={sql}", url],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["(no message)"])[-1]
        raise BackupError(f"psql failed: {last}")
    return [tuple(line.split("|")) for line in done.stdout.splitlines() if line]


def _pg_references(url: str) -> tuple[set[str], int]:
    named = {str(row[0]) for row in _pg_query(url, "SELECT DISTINCT sha256 FROM dossier_document")}
    [(dossiers,)] = _pg_query(url, "SELECT count(*) FROM dossier")
    return named, int(str(dossiers))


def _check_empty(target: Target) -> None:
    if target.engine == "sqlite":
        path = sqlite_path(target.database_url)
        if path.exists() and path.stat().st_size > 0:
            raise BackupError(f"{path} already exists: restore into a new database")
    else:
        rows = _pg_query(
            target.database_url,
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'",
        )
        if int(str(rows[0][0])) > 0:
            raise BackupError("the database at DATABASE_URL has tables: restore into an empty one")
    blobs = target.media_root / "blobs"
    if blobs.exists() and any(blobs.iterdir()):
        raise BackupError(f"{blobs} already holds scans: restore into an empty media folder")


# --- scans -------------------------------------------------------------------------------------


def _blob_member(sha256: str) -> str:
    return f"{BLOBS}/{sha256[:2]}/{sha256[2:4]}/{sha256}"


def _stored_blobs(media_root: Path) -> Iterator[tuple[str, Path]]:
    root = media_root / "blobs"
    if not root.is_dir():
        return
    for path in root.glob("*/*/*"):
        if path.is_file() and len(path.name) == 64:
            yield path.name, path


def _restore_blobs(archive: tarfile.TarFile, media_root: Path) -> None:
    """Every scan into ``media_root``, each checked against its name; nothing is left in the
    store when one is damaged (they are staged in the store's ``tmp`` folder first)."""
    stage = media_root / "tmp" / f"restore-{os.getpid()}"
    stage.mkdir(parents=True, exist_ok=True)
    try:
        staged = [_stage_blob(archive, member, stage) for member in archive if _is_blob(member)]
        for sha256 in staged:
            destination = media_root / "blobs" / sha256[:2] / sha256[2:4] / sha256
            destination.parent.mkdir(parents=True, exist_ok=True)
            (stage / sha256).replace(destination)
        for folder in {media_root / "blobs" / s[:2] / s[2:4] for s in staged}:
            fsync_dir(folder)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _is_blob(member: tarfile.TarInfo) -> bool:
    if not member.name.startswith(f"{BLOBS}/"):
        return False
    sha256 = member.name.rsplit("/", 1)[-1]
    try:
        check_sha256(sha256)
    except MediaError:
        raise BackupError(f"unexpected file in the archive: {member.name}") from None
    if not member.isfile() or member.name != _blob_member(sha256):
        raise BackupError(f"unexpected file in the archive: {member.name}")
    return True


def _stage_blob(archive: tarfile.TarFile, member: tarfile.TarInfo, stage: Path) -> str:
    sha256 = member.name.rsplit("/", 1)[-1]
    source = archive.extractfile(member)
    assert source is not None
    digest = hashlib.sha256()
    with (stage / sha256).open("wb") as out:
        while chunk := source.read(1 << 20):
            digest.update(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    if digest.hexdigest() != sha256:
        raise BackupError(f"scan {sha256} in the archive is damaged (its bytes do not match)")
    return sha256


# --- archive members ---------------------------------------------------------------------------


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes, *, mode: int = 0o644) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = mode
    info.mtime = int(datetime.now(UTC).timestamp())
    archive.addfile(info, io.BytesIO(data))


def _read(archive: tarfile.TarFile, name: str) -> bytes:
    buffer = io.BytesIO()
    _copy(archive, name, buffer)
    return buffer.getvalue()


def _copy(archive: tarfile.TarFile, name: str, out: io.BufferedIOBase | object) -> None:
    try:
        source = archive.extractfile(name)
    except KeyError:
        raise BackupError(f"the archive has no {name}: not a whole Lưu Động backup") from None
    assert source is not None
    shutil.copyfileobj(source, out)  # type: ignore[arg-type]


def _manifest(archive: tarfile.TarFile) -> BackupSummary:
    try:
        summary = msgspec.json.decode(_read(archive, "manifest.json"), type=BackupSummary)
    except msgspec.DecodeError:
        raise BackupError("manifest.json is unreadable: not a Lưu Động backup") from None
    if summary.format != FORMAT:
        raise BackupError(f"unknown backup format {summary.format!r} (this version reads {FORMAT})")
    return summary


def _write_key(path: Path, key: str) -> None:
    if path.exists():
        return  # the same key: checked before anything was restored
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
        handle.flush()
        os.fsync(handle.fileno())


def describe(summary: BackupSummary) -> str:
    """One line for the operator."""
    scans = (
        f"scans in the bucket {summary.object_store} (not in this archive)"
        if summary.object_store
        else f"{summary.scans} scans ({summary.scan_bytes / 1e6:.1f} MB)"
    )
    return (
        f"{summary.dossiers} dossiers, {scans}, {summary.engine}, taken {summary.created_at} "
        f"by {summary.version}"
    )
