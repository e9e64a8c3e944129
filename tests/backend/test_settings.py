"""Settings from the environment."""

from __future__ import annotations

import stat
from datetime import timedelta
from pathlib import Path

import pytest

from backend.settings import Settings, SettingsError


def test_from_env__defaults_to_embedded_sqlite_and_creates_a_secret_key_file(
    tmp_path: Path,
) -> None:
    key_file = tmp_path / "var" / "secret_key"

    first = Settings.from_env({"SECRET_KEY_FILE": str(key_file)})
    second = Settings.from_env({"SECRET_KEY_FILE": str(key_file)})

    assert first.engine_kind == "sqlite"
    assert first.database_url == "sqlite:///var/luudong.sqlite3"
    assert first.port == 8000
    assert len(first.secret_key) >= 32
    assert second.secret_key == first.secret_key
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_from_env__reads_every_documented_variable() -> None:
    settings = Settings.from_env(
        {
            "DATABASE_URL": "postgresql://luudong@db:5432/luudong",
            "MEDIA_ROOT": "/srv/media",
            "SECRET_KEY": "k" * 40,
            "PORT": "9000",
            "SESSION_TTL_MINUTES": "30",
            "COOKIE_SECURE": "always",
        }
    )

    assert settings.engine_kind == "postgres"
    assert settings.media_root == Path("/srv/media")
    assert settings.port == 9000
    assert settings.session_ttl == timedelta(minutes=30)
    assert settings.cookie_secure == "always"
    assert "k" * 40 not in repr(settings)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"PORT": "eighty"}, "PORT"),
        ({"PORT": "-1"}, "PORT"),
        ({"COOKIE_SECURE": "sometimes"}, "COOKIE_SECURE"),
    ],
)
def test_from_env__bad_values_are_refused_with_the_variable_named(
    env: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env({"SECRET_KEY": "k" * 40, **env})
