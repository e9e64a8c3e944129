"""Ingest throughput end to end on loopback, against an earlier commit in the same run.

An ingest is what a field device does for dossiers with one 270 KB scan each, through the
real protocol: post the batch manifest, upload each scan with tus, commit. ``luudong serve``
(one worker) runs as a real process on SQLite and on PostgreSQL; the devices are field-client
``Server`` objects enrolled in one team, one thread each. Every scan is distinct (its bytes
and so its sha256), every one is verified and checked by the server, every commit is atomic.

Two builds are measured one after the other in the same run: this checkout, and, with
``--baseline REV``, the commit ``REV`` (checked out into a temporary worktree; its server, its
migrations and its request pattern: manifest, tus creation, PATCH, commit). This checkout's
devices send each scan in its creation request (tus creation-with-upload), as ``field-sync``
does. Phases: one device, then ``--devices`` at once; batches of 1 and of 10 dossiers.

Prints JSON per engine and build: dossiers/s, p50/p99 latency per batch, server CPU ms per
dossier (the server process's user+system time), requests per dossier; the latency of an
identical resubmission (a committed batch of one dossier sent again: manifest and commit) and
the rows it added; and the ratios of this checkout to the baseline.

    .venv/bin/python -m bench.ingest --baseline db4da56 [--dossiers 40] [--devices 8]
        [--engines sqlite,postgresql] [--batches 1,10] [--scan jpeg|webp]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import io
import json
import os
import shutil
import sqlite3
import statistics
import struct
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import msgspec
from PIL import Image, ImageDraw
from ulid import ULID

from bench.setup import admin_headers, scratch_database, scratch_env
from field_sync.transport import Server, UploadStats
from media.images import sniff_media_type
from schemas.media import NORMALISE
from schemas.sync import BatchManifest, Outcome
from tests.helpers import ServerProcess

PROCEDURE = {
    "code": "1.004873", "name": "Xác nhận tình trạng hôn nhân", "processing_days": 3,
    "documents": [{"key": "to_khai", "name": "Tờ khai", "kind": "original"}],
}  # fmt: skip
REPO = Path(__file__).resolve().parent.parent
GIT = shutil.which("git") or "git"
CHUNK = 1024 * 1024


def scan(seed: int, kind: str = "jpeg") -> bytes:
    """A grayscale document page: ``jpeg``, a progressive JPEG of about 270 KB (2200 px long
    side, the aim's scan); ``webp``, a page as the clients send it now (2600 px, WebP at the
    quality of ``schemas.media.NORMALISE``)."""
    long_side = 2200 if kind == "jpeg" else NORMALISE.long_side["document"]
    page = Image.new("L", (long_side * 1556 // 2200, long_side), 245)
    draw = ImageDraw.Draw(page)
    for line in range(60):
        y = 80 + line * 34 * long_side // 2200
        draw.text((90, y), f"Dòng {line} của hồ sơ số {seed} " * 4, fill=20)
        draw.line((90, y + 24, 90 + (seed * 37 + line * 53) % 1300, y + 24), fill=90, width=2)
    out = io.BytesIO()
    if kind == "jpeg":
        page.save(out, "JPEG", quality=88, progressive=True)
    else:
        page.save(out, "WEBP", quality=NORMALISE.webp_quality["document"], method=4)
    return out.getvalue()


def distinct(page: bytes, n: int) -> bytes:
    """``page`` naming ``n`` in a comment (JPEG) or an unknown chunk (WebP, whose RIFF size
    grows to hold it): other bytes, another blob, the same image."""
    comment = f"scan {n} {ULID()}".encode()
    if page[:4] == b"RIFF":
        comment += b" " * (len(comment) % 2)  # chunks are of even length
        grown = page + b"LDNG" + struct.pack("<I", len(comment)) + comment
        return grown[:4] + struct.pack("<I", len(grown) - 8) + grown[8:]
    return page[:2] + b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment + page[2:]


def enrolled_devices(base: str, admin: dict[str, str], count: int) -> list[Server]:
    """The bench's procedure, one team, and ``count`` field clients enrolled in it."""
    with httpx.Client(base_url=base, headers=admin, timeout=60) as http:
        http.post("/api/v1/procedures", json=PROCEDURE).raise_for_status()
        team = http.post("/api/v1/teams", json={"kind": "roaming", "name": "Tổ 1"}).json()
        codes = [
            http.post(f"/api/v1/teams/{team['id']}/enrolment-codes").json()["code"]
            for _ in range(count)
        ]
    return [
        Server(base, Server(base).enroll(code, f"máy {n}").token) for n, code in enumerate(codes)
    ]


