"""The province topology, natively, as compose runs it: PostgreSQL, Redis, an S3-compatible object
store, two app processes and Debian's nginx with the very server block of ``compose.yaml``; the
field client pushes through a
link that is cut every 128 KiB, nginx deals HEAD and PATCH to both processes in turn, and one
process is SIGKILLed mid-push. Every dossier arrives once, every scan is whole, no upload is sent
again from its start, and the address the devices were given is the public one."""

from __future__ import annotations

import asyncio
import hashlib
import json
import subprocess
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from backend.settings import Settings
from tests.deploy.proxy import compose_server_block, nginx
from tests.field_sync.test_end_to_end import FIELD_SYNC, PROCEDURE, field_sync, issue
from tests.field_sync.test_weak_link import capture_offline
from tests.field_sync.weaklink import WeakLink
from tests.helpers import (
    ServerProcess,
    Staff,
    _free_port,
    redis_server,
    s3_server,
    server_env,
)

pytestmark = [pytest.mark.slow, pytest.mark.db]
DOSSIERS = 24


@pytest.mark.parametrize("engine_name", ["postgres"])
async def test_province_topology__cut_link_alternating_processes_one_killed__each_dossier_once(
    client: httpx.AsyncClient, staff: Staff, settings: Settings, tmp_path: Path
) -> None:
    await staff.post_created("/api/v1/procedures", PROCEDURE)
    team = await staff.post_created("/api/v1/teams", {"kind": "roaming", "name": "Tổ lưu động 1"})
    home, files = tmp_path / "device", tmp_path / "files"
    files.mkdir()
    proxy_port = _free_port()

    with redis_server(tmp_path) as redis_url, s3_server() as bucket:
        env = {
            **server_env(settings),
            **bucket.env(prefix="tinh"),
            "REDIS_URL": redis_url,
            "TRUSTED_PROXIES": "127.0.0.1",
            "UPLOAD_IDLE_TIMEOUT_S": "5",
        }
        servers = [ServerProcess(env, tmp_path), ServerProcess(env, tmp_path)]
        block = compose_server_block([s.port for s in servers], proxy_port)
        with (
            nginx(tmp_path / "nginx", block) as access_log,
            WeakLink(proxy_port, bytes_per_s=3 * 1024 * 1024, cut_every=128 * 1024) as link,
        ):
            for server in servers:
                server.env["PUBLIC_URL"] = link.base  # the address the devices reach
                server.start()
            try:
                issued = await issue(link.base, staff, team["id"])
                public = json.loads(issued["qr_payload"])["server"]
                await asyncio.to_thread(field_sync, home, "enroll", public, issued["code"])
                payload = await asyncio.to_thread(
                    capture_offline, home, files, DOSSIERS, 2, size=(1600, 1200), first_seed=100
                )
                link.stats.upstream_bytes = link.stats.cuts = 0
                pushed = await asyncio.to_thread(push_killing, home, servers[0])
                carried = link.stats.upstream_bytes
                cuts = link.stats.cuts
            finally:
                for server in servers:
                    server.stop()
            # "$request_method $uri $status $upstream_addr": the last address is the one that
            # answered (nginx lists each it tried, "a, b", when one refused the connection).
            scans = await asyncio.to_thread(bucket.objects, "tinh/blobs/")
            routed = [
                (line.split()[0], line.split(" ", 3)[3].split(", ")[-1])
                for line in access_log.read_text().splitlines()
            ]

    inbox = (await client.get("/api/v1/dossiers?limit=200", headers=staff["clerk.a"].auth)).json()
    assert public == link.base, "the enrolment QR names PUBLIC_URL, not the Host nginx sent"
    assert pushed == {"accepted": DOSSIERS}
    assert inbox["total"] == DOSSIERS, "each dossier once"
    assert len({d["applicant_name"] for d in inbox["items"]}) == DOSSIERS
    assert cuts >= 10, "the link really was cut"
    # Each cut loses what was in flight; an upload sent again from its start would add its size.
    assert carried / payload < 1.6, f"{carried} bytes carried for {payload}"
    by_process = Counter((m, addr) for m, addr in routed if m in ("HEAD", "PATCH"))
    for server in servers:
        assert by_process[("PATCH", f"127.0.0.1:{server.port}")] > 0, by_process
    assert any(m == "HEAD" for m, _ in by_process), "uploads resumed after cuts"
    for dossier in inbox["items"]:
        detail = (
            await client.get(f"/api/v1/dossiers/{dossier['id']}", headers=staff["clerk.a"].auth)
        ).json()
        assert len(detail["documents"]) == 2
        for document in detail["documents"]:
            sha = document["sha256"]
            assert hashlib.sha256(scans[sha]).hexdigest() == sha, "whole, in the object store"
    assert not (settings.media_root / "blobs").exists(), "no scan on a host's own disk"


