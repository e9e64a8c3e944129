"""HTTP endpoints for dossiers: counter intake, inbox, timeline and the clerk's actions."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT

from backend.auth.principal import Principal, client_address, require, staff_only
from backend.auth.roles import Permission
from backend.dossiers.calendar import CalendarService
from backend.dossiers.lifecycle import Actor, DossierLifecycle
from backend.dossiers.queries import DossierQueries, InboxFilter
from backend.dossiers.tracking import TrackingService
from backend.params import MaybeRowId, Offset, RowId
from schemas import dossiers as wire
from schemas.dossiers import Action, Standing, Status

__all__ = ["DossierController", "HolidayController", "TrackingController"]

_STAFF = [require(Permission.act)]

Id = FromPath[str]
Who = NamedDependency[Principal]
Queries = NamedDependency[DossierQueries]
Lifecycle = NamedDependency[DossierLifecycle]


class DossierController(Controller):
    """Dossiers of the caller's commune: every role reads, clerks and admins act."""

    path = "/api/v1/dossiers"
    tags = ["dossiers"]
    guards = [require(Permission.dossiers)]

    @post(
        "/",
        guards=_STAFF,
        summary="Register a dossier brought to the counter",
        responses={200: ResponseSpec(wire.Dossier, description="The same dossier sent again")},
    )
    async def create_dossier(
        self, lifecycle: Lifecycle, principal: Who, data: JSONBody[wire.DossierCreate]
    ) -> Response[wire.Dossier]:
        dossier, created = await lifecycle.create(principal.commune_code, data, Actor.of(principal))
        return Response(dossier, status_code=HTTP_201_CREATED if created else HTTP_200_OK)

    @get("/", summary="The inbox: dossiers of the commune, newest first")
    async def list_dossiers(
        self,
        dossiers: Queries,
        principal: Who,
        status: FromQuery[list[int] | None] = None,
        team_id: MaybeRowId = None,
        procedure_code: FromQuery[str | None] = None,
        channel: FromQuery[wire.Channel | None] = None,
        standing: FromQuery[Standing | None] = None,
        overdue: Annotated[
            bool | None, QueryParameter(description="The same as `standing=overdue`.")
        ] = None,
        q: Annotated[str | None, QueryParameter(max_length=200)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
        offset: Offset = 0,
    ) -> wire.DossierPage:
        statuses = [Status(s) for s in status or [] if s in Status._value2member_map_]
        if overdue:
            standing = Standing.overdue
        return await dossiers.inbox(
            principal,
            InboxFilter(
                statuses=statuses,
                team_id=team_id,
                procedure_code=procedure_code,
                channel=channel,
                standing=standing,
                q=q,
                limit=limit,
                offset=offset,
            ),
        )

    @get("/{dossier_id:str}", summary="One dossier (the read is recorded in the audit trail)")
    async def get_dossier(
        self, request: Request[Any, Any, Any], dossiers: Queries, principal: Who, dossier_id: Id
    ) -> wire.Dossier:
        return await dossiers.get(principal, dossier_id, client=client_address(request))

    @get("/{dossier_id:str}/events", summary="The dossier's custody timeline")
    async def list_events(
        self, dossiers: Queries, principal: Who, dossier_id: Id
    ) -> list[wire.DossierEvent]:
        return await dossiers.events(principal, dossier_id)

    async def _act(
        self,
        lifecycle: DossierLifecycle,
        principal: Principal,
        dossier_id: str,
        action: Action,
        body: Any,
    ) -> wire.Dossier:
        return await lifecycle.act(
            principal.commune_code, dossier_id, action, body, Actor.of(principal)
        )

    @post(
        "/{dossier_id:str}/receive",
        guards=_STAFF,
        status_code=HTTP_200_OK,
        summary="Receive (tiếp nhận): dossier code, due date, tracking token",
    )
    async def receive(
        self, lifecycle: Lifecycle, principal: Who, dossier_id: Id, data: JSONBody[wire.Receive]
    ) -> wire.Dossier:
        return await self._act(lifecycle, principal, dossier_id, Action.receive, data)

    @post(
        "/{dossier_id:str}/refuse",
        guards=_STAFF,
        status_code=HTTP_200_OK,
        summary="Refuse (Mẫu 03), with the reason",
    )
    async def refuse(
        self, lifecycle: Lifecycle, principal: Who, dossier_id: Id, data: JSONBody[wire.WithReason]
    ) -> wire.Dossier:
        return await self._act(lifecycle, principal, dossier_id, Action.refuse, data)

    @post(
        "/{dossier_id:str}/request-supplement",
        guards=_STAFF,
        status_code=HTTP_200_OK,
        summary="Ask for a supplement (Mẫu 02), itemised; the clock stops",
    )
    async def request_supplement(
        self,
        lifecycle: Lifecycle,
        principal: Who,
        dossier_id: Id,
        data: JSONBody[wire.RequestSupplement],
    ) -> wire.Dossier:
        return await self._act(lifecycle, principal, dossier_id, Action.request_supplement, data)

    @post(
        "/{dossier_id:str}/supplement-arrived",
        guards=_STAFF,
        status_code=HTTP_200_OK,
        summary="The supplement arrived: new document version, back to the inbox",
    )
    async def supplement_arrived(
        self,
        lifecycle: Lifecycle,
        principal: Who,
        dossier_id: Id,
        data: JSONBody[wire.SupplementArrived],
    ) -> wire.Dossier:
        return await self._act(lifecycle, principal, dossier_id, Action.supplement_arrived, data)

    @post(
        "/{dossier_id:str}/start-processing",
        guards=_STAFF,
        status_code=HTTP_200_OK,
        summary="Start processing",
    )
    async def start_processing(
        self,
        lifecycle: Lifecycle,
        principal: Who,
        dossier_id: Id,
        data: JSONBody[wire.VersionCheck],
    ) -> wire.Dossier:
        return await self._act(lifecycle, principal, dossier_id, Action.start_processing, data)

    @post(
        "/{dossier_id:str}/request-fee",
        guards=_STAFF,
        status_code=HTTP_200_OK,
        summary="Ask for a fee; the clock stops",
    )
    async def request_fee(
        self, lifecycle: Lifecycle, principal: Who, dossier_id: Id, data: JSONBody[wire.RequestFee]
    ) -> wire.Dossier:
        return await self._act(lifecycle, principal, dossier_id, Action.request_fee, data)

    @post(
        "/{dossier_id:str}/record-payment",
        guards=_STAFF,
        status_code=HTTP_200_OK,
        summary="The fee was paid; processing resumes",
    )
    async def record_payment(
        self,
        lifecycle: Lifecycle,
        principal: Who,
        dossier_id: Id,
        data: JSONBody[wire.RecordPayment],
    ) -> wire.Dossier:
        return await self._act(lifecycle, principal, dossier_id, Action.record_payment, data)

    @post(
        "/{dossier_id:str}/stop",
        guards=_STAFF,
        status_code=HTTP_200_OK,
        summary="Stop processing (Mẫu 05), with the reason",
    )
    async def stop(
        self, lifecycle: Lifecycle, principal: Who, dossier_id: Id, data: JSONBody[wire.WithReason]
    ) -> wire.Dossier:
        return await self._act(lifecycle, principal, dossier_id, Action.stop, data)

    @post(
        "/{dossier_id:str}/withdraw",
        guards=_STAFF,
        status_code=HTTP_200_OK,
        summary="The citizen withdraws the dossier",
    )
    async def withdraw(
        self, lifecycle: Lifecycle, principal: Who, dossier_id: Id, data: JSONBody[wire.Withdraw]
    ) -> wire.Dossier:
        return await self._act(lifecycle, principal, dossier_id, Action.withdraw, data)

    @post(
        "/{dossier_id:str}/resolve",
        guards=_STAFF,
        status_code=HTTP_200_OK,
        summary="Resolved, with the result summary",
    )
    async def resolve(
        self, lifecycle: Lifecycle, principal: Who, dossier_id: Id, data: JSONBody[wire.Resolve]
    ) -> wire.Dossier:
        return await self._act(lifecycle, principal, dossier_id, Action.resolve, data)

    @post(
        "/{dossier_id:str}/return",
        guards=_STAFF,
        status_code=HTTP_200_OK,
        summary="Result returned at the counter or by post",
    )
    async def return_result(
        self,
        lifecycle: Lifecycle,
        principal: Who,
        dossier_id: Id,
        data: JSONBody[wire.ReturnResult],
    ) -> wire.Dossier:
        return await self._act(lifecycle, principal, dossier_id, Action.return_result, data)

    @post(
        "/{dossier_id:str}/extend",
        guards=_STAFF,
        status_code=HTTP_200_OK,
        summary="Apology and new due date (Mẫu 04)",
    )
    async def extend(
        self, lifecycle: Lifecycle, principal: Who, dossier_id: Id, data: JSONBody[wire.Extend]
    ) -> wire.Dossier:
        return await self._act(lifecycle, principal, dossier_id, Action.extend, data)

    @post(
        "/{dossier_id:str}/satisfaction",
        guards=_STAFF,
        status_code=HTTP_204_NO_CONTENT,
        summary="Record the citizen's satisfaction rating (one per dossier)",
    )
    async def rate(
        self,
        lifecycle: Lifecycle,
        principal: Who,
        dossier_id: Id,
        data: JSONBody[wire.SatisfactionCreate],
    ) -> Response[None]:
        await lifecycle.rate(principal, dossier_id, data)
        return Response(None, status_code=HTTP_204_NO_CONTENT)


Token = Annotated[str, QueryParameter(name="t", max_length=200)]


class TrackingController(Controller):
    """The public side of a receipt's QR code: status and dates, never personal data."""

    path = "/api/v1/track"
    tags = ["tracking"]
    opt = {"exclude_from_auth": True, "rate_limit": "tracking"}

    @get("/{code:str}", summary="Status of a dossier by its code and tracking token")
    async def track(
        self, tracking: NamedDependency[TrackingService], code: FromPath[str], t: Token = ""
    ) -> wire.TrackingInfo:
        return await tracking.track(code, t)

    @post(
        "/{code:str}/satisfaction",
        status_code=HTTP_204_NO_CONTENT,
        summary="The citizen rates the service (one rating per dossier)",
    )
    async def rate(
        self,
        tracking: NamedDependency[TrackingService],
        code: FromPath[str],
        data: JSONBody[wire.SatisfactionCreate],
        t: Token = "",
    ) -> Response[None]:
        await tracking.rate(code, t, data)
        return Response(None, status_code=HTTP_204_NO_CONTENT)


Calendars = NamedDependency[CalendarService]


class HolidayController(Controller):
    """The commune's working-day calendar: every role reads, admins add overrides."""

    path = "/api/v1/holidays"
    guards = [staff_only]
    tags = ["holidays"]

    @get("/", summary="National holidays, make-up working days and overrides of a year")
    async def calendar(
        self,
        calendars: Calendars,
        principal: Who,
        year: Annotated[int, QueryParameter(ge=2000, le=2100)],
    ) -> list[wire.CalendarDay]:
        return await calendars.calendar_days(principal, year)

    @get("/overrides", summary="The commune's overrides")
    async def list_overrides(
        self, calendars: Calendars, principal: Who
    ) -> list[wire.HolidayOverride]:
        return await calendars.list_overrides(principal)

    @post(
        "/overrides",
        guards=[require(Permission.admin)],
        status_code=HTTP_201_CREATED,
        summary="Add an extra day off or working day (due dates already given stay)",
    )
    async def add_override(
        self, calendars: Calendars, principal: Who, data: JSONBody[wire.HolidayOverrideCreate]
    ) -> wire.HolidayOverride:
        return await calendars.add_override(principal, data)

    @delete(
        "/overrides/{override_id:int}",
        guards=[require(Permission.admin)],
        status_code=HTTP_204_NO_CONTENT,
        summary="Remove an override",
    )
    async def delete_override(
        self, calendars: Calendars, principal: Who, override_id: RowId
    ) -> Response[None]:
        await calendars.delete_override(principal, override_id)
        return Response(None, status_code=HTTP_204_NO_CONTENT)
