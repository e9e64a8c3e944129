"""Uploads under faults, with real server processes: a half-open PATCH, and two processes
serving one upload."""

from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest

from backend.settings import Settings
from media.store import LocalBlobStore
from tests.backend.sync.conftest import Device, metadata, scan, sha
from tests.helpers import ServerProcess, server_env

pytestmark = pytest.mark.slow
IDLE_S = 2
OFFSET_STREAM = {"Content-Type": "application/offset+octet-stream"}


def create(base: str, device: Device, data: bytes) -> str:
    response = httpx.post(
        f"{base}/api/v1/uploads",
        headers={**device.tus, "Upload-Length": str(len(data)), "Upload-Metadata": metadata(data)},
    )
    assert response.status_code == 201, response.text
    return urljoin(base, response.headers["location"])  # relative, as tus 1.0 allows


def stall(port: int, url: str, device: Device, data: bytes, sent: int) -> socket.socket:
    """A PATCH for all of ``data`` that delivers ``sent`` bytes and then nothing, its socket
    left open: the half-open connection a dropped radio link leaves behind."""
    path = url.split(str(port), 1)[1]
    head = (
        f"PATCH {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Authorization: {device.auth['Authorization']}\r\nTus-Resumable: 1.0.0\r\n"
        f"Content-Type: application/offset+octet-stream\r\nUpload-Offset: 0\r\n"
        f"Content-Length: {len(data)}\r\n\r\n"
    )
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(head.encode() + data[:sent])
    return sock


def resume(base: str, url: str, device: Device, data: bytes) -> tuple[int, float, httpx.Response]:
    """HEAD (timed) and PATCH the rest: the device reconnecting after the drop."""
    started = time.monotonic()
    head = httpx.head(url.replace(url.split("/api/")[0], base), headers=device.tus, timeout=60)
    waited = time.monotonic() - started
    offset = int(head.headers["upload-offset"])
    rest = httpx.patch(
        url.replace(url.split("/api/")[0], base),
        content=data[offset:],
        headers={**device.tus, **OFFSET_STREAM, "Upload-Offset": str(offset)},
        timeout=60,
    )
    return offset, waited, rest


async def test_half_open_patch__frees_the_upload_and_a_resume_succeeds_within_the_timeout(
    device: Device, settings: Settings, tmp_path: Path
) -> None:
    data = scan(21)
    server = ServerProcess({**server_env(settings), "UPLOAD_IDLE_TIMEOUT_S": str(IDLE_S)}, tmp_path)
    server.start()
    try:
        url = create(server.base, device, data)
        hung = stall(server.port, url, device, data, 10_000)
        await asyncio.sleep(0.5)  # the bytes reach the server, then the radio goes quiet
        offset, waited, rest = await asyncio.to_thread(resume, server.base, url, device, data)
        hung.close()
    finally:
        server.stop()

    assert offset == 10_000, "the bytes that arrived before the stall are kept"
    assert waited <= IDLE_S + 1.0, f"the resume waited {waited:.1f} s"
    assert rest.status_code == 204
    assert await LocalBlobStore(settings.media_root).read(sha(data)) == data


@pytest.mark.parametrize("engine_name", ["postgres"])
async def test_two_processes__a_patch_stalled_on_one_while_the_device_resumes_on_the_other(
    device: Device, settings: Settings, tmp_path: Path
) -> None:
    """Several processes serve one PostgreSQL deployment: the upload's lease in its row makes
    the second process wait for the first to record what it received, so its HEAD is never
    stale and nothing the first accepted is truncated away."""
    data = scan(22)
    env = {**server_env(settings), "UPLOAD_IDLE_TIMEOUT_S": str(IDLE_S)}
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first, second = ServerProcess(env, tmp_path / "a"), ServerProcess(env, tmp_path / "b")
    first.start()
    second.start()
    try:
        url = create(first.base, device, data)
        hung = stall(first.port, url, device, data, 12_000)
        await asyncio.sleep(0.5)
        offset, waited, rest = await asyncio.to_thread(resume, second.base, url, device, data)
        hung.close()
    finally:
        first.stop()
        second.stop()

    assert offset == 12_000, "no stale offset: the second process waited for the first"
    assert waited <= IDLE_S + 1.0, f"the resume waited {waited:.1f} s"
    assert rest.status_code == 204, rest.text
    assert await LocalBlobStore(settings.media_root).read(sha(data)) == data
