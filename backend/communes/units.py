"""Official administrative units from the ``vietnam-provinces`` package (post-2025 list)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

__all__ = ["UnitInfo", "lookup_commune"]


@dataclass(frozen=True)
class UnitInfo:
    """A commune-level unit and its province, as officially named."""

    code: str
    name: str
    province_code: str
    province_name: str


@cache
def _units() -> dict[str, UnitInfo]:
    # Imported on first use: the package's tables are large and most processes never need them.
    from vietnam_provinces import Province, Ward

    provinces = {p.code: p.name for p in Province.iter_all()}
    return {
        f"{w.code.value:05d}": UnitInfo(
            code=f"{w.code.value:05d}",
            name=w.name,
            province_code=f"{w.province_code.value:02d}",
            province_name=provinces[w.province_code],
        )
        for w in Ward.iter_all()
    }


def lookup_commune(code: str) -> UnitInfo | None:
    """The unit with this 5-digit code, or ``None`` if there is none."""
    return _units().get(code)
