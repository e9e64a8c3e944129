"""Demo data: two communes with teams, staff accounts, the procedure catalog, and five months
of dossiers in Cô Tô (``history``).

The agency codes are marked ``DEMO`` on purpose: a commune sets its real one-stop office code
(``PATCH /api/v1/commune``) before it receives dossiers.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import msgspec

from backend.accounts.tables import User
from backend.auth.principal import Principal
from backend.communes.tables import Team
from backend.demo.history import seed_history
from backend.wiring import Services
from schemas.accounts import Role, UserCreate
from schemas.catalog import CatalogDocument
from schemas.communes import TeamCreate, TeamKind

__all__ = ["DEMO_COMMUNES", "DEMO_USERS", "DemoUser", "load_demo_catalog", "seed"]

DEMO_COMMUNES = {"07192": "DEMO.07192", "18073": "DEMO.18073"}
"""Đặc khu Cô Tô (an island served over 2G/3G) and Phường Thành Sen, with demo agency codes."""


@dataclass(frozen=True)
class DemoUser:
    """A demo login printed by ``make run``."""

    username: str
    password: str
    role: Role
    commune: str
    full_name: str


DEMO_USERS = (
    DemoUser("admin.coto", "demo-admin-2026", Role.admin, "07192", "Quản trị Cô Tô"),
    DemoUser("clerk.coto", "demo-clerk-2026", Role.clerk, "07192", "Nguyễn Thị Lan"),
    DemoUser("viewer.coto", "demo-viewer-2026", Role.viewer, "07192", "Trần Văn Minh"),
    DemoUser("admin.thanhsen", "demo-admin-2026", Role.admin, "18073", "Quản trị Thành Sen"),
    DemoUser("clerk.thanhsen", "demo-clerk-2026", Role.clerk, "18073", "Lê Thị Hoa"),
)

DEMO_TEAMS = {
    "07192": (
        TeamCreate(kind=TeamKind.roaming, name="Tổ lưu động số 1", leader_name="Phạm Văn Hải"),
        TeamCreate(
            kind=TeamKind.residential_point,
            name="Tổ dân phố điện tử Thôn Bắc Vàn",
            cultural_house_address="Nhà văn hoá thôn Bắc Vàn, đặc khu Cô Tô",
        ),
    ),
    "18073": (
        TeamCreate(kind=TeamKind.roaming, name="Tổ lưu động phường Thành Sen"),
        TeamCreate(
            kind=TeamKind.residential_point,
            name="Tổ dân phố điện tử số 5",
            cultural_house_address="Nhà văn hoá tổ dân phố 5, phường Thành Sen",
        ),
    ),
}


def load_demo_catalog() -> CatalogDocument:
    """The shipped catalog of real commune-level procedures (see docs/catalog.md)."""
    raw = resources.files("backend.demo").joinpath("catalog.json").read_bytes()
    return msgspec.json.decode(raw, type=CatalogDocument)


async def seed(services: Services) -> None:
    """Create whatever demo data is missing; running it again changes nothing."""
    catalog = load_demo_catalog()
    for code, agency_code in DEMO_COMMUNES.items():
        await services.communes.register(code, agency_code)
        admin = next(u for u in DEMO_USERS if u.commune == code and u.role is Role.admin)
        for user in (u for u in DEMO_USERS if u.commune == code):
            if not await User.exists().where(User.username == user.username):
                await services.accounts.create_user(
                    code,
                    UserCreate(
                        username=user.username,
                        password=user.password,
                        role=user.role,
                        full_name=user.full_name,
                    ),
                )
        principal = Principal(
            user_id=0, username=admin.username, role=Role.admin, commune_code=code, via="token"
        )
        for team in DEMO_TEAMS[code]:
            if not await Team.exists().where((Team.commune == code) & (Team.name == team.name)):
                await services.communes.create_team(principal, team)
        await services.catalog.import_catalog(principal, catalog)
    clerk = next(u for u in DEMO_USERS if u.commune == "07192" and u.role is Role.clerk)
    await seed_history(services, "07192", clerk.username, services.ctx.clock.now())


async def field_enrolment(services: Services, server_url: str) -> tuple[str, str]:
    """A fresh enrolment code for Cô Tô's first roaming team: (team name, code), for the demo."""
    admin = next(u for u in DEMO_USERS if u.commune == "07192" and u.role is Role.admin)
    user_id = await services.accounts.find_user_id(admin.username)
    principal = Principal(
        user_id=user_id or 0, username=admin.username, role=Role.admin, commune_code="07192",
        via="token",
    )  # fmt: skip
    team = next(
        t
        for t in await services.communes.list_teams(principal)
        if t.kind is TeamKind.roaming and t.active
    )
    issued = await services.devices.issue_code(principal, team.id, server_url)
    return team.name, issued.code
