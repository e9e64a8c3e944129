"""HTTP endpoints for dossiers: counter intake, inbox, timeline and the clerk's actions."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT

from backend.accounts.principal import Principal, allow
from backend.dossiers.services import Actor, InboxFilter
from backend.dossiers.states import Action, Status
from backend.services import Services
from schemas import dossiers as wire
from schemas.accounts import Role

__all__ = ["DossierController", "HolidayController", "TrackingController"]

_STAFF = [allow(Role.admin, Role.clerk)]

Id = FromPath[str]
Deps = NamedDependency[Services]
Who = NamedDependency[Principal]


class DossierController(Controller):
    """Dossiers of the caller's commune: every role reads, clerks and admins act."""

    path = "/api/v1/dossiers"
    tags = ["dossiers"]

    @post("/", guards=_STAFF, summary="Register a dossier brought to the counter")
    async def create_dossier(
        self, services: Deps, principal: Who, data: JSONBody[wire.DossierCreate]
    ) -> Response[wire.Dossier]:
        dossier, created = await services.dossiers.create(
            principal.commune_code, data, Actor.of(principal)
        )
        return Response(dossier, status_code=HTTP_201_CREATED if created else HTTP_200_OK)

    @get("/", summary="The inbox: dossiers of the commune, newest first")
    async def list_dossiers(
        self,
        services: Deps,
        principal: Who,
        status: FromQuery[list[int] | None] = None,
        team_id: FromQuery[int | None] = None,
        procedure_code: FromQuery[str | None] = None,
        channel: FromQuery[wire.Channel | None] = None,
        overdue: FromQuery[bool | None] = None,
        q: Annotated[str | None, QueryParameter(max_length=200)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
        offset: Annotated[int, QueryParameter(ge=0)] = 0,
    ) -> wire.DossierPage:
        statuses = [Status(s) for s in status or [] if s in Status._value2member_map_]
        return await services.dossiers.inbox(
            principal,
            InboxFilter(
                statuses=statuses,
                team_id=team_id,
                procedure_code=procedure_code,
                channel=channel,
                overdue=overdue,
                q=q,
                limit=limit,
                offset=offset,
            ),
        )

    @get("/{dossier_id:str}", summary="One dossier")
    async def get_dossier(self, services: Deps, principal: Who, dossier_id: Id) -> wire.Dossier:
        return await services.dossiers.get(principal, dossier_id)

    @get("/{dossier_id:str}/events", summary="The dossier's custody timeline")
    async def list_events(
        self, services: Deps, principal: Who, dossier_id: Id
    ) -> list[wire.DossierEvent]:
        return await services.dossiers.events(principal, dossier_id)

    async def _act(
        self, services: Services, principal: Principal, dossier_id: str, action: Action, body: Any
    ) -> wire.Dossier:
        return await services.dossiers.act(
            principal.commune_code, dossier_id, action, body, Actor.of(principal)
        )

    @post(
        "/{dossier_id:str}/receive",
        guards=_STAFF,
        status_code=HTTP_200_OK,
        summary="Receive (tiếp nhận): dossier code, due date, tracking token",
    )
    async def receive(
        self, services: Deps, principal: Who, dossier_id: Id, data: JSONBody[wire.Receive]
    ) -> wire.Dossier:
        return await self._act(services, principal, dossier_id, Action.receive, data)

    @post(
        "/{dossier_id:str}/refuse",
        guards=_STAFF,
        status_code=HTTP_200_OK,
        summary="Refuse (Mẫu 03), with the reason",
    )
    async def refuse(
        self, services: Deps, principal: Who, dossier_id: Id, data: JSONBody[wire.WithReason]
    ) -> wire.Dossier:
        return await self._act(services, principal, dossier_id, Action.refuse, data)

    @post(
        "/{dossier_id:str}/request-supplement",
        guards=_STAFF,
        status_code=HTTP_200_OK,
        summary="Ask for a supplement (Mẫu 02), itemised; the clock stops",
    )
    async def request_supplement(
        self,
        services: Deps,
        principal: Who,
        dossier_id: Id,
        data: JSONBody[wire.RequestSupplement],
    ) -> wire.Dossier:
        return await self._act(services, principal, dossier_id, Action.request_supplement, data)

    @post(
        "/{dossier_id:str}/supplement-arrived",
        guards=_STAFF,
        status_code=HTTP_200_OK,
        summary="The supplement arrived: new document version, back to the inbox",
    )
    async def supplement_arrived(
        self,
        services: Deps,
        principal: Who,
        dossier_id: Id,
        data: JSONBody[wire.SupplementArrived],
    ) -> wire.Dossier:
        return await self._act(services, principal, dossier_id, Action.supplement_arrived, data)

    @post(
        "/{dossier_id:str}/start-processing",
        guards=_STAFF,
        status_code=HTTP_200_OK,
        summary="Start processing",
    )
    async def start_processing(
        self, services: Deps, principal: Who, dossier_id: Id, data: JSONBody[wire.VersionCheck]
    ) -> wire.Dossier:
        return await self._act(services, principal, dossier_id, Action.start_processing, data)

    @post(
        "/{dossier_id:str}/request-fee",
        guards=_STAFF,
        status_code=HTTP_200_OK,
        summary="Ask for a fee; the clock stops",
    )
    async def request_fee(
        self, services: Deps, principal: Who, dossier_id: Id, data: JSONBody[wire.RequestFee]
    ) -> wire.Dossier:
        return await self._act(services, principal, dossier_id, Action.request_fee, data)

    @post(
        "/{dossier_id:str}/record-payment",
        guards=_STAFF,
        status_code=HTTP_200_OK,
        summary="The fee was paid; processing resumes",
    )
    async def record_payment(
        self, services: Deps, principal: Who, dossier_id: Id, data: JSONBody[wire.RecordPayment]
    ) -> wire.Dossier:
        return await self._act(services, principal, dossier_id, Action.record_payment, data)

    @post(
        "/{dossier_id:str}/stop",
        guards=_STAFF,
        status_code=HTTP_200_OK,
        summary="Stop processing (Mẫu 05), with the reason",
    )
    async def stop(
        self, services: Deps, principal: Who, dossier_id: Id, data: JSONBody[wire.WithReason]
    ) -> wire.Dossier:
        return await self._act(services, principal, dossier_id, Action.stop, data)

    @post(
        "/{dossier_id:str}/withdraw",
        guards=_STAFF,
        status_code=HTTP_200_OK,
        summary="The citizen withdraws the dossier",
    )
    async def withdraw(
        self, services: Deps, principal: Who, dossier_id: Id, data: JSONBody[wire.Withdraw]
    ) -> wire.Dossier:
        return await self._act(services, principal, dossier_id, Action.withdraw, data)

    @post(
        "/{dossier_id:str}/resolve",
        guards=_STAFF,
        status_code=HTTP_200_OK,
        summary="Resolved, with the result summary",
    )
    async def resolve(
        self, services: Deps, principal: Who, dossier_id: Id, data: JSONBody[wire.Resolve]
    ) -> wire.Dossier:
        return await self._act(services, principal, dossier_id, Action.resolve, data)

    @post(
        "/{dossier_id:str}/return",
        guards=_STAFF,
        status_code=HTTP_200_OK,
        summary="Result returned at the counter or by post",
    )
    async def return_result(
        self, services: Deps, principal: Who, dossier_id: Id, data: JSONBody[wire.ReturnResult]
    ) -> wire.Dossier:
        return await self._act(services, principal, dossier_id, Action.return_result, data)

    @post(
        "/{dossier_id:str}/extend",
        guards=_STAFF,
        status_code=HTTP_200_OK,
        summary="Apology and new due date (Mẫu 04)",
    )
    async def extend(
        self, services: Deps, principal: Who, dossier_id: Id, data: JSONBody[wire.Extend]
    ) -> wire.Dossier:
        return await self._act(services, principal, dossier_id, Action.extend, data)

    @post(
        "/{dossier_id:str}/satisfaction",
        guards=_STAFF,
        status_code=HTTP_204_NO_CONTENT,
        summary="Record the citizen's satisfaction rating (one per dossier)",
    )
    async def rate(
        self,
        services: Deps,
        principal: Who,
        dossier_id: Id,
        data: JSONBody[wire.SatisfactionCreate],
    ) -> Response[None]:
        await services.dossiers.rate(principal, dossier_id, data)
        return Response(None, status_code=HTTP_204_NO_CONTENT)


Token = Annotated[str, QueryParameter(name="t", max_length=200)]


class TrackingController(Controller):
    """The public side of a receipt's QR code: status and dates, never personal data."""

    path = "/api/v1/track"
    tags = ["tracking"]
    opt = {"exclude_from_auth": True, "rate_limit": "tracking"}

    @get("/{code:str}", summary="Status of a dossier by its code and tracking token")
    async def track(self, services: Deps, code: FromPath[str], t: Token = "") -> wire.TrackingInfo:
        return await services.dossiers.track(code, t)

    @post(
        "/{code:str}/satisfaction",
        status_code=HTTP_204_NO_CONTENT,
        summary="The citizen rates the service (one rating per dossier)",
    )
    async def rate(
        self,
        services: Deps,
        code: FromPath[str],
        data: JSONBody[wire.SatisfactionCreate],
        t: Token = "",
    ) -> Response[None]:
        await services.dossiers.rate_by_token(code, t, data)
        return Response(None, status_code=HTTP_204_NO_CONTENT)


class HolidayController(Controller):
    """The commune's working-day calendar: every role reads, admins add overrides."""

    path = "/api/v1/holidays"
    tags = ["holidays"]

    @get("/", summary="National holidays, make-up working days and overrides of a year")
    async def calendar(
        self, services: Deps, principal: Who, year: Annotated[int, QueryParameter(ge=2000, le=2100)]
    ) -> list[wire.CalendarDay]:
        return await services.dossiers.calendar_days(principal, year)

    @get("/overrides", summary="The commune's overrides")
    async def list_overrides(self, services: Deps, principal: Who) -> list[wire.HolidayOverride]:
        return await services.dossiers.list_overrides(principal)

    @post(
        "/overrides",
        guards=[allow(Role.admin)],
        status_code=HTTP_201_CREATED,
        summary="Add an extra day off or working day (due dates already given stay)",
    )
    async def add_override(
        self, services: Deps, principal: Who, data: JSONBody[wire.HolidayOverrideCreate]
    ) -> wire.HolidayOverride:
        return await services.dossiers.add_override(principal, data)

    @delete(
        "/overrides/{override_id:int}",
        guards=[allow(Role.admin)],
        status_code=HTTP_204_NO_CONTENT,
        summary="Remove an override",
    )
    async def delete_override(
        self, services: Deps, principal: Who, override_id: FromPath[int]
    ) -> Response[None]:
        await services.dossiers.delete_override(principal, override_id)
        return Response(None, status_code=HTTP_204_NO_CONTENT)
