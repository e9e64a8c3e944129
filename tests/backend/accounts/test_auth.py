"""Logging in, sessions, CSRF, personal tokens and role guards."""

from __future__ import annotations

import logging
from datetime import timedelta

import httpx
import pytest

from backend.accounts.tables import ApiToken, LoginSession, User
from backend.clock import FrozenClock
from backend.wiring import Services
from tests.helpers import PASSWORD, Staff, app_client, assert_problem

TEAM = {"kind": "roaming", "name": "Tổ lưu động thử"}


async def test_login__sets_httponly_cookie_and_returns_csrf_token(
    client: httpx.AsyncClient, staff: Staff
) -> None:
    response = await client.post(
        "/api/v1/auth/login", json={"username": "clerk.a", "password": PASSWORD}
    )

    assert response.status_code == 201
    cookie = response.headers["set-cookie"]
    assert "luudong_session=lds_" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    body = response.json()
    assert body["user"]["username"] == "clerk.a"
    assert body["user"]["commune_code"] == "07192"
    assert len(body["csrf_token"]) >= 32
    me = await client.get("/api/v1/auth/me")
    assert me.json()["username"] == "clerk.a"


async def test_login__wrong_password_and_unknown_user_are_indistinguishable(
    client: httpx.AsyncClient, staff: Staff
) -> None:
    wrong = await client.post(
        "/api/v1/auth/login", json={"username": "clerk.a", "password": "not the password"}
    )
    unknown = await client.post(
        "/api/v1/auth/login", json={"username": "nobody.here", "password": "not the password"}
    )

    assert assert_problem(wrong, 401, "invalid_credentials") == assert_problem(
        unknown, 401, "invalid_credentials"
    )
    assert "set-cookie" not in wrong.headers


async def test_login__deactivated_user_is_refused(client: httpx.AsyncClient, staff: Staff) -> None:
    await User.update({User.active: False}).where(User.username == "clerk.a")

    response = await client.post(
        "/api/v1/auth/login", json={"username": "clerk.a", "password": PASSWORD}
    )

    assert_problem(response, 401, "invalid_credentials")


async def test_login__password_is_never_stored_or_logged(
    client: httpx.AsyncClient, staff: Staff, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await client.post("/api/v1/auth/login", json={"username": "clerk.a", "password": "guess-1234"})
    await staff.login("clerk.a")

    stored = await User.select(User.password_hash).where(User.username == "clerk.a").first()
    assert stored is not None
    assert stored["password_hash"].startswith("$argon2id$")
    assert PASSWORD not in stored["password_hash"]
    assert "guess-1234" not in caplog.text
    assert PASSWORD not in caplog.text


async def test_cookie_request__unsafe_method_without_csrf_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, staff: Staff
) -> None:
    await staff.login("admin.a")

    missing = await client.post("/api/v1/teams", json=TEAM)
    wrong = await client.post("/api/v1/teams", json=TEAM, headers={"X-CSRF-Token": "forged"})

    assert_problem(missing, 403, "csrf_failed")
    assert_problem(wrong, 403, "csrf_failed")
    assert (await client.get("/api/v1/teams")).json() == []


async def test_cookie_request__with_session_csrf_token_is_accepted(
    client: httpx.AsyncClient, staff: Staff
) -> None:
    session = await staff.login("admin.a")

    response = await client.post(
        "/api/v1/teams", json=TEAM, headers={"X-CSRF-Token": session["csrf_token"]}
    )

    assert response.status_code == 201, response.text


async def test_logout__ends_the_session(client: httpx.AsyncClient, staff: Staff) -> None:
    session = await staff.login("clerk.a")
    cookie = client.cookies.get("luudong_session")

    response = await client.post(
        "/api/v1/auth/logout", headers={"X-CSRF-Token": session["csrf_token"]}
    )

    assert response.status_code == 204
    assert await LoginSession.count() == 0
    client.cookies.set("luudong_session", cookie or "")
    assert_problem(await client.get("/api/v1/auth/me"), 401, "unauthenticated")


async def test_session__expires_after_its_lifetime(
    client: httpx.AsyncClient, staff: Staff, clock: FrozenClock
) -> None:
    await staff.login("clerk.a")
    clock.advance(timedelta(hours=10, seconds=1))

    assert_problem(await client.get("/api/v1/auth/me"), 401, "unauthenticated")


