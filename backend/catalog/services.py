"""The procedure catalog: versioned per procedure, revisioned per commune for device sync."""

from __future__ import annotations

from datetime import time
from typing import Any

import msgspec
from msgspec import UNSET

from backend.auth.principal import Principal
from backend.catalog.tables import Procedure
from backend.context import Context
from backend.db.counters import current_value, next_value
from backend.db.engine import is_unique_violation
from backend.errors import AppError
from schemas import catalog as wire
from schemas.common import FieldError
from schemas.errors import ErrorCode

__all__ = ["CatalogService", "catalog_counter"]

# Columns that hold a ProcedureCreate field of the same name.
_FIELDS = tuple(f for f in wire.ProcedureCreate.__struct_fields__ if f != "code")


def catalog_counter(commune_code: str) -> str:
    """Name of the counter holding a commune's catalog revision."""
    return f"catalog:{commune_code}"


def _procedure(row: dict[str, Any]) -> wire.Procedure:
    values = {name: row[name] for name in (*_FIELDS, "code")}
    values["documents"] = msgspec.convert(row["documents"], list[wire.RequiredDocument])
    values["same_day_cutoff"] = msgspec.convert(row["same_day_cutoff"], time | None)
    return wire.Procedure(
        **values,
        id=row["id"],
        commune_code=row["commune"],
        version=row["version"],
        revision=row["revision"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _columns(data: wire.ProcedureCreate | wire.ProcedureUpdate) -> dict[str, Any]:
    """Column values for the fields ``data`` sets (documents as JSON-ready lists)."""
    values: dict[str, Any] = {}
    for name in _FIELDS:
        value = getattr(data, name)
        if value is UNSET:
            continue
        if name == "documents":
            keys = [d.key for d in value]
            duplicates = sorted({k for k in keys if keys.count(k) > 1})
            if duplicates:
                raise AppError(
                    ErrorCode.validation_failed,
                    "Mã giấy tờ bị trùng trong thủ tục.",
                    errors=[
                        FieldError(field="body.documents", message=f"duplicate key {k!r}")
                        for k in duplicates
                    ],
                )
        values[name] = msgspec.to_builtins(value)
    return values


class CatalogService:
    """Reading and editing one commune's catalog."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def revision(self, commune_code: str) -> int:
        """The commune's current catalog revision (0 for an empty catalog)."""
        return await current_value(self.ctx.db, catalog_counter(commune_code))

    async def procedures(
        self,
        principal: Principal,
        *,
        since_revision: int | None = None,
        include_inactive: bool = False,
    ) -> list[wire.Procedure]:
        """Procedures by code; with ``since_revision``, those changed after it (retired too)."""
        return await self.list_for_commune(
            principal.commune_code,
            since_revision=since_revision,
            include_inactive=include_inactive,
        )

    async def list_for_commune(
        self,
        commune_code: str,
        *,
        since_revision: int | None = None,
        include_inactive: bool = False,
    ) -> list[wire.Procedure]:
        """Procedures of ``commune_code`` (for staff and devices alike)."""
        query = Procedure.select().where(Procedure.commune == commune_code).output(load_json=True)
        if since_revision is not None:
            query = query.where(Procedure.revision > since_revision)
        elif not include_inactive:
            query = query.where(Procedure.active == True)  # noqa: E712 - Piccolo SQL
        return [_procedure(r) for r in await query.order_by(Procedure.code)]

    async def documents(
        self, commune_code: str, procedure_code: str
    ) -> list[wire.RequiredDocument] | None:
        """The document list of an active procedure of the commune; ``None`` if it has none."""
        row = (
            await Procedure.select(Procedure.documents)
            .where(
                (Procedure.commune == commune_code)
                & (Procedure.code == procedure_code)
                & (Procedure.active == True)  # noqa: E712 - Piccolo SQL
            )
            .output(load_json=True)
            .first()
        )
        if row is None:
            return None
        return msgspec.convert(row["documents"], list[wire.RequiredDocument])

    async def get(self, principal: Principal, procedure_id: int) -> wire.Procedure:
        """One procedure of the caller's commune."""
        row = await (
            Procedure.select()
            .where((Procedure.id == procedure_id) & (Procedure.commune == principal.commune_code))
            .output(load_json=True)
            .first()
        )
        if row is None:
            raise AppError(ErrorCode.not_found, "Không tìm thấy thủ tục.")
        return _procedure(row)

    async def create(self, principal: Principal, data: wire.ProcedureCreate) -> wire.Procedure:
        """Add a procedure; its code must be new in the commune's catalog."""
        values = _columns(data)
        try:
            async with self.ctx.db.transaction():
                procedure_id = await self._insert(principal.commune_code, data.code, values)
        except Exception as exc:
            if is_unique_violation(exc):
                raise AppError(
                    ErrorCode.procedure_code_taken,
                    f"Thủ tục {data.code} đã có trong danh mục.",
                ) from None
            raise
        return await self.get(principal, procedure_id)

    async def update(
        self, principal: Principal, procedure_id: int, data: wire.ProcedureUpdate
    ) -> wire.Procedure:
        """Change a procedure; a stale ``version`` is a 409, not a lost update."""
        values = _columns(data)
        async with self.ctx.db.transaction():
            current = await self.get(principal, procedure_id)
            if data.version is not UNSET and data.version != current.version:
                raise AppError(
                    ErrorCode.stale_version,
                    f"Thủ tục đã được sửa (phiên bản {current.version}), hãy tải lại.",
                )
            changed = {
                k: v for k, v in values.items() if v != msgspec.to_builtins(getattr(current, k))
            }
            if changed:
                await self._update(principal.commune_code, procedure_id, current.version, changed)
        return await self.get(principal, procedure_id)

    async def retire(self, principal: Principal, procedure_id: int) -> None:
        """Take a procedure out of the catalog; devices see it as inactive on their next sync."""
        await self.update(principal, procedure_id, wire.ProcedureUpdate(active=False))

    async def export(self, principal: Principal) -> wire.CatalogDocument:
        """The whole catalog (retired procedures included) as an import-ready document."""
        procedures = await self.procedures(principal, include_inactive=True)
        fields = wire.ProcedureCreate.__struct_fields__
        return wire.CatalogDocument(
            commune_code=principal.commune_code,
            revision=await self.revision(principal.commune_code),
            procedures=[
                wire.ProcedureCreate(**{f: getattr(p, f) for f in fields}) for p in procedures
            ],
        )

    async def import_catalog(
        self, principal: Principal, document: wire.CatalogDocument
    ) -> wire.CatalogImportResult:
        """Merge a catalog document by procedure code, all or nothing.

        New codes are created, changed ones updated, identical ones left alone (no revision
        bump, so devices download nothing); procedures absent from the document are kept.
        """
        codes = [p.code for p in document.procedures]
        duplicates = sorted({c for c in codes if codes.count(c) > 1})
        if duplicates:
            raise AppError(
                ErrorCode.validation_failed,
                "Mã thủ tục bị trùng trong tệp nhập.",
                errors=[
                    FieldError(field="body.procedures", message=f"duplicate code {c}")
                    for c in duplicates
                ],
            )
        created: list[str] = []
        updated: list[str] = []
        unchanged: list[str] = []
        commune = principal.commune_code
        async with self.ctx.db.transaction():
            existing = {
                row["code"]: row
                for row in await Procedure.select()
                .where(Procedure.commune == commune)
                .output(load_json=True)
            }
            for item in document.procedures:
                values = _columns(item)
                row = existing.get(item.code)
                if row is None:
                    await self._insert(commune, item.code, values)
                    created.append(item.code)
                    continue
                changed = {k: v for k, v in values.items() if v != row[k]}
                if changed:
                    await self._update(commune, row["id"], row["version"], changed)
                    updated.append(item.code)
                else:
                    unchanged.append(item.code)
            revision = await self.revision(commune)
        return wire.CatalogImportResult(
            created=created, updated=updated, unchanged=unchanged, revision=revision
        )

    async def _insert(self, commune: str, code: str, values: dict[str, Any]) -> int:
        now = self.ctx.clock.now()
        revision = await next_value(self.ctx.db, catalog_counter(commune))
        rows = await Procedure.insert(
            Procedure(
                commune=commune,
                code=code,
                version=1,
                revision=revision,
                created_at=now,
                updated_at=now,
                **values,
            )
        ).returning(Procedure.id)
        return int(rows[0]["id"])

    async def _update(
        self, commune: str, procedure_id: int, version: int, changed: dict[str, Any]
    ) -> None:
        revision = await next_value(self.ctx.db, catalog_counter(commune))
        await Procedure.update(
            {
                **{getattr(Procedure, k): v for k, v in changed.items()},
                Procedure.version: version + 1,
                Procedure.revision: revision,
                Procedure.updated_at: self.ctx.clock.now(),
            }
        ).where(Procedure.id == procedure_id)
