"""Percentages as provinces publish them, and Vietnamese number formatting. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

__all__ = ["percent", "split_percent", "vi_number", "vi_percent"]

_HUNDREDTH = Decimal("0.01")
_HUNDRED = Decimal(100)


def percent(part: int, whole: int) -> Decimal:
    """``part`` of ``whole`` in percent, two decimals, rounded half up (0.00 for no whole)."""
    if whole <= 0:
        return Decimal("0.00")
    return (Decimal(part) * _HUNDRED / Decimal(whole)).quantize(_HUNDREDTH, ROUND_HALF_UP)


def split_percent(counts: Sequence[int], balance: int) -> list[Decimal]:
    """Shares of ``counts`` in percent that add up to exactly 100.00.

    Each share is rounded half up; whatever rounding leaves over or under 100.00 goes to the
    share at ``balance`` (or, when that count is zero, the largest). With early / on time / late
    and ``balance`` on "on time" this reproduces published figures such as Long An, February
    2020: 3,975 / 1,716 / 41 of 5,732 -> 69,35 / 29,93 / 0,72.
    """
    whole = sum(counts)
    shares = [percent(c, whole) for c in counts]
    if whole == 0:
        return shares
    target = balance if counts[balance] > 0 else max(range(len(counts)), key=counts.__getitem__)
    shares[target] += _HUNDRED - sum(shares)
    return shares


def vi_number(value: int) -> str:
    """A whole number with Vietnamese thousands dots: 9415 -> "9.415"."""
    return f"{value:,}".replace(",", ".")


def vi_percent(value: Decimal) -> str:
    """A percentage with the Vietnamese decimal comma: 69.35 -> "69,35"."""
    return f"{value:.2f}".replace(".", ",")
