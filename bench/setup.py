"""What the benchmarks share: a scratch server environment and its first admin."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg

__all__ = ["PG_ADMIN", "admin_headers", "luudong", "scratch_database", "scratch_env"]

BIN = Path(sys.executable).parent
PG_ADMIN = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@contextlib.asynccontextmanager
async def scratch_database(prefix: str) -> AsyncIterator[str]:
    """A new, empty PostgreSQL database for one run; its URL. Dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(PG_ADMIN)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield f"{PG_ADMIN.rpartition('/')[0]}/{name}"
    finally:
        admin = await asyncpg.connect(PG_ADMIN)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


def scratch_env(home: Path, **extra: str) -> dict[str, str]:
    """Settings for a server on an SQLite file and media folder under ``home``."""
    return {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{home / 'db.sqlite3'}",
        "MEDIA_ROOT": str(home / "media"),
        "SECRET_KEY": "b" * 40,
        **extra,
    }


def luudong(env: dict[str, str], cwd: Path, *args: str) -> str:
    """Run a ``luudong`` command; its standard output."""
    return subprocess.run(
        [str(BIN / "luudong"), *args], env=env, cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


def admin_headers(env: dict[str, str], cwd: Path) -> dict[str, str]:
    """Migrate, create an admin of commune 07192, and authenticate as it."""
    luudong(env, cwd, "migrate")
    luudong(env, cwd, "create-user", "--username", "admin.bench", "--password",
            "bench-password-1", "--role", "admin", "--commune", "07192")  # fmt: skip
    token = luudong(env, cwd, "create-token", "--username", "admin.bench")
    return {"Authorization": f"Bearer {token}"}
