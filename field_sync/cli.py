"""``field-sync``: the field client's command line, a thin layer over the outbox and the agent.

A network condition never ends in a traceback: every command that talks to the server says in
Vietnamese what happened and that nothing was lost, and exits with one of :class:`Exit`'s codes.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from enum import IntEnum
from pathlib import Path
from typing import Any, NoReturn

import click
import msgspec
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn
from rich.table import Table

from field_sync import __version__
from field_sync.agent import Agent, PushReport
from field_sync.outbox import Outbox, OutboxError
from field_sync.transport import Backoff, LinkDownError, ProblemError, Server, server_address
from schemas.catalog import Procedure
from schemas.dossiers import CHANGE_DELIVERY, Action, DeliveryMethod, SatisfactionLevel
from schemas.errors import ErrorCode
from schemas.sync import Change, ItemKind, OutboxState, Outcome

__all__ = ["Exit", "main"]

# Lines are not wrapped: messages are read in terminals of any width, and by scripts.
console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


class Exit(IntEnum):
    """The exit codes of ``field-sync`` (``docs/architecture.md`` lists them too)."""

    ok = 0
    refused = 1
    """The server or the outbox refused what was asked (the message says why)."""
    usage = 2
    """Wrong arguments, or the device is not enrolled yet."""
    offline = 3
    """The server could not be reached; nothing was lost, run the command again later."""
    revoked = 4
    """This device was revoked by the commune's admin: enrol it again."""
    interrupted = 130
    """Stopped with Ctrl+C; nothing was lost."""


EPILOG = (
    "Mã thoát: 0 xong; 1 máy chủ hoặc hàng đợi từ chối; 2 sai tham số hoặc chưa đăng ký; "
    "3 không kết nối được máy chủ (không mất gì, chạy lại khi có mạng); 4 thiết bị đã bị thu "
    "hồi; 130 dừng bằng Ctrl+C."
)


def _home() -> Path:
    return Path(os.environ.get("FIELD_SYNC_HOME", Path.home() / ".local/share/field-sync"))


def _stop(code: Exit, message: str) -> NoReturn:
    err.print(message)
    sys.exit(code)


def _say_wait(seconds: float, attempt: int, attempts: int) -> None:
    err.print(
        f"[yellow]Mất kết nối, thử lại sau {seconds:.0f} giây (lần {attempt}/{attempts})…[/yellow]"
    )


@contextmanager
def _guarded(what: str) -> Iterator[None]:
    """Turn every failure a person can meet into a Vietnamese message and an exit code."""
    try:
        yield
    except LinkDownError as exc:
        _stop(
            Exit.offline,
            f"[yellow]Không {what} được: {exc}.[/yellow]\n"
            "Không mất dữ liệu nào: hồ sơ vẫn nằm trong hàng đợi trên máy, phần đã gửi được "
            "máy chủ giữ lại. Chạy lại lệnh khi có mạng.",
        )
    except ProblemError as exc:
        if exc.code is ErrorCode.device_revoked:
            _stop(
                Exit.revoked,
                f"[red]{exc.detail}[/red]\nHồ sơ chưa gửi vẫn còn trên máy: xin mã đăng ký mới "
                "và chạy `field-sync enroll`, rồi gửi lại.",
            )
        _stop(Exit.refused, f"[red]Máy chủ từ chối ({exc.code}):[/red] {exc.detail}")
    except OutboxError as exc:
        _stop(Exit.refused, f"[red]Hàng đợi trên máy:[/red] {exc}")
    except KeyboardInterrupt:
        _stop(Exit.interrupted, "[yellow]Đã dừng. Không mất dữ liệu nào.[/yellow]")


@dataclass(frozen=True)
class Options:
    """The options every command shares."""

    home: Path
    retries: int


def _options() -> Options:
    options: Options = click.get_current_context().find_root().obj
    return options


def _backoff(at_most: int | None = None) -> Backoff:
    """Retries as ``--retries`` says (capped at ``at_most``), each wait announced."""
    retries = _options().retries
    return Backoff(attempts=min(retries, at_most or retries), on_wait=_say_wait)


