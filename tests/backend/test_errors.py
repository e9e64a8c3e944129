"""Every failure is problem+json with a code from the one catalogue."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from litestar import Litestar, get

import media
from backend.errors import exception_handlers
from schemas.errors import CATALOGUE, ErrorCode
from tests.helpers import Staff, assert_problem


def test_catalogue__every_code_has_an_http_status() -> None:
    assert set(CATALOGUE) == set(ErrorCode)
    assert all(400 <= spec.status < 600 for spec in CATALOGUE.values())


async def test_unknown_route__is_404_problem(client: httpx.AsyncClient, staff: Staff) -> None:
    response = await client.get("/api/v1/nothing-here", headers=staff["clerk.a"].auth)

    assert_problem(response, 404, "not_found")


async def test_wrong_method__is_405_problem(client: httpx.AsyncClient, staff: Staff) -> None:
    response = await client.put("/api/v1/teams", json={}, headers=staff["admin.a"].auth)

    assert_problem(response, 405, "method_not_allowed")


async def test_oversize_body__is_413_and_changes_nothing(
    client: httpx.AsyncClient, staff: Staff
) -> None:
    huge = {"kind": "roaming", "name": "x", "leader_name": "y" * 2_000_000}

    response = await client.post("/api/v1/teams", json=huge, headers=staff["admin.a"].auth)

    assert_problem(response, 413, "body_too_large")
    assert (await client.get("/api/v1/teams", headers=staff["admin.a"].auth)).json() == []


async def test_health_and_ready__answer_without_login(client: httpx.AsyncClient) -> None:
    health = await client.get("/health")
    ready = await client.get("/ready")

    assert health.json()["status"] == "ok"
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"


async def test_openapi__is_served_and_names_the_problem_codes(client: httpx.AsyncClient) -> None:
    response = await client.get("/schema/openapi.json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/procedures" in paths
    assert "/api/v1/auth/login" in paths


def test_docs__error_catalogue_page_lists_every_code() -> None:
    page = (Path(__file__).parents[2] / "docs" / "errors.md").read_text()

    missing = [
        code.value
        for code in ErrorCode
        if f"| `{code.value}` | {CATALOGUE[code].status} |" not in page
    ]
    assert missing == []


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (media.UnsupportedMediaTypeError, 415),
        (media.MediaTypeMismatchError, 422),
        (media.TooLargeError, 413),
        (media.TooManyPixelsError, 422),
        (media.CorruptImageError, 422),
        (media.ChecksumMismatchError, 422),
        (media.BlobNotFoundError, 404),
        (media.CccdError, 422),
    ],
)
async def test_media_errors__map_to_their_catalogue_code(
    error: type[media.MediaError], status: int
) -> None:
    @get("/boom", exclude_from_auth=True)
    async def boom() -> None:
        raise error("bad image")

    app = Litestar([boom], exception_handlers=exception_handlers())
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        response = await client.get("/boom")

    problem = assert_problem(response, status, error.code)
    assert problem["detail"] == "bad image"
