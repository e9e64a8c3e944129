"""The field devices' side of the API: bootstrap (and, as it grows, batches and changes)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_304_NOT_MODIFIED

from backend.auth.principal import DevicePrincipal, device_of, devices_only
from backend.params import Cursor
from backend.sync.services import BatchService, SyncService
from schemas import sync as wire

__all__ = ["SyncController"]


def _provide_device(request: Request[Any, Any, Any]) -> DevicePrincipal:
    return device_of(request)


class SyncController(Controller):
    """Endpoints for enrolled devices (``Authorization: Bearer ldd_...``)."""

    path = "/api/v1/sync"
    guards = [devices_only]
    tags = ["sync"]
    dependencies = {"device": Provide(_provide_device, sync_to_thread=False)}

    @get(
        "/bootstrap",
        summary="Team, commune, catalog, limits and server time for a device",
        responses={304: ResponseSpec(None, description="Not modified (If-None-Match)")},
        description="The weak ETag covers the catalog revision, the team and the commune; "
        "`If-None-Match` with it answers 304.",
    )
    async def bootstrap(
        self,
        request: Request[Any, Any, Any],
        sync: NamedDependency[SyncService],
        device: NamedDependency[DevicePrincipal],
    ) -> Response[wire.Bootstrap | None]:
        boot = await sync.bootstrap(device)
        etag = sync.bootstrap_etag(boot)
        if request.headers.get("if-none-match") == etag:
            return Response(None, status_code=HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
        return Response(boot, headers={"ETag": etag})

    @post(
        "/batches",
        summary="Post a batch manifest; answers which blobs to upload (idempotent on batch_id)",
        responses={200: ResponseSpec(wire.BatchAccepted, description="The same manifest again")},
        request_max_body_size=4 * 1024 * 1024,
    )
    async def submit_batch(
        self,
        batches: NamedDependency[BatchService],
        device: NamedDependency[DevicePrincipal],
        data: JSONBody[wire.BatchManifest],
    ) -> Response[wire.BatchAccepted]:
        accepted, created = await batches.submit(device, data)
        return Response(accepted, status_code=HTTP_201_CREATED if created else HTTP_200_OK)

    @post(
        "/batches/{batch_id:str}/commit",
        status_code=HTTP_200_OK,
        summary="Commit a batch: every dossier in one transaction; again gives the same result",
    )
    async def commit_batch(
        self,
        batches: NamedDependency[BatchService],
        device: NamedDependency[DevicePrincipal],
        batch_id: FromPath[str],
    ) -> wire.BatchCommitted:
        return await batches.commit(device, batch_id)

    @get(
        "/changes",
        summary="Events of the device's team after a cursor, in sequence order",
    )
    async def changes(
        self,
        sync: NamedDependency[SyncService],
        device: NamedDependency[DevicePrincipal],
        since: Cursor = 0,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
    ) -> wire.ChangePage:
        return await sync.changes(device, since, limit)

    @post(
        "/reconcile",
        status_code=HTTP_200_OK,
        summary="Which of these batches and dossiers the server holds, and in what state",
    )
    async def reconcile(
        self,
        sync: NamedDependency[SyncService],
        device: NamedDependency[DevicePrincipal],
        data: JSONBody[wire.ReconcileRequest],
    ) -> wire.Reconciliation:
        return await sync.reconcile(device, data)
