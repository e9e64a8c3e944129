"""Reading HTML forms into the same msgspec Structs the API takes, and saying in Vietnamese
what is wrong with one: each schema constraint has one sentence here, for every form."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

import msgspec
from litestar.datastructures import FormMultiDict

from backend.auth.middleware import CSRF_FORM_FIELD
from backend.errors import AppError
from schemas.errors import ErrorCode

__all__ = ["FIELD_LABELS", "form_fields", "period", "to_struct", "vietnamese"]

T = TypeVar("T")


def form_fields(form: FormMultiDict) -> dict[str, Any]:
    """The form's filled-in text fields, without the CSRF token (blank ones take defaults)."""
    return {
        k: v for k, v in form.items() if k != CSRF_FORM_FIELD and isinstance(v, str) and v.strip()
    }


FIELD_LABELS = {
    "username": "Tên đăng nhập",
    "password": "Mật khẩu",
    "full_name": "Họ và tên",
    "role": "Vai trò",
    "name": "Tên",
    "kind": "Loại",
    "code": "Mã",
    "field": "Lĩnh vực",
    "processing_days": "Thời hạn giải quyết",
    "same_day_cutoff": "Giờ tiếp nhận muộn nhất trong ngày",
    "fee_vnd": "Lệ phí",
    "documents": "Thành phần hồ sơ",
    "day": "Ngày",
    "note": "Ghi chú",
    "reason": "Lý do",
    "new_due_date": "Ngày hẹn mới",
    "amount_vnd": "Số tiền",
    "receipt_number": "Số biên lai",
    "method": "Hình thức",
    "result_summary": "Kết quả giải quyết",
    "channel": "Hình thức trả kết quả",
    "postal_tracking": "Số hiệu bưu gửi",
    "address": "Địa chỉ",
    "items": "Giấy tờ cần bổ sung",
    "level": "Mức độ hài lòng",
    "comment": "Góp ý",
    "active": "Đang hoạt động",
    "personal_data": "Quyền xem dữ liệu cá nhân",
    "leader_name": "Tổ trưởng",
    "phone": "Điện thoại",
    "cultural_house_address": "Địa chỉ nhà văn hóa",
    "processing_note": "Ghi chú về thời hạn",
    "fee_note": "Ghi chú về lệ phí",
    "online_level": "Mức độ dịch vụ công trực tuyến",
    "result": "Kết quả thực hiện",
    "legal_basis": "Căn cứ pháp lý",
    "id_number": "Số định danh cá nhân",
    "birth_date": "Ngày sinh",
    "gender": "Giới tính",
    "consent": "Sự đồng ý của người nộp",
    "procedure_code": "Thủ tục",
    "agency_code": "Mã cơ quan",
    "printed_name": "Tên in trên phiếu",
}
"""The Vietnamese name of each form field, as its label on the page says it."""

_SENTENCES: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(r"`str` of length >= (\d+)"), lambda m: f"cần ít nhất {m[1]} ký tự"),
    (re.compile(r"`str` of length <= (\d+)"), lambda m: f"dài quá {m[1]} ký tự"),
    (re.compile(r"`array` of length >= (\d+)"), lambda m: f"cần ít nhất {m[1]} mục"),
    (re.compile(r"`array` of length <= (\d+)"), lambda m: f"nhiều quá {m[1]} mục"),
    (re.compile(r"`(?:int|float)` >= (\S+)"), lambda m: f"phải từ {m[1]} trở lên"),
    (re.compile(r"`(?:int|float)` <= (\S+)"), lambda m: f"không được quá {m[1]}"),
    (re.compile(r"Expected `(?:int|float)`"), lambda m: "phải là một số"),
    (re.compile(r"`(?:date|time|datetime)`|RFC3339"), lambda m: "không phải ngày giờ hợp lệ"),
    (re.compile(r"Invalid enum value"), lambda m: "không phải một lựa chọn có trong danh sách"),
    (re.compile(r"u200b"), lambda m: "để trống hoặc có ký tự điều khiển, ký tự ẩn"),
    (re.compile(r"matching regex"), lambda m: "sai định dạng"),
    (re.compile(r"missing required field"), lambda m: "chưa được nhập"),
]


def vietnamese(exc: msgspec.ValidationError) -> str:
    """The sentence a clerk reads for msgspec's ``exc`` ("Mật khẩu: cần ít nhất 10 ký tự.")."""
    text = str(exc)
    missing = re.search(r"missing required field `(\w+)`", text)
    path = re.search(r"at `\$((?:\.\w+|\[\d+\])*)`", text)
    names = re.findall(r"\.(\w+)", path[1]) if path else []
    name = missing[1] if missing else (names[-1] if names else "")
    label = FIELD_LABELS.get(name, "Một ô trong biểu mẫu")
    rule_text = text.split(" - at `", 1)[0]
    sentence = next((say(m) for rule, say in _SENTENCES if (m := rule.search(rule_text))), None)
    return f"{label}: {sentence or 'chưa hợp lệ'}."


def to_struct(data: dict[str, Any], kind: type[T]) -> T:
    """``data`` as ``kind``, text converted as a form sends it (422 with the reason, in
    Vietnamese, if not)."""
    try:
        return msgspec.convert(data, kind, strict=False)
    except msgspec.ValidationError as exc:
        raise AppError(ErrorCode.validation_failed, vietnamese(exc)) from None


def period(tu: str, den: str) -> tuple[date | None, date | None]:
    """A page's "từ ngày ... đến ngày ..." query (ISO dates, either may be blank); a 422 in
    Vietnamese for a date that is not one, or a period that ends before it starts."""
    try:
        start = date.fromisoformat(tu) if tu else None
        end = date.fromisoformat(den) if den else None
    except ValueError:
        raise AppError(ErrorCode.validation_failed, "Ngày không hợp lệ (năm-tháng-ngày).") from None
    if start and end and start > end:
        raise AppError(ErrorCode.validation_failed, "Ngày bắt đầu phải trước ngày kết thúc.")
    return start, end
