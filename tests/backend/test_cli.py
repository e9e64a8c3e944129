"""The ``luudong`` command and the server, as real processes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.helpers import serve

BIN = Path(sys.executable).parent
pytestmark = pytest.mark.slow


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY")}
    env.update(SECRET_KEY_FILE=str(tmp_path / "secret_key"), **extra)
    return env


def _luudong(
    *args: str, env: dict[str, str], cwd: Path, check: bool = True
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(BIN / "luudong"), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_cli__migrate_create_user_and_token__token_works_on_a_running_server(
    empty_database_url: str, tmp_path: Path
) -> None:
    env = _env(tmp_path, DATABASE_URL=empty_database_url)

    assert "applied m0001_initial" in _luudong("migrate", env=env, cwd=tmp_path).stdout
    assert "up to date" in _luudong("migrate", env=env, cwd=tmp_path).stdout
    created = _luudong(
        "create-user",
        "--username",
        "chu.tich",
        "--password",
        "mat khau rat dai",
        "--role",
        "admin",
        "--commune",
        "07192",
        env=env,
        cwd=tmp_path,
    )
    token = _luudong("create-token", "--username", "chu.tich", env=env, cwd=tmp_path).stdout.strip()

    assert "mat khau rat dai" not in created.stdout + created.stderr
    assert token.startswith("ldp_")
    with serve(env, tmp_path) as base:
        me = httpx.get(f"{base}/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200
        assert me.json()["username"] == "chu.tich"
        assert me.json()["commune_code"] == "07192"


def test_cli__bad_input_exits_nonzero_with_a_clear_code(tmp_path: Path) -> None:
    env = _env(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    _luudong("migrate", env=env, cwd=tmp_path)

    unknown_commune = _luudong(
        "create-user",
        "--username",
        "ai.do",
        "--password",
        "mat khau rat dai",
        "--role",
        "clerk",
        "--commune",
        "99999",
        env=env,
        cwd=tmp_path,
        check=False,
    )
    short_password = _luudong(
        "create-user",
        "--username",
        "ai.do",
        "--password",
        "ngan",
        "--role",
        "clerk",
        "--commune",
        "07192",
        env=env,
        cwd=tmp_path,
        check=False,
    )
    no_user = _luudong("create-token", "--username", "khong.co", env=env, cwd=tmp_path, check=False)
    bad_url = _luudong(
        "migrate", env={**env, "DATABASE_URL": "mysql://x"}, cwd=tmp_path, check=False
    )

    assert unknown_commune.returncode == 1
    assert "unknown_commune" in unknown_commune.stderr
    assert short_password.returncode == 1
    assert "validation_failed" in short_password.stderr
    assert no_user.returncode == 1
    assert "not_found" in no_user.stderr
    assert bad_url.returncode == 2
    assert "DATABASE_URL" in bad_url.stderr


def test_make_run_flow__embedded_default_serves_the_demo_catalog_to_the_demo_admin(
    tmp_path: Path,
) -> None:
    env = _env(tmp_path, MEDIA_ROOT=str(tmp_path / "media"))
    today = datetime.now(UTC).date()
    period = ("--commune", "07192", "--from", f"{today - timedelta(days=365)}", "--to", f"{today}")
    _luudong("migrate", env=env, cwd=tmp_path)
    seeded = _luudong("seed-demo", env=env, cwd=tmp_path)
    first = _luudong("report", *period, env=env, cwd=tmp_path)
    _luudong("seed-demo", env=env, cwd=tmp_path)

    report = _luudong(
        "report", *period, "--csv", str(tmp_path / "report.csv"), env=env, cwd=tmp_path
    )

    assert "admin.coto / demo-admin-2026" in seeded.stdout
    received = re.search(r"tiếp nhận (\d+) hồ sơ", report.stdout)
    assert received is not None
    assert int(received.group(1)) >= 30, "the demo has months of dossiers to show"
    assert report.stdout == first.stdout, "seeding twice must not add dossiers"
    assert (tmp_path / "report.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert (tmp_path / "var" / "luudong.sqlite3").exists()
    with serve(env, tmp_path) as base, httpx.Client(base_url=base) as client:
        assert client.get("/ready").json()["database"] == "sqlite"
        login = client.post(
            "/api/v1/auth/login", json={"username": "admin.coto", "password": "demo-admin-2026"}
        )
        assert login.status_code == 201
        procedures = client.get("/api/v1/procedures").json()
        teams = client.get("/api/v1/teams").json()
        assert len(procedures) >= 15
        assert len(teams) == 2, "seeding twice must not duplicate the demo teams"
        assert "Đăng ký khai sinh" in {p["name"] for p in procedures}


def test_init__sets_up_a_real_commune_without_demo_data_and_only_once(
    empty_database_url: str, tmp_path: Path
) -> None:
    env = _env(tmp_path, DATABASE_URL=empty_database_url, MEDIA_ROOT=str(tmp_path / "media"))
    first = [
        "init", "--commune", "07192", "--agency-code", "000.00.12.H40", "--username",
        "quantri.coto", "--full-name", "Vũ Thị Hằng", "--password", "mat khau that dai",
    ]  # fmt: skip

    done = _luudong(*first, env=env, cwd=tmp_path)
    second = [*first[:6], "khac.coto", *first[7:]]
    again = _luudong(*second, env=env, cwd=tmp_path, check=False)

    assert "Đặc khu Cô Tô" in done.stdout
    assert again.returncode == 1
    assert "already_initialised" in again.stderr
    public = {**env, "PUBLIC_URL": "http://192.0.2.10:8000"}
    with serve(public, tmp_path) as base, httpx.Client(base_url=base) as client:
        demo = client.post(
            "/api/v1/auth/login", json={"username": "admin.coto", "password": "demo-admin-2026"}
        )
        login = client.post(
            "/api/v1/auth/login",
            json={"username": "quantri.coto", "password": "mat khau that dai"},
        )
        commune = client.get("/api/v1/commune").json()
        procedures = client.get("/api/v1/procedures").json()
        users = client.get("/api/v1/users").json()
    assert demo.status_code == 401, "no demo account on a real commune"
    assert login.status_code == 201
    assert commune["agency_code"] == "000.00.12.H40"
    assert len(procedures) >= 15, "the shipped catalog, to edit from"
    assert [(u["username"], u["role"], u["full_name"]) for u in users] == [
        ("quantri.coto", "admin", "Vũ Thị Hằng")
    ]


def test_start_up_errors__are_one_line_without_a_traceback(tmp_path: Path) -> None:
    env = _env(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    env.pop("PUBLIC_URL", None)
    cases = {
        "no public address": (("serve",), env, 2, "PUBLIC_URL is required"),
        "public address with a path": (
            ("serve",), {**env, "PUBLIC_URL": "https://motcua.example.vn/app"}, 2, "PUBLIC_URL"
        ),
        "bad port": (("serve",), {**env, "PORT": "tám nghìn"}, 2, "PORT must be a whole number"),
        "no database server": (
            ("migrate",),
            {**env, "DATABASE_URL": "postgresql://luudong:mat-khau@127.0.0.1:9/luudong"},
            1,
            "Không mở được cơ sở dữ liệu (postgresql://127.0.0.1:9/luudong)",
        ),
        "folder that cannot exist": (
            ("migrate",), {**env, "DATABASE_URL": "sqlite:////proc/1/khong/db.sqlite3"}, 1,
            "Không mở được cơ sở dữ liệu",
        ),
    }  # fmt: skip

    for name, (args, case_env, status, message) in cases.items():
        result = _luudong(*args, env=case_env, cwd=tmp_path, check=False)
        lines = result.stderr.strip().splitlines()
        assert result.returncode == status, (name, result.stderr)
        assert len(lines) == 1, (name, result.stderr)
        assert message in lines[0], (name, lines)
        assert "mat-khau" not in result.stderr, "the password in the URL is never printed"
