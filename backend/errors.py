"""The mapping of every failure to RFC 9457 problem+json, done once for the app.

The codes and their statuses are the shared catalogue in ``schemas/errors.py``. Services raise
:class:`AppError` with a code; framework exceptions are translated below.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from litestar import Request, Response
from litestar.exceptions import (
    ClientException,
    HTTPException,
    MethodNotAllowedException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    TooManyRequestsException,
    ValidationException,
)
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from backend.telemetry import count_error
from media.errors import MediaError
from schemas.common import FieldError, Problem
from schemas.errors import CATALOGUE, ErrorCode

__all__ = [
    "NOT_PAGES",
    "AppError",
    "exception_handlers",
    "is_page_request",
    "problem_response",
]

logger = logging.getLogger("luudong.errors")

PROBLEM_JSON = "application/problem+json"


class AppError(Exception):
    """A failure with a catalogue code, raised by services and guards."""

    def __init__(
        self,
        code: ErrorCode,
        detail: str,
        *,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}

    @property
    def status(self) -> int:
        """HTTP status of this error's code."""
        return CATALOGUE[self.code].status


def problem_response(
    request: Request[Any, Any, Any],
    code: ErrorCode,
    detail: str,
    *,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[Problem]:
    """Build the problem+json response for ``code`` (an HTML page for the web pages)."""
    spec = CATALOGUE[code]
    count_error(code)
    page_errors = request.app.state.get("page_errors")
    if page_errors is not None and is_page_request(request):
        response: Response[Any] = page_errors(request, code, detail, spec.status)
        return response
    return Response(
        Problem(
            type=f"urn:luudong:problem:{code.value}",
            title=spec.title,
            status=spec.status,
            code=code.value,
            detail=detail,
            instance=request.url.path,
            errors=errors,
        ),
        status_code=spec.status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


NOT_PAGES = ("/api/", "/schema", "/health", "/ready", "/static/", "/thiet-bi")
"""Path prefixes that are not staff or public pages (the API, the docs, files, the field app)."""


def is_page_request(request: Request[Any, Any, Any]) -> bool:
    """Whether the caller is a browser on the web pages (they get HTML errors, not JSON)."""
    return not request.url.path.startswith(NOT_PAGES)


def _app_error(request: Request[Any, Any, Any], exc: AppError) -> Response[Problem]:
    return problem_response(request, exc.code, exc.detail, errors=exc.errors, headers=exc.headers)


def _media(request: Request[Any, Any, Any], exc: MediaError) -> Response[Problem]:
    try:
        code = ErrorCode(exc.code)
    except ValueError:
        code = ErrorCode.media_error
    return problem_response(request, code, exc.detail)


# Every text pattern of ``schemas.common`` (and no other) forbids U+200B; the error quotes it.
_TEXT_RULE = "matching regex .*u200b"


def _validation(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Problem]:
    errors = [
        FieldError(
            field=f"{item.get('source', 'body')}.{item.get('key', '')}".rstrip("."),
            message=str(item.get("message", "")),
        )
        for item in (exc.extra if isinstance(exc.extra, list) else [])
        if isinstance(item, dict)
    ]
    text = [e for e in errors if re.search(_TEXT_RULE, e.message)]
    if text:
        fields = ", ".join(e.field for e in text)
        return problem_response(
            request,
            ErrorCode.forbidden_characters,
            f"Nội dung chữ không hợp lệ ở {fields}: để trống, hoặc có ký tự điều khiển, ký tự "
            "ẩn hay quá nhiều dấu chồng lên một chữ.",
            errors=[
                FieldError(field=e.field, message="control, invisible or stacked characters")
                for e in text
            ],
        )
    return problem_response(
        request, ErrorCode.validation_failed, "Dữ liệu gửi lên không hợp lệ.", errors=errors
    )


def _too_deep(request: Request[Any, Any, Any], exc: RecursionError) -> Response[Problem]:
    # Only decoding a request body recurses this deep: msgspec stops at the interpreter's
    # recursion limit, before any handler ran.
    return problem_response(
        request, ErrorCode.malformed_json, "Nội dung JSON lồng nhau quá sâu, không đọc được."
    )


_HTTP_CODES: dict[int, tuple[ErrorCode, str]] = {
    400: (ErrorCode.malformed_json, "Nội dung gửi lên không đọc được."),
    401: (ErrorCode.unauthenticated, "Cần đăng nhập."),
    403: (ErrorCode.forbidden, "Không có quyền thực hiện thao tác này."),
    404: (ErrorCode.not_found, "Không tìm thấy."),
    405: (ErrorCode.method_not_allowed, "Phương thức không được hỗ trợ."),
    413: (ErrorCode.body_too_large, "Nội dung gửi lên quá lớn."),
    415: (ErrorCode.unsupported_media_type, "Kiểu nội dung không được hỗ trợ."),
    429: (ErrorCode.rate_limited, "Quá nhiều yêu cầu, vui lòng thử lại sau."),
}


def _http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Problem]:
    if exc.status_code >= HTTP_500_INTERNAL_SERVER_ERROR:
        return _internal(request, exc)
    code, detail = _HTTP_CODES.get(exc.status_code, (ErrorCode.validation_failed, exc.detail))
    if code is ErrorCode.malformed_json and exc.detail:
        detail = f"{detail} ({exc.detail})"
    return problem_response(request, code, detail, headers=exc.headers)


def _internal(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(request, ErrorCode.internal_error, "Lỗi hệ thống, vui lòng thử lại.")


def exception_handlers() -> dict[type[Exception] | int, Any]:
    """The app-level mapping of every exception to problem+json."""
    return {
        AppError: _app_error,
        MediaError: _media,
        ValidationException: _validation,
        ClientException: _http,
        NotAuthorizedException: _http,
        PermissionDeniedException: _http,
        NotFoundException: _http,
        MethodNotAllowedException: _http,
        TooManyRequestsException: _http,
        HTTPException: _http,
        RecursionError: _too_deep,
        Exception: _internal,
    }
