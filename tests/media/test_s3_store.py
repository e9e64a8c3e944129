"""The blob store on S3-compatible object storage, against a real S3 server process: the same
contract as the local store (content addressed, verified before visible, nothing left by a
refused or killed writer), large scans as multipart uploads."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from backend.settings import Settings, blob_store
from media import BlobNotFoundError, ChecksumMismatchError, MediaError, TooLargeError
from media.s3store import MULTIPART_FROM, S3BlobStore
from tests.helpers import SECRET, S3Server, s3_server

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server() -> Iterator[S3Server]:
    with s3_server() as running:
        yield running


@pytest.fixture
def store(server: S3Server, tmp_path: Path, request: pytest.FixtureRequest) -> S3BlobStore:
    env = {**server.env(prefix=f"t{abs(hash(request.node.name))}"), "SECRET_KEY": SECRET}
    settings = Settings.from_env({**env, "MEDIA_ROOT": str(tmp_path)})
    made = blob_store(settings)
    assert isinstance(made, S3BlobStore), "S3_BUCKET selects the S3 store"
    return made


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def chunks(data: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def mine(server: S3Server, store: S3BlobStore) -> list[str]:
    return [k for k in server.object_keys() if k.startswith(store.prefix)]


async def test_put_stream__lands_under_its_hash_and_reads_back(
    server: S3Server, store: S3BlobStore
) -> None:
    data = bytes(range(256)) * 4000

    info = await store.put_stream(chunks(data), expected_sha256=sha(data))
    again = await store.put(data)

    assert (info.sha256, info.size, info.created) == (sha(data), len(data), True)
    assert again.created is False, "the same bytes are one blob"
    assert mine(server, store) == [
        f"{store.prefix}blobs/{sha(data)[:2]}/{sha(data)[2:4]}/{sha(data)}"
    ]
    assert await store.read(info.sha256) == data
    assert b"".join([c async for c in store.open(info.sha256)]) == data
    assert await store.size(info.sha256) == len(data)
    assert await store.exists(info.sha256)


async def test_a_large_scan__goes_up_in_parts_and_comes_back_whole(store: S3BlobStore) -> None:
    data = hashlib.sha256(b"seed").digest() * ((MULTIPART_FROM * 2 + 12345) // 32)

    info = await store.put_stream(chunks(data, 1024 * 1024), expected_sha256=sha(data))

    assert info.size == len(data) > 2 * MULTIPART_FROM
    assert sha(await store.read(info.sha256)) == sha(data)


async def test_wrong_checksum_or_too_large__leave_nothing_in_the_bucket(
    server: S3Server, store: S3BlobStore, tmp_path: Path
) -> None:
    data = b"x" * 300_000

    with pytest.raises(ChecksumMismatchError):
        await store.put_stream(chunks(data), expected_sha256="0" * 64)
    with pytest.raises(TooLargeError):
        await store.put_stream(chunks(data), max_bytes=100_000)

    assert mine(server, store) == []
    assert list((tmp_path / "tmp").iterdir()) == [], "nor a scratch file"


async def test_delete_missing_and_names(store: S3BlobStore) -> None:
    info = await store.put(b"mot trang")

    assert await store.delete(info.sha256) is True
    assert await store.delete(info.sha256) is False
    assert not await store.exists(info.sha256)
    with pytest.raises(BlobNotFoundError):
        await store.read(info.sha256)
    with pytest.raises(BlobNotFoundError):
        await store.size(info.sha256)
    with pytest.raises(MediaError):
        await store.read("../../etc/passwd")
    await store.check_writable()


def test_a_writer_killed_before_its_put__leaves_no_object(
    server: S3Server, store: S3BlobStore, tmp_path: Path
) -> None:
    """SIGKILL after the last byte is hashed into the scratch file, before the put."""
    script = textwrap.dedent(
        f"""
        import asyncio
        from pathlib import Path
        from media.s3store import S3BlobStore

        async def chunks():
            yield b"a" * 100_000

        store = S3BlobStore(bucket={server.bucket!r}, endpoint={server.endpoint!r},
            region="us-east-1", access_key_id="k", secret_access_key="s",
            prefix={store.prefix!r}, scratch=Path({str(tmp_path / "tmp")!r}))
        asyncio.run(store.put_stream(chunks()))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        check=False,
        timeout=60,
        env={"LUUDONG_FAILPOINTS": "store.before_rename", "PATH": "/usr/bin:/bin"},
    )

    assert result.returncode == -9
    assert mine(server, store) == []
    [leftover] = (tmp_path / "tmp").iterdir()
    assert leftover.stat().st_size == 100_000, "what the sweep later removes"


def test_s3_settings__half_given_are_refused() -> None:
    from backend.settings import SettingsError

    with pytest.raises(SettingsError, match="S3_BUCKET"):
        Settings.from_env({"SECRET_KEY": SECRET, "S3_ENDPOINT": "http://127.0.0.1:9000"})
    with pytest.raises(SettingsError, match="go together"):
        Settings.from_env({"SECRET_KEY": SECRET, "S3_BUCKET": "b", "S3_ACCESS_KEY_ID": "k"})
    with pytest.raises(SettingsError, match="S3_ENDPOINT"):
        Settings.from_env({"SECRET_KEY": SECRET, "S3_BUCKET": "b", "S3_ENDPOINT": "minio:9000"})
