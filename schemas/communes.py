"""Wire types for communes and their field teams."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

import msgspec
from msgspec import UNSET, UnsetType

from schemas.common import CommuneCode, Line, Name, Phone, Version, line

__all__ = ["AgencyCode", "Commune", "CommuneUpdate", "Team", "TeamCreate", "TeamKind", "TeamUpdate"]

AgencyCode = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9.]{0,39}$",
        description="The one-stop office's code, the first part of every dossier code.",
        examples=["000.00.32.H42"],
    ),
]
"""Letters, digits and dots, up to 40 characters."""

TeamName = Name
Address = Annotated[str, line(500, required=True)]


class Commune(msgspec.Struct, frozen=True):
    """A commune using the service."""

    code: CommuneCode
    name: str
    province_code: str
    province_name: str
    agency_code: str | None
    """``None`` until an admin sets it; dossiers cannot be received before."""
    printed_name: str = ""
    """The name the printed forms carry under "UBND" (the registry's ``name`` when empty)."""


class CommuneUpdate(msgspec.Struct, frozen=True):
    """What a commune admin may change about their commune; absent fields stay as they are."""

    agency_code: AgencyCode | UnsetType = UNSET
    printed_name: Line | UnsetType = UNSET
    """Empty to print the registry's name again."""


class TeamKind(StrEnum):
    """The two field models."""

    roaming = "roaming"
    """Tổ hướng dẫn dịch vụ công trực tuyến lưu động: visits households."""
    residential_point = "residential_point"
    """Tổ dân phố điện tử: a PC and scanner in a residential group's cultural house."""

    @property
    def label(self) -> str:
        """The Vietnamese name admins read."""
        return {"roaming": "Tổ lưu động", "residential_point": "Điểm tổ dân phố điện tử"}[
            self.value
        ]


class Team(msgspec.Struct, frozen=True):
    """A field team."""

    id: int
    commune_code: CommuneCode
    kind: TeamKind
    name: str
    cultural_house_address: str | None
    leader_name: str
    phone: str
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime


class TeamCreate(msgspec.Struct, frozen=True):
    """A new team; a residential-group point needs its cultural-house address."""

    kind: TeamKind
    name: TeamName
    cultural_house_address: Address | None = None
    leader_name: Line = ""
    phone: Phone = ""


class TeamUpdate(msgspec.Struct, frozen=True):
    """Fields to change. ``version``, when given, must match (else 409 ``stale_version``)."""

    kind: TeamKind | UnsetType = UNSET
    name: TeamName | UnsetType = UNSET
    cultural_house_address: Address | UnsetType | None = UNSET
    leader_name: Line | UnsetType = UNSET
    phone: Phone | UnsetType = UNSET
    active: bool | UnsetType = UNSET
    version: Version | UnsetType = UNSET
