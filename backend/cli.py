"""``luudong``: server management from the command line."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import sqlite3
import sys
import tarfile
import warnings
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TypeVar
from urllib.parse import urlsplit

import asyncpg
import click
import msgspec
from rich.console import Console

from backend import __version__
from backend.clock import SystemClock
from backend.context import Context
from backend.db.engine import Database
from backend.db.migrate import apply_pending
from backend.errors import AppError
from backend.settings import Settings, SettingsError, blob_store
from backend.wiring import TABLES, Services
from schemas.accounts import Role, UserCreate
from schemas.reports import GroupBy, TimelinessReport

if TYPE_CHECKING:
    from backend.backup import Target

__all__ = ["main"]

T = TypeVar("T")
console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)


def _settings() -> Settings:
    """The settings from the environment, or one line saying what is wrong (exit 2)."""
    try:
        return Settings.from_env()
    except SettingsError as exc:
        _fail(f"Cấu hình sai: {exc}", status=2)


def _fail(message: str, *, status: int = 1) -> NoReturn:
    """One line on standard error, no traceback: what an operator reads at start-up."""
    err_console.print(message, style="red", markup=False, highlight=False, soft_wrap=True)
    sys.exit(status)


def _run(work: Callable[[Services], Awaitable[T]]) -> T:
    """Run ``work`` against the configured database, with clear errors for the usual faults."""
    settings = _settings()

    async def main() -> T:
        db = Database(settings.database_url, pool_size=2)
        db.bind(TABLES)
        await db.start()
        try:
            ctx = Context(
                db=db,
                clock=SystemClock(),
                settings=settings,
                blobs=blob_store(settings),
            )
            return await work(Services.build(ctx))
        finally:
            await db.stop()

    try:
        return asyncio.run(main())
    except AppError as exc:
        _fail(f"{exc.code.value}: {exc.detail}")
    except msgspec.ValidationError as exc:
        from backend.web.forms import vietnamese

        _fail(f"validation_failed: {vietnamese(exc)}")
    except (OSError, asyncpg.PostgresError, sqlite3.Error) as exc:
        if isinstance(exc, asyncpg.UndefinedTableError) or "no such table" in str(exc):
            _fail(f"Cơ sở dữ liệu chưa có bảng ({_where(settings)}): chạy luudong migrate trước")
        _fail(f"Không mở được cơ sở dữ liệu ({_where(settings)}): {_reason(exc)}")


def _where(settings: Settings) -> str:
    """The database a URL names, without its password."""
    if settings.engine_kind == "sqlite":
        return settings.database_url
    parts = urlsplit(settings.database_url)
    return f"{parts.scheme}://{parts.hostname}:{parts.port or 5432}{parts.path}"


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:300]


@click.group()
@click.version_option(__version__, prog_name="luudong")
def main() -> None:
    """Lưu Động server management. Settings come from the environment (see README)."""
    # Piccolo warns in colour before the error it then raises, which _run says in one line.
    warnings.filterwarnings("ignore", message=r".*Unable to (connect to|fetch server version)")


@main.command()
def migrate() -> None:
    """Apply pending database migrations."""

    async def work(services: Services) -> list[str]:
        return await apply_pending(services.ctx.db)

    applied = _run(work)
    if applied:
        for migration_id in applied:
            console.print(f"[green]applied[/green] {migration_id}")
    else:
        console.print("database is up to date")


@main.command()
@click.option("--commune", "commune_code", required=True, help="The commune's 5-digit code.")
@click.option(
    "--agency-code",
    required=True,
    help="The one-stop office's code (mã định danh), printed in every dossier code.",
)
@click.option("--username", required=True, help="The first administrator's login.")
@click.option("--full-name", required=True, help="The administrator's full name.")
@click.option("--password", required=True, prompt=True, hide_input=True, confirmation_prompt=True)
@click.option(
    "--catalog/--no-catalog",
    default=True,
    show_default=True,
    help="Load the shipped catalog of commune procedures (docs/catalog.md) to edit from.",
)
def init(
    commune_code: str,
    agency_code: str,
    username: str,
    full_name: str,
    password: str,
    catalog: bool,
) -> None:
    """Set up a real commune: migrate, register it and create its first administrator.

    Only on a database that has no account yet; the demo (``make run``) is ``seed-demo``.
    """
    from backend.accounts.tables import User
    from backend.auth.principal import Principal
    from backend.demo import load_demo_catalog

    async def work(services: Services) -> str:
        await apply_pending(services.ctx.db)
        if await User.exists():
            _fail(
                "already_initialised: this database already has accounts; add more from "
                "/quan-tri or with luudong create-user"
            )
        data = msgspec.convert(
            {"username": username, "password": password, "role": "admin", "full_name": full_name},
            UserCreate,
        )
        commune = await services.communes.register(commune_code, agency_code)
        user = await services.accounts.create_user(commune_code, data)
        if catalog:
            admin = Principal(
                user_id=user.id,
                username=user.username,
                role=Role.admin,
                commune_code=commune_code,
                via="token",
            )
            await services.catalog.import_catalog(admin, load_demo_catalog())
        return f"{commune.name}, {commune.province_name}: administrator {user.username}"

    console.print(f"[green]ready[/green] {_run(work)}")
    console.print("  next: luudong serve (with PUBLIC_URL), then log in at /dang-nhap")


@main.command("backup")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
def backup_command(folder: Path) -> None:
    """Write a backup (database, scans, secret key) into FOLDER; safe while the server runs."""
    from backend.backup import BackupError, backup, describe

    settings = _settings()
    source = _installation(settings)
    try:
        archive, summary = backup(source, folder)
    except (BackupError, OSError, sqlite3.Error) as exc:
        _fail(f"backup_failed: {_reason(exc)}")
    console.print(f"[green]backed up[/green] {archive}: {describe(summary)}")
    console.print("  it holds the secret key and personal data: keep it as safe as the server")


@main.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def restore_command(archive: Path) -> None:
    """Restore ARCHIVE into the empty database and media folder the settings name."""
    from backend.backup import BackupError, describe, key_for_restore, restore

    try:
        key = key_for_restore(archive)
    except (BackupError, OSError, tarfile.TarError) as exc:
        _fail(f"restore_failed: {_reason(exc)}")
    own_key = bool(os.environ.get("SECRET_KEY"))
    # Without a SECRET_KEY of its own the target takes the backup's, written to its key file.
    env = dict(os.environ) if own_key else {**os.environ, "SECRET_KEY": key}
    try:
        settings = Settings.from_env(env)
    except SettingsError as exc:
        _fail(f"Cấu hình sai: {exc}", status=2)
    key_file = None if own_key else Path(os.environ.get("SECRET_KEY_FILE", "var/secret_key"))
    target = _installation(settings)
    try:
        summary = restore(archive, target, key_file=key_file)
    except (BackupError, OSError, sqlite3.Error, tarfile.TarError) as exc:
        _fail(f"restore_failed: {_reason(exc)}")

    async def work(services: Services) -> list[str]:
        return await apply_pending(services.ctx.db)

    applied = _run(work)
    console.print(f"[green]restored[/green] {describe(summary)}")
    if applied:
        console.print(f"  migrations applied since the backup: {', '.join(applied)}")


def _installation(settings: Settings) -> Target:
    """What a backup holds, or a restore fills, for these settings."""
    from backend.backup import Target

    return Target(
        settings.database_url,
        Path(settings.media_root),
        settings.secret_key,
        object_store=settings.s3.bucket if settings.s3 else None,
    )


@main.command("add-commune")
@click.argument("code")
@click.option("--agency-code", help="The one-stop office's code used in dossier codes.")
def add_commune(code: str, agency_code: str | None) -> None:
    """Register commune CODE (official 5-digit code) with its official name."""

    async def work(services: Services) -> str:
        commune = await services.communes.register(code, agency_code)
        return f"{commune.code} {commune.name}, {commune.province_name}"

    console.print(f"[green]registered[/green] {_run(work)}")


@main.command("create-user")
@click.option("--username", required=True)
@click.option("--password", required=True, prompt=True, hide_input=True)
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--commune", "commune_code", required=True, help="5-digit commune code.")
@click.option("--full-name", default="")
def create_user(username: str, password: str, role: str, commune_code: str, full_name: str) -> None:
    """Create a staff account (the commune is registered if it is not yet)."""

    async def work(services: Services) -> str:
        await services.communes.register(commune_code)
        data = msgspec.convert(
            {"username": username, "password": password, "role": role, "full_name": full_name},
            UserCreate,
        )
        user = await services.accounts.create_user(commune_code, data)
        return f"{user.username} ({user.role.value}, {user.commune_code})"

    console.print(f"[green]created[/green] {_run(work)}")


@main.command("create-token")
@click.option("--username", required=True)
@click.option("--name", default="command line", help="What the token is for.")
def create_token(username: str, name: str) -> None:
    """Print a new personal API token for USERNAME (shown once)."""

    async def work(services: Services) -> str:
        user_id = await services.accounts.find_user_id(username)
        if user_id is None:
            _fail(f"not_found: no user {username!r}")
        created = await services.accounts.create_api_token(user_id, name)
        return created.token

    click.echo(_run(work))


@main.command("seed-demo")
def seed_demo() -> None:
    """Load the demo communes, teams, users and procedure catalog (idempotent)."""
    from backend.demo import DEMO_USERS, field_enrolment, seed

    _run(seed)
    console.print("[green]demo data ready[/green] (demo accounts: never for real dossiers)")
    for user in DEMO_USERS:
        console.print(f"  {user.role.value:<7} {user.username} / {user.password}")
    address = _demo_address(_settings())

    async def enrolment(services: Services) -> tuple[str, str]:
        return await field_enrolment(services, address)

    team, code = _run(enrolment)
    console.print(f"  field app  {address}/thiet-bi/  — enrolment code for {team}: {code} (24 h)")
    console.print(
        "  (a phone keeps the app offline only over HTTPS or on this PC: docs/field-app.md)"
    )


def _demo_address(settings: Settings) -> str:
    """Where the demo is reached: ``PUBLIC_URL``, else this PC's address on its local network,
    so that a phone on the same Wi-Fi can open the field app and the receipts' QR codes."""
    return settings.public_url or f"http://{_lan_address()}:{settings.port}"


