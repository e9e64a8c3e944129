"""HTTP endpoints for the caller's commune and its teams."""

from __future__ import annotations

from litestar import Controller, Response, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from backend.auth.principal import Principal, require, staff_only
from backend.auth.roles import Permission
from backend.communes.services import CommuneService
from backend.params import RowId
from schemas import communes as wire

__all__ = ["CommuneController", "TeamController"]

_ADMIN = [require(Permission.admin)]


class CommuneController(Controller):
    """The caller's own commune."""

    path = "/api/v1/commune"
    guards = [staff_only]
    tags = ["communes"]

    @get("/", summary="The caller's commune")
    async def get_commune(
        self, communes: NamedDependency[CommuneService], principal: NamedDependency[Principal]
    ) -> wire.Commune:
        return await communes.get(principal.commune_code)

    @patch("/", guards=_ADMIN, summary="Set the commune's agency code")
    async def update_commune(
        self,
        communes: NamedDependency[CommuneService],
        principal: NamedDependency[Principal],
        data: JSONBody[wire.CommuneUpdate],
    ) -> wire.Commune:
        return await communes.update(principal, data)


class TeamController(Controller):
    """Field teams of the caller's commune: every role reads, admins write."""

    path = "/api/v1/teams"
    guards = [staff_only]
    tags = ["teams"]

    @get("/", summary="Teams of the commune")
    async def list_teams(
        self,
        communes: NamedDependency[CommuneService],
        principal: NamedDependency[Principal],
        include_inactive: FromQuery[bool] = False,
    ) -> list[wire.Team]:
        return await communes.list_teams(principal, include_inactive=include_inactive)

    @post("/", guards=_ADMIN, status_code=HTTP_201_CREATED, summary="Create a team")
    async def create_team(
        self,
        communes: NamedDependency[CommuneService],
        principal: NamedDependency[Principal],
        data: JSONBody[wire.TeamCreate],
    ) -> wire.Team:
        return await communes.create_team(principal, data)

    @get("/{team_id:int}", summary="One team")
    async def get_team(
        self,
        communes: NamedDependency[CommuneService],
        principal: NamedDependency[Principal],
        team_id: RowId,
    ) -> wire.Team:
        return await communes.get_team(principal, team_id)

    @patch("/{team_id:int}", guards=_ADMIN, summary="Change a team")
    async def update_team(
        self,
        communes: NamedDependency[CommuneService],
        principal: NamedDependency[Principal],
        team_id: RowId,
        data: JSONBody[wire.TeamUpdate],
    ) -> wire.Team:
        return await communes.update_team(principal, team_id, data)

    @delete(
        "/{team_id:int}",
        guards=_ADMIN,
        status_code=HTTP_204_NO_CONTENT,
        summary="Retire a team (kept for history, hidden from listings)",
    )
    async def delete_team(
        self,
        communes: NamedDependency[CommuneService],
        principal: NamedDependency[Principal],
        team_id: RowId,
    ) -> Response[None]:
        await communes.deactivate_team(principal, team_id)
        return Response(None, status_code=HTTP_204_NO_CONTENT)
