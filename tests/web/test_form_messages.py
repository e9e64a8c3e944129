"""Every staff form says what is wrong in Vietnamese, naming the field as its label does: one
sentence per schema constraint (``backend.web.forms``), never msgspec's English."""

from __future__ import annotations

import msgspec
import pytest

from backend.errors import AppError
from backend.web.forms import to_struct
from schemas.accounts import UserCreate, UserUpdate
from schemas.catalog import ProcedureCreate, ProcedureUpdate
from schemas.communes import TeamCreate
from schemas.dossiers import ACTION_BODY, Action, HolidayOverrideCreate, SatisfactionCreate

FORMS: list[type[msgspec.Struct]] = [
    *ACTION_BODY.values(),
    UserCreate,
    UserUpdate,
    TeamCreate,
    HolidayOverrideCreate,
    ProcedureCreate,
    ProcedureUpdate,
    SatisfactionCreate,
]
FIELDS = sorted(
    {(kind, name) for kind in FORMS for name in kind.__struct_fields__ if name != "version"},
    key=lambda pair: (pair[0].__name__, pair[1]),
)


@pytest.mark.parametrize(("kind", "name"), FIELDS, ids=lambda v: getattr(v, "__name__", v))
def test_every_form_field__a_wrong_value_is_named_and_explained_in_vietnamese(
    kind: type[msgspec.Struct], name: str
) -> None:
    with pytest.raises(AppError) as raised:
        to_struct({name: [[{}]]}, kind)

    detail = raised.value.detail
    assert not detail.startswith("Một ô"), f"{kind.__name__}.{name} has no Vietnamese label"
    for english in ("Expected", "Invalid", "missing", "`", "$."):
        assert english not in detail


@pytest.mark.parametrize(
    ("data", "kind", "said"),
    [
        ({"username": "le.thu", "password": "ngan", "role": "clerk"}, UserCreate,
         "Mật khẩu: cần ít nhất 10 ký tự."),
        ({"kind": "khac", "name": "Tổ 1"}, TeamCreate,
         "Loại: không phải một lựa chọn có trong danh sách."),
        ({"day": "2026-13-01", "kind": "off"}, HolidayOverrideCreate,
         "Ngày: không phải ngày giờ hợp lệ."),
        ({"amount_vnd": "0"}, ACTION_BODY[Action.request_fee], "Số tiền: phải từ 1 trở lên."),
        ({"password": "x" * 12, "role": "clerk"}, UserCreate, "Tên đăng nhập: chưa được nhập."),
    ],
)  # fmt: skip
def test_form_messages__say_the_rule(data: dict[str, object], kind: type, said: str) -> None:
    with pytest.raises(AppError) as raised:
        to_struct(data, kind)

    assert raised.value.detail == said
