"""The content-addressed blob store."""

from __future__ import annotations

import errno
import hashlib
import os
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path

import aiofiles.os
import pytest

from media import (
    BlobNotFoundError,
    ChecksumMismatchError,
    LocalBlobStore,
    MediaError,
    TooLargeError,
)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def chunks(data: bytes, size: int = 1000) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def visible_files(root: Path) -> list[Path]:
    return (
        sorted(p for p in (root / "blobs").rglob("*") if p.is_file())
        if (root / "blobs").exists()
        else []
    )


async def test_put_stream__stores_under_its_hash_with_fanout(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    data = os.urandom(700_000)

    info = await store.put_stream(chunks(data), expected_sha256=sha(data))

    assert (info.sha256, info.size, info.created) == (sha(data), len(data), True)
    path = store.path_of(info.sha256)
    assert path.relative_to(tmp_path).parts == (
        "blobs",
        info.sha256[:2],
        info.sha256[2:4],
        info.sha256,
    )
    assert await store.read(info.sha256) == data
    assert await store.size(info.sha256) == len(data)
    sizes = [len(c) async for c in store.open(info.sha256)]
    assert sizes[0] == 256 * 1024
    assert sum(sizes) == len(data)


async def test_put__same_bytes_twice_is_one_blob(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)

    first = await store.put(b"scan")
    second = await store.put(b"scan")

    assert first.created is True
    assert second.created is False
    assert len(visible_files(tmp_path)) == 1
    assert list((tmp_path / "tmp").iterdir()) == []


async def test_put__wrong_checksum_leaves_nothing_behind(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)

    with pytest.raises(ChecksumMismatchError):
        await store.put(b"real content", expected_sha256=sha(b"announced content"))

    assert visible_files(tmp_path) == []
    assert list((tmp_path / "tmp").iterdir()) == []


async def test_put_stream__over_the_limit_stops_and_leaves_nothing(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)

    with pytest.raises(TooLargeError):
        await store.put_stream(chunks(b"x" * 5000), max_bytes=4096)

    assert visible_files(tmp_path) == []


@pytest.mark.parametrize(
    "name", ["../../etc/passwd", "A" * 64, "a" * 63, "a" * 64 + "/..", "", "0" * 64 + "\x00"]
)
async def test_paths__anything_but_a_sha256_is_refused(tmp_path: Path, name: str) -> None:
    store = LocalBlobStore(tmp_path)

    for call in (store.exists, store.read, store.delete, store.size):
        with pytest.raises(MediaError):
            await call(name)


async def test_delete_and_exists(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    info = await store.put(b"to delete")

    assert await store.delete(info.sha256) is True
    assert await store.exists(info.sha256) is False
    assert await store.delete(info.sha256) is False
    with pytest.raises(BlobNotFoundError):
        await store.read(info.sha256)


def test_crash_between_write_and_rename__leaves_no_visible_blob(tmp_path: Path) -> None:
    """A writer killed (SIGKILL) after its last chunk, before the rename, shows nothing."""
    script = textwrap.dedent(
        f"""
        import asyncio, os, signal
        from pathlib import Path
        from media import LocalBlobStore

        async def chunks():
            yield b"a" * 100_000
            yield b"b" * 100_000
            os.kill(os.getpid(), signal.SIGKILL)  # asked for more: every byte is written

        asyncio.run(LocalBlobStore(Path({str(tmp_path)!r})).put_stream(chunks()))
        """
    )
    result = subprocess.run([sys.executable, "-c", script], check=False, timeout=60)

    assert result.returncode == -9
    assert visible_files(tmp_path) == []
    leftovers = list((tmp_path / "tmp").iterdir())
    assert len(leftovers) == 1
    assert leftovers[0].stat().st_size == 200_000


async def test_sweep_temporary__removes_what_a_crashed_writer_left(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    (tmp_path / "tmp").mkdir()
    stale = tmp_path / "tmp" / "dead.part"
    stale.write_bytes(b"half")
    os.utime(stale, (0, 0))

    assert await store.sweep_temporary(older_than_s=60) == 1
    assert not stale.exists()


async def test_adopt__renames_a_verified_file_in_and_copies_across_filesystems(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = LocalBlobStore(tmp_path / "media")
    first, second = tmp_path / "a.part", tmp_path / "b.part"
    first.write_bytes(b"one scan")
    second.write_bytes(b"another scan")

    renamed = await store.adopt(first, hashlib.sha256(b"one scan").hexdigest())
    again = tmp_path / "c.part"
    again.write_bytes(b"one scan")
    kept = await store.adopt(again, renamed.sha256)

    replace = aiofiles.os.replace

    async def other_filesystem(source: Path, target: Path) -> None:
        if source == second:  # the part file is on another filesystem than the store
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        await replace(source, target)

    monkeypatch.setattr("aiofiles.os.replace", other_filesystem)
    copied = await store.adopt(second, hashlib.sha256(b"another scan").hexdigest())

    assert (renamed.created, kept.created, copied.created) == (True, False, True)
    assert store.path_of(renamed.sha256).read_bytes() == b"one scan"
    assert store.path_of(copied.sha256).read_bytes() == b"another scan"
    assert [p.exists() for p in (first, again, second)] == [False, False, False]
