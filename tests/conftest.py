"""Test fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL is reached at ``TEST_DATABASE_URL`` (default: the local server). The suite creates its
own database there and drops it at the end. When the server is unreachable, PostgreSQL cases are
reported as skipped with a loud banner, unless ``REQUIRE_POSTGRES=1`` (CI), which fails the run.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from litestar import Litestar

from backend.app import create_app
from backend.clock import FrozenClock
from backend.db.engine import Database
from backend.db.migrate import apply_pending
from backend.db.sqlite import QueuedSQLiteEngine
from backend.settings import Settings
from backend.wiring import Services
from tests.helpers import SECRET, Staff, app_client

PG_ADMIN_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REQUIRE_POSTGRES = os.environ.get("REQUIRE_POSTGRES", "") == "1"
ENGINES = ("sqlite", "postgres")


def _pg_reachable() -> str | None:
    async def probe() -> None:
        conn = await asyncpg.connect(PG_ADMIN_URL, timeout=5)
        await conn.close()

    try:
        asyncio.run(probe())
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


_PG_PROBLEM: str | None = None


def pytest_configure(config: pytest.Config) -> None:
    global _PG_PROBLEM
    _PG_PROBLEM = _pg_reachable()
    if _PG_PROBLEM and REQUIRE_POSTGRES:
        raise pytest.UsageError(
            f"REQUIRE_POSTGRES=1 but PostgreSQL is unreachable at {PG_ADMIN_URL}: {_PG_PROBLEM}"
        )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    passed = len(reporter.stats.get("passed", [])) if reporter else 0
    if exitstatus == 0 and passed == 0 and not session.config.option.collectonly:
        # A run that executed nothing must not look green.
        session.exitstatus = pytest.ExitCode.NO_TESTS_COLLECTED


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _PG_PROBLEM:
        terminalreporter.write_sep("!", "POSTGRESQL NOT TESTED", red=True, bold=True)
        terminalreporter.write_line(
            f"PostgreSQL unreachable at {PG_ADMIN_URL} ({_PG_PROBLEM}); every database test "
            "ran on SQLite only. Set TEST_DATABASE_URL or start a server.",
            red=True,
        )


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (cheaper than migrating each time)."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    asyncio.run(_migrate(f"sqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A migrated PostgreSQL database for this run, dropped at the end."""
    if _PG_PROBLEM:
        pytest.skip(f"PostgreSQL unreachable at {PG_ADMIN_URL}: {_PG_PROBLEM}")
    name = f"luudong_test_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    url = _pg_url(name)
    try:
        asyncio.run(_migrate(url))
        yield url
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def fresh_pg_database() -> Iterator[str]:
    """An empty (unmigrated) PostgreSQL database, for migration tests."""
    if _PG_PROBLEM:
        pytest.skip(f"PostgreSQL unreachable at {PG_ADMIN_URL}: {_PG_PROBLEM}")
    name = f"luudong_fresh_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield _pg_url(name)
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=ENGINES)
def engine_name(request: pytest.FixtureRequest) -> str:
    """Which engine this run of the test uses."""
    return str(request.param)


@pytest.fixture
def database_url(engine_name: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated database holding no rows, on the engine under test."""
    if engine_name == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "luudong.sqlite3"
        shutil.copy(template, path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("pg_database")
    asyncio.run(_truncate_all(url))
    return url


@pytest.fixture
def empty_database_url(engine_name: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database with no tables at all, on the engine under test."""
    if engine_name == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    url: str = request.getfixturevalue("fresh_pg_database")
    return url


@pytest.fixture
def clock() -> FrozenClock:
    """A clock at 09:00 on Monday 2 March 2026, Vietnam time (02:00 UTC)."""
    return FrozenClock(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """Settings for an app on the test database."""
    return Settings(
        database_url=database_url,
        media_root=tmp_path / "media",
        secret_key=SECRET,
        login_attempts_per_minute=1000,
    )


@pytest.fixture
def app(settings: Settings, clock: FrozenClock) -> Iterator[Litestar]:
    """The app under test, on the frozen clock (its SQLite connections end with the test)."""
    app = create_app(settings, clock=clock)
    yield app
    engine = app.state.services.ctx.db.engine
    if isinstance(engine, QueuedSQLiteEngine):
        engine.abandon()


@pytest.fixture
def services(app: Litestar) -> Services:
    """The app's domain services, for arranging data directly."""
    services: Services = app.state.services
    return services


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the app in-process, on the test's own event loop.

    (Litestar's AsyncTestClient runs the app on another thread's loop, where a PostgreSQL pool
    opened by the app cannot be shared with the test's own queries.)
    """
    async with app_client(app) as client:
        yield client


@pytest.fixture
async def new_client(app: Litestar, client: httpx.AsyncClient) -> AsyncIterator[Any]:
    """Clients with their own cookie jars, on the app ``client`` already opened."""
    clients: list[httpx.AsyncClient] = []

    def make() -> httpx.AsyncClient:
        clients.append(
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://testserver.local"
            )
        )
        return clients[-1]

    yield make
    for opened in clients:
        await opened.aclose()


@pytest.fixture
async def staff(client: httpx.AsyncClient, services: Services) -> Staff:
    """Two communes with an admin, a clerk and a viewer each, ready to log in."""
    return await Staff.create(client, services)


def _pg_url(name: str) -> str:
    base, _, _ = PG_ADMIN_URL.rpartition("/")
    return f"{base}/{name}"


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _migrate(url: str) -> None:
    db = Database(url, pool_size=1)
    await db.start()
    try:
        await apply_pending(db)
    finally:
        await db.stop()


async def _truncate_all(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        tables = await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'luudong_migration'"
        )
        names = ", ".join(f'"{row["tablename"]}"' for row in tables)
        await conn.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    finally:
        await conn.close()
