"""HTTP endpoints for logging in and out, personal API tokens, and user administration."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, patch, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from backend.accounts.services import AccountService
from backend.auth.middleware import SESSION_COOKIE
from backend.auth.principal import Principal, require, staff_only
from backend.auth.roles import Permission
from backend.params import RowId
from backend.settings import Settings
from schemas import accounts as wire

__all__ = ["AuthController", "UserController", "session_cookie"]


def session_cookie(request: Request[Any, Any, Any], settings: Settings, token: str) -> Cookie:
    """The session cookie: HttpOnly, SameSite=Lax, Secure over HTTPS (or as configured)."""
    mode = settings.cookie_secure
    return Cookie(
        key=SESSION_COOKIE,
        value=token,
        httponly=True,
        samesite="lax",
        secure=mode == "always" or (mode == "auto" and request.url.scheme == "https"),
        path="/",
        max_age=int(settings.session_ttl.total_seconds()),
    )


class AuthController(Controller):
    """Login sessions and the caller's own tokens."""

    path = "/api/v1/auth"
    guards = [staff_only]
    tags = ["auth"]

    @post(
        "/login",
        exclude_from_auth=True,
        opt={"rate_limit": "login"},
        summary="Log in with username and password",
        description="Sets the session cookie and returns the CSRF token for unsafe requests. "
        "A wrong password and an unknown user give the same 401 `invalid_credentials`.",
    )
    async def login(
        self,
        request: Request[Any, Any, Any],
        accounts: NamedDependency[AccountService],
        settings: NamedDependency[Settings],
        data: JSONBody[wire.LoginRequest],
    ) -> Response[wire.SessionInfo]:
        token, info = await accounts.login(data.username, data.password)
        return Response(info, cookies=[session_cookie(request, settings, token)])

    @post("/logout", status_code=HTTP_204_NO_CONTENT, summary="End the current session")
    async def logout(
        self, accounts: NamedDependency[AccountService], principal: NamedDependency[Principal]
    ) -> Response[None]:
        await accounts.logout(principal)
        response: Response[None] = Response(None, status_code=HTTP_204_NO_CONTENT)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @get("/me", summary="The logged-in user")
    async def me(
        self, accounts: NamedDependency[AccountService], principal: NamedDependency[Principal]
    ) -> wire.User:
        return await accounts.get_user(principal, principal.user_id)

    @get("/tokens", summary="The caller's personal API tokens")
    async def list_tokens(
        self, accounts: NamedDependency[AccountService], principal: NamedDependency[Principal]
    ) -> list[wire.ApiToken]:
        return await accounts.list_api_tokens(principal)

    @post(
        "/tokens",
        status_code=HTTP_201_CREATED,
        summary="Create a personal API token (its secret is shown once)",
    )
    async def create_token(
        self,
        accounts: NamedDependency[AccountService],
        principal: NamedDependency[Principal],
        data: JSONBody[wire.ApiTokenCreate],
    ) -> wire.ApiTokenCreated:
        return await accounts.create_api_token(principal.user_id, data.name)

    @post(
        "/tokens/{token_id:int}/revoke",
        status_code=HTTP_204_NO_CONTENT,
        summary="Revoke one of the caller's tokens",
    )
    async def revoke_token(
        self,
        accounts: NamedDependency[AccountService],
        principal: NamedDependency[Principal],
        token_id: RowId,
    ) -> Response[None]:
        await accounts.revoke_api_token(principal, token_id)
        return Response(None, status_code=HTTP_204_NO_CONTENT)


class UserController(Controller):
    """Staff accounts of the admin's commune."""

    path = "/api/v1/users"
    tags = ["users"]
    guards = [require(Permission.admin)]

    @get("/", summary="Users of the commune")
    async def list_users(
        self, accounts: NamedDependency[AccountService], principal: NamedDependency[Principal]
    ) -> list[wire.User]:
        return await accounts.list_users(principal)

    @post("/", status_code=HTTP_201_CREATED, summary="Create a user in the commune")
    async def create_user(
        self,
        accounts: NamedDependency[AccountService],
        principal: NamedDependency[Principal],
        data: JSONBody[wire.UserCreate],
    ) -> wire.User:
        return await accounts.create_user(principal.commune_code, data)

    @get("/{user_id:int}", summary="One user")
    async def get_user(
        self,
        accounts: NamedDependency[AccountService],
        principal: NamedDependency[Principal],
        user_id: RowId,
    ) -> wire.User:
        return await accounts.get_user(principal, user_id)

    @patch("/{user_id:int}", summary="Change a user's name, role, password or active flag")
    async def update_user(
        self,
        accounts: NamedDependency[AccountService],
        principal: NamedDependency[Principal],
        user_id: RowId,
        data: JSONBody[wire.UserUpdate],
    ) -> wire.User:
        return await accounts.update_user(principal, user_id, data)
