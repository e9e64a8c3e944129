"""``field-sync``: the field client's command line, a thin layer over the outbox and the agent."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import click
import httpx
import msgspec
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn
from rich.table import Table

from field_sync import __version__
from field_sync.agent import Agent
from field_sync.outbox import Outbox
from field_sync.transport import Backoff, ProblemError, Server
from schemas.dossiers import Action
from schemas.sync import Change, Outcome

__all__ = ["main"]

console = Console()
err = Console(stderr=True)


def _home() -> Path:
    return Path(os.environ.get("FIELD_SYNC_HOME", Path.home() / ".local/share/field-sync"))


def _server(outbox: Outbox, backoff: Backoff | None = None) -> Server:
    """The enrolled device's server; exits with a hint when the device is not enrolled."""
    server_url, token = outbox.get("server"), outbox.get("token")
    if not server_url or not token:
        err.print("[red]Thiết bị chưa đăng ký:[/red] chạy `field-sync enroll SERVER CODE` trước.")
        sys.exit(2)
    return Server(server_url, token, backoff=backoff)


@contextmanager
def _session(outbox: Outbox) -> Iterator[Server]:
    server = _server(outbox)
    try:
        yield server
    except ProblemError as exc:
        err.print(f"[red]{exc.code}:[/red] {exc.detail}")
        sys.exit(1)
    finally:
        server.close()


@click.group(invoke_without_command=True)
@click.version_option(__version__, prog_name="field-sync")
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Outbox folder (default $FIELD_SYNC_HOME or ~/.local/share/field-sync).",
)
@click.pass_context
def main(ctx: click.Context, home: Path | None) -> None:
    """Lưu Động field client: capture offline, push when the link is up, pull the news."""
    ctx.obj = home or _home()
    if ctx.invoked_subcommand is None:
        click.echo(f"field-sync {__version__}")


def _outbox(ctx: click.Context) -> Outbox:
    outbox = Outbox(ctx.obj)
    ctx.call_on_close(outbox.close)
    return outbox


