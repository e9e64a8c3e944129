"""An unmodified tus client (tuspy) against the server running as a real process."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Any

import httpx
import pytest
from tusclient import client as tus

from backend.settings import Settings
from tests.backend.sync.conftest import Device, manifest, new_dossier, scan, sha
from tests.helpers import Staff, serve, server_env

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
