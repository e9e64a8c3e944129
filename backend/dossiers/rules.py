"""Dossier codes, tracking codes and search folding. Pure: no I/O. (Deadlines:
``deadlines.py``.)"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import unicodedata
from datetime import date

__all__ = ["CODE_PATTERN", "dossier_code", "fold", "tracking_code", "tracking_matches"]

CODE_PATTERN = re.compile(r"^(?P<agency>[A-Za-z0-9.]+)-(?P<day>\d{6})-(?P<seq>\d{4,})$")
"""``{agency code}-{YYMMDD}-{NNNN}`` (Circular 01/2018/TT-VPCP Art. 19 structure)."""


def dossier_code(agency_code: str, received_on: date, sequence: int) -> str:
    """The dossier code for the ``sequence``-th receipt of ``agency_code`` on ``received_on``."""
    if sequence < 1:
        raise ValueError("sequence starts at 1")
    return f"{agency_code}-{received_on:%y%m%d}-{sequence:04d}"


def fold(text: str) -> str:
    """Lower case without diacritics ("Trần Hữu Đạt" -> "tran huu dat"), for search."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def tracking_code(token: str) -> str:
    """The short "mã tra cứu" the receipt prints beside its QR, for a citizen to type:
    10 base32 letters and digits of the token's hash (50 bits, with the dossier code beside
    it and the tracking rate limit in front), grouped "ABCD-EFGH-JK"."""
    letters = base64.b32encode(hashlib.sha256(b"tra-cuu:" + token.encode()).digest())[:10]
    text = letters.decode()
    return f"{text[:4]}-{text[4:8]}-{text[8:]}"


_TYPED = str.maketrans({"0": "O", "1": "I", "8": "B"})


def tracking_matches(token: str, given: str) -> bool:
    """Whether ``given`` is the dossier's tracking token (from the QR) or its tracking code as
    a citizen types it (any case, with or without dashes or spaces; 0, 1 and 8, which base32
    never uses, read as O, I and B)."""
    if not token or not given:
        return False
    if hmac.compare_digest(token.encode(), given.encode()):
        return True
    typed = re.sub(r"[\s-]", "", given).upper().translate(_TYPED)
    expected = tracking_code(token).replace("-", "")
    return len(typed) == len(expected) and hmac.compare_digest(typed.encode(), expected.encode())