def _server(outbox: Outbox, backoff: Backoff | None = None) -> Server:
    """The enrolled device's server; exits with a hint when the device is not enrolled."""
    server_url, token = outbox.get("server"), outbox.get("token")
    if not server_url or not token:
        _stop(
            Exit.usage,
            "[red]Thiết bị chưa đăng ký:[/red] chạy `field-sync enroll MÁY_CHỦ MÃ` trước.",
        )
    return Server(server_url, token, backoff=backoff or _backoff())


@contextmanager
def _session(outbox: Outbox, what: str, backoff: Backoff | None = None) -> Iterator[Server]:
    server = _server(outbox, backoff)
    try:
        with _guarded(what):
            yield server
    finally:
        server.close()


@click.group(invoke_without_command=True, epilog=EPILOG)
@click.version_option(
    __version__, prog_name="field-sync", message="%(prog)s %(version)s", help="Xem phiên bản."
)
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Thư mục hàng đợi (mặc định $FIELD_SYNC_HOME hoặc ~/.local/share/field-sync).",
)
@click.option(
    "--retries",
    type=click.IntRange(1, 100),
    default=8,
    show_default=True,
    help="Số lần thử lại một yêu cầu khi mất mạng, trước khi báo lỗi.",
)
@click.help_option("-h", "--help", help="Xem hướng dẫn.")
@click.pass_context
def main(ctx: click.Context, home: Path | None, retries: int) -> None:
    """Lưu Động trên máy tính: thu hồ sơ khi không có mạng, gửi khi có mạng, nhận tin từ bộ
    phận một cửa."""
    ctx.obj = Options(home or _home(), retries)
    if ctx.invoked_subcommand is None:
        click.echo(f"field-sync {__version__}")


def _outbox(ctx: click.Context) -> Outbox:
    with _guarded("mở hàng đợi"):
        outbox = Outbox(_options().home)
    ctx.call_on_close(outbox.close)
    return outbox


