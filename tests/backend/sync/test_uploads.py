"""tus 1.0 uploads: creation, resume by offset, checksums, termination, scoping."""

from __future__ import annotations

import base64
import hashlib
import os
import re
from dataclasses import replace
from datetime import timedelta

import httpx
import pytest

from backend.app import create_app
from backend.clock import FrozenClock
from backend.custody.tables import BlobCustody
from backend.settings import Settings
from backend.sync.tables import Upload
from tests.backend.sync.conftest import (
    Device,
    enrol,
    manifest,
    metadata,
    new_dossier,
    scan,
    sha,
    upload,
)
from tests.helpers import Staff, app_client, assert_problem

OFFSET_STREAM = {"Content-Type": "application/offset+octet-stream"}


async def create(client: httpx.AsyncClient, device: Device, data: bytes) -> str:
    response = await client.post(
        "/api/v1/uploads",
        headers={**device.tus, "Upload-Length": str(len(data)), "Upload-Metadata": metadata(data)},
    )
    assert response.status_code == 201, response.text
    assert response.headers["tus-resumable"] == "1.0.0"
    assert "upload-expires" in response.headers
    return response.headers["location"]


async def test_create__answers_a_relative_location_whatever_host_the_request_named(
    client: httpx.AsyncClient, device: Device
) -> None:
    data = scan(1)

    response = await client.post(
        "/api/v1/uploads",
        headers={
            **device.tus,
            "Host": "127.0.0.1",
            "Upload-Length": str(len(data)),
            "Upload-Metadata": metadata(data),
        },
    )

    # Behind a proxy the Host header names the proxy's own view (no port, maybe no TLS):
    # a relative Location is resolved by every tus client against the address it posted to.
    assert response.status_code == 201, response.text
    assert re.fullmatch(r"/api/v1/uploads/[\w-]+", response.headers["location"])


async def test_options__advertises_version_extensions_and_checksums(
    client: httpx.AsyncClient,
) -> None:
    response = await client.options("/api/v1/uploads")

    assert response.status_code == 204
    assert response.headers["tus-version"] == "1.0.0"
    assert set(response.headers["tus-extension"].split(",")) == {
        "creation",
        "creation-with-upload",
        "checksum",
        "expiration",
        "termination",
    }
    assert response.headers["tus-checksum-algorithm"] == "sha1,sha256"


async def test_upload__in_chunks_resumes_from_head_offset_and_lands_in_the_store(
    client: httpx.AsyncClient, device: Device, app: object
) -> None:
    data = scan(1)
    url = await create(client, device, data)
    cut = len(data) // 3

    first = await client.patch(
        url, content=data[:cut], headers={**device.tus, **OFFSET_STREAM, "Upload-Offset": "0"}
    )
    head = await client.head(url, headers=device.tus)
    rest = await client.patch(
        url,
        content=data[cut:],
        headers={**device.tus, **OFFSET_STREAM, "Upload-Offset": head.headers["upload-offset"]},
    )

    assert first.status_code == 204
    assert first.headers["upload-offset"] == str(cut)
    assert head.headers["upload-offset"] == str(cut)
    assert head.headers["cache-control"] == "no-store"
    assert rest.status_code == 204
    assert rest.headers["upload-offset"] == str(len(data))
    blobs = app.state.services.ctx.blobs  # type: ignore[attr-defined]
    assert await blobs.read(sha(data)) == data
    after = await client.head(url, headers=device.tus)
    assert after.headers["upload-offset"] == after.headers["upload-length"] == str(len(data))


async def test_patch__at_the_wrong_offset_is_409_and_keeps_the_upload(
    client: httpx.AsyncClient, device: Device
) -> None:
    data = scan(2)
    url = await create(client, device, data)

    response = await client.patch(
        url, content=data[100:], headers={**device.tus, **OFFSET_STREAM, "Upload-Offset": "100"}
    )

    assert_problem(response, 409, "upload_offset_mismatch")
    assert (await client.head(url, headers=device.tus)).headers["upload-offset"] == "0"


async def test_patch__checksum_of_the_body_is_checked_and_a_bad_chunk_is_dropped(
    client: httpx.AsyncClient, device: Device
) -> None:
    data = scan(3)
    url = await create(client, device, data)
    chunk = data[:5000]
    good = "sha1 " + base64.b64encode(hashlib.sha1(chunk).digest()).decode()  # noqa: S324 - tus names it
    bad = "sha256 " + base64.b64encode(hashlib.sha256(b"other").digest()).decode()

    rejected = await client.patch(
        url,
        content=chunk,
        headers={**device.tus, **OFFSET_STREAM, "Upload-Offset": "0", "Upload-Checksum": bad},
    )
    accepted = await client.patch(
        url,
        content=chunk,
        headers={**device.tus, **OFFSET_STREAM, "Upload-Offset": "0", "Upload-Checksum": good},
    )

    assert_problem(rejected, 460, "chunk_checksum_mismatch")
    assert accepted.status_code == 204
    assert accepted.headers["upload-offset"] == "5000"