def _lan_address() -> str:
    """This machine's address on its local network (no packet is sent)."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))
            return str(probe.getsockname()[0])
        except OSError:
            return "127.0.0.1"


@main.command()
@click.option("--commune", "commune_code", required=True, help="5-digit commune code.")
@click.option("--from", "date_from", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option("--to", "date_to", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option(
    "--group-by", type=click.Choice([g.value for g in GroupBy]), default=GroupBy.none.value
)
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False), help="Also write the CSV.")
def report(
    commune_code: str,
    date_from: datetime,
    date_to: datetime,
    group_by: str,
    csv_path: str | None,
) -> None:
    """Print the timeliness report the way a commune report reads."""
    from backend.reports.render import report_csv, report_text

    async def work(services: Services) -> TimelinessReport:
        return await services.reports.timeliness(
            commune_code, date_from.date(), date_to.date(), group_by=GroupBy(group_by)
        )

    result = _run(work)
    click.echo(report_text(result))
    if csv_path:
        Path(csv_path).write_bytes(report_csv(result))


@main.command()
def sweep() -> None:
    """Drop expired uploads now (a running server also does it every 10 minutes)."""

    async def work(services: Services) -> int:
        return await services.uploads.sweep()

    click.echo(f"{_run(work)} expired uploads dropped")


@main.command()
@click.option("--host", default=None, help="Overrides HOST.")
@click.option("--port", default=None, type=int, help="Overrides PORT.")
@click.option("--workers", default=1, show_default=True)
@click.option(
    "--demo",
    is_flag=True,
    help="The demo (make run): PUBLIC_URL defaults to this PC's network address.",
)
def serve(host: str | None, port: int | None, workers: int, demo: bool) -> None:
    """Run the HTTP server."""
    import uvicorn

    from backend.logs import install_request_ids, uvicorn_log_config
    from backend.server import UploadSafeHttpProtocol

    install_request_ids()

    settings = _settings()
    if settings.engine_kind == "sqlite" and workers > 1:
        # Uploads are coordinated by a lock in each process (and a lease in PostgreSQL):
        # several processes on one SQLite file would not see each other's.
        _fail("SQLite runs one server process; use PostgreSQL for --workers > 1", status=2)
    port = port or settings.port
    if demo:
        lan = _demo_address(dataclasses.replace(settings, port=port))
        # Every interface, so the PC itself (127.0.0.1) and phones on its network both reach it.
        on_lan = urlsplit(lan).hostname not in ("127.0.0.1", "localhost")
        host = host or os.environ.get("HOST") or ("0.0.0.0" if on_lan else settings.host)  # noqa: S104
        os.environ["PUBLIC_URL"] = lan  # the workers read their settings from the environment
        public = lan
    elif settings.public_url is None:
        _fail(
            "Cấu hình sai: PUBLIC_URL is required, the address phones and printed receipts use "
            "to reach this server (e.g. http://192.168.1.10:8000 or https://motcua.example.vn); "
            "only the demo (make run) works it out itself",
            status=2,
        )
    else:
        public = settings.public_url
    host = host or settings.host
    if settings.engine_kind == "postgres":
        _check_connection_budget(settings, workers)
    if workers > 1:
        _share_metrics()
    console.print(f"Lưu Động {__version__} listening on {host}:{port}, reached at {public}")
    if demo:
        console.print(
            "  [yellow]DEMO[/yellow]: demo data and passwords (README). For a real commune: "
            "luudong init, docs/deploy.md"
        )
    console.print(
        f"  staff     {public}/dang-nhap" + (f" (here: http://127.0.0.1:{port}/)" if demo else "")
    )
    console.print(f"  field app {public}/thiet-bi/")
    console.print(f"  API docs  {public}/schema")
    uvicorn.run(
        "backend.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        # Forwarding headers are read by the app, from TRUSTED_PROXIES only (backend/app.py).
        proxy_headers=False,
        # The app writes the access log (backend/edge.py): no query strings, with a request id.
        access_log=False,
        log_level="info",
        http=UploadSafeHttpProtocol,
        # A worker that is starting or busy decoding scans on a loaded machine is not hung:
        # uvicorn's 5 s would kill and restart it in a loop.
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_S,
        log_config=uvicorn_log_config(settings.log_format),
    )


WORKER_HEALTHCHECK_S = 60


def _share_metrics() -> None:
    """Several workers write their counters to one folder, so a scrape answered by any of them
    sums them all (backend/metrics.py). It starts empty: old files would count twice."""
    import shutil
    import tempfile

    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
        Path(folder).mkdir(parents=True)
    else:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="luudong-metrics-")


def _check_connection_budget(settings: Settings, workers: int) -> None:
    """Refuse to start when this process's pools alone cannot fit in PostgreSQL's connection
    limit, and warn when they exceed what is free now (docs/deploy.md has the sum for replicas)."""
    from backend.db.engine import postgres_config

    async def read() -> tuple[int, int, int]:
        connection = await asyncpg.connect(postgres_config(settings.database_url)["dsn"])
        try:
            limit = int(await connection.fetchval("SHOW max_connections"))
            reserved = int(await connection.fetchval("SHOW superuser_reserved_connections"))
            used = int(await connection.fetchval("SELECT count(*) FROM pg_stat_activity"))
        finally:
            await connection.close()
        return limit, reserved, used

    try:
        limit, reserved, used = asyncio.run(read())
    except (OSError, asyncpg.PostgresError) as exc:
        _fail(f"Không mở được cơ sở dữ liệu ({_where(settings)}): {_reason(exc)}")
    need = workers * settings.pg_pool_size
    usable = limit - reserved
    if need > usable:
        _fail(
            f"Cấu hình sai: {workers} workers × PG_POOL_SIZE {settings.pg_pool_size} = {need} "
            f"connections, but PostgreSQL allows {usable} (max_connections {limit} − "
            f"{reserved} reserved); lower PG_POOL_SIZE or --workers (docs/deploy.md)",
            status=2,
        )
    if need > usable - used:
        err_console.print(
            f"[yellow]warning:[/yellow] this process may open {need} PostgreSQL connections and "
            f"{usable - used} are free now ({used} in use of {usable})",
            highlight=False,
        )
