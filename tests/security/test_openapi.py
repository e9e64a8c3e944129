"""The served OpenAPI tells the truth: Schemathesis against a real server process, and the
document's own shape (hand-named operations, every error described, no body on a 204)."""

from __future__ import annotations

import asyncio
import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from backend.openapi import OPERATIONS
from backend.settings import Settings
from schemas.errors import CATALOGUE
from tests.backend.sync.conftest import PROCEDURE, enrol
from tests.helpers import Staff, serve, server_env

pytestmark = pytest.mark.attack

EXAMPLES = int(os.environ.get("LUUDONG_FUZZ_EXAMPLES", "25"))
"""Generated requests per operation: 25 in CI (1,650 per engine); more for a longer hunt."""

LAST = [
    "PATCH /api/v1/teams/{team_id}",  # may retire the device's team
    "DELETE /api/v1/teams/{team_id}",
    "POST /api/v1/devices/{device_id}/revoke",
    "PATCH /api/v1/users/{user_id}",
    "POST /api/v1/auth/tokens/{token_id}/revoke",
    "POST /api/v1/auth/logout",
]
"""Operations that may end the credentials the others use (the device's team, the admin's
token), run after all the others."""

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


async def test_schemathesis__no_server_error_and_every_answer_as_documented(
    settings: Settings, client: httpx.AsyncClient, staff: Staff, tmp_path: Path
) -> None:
    await staff.post_created("/api/v1/procedures", PROCEDURE)
    team = await staff.post_created("/api/v1/teams", {"kind": "roaming", "name": "Tổ 1"})
    device = await enrol(client, staff, team["id"])
    staff_auth, device_auth = staff["admin.a"].auth, device.auth
    failures: list[str] = []
    sent = 0
    accepted: Counter[str] = Counter()
    with serve(server_env(settings), tmp_path) as base:
        schema = schemathesis.openapi.from_url(f"{base}/schema/openapi.json")
        operations = sorted(
            (result.ok() for result in schema.get_all_operations()),
            key=lambda op: LAST.index(op.label) if op.label in LAST else -1,
        )
        for operation in operations:
            path = operation.path
            by_device = path.startswith(("/api/v1/sync", "/api/v1/uploads"))
            auth = device_auth if by_device else staff_auth

            try:
                sent += await asyncio.to_thread(_fuzz, operation, base, auth, accepted)
            except (Exception, BaseExceptionGroup) as failure:  # every operation's is listed
                failures.append(f"{operation.method.upper()} {path}: {_summary(failure)}")

    assert failures == []
    assert sent >= 1000
    # Deep enough: every read that needs no existing id took some generated request (the
    # others mostly meet ids that do not exist, which is what they should answer with 404).
    reads = [label for label in accepted if label.startswith("GET ") and "{" not in label]
    assert len(reads) >= 15
    assert [label for label in reads if not accepted[label]] == []


def _summary(failure: BaseException) -> str:
    """What Schemathesis found, without the traceback and the reproduction."""
    lines = [line.strip() for line in str(failure).splitlines()]
    kept = [
        line for line in lines if line.startswith(("- ", "Received", "Documented", "`", "curl"))
    ]
    return " | ".join(kept[:12]) or type(failure).__name__ + ": " + lines[0][:300]


def _fuzz(operation: Any, base: str, auth: dict[str, str], statuses: Counter[str]) -> int:
    """Send the operation's generated cases (derandomized: the same ones every run)."""
    sent = 0

    @hypothesis.settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis.given(case=operation.as_strategy())
    def check(case: Any) -> None:
        nonlocal sent
        sent += 1
        statuses[operation.label] += 0
        answer = case.call_and_validate(base_url=base, headers=auth, checks=CHECKS, timeout=30)
        if answer.status_code < 300:
            statuses[operation.label] += 1

    check()
    return sent


def test_openapi__every_operation_named_by_hand_and_every_error_described(
    settings: Settings,
) -> None:
    from backend.app import create_app

    app = create_app(settings)
    document = app.openapi_schema.to_schema()
    operations = [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete", "head", "options"}
    ]
    named = {OPERATIONS[m, p][0] for m, p, _ in operations}

    assert len(operations) == len(OPERATIONS)
    assert {op["operationId"] for _, _, op in operations} == named
    for method, path, operation in operations:
        for status, answer in operation["responses"].items():
            if int(status) >= 400 and method != "HEAD":
                schema = answer["content"]["application/problem+json"]["schema"]
                codes = schema["allOf"][1]["properties"]["code"]["enum"]
                assert codes, (method, path, status)
                assert all(CATALOGUE[c].status == int(status) for c in codes), (path, status)
                assert all(f"`{c}`" in answer["description"] for c in codes)
            if status == "204" or method == "HEAD":
                assert "content" not in answer, (method, path, status)
        assert "422" in operation["responses"], (method, path)  # paths and queries are checked
    uploads = document["paths"]["/api/v1/uploads"]["post"]
    assert {p["name"] for p in uploads["parameters"]} >= {
        "Tus-Resumable", "Upload-Length", "Upload-Metadata"
    }  # fmt: skip
    assert "Location" in uploads["responses"]["201"]["headers"]
    assert json.dumps(document, ensure_ascii=False)
