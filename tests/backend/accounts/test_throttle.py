"""Who the client is behind a proxy, and how fast anyone may guess a password."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from litestar import Litestar

from backend.app import create_app
from backend.audit.tables import AuditEntry
from backend.clock import FrozenClock
from backend.settings import Settings, SettingsError
from tests.backend.dossiers.test_lifecycle import catalog, submit
from tests.helpers import PASSWORD, ServerProcess, Staff, app_client, assert_problem, server_env

__all__ = ["catalog"]


def _app(settings: Settings, clock: FrozenClock, **changes: object) -> Litestar:
    return create_app(replace(settings, **changes), clock=clock)  # type: ignore[arg-type]


async def _wrong(client: httpx.AsyncClient, username: str, forwarded: str) -> httpx.Response:
    return await client.post(
        "/api/v1/auth/login",
        json={"username": username, "password": "wrong-guess-1"},
        headers={"X-Forwarded-For": forwarded},
    )


async def test_proxy__a_forged_forwarded_for_is_ignored_without_trusted_proxies(
    settings: Settings, clock: FrozenClock, staff: Staff
) -> None:
    app = _app(settings, clock, login_attempts_per_minute=10)
    async with app_client(app) as client:
        codes = [
            (await _wrong(client, f"user{n}", f"203.0.113.{n}")).status_code for n in range(12)
        ]

    assert codes[:10] == [401] * 10
    assert codes[10:] == [429, 429]


async def test_proxy__the_client_behind_a_trusted_proxy_is_the_rightmost_untrusted_address(
    settings: Settings, clock: FrozenClock, staff: Staff, catalog: None
) -> None:
    dossier = await submit(staff)
    # The in-process client connects from 127.0.0.1: here it plays the proxy.
    app = _app(settings, clock, login_attempts_per_minute=3, trusted_proxies=("127.0.0.1/32",))
    async with app_client(app) as client:
        # A client that wrote its own header: the proxy appended the real address.
        one = [
            (await _wrong(client, f"u{n}", f"6.6.6.{n}, 198.51.100.7")).status_code
            for n in range(4)
        ]
        other = (await _wrong(client, "u9", "198.51.100.8")).status_code
        await client.get(
            f"/api/v1/dossiers/{dossier['id']}",
            headers={**staff["clerk.a"].auth, "X-Forwarded-For": "6.6.6.6, 198.51.100.9"},
        )

    assert one == [401, 401, 401, 429]
    assert other == 401
    clients = await AuditEntry.select(AuditEntry.client).where(
        AuditEntry.dossier_id == dossier["id"]
    )
    assert clients == [{"client": "198.51.100.9"}]


async def test_proxy__the_audit_records_the_peer_when_no_proxy_is_trusted(
    client: httpx.AsyncClient, staff: Staff, catalog: None
) -> None:
    dossier = await submit(staff)
    await client.get(
        f"/api/v1/dossiers/{dossier['id']}",
        headers={**staff["clerk.a"].auth, "X-Forwarded-For": "6.6.6.6"},
    )

    clients = await AuditEntry.select(AuditEntry.client).where(
        AuditEntry.dossier_id == dossier["id"]
    )
    assert clients == [{"client": "127.0.0.1"}]


def test_settings__trusted_proxies_are_checked_and_a_wildcard_is_refused() -> None:
    env = {"SECRET_KEY": "k" * 40}
    parsed = Settings.from_env({**env, "TRUSTED_PROXIES": "10.0.0.0/8, 172.30.0.5"})

    assert parsed.trusted_proxies == ("10.0.0.0/8", "172.30.0.5/32")
    with pytest.raises(SettingsError, match="any client"):
        Settings.from_env({**env, "TRUSTED_PROXIES": "*"})


async def test_login__each_wrong_password_after_three_makes_the_account_wait_longer(
    settings: Settings, clock: FrozenClock, staff: Staff
) -> None:
    app = _app(settings, clock, trusted_proxies=("127.0.0.1/32",))
    async with app_client(app) as client:
        # From a new address each time: the wait belongs to the account, not the address.
        first = [(await _wrong(client, "clerk.a", f"198.51.100.{n}")).status_code for n in range(4)]
        right = await client.post(
            "/api/v1/auth/login", json={"username": "clerk.a", "password": PASSWORD}
        )
        clock.advance(timedelta(seconds=3))
        after = await client.post(
            "/api/v1/auth/login", json={"username": "clerk.a", "password": PASSWORD}
        )
        other = await client.post(
            "/api/v1/auth/login", json={"username": "clerk.b", "password": PASSWORD}
        )

    assert first == [401, 401, 401, 401]
    body = assert_problem(right, 429, "rate_limited")
    assert right.headers["retry-after"] == "2"
    assert "giây" in body["detail"]
    assert after.status_code == 201
    assert other.status_code == 201


async def test_login__an_unknown_name_waits_like_a_real_one(
    settings: Settings, clock: FrozenClock, staff: Staff
) -> None:
    app = _app(settings, clock)
    async with app_client(app) as client:
        real = [(await _wrong(client, "clerk.a", "x")).status_code for _ in range(5)]
        unknown = [(await _wrong(client, "nobody.here", "x")).status_code for _ in range(5)]

    assert real == unknown == [401, 401, 401, 401, 429]


def test_serve__a_real_server_ignores_a_forged_forwarded_for(
    settings: Settings, tmp_path: Path, staff: Staff
) -> None:
    env = {**server_env(settings), "LOGIN_ATTEMPTS_PER_MINUTE": "5"}
    server = ServerProcess(env, tmp_path)
    server.start()
    try:
        codes = [
            httpx.post(
                f"{server.base}/api/v1/auth/login",
                json={"username": f"user{n}", "password": "wrong-guess-1"},
                headers={"X-Forwarded-For": f"203.0.113.{n}"},
            ).status_code
            for n in range(7)
        ]
    finally:
        server.stop()

    assert codes == [401] * 5 + [429, 429]