def dossier_batch(scans: list[tuple[str, int]], media_type: str = "image/jpeg") -> BatchManifest:
    """A batch of new dossiers, one per ``(sha256, size)`` scan (fresh batch and dossier ids)."""
    return msgspec.convert({
        "batch_id": str(ULID()),
        "items": [{
            "type": "dossier", "id": str(ULID()), "procedure_code": PROCEDURE["code"],
            "applicant": {"full_name": "Người thử", "id_number": "022095001234"},
            "consent": True, "captured_at": "2026-03-01T03:00:00Z",
            "documents": [{"key": "to_khai", "sha256": digest, "page": 1,
                           "media_type": media_type}],
        } for digest, _ in scans],
        "blobs": [{"sha256": digest, "size": size, "media_type": media_type}
                  for digest, size in scans],
    }, BatchManifest)  # fmt: skip


def one_dossier(digest: str, size: int) -> BatchManifest:
    """A batch of one new dossier with one scan."""
    return dossier_batch([(digest, size)])


class Counted:
    """A device and the requests it sent."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.requests = 0
        server.http.event_hooks["request"].append(self._count)

    def _count(self, _: httpx.Request) -> None:
        self.requests += 1


SENT: list[tuple[Counted, BatchManifest]] = []
"""Every batch committed, for the resubmission phase."""


def ingest(device: Counted, folder: Path, pages: list[bytes], *, with_upload: bool) -> float:
    """One batch of dossiers (one scan each), end to end; its latency in seconds."""
    server = device.server
    files = []
    for data in pages:
        digest = hashlib.sha256(data).hexdigest()
        (folder / digest).write_bytes(data)
        files.append((digest, len(data)))
    media_type = sniff_media_type(pages[0]) or "image/jpeg"
    manifest = dossier_batch(files, media_type)
    started = time.perf_counter()
    missing = set(server.submit(manifest).missing_blobs)
    for digest, size in files:
        if digest not in missing:
            continue
        path = folder / digest
        if with_upload:
            url, offset = server.create_with_upload(
                digest, size, media_type, path.read_bytes()[:CHUNK]
            )
        else:
            url, offset = server.create_upload(digest, size, media_type), 0
        if offset < size:
            server.upload(url, path, size, chunk=CHUNK, stats=UploadStats(), start=offset)
    results = server.commit(manifest.batch_id).results
    elapsed = time.perf_counter() - started
    if any(r.outcome is not Outcome.accepted for r in results):
        raise RuntimeError(f"ingest not accepted: {results}")
    SENT.append((device, manifest))
    return elapsed


def resubmissions(env: dict[str, str], count: int) -> dict[str, Any]:
    """Committed batches of one dossier sent again whole (manifest, then commit), as a device
    does when it lost the answer: each pair's latency, and the rows it added (none)."""
    ones = [(d, m) for d, m in SENT if len(m.items) == 1][-count:]
    before = row_counts(env)
    latencies = []
    for device, manifest in ones:
        started = time.perf_counter()
        accepted = device.server.submit(manifest)
        results = device.server.commit(manifest.batch_id).results
        latencies.append(time.perf_counter() - started)
        if accepted.missing_blobs or results[0].outcome is not Outcome.accepted:
            raise RuntimeError(f"resubmission answered differently: {accepted} {results}")
    latencies.sort()
    return {
        "batches": len(latencies),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 2),
        "requests": 2,
        "rows_added": {k: row_counts(env)[k] - n for k, n in before.items()},
    }


ROW_TABLES = ("sync_batch", "dossier", "dossier_event", "dossier_document", "upload")


def row_counts(env: dict[str, str]) -> dict[str, int]:
    """Rows in the tables a resubmission could touch."""
    url = env["DATABASE_URL"]
    if url.startswith("sqlite:///"):
        with contextlib.closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as db:
            return {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ROW_TABLES}  # noqa: S608

    async def count() -> dict[str, int]:
        db = await asyncpg.connect(url)
        try:
            return {t: await db.fetchval(f"SELECT count(*) FROM {t}") for t in ROW_TABLES}  # noqa: S608
        finally:
            await db.close()

    return asyncio.run(count())


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process and its finished children."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    ticks = sum(int(f) for f in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


class Build:
    """This checkout, or an earlier commit checked out into a worktree."""

    def __init__(self, rev: str | None, home: Path) -> None:
        self.rev = rev
        self.name = "current" if rev is None else f"baseline {rev}"
        self.tree = REPO
        if rev is not None:
            self.tree = home / f"tree-{rev}"
            subprocess.run(
                [GIT, "-C", str(REPO), "worktree", "add", "--detach", str(self.tree), rev],
                check=True, capture_output=True,
            )  # fmt: skip

    def env(self, env: dict[str, str]) -> dict[str, str]:
        """``env`` with this build's code first on the import path."""
        return env if self.rev is None else {**env, "PYTHONPATH": str(self.tree)}

    def close(self) -> None:
        if self.rev is not None:
            subprocess.run(
                [GIT, "-C", str(REPO), "worktree", "remove", "--force", str(self.tree)],
                check=False, capture_output=True,
            )  # fmt: skip


