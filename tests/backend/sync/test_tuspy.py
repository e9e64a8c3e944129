"""An unmodified tus client (tuspy) against the server running as a real process."""

from __future__ import annotations

import asyncio
import io
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from tusclient import client as tus

from backend.settings import Settings
from media.store import LocalBlobStore
from tests.backend.sync.conftest import Device, manifest, new_dossier, scan, sha
from tests.field_sync.weaklink import WeakLink
from tests.helpers import ServerProcess, Staff, serve, server_env

pytestmark = pytest.mark.slow


def _device_side(base: str, device: Device, data: bytes, body: dict[str, Any]) -> dict[str, Any]:
    """What the field device does, with blocking clients as a phone app would."""
    with httpx.Client(base_url=base, headers=device.auth) as live:
        accepted = live.post("/api/v1/sync/batches", json=body)
        assert accepted.json()["missing_blobs"] == [sha(data)]

        uploads = tus.TusClient(f"{base}/api/v1/uploads", headers=device.auth)
        metadata = {"sha256": sha(data), "media_type": "image/jpeg"}
        first = uploads.uploader(
            file_stream=io.BytesIO(data),
            chunk_size=16 * 1024,
            metadata=metadata,
            upload_checksum=True,
        )
        first.upload_chunk()
        first.upload_chunk()  # two chunks, then the device goes away
        assert first.url is not None

        resumed = uploads.uploader(
            file_stream=io.BytesIO(data),
            url=first.url,
            chunk_size=16 * 1024,
            metadata=metadata,
            upload_checksum=True,
        )
        assert resumed.offset == 32 * 1024  # asked the server (HEAD), not from zero
        resumed.upload()

        committed = live.post(f"/api/v1/sync/batches/{body['batch_id']}/commit")
        assert committed.status_code == 200, committed.text
        result: dict[str, Any] = committed.json()
        return result


async def test_tuspy__uploads_resumes_after_a_stop_and_the_batch_commits(
    client: httpx.AsyncClient, device: Device, staff: Staff, settings: Settings, tmp_path: Path
) -> None:
    data = scan(21)
    dossier = new_dossier([data])
    body = manifest([dossier], [data])

    with serve(server_env(settings), tmp_path) as base:
        result = await asyncio.to_thread(_device_side, base, device, data, body)

    assert result["results"][0]["outcome"] == "accepted"
    shown = await client.get(f"/api/v1/dossiers/{dossier['id']}", headers=staff["clerk.a"].auth)
    assert shown.json()["documents"][0]["sha256"] == sha(data)


TUSPY_DEVICE = """
import os, signal, sys
from tusclient import client as tus
from tusclient.storage.filestorage import FileStorage
base, token, path, digest, storage, stop = sys.argv[1:7]
uploads = tus.TusClient(base + "/api/v1/uploads", headers={"Authorization": "Bearer " + token})
uploader = uploads.uploader(
    file_path=path, chunk_size=16 * 1024, retries=20, retry_delay=0,
    metadata={"sha256": digest, "media_type": "image/jpeg"},
    store_url=True, url_storage=FileStorage(storage),
)
print(uploader.url, uploader.offset, flush=True)
while uploader.offset < uploader.get_file_size():
    uploader.upload_chunk()
    if stop and uploader.offset >= int(stop):
        print(uploader.url, uploader.offset, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
print("done", uploader.url, flush=True)
"""


def _tuspy_process(
    base: str, device: Device, file: Path, storage: Path, stop: int = 0
) -> subprocess.CompletedProcess[str]:
    """tuspy in its own process, keeping its upload URL in a file as a device would."""
    return subprocess.run(
        [sys.executable, "-c", TUSPY_DEVICE, base, device.token, str(file),
         sha(file.read_bytes()), str(storage), str(stop or "")],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


async def test_tuspy__resumes_in_a_new_process_after_sigkill_through_a_cutting_link(
    device: Device, settings: Settings, tmp_path: Path
) -> None:
    file, storage = tmp_path / "scan.jpg", tmp_path / "tus-urls.json"
    file.write_bytes(scan(23) * 4)
    server = ServerProcess(server_env(settings), tmp_path)
    server.start()
    try:
        with WeakLink(server.port, bytes_per_s=1024 * 1024, cut_every=12 * 1024) as link:
            killed = await asyncio.to_thread(
                _tuspy_process, link.base, device, file, storage, 48 * 1024
            )
            resumed = await asyncio.to_thread(_tuspy_process, link.base, device, file, storage)
            cuts = link.stats.cuts
    finally:
        server.stop()

    assert killed.returncode == -9, killed.stderr
    first_url = killed.stdout.splitlines()[-1].split()[0]
    url, offset = resumed.stdout.splitlines()[0].split()
    assert url == first_url, "the stored upload was resumed, not a new one made"
    assert int(offset) >= 48 * 1024, "from the server's offset"
    assert resumed.returncode == 0, resumed.stderr
    assert cuts >= 2, "the link really was cut"
    held = await LocalBlobStore(settings.media_root).read(sha(file.read_bytes()))
    assert held == file.read_bytes()
