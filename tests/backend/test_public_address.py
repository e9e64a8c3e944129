"""Absolute addresses come from ``PUBLIC_URL``, never from the Host header a request used: behind
a proxy, or on the server PC itself, that address is one no phone can open."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from backend.settings import Settings, SettingsError
from tests.helpers import SECRET, Staff, assert_problem

PUBLIC = "https://motcua.coto.example.vn"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The suite's settings, with the public address the tests expect."""
    return replace(settings, public_url=PUBLIC)


@pytest.mark.parametrize(
    "raw",
    ["motcua.example.vn", "ftp://motcua.example.vn", "https://", "https://x.vn/luudong",
     "https://x.vn/?a=1", "https://u:p@x.vn", "http://x.vn:99999"],
)  # fmt: skip
def test_public_url__anything_but_a_root_http_address_is_refused(raw: str) -> None:
    with pytest.raises(SettingsError, match="PUBLIC_URL"):
        Settings.from_env({"PUBLIC_URL": raw, "SECRET_KEY": SECRET})


def test_public_url__is_kept_without_its_trailing_slash() -> None:
    got = Settings.from_env({"PUBLIC_URL": "https://MotCua.example.vn:8443/", "SECRET_KEY": SECRET})
    assert got.public_url == "https://MotCua.example.vn:8443"


async def test_enrolment_code__names_the_public_address_not_the_one_the_admin_used(
    client: httpx.AsyncClient, staff: Staff
) -> None:
    team = await staff.post_created("/api/v1/teams", {"kind": "roaming", "name": "Tổ 1"})

    issued = await client.post(
        f"/api/v1/teams/{team['id']}/enrolment-codes",
        headers={**staff["admin.a"].auth, "Host": "127.0.0.1:8000"},
    )

    assert issued.status_code == 201
    assert json.loads(issued.json()["qr_payload"])["server"] == PUBLIC


async def test_ready__is_503_while_the_media_folder_cannot_take_files(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    assert (await client.get("/ready")).json()["media"] == "writable"
    folder = Path(settings.media_root, "uploads")
    await asyncio.to_thread(folder.rmdir)
    await asyncio.to_thread(folder.write_text, "a file where the folder should be")

    assert_problem(await client.get("/ready"), 503, "not_ready")