async def test_complete__wrong_announced_sha256_discards_the_upload(
    client: httpx.AsyncClient, device: Device, app: object
) -> None:
    data = scan(4)

    response = await upload(client, device, data, digest=sha(b"something else"))

    assert_problem(response, 422, "checksum_mismatch")
    blobs = app.state.services.ctx.blobs  # type: ignore[attr-defined]
    assert not await blobs.exists(sha(data))
    assert not await blobs.exists(sha(b"something else"))


async def test_protocol_errors__version_type_length_and_media_type(
    client: httpx.AsyncClient, device: Device
) -> None:
    data = scan(5)
    url = await create(client, device, data)

    no_version = await client.patch(
        url, content=data, headers={**device.auth, **OFFSET_STREAM, "Upload-Offset": "0"}
    )
    wrong_type = await client.patch(
        url,
        content=data,
        headers={**device.tus, "Upload-Offset": "0", "Content-Type": "image/jpeg"},
    )
    too_long = await client.post(
        "/api/v1/uploads",
        headers={**device.tus, "Upload-Length": str(10**10), "Upload-Metadata": metadata(data)},
    )
    gif = await client.post(
        "/api/v1/uploads",
        headers={
            **device.tus,
            "Upload-Length": "10",
            "Upload-Metadata": metadata(data, media_type="image/gif"),
        },
    )

    superscript = await client.post(
        "/api/v1/uploads",
        headers={**device.tus, "Upload-Length": "²".encode(), "Upload-Metadata": metadata(data)},
    )
    odd_checksum = await client.patch(
        url,
        content=data,
        headers={
            **device.tus,
            **OFFSET_STREAM,
            "Upload-Offset": "0",
            "Upload-Checksum": "md5 AA==",
        },
    )

    assert_problem(no_version, 412, "tus_version_unsupported")
    assert no_version.headers["tus-version"] == "1.0.0"
    assert_problem(superscript, 422, "validation_failed")
    assert_problem(odd_checksum, 400, "checksum_algorithm_unsupported")
    assert_problem(wrong_type, 415, "unsupported_media_type")
    assert_problem(too_long, 413, "blob_too_large")
    assert_problem(gif, 415, "unsupported_media_type")


async def test_termination__deletes_the_upload(client: httpx.AsyncClient, device: Device) -> None:
    url = await create(client, device, scan(6))

    response = await client.delete(url, headers=device.tus)

    assert response.status_code == 204
    assert (await client.head(url, headers=device.tus)).status_code == 404


async def test_scoping__another_device_cannot_see_or_feed_an_upload(
    client: httpx.AsyncClient, device: Device, staff: Staff
) -> None:
    other = await enrol(client, staff, device.team_id)
    data = scan(7)
    url = await create(client, device, data)

    peek = await client.head(url, headers=other.tus)
    feed = await client.patch(
        url, content=data, headers={**other.tus, **OFFSET_STREAM, "Upload-Offset": "0"}
    )
    staff_try = await client.post(
        "/api/v1/uploads",
        headers={**staff["admin.a"].auth, "Tus-Resumable": "1.0.0", "Upload-Length": "1"},
    )

    assert peek.status_code == 404
    assert_problem(feed, 404, "not_found")
    assert_problem(staff_try, 403, "forbidden")


async def test_sweep__drops_expired_uploads_and_orphan_parts_and_keeps_live_ones(
    client: httpx.AsyncClient, device: Device, app: object, clock: FrozenClock
) -> None:
    services = app.state.services  # type: ignore[attr-defined]
    old, young = scan(3), scan(4)
    old_url = await create(client, device, old)
    await client.patch(
        old_url, content=old[:1000], headers={**device.tus, **OFFSET_STREAM, "Upload-Offset": "0"}
    )
    clock.advance(timedelta(hours=20))
    young_url = await create(client, device, young)
    folder = services.uploads.folder
    orphan = folder / f"{'0' * 32}.part"
    orphan.write_bytes(b"cut before its row")
    os.utime(orphan, (0, 0))
    clock.advance(timedelta(hours=5))  # the first upload is now 25 h old, the second 5 h

    swept = await services.uploads.sweep()

    assert swept == 2
    assert sorted(p.name for p in folder.glob("*.part")) == [f"{young_url.rsplit('/', 1)[1]}.part"]
    gone = await client.head(old_url, headers=device.tus)
    alive = await client.head(young_url, headers=device.tus)
    assert gone.status_code == 404
    assert alive.headers["upload-offset"] == "0"


