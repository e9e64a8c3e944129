"""HTTP endpoints for the procedure catalog."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromQuery, JSONBody
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT, HTTP_304_NOT_MODIFIED

from backend.auth.principal import Principal, require, staff_only
from backend.auth.roles import Permission
from backend.catalog.services import CatalogService
from backend.params import MaybeCursor, RowId
from schemas import catalog as wire

__all__ = ["ProcedureController"]

_ADMIN = [require(Permission.admin)]


def _etag(commune_code: str, revision: int) -> str:
    return f'W/"catalog-{commune_code}-{revision}"'


class ProcedureController(Controller):
    """The caller's commune's procedures: every role reads, admins write."""

    path = "/api/v1/procedures"
    guards = [staff_only]
    tags = ["catalog"]

    @get(
        "/",
        summary="Procedures of the commune",
        description="With `since_revision`, only procedures changed after that catalog revision "
        "(retired ones included, `active: false`). The weak ETag names the catalog revision; "
        "`If-None-Match` with it answers 304.",
        responses={304: ResponseSpec(None, description="Not modified (If-None-Match)")},
    )
    async def list_procedures(
        self,
        request: Request[Any, Any, Any],
        catalog: NamedDependency[CatalogService],
        principal: NamedDependency[Principal],
        since_revision: MaybeCursor = None,
        include_inactive: FromQuery[bool] = False,
    ) -> Response[list[wire.Procedure] | None]:
        revision = await catalog.revision(principal.commune_code)
        etag = _etag(principal.commune_code, revision)
        headers = {"ETag": etag, "X-Catalog-Revision": str(revision)}
        if request.headers.get("if-none-match") == etag:
            return Response(None, status_code=HTTP_304_NOT_MODIFIED, headers=headers)
        procedures = await catalog.procedures(
            principal, since_revision=since_revision, include_inactive=include_inactive
        )
        return Response(procedures, headers=headers)

    @post("/", guards=_ADMIN, status_code=HTTP_201_CREATED, summary="Add a procedure")
    async def create_procedure(
        self,
        catalog: NamedDependency[CatalogService],
        principal: NamedDependency[Principal],
        data: JSONBody[wire.ProcedureCreate],
    ) -> wire.Procedure:
        return await catalog.create(principal, data)

    @get("/export", summary="The whole catalog as an import-ready JSON document")
    async def export_catalog(
        self, catalog: NamedDependency[CatalogService], principal: NamedDependency[Principal]
    ) -> Response[wire.CatalogDocument]:
        document = await catalog.export(principal)
        filename = f"danh-muc-thu-tuc-{principal.commune_code}-r{document.revision}.json"
        return Response(
            document, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
        )

    @post(
        "/import",
        guards=_ADMIN,
        summary="Merge a catalog document by procedure code (all or nothing)",
        request_max_body_size=16 * 1024 * 1024,
    )
    async def import_catalog(
        self,
        catalog: NamedDependency[CatalogService],
        principal: NamedDependency[Principal],
        data: JSONBody[wire.CatalogDocument],
    ) -> wire.CatalogImportResult:
        return await catalog.import_catalog(principal, data)

    @get("/{procedure_id:int}", summary="One procedure")
    async def get_procedure(
        self,
        catalog: NamedDependency[CatalogService],
        principal: NamedDependency[Principal],
        procedure_id: RowId,
    ) -> wire.Procedure:
        return await catalog.get(principal, procedure_id)

    @patch("/{procedure_id:int}", guards=_ADMIN, summary="Change a procedure")
    async def update_procedure(
        self,
        catalog: NamedDependency[CatalogService],
        principal: NamedDependency[Principal],
        procedure_id: RowId,
        data: JSONBody[wire.ProcedureUpdate],
    ) -> wire.Procedure:
        return await catalog.update(principal, procedure_id, data)

    @delete(
        "/{procedure_id:int}",
        guards=_ADMIN,
        status_code=HTTP_204_NO_CONTENT,
        summary="Retire a procedure (devices see it inactive on their next sync)",
    )
    async def retire_procedure(
        self,
        catalog: NamedDependency[CatalogService],
        principal: NamedDependency[Principal],
        procedure_id: RowId,
    ) -> Response[None]:
        await catalog.retire(principal, procedure_id)
        return Response(None, status_code=HTTP_204_NO_CONTENT)
