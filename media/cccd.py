"""Parsing and checking the CCCD QR payload. Pure: no I/O.

Payload: ``id12|old_id9|full name|ddmmyyyy birth|gender|address|ddmmyyyy issued``, possibly with
trailing empty fields. The 12-digit number is checked against the rest (DOMAIN.md): digits 1-3
are a province-of-birth code, digit 4 encodes century and gender, digits 5-6 are the last two
digits of the birth year.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from media.errors import CccdError
from schemas.cccd import CccdRecord
from schemas.dossiers import Gender

__all__ = ["PROVINCE_OF_BIRTH_CODES", "parse_cccd"]

PROVINCE_OF_BIRTH_CODES = frozenset(
    f"{n:03d}"
    for n in (
        1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31, 33, 34, 35,
        36, 37, 38, 40, 42, 44, 45, 46, 48, 49, 51, 52, 54, 56, 58, 60, 62, 64, 66, 67, 68, 70,
        72, 74, 75, 77, 79, 80, 82, 83, 84, 86, 87, 89, 91, 92, 93, 94, 95, 96,
    )
)  # fmt: skip
"""The 63 province codes (before the 2025 merger) that open a CCCD number: 001 Hà Nội ... 096
Cà Mau. Cards keep the province of birth as it was coded when they were issued."""

_CENTURY = {"0": (1900, Gender.male), "1": (1900, Gender.female),
            "2": (2000, Gender.male), "3": (2000, Gender.female),
            "4": (2100, Gender.male), "5": (2100, Gender.female)}  # fmt: skip
_GENDERS = {"nam": Gender.male, "nữ": Gender.female}
_FIELDS = 7
_MAX_LENGTH = 1000


def _date(value: str, what: str) -> date:
    if not re.fullmatch(r"\d{8}", value):
        raise CccdError(f"{what} must be ddmmyyyy, got {value!r}")
    try:
        return date(int(value[4:]), int(value[2:4]), int(value[:2]))
    except ValueError:
        raise CccdError(f"{what} {value!r} is not a calendar date") from None


def parse_cccd(text: str, *, today: date | None = None) -> CccdRecord:
    """Parse and check a CCCD QR payload; raise :class:`CccdError` for anything malformed."""
    if not isinstance(text, str) or len(text) > _MAX_LENGTH:
        raise CccdError("not a CCCD payload (not text, or too long)")
    fields = unicodedata.normalize("NFC", text.strip()).split("|")
    while len(fields) > _FIELDS and fields[-1].strip() == "":
        fields.pop()
    if len(fields) != _FIELDS:
        raise CccdError(f"a CCCD payload has {_FIELDS} fields separated by '|', got {len(fields)}")
    id_number, old_id, name, birth, gender_text, address, issued = (f.strip() for f in fields)

    if not re.fullmatch(r"\d{12}", id_number):
        raise CccdError(f"the ID number must be 12 digits, got {id_number!r}")
    if id_number[:3] not in PROVINCE_OF_BIRTH_CODES:
        raise CccdError(f"{id_number[:3]} is not a province-of-birth code")
    if id_number[3] not in _CENTURY:
        raise CccdError(f"century/gender digit {id_number[3]} is not valid")
    if old_id and not re.fullmatch(r"\d{9}|\d{12}", old_id):
        raise CccdError(f"the old ID number must be 9 or 12 digits, got {old_id!r}")
    if not name or any(c.isdigit() for c in name):
        raise CccdError("the full name is missing or contains digits")
    gender = _GENDERS.get(gender_text.lower())
    if gender is None:
        raise CccdError(f"gender must be 'Nam' or 'Nữ', got {gender_text!r}")
    birth_date = _date(birth, "birth date")
    issue_date = _date(issued, "issue date")

    century, coded_gender = _CENTURY[id_number[3]]
    if birth_date.year - birth_date.year % 100 != century:
        raise CccdError(
            f"digit 4 says born in the {century}s, the birth date says {birth_date.year}"
        )
    if coded_gender is not gender:
        raise CccdError("digit 4 and the gender field disagree")
    if id_number[4:6] != f"{birth_date.year % 100:02d}":
        raise CccdError(f"digits 5-6 ({id_number[4:6]}) are not the birth year's last two digits")
    if issue_date < birth_date:
        raise CccdError("issued before the holder was born")
    if today is not None and (issue_date > today or birth_date > today):
        raise CccdError("a date in the future")
    return CccdRecord(
        id_number=id_number,
        old_id_number=old_id,
        full_name=name,
        birth_date=birth_date,
        gender=gender,
        address=address,
        issue_date=issue_date,
    )
