"""Watching a scanner's output folder at a residential-group point.

The operator scans; the scanner software drops image files into one folder. Files are grouped
into dossiers by either of two rules (see docs/architecture.md):

- **Cover sheet.** A page whose QR code is a Lưu Động cover sheet (``field-sync cover-sheet``)
  starts a dossier; the pages after it, in file-name order, up to the next cover sheet, are its
  documents, one page for each document key the sheet lists, in that order.
- **Naming rule.** ``<procedure code>_<group>_<document key>[_<page>].<ext>``, for example
  ``1.004873_ho-tran-dat_to_khai_1.jpg``: every file with the same procedure and group is one
  dossier.

The applicant's fields come from the QR code of the ID card among the pages. A group is taken
only once all its files have stopped changing for ``settle_s`` seconds (the scanner is done with
them). A captured group's files move to ``da-ghi-nhan/<dossier id>/``; a group that cannot be
captured moves to ``can-xem-lai/<group>/`` with a ``LY-DO.txt`` saying why, for the operator to
fix and drop again. The group's fingerprint (names and content hashes of its files) is stored
with the dossier in one transaction, so a watcher killed between capture and the move never
captures the same files twice.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import segno
from PIL import Image, ImageDraw

import media
from field_sync.capture import CaptureError, capture_dossier
from field_sync.outbox import Outbox
from media import fonts
from media.store import fsync_dir
from schemas.catalog import Procedure
from schemas.cccd import ID_CARD_DOCUMENT
from schemas.common import vietnam_date

__all__ = ["CoverSheet", "Outcome", "Watcher", "render_cover_sheet"]

COVER_PREFIX = "LUUDONG-COVER/1 "
_IMAGES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp"}
DONE_DIR = "da-ghi-nhan"
HELD_DIR = "can-xem-lai"
_PAGE = re.compile(r"^(?P<rest>.+?)(?:_(?P<page>\d+))?$")


@dataclass(frozen=True)
class CoverSheet:
    """What a cover sheet's QR carries: the procedure, the pages that follow, consent."""

    procedure_code: str
    keys: tuple[str, ...]
    consent: bool
    note: str = ""

    def payload(self) -> str:
        """The QR text."""
        body = {"p": self.procedure_code, "k": list(self.keys), "c": int(self.consent)}
        if self.note:
            body["n"] = self.note
        return COVER_PREFIX + json.dumps(body, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def parse(cls, text: str) -> CoverSheet | None:
        """The cover sheet a QR text describes, or None if it is not one."""
        if not text.startswith(COVER_PREFIX):
            return None
        try:
            body = json.loads(text[len(COVER_PREFIX) :])
            return cls(str(body["p"]), tuple(str(k) for k in body["k"]), bool(body["c"]),
                       str(body.get("n", "")))  # fmt: skip
        except (ValueError, KeyError, TypeError):
            return None


def render_cover_sheet(sheet: CoverSheet, procedure: Procedure) -> bytes:
    """An A5 page (PNG, 150 dpi) with the QR code and, for people, what to scan after it."""
    width, height = 874, 1240
    page = Image.new("L", (width, height), 255)
    qr = segno.make(sheet.payload(), error="m", micro=False)
    buffer = io.BytesIO()
    qr.save(buffer, kind="png", scale=6, border=4)
    code = Image.open(io.BytesIO(buffer.getvalue())).convert("L")
    page.paste(code, ((width - code.width) // 2, 60))
    draw = ImageDraw.Draw(page)
    font, bold = fonts.font(26), fonts.font(30, bold=True)
    y = 80 + code.height
    draw.text((60, y), "PHIẾU BÌA HỒ SƠ", font=bold, fill=0)
    y += 50
    names = {d.key: d.name for d in procedure.documents}
    lines = [
        f"Thủ tục {procedure.code}: {procedure.name}",
        "Đã có sự đồng ý của người nộp" if sheet.consent else "CHƯA có sự đồng ý của người nộp",
        "Quét lần lượt sau phiếu này:",
        *(f"  {n}. {names.get(k, k)}" for n, k in enumerate(sheet.keys, start=1)),
    ]
    if sheet.note:
        lines.append(f"Ghi chú: {sheet.note}")
    for line in lines:
        for part in _wrap(draw, line, font, width - 120):
            draw.text((60, y), part, font=font, fill=0)
            y += 36
    out = io.BytesIO()
    page.save(out, "PNG", dpi=(150, 150))
    return out.getvalue()


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: Any, width: int) -> list[str]:
    lines, current = [], ""
    for word in text.split(" "):
        trial = f"{current} {word}" if current else word
        if current and draw.textlength(trial, font=font) > width:
            lines.append(current)
            current = word
        else:
            current = trial
    return [*lines, current]


@dataclass
class Group:
    """Files that make one dossier."""

    label: str
    procedure_code: str | None
    pages: list[tuple[str, Path]] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    consent: bool = False
    problem: str | None = None
    card: Path | None = None
    """The ID card page, when it fills the applicant without being one of the documents."""


@dataclass(frozen=True)
class Outcome:
    """What became of a group: ``captured`` (with its dossier id) or ``held`` (with why)."""

    label: str
    state: str
    dossier_id: str | None = None
    reason: str = ""


class Watcher:
    """Turns settled groups of scanner files into queued dossiers."""

    def __init__(
        self,
        outbox: Outbox,
        folder: Path,
        *,
        settle_s: float = 30.0,
        consent_on_paper: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.outbox = outbox
        self.folder = Path(folder)
        self.settle_s = settle_s
        self.consent_on_paper = consent_on_paper
        self.clock = clock
        self._qr: dict[tuple[str, int, int], list[str]] = {}

    def scan(self) -> list[Outcome]:
        """Capture (or hold) every group whose files have settled; return what happened."""
        files = sorted(
            (p for p in self.folder.iterdir() if p.is_file() and p.suffix.lower() in _IMAGES),
            key=_natural,
        )
        now = self.clock()
        names = {p.name for p in files}
        # Forget decoded pages that left the folder: a watcher runs for months.
        self._qr = {key: texts for key, texts in self._qr.items() if key[0] in names}
        procedures = self.outbox.catalog()
        outcomes = []
        for group in self._groups(files, procedures):
            if any(now - p.stat().st_mtime < self.settle_s for p in group.files):
                continue  # the scanner may still be writing this group
            outcomes.append(self._take(group))
        return outcomes

    # --- grouping -------------------------------------------------------------------------

    def _groups(self, files: list[Path], procedures: dict[str, Procedure]) -> list[Group]:
        named: dict[tuple[str, str], Group] = {}
        sequence: list[Path] = []
        for path in files:
            parsed = _parse_name(path.stem, procedures)
            if parsed is None:
                sequence.append(path)
                continue
            procedure_code, label, key = parsed
            group = named.setdefault(
                (procedure_code, label),
                Group(f"{procedure_code}_{label}", procedure_code, consent=self.consent_on_paper),
            )
            group.pages.append((key, path))
            group.files.append(path)
        groups = list(named.values())
        for group in groups:
            if not group.consent:
                group.problem = (
                    "quy tắc đặt tên cần xác nhận đã có phiếu đồng ý (--consent-on-paper) "
                    "hoặc dùng phiếu bìa"
                )
        return groups + self._cover_groups(sequence)

    def _cover_groups(self, files: list[Path]) -> list[Group]:
        groups: list[Group] = []
        current: Group | None = None
        orphans: list[Path] = []
        sheet: CoverSheet | None = None
        pending: list[Path] = []

        def close() -> None:
            if current is None or sheet is None:
                return
            current.files.extend(pending)
            # The ID card page is recognised by its QR, wherever it was scanned: it is the
            # ``cccd`` document when the sheet lists one, otherwise it only fills the applicant
            # and is not filed (an ID scan is kept only where the procedure asks for it).
            card = next((p for p in pending if any(_is_cccd(t) for t in self._texts(p))), None)
            keys = list(sheet.keys)
            filed_card = card is not None and ID_CARD_DOCUMENT in keys
            if filed_card:
                keys.remove(ID_CARD_DOCUMENT)
            elif card is not None:
                current.card = card
            others = [p for p in pending if p is not card]
            if len(others) != len(keys):
                current.problem = (
                    f"phiếu bìa ghi {len(sheet.keys)} trang nhưng có {len(pending)} trang sau nó"
                    if current.card is None
                    else f"phiếu bìa ghi {len(sheet.keys)} trang nhưng có {len(others)} trang "
                    "sau nó (không kể trang căn cước)"
                )
            remaining = iter(keys)
            for path in pending:
                if path is card and filed_card:
                    current.pages.append((ID_CARD_DOCUMENT, path))
                elif path is not card and (key := next(remaining, None)) is not None:
                    current.pages.append((key, path))

        for path in files:
            cover = next(
                (c for t in self._texts(path) if (c := CoverSheet.parse(t)) is not None), None
            )
            if cover is None:
                (pending if current is not None else orphans).append(path)
                continue
            close()
            sheet, pending = cover, []
            current = Group(path.stem, cover.procedure_code, files=[path], consent=cover.consent)
            if not cover.consent:
                current.problem = "phiếu bìa không ghi sự đồng ý của người nộp"
            groups.append(current)
        close()
        if orphans:
            groups.insert(
                0,
                Group(
                    orphans[0].stem,
                    None,
                    files=orphans,
                    problem="trang không theo quy tắc đặt tên và không có phiếu bìa đứng trước",
                ),
            )
        return groups

    def _texts(self, path: Path) -> list[str]:
        """The QR texts on a page, decoded once per file version."""
        stat = path.stat()
        key = (path.name, stat.st_size, stat.st_mtime_ns)
        if key not in self._qr:
            try:
                self._qr[key] = [c.text for c in media.decode_qr(path.read_bytes())]
            except media.MediaError:
                self._qr[key] = []
        return self._qr[key]

    # --- capture --------------------------------------------------------------------------

    def _take(self, group: Group) -> Outcome:
        fingerprint = _fingerprint(group.files)
        dossier_id = self.outbox.dossier_from(fingerprint)
        if dossier_id is None and group.problem is None:
            try:
                dossier_id = self._capture(group, fingerprint)
            except CaptureError as exc:
                group.problem = str(exc)
        if dossier_id is not None:
            self._move(group.files, self.folder / DONE_DIR / dossier_id)
            return Outcome(group.label, "captured", dossier_id)
        reason = group.problem or ""
        target = _unused(self.folder / HELD_DIR / group.label)
        self._move(group.files, target, note=reason)
        return Outcome(group.label, "held", reason=reason)

    def _capture(self, group: Group, fingerprint: str) -> str:
        card = group.card or next(
            (path for _, path in group.pages if any(_is_cccd(t) for t in self._texts(path))), None
        )
        if card is None:
            raise CaptureError("không có trang nào mang mã QR của căn cước công dân")
        return capture_dossier(
            self.outbox,
            procedure_code=group.procedure_code or "",
            scans=tuple(f"{key}={path}" for key, path in group.pages),
            consent=group.consent,
            cccd_qr=card,
            place="Điểm tổ dân cư điện tử",
            source=fingerprint,
        )

    def _move(self, files: list[Path], target: Path, note: str = "") -> None:
        target.mkdir(parents=True, exist_ok=True)
        if note:
            (target / "LY-DO.txt").write_text(note + "\n", encoding="utf-8")
        for path in files:
            os.replace(path, target / path.name)
        fsync_dir(target)
        fsync_dir(self.folder)


def _parse_name(stem: str, procedures: dict[str, Procedure]) -> tuple[str, str, str] | None:
    """(procedure, group, document key) from ``<procedure>_<group>_<key>[_<page>]``."""
    procedure_code, sep, rest = stem.partition("_")
    procedure = procedures.get(procedure_code)
    if not sep or procedure is None:
        return None
    for candidate in (rest, _PAGE.match(rest).group("rest")):  # type: ignore[union-attr]
        for key in sorted((d.key for d in procedure.documents), key=len, reverse=True):
            label, sep, tail = candidate.rpartition("_" + key)
            if sep and not tail and label:
                return procedure_code, label, key
    return None


def _natural(path: Path) -> list[Any]:
    """File-name order with numbers compared as numbers (scan_9 before scan_10)."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.name)]


def _is_cccd(text: str) -> bool:
    try:
        media.parse_cccd(text, today=vietnam_date())
    except media.CccdError:
        return False
    return True


def _fingerprint(files: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(files, key=_natural):
        digest.update(path.name.encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _unused(path: Path) -> Path:
    candidate, n = path, 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.name}-{n}")
    return candidate
