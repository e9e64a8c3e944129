"""Types shared by every part of the wire protocol."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Annotated, Any

import msgspec

__all__ = [
    "LINE_PATTERN",
    "NOT_IN_LINE",
    "REQUIRED_LINE_PATTERN",
    "REQUIRED_TEXT_PATTERN",
    "TEXT_PATTERN",
    "VN_TZ",
    "Address",
    "CommuneCode",
    "FieldError",
    "Line",
    "MediaType",
    "Name",
    "Phone",
    "Problem",
    "ShortLine",
    "Text",
    "Version",
    "line",
    "text",
    "vietnam_date",
]

VN_TZ = timezone(timedelta(hours=7), "ICT")
"""Vietnam time (no daylight saving): receipt dates, deadlines and card dates are its dates."""


def vietnam_date(at: datetime | None = None) -> date:
    """The calendar date in Vietnam at instant ``at`` (now when not given)."""
    return (at or datetime.now(VN_TZ)).astimezone(VN_TZ).date()


# What no text a person types contains: C0 and C1 control characters (NUL, ESC, BEL...; a
# multi-line text keeps tab, newline and carriage return), zero-width and bidirectional
# formatting characters (which make "Nguyễn" and an RTL-overridden look-alike print the same),
# and runs of more than two combining marks (Vietnamese in NFD needs at most two on a letter:
# "ệ" is e + U+0302 + U+0323). The patterns are regular and unambiguous (each step takes one
# base character and at most two marks), so they run in linear time and generators can
# produce matching strings.
_INVISIBLE = r"\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
_MARKS = r"\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
_NOT_IN_LINE = r"\x00-\x1f\x7f-\x9f" + _INVISIBLE
NOT_IN_LINE = _NOT_IN_LINE
"""The characters no one-line text holds, as the inside of a regular-expression class."""
_NOT_IN_TEXT = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f" + _INVISIBLE


def _pattern(forbidden: str, *, required: bool) -> str:
    step = rf"[^{forbidden}{_MARKS}][{_MARKS}]{{0,2}}"
    first = rf"\s*[^\s{forbidden}{_MARKS}][{_MARKS}]{{0,2}}" if required else ""
    return rf"^{first}(?:{step})*$"


LINE_PATTERN = _pattern(_NOT_IN_LINE, required=False)
"""One line of text: no control, invisible or stacked-mark characters."""
REQUIRED_LINE_PATTERN = _pattern(_NOT_IN_LINE, required=True)
"""The same, and not empty or only spaces."""
TEXT_PATTERN = _pattern(_NOT_IN_TEXT, required=False)
"""Several lines of text (tab, newline and carriage return allowed)."""
REQUIRED_TEXT_PATTERN = _pattern(_NOT_IN_TEXT, required=True)
"""The same, and not empty or only spaces."""


def line(max_length: int, *, required: bool = False, **extra: Any) -> msgspec.Meta:
    """The constraint of a one-line text field of at most ``max_length`` characters."""
    return msgspec.Meta(
        pattern=REQUIRED_LINE_PATTERN if required else LINE_PATTERN,
        min_length=1 if required else None,
        max_length=max_length,
        **extra,
    )


def text(max_length: int, *, required: bool = False, **extra: Any) -> msgspec.Meta:
    """The constraint of a multi-line text field of at most ``max_length`` characters."""
    return msgspec.Meta(
        pattern=REQUIRED_TEXT_PATTERN if required else TEXT_PATTERN,
        min_length=1 if required else None,
        max_length=max_length,
        **extra,
    )


Name = Annotated[str, line(200, required=True)]
"""A person's, team's or token's name: one line, not blank."""
Line = Annotated[str, line(200)]
"""An optional one-line text of up to 200 characters."""
ShortLine = Annotated[str, line(100)]
"""An optional one-line text of up to 100 characters (a receipt or tracking number)."""
Address = Annotated[str, line(500)]
"""An optional postal address or place, one line."""
Text = Annotated[str, text(4000)]
"""An optional note of several lines."""
Phone = Annotated[str, msgspec.Meta(pattern=r"^(\+?[0-9 .]{6,19})?$", max_length=20)]
"""An optional phone number: digits, spaces and dots, a leading ``+``; 20 characters at most
(the width of the column that keeps it)."""
Version = Annotated[int, msgspec.Meta(ge=1, le=2**31 - 1)]
"""A row's version number, sent back to detect concurrent edits."""
MediaType = Annotated[
    str, msgspec.Meta(pattern=r"^[a-z]+/[a-z0-9.+-]{1,80}$", examples=["image/jpeg"])
]
"""A media type (``image/jpeg``)."""

CommuneCode = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^\d{5}$",
        description="Official 5-digit commune code (Decision 124/2004/QĐ-TTg).",
        examples=["26734"],
    ),
]
"""A commune's permanent 5-digit code."""


class FieldError(msgspec.Struct, frozen=True):
    """One rejected field of a request."""

    field: str
    """Where the value was: ``body.code``, ``query.limit``..."""
    message: str
    """What is wrong with it."""


class Problem(msgspec.Struct, omit_defaults=True):
    """An RFC 9457 problem document. Clients branch on ``code``, never on ``detail``."""

    type: str
    """URI naming the problem type (``urn:luudong:problem:<code>``)."""
    title: str
    """Short English summary of the problem type."""
    status: int
    """HTTP status code."""
    code: str
    """Stable machine code from the error catalogue (``docs/errors.md``)."""
    detail: str
    """Human explanation of this occurrence (Vietnamese where a clerk reads it)."""
    instance: str | None = None
    """Path of the request that failed."""
    errors: list[FieldError] | None = None
    """Per-field reasons when ``code`` is ``validation_failed``."""
