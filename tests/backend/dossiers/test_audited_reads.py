"""Reads that return an applicant's personal data are audited by the service, whoever asks."""

from __future__ import annotations

import httpx
import pytest

from backend.audit.tables import AuditEntry
from backend.dossiers.lifecycle import Actor
from backend.errors import AppError
from backend.wiring import Services
from schemas.dossiers import ACTION_BODY, Action, EventPayload, VersionCheck
from schemas.errors import ErrorCode
from tests.backend.dossiers.test_lifecycle import catalog, submit
from tests.helpers import Staff

__all__ = ["catalog"]


async def entries(dossier_id: str) -> list[dict[str, object]]:
    return await AuditEntry.select(
        AuditEntry.actor_name, AuditEntry.action, AuditEntry.commune
    ).where(AuditEntry.dossier_id == dossier_id)


@pytest.mark.parametrize("role", ["admin", "clerk", "viewer"])
async def test_get_dossier__through_the_api_records_one_audit_entry_per_read(
    client: httpx.AsyncClient, staff: Staff, catalog: None, role: str
) -> None:
    dossier = await submit(staff)
    account = staff[f"{role}.a"]

    response = await client.get(f"/api/v1/dossiers/{dossier['id']}", headers=account.auth)

    assert response.status_code == 200
    shown = response.json()["applicant"]["id_number"]
    assert shown == (None if role == "viewer" else dossier["applicant"]["id_number"])
    assert await entries(dossier["id"]) == [
        {"actor_name": account.username, "action": "view_dossier", "commune": "07192"}
    ]


async def test_get_dossier__of_another_commune_is_a_404_and_records_nothing(
    client: httpx.AsyncClient, staff: Staff, catalog: None
) -> None:
    dossier = await submit(staff)

    response = await client.get(f"/api/v1/dossiers/{dossier['id']}", headers=staff["viewer.b"].auth)

    assert response.status_code == 404
    assert await entries(dossier["id"]) == []


def test_event_payload__carries_every_field_of_every_action_body() -> None:
    payload_fields = set(EventPayload.__struct_fields__)
    for action, body in ACTION_BODY.items():
        missing = set(body.__struct_fields__) - {"version"} - payload_fields
        assert not missing, f"{action}: {missing}"


async def test_act__with_another_actions_body_is_a_422_not_an_assertion(
    services: Services, staff: Staff, catalog: None
) -> None:
    dossier = await submit(staff)

    with pytest.raises(AppError) as raised:
        await services.lifecycle.act(
            "07192", dossier["id"], Action.request_fee, VersionCheck(), Actor("user", "1", "x")
        )

    assert raised.value.code is ErrorCode.validation_failed
    again = await services.dossiers.view_for("07192", dossier["id"])
    assert (again.version, again.status.code) == (1, 1)


async def test_action_routes__take_the_body_the_shared_map_names(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/schema/openapi.json")).json()

    for action, body in ACTION_BODY.items():
        operation = spec["paths"][f"/api/v1/dossiers/{{dossier_id}}/{action.value}"]["post"]
        schema = operation["requestBody"]["content"]["application/json"]["schema"]
        assert schema["$ref"] == f"#/components/schemas/{body.__name__}", action
