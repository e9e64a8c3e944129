"""A province's morning: many devices pushing at once through compose's nginx to the app.

PostgreSQL, Redis for the rate limits, Debian's nginx with the server block of ``compose.yaml``,
and ``luudong serve`` processes behind it: first two, then one, on fresh databases, in one run.
Each device is enrolled beforehand and holds one dossier with one 250 KB scan; all of them push
at the same moment (manifest, tus upload, commit; one thread and connection each). Prints JSON:
errors, whether every dossier arrived once, dossiers per second over the whole wave, p50 and p99
of the commit request and of the whole push, and two processes as a ratio to one.

    .venv/bin/python -m bench.province [--devices 300]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from bench.ingest import enrolled_devices, one_dossier, scan
from bench.setup import admin_headers, scratch_database, scratch_env
from field_sync.transport import Server, UploadStats
from schemas.sync import Outcome
from tests.deploy.proxy import compose_server_block, nginx
from tests.helpers import ServerProcess, _free_port, redis_server


def push(
    server: Server, folder: Path, data: bytes, start: threading.Barrier
) -> tuple[float, float]:
    """One device's push of one dossier; (whole push, commit request) in seconds."""
    digest = hashlib.sha256(data).hexdigest()
    path = folder / digest
    path.write_bytes(data)
    manifest = one_dossier(digest, len(data))
    batch_id = manifest.batch_id
    start.wait()
    began = time.perf_counter()
    if server.submit(manifest).missing_blobs:
        url = server.create_upload(digest, len(data), "image/jpeg")
        server.upload(url, path, len(data), chunk=1024 * 1024, stats=UploadStats())
    committing = time.perf_counter()
    result = server.commit(batch_id).results[0]
    done = time.perf_counter()
    if result.outcome is not Outcome.accepted:
        raise RuntimeError(f"not accepted: {result}")
    return done - began, done - committing


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 1),
    }


def wave(env: dict[str, str], home: Path, processes: int, devices: int) -> dict[str, Any]:
    """``devices`` pushing at once through nginx to ``processes`` app processes."""
    admin = admin_headers(env, home)
    proxy_port = _free_port()
    servers = [ServerProcess(env, home) for _ in range(processes)]
    for server in servers:
        server.env["PUBLIC_URL"] = f"http://127.0.0.1:{proxy_port}"
    block = compose_server_block([s.port for s in servers], proxy_port)
    with nginx(home / "nginx", block):
        for server in servers:
            server.start()
        base = f"http://127.0.0.1:{proxy_port}"
        try:
            clients = enrolled_devices(base, admin, devices)
            scans = [scan(10_000 + n) for n in range(devices)]
            folder = home / "scans"
            folder.mkdir()
            start = threading.Barrier(devices + 1)
            errors: list[str] = []

            def one(n: int) -> tuple[float, float] | None:
                try:
                    return push(clients[n], folder, scans[n], start)
                except Exception as exc:  # counted, not raised: the figure is how many fail
                    errors.append(f"{type(exc).__name__}: {exc}"[:200])
                    return None

            with ThreadPoolExecutor(devices) as pool:
                futures = [pool.submit(one, n) for n in range(devices)]
                start.wait()
                began = time.perf_counter()
                timings = [f.result() for f in futures]
                wall = time.perf_counter() - began
            for client in clients:
                client.close()
            with httpx.Client(base_url=base, headers=admin, timeout=60) as http:
                total = http.get("/api/v1/dossiers", params={"limit": 1}).json()["total"]
        finally:
            for server in servers:
                server.stop()
    done = [t for t in timings if t is not None]
    return {
        "processes": processes,
        "devices": devices,
        "errors": len(errors),
        "first_errors": errors[:3],
        "dossiers_stored": total,
        "every_dossier_once": total == len(done) == devices,
        "dossiers_per_s": round(len(done) / wall, 1),
        "push": percentiles([t[0] for t in done]),
        "commit": percentiles([t[1] for t in done]),
    }


async def topology(processes: int, devices: int) -> dict[str, Any]:
    home = Path(tempfile.mkdtemp(prefix=f"bench-province-{processes}-"))
    async with scratch_database("bench_province") as url:
        with redis_server(home) as redis_url:
            env = scratch_env(
                home,
                DATABASE_URL=url,
                REDIS_URL=redis_url,
                TRUSTED_PROXIES="127.0.0.1",
                ENROLMENTS_PER_MINUTE="100000",
            )
            return await asyncio.to_thread(wave, env, home, processes, devices)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--devices", type=int, default=300)
    args = parser.parse_args()
    two = asyncio.run(topology(2, args.devices))
    one = asyncio.run(topology(1, args.devices))
    print(
        json.dumps(
            {
                "two_processes": two,
                "one_process": one,
                "throughput_ratio_two_to_one": round(
                    two["dossiers_per_s"] / one["dossiers_per_s"], 2
                ),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
