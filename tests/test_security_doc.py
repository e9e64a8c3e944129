"""``docs/security.md``'s role table is the code's role table."""

from __future__ import annotations

import re
from pathlib import Path

from backend.auth.roles import PERSONAL_DATA, ROLE_PERMISSIONS, Permission, permissions_of
from schemas.accounts import Role

DOC = Path(__file__).parents[1] / "docs" / "security.md"


def test_security_doc__role_table_matches_the_code() -> None:
    text = DOC.read_text(encoding="utf-8")
    table = text.split("<!-- role-table:start -->")[1].split("<!-- role-table:end -->")[0]
    rows = table.strip().splitlines()[2:]
    documented: dict[Permission, list[bool]] = {}
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        name = re.match(r"`(\w+)`", cells[0])
        assert name, row
        documented[Permission(name.group(1))] = [c == "yes" for c in cells[1:]]

    expected = {
        p: [
            p in ROLE_PERMISSIONS[Role.admin],
            p in ROLE_PERMISSIONS[Role.clerk],
            p in ROLE_PERMISSIONS[Role.viewer],
            p in permissions_of(Role.viewer, personal_data=True),
        ]
        for p in Permission
    }
    assert documented == expected
    assert permissions_of(Role.viewer, personal_data=True) >= PERSONAL_DATA
