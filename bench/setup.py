"""What the benchmarks share: a scratch server environment and its first admin."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

__all__ = ["admin_headers", "luudong", "scratch_env"]

BIN = Path(sys.executable).parent


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
