"""Parsing the citizen ID card QR payload."""

from __future__ import annotations

import contextlib
import json
from datetime import date
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from media import CccdError, parse_cccd
from schemas.dossiers import Gender

VALID = "022095001234|123456789|Trần Hữu Đạt|12041995|Nam|Thôn Bắc Vàn, Cô Tô, Quảng Ninh|01072021"


def test_parse__reads_every_field() -> None:
    record = parse_cccd(VALID)

    assert record.id_number == "022095001234"
    assert record.old_id_number == "123456789"
    assert record.full_name == "Trần Hữu Đạt"
    assert record.birth_date == date(1995, 4, 12)
    assert record.gender is Gender.male
    assert record.address == "Thôn Bắc Vàn, Cô Tô, Quảng Ninh"
    assert record.issue_date == date(2021, 7, 1)


def test_parse__newer_cards_with_trailing_empty_fields_and_no_old_id() -> None:
    record = parse_cccd("001305012345||Nguyễn Thị Ánh|05062005|Nữ|Hà Nội|10102021||||")

    assert record.old_id_number == ""
    assert record.gender is Gender.female
    assert record.birth_date.year == 2005


CASES = json.loads((Path(__file__).parent / "cccd_cases.json").read_text(encoding="utf-8"))
"""The cases the field app's parser passes too (one set of cases for both sides)."""


def _today(case: dict[str, Any]) -> date | None:
    return date.fromisoformat(case["today"]) if case["today"] else None


@pytest.mark.parametrize("case", CASES["valid"], ids=lambda c: c["payload"][:12])
def test_parse__shared_valid_cases_give_their_record(case: dict[str, Any]) -> None:
    record = parse_cccd(case["payload"], today=_today(case))

    assert msgspec.to_builtins(record) == case["record"]


@pytest.mark.parametrize("case", CASES["invalid"], ids=lambda c: c["rule"])
def test_parse__shared_malformed_cases_fail_their_rule(case: dict[str, Any]) -> None:
    with pytest.raises(CccdError) as raised:
        parse_cccd(case["payload"], today=_today(case))

    assert raised.value.rule == case["rule"]


def test_parse__dates_in_the_future_are_refused_when_today_is_known() -> None:
    with pytest.raises(CccdError, match="future"):
        parse_cccd(VALID, today=date(2021, 6, 30))


@given(st.text(max_size=300))
def test_parse__any_text_raises_only_its_own_error(text: str) -> None:
    with contextlib.suppress(CccdError):
        parse_cccd(text)


@given(st.lists(st.text(alphabet="0123456789|NamNữ ", max_size=14), min_size=6, max_size=10))
def test_parse__near_miss_payloads_raise_only_its_own_error(fields: list[str]) -> None:
    with contextlib.suppress(CccdError):
        parse_cccd("|".join(fields))
