"""Parsing the citizen ID card QR payload."""

from __future__ import annotations

import contextlib
from datetime import date

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


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ("", "fields"),
        ("022095001234|123456789|Trần Hữu Đạt|12041995|Nam|Cô Tô", "fields"),
        (VALID + "|extra", "fields"),
        (VALID.replace("022095001234", "02209500123"), "12 digits"),
        (VALID.replace("022095001234", "02209500123X"), "12 digits"),
        (VALID.replace("022095001234", "099095001234"), "province"),
        (VALID.replace("022095001234", "022795001234"), "century/gender"),
        (VALID.replace("022095001234", "022295001234"), "2000s"),
        (VALID.replace("022095001234", "022195001234"), "disagree"),
        (VALID.replace("022095001234", "022096001234"), "birth year"),
        (VALID.replace("|Nam|", "|Male|"), "gender"),
        (VALID.replace("12041995", "31021995"), "calendar date"),
        (VALID.replace("12041995", "1995-04-12"), "ddmmyyyy"),
        (VALID.replace("01072021", "01071990"), "before the holder was born"),
        (VALID.replace("Trần Hữu Đạt", ""), "name"),
        (VALID.replace("123456789", "12345"), "old ID"),
    ],
)
def test_parse__each_malformed_variant_is_a_cccd_error(payload: str, reason: str) -> None:
    with pytest.raises(CccdError, match=reason):
        parse_cccd(payload)


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
