"""Rendering pages: one Jinja environment, Vietnamese formats, and the page context."""

from __future__ import annotations

import secrets
from datetime import date, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from litestar import Request
from litestar.datastructures import Cookie
from litestar.response import Template
from markupsafe import Markup, escape

from backend.auth.principal import Principal
from backend.clock import VN_TZ
from schemas.dossiers import Standing

__all__ = [
    "FORM_COOKIE",
    "TEMPLATES",
    "environment",
    "form_token",
    "page",
    "vn_date",
    "vn_datetime",
    "vn_form_date",
    "vn_money",
]

TEMPLATES = Path(__file__).parent / "templates"
FORM_COOKIE = "luudong_form"
"""Double-submit token for the forms shown before login (login, public rating)."""


def vn_date(value: date | datetime | None) -> str:
    """``dd/mm/yyyy`` (an instant is shown in Vietnam time)."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = value.astimezone(VN_TZ).date()
    return value.strftime("%d/%m/%Y")


def vn_form_date(value: date) -> str:
    """A form's date line, "ngày 02 tháng 01 năm 2026", "ngày 15 tháng 3 năm 2026": days below
    10 and the months 1 and 2 take a leading zero (Decree 30/2020/NĐ-CP on official documents)."""
    month = f"{value.month:02d}" if value.month < 3 else str(value.month)
    return f"ngày {value.day:02d} tháng {month} năm {value.year}"


def vn_datetime(value: datetime | None) -> str:
    """``HH:MM dd/mm/yyyy`` in Vietnam time."""
    if value is None:
        return "—"
    return value.astimezone(VN_TZ).strftime("%H:%M %d/%m/%Y")


def vn_money(value: int | None) -> str:
    """``1.250.000 đồng``: dots group thousands in Vietnamese."""
    if value is None:
        return "—"
    return f"{value:,}".replace(",", ".") + " đồng"


_BADGE_CLASS = {Standing.overdue: "bad", Standing.due_soon: "warn", Standing.paused: "info"}
STANDING_ROW = {"overdue": "overdue", "due_soon": "due-soon"}
"""The inbox row's class for the standings that colour it."""


def standing_badge(standing: Standing) -> Markup:
    """A badge for the standings a clerk must notice (overdue, due soon, paused), else nothing.

    The words are ``Standing.label``'s, the same the API, the feed and the tracking page use.
    """
    css = _BADGE_CLASS.get(standing)
    if css is None:
        return Markup("")
    return Markup(' <span class="badge {}">{}</span>').format(css, escape(standing.label))


def environment() -> Environment:
    """The one Jinja environment: autoescaped, strict about undefined names."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        vn_date=vn_date, vn_datetime=vn_datetime, vn_form_date=vn_form_date, vn_money=vn_money
    )
    env.globals.update(standing_badge=standing_badge, standing_row=STANDING_ROW)
    return env


def form_token(request: Request[Any, Any, Any]) -> tuple[str, Cookie | None]:
    """The anonymous form token of this browser, and the cookie to set if it is new."""
    current = request.cookies.get(FORM_COOKIE)
    if current and len(current) >= 32:
        return current, None
    token = secrets.token_urlsafe(32)
    cookie = Cookie(
        key=FORM_COOKIE,
        value=token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return token, cookie


def page(
    request: Request[Any, Any, Any],
    template: str,
    *,
    status_code: int = 200,
    cookies: list[Cookie] | None = None,
    **context: Any,
) -> Template:
    """A page with the caller, their CSRF token and the current path in its context."""
    user = request.scope.get("user")
    principal = user if isinstance(user, Principal) else None
    return Template(
        template_name=template,
        context={
            "principal": principal,
            "csrf": principal.csrf_token if principal and principal.csrf_token else "",
            "path": request.url.path,
            **context,
        },
        status_code=status_code,
        cookies=cookies or [],
        headers={"Cache-Control": "no-store"} if principal else {},
    )
