"""What every answer carries: a request id; on pages, framing and content policies; an access
log without query strings."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from backend.edge import PAGE_POLICY
from tests.helpers import Staff


async def test_pages__deny_framing_and_admit_only_this_servers_scripts_and_styles(
    open_browser: Any, client: httpx.AsyncClient, staff: Staff
) -> None:
    clerk = await open_browser("clerk.a")

    inbox = await clerk.get("/ho-so")
    login = await client.get("/dang-nhap")
    missing = await clerk.get("/ho-so/00000000000000000000000000")

    for answer in (inbox, login, missing):
        assert answer.headers["content-security-policy"] == PAGE_POLICY
        assert answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "same-origin"
    assert "'unsafe-inline'" not in PAGE_POLICY
    assert "frame-ancestors 'none'" in PAGE_POLICY
    assert missing.status_code == 404


async def test_api__carries_a_request_id_and_no_page_policy(
    client: httpx.AsyncClient, staff: Staff
) -> None:
    first = await client.get("/api/v1/auth/me", headers=staff["clerk.a"].auth)
    second = await client.get("/api/v1/dossiers/%00", headers=staff["clerk.a"].auth)

    assert first.headers["x-request-id"] != second.headers["x-request-id"]
    assert len(first.headers["x-request-id"]) == 16
    assert "content-security-policy" not in first.headers
    assert second.status_code == 422


async def test_access_log__has_the_path_and_the_request_id_never_the_query(
    client: httpx.AsyncClient, staff: Staff, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="luudong.access"):
        answer = await client.get(
            "/api/v1/dossiers?q=Tr%E1%BA%A7n+022095001234", headers=staff["clerk.a"].auth
        )
        await client.get("/api/v1/track/X-1?t=secret-token-value")

    records = [r for r in caplog.records if r.name == "luudong.access"]
    lines = [r.getMessage() for r in records]
    assert any(getattr(r, "request_id", None) == answer.headers["x-request-id"]
               and "/api/v1/dossiers 200" in r.getMessage() for r in records)  # fmt: skip
    assert not any("022095001234" in line or "secret-token" in line or "?" in line
                   for line in lines)  # fmt: skip
