"""Demo dossiers: five months of one commune's work, so the inbox and the report have something
to show. They go through the real services on a clock that walks through those months."""

from __future__ import annotations

import io
import random
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

import segno
from PIL import Image, ImageDraw

from backend.auth.principal import Principal
from backend.clock import VN_TZ, FrozenClock, local_date
from backend.communes.tables import Team
from backend.dossiers.lifecycle import Actor, FieldCapture
from backend.dossiers.tables import Dossier
from backend.wiring import Services
from media import fonts
from schemas import dossiers as wire
from schemas.accounts import Role
from schemas.dossiers import Action

__all__ = ["seed_history"]

_NAMES = [
    ("Nguyễn Văn An", "022090001234", "1990-03-14", "male"),
    ("Trần Thị Bích", "022193004321", "1993-07-02", "female"),
    ("Phạm Văn Cường", "022085007788", "1985-11-23", "male"),
    ("Lê Thị Dung", "022198002211", "1998-01-30", "female"),
    ("Hoàng Văn Em", "022079009090", "1979-05-05", "male"),
    ("Vũ Thị Giang", "022201003456", "2001-09-17", "female"),
]
_PLACES = ["Thôn Bắc Vàn", "Thôn Nam Hà", "Thôn Hải Tiến", "Khu 1 Cô Tô"]


def _page(title: str, seed: int) -> bytes:
    """A plain grayscale page standing in for a scanned form."""
    page = Image.new("L", (1240, 1754), 250)
    draw = ImageDraw.Draw(page)
    draw.text((120, 140), title.upper(), font=fonts.font(34), fill=20)
    rng = random.Random(seed)  # noqa: S311 - page decoration, not security
    for line in range(28):
        y = 260 + line * 48
        draw.line((120, y, 120 + rng.randint(500, 1000), y), fill=110, width=3)
    out = io.BytesIO()
    page.save(out, "JPEG", quality=70)
    return out.getvalue()


def _card(name: str, id_number: str, birth: str, gender: str) -> bytes:
    """An ID card scan: the QR on its back with the card's fields."""
    day = f"{birth[8:10]}{birth[5:7]}{birth[0:4]}"
    text = f"{id_number}||{name}|{day}|{'Nam' if gender == 'male' else 'Nữ'}|Cô Tô|01072021"
    out = io.BytesIO()
    segno.make(text, error="m", encoding="utf-8").save(out, kind="png", scale=8, border=4)
    return out.getvalue()


async def seed_history(services: Services, commune: str, clerk: str, today: datetime) -> int:
    """Create the demo history of ``commune`` unless it has dossiers; return how many."""
    if await Dossier.exists().where(Dossier.commune == commune):
        return 0
    clock = FrozenClock(today)
    rebuilt = type(services).build(replace(services.ctx, clock=clock))
    principal = Principal(user_id=0, username=clerk, role=Role.clerk, commune_code=commune,
                          via="token")  # fmt: skip
    actor = Actor("user", "0", clerk)
    procedures = [
        p for p in await rebuilt.catalog.procedures(principal) if p.processing_days is not None
    ][:6]
    teams = await Team.select(Team.id).where(Team.commune == commune)
    rng = random.Random(7)  # noqa: S311 - the same demo every time, not security
    start = local_date(today) - timedelta(days=150)
    count = 0
    for n in range(48):
        day = start + timedelta(days=n * 3 + rng.randint(0, 2))
        at = datetime.combine(day, time(8, 30), VN_TZ).astimezone(UTC)
        if at >= today or day.weekday() >= 5:
            continue
        clock.set(at)  # the demo walks its own clock through the months
        name, id_number, birth, gender = _NAMES[n % len(_NAMES)]
        procedure = procedures[n % len(procedures)]
        documents = []
        for doc in procedure.documents:
            data = (
                _card(name, id_number, birth, gender)
                if doc.key == "cccd"
                else _page(doc.name[:40], n)
            )
            info = await rebuilt.ctx.blobs.put(data)
            await rebuilt.custody.grant(commune, info.sha256, "demo")
            media_type = "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"
            documents.append(
                wire.DocumentRef(key=doc.key, sha256=info.sha256, media_type=media_type)
            )
        field = n % 3 != 0 and teams
        create = wire.DossierCreate(
            procedure_code=procedure.code,
            applicant=wire.Applicant(
                full_name=name,
                id_number=id_number,
                birth_date=datetime.fromisoformat(birth).date(),
                gender=wire.Gender(gender),
                address=f"{rng.choice(_PLACES)}, Cô Tô",
            ),
            channel=wire.Channel.field_team if field else wire.Channel.counter,
            consent=True,
            documents=documents,
        )
        capture = (
            FieldCapture(
                team_id=teams[n % len(teams)]["id"],
                device_id="demo-may-tinh-bang-1",
                captured_at=at - timedelta(hours=20),
                place=rng.choice(_PLACES),
            )
            if field
            else None
        )
        dossier, _ = await rebuilt.lifecycle.create(commune, create, actor, capture=capture)
        count += 1
        if local_date(today) - day < timedelta(days=3):
            continue  # the newest ones wait in the inbox
        clock.set(at + timedelta(hours=2))
        received = await rebuilt.lifecycle.act(
            commune, dossier.id, Action.receive, wire.Receive(), actor
        )
        assert received.due_date is not None
        outcome = rng.random()  # most early, some on the day, a few late
        shift = -2 if outcome < 0.65 else 0 if outcome < 0.92 else 2
        finish = datetime.combine(received.due_date + timedelta(days=shift), time(15), VN_TZ)
        if finish.astimezone(UTC) >= today:
            continue
        clock.set(finish.astimezone(UTC))
        if n % 11 == 5:
            await rebuilt.lifecycle.act(
                commune,
                dossier.id,
                Action.request_supplement,
                wire.RequestSupplement(
                    items=[
                        wire.SupplementItem(
                            document_key=procedure.documents[0].key,
                            problem=wire.SupplementProblem.invalid,
                            note="Thiếu chữ ký",
                        )
                    ]
                ),
                actor,
            )
            continue
        await rebuilt.lifecycle.act(commune, dossier.id, Action.start_processing,
                                   wire.VersionCheck(), actor)  # fmt: skip
        await rebuilt.lifecycle.act(
            commune, dossier.id, Action.resolve, wire.Resolve(result_summary="Đã cấp"), actor
        )
    return count