@main.command(epilog=EPILOG)
@click.argument("server", required=False)
@click.argument("code", required=False)
@click.option("--qr", "qr_image", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Ảnh chụp mã QR đăng ký (thay cho MÁY_CHỦ MÃ).")  # fmt: skip
@click.option("--name", default="", help="Tên tổ gọi thiết bị này (vd. Máy tính bảng 1).")
@click.pass_context
def enroll(
    ctx: click.Context, server: str | None, code: str | None, qr_image: Path | None, name: str
) -> None:
    """Đăng ký thiết bị với mã dùng một lần do quản trị cấp, rồi tải danh mục thủ tục.

    MÁY_CHỦ là địa chỉ máy chủ (vd. 192.168.1.10:8000 hoặc https://motcua.example.vn).
    """
    if qr_image is not None:
        server, code = _enrolment_qr(qr_image)
    if not server or not code:
        _stop(Exit.usage, "[red]Cần MÁY_CHỦ MÃ, hoặc --qr ẢNH_MÃ_QR.[/red]")
    try:
        base = server_address(server)
    except ValueError as exc:
        _stop(Exit.usage, f"[red]{exc}.[/red]")
    outbox = _outbox(ctx)
    client = Server(base, backoff=_backoff(3))
    try:
        with _guarded("đăng ký"):
            enrolled = client.enroll(code, name)
    finally:
        client.close()
    outbox.set(server=base, token=enrolled.token, device_id=enrolled.device_id)
    with _session(outbox, "tải danh mục thủ tục") as session:
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
    _stop(Exit.usage, f"[red]Không đọc được mã QR đăng ký trong {image}.[/red]")


@main.command()
@click.option("--refresh", is_flag=True, help="Tải lại danh mục từ máy chủ trước.")
@click.pass_context
def catalog(ctx: click.Context, refresh: bool) -> None:
    """Các thủ tục thiết bị này thu được, với giấy tờ của từng thủ tục."""
    outbox = _outbox(ctx)
    if refresh:
        with _session(outbox, "tải danh mục") as session:
            outbox.save_bootstrap(session.bootstrap())
    table = Table("Mã", "Thủ tục", "Ngày", "Giấy tờ (khoá)")
    for p in outbox.catalog().values():
        docs = ", ".join(
            f"{d.name} ({d.key}{'' if d.required else ', nếu có'})" for d in p.documents
        )
        days = "" if p.processing_days is None else str(p.processing_days)
        table.add_row(p.code, p.name, days, docs)
    console.print(table)


SCAN_HELP = "Một trang giấy tờ đã quét: KHOÁ=ĐƯỜNG_DẪN (lặp lại cho nhiều trang)."


@main.command()
@click.option("--procedure", "procedure_code", required=True, help="Mã thủ tục (vd. 1.004873).")
@click.option("--name", "full_name", default=None, help="Họ và tên người nộp.")
@click.option("--id-number", default=None, help="Số định danh cá nhân (12 số).")
@click.option("--birth-date", default=None, help="Ngày sinh, NĂM-THÁNG-NGÀY.")
@click.option("--gender", type=click.Choice(["male", "female"]), default=None,
              help="Giới tính: male (nam) hoặc female (nữ).")  # fmt: skip
@click.option("--address", default=None, help="Địa chỉ thường trú.")
@click.option("--phone", default="", help="Số điện thoại.")
@click.option("--cccd-qr", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Ảnh mã QR trên căn cước: điền sẵn thông tin người nộp.")  # fmt: skip
@click.option("--scan", "scans", multiple=True, required=True, metavar="KHOÁ=ĐƯỜNG_DẪN",
              help=SCAN_HELP)  # fmt: skip
@click.option("--mode", type=click.Choice(["document", "text"]), default="document",
              help="document: ảnh xám; text: đen trắng, nhỏ nhất cho trang chữ.")  # fmt: skip
@click.option("--consent/--no-consent", default=False,
              help="Người nộp đã đồng ý cho xử lý dữ liệu cá nhân (bắt buộc).")  # fmt: skip
@click.option("--place", default="", help="Nơi thu hồ sơ (thôn, hộ...).")
@click.option("--note", default="", help="Ghi chú cho cán bộ một cửa.")
@click.pass_context
def capture(ctx: click.Context, /, **options: Any) -> None:
    """Thu một hồ sơ khi không có mạng: ảnh được chuẩn hoá và xếp hàng chờ gửi."""
    from field_sync.capture import CaptureError, capture_dossier

    outbox = _outbox(ctx)
    try:
        dossier_id = capture_dossier(outbox, **options)
    except CaptureError as exc:
        _stop(Exit.refused, f"[red]Không lưu được hồ sơ:[/red] {exc}")
    console.print(f"[green]Đã lưu[/green] hồ sơ {dossier_id} vào hàng đợi.")


@main.command(name="supplement")
@click.argument("dossier")
@click.option("--scan", "scans", multiple=True, required=True, metavar="KHOÁ=ĐƯỜNG_DẪN",
              help=SCAN_HELP)  # fmt: skip
@click.option("--note", default="", help="Ghi chú cho cán bộ một cửa.")
@click.pass_context
def supplement(ctx: click.Context, dossier: str, scans: tuple[str, ...], note: str) -> None:
    """Xếp hàng các trang bổ sung mà bộ phận một cửa yêu cầu cho HỒ_SƠ (mã hồ sơ hoặc mã trên
    máy); chúng được gửi ở lần `push` sau."""
    from field_sync.capture import CaptureError, queue_supplement

    outbox = _outbox(ctx)
    try:
        queue_supplement(outbox, dossier, scans, note)
    except CaptureError as exc:
        _stop(Exit.refused, f"[red]Không lưu được phần bổ sung:[/red] {exc}")
    console.print(f"[green]Đã lưu[/green] {len(scans)} trang bổ sung cho hồ sơ {dossier}.")


@main.command(name="rate")
@click.argument("dossier")
@click.argument("level", type=click.Choice([level.value for level in SatisfactionLevel]))
@click.option("--comment", default="", help="Ý kiến của người dân.")
@click.pass_context
def rate(ctx: click.Context, dossier: str, level: str, comment: str) -> None:
    """Ghi mức độ hài lòng của người dân với HỒ_SƠ (very_satisfied: rất hài lòng, satisfied: hài
    lòng, neutral: bình thường, dissatisfied: không hài lòng, very_dissatisfied: rất không hài
    lòng); gửi ở lần `push` sau."""
    from field_sync.capture import CaptureError, queue_rating

    outbox = _outbox(ctx)
    try:
        queue_rating(outbox, dossier, level, comment)
    except CaptureError as exc:
        _stop(Exit.refused, f"[red]Không lưu được đánh giá:[/red] {exc}")
    console.print(f"[green]Đã lưu[/green] đánh giá «{SatisfactionLevel(level).label}».")


@main.command(name="postal")
@click.argument("dossier")
@click.argument("address", required=False)
@click.option(
    "--counter", is_flag=True, help="Thôi gửi bưu chính: nhận kết quả tại bộ phận một cửa."
)
@click.pass_context
def postal(ctx: click.Context, dossier: str, address: str | None, counter: bool) -> None:
    """Ghi yêu cầu của người dân nhận kết quả của HỒ_SƠ qua bưu chính công ích tại ĐỊA_CHỈ
    (hoặc, với --counter, lại nhận tại bộ phận một cửa); gửi ở lần `push` sau."""
    from field_sync.capture import CaptureError, queue_delivery

    if counter == (address is not None):
        _stop(Exit.usage, "[red]Cần ĐỊA_CHỈ nhận qua bưu chính, hoặc --counter.[/red]")
    outbox = _outbox(ctx)
    try:
        queue_delivery(outbox, dossier, None if counter else address)
    except CaptureError as exc:
        _stop(Exit.refused, f"[red]Không lưu được yêu cầu:[/red] {exc}")
    method = DeliveryMethod.counter if counter else DeliveryMethod.post
    console.print(f"[green]Đã lưu[/green] yêu cầu nhận kết quả {method.label.lower()}.")


@main.command(name="outbox")
@click.pass_context
def show_outbox(ctx: click.Context) -> None:
    """Các hồ sơ trên máy và mỗi hồ sơ đã đi đến đâu."""
    outbox = _outbox(ctx)
    table = Table("Hồ sơ", "Thủ tục", "Người nộp", "Trên máy", "Mã hồ sơ", "Tại một cửa", "Ghi chú")
    catalog = outbox.catalog()
    for row in outbox.dossiers():
        body = outbox.body(row)
        office = row["status_label"]
        if office and row["due_date"]:
            office += f", hẹn {date.fromisoformat(row['due_date']):%d/%m/%Y}"
        procedure = catalog.get(body.procedure_code)
        table.add_row(
            row["id"],
            procedure.name if procedure else body.procedure_code,
            body.applicant.full_name,
            OutboxState(row["state"]).label,
            row["code"] or "",
            office,
            row["detail"] or row["outcome_code"] or "",
        )
    console.print(table)
    items = outbox.items()
    if items:
        later = Table("Gửi sau", "Hồ sơ", "Trên máy", "Ghi chú")
        for item in items:
            later.add_row(
                ItemKind(item["kind"]).label,
                item["dossier_ref"],
                OutboxState(item["state"]).label,
                item["detail"] or "",
            )
        console.print(later)


def _push_once(agent: Agent, as_json: bool, report: PushReport) -> PushReport:
    if as_json:
        return agent.push(report)
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

        agent.progress = progress
        return agent.push(report)


@main.command(epilog=EPILOG)
@click.option("--json", "as_json", is_flag=True, help="In kết quả dạng JSON.")
@click.option("--until-done", is_flag=True,
              help="Mất mạng thì chờ rồi gửi tiếp, đến khi gửi hết (Ctrl+C để dừng).")  # fmt: skip
@click.pass_context
def push(ctx: click.Context, as_json: bool, until_done: bool) -> None:
    """Gửi các hồ sơ đang chờ: bản kê, tải ảnh (tiếp tục từ chỗ bị ngắt), xác nhận."""
    outbox = _outbox(ctx)
    report = PushReport()
    with _session(outbox, "gửi hồ sơ") as session:
        agent = Agent(outbox, session)
        pause = 5.0
        while True:
            try:
                _push_once(agent, as_json, report)
            except LinkDownError as exc:
                if not until_done:
                    raise
                err.print(
                    f"[yellow]Mất kết nối ({exc}); hồ sơ vẫn an toàn trên máy. "
                    f"Thử lại sau {pause:.0f} giây…[/yellow]"
                )
                time.sleep(pause)
                pause = min(pause * 2, 60.0)
                continue
            break
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
                    "blocked": {
                        batch: {"code": str(refusal.code), "detail": refusal.detail}
                        for batch, refusal in report.blocked.items()
                    },
                },
                ensure_ascii=False,
            )
        )
        if report.blocked:
            sys.exit(Exit.refused)
        return
    for batch, refusal in report.blocked.items():
        err.print(
            f"[red]Lô {batch} chưa gửi được:[/red] {refusal.detail} "
            "(lô vẫn ở trên máy và được gửi lại ở lần sau; các lô khác vẫn đi)"
        )
    if not report.batches:
        console.print("Không có hồ sơ nào chờ gửi." if not report.blocked else "")
        if report.blocked:
            sys.exit(Exit.refused)
        return
    console.print(
        f"Đã gửi {report.batches} lô: "
        + ", ".join(f"{n} {k.label.lower()}" for k, n in outcomes.items())
    )
    for result in report.results:
        if not result.outcome.settled:
            console.print(
                f"[red]  {result.dossier_id}: {result.outcome.label}[/red] {result.detail}"
            )
    if report.blocked:
        sys.exit(Exit.refused)


