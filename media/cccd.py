"""Parsing and checking the CCCD QR payload. Pure: no I/O.

Payload: ``id12|old_id9|full name|ddmmyyyy birth|gender|address|ddmmyyyy issued``, possibly with
trailing empty fields. The 12-digit number is checked against the rest (DOMAIN.md): digits 1-3
are a province-of-birth code, digit 4 encodes century and gender, digits 5-6 are the last two
digits of the birth year. The rules' data is ``schemas.cccd.CCCD_RULES``, which the field app
reads from the bootstrap; ``tests/media/cccd_cases.json`` holds the cases both sides pass.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from media.errors import CccdError
from schemas.cccd import CCCD_RULES, CccdRecord

__all__ = ["PROVINCE_OF_BIRTH_CODES", "parse_cccd"]

PROVINCE_OF_BIRTH_CODES = frozenset(CCCD_RULES.province_codes)
"""The province-of-birth codes that open a CCCD number (``schemas.cccd.CCCD_RULES``)."""

_CENTURY = CCCD_RULES.century_digits
_GENDERS = CCCD_RULES.genders
_FIELDS = CCCD_RULES.fields
_MAX_LENGTH = CCCD_RULES.max_length
_LINE = re.compile(CCCD_RULES.line_pattern)


def _date(value: str, what: str) -> date:
    if not re.fullmatch(r"\d{8}", value):
        raise CccdError(f"{what} must be ddmmyyyy, got {value!r}", "date_format")
    try:
        return date(int(value[4:]), int(value[2:4]), int(value[:2]))
    except ValueError:
        raise CccdError(f"{what} {value!r} is not a calendar date", "date_calendar") from None


def parse_cccd(text: str, *, today: date | None = None) -> CccdRecord:
    """Parse and check a CCCD QR payload; raise :class:`CccdError` for anything malformed.

    ``today`` (the date in Vietnam, from the caller's clock) refuses a card issued, or a holder
    born, after it."""
    if not isinstance(text, str) or len(text) > _MAX_LENGTH:
        raise CccdError("not a CCCD payload (not text, or too long)", "length")
    fields = unicodedata.normalize("NFC", text.strip()).split("|")
    while len(fields) > _FIELDS and fields[-1].strip() == "":
        fields.pop()
    if len(fields) != _FIELDS:
        raise CccdError(
            f"a CCCD payload has {_FIELDS} fields separated by '|', got {len(fields)}", "fields"
        )
    if not all(_LINE.match(field) for field in fields):
        raise CccdError("a field holds control or invisible characters", "characters")
    id_number, old_id, name, birth, gender_text, address, issued = (f.strip() for f in fields)

    if not re.fullmatch(r"\d{12}", id_number):
        raise CccdError(f"the ID number must be 12 digits, got {id_number!r}", "id_digits")
    if id_number[:3] not in PROVINCE_OF_BIRTH_CODES:
        raise CccdError(f"{id_number[:3]} is not a province-of-birth code", "province")
    if id_number[3] not in _CENTURY:
        raise CccdError(f"century/gender digit {id_number[3]} is not valid", "century_digit")
    if old_id and not re.fullmatch(r"\d{9}|\d{12}", old_id):
        raise CccdError(f"the old ID number must be 9 or 12 digits, got {old_id!r}", "old_id")
    if not name or any(c.isdigit() for c in name):
        raise CccdError("the full name is missing or contains digits", "name")
    gender = _GENDERS.get(gender_text.lower())
    if gender is None:
        raise CccdError(f"gender must be 'Nam' or 'Nữ', got {gender_text!r}", "gender")
    birth_date = _date(birth, "birth date")
    issue_date = _date(issued, "issue date")

    coded = _CENTURY[id_number[3]]
    century, coded_gender = coded.century, coded.gender
    if birth_date.year - birth_date.year % 100 != century:
        raise CccdError(
            f"digit 4 says born in the {century}s, the birth date says {birth_date.year}",
            "century",
        )
    if coded_gender is not gender:
        raise CccdError("digit 4 and the gender field disagree", "gender_digit")
    if id_number[4:6] != f"{birth_date.year % 100:02d}":
        raise CccdError(
            f"digits 5-6 ({id_number[4:6]}) are not the birth year's last two digits",
            "birth_year",
        )
    if issue_date < birth_date:
        raise CccdError("issued before the holder was born", "issued_before_birth")
    if today is not None and (issue_date > today or birth_date > today):
        raise CccdError("a date in the future", "future")
    return CccdRecord(
        id_number=id_number,
        old_id_number=old_id,
        full_name=name,
        birth_date=birth_date,
        gender=gender,
        address=address,
        issue_date=issue_date,
    )
