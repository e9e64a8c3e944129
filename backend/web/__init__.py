"""The web pages of the commune one-stop department, and the public tracking page.

Server-rendered Jinja templates from the same Litestar app, in Vietnamese. Every form works
without JavaScript; htmx (``hx-boost``) only saves full page loads on the counter's old PCs.
Forms carry the session's CSRF token in a ``_csrf`` field, which the authentication middleware
checks like the ``X-CSRF-Token`` header; the two forms shown before login (login, rating) use a
double-submit cookie instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from litestar import Request, Response, Router
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig

from backend.web.admin import AdminPages
from backend.web.auth import AuthPages
from backend.web.clerk import ClerkPages
from backend.web.counter import CounterPages
from backend.web.printing import PrintPages
from backend.web.public import PublicPages
from backend.web.render import environment, page
from backend.web.reports import ReportPages
from schemas.errors import ErrorCode

__all__ = ["PAGE_CONTROLLERS", "page_error", "static_files", "template_config"]

STATIC = Path(__file__).parent / "static"

PAGE_CONTROLLERS = (
    AuthPages,
    ClerkPages,
    CounterPages,
    PrintPages,
    ReportPages,
    AdminPages,
    PublicPages,
)

_TITLES = {
    ErrorCode.csrf_failed: "Biểu mẫu đã hết hạn",
    ErrorCode.unauthenticated: "Cần đăng nhập",
    ErrorCode.invalid_credentials: "Cần đăng nhập",
}
"""A page's heading for the codes whose status alone would say it wrong."""
_STATUS_TITLES = {
    400: "Yêu cầu không hợp lệ",
    401: "Cần đăng nhập",
    403: "Không có quyền",
    404: "Không tìm thấy",
    405: "Không thực hiện được",
    409: "Không thực hiện được",
    412: "Yêu cầu không hợp lệ",
    413: "Tệp hoặc biểu mẫu quá lớn",
    415: "Loại tệp không được nhận",
    422: "Thông tin chưa hợp lệ",
    423: "Đang bận, hãy thử lại",
    429: "Quá nhiều yêu cầu",
}
"""A page's heading by HTTP status, in Vietnamese: a person never reads the API's English
titles."""


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    """Templates from ``backend/web/templates`` through the project's Jinja environment."""
    return TemplateConfig(engine=JinjaTemplateEngine.from_environment(environment()))


def static_files() -> Router:
    """``/static``: the stylesheet, htmx, and the tiny page script; cached for a day."""
    return create_static_files_router(
        path="/static",
        directories=[STATIC],
        include_in_schema=False,
        opt={"exclude_from_auth": True},
        cache_control=None,
    )


def page_error(
    request: Request[Any, Any, Any], code: ErrorCode, detail: str, status: int
) -> Response[Any]:
    """An error on a page: to the login form when logged out, else a readable page."""
    if code is ErrorCode.unauthenticated and request.method == "GET":
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return Redirect(f"/dang-nhap?next={quote(target)}", status_code=303)
    title = _TITLES.get(code) or _STATUS_TITLES.get(status, "Lỗi hệ thống")
    response = page(
        request,
        "error.html",
        status_code=status,
        title=title,
        detail=detail,
        code=code.value,
        back=None,
    )
    # The stable code for tools and support; a citizen reads only the Vietnamese page.
    response.headers["X-Error-Code"] = code.value
    return response
