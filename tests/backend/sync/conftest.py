"""A commune with a procedure, a roaming team and an enrolled device, ready to push."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from ulid import ULID

from tests.helpers import Staff
from tests.media.imagery import document_photo

PROCEDURE = {
    "code": "1.004873",
    "name": "Cấp Giấy xác nhận tình trạng hôn nhân",
    "processing_days": 3,
    "documents": [
        {"key": "to_khai", "name": "Tờ khai", "kind": "original"},
        {"key": "cccd", "name": "Căn cước", "kind": "copy", "required": False},
    ],
}
APPLICANT = {"full_name": "Trần Hữu Đạt", "id_number": "022095001234"}


@dataclass
class Device:
    """An enrolled device and the client that talks as it."""

    id: str
    token: str
    team_id: int

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def tus(self) -> dict[str, str]:
        return {**self.auth, "Tus-Resumable": "1.0.0"}


async def enrol(
    client: httpx.AsyncClient, staff: Staff, team_id: int, as_: str = "admin.a"
) -> Device:
    code = await client.post(f"/api/v1/teams/{team_id}/enrolment-codes", headers=staff[as_].auth)
    enrolled = await client.post("/api/v1/devices/enroll", json={"code": code.json()["code"]})
    body = enrolled.json()
    return Device(body["device_id"], body["token"], team_id)


@pytest.fixture
async def device(client: httpx.AsyncClient, staff: Staff) -> Device:
    await staff.post_created("/api/v1/procedures", PROCEDURE)
    team = await staff.post_created("/api/v1/teams", {"kind": "roaming", "name": "Tổ lưu động 1"})
    return await enrol(client, staff, team["id"])


def scan(seed: int) -> bytes:
    """A small normalised-looking scan (real JPEG)."""
    return document_photo(seed, size=(800, 600), quality=70)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def new_dossier(scans: list[bytes], **overrides: Any) -> dict[str, Any]:
    return {
        "type": "dossier",
        "id": str(ULID()),
        "procedure_code": PROCEDURE["code"],
        "applicant": APPLICANT,
        "consent": True,
        "documents": [
            {"key": "to_khai", "sha256": sha(s), "page": n + 1} for n, s in enumerate(scans)
        ],
        "captured_at": "2026-03-01T03:00:00Z",
        "capture_place": "Thôn Bắc Vàn",
        **overrides,
    }


def manifest(items: list[dict[str, Any]], scans: list[bytes]) -> dict[str, Any]:
    return {
        "batch_id": str(ULID()),
        "items": items,
        "blobs": [{"sha256": sha(s), "size": len(s), "media_type": "image/jpeg"} for s in scans],
    }


def metadata(data: bytes, media_type: str = "image/jpeg", digest: str | None = None) -> str:
    pairs = {"sha256": digest or sha(data), "media_type": media_type}
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in pairs.items())


async def upload(
    client: httpx.AsyncClient, device: Device, data: bytes, **kwargs: Any
) -> httpx.Response:
    """A whole blob in one tus creation and one PATCH."""
    created = await client.post(
        "/api/v1/uploads",
        headers={
            **device.tus,
            "Upload-Length": str(len(data)),
            "Upload-Metadata": metadata(data, **kwargs),
        },
    )
    assert created.status_code == 201, created.text
    return await client.patch(
        created.headers["location"],
        content=data,
        headers={
            **device.tus,
            "Upload-Offset": "0",
            "Content-Type": "application/offset+octet-stream",
        },
    )
