"""The authorisation matrix: every operation and page of the app × eleven principals.

The operations are read from the app's route table, so a new route is covered the moment it
exists (a path parameter the matrix cannot fill fails the test). What each cell must answer is
derived from the route's own declaration (public, device-only, or the permissions its guards
``require``) and the role table (``backend/auth/roles.py``, which ``docs/security.md`` states
and ``tests/test_security_doc.py`` keeps equal):

- anonymous: 401 on the API and on a page's form, a redirect to the login page for a page,
  anything but 401 on a public route;
- a revoked device: 401 ``device_revoked`` wherever credentials are read;
- a device on a staff route, and staff on a device route: 403;
- staff without a permission the route requires: 403; with all of them: passes;
- commune B (and another team's device) reading one of commune A's objects: 404.

"Passes" means the guard let the request through: neither 401 nor 403, nor a server error.
Requests that would change something carry a body that fails to parse (the guard runs first)
or name an object that does not exist, so the matrix changes nothing as it goes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from litestar import Litestar

from backend.auth.roles import permissions_of
from backend.openapi import OPERATIONS, error_codes
from schemas.accounts import Role
from tests.security.conftest import World

pytestmark = pytest.mark.attack

STAFF = {
    "admin.a": Role.admin,
    "clerk.a": Role.clerk,
    "viewer.a": Role.viewer,
    "admin.b": Role.admin,
    "clerk.b": Role.clerk,
    "viewer.b": Role.viewer,
}
DEVICES = ["dev:a1", "dev:a2", "dev:b", "dev:revoked"]
PRINCIPALS = [None, *STAFF, *DEVICES]
SAFE = {"GET", "HEAD"}
MISSING = {
    "team_id": "2147483647",
    "procedure_id": "2147483647",
    "override_id": "2147483647",
    "user_id": "2147483647",
    "token_id": "2147483647",
    "device_id": "00000000000000000000000000",
    "dossier_id": "00000000000000000000000000",
    "batch_id": "00000000000000000000000000",
    "upload_id": "0" * 32,
}
"""Objects that do not exist, for requests that would change the ones that do."""
OWNED = {"team_id", "procedure_id", "override_id", "user_id", "device_id", "dossier_id"}
"""Parameters naming an object of commune A: commune B gets a 404."""
DEVICE_OWNED = {"upload_id", "batch_id"}
"""Parameters naming an object of device A1: every other device gets a 404."""


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    params: tuple[str, ...]
    public: bool
    device: bool
    permissions: frozenset[Any]
    documented: frozenset[str] | None = None
    """The error codes the served OpenAPI lists for it (None: not in the document)."""

    @property
    def page(self) -> bool:
        return not self.path.startswith(("/api/", "/schema", "/thiet-bi", "/static"))

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def operations(app: Litestar) -> list[Operation]:
    """Every method of every route the app serves (Litestar's automatic OPTIONS aside)."""
    found = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if handler.handler_name == "options_handler":
                continue
            permissions = frozenset(
                g.permission for g in handler.resolve_guards() if hasattr(g, "permission")
            )
            for method in sorted(handler.http_methods):
                found.append(
                    Operation(
                        method=method,
                        path=route.path,
                        params=tuple(
                            p if isinstance(p, str) else p.name for p in route.path_parameters
                        ),
                        public=bool(handler.opt.get("exclude_from_auth"))
                        or route.path.startswith("/schema"),
                        device="device" in handler.resolve_dependencies(),
                        permissions=permissions,
                        documented=frozenset(error_codes(route, handler, method))
                        if (method, route.path_format) in OPERATIONS
                        else None,
                    )
                )
    return found


def _values(world: World, app: Litestar) -> dict[str, str]:
    services = app.state.services
    return {
        "team_id": str(world.team_a),
        "procedure_id": str(world.extra["procedure_id"]),
        "override_id": str(world.override_id),
        "user_id": str(world.staff["clerk.a"].user_id),
        "token_id": str(world.extra["token_id"]),
        "device_id": world.devices["a1"].id,
        "dossier_id": world.dossier_id,
        "batch_id": world.batch_id,
        "upload_id": world.upload_url.rsplit("/", 1)[1],
        "sha256": world.page,
        "form": "mau-01",
        "action": "refuse",
        "change": "khoa",
        "code": world.dossier_code,
        "relative": "index.html",
        "file_path": "app.css",
        "path": "openapi.yaml",
        "_services": services,
    }


def expected(op: Operation, who: str | None) -> str:
    """``pass``, ``401``, ``403``, ``404`` or ``login`` (a redirect to the login page)."""
    if op.public:
        return "public"
    if who == "dev:revoked":
        return "401"
    if who is None:
        return "login" if op.page and op.method == "GET" else "401"
    if who.startswith("dev:"):
        if not op.device:
            return "403"
        owned = DEVICE_OWNED & set(op.params)
        return "404" if owned and op.method in SAFE and who != "dev:a1" else "pass"
    if op.device:
        return "403"
    if not op.permissions <= permissions_of(STAFF[who]):
        return "403"
    cross = who.endswith(".b") and op.method in SAFE and OWNED & set(op.params)
    return "404" if cross else "pass"


def _classify(op: Operation, response: Any) -> str:
    status = response.status_code
    if status >= 500:
        return f"server error {status}"
    if status == 404 and op.method not in SAFE and MISSING.keys() & set(op.params):
        return "pass"  # through the guard to an object that does not exist, as aimed
    if status in (401, 403, 404):
        return str(status)
    redirect = response.headers.get("location", "").startswith("/dang-nhap")
    if status in (302, 303) and redirect and op.method == "GET":
        return "login"
    return "pass"


async def _send(world: World, op: Operation, who: str | None, values: dict[str, str]) -> Any:
    path = op.path
    for name in op.params:
        if name not in values:
            raise AssertionError(f"{op}: the matrix has no value for {{{name}}}")
        value = values[name] if op.method in SAFE or name not in MISSING else MISSING[name]
        path = path.replace("{" + name + ":int}", value).replace("{" + name + ":str}", value)
        path = path.replace("{" + name + ":path}", value)
    headers = world.auth(who)
    if path.startswith("/api/v1/uploads"):
        headers = {**headers, "Tus-Resumable": "1.0.0"}
    client = world.client
    if op.method in SAFE:
        return await client.request(op.method, path, headers=headers)
    if op.page:
        return await client.request(op.method, path, data={}, headers=headers)
    return await client.request(
        op.method, path, content=b"{", headers={**headers, "Content-Type": "application/json"}
    )


async def test_matrix__every_operation_answers_every_principal_as_the_role_table_says(
    world: World, app: Litestar
) -> None:
    tokens = await world.client.get("/api/v1/auth/tokens", headers=world.auth("clerk.a"))
    world.extra["token_id"] = tokens.json()[0]["id"]
    procedures = await world.client.get("/api/v1/procedures", headers=world.auth("clerk.a"))
    world.extra["procedure_id"] = procedures.json()[0]["id"]
    values = _values(world, app)
    ops = operations(app)
    cells, wrong = 0, []
    for op in ops:
        for who in PRINCIPALS:
            response = await _send(world, op, who, values)
            got, want = _classify(op, response), expected(op, who)
            cells += 1
            if op.documented is not None and response.status_code >= 400 and op.method != "HEAD":
                code = response.json()["code"]
                if code not in op.documented:
                    wrong.append(f"{op} as {who}: {code} is not in its OpenAPI errors")
            if want == "public":
                if got in ("401",) or got.startswith("server"):
                    wrong.append(f"{op} as {who}: public route answered {response.status_code}")
            elif got != want:
                wrong.append(f"{op} as {who}: {response.status_code} ({got}), want {want}")
    assert len(ops) >= 90, len(ops)
    assert cells == len(ops) * len(PRINCIPALS)
    assert not wrong, f"{len(wrong)} of {cells} cells:\n" + "\n".join(wrong)
