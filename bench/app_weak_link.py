"""The field app's push over a 2G-like link, side by side with ``field-sync`` in the same run.

Starts ``luudong serve`` (SQLite, temporary folder) behind a proxy with an uplink of ``--kbit``
kbit/s, ``--rtt`` seconds of round trip and a cut every 128 KiB. Each client sends the same
dossiers (one 12-megapixel photo each, normalised on the client): ``field-sync push`` as a
process, and the field app in Debian's Chromium (captured offline, then the link comes back).
Prints JSON per client: time ÷ (payload ÷ bandwidth) and bytes on the link ÷ payload (aim: at
most 1.15 for both).

    .venv/bin/python -m bench.app_weak_link [--dossiers 2] [--kbit 64] [--rtt 0.6]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
from playwright.async_api import async_playwright, expect

from bench.setup import BIN, admin_headers, scratch_env
from tests.field_sync.weaklink import WeakLink
from tests.helpers import ServerProcess
from tests.media.imagery import document_photo

CUT = 128 * 1024
PROCEDURE = {
    "code": "1.004873",
    "name": "Xác nhận tình trạng hôn nhân",
    "processing_days": 3,
    "documents": [{"key": "to_khai", "name": "Tờ khai", "kind": "original"}],
}
BLOB_SIZES = """(async () => {
  const db = await new Promise((ok) => {
    const q = indexedDB.open("luudong"); q.onsuccess = () => ok(q.result); });
  return await new Promise((ok) => {
    const q = db.transaction("blobs").objectStore("blobs").getAll();
    q.onsuccess = () => ok(q.result.map((b) => b.size)); });
})()"""


def field_sync(home: Path, *args: str) -> str:
    return subprocess.run(
        [str(BIN / "field-sync"), "--home", str(home), *args],
        check=True,
        capture_output=True,
        text=True,
        timeout=3600,
    ).stdout


def measure_cli(
    base: str, code: str, photos: list[Path], home: Path, link: WeakLink, bandwidth: float
) -> dict[str, object]:
    field_sync(home, "enroll", base, code)
    for n, photo in enumerate(photos):
        field_sync(
            home, "capture", "--procedure", "1.004873", "--name", f"Người {n}",
            "--id-number", "022095001234", "--scan", f"to_khai={photo}", "--consent",
        )  # fmt: skip
    payload = sum(p.stat().st_size for p in (home / "scans").iterdir())
    link.stats.upstream_bytes = link.stats.cuts = 0
    started = time.perf_counter()
    pushed = json.loads(field_sync(home, "--retries", "40", "push", "--json"))
    elapsed = time.perf_counter() - started
    return _figures(payload, elapsed, link, bandwidth, pushed["outcomes"].get("accepted", 0))


async def measure_app(
    base: str, code: str, photos: list[Path], profile: Path, link: WeakLink, bandwidth: float
) -> dict[str, object]:
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=shutil.which("chromium") or "/usr/bin/chromium",
            args=["--no-sandbox", "--disable-background-networking"],
            viewport={"width": 360, "height": 780},
            is_mobile=True,
            has_touch=True,
        )
        page = context.pages[0] if context.pages else await context.new_page()
        await page.goto(f"{base}/thiet-bi/")
        await page.get_by_label("Mã đăng ký").fill(code)
        await page.get_by_role("button", name="Đăng ký", exact=True).click()
        await page.get_by_role("link", name="Thu hồ sơ mới").wait_for()
        await context.set_offline(True)
        for n, photo in enumerate(photos):
            await page.get_by_role("link", name="Thu hồ sơ mới").click()
            await page.get_by_label("Thủ tục", exact=True).select_option("1.004873")
            await page.get_by_label("Họ và tên").fill(f"Người {n}")
            await page.get_by_label("Số định danh (12 số)").fill("022095001234")
            await page.locator("#doc-to_khai").set_input_files(photo)
            await page.get_by_label("Người nộp đồng ý").check()
            await page.get_by_role("button", name="Lưu hồ sơ vào máy").click()
            await page.get_by_role("heading", name="Hồ sơ trên máy").wait_for(timeout=60_000)
        payload = sum(await page.evaluate(BLOB_SIZES))
        link.stats.upstream_bytes = link.stats.cuts = 0
        started = time.perf_counter()
        await context.set_offline(False)
        await page.evaluate("window.dispatchEvent(new Event('online'))")
        committed = page.locator(".dossiers .state.committed")
        await expect(committed).to_have_count(len(photos), timeout=3_600_000)
        elapsed = time.perf_counter() - started
        accepted = await committed.count()
        await context.close()
    return _figures(payload, elapsed, link, bandwidth, accepted)


def _figures(
    payload: int, elapsed: float, link: WeakLink, bandwidth: float, accepted: int
) -> dict[str, object]:
    ideal = payload / bandwidth
    return {
        "payload_bytes": payload,
        "seconds": round(elapsed, 1),
        "ideal_seconds": round(ideal, 1),
        "time_ratio": round(elapsed / ideal, 3),
        "wire_bytes_per_payload_byte": round(link.stats.upstream_bytes / payload, 3),
        "cuts": link.stats.cuts,
        "accepted": accepted,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dossiers", type=int, default=2)
    parser.add_argument("--kbit", type=float, default=64.0, help="uplink in kbit/s")
    parser.add_argument("--rtt", type=float, default=0.6, help="round trip in seconds")
    args = parser.parse_args()
    bandwidth = args.kbit * 1000 / 8
    home = Path(tempfile.mkdtemp(prefix="bench-app-link-"))
    photos = []
    for n in range(args.dossiers):
        photo = home / f"photo{n}.jpg"
        photo.write_bytes(document_photo(100 + n))
        photos.append(photo)
    env = scratch_env(home)
    admin = admin_headers(env, home)
    server = ServerProcess(env, home)
    server.start()
    try:
        with httpx.Client(base_url=server.base, headers=admin) as http:
            http.post("/api/v1/procedures", json=PROCEDURE)
            team = http.post("/api/v1/teams", json={"kind": "roaming", "name": "Tổ đảo"}).json()

            def code() -> str:
                return str(http.post(f"/api/v1/teams/{team['id']}/enrolment-codes").json()["code"])

            cli_code, app_code = code(), code()
        with WeakLink(server.port, bytes_per_s=bandwidth, cut_every=CUT, rtt_s=args.rtt) as link:
            cli = measure_cli(link.base, cli_code, photos, home / "cli", link, bandwidth)
            app = asyncio.run(
                measure_app(link.base, app_code, photos, home / "profile", link, bandwidth)
            )
    finally:
        server.stop()
        shutil.rmtree(home, ignore_errors=True)
    link_facts = {"kbit_per_s": args.kbit, "rtt_s": args.rtt, "cut_every_bytes": CUT}
    print(json.dumps({"link": link_facts, "field_sync": cli, "field_app": app}, indent=2))


if __name__ == "__main__":
    main()
