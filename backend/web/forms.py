"""Reading HTML forms into the same msgspec Structs the API takes."""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec
from litestar.datastructures import FormMultiDict

from backend.auth.middleware import CSRF_FORM_FIELD
from backend.errors import AppError
from schemas.errors import ErrorCode

__all__ = ["form_fields", "to_struct"]

T = TypeVar("T")


def form_fields(form: FormMultiDict) -> dict[str, Any]:
    """The form's filled-in text fields, without the CSRF token (blank ones take defaults)."""
    return {
        k: v for k, v in form.items() if k != CSRF_FORM_FIELD and isinstance(v, str) and v.strip()
    }


def to_struct(data: dict[str, Any], kind: type[T]) -> T:
    """``data`` as ``kind``, text converted as a form sends it (422 with the reason if not)."""
    try:
        return msgspec.convert(data, kind, strict=False)
    except msgspec.ValidationError as exc:
        raise AppError(ErrorCode.validation_failed, f"Dữ liệu chưa hợp lệ: {exc}") from None
