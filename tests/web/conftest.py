"""A commune with the test procedure and one roaming team, for browser tests with a field device."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from litestar import Litestar

from tests.backend.sync.conftest import device
from tests.field_sync.test_end_to_end import PROCEDURE
from tests.helpers import Browser, Staff


@pytest.fixture
async def new_client(app: Litestar, client: httpx.AsyncClient) -> AsyncIterator[Any]:
    """Clients with their own cookie jars, on the app ``client`` already opened."""
    clients: list[httpx.AsyncClient] = []

    def make() -> httpx.AsyncClient:
        clients.append(
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://testserver.local"
            )
        )
        return clients[-1]

    yield make
    for opened in clients:
        await opened.aclose()


@pytest.fixture
async def open_browser(new_client: Any) -> Any:
    async def opener(username: str) -> Browser:
        browser = Browser(new_client())
        response = await browser.log_in(username)
        assert response.status_code == 303, response.text
        return browser

    return opener


@pytest.fixture
async def team_id(staff: Staff) -> int:
    """The id of a roaming team of commune A, whose catalog has the test procedure."""
    await staff.post_created("/api/v1/procedures", PROCEDURE)
    team = await staff.post_created("/api/v1/teams", {"kind": "roaming", "name": "Tổ lưu động 1"})
    return int(team["id"])


__all__ = ["device", "new_client", "open_browser", "team_id"]