@main.command(epilog=EPILOG)
@click.option("--json", "as_json", is_flag=True, help="In các tin dạng JSON.")
@click.pass_context
def pull(ctx: click.Context, as_json: bool) -> None:
    """Nhận tin của bộ phận một cửa: tiếp nhận, yêu cầu bổ sung, kết quả."""
    outbox = _outbox(ctx)
    with _session(outbox, "nhận tin") as session:
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
    describe = _Describer(outbox)
    for change in report.changes:
        console.print(describe(change))


class _Describer:
    """A change in the words a team member tells the household."""

    def __init__(self, outbox: Outbox) -> None:
        self.catalog = outbox.catalog()
        self.local = {row["id"]: outbox.body(row) for row in outbox.dossiers()}

    def _document_name(self, procedure: Procedure | None, key: str) -> str:
        procedures = [procedure] if procedure else list(self.catalog.values())
        for p in procedures:
            for d in p.documents:
                if d.key == key:
                    return d.name
        return key

    def __call__(self, change: Change) -> str:
        body = self.local.get(change.dossier_id)
        procedure = self.catalog.get(body.procedure_code) if body else None
        who = f" của {body.applicant.full_name}" if body else ""
        name = change.dossier_code or "(chưa có mã)"
        line = f"Hồ sơ {name}{who}: {change.status.label}"
        if change.action == Action.receive and change.due_date:
            line += f", hẹn trả kết quả ngày {change.due_date:%d/%m/%Y}"
        payload = change.payload
        if change.action == Action.extend and payload.new_due_date:
            line += f"; cơ quan xin lỗi, hẹn lại ngày {payload.new_due_date:%d/%m/%Y}"
        for item in payload.items:
            document = self._document_name(procedure, item.document_key)
            note = f": {item.note}" if item.note else ""
            line += f"\n  - cần bổ sung «{document}» ({item.problem.label}){note}"
        if payload.items:
            line += (
                f"\n  Chụp các trang rồi chạy: field-sync supplement "
                f"{change.dossier_code or change.dossier_id} --scan KHOÁ=ẢNH"
            )
        if payload.reason:
            line += f" (lý do: {payload.reason})"
        if payload.result_summary:
            line += f" ({payload.result_summary})"
        if change.action == CHANGE_DELIVERY and payload.channel is not None:
            where = payload.channel.label.lower()
            line += f"; nhận kết quả {where}" + (f": {payload.address}" if payload.address else "")
        return line


