"""``luudong backup`` while the server runs, and ``luudong restore`` into a fresh installation:
every dossier and every scan comes back, and the devices and clerks keep working without enrolling
or signing in again (the secret key travels with the backup)."""

from __future__ import annotations

import hashlib
import io
import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import httpx
import pytest

from tests.helpers import serve

BIN = Path(sys.executable).parent
pytestmark = [pytest.mark.slow, pytest.mark.db]


def _luudong(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "luudong"), *args], env=env, cwd=cwd, capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip


def _install(folder: Path, database_url: str) -> dict[str, str]:
    folder.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "PUBLIC_URL")}
    env.update(
        DATABASE_URL=database_url,
        MEDIA_ROOT=str(folder / "media"),
        SECRET_KEY_FILE=str(folder / "secret_key"),
    )
    return env


def _everything(base: str, device_token: str) -> tuple[dict[str, list[str]], int, int]:
    """Each dossier's scans, what the device's token is answered, and one scan's status."""
    with httpx.Client(base_url=base, timeout=30) as client:
        login = client.post(
            "/api/v1/auth/login", json={"username": "clerk.coto", "password": "demo-clerk-2026"}
        )
        assert login.status_code == 201, login.text
        dossiers: dict[str, list[str]] = {}
        offset = 0
        while True:
            page = client.get("/api/v1/dossiers", params={"limit": 200, "offset": offset}).json()
            for item in page["items"]:
                detail = client.get(f"/api/v1/dossiers/{item['id']}").json()
                dossiers[detail["code"] or detail["id"]] = sorted(
                    d["sha256"] for d in detail["documents"]
                )
            offset += len(page["items"])
            if offset >= page["total"]:
                break
        first = next(iter(sorted(item for item in dossiers.items() if item[1])))
        dossier_id = client.get("/api/v1/dossiers", params={"q": first[0]}).json()["items"][0]["id"]
        scan = client.get(f"/ho-so/{dossier_id}/anh/{first[1][0]}")
    device = httpx.get(
        f"{base}/api/v1/sync/bootstrap", headers={"Authorization": f"Bearer {device_token}"}
    )
    return dossiers, device.status_code, scan.status_code


def test_backup_of_a_running_server_restores_every_dossier_scan_and_token(
    database_url: str, empty_database_url: str, tmp_path: Path
) -> None:
    source = _install(tmp_path / "a", database_url)
    seeded = _luudong("seed-demo", env=source, cwd=tmp_path / "a")
    assert seeded.returncode == 0, seeded.stderr
    code = re.search(r"enrolment code for .*?: (\S+)", seeded.stdout)
    assert code is not None
    with serve(source, tmp_path / "a") as base:
        enrolled = httpx.post(
            f"{base}/api/v1/devices/enroll", json={"code": code.group(1), "name": "Máy 1"}
        )
        token = enrolled.json()["token"]
        before = _everything(base, token)
        made = _luudong("backup", str(tmp_path / "backups"), env=source, cwd=tmp_path / "a")
    assert made.returncode == 0, made.stderr
    [archive] = (tmp_path / "backups").glob("luudong-*.tar")
    assert archive.stat().st_mode & 0o077 == 0, "holds the secret key: readable by its owner only"

    target = _install(tmp_path / "b", empty_database_url)
    restored = _luudong("restore", str(archive), env=target, cwd=tmp_path / "b")
    again = _luudong("restore", str(archive), env=target, cwd=tmp_path / "b")

    assert restored.returncode == 0, restored.stderr
    assert again.returncode == 1, "never over live data"
    assert "restore_failed" in again.stderr
    with serve(target, tmp_path / "b") as base:
        after = _everything(base, token)
    # The demo's months of history (how many fall on working days depends on today's date).
    assert len(before[0]) >= 25, "the demo's dossiers"
    assert after == before
    assert after[1:] == (200, 200), "the device's token and the scans work after the restore"
    for shas in after[0].values():
        for sha in shas:
            blob = tmp_path / "b" / "media" / "blobs" / sha[:2] / sha[2:4] / sha
            assert hashlib.sha256(blob.read_bytes()).hexdigest() == sha


def test_restore__refuses_a_damaged_scan_and_another_secret_key(
    database_url: str, empty_database_url: str, tmp_path: Path
) -> None:
    source = _install(tmp_path / "a", database_url)
    assert _luudong("seed-demo", env=source, cwd=tmp_path / "a").returncode == 0
    assert _luudong("backup", str(tmp_path / "out"), env=source, cwd=tmp_path / "a").returncode == 0
    [archive] = (tmp_path / "out").glob("*.tar")
    damaged = tmp_path / "damaged.tar"
    with tarfile.open(archive) as original, tarfile.open(damaged, "w") as copy:
        members = original.getmembers()
        last_scan = max(m.name for m in members if m.name.startswith("media/blobs/"))
        for member in members:
            data = original.extractfile(member)
            if member.name == last_scan and data is not None:
                content = bytearray(data.read())
                content[len(content) // 2] ^= 0xFF
                data = io.BytesIO(bytes(content))
            copy.addfile(member, data)
    target = _install(tmp_path / "b", empty_database_url)

    other_key = _luudong(
        "restore", str(archive), env={**target, "SECRET_KEY": "x" * 40}, cwd=tmp_path / "b"
    )
    broken = _luudong("restore", str(damaged), env=target, cwd=tmp_path / "b")

    assert other_key.returncode == 1
    assert "SECRET_KEY differs" in other_key.stderr
    assert broken.returncode == 1
    assert "damaged" in broken.stderr
    assert not list((tmp_path / "b" / "media").glob("blobs/*/*/*")), "no scan left half restored"
    assert not (tmp_path / "b" / "secret_key").exists(), "nor the key of a restore that failed"
