"""A commune with the test procedure and one roaming team, for the field app's browser tests."""

from __future__ import annotations

from tests.web.conftest import team_id

__all__ = ["team_id"]
