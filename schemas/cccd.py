"""The citizen ID card (CCCD) QR payload, parsed."""

from __future__ import annotations

from datetime import date

import msgspec

from schemas.common import LINE_PATTERN
from schemas.dossiers import Gender

__all__ = ["CCCD_RULES", "ID_CARD_DOCUMENT", "CccdRecord", "CccdRules", "CenturyDigit"]

ID_CARD_DOCUMENT = "cccd"
"""The document key of an ID card copy in a procedure's checklist."""


class CccdRecord(msgspec.Struct, frozen=True, kw_only=True):
    """What the QR on the back of a CCCD card says (fields in the card's order)."""

    id_number: str
    """12 digits: birth province, century and gender, birth year, random."""
    old_id_number: str
    """The former ID (CMND) number, or empty."""
    full_name: str
    birth_date: date
    gender: Gender
    address: str
    """Permanent address as printed (unit names from before 2025 on older cards)."""
    issue_date: date


class CenturyDigit(msgspec.Struct, frozen=True):
    """What the fourth digit of a CCCD number says of its holder."""

    century: int
    gender: Gender


class CccdRules(msgspec.Struct, frozen=True, kw_only=True):
    """The checks a CCCD QR payload must pass, as data (DOMAIN.md, "Citizen ID card").

    The server (``media.parse_cccd``) and the field app read the same rules: the app gets them
    from the bootstrap, so a change here reaches both, and one set of test cases
    (``tests/media/cccd_cases.json``) runs against both.
    """

    fields: int
    """``id12|old_id|name|ddmmyyyy birth|gender|address|ddmmyyyy issued`` (trailing empty
    fields are dropped first)."""
    max_length: int
    province_codes: list[str]
    """Digits 1-3: the 63 province-of-birth codes from before the 2025 merger (001 Hà Nội ...
    096 Cà Mau); cards keep the code they were issued with."""
    century_digits: dict[str, CenturyDigit]
    """Digit 4: century of birth and gender."""
    genders: dict[str, Gender]
    """The gender field's words, lower case."""
    line_pattern: str = LINE_PATTERN
    """What every field must match: no control, invisible or stacked-mark characters (the rule
    of every one-line text, ``schemas.common.LINE_PATTERN``; JavaScript reads it as is)."""
    document: str = ID_CARD_DOCUMENT
    """The catalog's document key of an ID card copy (its QR is checked against the applicant)."""


_PROVINCE_NUMBERS = (
    1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31, 33, 34, 35, 36,
    37, 38, 40, 42, 44, 45, 46, 48, 49, 51, 52, 54, 56, 58, 60, 62, 64, 66, 67, 68, 70, 72, 74,
    75, 77, 79, 80, 82, 83, 84, 86, 87, 89, 91, 92, 93, 94, 95, 96,
)  # fmt: skip

CCCD_RULES = CccdRules(
    fields=7,
    max_length=1000,
    province_codes=[f"{n:03d}" for n in _PROVINCE_NUMBERS],
    century_digits={
        "0": CenturyDigit(1900, Gender.male),
        "1": CenturyDigit(1900, Gender.female),
        "2": CenturyDigit(2000, Gender.male),
        "3": CenturyDigit(2000, Gender.female),
        "4": CenturyDigit(2100, Gender.male),
        "5": CenturyDigit(2100, Gender.female),
    },
    genders={"nam": Gender.male, "nữ": Gender.female},
)
"""The rules in force."""
