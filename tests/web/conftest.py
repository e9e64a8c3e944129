"""A commune with the test procedure and one roaming team, for browser tests with a field device."""

from __future__ import annotations

from typing import Any

import pytest

from tests.backend.sync.conftest import device
from tests.field_sync.test_end_to_end import PROCEDURE
from tests.helpers import Browser, Staff


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


__all__ = ["device", "open_browser", "team_id"]