@main.command()
@click.argument("server", required=False)
@click.argument("code", required=False)
@click.option("--qr", "qr_image", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A photo of the enrolment QR (instead of SERVER CODE).")  # fmt: skip
@click.option("--name", default="", help="What the team calls this device.")
@click.pass_context
def enroll(
    ctx: click.Context, server: str | None, code: str | None, qr_image: Path | None, name: str
) -> None:
    """Enrol this device with the one-time CODE an admin issued, and fetch the catalog."""
    if qr_image is not None:
        server, code = _enrolment_qr(qr_image)
    if not server or not code:
        err.print("[red]Cần SERVER CODE, hoặc --qr ẢNH_MÃ_QR.[/red]")
        sys.exit(2)
    outbox = _outbox(ctx)
    client = Server(server)
    try:
        enrolled = client.enroll(code, name)
    except ProblemError as exc:
        err.print(f"[red]{exc.code}:[/red] {exc.detail}")
        sys.exit(1)
    finally:
        client.close()
    outbox.set(server=server, token=enrolled.token, device_id=enrolled.device_id)
    with _session(outbox) as session:
        outbox.save_bootstrap(session.bootstrap())
    console.print(
        f"[green]Đã đăng ký[/green] thiết bị {enrolled.device_id} cho {enrolled.team.name}."
    )


def _enrolment_qr(image: Path) -> tuple[str, str]:
    """(server, code) from a photo of the enrolment QR (``{"v":1,"server":...,"code":...}``)."""
    import media

    for found in media.decode_qr(image.read_bytes()):
        try:
            payload = json.loads(found.text)
        except ValueError:
            continue
        if isinstance(payload, dict) and payload.get("v") == 1 and payload.get("code"):
            return str(payload["server"]), str(payload["code"])
    err.print(f"[red]Không đọc được mã QR đăng ký trong {image}.[/red]")
    sys.exit(1)


@main.command()
@click.option("--refresh", is_flag=True, help="Fetch the catalog from the server first.")
@click.pass_context
def catalog(ctx: click.Context, refresh: bool) -> None:
    """The procedures this device can capture, with their documents."""
    outbox = _outbox(ctx)
    if refresh:
        with _session(outbox) as session:
            outbox.save_bootstrap(session.bootstrap())
    table = Table("Mã", "Thủ tục", "Ngày", "Giấy tờ (khoá)")
    for p in outbox.catalog().values():
        docs = ", ".join(f"{d.key}{'' if d.required else '?'}" for d in p.documents)
        days = "" if p.processing_days is None else str(p.processing_days)
        table.add_row(p.code, p.name, days, docs)
    console.print(table)


@main.command()
@click.option("--procedure", "procedure_code", required=True)
@click.option("--name", "full_name", default=None)
@click.option("--id-number", default=None)
@click.option("--birth-date", default=None, help="YYYY-MM-DD")
@click.option("--gender", type=click.Choice(["male", "female"]), default=None)
@click.option("--address", default=None)
@click.option("--phone", default="")
@click.option("--cccd-qr", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A photo of the ID card's QR: fills the applicant's fields.")  # fmt: skip
@click.option("--scan", "scans", multiple=True, required=True, metavar="KEY=PATH",
              help="A scanned page of a required document (repeat for more pages).")  # fmt: skip
@click.option("--mode", type=click.Choice(["document", "text"]), default="document")
@click.option("--consent/--no-consent", default=False, help="The household agreed (required).")
@click.option("--place", default="")
@click.option("--note", default="")
@click.pass_context
def capture(ctx: click.Context, /, **options: Any) -> None:
    """Capture a dossier offline: scans are normalised and queued until the next push."""
    from field_sync.capture import CaptureError, capture_dossier

    outbox = _outbox(ctx)
    try:
        dossier_id = capture_dossier(outbox, **options)
    except CaptureError as exc:
        err.print(f"[red]Không lưu được hồ sơ:[/red] {exc}")
        sys.exit(1)
    console.print(f"[green]Đã lưu[/green] hồ sơ {dossier_id} vào hàng đợi.")


@main.command(name="outbox")
@click.pass_context
def show_outbox(ctx: click.Context) -> None:
    """The dossiers on this device and how far each got."""
    outbox = _outbox(ctx)
    table = Table("Hồ sơ", "Thủ tục", "Người nộp", "Trên máy", "Mã hồ sơ", "Tại một cửa", "Ghi chú")
    for row in outbox.dossiers():
        body = outbox.body(row)
        office = row["status_label"]
        if office and row["due_date"]:
            office += f", hẹn {date.fromisoformat(row['due_date']):%d/%m/%Y}"
        table.add_row(
            row["id"],
            body.procedure_code,
            body.applicant.full_name,
            _STATE_LABELS.get(row["state"], row["state"]),
            row["code"] or "",
            office,
            row["outcome_code"] or "",
        )
    console.print(table)


_STATE_LABELS = {
    "pending": "Chờ gửi",
    "batched": "Đang gửi",
    "committed": "Đã gửi",
    "rejected": "Bị từ chối",
    "conflict": "Trùng mã",
}


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def push(ctx: click.Context, as_json: bool) -> None:
    """Send the queued dossiers: manifest, resumable uploads, commit."""
    outbox = _outbox(ctx)
    with _session(outbox) as session:
        if as_json:
            report = Agent(outbox, session).push()
        else:
            with Progress(
                "[progress.description]{task.description}",
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                console=console,
            ) as bar:
                task = bar.add_task("Tải tệp lên", total=None)

                def progress(what: str, done: int, total: int) -> None:
                    if what == "bytes":
                        bar.update(task, completed=done, total=total)

                report = Agent(outbox, session, progress).push()
    outcomes: dict[Outcome, int] = {}
    for result in report.results:
        outcomes[result.outcome] = outcomes.get(result.outcome, 0) + 1
    if as_json:
        click.echo(
            json.dumps(
                {
                    "batches": report.batches,
                    "outcomes": outcomes,
                    "results": msgspec.to_builtins(report.results),
                    "bytes_total": report.bytes_total,
                    "bytes_sent": report.upload.bytes_sent,
                    "bytes_unkept": report.upload.bytes_unkept,
                    "failures": report.upload.failures,
                },
                ensure_ascii=False,
            )
        )
        return
    console.print(
        f"Đã gửi {report.batches} lô: "
        + ", ".join(f"{n} {k.label.lower()}" for k, n in outcomes.items())
        if report.batches
        else "Không có hồ sơ nào chờ gửi."
    )


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the changes as JSON.")
@click.pass_context
def pull(ctx: click.Context, as_json: bool) -> None:
    """Fetch receipts, supplement requests and results for this team."""
    outbox = _outbox(ctx)
    with _session(outbox) as session:
        report = Agent(outbox, session).pull()
    if as_json:
        click.echo(
            json.dumps(
                {"cursor": report.cursor, "changes": msgspec.to_builtins(report.changes)},
                ensure_ascii=False,
            )
        )
        return
    if not report.changes:
        console.print("Không có tin mới.")
    for change in report.changes:
        console.print(_describe(change))


def _describe(change: Change) -> str:
    name = change.dossier_code or change.dossier_id
    line = f"Hồ sơ {name}: {change.status.label}"
    if change.action == Action.receive and change.due_date:
        line += f", hẹn trả kết quả ngày {change.due_date:%d/%m/%Y}"
    payload = change.payload
    for item in payload.items:
        line += f"\n  - cần bổ sung «{item.document_key}»: {item.note or item.problem.label}"
    if payload.reason:
        line += f" (lý do: {payload.reason})"
    if payload.result_summary:
        line += f" ({payload.result_summary})"
    return line


@main.command(name="cover-sheet")
@click.option("--procedure", "procedure_code", required=True)
@click.option("--doc", "keys", multiple=True, metavar="KEY",
              help="A page scanned after the sheet, in order (default: each one).")  # fmt: skip
@click.option("--consent/--no-consent", default=False, help="The household agreed (required).")
@click.option("--note", default="")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.pass_context
def cover_sheet(
    ctx: click.Context,
    procedure_code: str,
    keys: tuple[str, ...],
    consent: bool,
    note: str,
    out: Path,
) -> None:
    """Print a cover sheet (PNG, A5) to scan in front of a dossier's pages at a watched PC."""
    from field_sync.watch import CoverSheet, render_cover_sheet

    outbox = _outbox(ctx)
    procedure = outbox.catalog().get(procedure_code)
    if procedure is None:
        err.print(f"[red]Thủ tục {procedure_code} không có trong danh mục.[/red]")
        sys.exit(1)
    known = [d.key for d in procedure.documents]
    unknown = [k for k in keys if k not in known]
    if unknown:
        err.print(
            f"[red]Thủ tục không có giấy tờ {', '.join(unknown)}[/red] (có: {', '.join(known)})"
        )
        sys.exit(1)
    sheet = CoverSheet(procedure_code, keys or tuple(known), consent, note)
    out.write_bytes(render_cover_sheet(sheet, procedure))
    console.print(f"Đã tạo phiếu bìa {out}: quét nó trước {len(sheet.keys)} trang của hồ sơ.")


@main.command()
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--settle", default=30.0, show_default=True,
              help="Seconds a group's files must stay unchanged before it is taken.")  # fmt: skip
@click.option("--interval", default=10.0, show_default=True, help="Seconds between rounds.")
@click.option("--consent-on-paper", is_flag=True,
              help="Households sign a consent form here (needed by the naming rule).")  # fmt: skip
@click.option("--once", is_flag=True, help="One round (take, push, pull), then exit.")
@click.pass_context
def watch(
    ctx: click.Context,
    folder: Path,
    settle: float,
    interval: float,
    consent_on_paper: bool,
    once: bool,
) -> None:
    """Take scanner output from FOLDER as dossiers and push them whenever the link is up."""
    from field_sync.watch import Watcher

    outbox = _outbox(ctx)
    server = _server(outbox, Backoff(attempts=3))
    ctx.call_on_close(server.close)
    agent = Agent(outbox, server)
    watcher = Watcher(outbox, folder, settle_s=settle, consent_on_paper=consent_on_paper)
    console.print(f"Đang theo dõi {folder} (Ctrl+C để dừng).")
    while True:
        for outcome in watcher.scan():
            if outcome.state == "captured":
                console.print(
                    f"[green]Đã ghi nhận[/green] {outcome.label} → hồ sơ {outcome.dossier_id}"
                )
            else:
                console.print(f"[yellow]Cần xem lại[/yellow] {outcome.label}: {outcome.reason}")
        try:
            if outbox.has_work():
                report = agent.push()
                for result in report.results:
                    if not result.outcome.settled:
                        console.print(
                            f"[red]Hồ sơ {result.dossier_id}:[/red] "
                            f"{result.outcome.label} ({result.code})"
                        )
                if report.batches:
                    console.print(f"Đã gửi {len(report.results)} hồ sơ.")
            for change in agent.pull().changes:
                console.print(_describe(change))
        except httpx.TransportError:
            console.print("[yellow]Chưa có kết nối tới máy chủ; sẽ thử lại.[/yellow]")
        except ProblemError as exc:
            err.print(f"[red]{exc.code}:[/red] {exc.detail}")
            if exc.status in (401, 403):
                sys.exit(1)
        if once:
            return
        time.sleep(interval)


@main.command()
@click.pass_context
def status(ctx: click.Context) -> None:
    """This device, its server, and the outbox in numbers."""
    outbox = _outbox(ctx)
    counts: dict[str, int] = {}
    for row in outbox.dossiers():
        counts[row["state"]] = counts.get(row["state"], 0) + 1
    team = outbox.team()
    console.print(f"Máy chủ: {outbox.get('server') or '(chưa đăng ký)'}")
    console.print(f"Thiết bị: {outbox.get('device_id') or '-'} — {team.name if team else '-'}")
    console.print(
        "Hồ sơ: "
        + (", ".join(f"{_STATE_LABELS.get(k, k)} {n}" for k, n in sorted(counts.items())) or "0")
    )
    console.print(f"Tin đã nhận đến số {outbox.get('cursor', '0')}")
