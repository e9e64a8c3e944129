"""Pages without login: the tracking page a receipt's QR opens, and the satisfaction form.

Both work without JavaScript. They show the procedure, the status and the dates, never personal
data, and a wrong token looks exactly like an unknown code.
"""

from __future__ import annotations

import hmac
from typing import Any
from urllib.parse import quote, urlencode

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from backend.dossiers.tracking import TrackingService
from backend.errors import AppError
from backend.web.render import FORM_COOKIE, form_token, page
from schemas import dossiers as wire
from schemas.errors import ErrorCode

__all__ = ["PublicPages", "check_form_token"]

LEVELS = [(level.value, level.label) for level in wire.SatisfactionLevel]


def check_form_token(request: Request[Any, Any, Any], sent: object) -> None:
    """The double-submit check of a form shown before login (403 ``csrf_failed``)."""
    expected = request.cookies.get(FORM_COOKIE, "")
    if not expected or not isinstance(sent, str) or not hmac.compare_digest(sent, expected):
        raise AppError(ErrorCode.csrf_failed, "Biểu mẫu đã hết hạn, hãy tải lại trang.")


class PublicPages(Controller):
    """What a citizen opens from the receipt's QR."""

    path = "/tra-cuu"
    include_in_schema = False
    opt = {"exclude_from_auth": True, "rate_limit": "tracking"}

    @get("/")
    async def lookup(
        self, request: Request[Any, Any, Any], ma: FromQuery[str] = "", t: FromQuery[str] = ""
    ) -> Response[Any]:
        """The form for a citizen who types the code and tracking code from the receipt."""
        code, typed = "".join(ma.split()), t.strip()
        if code and typed:
            return Redirect(f"/tra-cuu/{quote(code)}?{urlencode({'t': typed})}", status_code=303)
        error = "Hãy nhập cả mã hồ sơ và mã tra cứu in trên Giấy tiếp nhận." if ma or t else None
        return page(
            request,
            "track-form.html",
            status_code=422 if error else 200,
            ma=code,
            t=typed,
            error=error,
        )

    @get("/{code:str}")
    async def track(
        self,
        request: Request[Any, Any, Any],
        tracking: NamedDependency[TrackingService],
        code: FromPath[str],
        t: FromQuery[str] = "",
        da_gui: FromQuery[str] = "",
    ) -> Template:
        try:
            info = await tracking.track(code, t)
        except AppError as exc:
            if exc.code is not ErrorCode.not_found:
                raise
            return page(
                request,
                "track-form.html",
                status_code=404,
                ma=code,
                t=t,
                error="Không tìm thấy hồ sơ có mã và mã tra cứu này. Hãy kiểm tra lại trên "
                "Giấy tiếp nhận (mã tra cứu gồm 10 chữ và số).",
            )
        token, cookie = form_token(request)
        return page(
            request,
            "track.html",
            cookies=[cookie] if cookie else None,
            t=info,
            token=t,
            form_token=token,
            levels=LEVELS,
            flash="Cảm ơn Ông/Bà đã đánh giá." if da_gui else None,
            error=None,
        )

    @post("/{code:str}/danh-gia")
    async def rate(
        self,
        request: Request[Any, Any, Any],
        tracking: NamedDependency[TrackingService],
        code: FromPath[str],
    ) -> Response[Any]:
        form = await request.form()
        check_form_token(request, form.get("_csrf"))
        token = str(form.get("t", ""))
        try:
            rating = msgspec.convert(
                {"level": form.get("level", ""), "comment": form.get("comment", "")},
                wire.SatisfactionCreate,
            )
        except msgspec.ValidationError:
            info = await tracking.track(code, token)
            return page(
                request,
                "track.html",
                status_code=422,
                t=info,
                token=token,
                form_token=form.get("_csrf"),
                levels=LEVELS,
                flash=None,
                error="Hãy chọn một mức độ hài lòng.",
            )
        await tracking.rate(code, token, rating)
        return Redirect(
            f"/tra-cuu/{quote(code)}?{urlencode({'t': token, 'da_gui': 1})}", status_code=303
        )
