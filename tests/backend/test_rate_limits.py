"""Rate limits count once for the whole deployment, and each kind of route in its own bucket.

Per-worker memory let 34 of 45 logins from one address through a limit of 10 behind two
processes; with ``REDIS_URL`` every worker and replica reads and writes the same counter."""

from __future__ import annotations

import socket
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from backend.app import create_app
from backend.clock import FrozenClock
from backend.settings import Settings
from tests.helpers import ServerProcess, Staff, app_client, redis_server, server_env

pytestmark = pytest.mark.db


def _wrong_login(client: httpx.Client, n: int) -> int:
    # A different name each time: the per-account throttle (in the database) stays out of it.
    return client.post(
        "/api/v1/auth/login", json={"username": f"khong.co.{n}", "password": "doan bua thoi"}
    ).status_code


@pytest.mark.slow
def test_login_limit__is_one_count_across_two_server_processes(
    settings: Settings, tmp_path: Path
) -> None:
    with redis_server(tmp_path) as redis_url:
        env = {**server_env(settings), "REDIS_URL": redis_url, "LOGIN_ATTEMPTS_PER_MINUTE": "10"}
        servers = [ServerProcess(env, tmp_path), ServerProcess(env, tmp_path)]
        for server in servers:
            server.start()
        try:
            clients = [httpx.Client(base_url=server.base, timeout=10) for server in servers]
            codes = [_wrong_login(clients[n % 2], n) for n in range(24)]
            ready = clients[0].get("/ready").json()
            # Redis gone: the limit cannot be counted, the office is not locked out.
            _stop_redis(urlsplit(redis_url).port or 6379)
            without = [_wrong_login(clients[n % 2], 100 + n) for n in range(4)]
            ready_without = clients[1].get("/ready")
        finally:
            for server in servers:
                server.stop()

    assert codes.count(401) == 10, codes
    assert codes[10:] == [429] * 14
    assert ready["rate_limits"] == "redis"
    assert without == [401] * 4
    assert ready_without.status_code == 200
    assert ready_without.json()["rate_limits"] == "redis-unreachable"


def _stop_redis(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
        sock.sendall(b"SHUTDOWN NOSAVE\r\n")
        sock.recv(16)


async def test_enrolment__has_its_own_bucket_so_an_office_enrols_after_the_login_limit(
    settings: Settings, clock: FrozenClock, staff: Staff
) -> None:
    app = create_app(replace(settings, login_attempts_per_minute=2), clock=clock)
    team = await staff.post_created("/api/v1/teams", {"kind": "roaming", "name": "Tổ 1"})
    async with app_client(app) as client:
        logins = [
            (
                await client.post(
                    "/api/v1/auth/login", json={"username": f"x.{n}", "password": "sai mat khau"}
                )
            ).status_code
            for n in range(3)
        ]
        enrolled: list[Any] = []
        for n in range(5):
            code = await client.post(
                f"/api/v1/teams/{team['id']}/enrolment-codes", headers=staff["admin.a"].auth
            )
            enrolled.append(
                await client.post(
                    "/api/v1/devices/enroll", json={"code": code.json()["code"], "name": f"Máy {n}"}
                )
            )

    assert logins == [401, 401, 429]
    assert [r.status_code for r in enrolled] == [201] * 5
