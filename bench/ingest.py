"""Ingest throughput end to end on loopback: one dossier with one 250 KB scan per round trip.

Each ingest is what a device does for a dossier: post the batch manifest, create a tus upload,
PATCH the scan, commit. ``luudong serve`` (one worker) runs as a real process, on SQLite and on
PostgreSQL; devices are field-client ``Server`` objects enrolled in one team. It measures one
device at a time, then 8 devices at once (one thread each), and prints JSON: dossiers per
second, p50/p99 latency of a whole ingest, and the 8-device throughput as a ratio to one device.

    .venv/bin/python -m bench.ingest [--dossiers 40] [--devices 8] [--engines sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import io
import json
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import msgspec
from PIL import Image, ImageDraw
from ulid import ULID

from bench.setup import admin_headers, scratch_database, scratch_env
from field_sync.transport import Server, UploadStats
from schemas.sync import BatchManifest, Outcome
from tests.helpers import ServerProcess

PROCEDURE = {
    "code": "1.004873", "name": "Xác nhận tình trạng hôn nhân", "processing_days": 3,
    "documents": [{"key": "to_khai", "name": "Tờ khai", "kind": "original"}],
}  # fmt: skip


def scan(seed: int) -> bytes:
    """A distinct grayscale document JPEG of about 250 KB (2200 px long side)."""
    page = Image.new("L", (1556, 2200), 245)
    draw = ImageDraw.Draw(page)
    for line in range(60):
        y = 80 + line * 34
        draw.text((90, y), f"Dòng {line} của hồ sơ số {seed} " * 4, fill=20)
        draw.line((90, y + 24, 90 + (seed * 37 + line * 53) % 1300, y + 24), fill=90, width=2)
    out = io.BytesIO()
    page.save(out, "JPEG", quality=88, progressive=True)
    return out.getvalue()


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


def one_dossier(digest: str, size: int) -> BatchManifest:
    """A batch of one new dossier with one scan (a fresh batch and dossier id)."""
    return msgspec.convert({
        "batch_id": str(ULID()),
        "items": [{
            "type": "dossier", "id": str(ULID()), "procedure_code": PROCEDURE["code"],
            "applicant": {"full_name": "Người thử", "id_number": "022095001234"},
            "consent": True, "captured_at": "2026-03-01T03:00:00Z",
            "documents": [{"key": "to_khai", "sha256": digest, "page": 1,
                           "media_type": "image/jpeg"}],
        }],
        "blobs": [{"sha256": digest, "size": size, "media_type": "image/jpeg"}],
    }, BatchManifest)  # fmt: skip


def ingest(server: Server, folder: Path, data: bytes) -> float:
    """One dossier with one scan, end to end; its latency in seconds."""
    digest = hashlib.sha256(data).hexdigest()
    path = folder / digest
    path.write_bytes(data)
    manifest = one_dossier(digest, len(data))
    batch_id = manifest.batch_id
    started = time.perf_counter()
    missing = server.submit(manifest).missing_blobs
    if missing:
        url = server.create_upload(digest, len(data), "image/jpeg")
        server.upload(url, path, len(data), chunk=1024 * 1024, stats=UploadStats())
    result = server.commit(batch_id).results[0]
    elapsed = time.perf_counter() - started
    if result.outcome is not Outcome.accepted:
        raise RuntimeError(f"ingest not accepted: {result}")
    return elapsed


def summary(latencies: list[float], wall_s: float) -> dict[str, Any]:
    ordered = sorted(latencies)
    return {
        "dossiers": len(ordered),
        "dossiers_per_s": round(len(ordered) / wall_s, 1),
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 1),
    }


async def run_engine(engine: str, dossiers: int, devices: int) -> dict[str, Any]:
    """Scratch server environment on ``engine``, then the measurements."""
    home = Path(tempfile.mkdtemp(prefix=f"bench-ingest-{engine}-"))
    if engine == "sqlite":
        return await asyncio.to_thread(measure, scratch_env(home), home, dossiers, devices)
    async with scratch_database("bench_ingest") as url:
        env = scratch_env(home, DATABASE_URL=url)
        return await asyncio.to_thread(measure, env, home, dossiers, devices)


def measure(env: dict[str, str], home: Path, dossiers: int, devices: int) -> dict[str, Any]:
    """One device, then ``devices`` at once, against a fresh ``luudong serve``."""
    admin = admin_headers(env, home)
    server = ServerProcess(env, home)
    server.start()
    try:
        clients = enrolled_devices(server.base, admin, devices)
        scans = [scan(n) for n in range(dossiers * (devices + 1) + 5)]
        folder = home / "scans"
        folder.mkdir()
        for _ in range(5):  # warm-up
            ingest(clients[0], folder, scans.pop())

        started = time.perf_counter()
        one = [ingest(clients[0], folder, scans.pop()) for _ in range(dossiers)]
        one_device = summary(one, time.perf_counter() - started)

        def device_run(client: Server) -> list[float]:
            return [ingest(client, folder, scans.pop()) for _ in range(dossiers)]

        started = time.perf_counter()
        with ThreadPoolExecutor(devices) as pool:
            many = [t for run in pool.map(device_run, clients) for t in run]
        many_devices = summary(many, time.perf_counter() - started)
        for client in clients:
            client.close()
    finally:
        server.stop()
    return {
        "scan_bytes_median": int(statistics.median(len(s) for s in [scan(0), scan(1), scan(2)])),
        "one_device": one_device,
        f"{devices}_devices": many_devices,
        "throughput_ratio": round(many_devices["dossiers_per_s"] / one_device["dossiers_per_s"], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dossiers", type=int, default=40, help="per device and phase")
    parser.add_argument("--devices", type=int, default=8)
    parser.add_argument("--engines", default="sqlite,postgresql")
    args = parser.parse_args()
    report = {
        engine: asyncio.run(run_engine(engine, args.dossiers, args.devices))
        for engine in args.engines.split(",")
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