def phase(
    devices: list[Counted], pid: int, folder: Path, pages: Iterator[bytes], batch: int, rounds: int,
    *, with_upload: bool,
) -> dict[str, Any]:  # fmt: skip
    """Every device ingests ``rounds`` batches of ``batch`` dossiers at once."""
    lock = threading.Lock()

    def take() -> list[bytes]:
        with lock:
            return [next(pages) for _ in range(batch)]

    def run(device: Counted) -> list[float]:
        return [ingest(device, folder, take(), with_upload=with_upload) for _ in range(rounds)]

    requests_before = sum(d.requests for d in devices)
    cpu_before = cpu_s(pid)
    started = time.perf_counter()
    with ThreadPoolExecutor(len(devices)) as pool:
        latencies = sorted(t for run_ in pool.map(run, devices) for t in run_)
    wall = time.perf_counter() - started
    cpu = cpu_s(pid) - cpu_before
    dossiers = len(latencies) * batch
    requests = sum(d.requests for d in devices) - requests_before
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return {
        "dossiers": dossiers,
        "dossiers_per_s": round(dossiers / wall, 1),
        "batch_p50_ms": round(statistics.median(latencies) * 1000, 1),
        "batch_p99_ms": round(p99 * 1000, 1),
        "server_cpu_ms_per_dossier": round(cpu * 1000 / dossiers, 1),
        "requests_per_dossier": round(requests / dossiers, 2),
    }


def measure(
    env: dict[str, str], home: Path, build: Build, args: argparse.Namespace
) -> dict[str, Any]:
    """Every phase against a fresh ``luudong serve`` of ``build``."""
    env = build.env(env)
    SENT.clear()
    admin = admin_headers(env, home)
    server = ServerProcess(env, home)
    server.start()
    assert server.proc is not None
    page = scan(1, args.scan)
    counter = iter(range(10**9))
    pages = (distinct(page, n) for n in counter)
    folder = home / "scans"
    folder.mkdir(exist_ok=True)
    report: dict[str, Any] = {}
    try:
        devices = [Counted(s) for s in enrolled_devices(server.base, admin, args.devices)]
        with_upload = build.rev is None
        for _ in range(5):  # warm-up
            ingest(devices[0], folder, [next(pages)], with_upload=with_upload)
        for batch in args.batches:
            rounds = max(1, args.dossiers // batch)
            for group in (devices[:1], devices):
                report[f"batch_{batch}_devices_{len(group)}"] = phase(
                    group, server.proc.pid, folder, pages, batch, rounds, with_upload=with_upload
                )
        report["identical_resubmission"] = resubmissions(env, args.resubmissions)
        for device in devices:
            device.server.close()
    finally:
        server.stop()
    return report


async def run_engine(engine: str, build: Build, args: argparse.Namespace) -> dict[str, Any]:
    """A scratch server environment on ``engine``, then the measurements."""
    home = Path(tempfile.mkdtemp(prefix=f"bench-ingest-{engine}-"))
    if engine == "sqlite":
        return await asyncio.to_thread(measure, scratch_env(home), home, build, args)
    async with scratch_database("bench_ingest") as url:
        env = scratch_env(home, DATABASE_URL=url)
        return await asyncio.to_thread(measure, env, home, build, args)


def ratios(current: dict[str, Any], baseline: dict[str, Any]) -> dict[str, float]:
    """Dossiers/s of this checkout over the baseline's, phase by phase."""
    return {
        name: round(current[name]["dossiers_per_s"] / baseline[name]["dossiers_per_s"], 2)
        for name in current
        if name in baseline and "dossiers_per_s" in current[name]
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dossiers", type=int, default=40, help="per device and phase")
    parser.add_argument("--devices", type=int, default=8)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--batches", default="1,10", type=lambda v: [int(b) for b in v.split(",")])
    parser.add_argument("--resubmissions", type=int, default=100)
    parser.add_argument("--baseline", help="a commit to measure in the same run (git rev)")
    parser.add_argument(
        "--scan", choices=("jpeg", "webp"), default="jpeg",
        help="the aim's 270 KB progressive JPEG, or a page as the clients send it now",
    )  # fmt: skip
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    builds = [Build(None, home)]
    if args.baseline:
        builds.insert(0, Build(args.baseline, home))
    report: dict[str, Any] = {}
    try:
        for engine in args.engines.split(","):
            measured = {b.name: asyncio.run(run_engine(engine, b, args)) for b in builds}
            report[engine] = measured
            if args.baseline:
                report[engine]["current ÷ baseline"] = ratios(
                    measured["current"], measured[builds[0].name]
                )
    finally:
        for build in builds:
            with contextlib.suppress(Exception):
                build.close()
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
