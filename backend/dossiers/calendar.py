"""The commune's working-day calendar: the national holidays plus the admin's overrides."""

from __future__ import annotations

import holidays

from backend.auth.principal import Principal
from backend.context import Context
from backend.db.engine import is_unique_violation
from backend.dossiers.tables import HolidayOverride
from backend.dossiers.workdays import ANNOUNCED_SWAPS, WorkCalendar
from backend.errors import AppError
from schemas import dossiers as wire
from schemas.errors import ErrorCode

__all__ = ["CalendarService"]


class CalendarService:
    """Working days of a commune, and the overrides its admin keeps."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def calendar(self, commune_code: str) -> WorkCalendar:
        """The national calendar with the commune's overrides."""
        rows = await HolidayOverride.select(HolidayOverride.day, HolidayOverride.kind).where(
            HolidayOverride.commune == commune_code
        )
        return WorkCalendar(
            extra_days_off=[r["day"] for r in rows if r["kind"] == "off"],
            extra_working_days=[r["day"] for r in rows if r["kind"] == "work"],
        )

    async def calendar_days(self, principal: Principal, year: int) -> list[wire.CalendarDay]:
        """The year's national holidays, make-up working days and the commune's overrides."""
        national = holidays.country_holidays("VN", years=year)
        days = {
            day: wire.CalendarDay(day=day, working=False, name=str(name), source="national")
            for day, name in national.items()
        }
        for day in national.weekend_workdays:
            if day.year == year:
                days[day] = wire.CalendarDay(
                    day=day, working=True, name="Ngày làm bù", source="national"
                )
        for swap in ANNOUNCED_SWAPS:
            for day, working, label in (
                (swap.day_off, False, "Nghỉ bù"),
                (swap.working_day, True, "Ngày làm bù"),
            ):
                if day.year == year:
                    name = f"{label} ({swap.source})"
                    days[day] = wire.CalendarDay(
                        day=day, working=working, name=name, source="national"
                    )
        for override in await self.list_overrides(principal):
            if override.day.year == year:
                days[override.day] = wire.CalendarDay(
                    day=override.day,
                    working=override.kind is wire.HolidayKind.work,
                    name=override.note,
                    source="override",
                )
        return [days[d] for d in sorted(days)]

    async def list_overrides(self, principal: Principal) -> list[wire.HolidayOverride]:
        """The commune's overrides, by day."""
        rows = (
            await HolidayOverride.select()
            .where(HolidayOverride.commune == principal.commune_code)
            .order_by(HolidayOverride.day)
        )
        return [
            wire.HolidayOverride(
                id=r["id"], day=r["day"], kind=wire.HolidayKind(r["kind"]), note=r["note"]
            )
            for r in rows
        ]

    async def add_override(
        self, principal: Principal, data: wire.HolidayOverrideCreate
    ) -> wire.HolidayOverride:
        """Add an extra day off or working day. Due dates already given are not moved."""
        try:
            async with self.ctx.db.transaction():
                rows = await HolidayOverride.insert(
                    HolidayOverride(
                        commune=principal.commune_code,
                        day=data.day,
                        kind=data.kind.value,
                        note=data.note,
                        created_at=self.ctx.clock.now(),
                    )
                ).returning(HolidayOverride.id)
        except Exception as exc:
            if is_unique_violation(exc):
                raise AppError(
                    ErrorCode.holiday_override_exists, f"Ngày {data.day} đã có điều chỉnh."
                ) from None
            raise
        return wire.HolidayOverride(id=rows[0]["id"], day=data.day, kind=data.kind, note=data.note)

    async def delete_override(self, principal: Principal, override_id: int) -> None:
        """Remove one of the commune's overrides."""
        rows = (
            await HolidayOverride.delete()
            .where(
                (HolidayOverride.id == override_id)
                & (HolidayOverride.commune == principal.commune_code)
            )
            .returning(HolidayOverride.id)
        )
        if not rows:
            raise AppError(ErrorCode.not_found, "Không tìm thấy ngày điều chỉnh.")
