"""The server killed (SIGKILL, from a failpoint) at every step of an upload's completion: the
next push finishes, the dossier arrives once, and the scan is not sent again whole."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest

from backend.settings import Settings
from field_sync.outbox import Outbox
from media.failpoints import POINTS
from media.store import LocalBlobStore
from tests.backend.sync.conftest import sha
from tests.field_sync.test_end_to_end import PROCEDURE, field_sync, issue_code
from tests.field_sync.weaklink import WeakLink
from tests.helpers import ServerProcess, Staff, server_env
from tests.media.imagery import document_photo

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("point", sorted(POINTS))
async def test_server_killed_during_completion__the_next_push_finishes_without_resending(
    point: str,
    client: httpx.AsyncClient,
    staff: Staff,
    settings: Settings,
    team_id: int,
    tmp_path: Path,
) -> None:
    home, files = tmp_path / "device", tmp_path / "files"
    files.mkdir()
    page = files / "page.jpg"
    page.write_bytes(document_photo(31, size=(2400, 1800), quality=92))
    server = ServerProcess({**server_env(settings), "LUUDONG_FAILPOINTS": point}, tmp_path)
    server.start()
    with WeakLink(server.port, bytes_per_s=50 * 1024 * 1024, cut_every=None) as link:
        code = await issue_code(server.base, staff, team_id)
        await asyncio.to_thread(field_sync, home, "enroll", link.base, code)
        await asyncio.to_thread(
            field_sync, home, "capture", "--procedure", PROCEDURE["code"], "--name", "Người 1",
            "--id-number", "022095001234", "--scan", f"to_khai={page}", "--consent",
        )  # fmt: skip
        [scan_file] = list((home / "scans").iterdir())
        size = scan_file.stat().st_size
        # A link that last carried 16 KiB at a time: the page (a WebP of about 70 KB) goes in
        # several PATCHes, so what a kill makes the device send again is measured against it.
        box = Outbox(home)
        box.set(chunk_learned=str(16 * 1024))
        box.close()
        killed = await asyncio.to_thread(field_sync, home, "--retries", "1", "push", check=False)
        assert server.proc is not None
        assert server.proc.wait(timeout=30) == -9, f"the server died at {point}"
        server.env = server_env(settings)  # started again, as an operator or systemd would
        server.start()
        link.stats.upstream_bytes = 0
        pushed = json.loads((await asyncio.to_thread(field_sync, home, "push", "--json")).stdout)
        resent = link.stats.upstream_bytes
    server.stop()
    inbox = (await client.get("/api/v1/dossiers", headers=staff["clerk.a"].auth)).json()

    assert killed.returncode == 3, killed.stdout + killed.stderr
    assert "Traceback" not in killed.stderr
    assert pushed["outcomes"] == {"accepted": 1}
    assert inbox["total"] == 1
    held = await LocalBlobStore(settings.media_root).read(sha(scan_file.read_bytes()))
    assert held == scan_file.read_bytes()
    # Killed before the offset was recorded, the device sends the last PATCH again; after it,
    # nothing of the scan goes again.
    bound = 0.4 if point == "upload.before_offset" else 0.1
    assert resent < bound * size, f"{resent} bytes sent again for a scan of {size}"
