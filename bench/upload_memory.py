"""Server memory while it receives a 50 MB blob in one tus PATCH: is anything buffered whole?

Starts ``luudong serve`` as a real process (SQLite, a temporary folder), enrols a device,
then streams a 50 MB upload in a single PATCH while sampling the server's resident memory
(VmRSS) every few milliseconds. Prints JSON: the baseline, the peak, the growth, and the growth
as a fraction of the blob (aim: under 20 MB, so nothing is held whole).

The body is not an image, so the server's check stops at its header. What checking a real
image costs comes after (``image_checks``): the peak resident memory a fresh process gains
running one ``validate_image`` on a file, for the scans the clients send (a page as
``media.normalise`` makes it, an ID card) and for raw 12-megapixel photos.

    .venv/bin/python -m bench.upload_memory [--megabytes 50]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from PIL import Image

from bench.setup import admin_headers, scratch_env
from media import normalise
from tests.helpers import ServerProcess
from tests.media.imagery import document_photo, encode

CHUNK = 256 * 1024


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def _body(size: int, seed: bytes) -> Iterator[bytes]:
    block = hashlib.sha256(seed).digest() * (CHUNK // 32)
    sent = 0
    while sent < size:
        part = block[: min(CHUNK, size - sent)]
        sent += len(part)
        yield part


_CHECK = """
import sys
from pathlib import Path
from media import validate_image
def peak():  # VmHWM: this process's own peak (ru_maxrss would carry the parent's over exec)
    status = Path("/proc/self/status").read_text().splitlines()
    return int(next(x for x in status if x.startswith("VmHWM:")).split()[1])
path, media_type = Path(sys.argv[1]), sys.argv[2]
before = peak()
validate_image(path, media_type)
print(peak() - before)
"""


def image_checks(folder: Path) -> dict[str, dict[str, float]]:
    """Peak RSS growth of one ``validate_image`` per kind of image, each in a fresh process."""
    photo = document_photo(1, qr_text="https://luudong.example/tra-cuu/X")
    with Image.open(io.BytesIO(photo)) as image:
        progressive = encode(image, "JPEG", quality=95, progressive=True)
    images = {
        "document_page_as_sent": normalise(photo, "document"),
        "id_card_as_sent": normalise(photo, "id_card"),
    }
    kinds: dict[str, tuple[bytes, str]] = {
        name: (result.data, result.facts.media_type) for name, result in images.items()
    }
    kinds["raw_photo_12mp_baseline_jpeg"] = (photo, "image/jpeg")
    kinds["raw_photo_12mp_progressive_jpeg"] = (progressive, "image/jpeg")
    report = {}
    for name, (data, media_type) in kinds.items():
        path = folder / name
        path.write_bytes(data)
        grown = subprocess.run(
            [sys.executable, "-c", _CHECK, str(path), media_type],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        report[name] = {"bytes": len(data), "check_rss_growth_mb": round(int(grown) / 1024, 1)}
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--megabytes", type=int, default=50)
    args = parser.parse_args()
    size = args.megabytes * 1024 * 1024
    home = Path(tempfile.mkdtemp(prefix="bench-mem-"))
    env = scratch_env(home, MAX_BLOB_BYTES=str(size + 1024))
    admin = admin_headers(env, home)
    server = ServerProcess(env, home)
    server.start()
    base = server.base
    try:
        with httpx.Client(base_url=base, timeout=120) as http:
            team = http.post("/api/v1/teams", json={"kind": "roaming", "name": "T"}, headers=admin)
            code = http.post(f"/api/v1/teams/{team.json()['id']}/enrolment-codes", headers=admin)
            token = http.post("/api/v1/devices/enroll", json={"code": code.json()["code"]})
            device = {"Authorization": f"Bearer {token.json()['token']}", "Tus-Resumable": "1.0.0"}
            digest = hashlib.sha256()
            for part in _body(size, b"x"):
                digest.update(part)
            meta = ",".join(
                f"{k} {base64.b64encode(v.encode()).decode()}"
                for k, v in (("sha256", digest.hexdigest()), ("media_type", "image/jpeg"))
            )
            created = http.post(
                "/api/v1/uploads",
                headers={**device, "Upload-Length": str(size), "Upload-Metadata": meta},
            )
            url = created.headers["location"]
            http.head(url, headers=device)  # warm the path once
            baseline = _rss_kib(server.proc.pid)
            peak = baseline
            done = threading.Event()

            def sample() -> None:
                nonlocal peak
                while not done.is_set():
                    peak = max(peak, _rss_kib(server.proc.pid))
                    time.sleep(0.003)

            sampler = threading.Thread(target=sample)
            sampler.start()
            started = time.perf_counter()
            response = http.patch(
                url,
                content=_body(size, b"x"),
                headers={
                    **device,
                    "Upload-Offset": "0",
                    "Content-Type": "application/offset+octet-stream",
                },
            )
            elapsed = time.perf_counter() - started
            done.set()
            sampler.join()
            assert response.status_code == 204, response.text
    finally:
        server.stop()
    growth_mb = (peak - baseline) / 1024
    print(
        json.dumps(
            {
                "blob_mb": args.megabytes,
                "baseline_rss_mb": round(baseline / 1024, 1),
                "peak_rss_mb": round(peak / 1024, 1),
                "growth_mb": round(growth_mb, 1),
                "growth_fraction_of_blob": round(growth_mb / args.megabytes, 3),
                "upload_seconds": round(elapsed, 2),
                "throughput_mb_s": round(args.megabytes / elapsed, 1),
                "image_checks": image_checks(home),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
