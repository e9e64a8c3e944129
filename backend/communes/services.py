"""Communes and their field teams."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from msgspec import UNSET

from backend.auth.principal import Principal
from backend.communes.tables import Commune, Team
from backend.communes.units import lookup_commune
from backend.context import Context
from backend.db.engine import is_unique_violation
from backend.errors import AppError
from schemas import communes as wire
from schemas.common import FieldError
from schemas.errors import ErrorCode

__all__ = ["CommuneService"]


def _commune(row: dict[str, Any]) -> wire.Commune:
    return wire.Commune(
        code=row["code"],
        name=row["name"],
        province_code=row["province_code"],
        province_name=row["province_name"],
        agency_code=row["agency_code"],
        printed_name=row["printed_name"] or row["name"],
    )


def _team(row: dict[str, Any]) -> wire.Team:
    return wire.Team(
        id=row["id"],
        commune_code=row["commune"],
        kind=wire.TeamKind(row["kind"]),
        name=row["name"],
        cultural_house_address=row["cultural_house_address"],
        leader_name=row["leader_name"],
        phone=row["phone"],
        active=row["active"],
        version=row["version"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _check_address(kind: wire.TeamKind, address: str | None) -> None:
    if kind is wire.TeamKind.residential_point and not address:
        raise AppError(
            ErrorCode.validation_failed,
            "Tổ dân phố điện tử cần địa chỉ nhà văn hoá.",
            errors=[
                FieldError(
                    field="body.cultural_house_address",
                    message="required for a residential_point team",
                )
            ],
        )


@asynccontextmanager
async def _agency_code_unique(agency_code: str | None) -> AsyncIterator[None]:
    """Turn a unique-index violation on the agency code into ``agency_code_taken``."""
    try:
        yield
    except Exception as exc:
        if is_unique_violation(exc):
            raise AppError(
                ErrorCode.agency_code_taken,
                f"Mã cơ quan {agency_code} đã được xã khác sử dụng.",
            ) from None
        raise


class CommuneService:
    """Registering communes and managing their teams, always within the caller's commune."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def register(self, code: str, agency_code: str | None = None) -> wire.Commune:
        """Register commune ``code`` with its official names (idempotent).

        Raises ``unknown_commune`` when the code is not an official commune-level unit.
        """
        unit = lookup_commune(code)
        if unit is None:
            raise AppError(ErrorCode.unknown_commune, f"Không có xã/phường mã {code}.")
        async with _agency_code_unique(agency_code), self.ctx.db.transaction():
            existing = await Commune.select().where(Commune.code == code).first()
            if existing is None:
                await Commune.insert(
                    Commune(
                        code=unit.code,
                        name=unit.name,
                        province_code=unit.province_code,
                        province_name=unit.province_name,
                        agency_code=agency_code,
                        created_at=self.ctx.clock.now(),
                    )
                )
            elif agency_code is not None and existing["agency_code"] != agency_code:
                await Commune.update({Commune.agency_code: agency_code}).where(Commune.code == code)
        return await self.get(code)

    async def get(self, code: str) -> wire.Commune:
        """A registered commune."""
        row = await Commune.select().where(Commune.code == code).first()
        if row is None:
            raise AppError(ErrorCode.not_found, f"Xã {code} chưa được đăng ký.")
        return _commune(row)

    async def update(self, principal: Principal, data: wire.CommuneUpdate) -> wire.Commune:
        """Change the caller's commune's agency code (unique: it starts every dossier code)
        or the name its forms print."""
        values: dict[Any, Any] = {}
        if data.agency_code is not UNSET:
            values[Commune.agency_code] = data.agency_code
        if data.printed_name is not UNSET:
            values[Commune.printed_name] = data.printed_name
        agency_code = data.agency_code if isinstance(data.agency_code, str) else None
        if values:
            async with _agency_code_unique(agency_code), self.ctx.db.transaction():
                await Commune.update(values).where(Commune.code == principal.commune_code)
        return await self.get(principal.commune_code)

    # --- teams ----------------------------------------------------------------------------

    async def list_teams(
        self, principal: Principal, *, include_inactive: bool = False
    ) -> list[wire.Team]:
        """The caller's commune's teams, by name."""
        query = Team.select().where(Team.commune == principal.commune_code)
        if not include_inactive:
            query = query.where(Team.active == True)  # noqa: E712 - Piccolo builds SQL from ==
        return [_team(r) for r in await query.order_by(Team.name)]

    async def get_team(self, principal: Principal, team_id: int) -> wire.Team:
        """One team of the caller's commune; another commune's team is simply not found."""
        return await self.team_in(principal.commune_code, team_id)

    async def team_in(self, commune_code: str, team_id: int) -> wire.Team:
        """One team of ``commune_code``."""
        row = await (
            Team.select().where((Team.id == team_id) & (Team.commune == commune_code)).first()
        )
        if row is None:
            raise AppError(ErrorCode.not_found, "Không tìm thấy tổ.")
        return _team(row)

    async def create_team(self, principal: Principal, data: wire.TeamCreate) -> wire.Team:
        """Add a team to the caller's commune."""
        _check_address(data.kind, data.cultural_house_address)
        now = self.ctx.clock.now()
        row = Team(
            commune=principal.commune_code,
            kind=data.kind.value,
            name=data.name,
            cultural_house_address=data.cultural_house_address,
            leader_name=data.leader_name,
            phone=data.phone,
            active=True,
            version=1,
            created_at=now,
            updated_at=now,
        )
        await row.save()
        return _team(row.to_dict())

    async def update_team(
        self, principal: Principal, team_id: int, data: wire.TeamUpdate
    ) -> wire.Team:
        """Change a team; with ``version`` given, a concurrent edit is a 409 not a lost update."""
        async with self.ctx.db.transaction():
            current = await self.get_team(principal, team_id)
            if data.version is not UNSET and data.version != current.version:
                raise AppError(
                    ErrorCode.stale_version,
                    f"Tổ đã được sửa (phiên bản {current.version}), hãy tải lại.",
                )
            kind = current.kind if data.kind is UNSET else data.kind
            address = (
                current.cultural_house_address
                if data.cultural_house_address is UNSET
                else data.cultural_house_address
            )
            _check_address(kind, address)
            values: dict[Any, Any] = {
                Team.kind: kind.value,
                Team.cultural_house_address: address,
                Team.version: current.version + 1,
                Team.updated_at: self.ctx.clock.now(),
            }
            for column, value in (
                (Team.name, data.name),
                (Team.leader_name, data.leader_name),
                (Team.phone, data.phone),
                (Team.active, data.active),
            ):
                if value is not UNSET:
                    values[column] = value
            await Team.update(values).where(Team.id == team_id)
        return await self.get_team(principal, team_id)

    async def deactivate_team(self, principal: Principal, team_id: int) -> None:
        """Retire a team. Its row stays: devices and dossiers keep pointing at it."""
        await self.get_team(principal, team_id)
        await Team.update(
            {
                Team.active: False,
                Team.version: Team.version + 1,
                Team.updated_at: self.ctx.clock.now(),
            }
        ).where(Team.id == team_id)
