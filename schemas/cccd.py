"""The citizen ID card (CCCD) QR payload, parsed."""

from __future__ import annotations

from datetime import date

import msgspec

from schemas.dossiers import Gender

__all__ = ["ID_CARD_DOCUMENT", "CccdRecord"]

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