@main.command(name="cover-sheet")
@click.option("--procedure", "procedure_code", required=True, help="Mã thủ tục.")
@click.option(
    "--doc",
    "keys",
    multiple=True,
    metavar="KHOÁ",
    help="Trang quét sau phiếu, theo thứ tự (mặc định: mỗi giấy tờ một trang).",
)
@click.option("--consent/--no-consent", default=False,
              help="Người nộp đã ký phiếu đồng ý xử lý dữ liệu cá nhân (bắt buộc).")  # fmt: skip
@click.option("--note", default="", help="Ghi chú in trên phiếu.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Tệp PNG (khổ A5) để in.")  # fmt: skip
@click.pass_context
def cover_sheet(
    ctx: click.Context,
    procedure_code: str,
    keys: tuple[str, ...],
    consent: bool,
    note: str,
    out: Path,
) -> None:
    """In phiếu bìa (PNG, A5) để quét trước các trang của một hồ sơ ở máy đang theo dõi."""
    from field_sync.watch import CoverSheet, render_cover_sheet

    if not consent:
        _stop(
            Exit.usage,
            "[red]Cần --consent:[/red] chỉ in phiếu bìa khi người nộp đã đồng ý cho xử lý dữ "
            "liệu cá nhân (Luật 91/2025).",
        )
    outbox = _outbox(ctx)
    procedure = outbox.catalog().get(procedure_code)
    if procedure is None:
        _stop(Exit.refused, f"[red]Thủ tục {procedure_code} không có trong danh mục.[/red]")
    known = [d.key for d in procedure.documents]
    unknown = [k for k in keys if k not in known]
    if unknown:
        _stop(
            Exit.refused,
            f"[red]Thủ tục không có giấy tờ {', '.join(unknown)}[/red] (có: {', '.join(known)})",
        )
    sheet = CoverSheet(procedure_code, keys or tuple(known), consent, note)
    out.write_bytes(render_cover_sheet(sheet, procedure))
    console.print(f"Đã tạo phiếu bìa {out}: quét nó trước {len(sheet.keys)} trang của hồ sơ.")