def push_killing(home: Path, victim: ServerProcess) -> dict[str, int]:
    """A push with one app process SIGKILLed two seconds in (and started again a few seconds
    later, as compose's restart policy would); pushes again until the outbox is empty."""
    push = subprocess.Popen(
        [FIELD_SYNC, "--home", str(home), "push", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(2.0)
    victim.kill()
    time.sleep(3.0)
    victim.start()
    out, _ = push.communicate(timeout=300)
    outcomes: Counter[str] = Counter(json.loads(out)["outcomes"])
    for _ in range(3):
        if sum(outcomes.values()) >= DOSSIERS:
            break
        again = field_sync(home, "push", "--json", check=False)
        outcomes.update(json.loads(again.stdout)["outcomes"])
    return dict(outcomes)


@pytest.mark.parametrize("engine_name", ["postgres"])
async def test_field_app_at_the_public_address__through_nginx_to_two_processes_and_the_bucket(
    client: httpx.AsyncClient, staff: Staff, settings: Settings, tmp_path: Path
) -> None:
    from playwright.async_api import async_playwright, expect

    from tests.field_app.test_field_app import capture, files, phone
    from tests.web.test_browser import CHROMIUM

    await staff.post_created("/api/v1/procedures", PROCEDURE)
    team = await staff.post_created("/api/v1/teams", {"kind": "roaming", "name": "Tổ lưu động 1"})
    photos = files(tmp_path)
    proxy_port = _free_port()
    public = f"http://127.0.0.1:{proxy_port}"
    with redis_server(tmp_path) as redis_url, s3_server() as bucket:
        env = {
            **server_env(settings),
            **bucket.env(),
            "REDIS_URL": redis_url,
            "TRUSTED_PROXIES": "127.0.0.1",
            "PUBLIC_URL": public,
        }
        servers = [ServerProcess(env, tmp_path), ServerProcess(env, tmp_path)]
        block = compose_server_block([s.port for s in servers], proxy_port)
        with nginx(tmp_path / "nginx", block) as access_log:
            for server in servers:
                server.start()
            try:
                issued = await issue(public, staff, team["id"])
                async with async_playwright() as playwright:
                    browser = await playwright.chromium.launch(
                        executable_path=CHROMIUM,
                        args=["--no-sandbox", "--disable-background-networking"],
                    )
                    page = await (await phone(browser)).new_page()
                    await page.goto(f"{json.loads(issued['qr_payload'])['server']}/thiet-bi/")
                    await page.get_by_label("Mã đăng ký").fill(issued["code"])
                    await page.get_by_role("button", name="Đăng ký", exact=True).click()
                    await expect(page.get_by_role("heading", name="Tổ lưu động 1")).to_be_visible()
                    for n in range(2):
                        await capture(page, photos, f"page{n}")
                    await expect(page.locator(".dossiers .state.committed")).to_have_count(
                        2, timeout=60_000
                    )
                    await browser.close()
            finally:
                for server in servers:
                    server.stop()
            scans = await asyncio.to_thread(bucket.objects, "blobs/")
            served = {
                line.split(" ", 3)[3].split(", ")[-1]
                for line in access_log.read_text().splitlines()
                if line.startswith(("PATCH", "POST"))
            }

    inbox = (await client.get("/api/v1/dossiers", headers=staff["clerk.a"].auth)).json()
    assert inbox["total"] == 2
    for dossier in inbox["items"]:
        detail = (
            await client.get(f"/api/v1/dossiers/{dossier['id']}", headers=staff["clerk.a"].auth)
        ).json()
        for document in detail["documents"]:
            sha = document["sha256"]
            assert hashlib.sha256(scans[sha]).hexdigest() == sha
    assert served == {f"127.0.0.1:{s.port}" for s in servers}, "both processes took the app's work"
