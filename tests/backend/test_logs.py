"""The server's logs as an operator's collector reads them (``LOG_FORMAT=json``): one JSON
object per line, the access line of each request carrying the id its answer gave the client,
and no password, token, tracking code or applicant detail anywhere in them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from backend.settings import Settings
from tests.helpers import PASSWORD, ServerProcess, Staff, server_env

pytestmark = [pytest.mark.slow, pytest.mark.db]

NAME, ID_NUMBER = "Phạm Thị Xuân Mai", "031195004321"


async def test_json_logs__carry_request_ids_and_never_personal_data_or_secrets(
    staff: Staff, settings: Settings, tmp_path: Path
) -> None:
    await staff.post_created(
        "/api/v1/procedures",
        {"code": "2.000815", "name": "Chứng thực bản sao", "processing_days": 0, "documents": []},
    )
    clerk = staff["clerk.a"].auth
    server = ServerProcess({**server_env(settings), "LOG_FORMAT": "json"}, tmp_path)
    server.start()
    try:
        async with httpx.AsyncClient(base_url=server.base, timeout=15) as live:
            answers: list[httpx.Response] = []
            answers.append(
                await live.post(
                    "/api/v1/auth/login", json={"username": "clerk.a", "password": PASSWORD}
                )
            )
            answers.append(
                created := await live.post(
                    "/api/v1/dossiers",
                    headers=clerk,
                    json={
                        "procedure_code": "2.000815",
                        "applicant": {"full_name": NAME, "id_number": ID_NUMBER},
                        "consent": True,
                    },
                )
            )
            dossier: dict[str, Any] = created.json()
            answers.append(
                received := await live.post(
                    f"/api/v1/dossiers/{dossier['id']}/receive", json={}, headers=clerk
                )
            )
            code, token = received.json()["code"], received.json()["tracking_token"]
            answers.append(await live.get(f"/api/v1/track/{code}", params={"t": token}))
            answers.append(await live.get(f"/tra-cuu/{code}", params={"t": token}))
            answers.append(await live.get("/api/v1/dossiers", params={"q": NAME}, headers=clerk))
            answers.append(await live.get("/api/v1/dossiers/khong-co", headers=clerk))
    finally:
        server.stop()
    log = (tmp_path / "server.log").read_text()
    entries = [json.loads(line) for line in log.splitlines() if line.startswith("{")]

    assert [a.status_code for a in answers] == [201, 201, 200, 200, 200, 200, 404]
    access = {e["request_id"]: e for e in entries if e["logger"] == "luudong.access"}
    for answer in answers:
        line = access[answer.headers["x-request-id"]]
        assert line["status"] == answer.status_code
        assert line["method"] == answer.request.method
        assert line["path"] == answer.request.url.path, "the path only, never the query"
    assert {e["level"] for e in entries} <= {"debug", "info", "warning", "error"}
    secrets = [PASSWORD, NAME, ID_NUMBER, token, clerk["Authorization"].split()[1]]
    secrets += [answers[0].cookies[name] for name in answers[0].cookies]
    for secret in secrets:
        assert secret not in log, f"{secret[:6]}… is in the server's log"
