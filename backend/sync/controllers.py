"""The field devices' side of the API: bootstrap (and, as it grows, batches and changes)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency, Provide
from litestar.status_codes import HTTP_304_NOT_MODIFIED

from backend.accounts.principal import DevicePrincipal, device_of
from backend.services import Services
from schemas import sync as wire

__all__ = ["SyncController"]


def _provide_device(request: Request[Any, Any, Any]) -> DevicePrincipal:
    return device_of(request)


class SyncController(Controller):
    """Endpoints for enrolled devices (``Authorization: Bearer ldd_...``)."""

    path = "/api/v1/sync"
    tags = ["sync"]
    dependencies = {"device": Provide(_provide_device, sync_to_thread=False)}

    @get(
        "/bootstrap",
        summary="Team, commune, catalog, limits and server time for a device",
        description="The weak ETag covers the catalog revision, the team and the commune; "
        "`If-None-Match` with it answers 304.",
    )
    async def bootstrap(
        self,
        request: Request[Any, Any, Any],
        services: NamedDependency[Services],
        device: NamedDependency[DevicePrincipal],
    ) -> Response[wire.Bootstrap | None]:
        boot = await services.sync.bootstrap(device)
        etag = services.sync.bootstrap_etag(boot)
        if request.headers.get("if-none-match") == etag:
            return Response(None, status_code=HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
        return Response(boot, headers={"ETag": etag})