@main.command(epilog=EPILOG)
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--settle", default=30.0, show_default=True,
              help="Số giây các tệp của một nhóm phải đứng yên trước khi được nhận.")  # fmt: skip
@click.option("--interval", default=10.0, show_default=True, help="Số giây giữa hai lượt.")
@click.option("--consent-on-paper", is_flag=True,
              help="Người nộp ký phiếu đồng ý tại đây (cần cho quy tắc đặt tên tệp).")  # fmt: skip
@click.option("--once", is_flag=True, help="Chạy một lượt (nhận, gửi, nhận tin) rồi thoát.")
@click.pass_context
def watch(
    ctx: click.Context,
    folder: Path,
    settle: float,
    interval: float,
    consent_on_paper: bool,
    once: bool,
) -> None:
    """Nhận ảnh máy quét trong THƯ_MỤC thành hồ sơ và gửi đi mỗi khi có mạng."""
    from field_sync.watch import Watcher

    outbox = _outbox(ctx)
    server = _server(outbox, _backoff(3))
    ctx.call_on_close(server.close)
    agent = Agent(outbox, server)
    watcher = Watcher(outbox, folder, settle_s=settle, consent_on_paper=consent_on_paper)
    console.print(f"Đang theo dõi {folder} (Ctrl+C để dừng).")
    with _guarded("theo dõi thư mục"):
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
                                f"{result.outcome.label} ({result.detail})"
                            )
                    if report.batches:
                        console.print(f"Đã gửi {len(report.results)} hồ sơ.")
                describe = _Describer(outbox)
                for change in agent.pull().changes:
                    console.print(describe(change))
            except LinkDownError:
                console.print("[yellow]Chưa có kết nối tới máy chủ; sẽ thử lại.[/yellow]")
            except ProblemError as exc:
                if exc.status in (401, 403):
                    raise
                err.print(f"[red]Máy chủ từ chối ({exc.code}):[/red] {exc.detail}")
            if once:
                return
            time.sleep(interval)


@main.command()
@click.pass_context
def status(ctx: click.Context) -> None:
    """Thiết bị này, máy chủ của nó, và hàng đợi tính bằng con số."""
    outbox = _outbox(ctx)
    counts: dict[str, int] = {}
    for row in outbox.dossiers():
        counts[row["state"]] = counts.get(row["state"], 0) + 1
    team = outbox.team()
    console.print(f"Máy chủ: {outbox.get('server') or '(chưa đăng ký)'}")
    console.print(f"Thiết bị: {outbox.get('device_id') or '-'} — {team.name if team else '-'}")
    console.print(
        "Hồ sơ: "
        + (", ".join(f"{OutboxState(k).label} {n}" for k, n in sorted(counts.items())) or "0")
    )
    console.print(f"Tin đã nhận đến số {outbox.get('cursor', '0')}")