async def test_upload__completion_checks_the_image_once_and_the_commit_reads_the_verdict(
    client: httpx.AsyncClient, device: Device, app: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check made when an upload completes is recorded with the commune's custody; the
    commit answers from it and decodes nothing again. A refused image's bytes are not kept."""
    services = app.state.services  # type: ignore[attr-defined]
    good, corrupt = scan(5), b"\xff\xd8\xff" + b"not really a jpeg" * 200
    for data in (good, corrupt):
        assert (await upload(client, device, data)).status_code == 204
    verdicts = {
        row["sha256"]: row["refused"]
        for row in await BlobCustody.select(BlobCustody.sha256, BlobCustody.refused)
    }
    assert verdicts[sha(good)] is None
    assert verdicts[sha(corrupt)].startswith("image_corrupt: ")
    assert await services.ctx.blobs.exists(sha(good))
    assert not await services.ctx.blobs.exists(sha(corrupt))
    assert not list((services.ctx.settings.media_root / "uploads").glob("*.part"))

    def decoded_again(*_: object, **__: object) -> None:
        raise AssertionError("the commit decoded an image again")

    monkeypatch.setattr("backend.scans.checks.validate_image", decoded_again)
    body = manifest([new_dossier([good]), new_dossier([corrupt])], [good, corrupt])
    accepted = await client.post("/api/v1/sync/batches", json=body, headers=device.auth)
    assert accepted.json()["missing_blobs"] == []
    committed = await client.post(
        f"/api/v1/sync/batches/{body['batch_id']}/commit", headers=device.auth
    )
    outcomes = [r["outcome"] for r in committed.json()["results"]]
    assert outcomes == ["accepted", "rejected"]


async def test_method_override__post_stands_for_patch_head_and_delete(
    client: httpx.AsyncClient, device: Device, app: object
) -> None:
    """For networks whose proxies pass only GET and POST (tus-js-client overridePatchMethod)."""
    data = scan(8)
    url = await create(client, device, data)
    half = len(data) // 2

    def override(method: str) -> dict[str, str]:
        return {**device.tus, "X-HTTP-Method-Override": method}

    first = await client.post(
        url,
        content=data[:half],
        headers={**override("PATCH"), **OFFSET_STREAM, "Upload-Offset": "0"},
    )
    head = await client.post(url, headers=override("HEAD"))
    rest = await client.post(
        url,
        content=data[half:],
        headers={**override("PATCH"), **OFFSET_STREAM, "Upload-Offset": str(half)},
    )
    other = await create(client, device, scan(9))
    deleted = await client.post(other, headers=override("DELETE"))
    plain = await client.post(url, headers=device.tus)

    assert (first.status_code, first.headers["upload-offset"]) == (204, str(half))
    assert (head.status_code, head.headers["upload-offset"]) == (200, str(half))
    assert (rest.status_code, rest.headers["upload-offset"]) == (204, str(len(data)))
    assert await app.state.services.ctx.blobs.read(sha(data)) == data  # type: ignore[attr-defined]
    assert deleted.status_code == 204
    assert (await client.head(other, headers=device.tus)).status_code == 404
    assert_problem(plain, 405, "method_not_allowed")


async def test_creation_with_upload__the_first_bytes_travel_with_the_creation(
    client: httpx.AsyncClient, device: Device, app: object
) -> None:
    whole, partial = scan(10), scan(11)

    def creation(data: bytes, body: bytes) -> dict[str, object]:
        headers = {**device.tus, **OFFSET_STREAM, "Upload-Length": str(len(data))}
        return {"headers": {**headers, "Upload-Metadata": metadata(data)}, "content": body}

    one_go = await client.post("/api/v1/uploads", **creation(whole, whole))  # type: ignore[arg-type]
    started = await client.post("/api/v1/uploads", **creation(partial, partial[:3000]))  # type: ignore[arg-type]
    rest = await client.patch(
        started.headers["location"],
        content=partial[3000:],
        headers={**device.tus, **OFFSET_STREAM, "Upload-Offset": "3000"},
    )

    blobs = app.state.services.ctx.blobs  # type: ignore[attr-defined]
    assert (one_go.status_code, one_go.headers["upload-offset"]) == (201, str(len(whole)))
    assert await blobs.read(sha(whole)) == whole
    assert (started.status_code, started.headers["upload-offset"]) == (201, "3000")
    assert rest.headers["upload-offset"] == str(len(partial))
    assert await blobs.read(sha(partial)) == partial


async def test_creation_with_upload__of_bytes_that_do_not_match_says_checksum_mismatch(
    client: httpx.AsyncClient, device: Device
) -> None:
    """A whole scan in the creation whose bytes are not the announced hash (damaged on the
    device): the answer is the refusal, not the not_found of the upload it already dropped."""
    data = scan(13)
    damaged = bytearray(data)
    damaged[len(damaged) // 2] ^= 0xFF

    response = await client.post(
        "/api/v1/uploads",
        content=bytes(damaged),
        headers={
            **device.tus,
            **OFFSET_STREAM,
            "Upload-Length": str(len(data)),
            "Upload-Metadata": metadata(data),
        },
    )

    assert_problem(response, 422, "checksum_mismatch")
    assert "location" not in response.headers


async def test_received_but_not_stored__the_next_head_stores_it_and_answers_complete(
    client: httpx.AsyncClient, device: Device, app: object
) -> None:
    """What a server killed between recording the last byte and storing the blob leaves: the
    offset says whole, the part file holds every byte, the store has nothing."""
    services = app.state.services  # type: ignore[attr-defined]
    data = scan(12)
    url = await create(client, device, data)
    upload_id = url.rsplit("/", 1)[1]
    (services.uploads.folder / f"{upload_id}.part").write_bytes(data)
    await Upload.update({Upload.offset: len(data)}).where(Upload.id == upload_id)

    head = await client.head(url, headers=device.tus)

    assert head.headers["upload-offset"] == str(len(data))
    assert await services.ctx.blobs.read(sha(data)) == data
    assert not (services.uploads.folder / f"{upload_id}.part").exists()


async def test_received_but_not_stored__a_manifest_settles_it_instead_of_asking_again(
    client: httpx.AsyncClient, device: Device, app: object
) -> None:
    services = app.state.services  # type: ignore[attr-defined]
    data = scan(13)
    url = await create(client, device, data)
    upload_id = url.rsplit("/", 1)[1]
    (services.uploads.folder / f"{upload_id}.part").write_bytes(data)
    await Upload.update({Upload.offset: len(data)}).where(Upload.id == upload_id)

    body = manifest([new_dossier([data])], [data])
    accepted = await client.post("/api/v1/sync/batches", json=body, headers=device.auth)

    assert accepted.json()["missing_blobs"] == []
    assert await services.ctx.blobs.exists(sha(data))


async def test_part_file_shorter_than_the_offset__the_device_resends_only_what_is_gone(
    client: httpx.AsyncClient, device: Device, app: object
) -> None:
    services = app.state.services  # type: ignore[attr-defined]
    data = scan(14)
    url = await create(client, device, data)
    await client.patch(
        url, content=data[:6000], headers={**device.tus, **OFFSET_STREAM, "Upload-Offset": "0"}
    )
    part = services.uploads.folder / f"{url.rsplit('/', 1)[1]}.part"
    part.write_bytes(data[:4000])  # bytes the offset counts went missing

    head = await client.head(url, headers=device.tus)
    rest = await client.patch(
        url, content=data[4000:], headers={**device.tus, **OFFSET_STREAM, "Upload-Offset": "4000"}
    )

    assert head.headers["upload-offset"] == "4000"
    assert rest.headers["upload-offset"] == str(len(data))
    assert await services.ctx.blobs.read(sha(data)) == data


async def test_sweep__removes_what_killed_blob_writers_left(
    client: httpx.AsyncClient, app: object
) -> None:
    services = app.state.services  # type: ignore[attr-defined]
    tmp = services.ctx.settings.media_root / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    stale, fresh = tmp / f"{'a' * 32}.part", tmp / f"{'b' * 32}.part"
    stale.write_bytes(b"half a blob")
    fresh.write_bytes(b"a blob being written now")
    os.utime(stale, (0, 0))

    swept = await services.uploads.sweep()

    assert swept == 1
    assert not stale.exists()
    assert fresh.exists()


async def test_cors__only_configured_origins_may_upload_from_their_pages(
    client: httpx.AsyncClient, settings: Settings, clock: FrozenClock
) -> None:
    preflight = {"Origin": "https://portal.example", "Access-Control-Request-Method": "PATCH"}
    default = await client.options("/api/v1/uploads/" + "0" * 32, headers=preflight)
    opened = create_app(replace(settings, cors_origins=("https://portal.example",)), clock=clock)
    async with app_client(opened) as other:
        allowed = await other.options("/api/v1/uploads/" + "0" * 32, headers=preflight)
        stranger = await other.options(
            "/api/v1/uploads", headers={**preflight, "Origin": "https://elsewhere.example"}
        )
        refused = await other.post(  # an error answer is readable by the page too
            "/api/v1/uploads",
            headers={"Origin": "https://portal.example", "Tus-Resumable": "1.0.0"},
        )

    assert "access-control-allow-origin" not in default.headers, "off by default"
    assert allowed.headers["access-control-allow-origin"] == "https://portal.example"
    assert "PATCH" in allowed.headers["access-control-allow-methods"]
    assert "upload-offset" in allowed.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-origin" not in stranger.headers
    assert refused.status_code == 401
    assert refused.headers["access-control-allow-origin"] == "https://portal.example"
    assert "upload-offset" in refused.headers["access-control-expose-headers"].lower()