async def test_no_credentials__is_401_problem(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/api/v1/teams"), 401, "unauthenticated")
    assert_problem(
        await client.get("/api/v1/teams", headers={"Authorization": "Basic YTpi"}),
        401,
        "unauthenticated",
    )


async def test_bearer_token__works_without_csrf_and_is_stored_hashed(
    client: httpx.AsyncClient, staff: Staff
) -> None:
    admin = staff["admin.a"]

    response = await client.post("/api/v1/teams", json=TEAM, headers=admin.auth)

    assert response.status_code == 201
    hashes = [row["token_hash"] for row in await ApiToken.select(ApiToken.token_hash)]
    assert admin.token not in hashes
    assert all(len(h) == 64 for h in hashes)


async def test_bearer_token__revoked_token_is_refused_on_next_request(
    client: httpx.AsyncClient, staff: Staff, services: Services
) -> None:
    created = (
        await client.post(
            "/api/v1/auth/tokens", json={"name": "script"}, headers=staff["clerk.a"].auth
        )
    ).json()
    auth = {"Authorization": f"Bearer {created['token']}"}
    assert (await client.get("/api/v1/auth/me", headers=auth)).status_code == 200

    revoke = await client.post(f"/api/v1/auth/tokens/{created['info']['id']}/revoke", headers=auth)

    assert revoke.status_code == 204
    assert_problem(await client.get("/api/v1/auth/me", headers=auth), 401, "unauthenticated")


async def test_login__too_many_attempts_from_one_address_is_429(
    settings: object, clock: FrozenClock, staff: Staff
) -> None:
    from dataclasses import replace

    from backend.app import create_app

    app = create_app(replace(settings, login_attempts_per_minute=3), clock=clock)  # type: ignore[type-var]
    async with app_client(app) as client:
        codes = [
            (
                await client.post(
                    "/api/v1/auth/login", json={"username": "clerk.a", "password": "wrong-guess"}
                )
            ).status_code
            for _ in range(4)
        ]

        assert codes == [401, 401, 401, 429]
        body = (
            await client.post(
                "/api/v1/auth/login", json={"username": "clerk.a", "password": PASSWORD}
            )
        ).json()
        assert body["code"] == "rate_limited"


@pytest.mark.parametrize(
    ("username", "method", "path", "body"),
    [
        ("viewer.a", "POST", "/api/v1/teams", TEAM),
        ("clerk.a", "POST", "/api/v1/teams", TEAM),
        ("clerk.a", "GET", "/api/v1/users", None),
        ("viewer.a", "POST", "/api/v1/procedures", {"code": "1.000001", "name": "x"}),
        ("clerk.a", "PATCH", "/api/v1/commune", {"agency_code": "X.1"}),
    ],
)
async def test_guards__non_admin_roles_are_forbidden_admin_routes(
    client: httpx.AsyncClient,
    staff: Staff,
    username: str,
    method: str,
    path: str,
    body: object,
) -> None:
    response = await client.request(method, path, json=body, headers=staff[username].auth)

    assert_problem(response, 403, "forbidden")


async def test_users__admin_creates_user_in_own_commune_only(
    client: httpx.AsyncClient, staff: Staff
) -> None:
    response = await client.post(
        "/api/v1/users",
        json={"username": "new.clerk", "password": "long enough pw", "role": "clerk"},
        headers=staff["admin.b"].auth,
    )

    assert response.status_code == 201
    assert response.json()["commune_code"] == "18073"
    listed = (await client.get("/api/v1/users", headers=staff["admin.a"].auth)).json()
    assert "new.clerk" not in {u["username"] for u in listed}
    other = await client.get(
        f"/api/v1/users/{response.json()['id']}", headers=staff["admin.a"].auth
    )
    assert_problem(other, 404, "not_found")


async def test_users__duplicate_username_is_409(client: httpx.AsyncClient, staff: Staff) -> None:
    response = await client.post(
        "/api/v1/users",
        json={"username": "clerk.b", "password": "long enough pw", "role": "clerk"},
        headers=staff["admin.a"].auth,
    )

    assert_problem(response, 409, "username_taken")


async def test_users__last_admin_cannot_be_demoted(client: httpx.AsyncClient, staff: Staff) -> None:
    admin = staff["admin.a"]

    response = await client.patch(
        f"/api/v1/users/{admin.user_id}", json={"role": "clerk"}, headers=admin.auth
    )

    assert_problem(response, 403, "forbidden")
    assert (await client.get("/api/v1/auth/me", headers=admin.auth)).json()["role"] == "admin"


async def test_users__password_change_ends_open_sessions(
    client: httpx.AsyncClient, staff: Staff
) -> None:
    await staff.login("clerk.a")
    clerk = staff["clerk.a"]

    response = await client.patch(
        f"/api/v1/users/{clerk.user_id}",
        json={"password": "a brand new password"},
        headers=staff["admin.a"].auth,
    )

    assert response.status_code == 200
    assert_problem(await client.get("/api/v1/auth/me"), 401, "unauthenticated")
    await staff.login("clerk.a", "a brand new password")
