"""The stock tus-js-client (npm registry, run by Node) against the server as a real process:
every extension it can use, POST with X-HTTP-Method-Override, a resume after SIGKILL, and a
link that cuts connections."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from backend.field_app.controllers import DIST
from backend.settings import Settings
from media.store import LocalBlobStore
from tests.backend.sync.conftest import Device, scan, sha
from tests.field_sync.weaklink import WeakLink
from tests.helpers import ServerProcess, server_env

pytestmark = pytest.mark.slow
CLIENT = DIST.parent / "tools" / "tus-client.mjs"


def tus_js(
    base: str, device: Device, file: Path, mode: str = "", resume: str = "", stop: int = 0
) -> tuple[int, dict[str, Any]]:
    node = shutil.which("node")
    assert node is not None, "Node.js is needed (make test installs it)"
    data = file.read_bytes()
    result = subprocess.run(
        [node, str(CLIENT), f"{base}/api/v1/uploads", device.token, str(file), sha(data), mode,
         resume, str(stop or "")],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    assert lines, result.stdout + result.stderr
    said: dict[str, Any] = json.loads(lines[-1])
    return result.returncode, said


async def test_tus_js_client__override_and_creation_with_upload_then_resume_after_sigkill(
    device: Device, settings: Settings, tmp_path: Path
) -> None:
    file = tmp_path / "scan.jpg"
    file.write_bytes(scan(41) * 3)  # several 16 KiB chunks
    server = ServerProcess(server_env(settings), tmp_path)
    server.start()
    try:
        options = (await asyncio.to_thread(httpx.options, f"{server.base}/api/v1/uploads")).headers
        killed, first = await asyncio.to_thread(
            tus_js, server.base, device, file, "override,with-upload", "", 40_000
        )
        head = await asyncio.to_thread(httpx.head, first["url"], headers=device.tus)
        code, second = await asyncio.to_thread(
            tus_js, server.base, device, file, "override", first["url"]
        )
    finally:
        server.stop()

    assert set(options["tus-extension"].split(",")) >= {"creation", "creation-with-upload"}
    assert killed == -9, "the first client really was killed"
    assert int(head.headers["upload-offset"]) >= 32 * 1024, "what it sent before is kept"
    assert (code, second.get("done")) == (0, True), second
    assert second["url"] == first["url"], "resumed, not started again"
    held = await LocalBlobStore(settings.media_root).read(sha(file.read_bytes()))
    assert held == file.read_bytes()


async def test_tus_js_client__through_a_link_cut_every_32_kib(
    device: Device, settings: Settings, tmp_path: Path
) -> None:
    file = tmp_path / "scan.jpg"
    file.write_bytes(scan(42) * 4)
    server = ServerProcess(server_env(settings), tmp_path)
    server.start()
    try:
        with WeakLink(server.port, bytes_per_s=1024 * 1024, cut_every=32 * 1024) as link:
            code, said = await asyncio.to_thread(tus_js, link.base, device, file)
            cuts, carried = link.stats.cuts, link.stats.upstream_bytes
    finally:
        server.stop()

    size = file.stat().st_size
    assert (code, said.get("done")) == (0, True), said
    assert cuts >= size // (32 * 1024) // 2, "the link really was cut"
    assert carried < 1.6 * size, f"{carried} bytes carried for {size}"
    held = await LocalBlobStore(settings.media_root).read(sha(file.read_bytes()))
    assert held == file.read_bytes()
