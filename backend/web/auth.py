"""Logging in and out from the browser."""

from __future__ import annotations

import re
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from backend.accounts.controllers import session_cookie
from backend.accounts.services import AccountService
from backend.auth.middleware import SESSION_COOKIE, form_csrf_guard
from backend.auth.principal import principal_of
from backend.errors import AppError
from backend.settings import Settings
from backend.web.public import check_form_token
from backend.web.render import form_token, page
from schemas.errors import ErrorCode

__all__ = ["AuthPages", "safe_next"]


_LOCAL_PATH = re.compile(r"/(?![/\\])[^\s\\\x00-\x1f\x7f]*")


def safe_next(target: str) -> str:
    """Where to go after login: a path on this site only. Never ``//elsewhere`` nor anything a
    browser could turn into it: backslashes, blanks and control characters, which browsers
    drop or read as slashes, are refused anywhere in it."""
    return target if _LOCAL_PATH.fullmatch(target) else "/ho-so"


class AuthPages(Controller):
    """Login form, logout, and the site's front door."""

    path = "/"
    include_in_schema = False
    opt = {"csrf": "form"}
    guards = [form_csrf_guard]

    @get("/", opt={"exclude_from_auth": True})
    async def home(self) -> Redirect:
        return Redirect("/ho-so")

    @get("/dang-nhap", opt={"exclude_from_auth": True})
    async def login_form(
        self, request: Request[Any, Any, Any], next: FromQuery[str] = ""
    ) -> Template:
        token, cookie = form_token(request)
        return page(
            request,
            "login.html",
            cookies=[cookie] if cookie else None,
            form_token=token,
            next=safe_next(next),
            username="",
            error=None,
        )

    @post("/dang-nhap", opt={"exclude_from_auth": True, "rate_limit": "login"})
    async def login(
        self,
        request: Request[Any, Any, Any],
        accounts: NamedDependency[AccountService],
        settings: NamedDependency[Settings],
    ) -> Response[Any]:
        form = await request.form()
        check_form_token(request, form.get("_csrf"))
        username = str(form.get("username", ""))
        try:
            token, _ = await accounts.login(username, str(form.get("password", "")))
        except AppError as exc:
            if exc.code is not ErrorCode.invalid_credentials:
                raise
            return page(
                request,
                "login.html",
                status_code=401,
                form_token=form.get("_csrf"),
                next=safe_next(str(form.get("next", ""))),
                username=username,
                error="Sai tên đăng nhập hoặc mật khẩu.",
            )
        response: Response[Any] = Redirect(safe_next(str(form.get("next", ""))), status_code=303)
        response.set_cookie(session_cookie(request, settings, token))
        return response

    @post("/dang-xuat")
    async def logout(
        self, request: Request[Any, Any, Any], accounts: NamedDependency[AccountService]
    ) -> Response[Any]:
        await accounts.logout(principal_of(request))
        response: Response[Any] = Redirect("/dang-nhap", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response
