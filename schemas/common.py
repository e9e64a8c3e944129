"""Types shared by every part of the wire protocol."""

from __future__ import annotations

from typing import Annotated

import msgspec

__all__ = ["CommuneCode", "FieldError", "Problem"]

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
