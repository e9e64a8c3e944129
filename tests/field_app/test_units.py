"""The field app's own unit tests (``node --test``), fed the server's rules.

They check the app's CCCD reader against ``tests/media/cccd_cases.json`` (the cases
``media.parse_cccd`` passes), reading the rules the bootstrap serves, and its text helpers.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import msgspec

from backend.field_app.controllers import DIST
from schemas.cccd import CCCD_RULES

FRONTEND = DIST.parent


def test_field_app__unit_tests_pass_with_the_servers_rules(tmp_path: Path) -> None:
    node = shutil.which("node")
    assert node is not None, "Node.js is needed (make test installs it)"
    rules = tmp_path / "cccd_rules.json"
    rules.write_bytes(msgspec.json.encode(CCCD_RULES))

    result = subprocess.run(
        [node, "--test", "test/"],
        cwd=FRONTEND,
        env={**os.environ, "CCCD_RULES_FILE": str(rules)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "# fail 0" in result.stdout
    assert "# pass 0" not in result.stdout
