"""``luudong``: server management from the command line."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import TypeVar

import click
import msgspec
from rich.console import Console

from backend import __version__
from backend.clock import SystemClock
from backend.context import Context
from backend.db.engine import Database
from backend.db.migrate import apply_pending
from backend.errors import AppError
from backend.settings import Settings, SettingsError
from backend.wiring import TABLES, Services
from media.store import LocalBlobStore
from schemas.accounts import Role, UserCreate
from schemas.reports import GroupBy, TimelinessReport

__all__ = ["main"]

T = TypeVar("T")
console = Console()
err_console = Console(stderr=True)


def _run(work: Callable[[Services], Awaitable[T]]) -> T:
    """Run ``work`` against the configured database, with clear errors for the usual faults."""
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        err_console.print(f"[red]Cấu hình sai:[/red] {exc}")
        sys.exit(2)

    async def main() -> T:
        db = Database(settings.database_url, pool_size=2)
        db.bind(TABLES)
        await db.start()
        try:
            ctx = Context(
                db=db,
                clock=SystemClock(),
                settings=settings,
                blobs=LocalBlobStore(settings.media_root),
            )
            return await work(Services.build(ctx))
        finally:
            await db.stop()

    try:
        return asyncio.run(main())
    except AppError as exc:
        err_console.print(f"[red]{exc.code.value}:[/red] {exc.detail}")
        sys.exit(1)
    except msgspec.ValidationError as exc:
        err_console.print(f"[red]validation_failed:[/red] {exc}")
        sys.exit(1)


@click.group()
@click.version_option(__version__, prog_name="luudong")
def main() -> None:
    """Lưu Động server management. Settings come from the environment (see README)."""


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
            err_console.print(f"[red]not_found:[/red] no user {username!r}")
            sys.exit(1)
        created = await services.accounts.create_api_token(user_id, name)
        return created.token

    click.echo(_run(work))


@main.command("seed-demo")
def seed_demo() -> None:
    """Load the demo communes, teams, users and procedure catalog (idempotent)."""
    from backend.demo import DEMO_USERS, field_enrolment, seed

    _run(seed)
    console.print("[green]demo data ready[/green]")
    for user in DEMO_USERS:
        console.print(f"  {user.role.value:<7} {user.username} / {user.password}")
    settings = Settings.from_env()
    local = f"http://{_shown_host(settings.host)}:{settings.port}"

    async def enrolment(services: Services) -> tuple[str, str]:
        return await field_enrolment(services, local)

    team, code = _run(enrolment)
    console.print(f"  field app  {local}/thiet-bi/  — enrolment code for {team}: {code} (24 h)")
    if settings.host in ("0.0.0.0", "::"):  # noqa: S104 - only compared, to say how to reach it
        console.print(
            f"  from a phone on this network: http://{_lan_address()}:{settings.port}/thiet-bi/"
        )
    else:
        console.print(
            "  from a phone on this network: HOST=0.0.0.0 make run, then this PC's address"
        )
    console.print(
        "  (a phone keeps the app offline only over HTTPS or on this PC: docs/field-app.md)"
    )


def _shown_host(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104


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
def serve(host: str | None, port: int | None, workers: int) -> None:
    """Run the HTTP server."""
    import uvicorn

    from backend.server import UploadSafeHttpProtocol

    settings = Settings.from_env()
    if settings.engine_kind == "sqlite" and workers > 1:
        # Uploads are coordinated by a lock in each process (and a lease in PostgreSQL):
        # several processes on one SQLite file would not see each other's.
        raise click.UsageError("SQLite runs one server process; use PostgreSQL for --workers > 1")
    host = host or settings.host
    port = port or settings.port
    console.print(f"Lưu Động {__version__} on http://{host}:{port}")
    console.print(f"  API docs  http://{host}:{port}/schema")
    console.print(f"  ready     http://{host}:{port}/ready")
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
    )
