"""The dossier lifecycle over HTTP: intake, every legal path, illegal moves, codes, deadlines."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest

from backend.clock import FrozenClock
from backend.dossiers.lifecycle import Actor
from backend.dossiers.states import ALLOWED
from backend.wiring import Services
from schemas import dossiers as wire
from schemas.dossiers import Action, Status
from tests.helpers import COMMUNE_A, Staff, assert_problem

MARRIAGE_STATUS = "1.004873"  # 3 working days in the test catalog
APPLICANT = {
    "full_name": "Trần Hữu Đạt",
    "id_number": "022095001234",
    "birth_date": "1995-04-12",
    "gender": "male",
    "address": "Thôn Bắc Vàn, Cô Tô",
    "phone": "0912345678",
}
SHA = "a" * 64


@pytest.fixture
async def catalog(staff: Staff, services: Services) -> None:
    """Two procedures in commune A: one with 3 working days, one with no published time; and
    the scans its counter dossiers name, held by commune A as if its clerk had uploaded them."""
    for held in (SHA, "b" * 64):
        await services.custody.grant(COMMUNE_A, held, "upload")
    for body in (
        {
            "code": MARRIAGE_STATUS,
            "name": "Cấp Giấy xác nhận tình trạng hôn nhân",
            "processing_days": 3,
            "documents": [{"key": "to_khai", "name": "Tờ khai", "kind": "original"}],
        },
        {
            "code": "1.003583",
            "name": "Đăng ký khai sinh lưu động",
            "documents": [{"key": "to_khai", "name": "Tờ khai", "kind": "original"}],
        },
    ):
        await staff.post_created("/api/v1/procedures", body)


def dossier_body(**overrides: Any) -> dict[str, Any]:
    return {
        "procedure_code": MARRIAGE_STATUS,
        "applicant": APPLICANT,
        "consent": True,
        "documents": [{"key": "to_khai", "sha256": SHA}],
        **overrides,
    }


async def submit(staff: Staff, **overrides: Any) -> dict[str, Any]:
    return await staff.post_created("/api/v1/dossiers", dossier_body(**overrides), as_="clerk.a")


async def act(
    client: httpx.AsyncClient, staff: Staff, dossier_id: str, action: str, body: Any = None
) -> httpx.Response:
    return await client.post(
        f"/api/v1/dossiers/{dossier_id}/{action}", json=body or {}, headers=staff["clerk.a"].auth
    )


async def ok(
    client: httpx.AsyncClient, staff: Staff, dossier_id: str, action: str, body: Any = None
) -> dict[str, Any]:
    response = await act(client, staff, dossier_id, action, body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


BODIES: dict[Action, dict[str, Any]] = {
    Action.receive: {},
    Action.refuse: {"reason": "Không thuộc thẩm quyền"},
    Action.request_supplement: {
        "items": [{"document_key": "to_khai", "problem": "invalid", "note": "Thiếu chữ ký"}]
    },
    Action.supplement_arrived: {"documents": [{"key": "to_khai", "sha256": "b" * 64}]},
    Action.start_processing: {},
    Action.request_fee: {"amount_vnd": 8000},
    Action.record_payment: {"receipt_number": "BL-001"},
    Action.stop: {"reason": "Cơ quan khác đang giải quyết"},
    Action.withdraw: {"reason": "Công dân rút"},
    Action.resolve: {"result_summary": "Đã cấp giấy xác nhận"},
    Action.return_result: {"channel": "counter"},
    Action.extend: {"new_due_date": "2026-03-20", "reason": "Cần xác minh thêm"},
}

# A path from "submitted" to each status, through legal actions only.
PATHS: dict[Status, list[Action]] = {
    Status.submitted: [],
    Status.received: [Action.receive],
    Status.refused: [Action.refuse],
    Status.processing: [Action.receive, Action.start_processing],
    Status.supplement_requested: [Action.request_supplement],
    Status.awaiting_fee: [Action.receive, Action.request_fee],
    Status.withdrawn: [Action.receive, Action.withdraw],
    Status.stopped: [Action.receive, Action.stop],
    Status.resolved: [Action.receive, Action.start_processing, Action.resolve],
    Status.returned: [
        Action.receive,
        Action.start_processing,
        Action.resolve,
        Action.return_result,
    ],
}


async def walk(client: httpx.AsyncClient, staff: Staff, actions: list[Action]) -> dict[str, Any]:
    dossier = await submit(staff)
    for action in actions:
        dossier = await ok(client, staff, dossier["id"], action.value, BODIES[action])
    return dossier


# --- intake ------------------------------------------------------------------------------------


async def test_create__counter_dossier_lands_in_inbox_as_submitted(
    client: httpx.AsyncClient, staff: Staff, catalog: None
) -> None:
    dossier = await submit(staff)

    assert dossier["status"] == {"code": 1, "label": "Mới đăng ký"}
    assert dossier["code"] is None
    assert dossier["procedure_name"] == "Cấp Giấy xác nhận tình trạng hôn nhân"
    assert dossier["documents"] == [
        {"key": "to_khai", "sha256": SHA, "page": 1, "media_type": "image/jpeg"}
    ]
    inbox = (await client.get("/api/v1/dossiers", headers=staff["viewer.a"].auth)).json()
    assert [d["id"] for d in inbox["items"]] == [dossier["id"]]
    events = (
        await client.get(f"/api/v1/dossiers/{dossier['id']}/events", headers=staff["clerk.a"].auth)
    ).json()
    assert [(e["action"], e["to_status"]["code"], e["actor_name"]) for e in events] == [
        ("submit", 1, "clerk.a")
    ]


async def test_create__same_id_same_content_is_a_duplicate_other_content_a_conflict(
    client: httpx.AsyncClient, staff: Staff, catalog: None
) -> None:
    body = dossier_body(id="01JD3ZP6Y4W1T9G8QK5N2B7C0M")
    auth = staff["clerk.a"].auth

    first = await client.post("/api/v1/dossiers", json=body, headers=auth)
    again = await client.post("/api/v1/dossiers", json=body, headers=auth)
    changed = await client.post("/api/v1/dossiers", json={**body, "note": "khác"}, headers=auth)
    other_commune = await client.post("/api/v1/dossiers", json=body, headers=staff["clerk.b"].auth)

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json() == first.json()
    assert_problem(changed, 409, "dossier_conflict")
    assert_problem(other_commune, 409, "dossier_conflict")
    inbox = (await client.get("/api/v1/dossiers", headers=auth)).json()
    assert inbox["total"] == 1


@pytest.mark.parametrize(
    ("overrides", "status", "code"),
    [
        ({"consent": False}, 422, "consent_required"),
        ({"procedure_code": "1.999999"}, 422, "unknown_procedure"),
        ({"documents": [{"key": "giay_la", "sha256": SHA}]}, 422, "unknown_document"),
        ({"applicant": {**APPLICANT, "id_number": "12345"}}, 422, "validation_failed"),
        ({"documents": [{"key": "to_khai", "sha256": "../etc/passwd"}]}, 422, "validation_failed"),
        ({"delivery": {"method": "post"}}, 422, "validation_failed"),
        ({"id": "not-a-ulid"}, 422, "validation_failed"),
    ],
)
async def test_create__bad_input_is_refused_and_stores_nothing(
    client: httpx.AsyncClient,
    staff: Staff,
    catalog: None,
    overrides: dict[str, Any],
    status: int,
    code: str,
) -> None:
    response = await client.post(
        "/api/v1/dossiers", json=dossier_body(**overrides), headers=staff["clerk.a"].auth
    )

    assert_problem(response, status, code)
    assert (await client.get("/api/v1/dossiers", headers=staff["clerk.a"].auth)).json()[
        "total"
    ] == 0


# --- receipt, codes, deadlines ------------------------------------------------------------------


async def test_receive__gives_code_due_date_and_tracking_token(
    client: httpx.AsyncClient, staff: Staff, catalog: None
) -> None:
    dossier = await submit(staff)

    received = await ok(client, staff, dossier["id"], "receive")

    # Monday 2 March 2026 + 3 working days, counted from the day after receipt.
    assert received["code"] == "TEST.07192-260302-0001"
    assert received["due_date"] == "2026-03-05"
    assert received["original_due_date"] == "2026-03-05"
    assert received["status"]["label"] == "Được tiếp nhận"
    assert len(received["tracking_token"]) >= 32
    second = await ok(client, staff, (await submit(staff))["id"], "receive")
    assert second["code"] == "TEST.07192-260302-0002"


async def test_receive__without_published_processing_time_needs_the_clerks_figure(
    client: httpx.AsyncClient, staff: Staff, catalog: None
) -> None:
    dossier = await submit(staff, procedure_code="1.003583")

    refused = await act(client, staff, dossier["id"], "receive")
    accepted = await ok(client, staff, dossier["id"], "receive", {"processing_days": 0})

    assert_problem(refused, 422, "processing_time_unknown")
    assert accepted["due_date"] == "2026-03-02"
    assert accepted["processing_days"] == 0


async def test_receive__the_catalogs_processing_time_cannot_be_changed_at_the_counter(
    client: httpx.AsyncClient, staff: Staff, catalog: None
) -> None:
    dossier = await submit(staff)

    longer = await act(client, staff, dossier["id"], "receive", {"processing_days": 30})
    received = await ok(client, staff, dossier["id"], "receive")

    body = assert_problem(longer, 422, "validation_failed")
    assert "3 ngày làm việc" in body["detail"]
    assert received["due_date"] == "2026-03-05"
    assert received["processing_days"] == 3


@pytest.mark.parametrize(
    ("cutoff", "hour", "due"),
    [
        (None, "14:59", "2026-03-06"),  # Friday before 15:00: that Friday
        (None, "16:30", "2026-03-09"),  # Friday after 15:00: Monday
        ("11:00:00", "11:30", "2026-03-09"),  # the catalog's own cut-off
        ("11:00:00", "10:00", "2026-03-06"),
    ],
)
async def test_receive__a_same_day_procedure_after_its_cut_off_is_due_the_next_working_day(
    client: httpx.AsyncClient,
    staff: Staff,
    catalog: None,
    clock: FrozenClock,
    cutoff: str | None,
    hour: str,
    due: str,
) -> None:
    body = {
        "code": "2.000815",
        "name": "Chứng thực bản sao từ bản chính",
        "processing_days": 0,
        "same_day_cutoff": cutoff,
        "documents": [{"key": "to_khai", "name": "Bản chính", "kind": "original"}],
    }
    await staff.post_created("/api/v1/procedures", body)
    dossier = await submit(staff, procedure_code="2.000815")
    h, m = (int(x) for x in hour.split(":"))
    clock.advance(timedelta(days=4, hours=h - 9, minutes=m))  # Friday 6 March, Vietnam time

    received = await ok(client, staff, dossier["id"], "receive")

    assert received["due_date"] == due


async def test_receive__commune_without_agency_code_cannot_give_codes(
    client: httpx.AsyncClient, staff: Staff, catalog: None, services: Services
) -> None:
    from backend.communes.tables import Commune

    await Commune.update({Commune.agency_code: None}).where(Commune.code == "07192")
    dossier = await submit(staff)

    assert_problem(await act(client, staff, dossier["id"], "receive"), 409, "agency_code_missing")


async def test_pause__fee_wait_moves_the_due_date_by_the_waited_working_days(
    client: httpx.AsyncClient, staff: Staff, catalog: None, clock: FrozenClock
) -> None:
    dossier = await walk(client, staff, [Action.receive, Action.request_fee])
    assert dossier["due_date"] == "2026-03-05"

    clock.advance(timedelta(days=7))  # Monday 9 March: 5 working days waited (3-6, 9 March)
    paid = await ok(client, staff, dossier["id"], "record-payment", {"receipt_number": "1"})

    assert paid["status"]["code"] == Status.processing
    assert paid["paused_working_days"] == 5
    assert paid["due_date"] == "2026-03-12"
    assert paid["fee_vnd"] == 8000


@pytest.mark.parametrize(
    "before", [[], [Action.receive], [Action.receive, Action.start_processing]]
)
async def test_supplement__returns_to_the_status_it_was_asked_from_with_code_and_moved_date(
    client: httpx.AsyncClient,
    staff: Staff,
    catalog: None,
    clock: FrozenClock,
    before: list[Action],
) -> None:
    asked = await walk(client, staff, before)
    waiting = await ok(
        client, staff, asked["id"], "request-supplement", BODIES[Action.request_supplement]
    )
    clock.advance(timedelta(days=1))  # Tuesday 3 March: one working day waited

    arrived = await ok(
        client, staff, asked["id"], "supplement-arrived", BODIES[Action.supplement_arrived]
    )

    assert waiting["status"]["code"] == Status.supplement_requested
    assert arrived["status"] == asked["status"], "back where it was, not to “Mới đăng ký”"
    assert arrived["code"] == asked["code"]
    assert [d["sha256"][0] for d in arrived["documents"]] == ["a", "b"]
    if asked["code"] is not None:
        assert arrived["due_date"] == "2026-03-06", "the waited working day moves the date"
        token = arrived["tracking_token"]
        tracked = await client.get(f"/api/v1/track/{arrived['code']}?t={token}")
        assert tracked.json()["status"] == asked["status"]
        receipt = await act(client, staff, asked["id"], "receive")  # no second receipt
        assert_problem(receipt, 409, "illegal_transition")


async def test_supplement__a_second_request_needs_a_reason_and_records_its_round(
    client: httpx.AsyncClient, staff: Staff, catalog: None
) -> None:
    dossier = await walk(
        client, staff, [Action.receive, Action.request_supplement, Action.supplement_arrived]
    )

    bare = await act(
        client, staff, dossier["id"], "request-supplement", BODIES[Action.request_supplement]
    )
    reasoned = await ok(
        client,
        staff,
        dossier["id"],
        "request-supplement",
        {**BODIES[Action.request_supplement], "reason": "Giấy mới nộp sai họ tên"},
    )
    events = (
        await client.get(f"/api/v1/dossiers/{dossier['id']}/events", headers=staff["clerk.a"].auth)
    ).json()

    assert_problem(bare, 422, "validation_failed")
    assert "lý do" in bare.json()["detail"]
    assert reasoned["status"]["code"] == Status.supplement_requested
    rounds = [e["payload"].get("supplement_round") for e in events]
    assert [r for r in rounds if r] == [1, 2]
    assert events[-1]["payload"]["reason"] == "Giấy mới nộp sai họ tên"


async def test_stop__a_supplement_or_fee_that_never_comes_ends_the_wait_without_lateness(
    client: httpx.AsyncClient, staff: Staff, catalog: None, clock: FrozenClock
) -> None:
    waiting = await walk(client, staff, [Action.receive, Action.request_supplement])
    unpaid = await walk(client, staff, [Action.receive, Action.request_fee])
    clock.advance(timedelta(days=30))  # long past the first due date, all of it waiting

    stopped = await ok(client, staff, waiting["id"], "stop", BODIES[Action.stop])
    gave_up = await ok(client, staff, unpaid["id"], "stop", BODIES[Action.stop])

    for before, after in ((waiting, stopped), (unpaid, gave_up)):
        assert after["status"]["code"] == Status.stopped
        assert after["due_date"] > before["due_date"], "the waited days moved the due date"
        assert after["timeliness"] != "late", "the citizen's wait is not the office's delay"


@pytest.mark.parametrize(
    "path", [[], [Action.request_supplement], [Action.receive, Action.request_fee]]
)
async def test_withdraw__the_citizen_may_withdraw_before_receipt_and_while_the_office_waits(
    client: httpx.AsyncClient, staff: Staff, catalog: None, path: list[Action]
) -> None:
    dossier = await walk(client, staff, path)

    withdrawn = await ok(client, staff, dossier["id"], "withdraw", BODIES[Action.withdraw])

    assert withdrawn["status"]["code"] == Status.withdrawn
    events = (
        await client.get(f"/api/v1/dossiers/{dossier['id']}/events", headers=staff["clerk.a"].auth)
    ).json()
    assert events[-1]["payload"]["reason"] == BODIES[Action.withdraw]["reason"]


async def test_return__by_post_needs_the_number_and_an_address_and_shows_them(
    client: httpx.AsyncClient, staff: Staff, catalog: None
) -> None:
    dossier = await walk(client, staff, PATHS[Status.resolved])
    url = f"/api/v1/dossiers/{dossier['id']}"

    unnumbered = await act(client, staff, dossier["id"], "return", {"channel": "post"})
    nowhere = await act(
        client, staff, dossier["id"], "return", {"channel": "post", "postal_tracking": "EB1"}
    )
    still = (await client.get(url, headers=staff["clerk.a"].auth)).json()
    sent = await ok(
        client,
        staff,
        dossier["id"],
        "return",
        {"channel": "post", "postal_tracking": "EB1234VN", "address": "Số 5, thôn Nam, Cô Tô"},
    )
    events = (await client.get(f"{url}/events", headers=staff["clerk.a"].auth)).json()
    tracked = (await client.get(f"/api/v1/track/{sent['code']}?t={sent['tracking_token']}")).json()
    viewer_events = (await client.get(f"{url}/events", headers=staff["viewer.a"].auth)).json()

    assert "bưu gửi" in assert_problem(unnumbered, 422, "validation_failed")["detail"]
    assert "địa chỉ" in assert_problem(nowhere, 422, "validation_failed")["detail"]
    assert still == dossier
    assert sent["status"]["code"] == Status.returned
    assert sent["delivery"] == {"method": "post", "address": "Số 5, thôn Nam, Cô Tô"}
    assert events[-1]["payload"]["postal_tracking"] == "EB1234VN"
    assert events[-1]["payload"]["address"] == "Số 5, thôn Nam, Cô Tô"
    assert tracked["postal_tracking"] == "EB1234VN"
    assert "thôn Nam" not in str(tracked), "the public page never shows the address"
    assert viewer_events[-1]["payload"].get("address", "") == ""


async def test_return__by_post_uses_the_address_the_citizen_chose(
    client: httpx.AsyncClient, staff: Staff, catalog: None
) -> None:
    dossier = await submit(staff, delivery={"method": "post", "address": "Thôn Bắc Vàn, Cô Tô"})
    for action in PATHS[Status.resolved]:
        dossier = await ok(client, staff, dossier["id"], action.value, BODIES[action])

    sent = await ok(
        client, staff, dossier["id"], "return", {"channel": "post", "postal_tracking": "EB9VN"}
    )

    assert sent["delivery"] == {"method": "post", "address": "Thôn Bắc Vàn, Cô Tô"}


@pytest.mark.parametrize(("days_later", "timeliness"), [(2, "early"), (3, "on_time"), (4, "late")])
async def test_resolve__timeliness_against_the_due_date(
    client: httpx.AsyncClient,
    staff: Staff,
    catalog: None,
    clock: FrozenClock,
    days_later: int,
    timeliness: str,
) -> None:
    dossier = await walk(client, staff, [Action.receive, Action.start_processing])
    clock.advance(timedelta(days=days_later))

    resolved = await ok(client, staff, dossier["id"], "resolve", BODIES[Action.resolve])
    returned = await ok(client, staff, dossier["id"], "return", {"channel": "counter"})

    assert resolved["timeliness"] == timeliness
    assert returned["finished_at"] == resolved["finished_at"], "the first finish counts"


async def test_extend__promises_a_later_date_but_a_late_dossier_stays_late(
    client: httpx.AsyncClient, staff: Staff, catalog: None, clock: FrozenClock
) -> None:
    dossier = await walk(client, staff, [Action.receive, Action.start_processing])
    backwards = await act(
        client, staff, dossier["id"], "extend", {"new_due_date": "2026-03-04", "reason": "x"}
    )
    clock.advance(timedelta(days=8))  # Tuesday 10 March: past the due date of 5 March
    extended = await ok(client, staff, dossier["id"], "extend", BODIES[Action.extend])
    again = await ok(
        client, staff, dossier["id"], "extend", {"new_due_date": "2026-03-24", "reason": "y"}
    )
    clock.advance(timedelta(days=2))  # 12 March: early for the promised date, late for the law

    resolved = await ok(client, staff, dossier["id"], "resolve", BODIES[Action.resolve])
    tracked = await client.get(f"/api/v1/track/{dossier['code']}?t={dossier['tracking_token']}")

    assert_problem(backwards, 422, "validation_failed")
    assert extended["extended_due_date"] == "2026-03-20"
    assert again["extended_due_date"] == "2026-03-24", "an apology may be renewed"
    assert extended["due_date"] == extended["original_due_date"] == "2026-03-05"
    assert extended["standing"] == "overdue"
    assert resolved["timeliness"] == "late"
    assert tracked.json()["extended_due_date"] == "2026-03-24"
    assert tracked.json()["timeliness"] == "Quá hạn"


async def test_extend__a_pause_after_the_apology_moves_both_dates(
    client: httpx.AsyncClient, staff: Staff, catalog: None, clock: FrozenClock
) -> None:
    dossier = await walk(client, staff, [Action.receive, Action.start_processing, Action.extend])
    await ok(client, staff, dossier["id"], "request-fee", BODIES[Action.request_fee])
    clock.advance(timedelta(days=1))  # one working day waited

    paid = await ok(client, staff, dossier["id"], "record-payment", BODIES[Action.record_payment])

    assert paid["due_date"] == "2026-03-06"
    assert paid["extended_due_date"] == "2026-03-23"


async def test_refuse__at_intake_is_not_a_finished_dossier(
    client: httpx.AsyncClient, staff: Staff, catalog: None
) -> None:
    refused = await walk(client, staff, [Action.refuse])

    assert refused["status"]["label"] == "Không được tiếp nhận"
    assert refused["finished_at"] is None
    assert refused["timeliness"] is None


@pytest.mark.parametrize("status", list(Status))
async def test_every_path__reaches_each_status_and_records_each_step(
    client: httpx.AsyncClient, staff: Staff, catalog: None, status: Status
) -> None:
    dossier = await walk(client, staff, PATHS[status])

    assert dossier["status"]["code"] == status
    events = (
        await client.get(f"/api/v1/dossiers/{dossier['id']}/events", headers=staff["clerk.a"].auth)
    ).json()
    assert [e["action"] for e in events] == ["submit", *[a.value for a in PATHS[status]]]
    assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)
    assert [e["to_status"]["code"] for e in events][-1] == status


@pytest.mark.parametrize("status", list(Status))
async def test_illegal_transitions__are_409_and_change_nothing(
    client: httpx.AsyncClient, staff: Staff, catalog: None, status: Status
) -> None:
    dossier = await walk(client, staff, PATHS[status])
    url = f"/api/v1/dossiers/{dossier['id']}"

    for action in sorted(set(Action) - ALLOWED[status]):
        response = await act(client, staff, dossier["id"], action.value, BODIES[action])
        problem = assert_problem(response, 409, "illegal_transition")
        assert status.label in problem["detail"]

    after = (await client.get(url, headers=staff["clerk.a"].auth)).json()
    events = (await client.get(f"{url}/events", headers=staff["clerk.a"].auth)).json()
    assert after == dossier
    assert len(events) == 1 + len(PATHS[status])


async def test_actions__stale_version_is_409(
    client: httpx.AsyncClient, staff: Staff, catalog: None
) -> None:
    dossier = await submit(staff)

    response = await act(client, staff, dossier["id"], "receive", {"version": 99})

    assert_problem(response, 409, "stale_version")


async def test_actions__viewer_cannot_act_and_other_commune_cannot_see(
    client: httpx.AsyncClient, staff: Staff, catalog: None
) -> None:
    dossier = await submit(staff)
    url = f"/api/v1/dossiers/{dossier['id']}"

    viewer = await client.post(f"{url}/receive", json={}, headers=staff["viewer.a"].auth)
    other = await client.post(f"{url}/receive", json={}, headers=staff["clerk.b"].auth)
    read = await client.get(url, headers=staff["admin.b"].auth)

    assert_problem(viewer, 403, "forbidden")
    assert_problem(other, 404, "not_found")
    assert_problem(read, 404, "not_found")
    assert "Trần" not in read.text


# --- inbox -------------------------------------------------------------------------------------


async def test_inbox__filters_search_without_diacritics_overdue_and_pages(
    client: httpx.AsyncClient, staff: Staff, catalog: None, clock: FrozenClock
) -> None:
    auth = staff["clerk.a"].auth
    dat = await walk(client, staff, [Action.receive])
    other = await submit(staff, applicant={**APPLICANT, "full_name": "Lê Thị Hoa"})
    clock.advance(timedelta(days=4))  # Friday 6 March: Đạt's dossier (due 5 March) is overdue

    async def ids(query: str) -> list[str]:
        page = (await client.get(f"/api/v1/dossiers?{query}", headers=auth)).json()
        return [d["id"] for d in page["items"]]

    assert await ids("q=tran huu dat") == [dat["id"]]
    assert await ids("q=TEST.07192-260302") == [dat["id"]]
    assert await ids("status=1") == [other["id"]]
    assert await ids("overdue=true") == [dat["id"]]
    assert await ids("channel=field_team") == []
    assert await ids("limit=1") == [other["id"]]
    assert await ids("limit=1&offset=1") == [dat["id"]]
    page = (await client.get("/api/v1/dossiers?limit=1", headers=auth)).json()
    assert page["total"] == 2
    assert_problem(
        await client.get("/api/v1/dossiers?limit=0", headers=auth), 422, "validation_failed"
    )
    assert (await client.get("/api/v1/dossiers", headers=staff["clerk.b"].auth)).json()[
        "total"
    ] == 0


# --- concurrency -------------------------------------------------------------------------------


async def test_receive__50_concurrent_receipts_get_codes_0001_to_0050(
    client: httpx.AsyncClient, staff: Staff, catalog: None, services: Services
) -> None:
    actor = Actor("user", "0", "test")
    created = [
        await services.lifecycle.create(
            "07192",
            wire.DossierCreate(
                procedure_code=MARRIAGE_STATUS,
                applicant=wire.Applicant(full_name=f"Người {i}", id_number="022095001234"),
                consent=True,
            ),
            actor,
        )
        for i in range(50)
    ]

    results = await asyncio.gather(
        *(
            services.lifecycle.act("07192", d.id, Action.receive, wire.Receive(), actor)
            for d, _ in created
        )
    )

    codes = sorted(r.code or "" for r in results)
    assert codes == [f"TEST.07192-260302-{n:04d}" for n in range(1, 51)]
