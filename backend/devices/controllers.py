"""HTTP endpoints for enrolling, listing and revoking field devices."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from backend.auth.principal import Principal, require
from backend.auth.roles import Permission
from backend.communes.services import CommuneService
from backend.devices.services import DeviceService
from backend.edge import public_base
from backend.params import RowId
from schemas import devices as wire

__all__ = ["DeviceController", "EnrolmentController"]

_ADMIN = [require(Permission.admin)]
Who = NamedDependency[Principal]


class EnrolmentController(Controller):
    """Admins issue one-time enrolment codes for a team."""

    path = "/api/v1/teams"
    tags = ["devices"]

    @post(
        "/{team_id:int}/enrolment-codes",
        guards=_ADMIN,
        status_code=HTTP_201_CREATED,
        summary="Issue a one-time enrolment code (24 h) with its QR",
    )
    async def issue_code(
        self,
        request: Request[Any, Any, Any],
        devices: NamedDependency[DeviceService],
        principal: Who,
        team_id: RowId,
    ) -> wire.EnrolmentCode:
        server = public_base(request)
        return await devices.issue_code(principal, team_id, server)


class DeviceController(Controller):
    """Enrolment (public, with a code) and device administration."""

    path = "/api/v1/devices"
    tags = ["devices"]

    @post(
        "/enroll",
        exclude_from_auth=True,
        opt={"rate_limit": "enrolment"},
        status_code=HTTP_201_CREATED,
        summary="Enrol a device with a one-time code; returns its bearer token once",
    )
    async def enroll(
        self,
        communes: NamedDependency[CommuneService],
        devices: NamedDependency[DeviceService],
        data: JSONBody[wire.DeviceEnroll],
    ) -> wire.DeviceEnrolled:
        device_id, token, team_id, commune_code = await devices.enroll(data)
        return wire.DeviceEnrolled(
            device_id=device_id,
            token=token,
            team=await communes.team_in(commune_code, team_id),
            commune=await communes.get(commune_code),
        )

    @get("/", guards=_ADMIN, summary="Devices of the commune")
    async def list_devices(
        self, devices: NamedDependency[DeviceService], principal: Who
    ) -> list[wire.Device]:
        return await devices.devices(principal)

    @post(
        "/{device_id:str}/revoke",
        guards=_ADMIN,
        status_code=HTTP_200_OK,
        summary="Revoke a device (lost phone): its next request is refused",
    )
    async def revoke(
        self, devices: NamedDependency[DeviceService], principal: Who, device_id: FromPath[str]
    ) -> wire.Device:
        return await devices.revoke(principal, device_id)
