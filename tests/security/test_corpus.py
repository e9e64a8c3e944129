"""The bad-input corpus: every hostile request is a 4xx with a stable code and changes nothing.

Each case is sent to the same world (``conftest.World``) on both engines; before and after it
the row count of every table and the files of the blob store and the upload folder are taken,
and must be equal. A page case (``via="page"``) is answered with an HTML page carrying the code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
from litestar import Litestar
from litestar.exceptions import HTTPException
from litestar.routes import HTTPRoute

from backend.openapi import OPERATIONS, error_codes
from schemas.errors import ErrorCode
from tests.backend.sync.conftest import APPLICANT, PROCEDURE, metadata
from tests.security.conftest import World, snapshot

pytestmark = pytest.mark.attack

NUL, ESC, BEL = "\u0000", "\u001b", "\u0007"
RTL, ZWSP, ZWJ, BOM = "\u202e", "\u200b", "\u200d", "\ufeff"
FLOOD = "a" + "\u0301" * 40
DEEP = "[" * 20_000 + "]" * 20_000
ULID = "01JD3ZP6Y4W1T9G8QK5N2B7C0M"


@dataclass(frozen=True)
class Case:
    """One hostile request and the answer it must get."""

    name: str
    method: str
    path: str
    status: int
    code: str
    who: str | None = None
    """A staff account (``clerk.a``), a device (``dev:a1``), or None for nobody."""
    via: str = "bearer"
    """``bearer`` (the ``who`` header), ``cookie`` (clerk.a's session, no CSRF header unless
    given), or ``page`` (admin.a's logged-in browser)."""
    body: Any = None
    """JSON to send (encoded as is), or ``str`` / ``bytes`` sent raw."""
    headers: dict[str, str] = field(default_factory=dict)


def counter(**changes: Any) -> dict[str, Any]:
    return {"procedure_code": PROCEDURE["code"], "applicant": APPLICANT, "consent": True} | changes


def applicant(**changes: Any) -> dict[str, Any]:
    return counter(applicant={**APPLICANT, **changes})


def manifest(items: list[Any] | None = None, blobs: list[Any] | None = None, **kw: Any) -> Any:
    return {"batch_id": ULID, "items": items or [], "blobs": blobs or [], **kw}


def field_dossier(**changes: Any) -> dict[str, Any]:
    return {
        "type": "dossier",
        "id": ULID,
        "procedure_code": PROCEDURE["code"],
        "applicant": APPLICANT,
        "consent": True,
        "documents": [{"key": "to_khai", "sha256": "a" * 64}],
        "captured_at": "2026-03-01T03:00:00Z",
    } | changes


BLOB = {"sha256": "a" * 64, "size": 10, "media_type": "image/jpeg"}
JSON = {"Content-Type": "application/json"}
TUS = {"Tus-Resumable": "1.0.0"}
PATCH = {**TUS, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}


def create(length: str, meta: str | None = None, **headers: str) -> dict[str, str]:
    return {
        **TUS,
        "Upload-Length": length,
        "Upload-Metadata": meta if meta is not None else metadata(b"", digest="f" * 64),
        **headers,
    }


def text_cases() -> list[Case]:
    """Control, invisible and stacked characters, and blanks, in every family of text field."""
    bad = {"nul": NUL, "esc": ESC, "bel": BEL, "rtl": RTL, "zwsp": ZWSP, "zwj": ZWJ, "bom": BOM}
    cases = [
        Case(f"applicant name with {k}", "POST", "/api/v1/dossiers", 422,
             "forbidden_characters", "clerk.a", body=applicant(full_name=f"Trần{v}Đạt"))
        for k, v in bad.items()
    ]  # fmt: skip
    cases += [
        Case("applicant name of spaces", "POST", "/api/v1/dossiers", 422, "forbidden_characters",
             "clerk.a", body=applicant(full_name="   ")),
        Case("applicant name flooded with marks", "POST", "/api/v1/dossiers", 422,
             "forbidden_characters", "clerk.a", body=applicant(full_name=FLOOD)),
        Case("applicant address with a newline escape", "POST", "/api/v1/dossiers", 422,
             "forbidden_characters", "clerk.a", body=applicant(address="Thôn\u0000Bắc")),
        Case("dossier note with NUL", "POST", "/api/v1/dossiers", 422, "forbidden_characters",
             "clerk.a", body=counter(note=f"ghi{NUL}chú")),
        Case("postal address with ESC", "POST", "/api/v1/dossiers", 422, "forbidden_characters",
             "clerk.a", body=counter(delivery={"method": "post", "address": f"{ESC}[31m"})),
        Case("login name with NUL", "POST", "/api/v1/auth/login", 422, "forbidden_characters",
             body={"username": f"x{NUL}", "password": "y"}),
        Case("login name with ESC", "POST", "/api/v1/auth/login", 422, "forbidden_characters",
             body={"username": f"clerk.a{ESC}", "password": "y"}),
        Case("enrolment code with NUL", "POST", "/api/v1/devices/enroll", 422,
             "forbidden_characters", body={"code": f"ABCD{NUL}"}),
        Case("device name with RTL", "POST", "/api/v1/devices/enroll", 422,
             "forbidden_characters", body={"code": "ABCD-EFGH-JKMN", "name": f"máy{RTL}1"}),
        Case("team name with NUL", "POST", "/api/v1/teams", 422, "forbidden_characters",
             "admin.a", body={"kind": "roaming", "name": f"Tổ{NUL}"}),
        Case("team name with BEL", "POST", "/api/v1/teams", 422, "forbidden_characters",
             "admin.a", body={"kind": "roaming", "name": f"Tổ{BEL}"}),
        Case("team name of spaces", "POST", "/api/v1/teams", 422, "forbidden_characters",
             "admin.a", body={"kind": "roaming", "name": "  "}),
        Case("team name empty", "POST", "/api/v1/teams", 422, "validation_failed",
             "admin.a", body={"kind": "roaming", "name": ""}),
        Case("team phone wider than its column", "POST", "/api/v1/teams", 422,
             "validation_failed", "admin.a",
             body={"kind": "roaming", "name": "Tổ 9", "phone": "+" + "1" * 20}),
        Case("applicant phone wider than its column", "POST", "/api/v1/dossiers", 422,
             "validation_failed", "clerk.a", body=applicant(phone="+" + "1" * 20)),
        Case("team leader with ZWSP", "POST", "/api/v1/teams", 422, "forbidden_characters",
             "admin.a", body={"kind": "roaming", "name": "Tổ 9", "leader_name": f"A{ZWSP}"}),
        Case("procedure name with NUL", "POST", "/api/v1/procedures", 422,
             "forbidden_characters", "admin.a", body={"code": "1.000002", "name": f"x{NUL}"}),
        Case("document name with RTL", "POST", "/api/v1/procedures", 422,
             "forbidden_characters", "admin.a", body={"code": "1.000002", "name": "Thủ tục",
             "documents": [{"key": "a", "name": f"Tờ{RTL}khai", "kind": "original"}]}),
        Case("user full name with NUL", "POST", "/api/v1/users", 422, "forbidden_characters",
             "admin.a", body={"username": "new.user", "password": "x" * 12, "role": "clerk",
                              "full_name": f"A{NUL}"}),
        Case("token name with BOM", "POST", "/api/v1/auth/tokens", 422, "forbidden_characters",
             "clerk.a", body={"name": f"{BOM}script"}),
        Case("refusal reason of spaces", "POST", "/api/v1/dossiers/{counter}/refuse", 422,
             "forbidden_characters", "clerk.a", body={"reason": "   "}),
        Case("refusal reason with NUL", "POST", "/api/v1/dossiers/{counter}/refuse", 422,
             "forbidden_characters", "clerk.a", body={"reason": f"lý do{NUL}"}),
        Case("resolution summary empty", "POST", "/api/v1/dossiers/{counter}/resolve", 422,
             "validation_failed", "clerk.a", body={"result_summary": ""}),
        Case("supplement item note with ESC", "POST",
             "/api/v1/dossiers/{counter}/request-supplement", 422, "forbidden_characters",
             "clerk.a", body={"items": [{"document_key": "to_khai", "problem": "missing",
                                         "note": ESC}]}),
        Case("holiday note with NUL", "POST", "/api/v1/holidays/overrides", 422,
             "forbidden_characters", "admin.a", body={"day": "2026-04-01", "kind": "off",
                                                       "note": NUL}),
        Case("field applicant with NUL", "POST", "/api/v1/sync/batches", 422,
             "forbidden_characters", "dev:a1",
             body=manifest([field_dossier(applicant={**APPLICANT, "full_name": f"A{NUL}"})],
                           [BLOB])),
        Case("field place with RTL", "POST", "/api/v1/sync/batches", 422,
             "forbidden_characters", "dev:a1",
             body=manifest([field_dossier(capture_place=f"Thôn{RTL}")], [BLOB])),
        Case("supplement code with NUL", "POST", "/api/v1/sync/batches", 422,
             "forbidden_characters", "dev:a1",
             body=manifest([{"type": "supplement", "dossier_code": f"X{NUL}",
                             "documents": [{"key": "to_khai", "sha256": "a" * 64}]}], [BLOB])),
        Case("citizen comment with NUL", "POST", "/api/v1/track/{code}/satisfaction?t={token}",
             422, "forbidden_characters", body={"level": "satisfied", "comment": NUL}),
        Case("tracking code with NUL", "GET", "/api/v1/track/A%00B?t=x", 422,
             "forbidden_characters"),
        Case("tracking token with NUL", "GET", "/api/v1/track/{code}?t=%00", 422,
             "forbidden_characters"),
        Case("inbox search with NUL", "GET", "/api/v1/dossiers?q=%00", 422,
             "forbidden_characters", "clerk.a"),
        Case("inbox search with RTL", "GET", "/api/v1/dossiers?q=%E2%80%AE", 422,
             "forbidden_characters", "clerk.a"),
        Case("dossier id with NUL", "GET", "/api/v1/dossiers/%00", 422, "forbidden_characters",
             "clerk.a"),
        Case("inbox page search with ESC", "GET", "/ho-so?q=%1B%5B2J", 422,
             "forbidden_characters", via="page"),
    ]  # fmt: skip
    return cases


def number_cases() -> list[Case]:
    """Integers beyond their column's range, or below it, in paths and queries."""
    big4, big8 = "2147483648", "9223372036854775808"
    cases = [
        Case(f"{method} {path} {body or ''}".strip(), method, path, 422, "validation_failed", who,
             body=body)
        for method, path, who, body in [
            ("GET", f"/api/v1/teams/{big4}", "admin.a", None),
            ("GET", "/api/v1/teams/0", "admin.a", None),
            ("PATCH", "/api/v1/teams/99999999999999999999", "admin.a", {"name": "x"}),
            ("DELETE", f"/api/v1/teams/{big4}", "admin.a", None),
            ("GET", f"/api/v1/users/{big4}", "admin.a", None),
            ("PATCH", f"/api/v1/users/{big4}", "admin.a", {"active": False}),
            ("GET", f"/api/v1/procedures/{big4}", "clerk.a", None),
            ("DELETE", f"/api/v1/holidays/overrides/{big4}", "admin.a", None),
            ("POST", f"/api/v1/teams/{big4}/enrolment-codes", "admin.a", None),
            ("POST", f"/api/v1/auth/tokens/{big4}/revoke", "clerk.a", None),
            ("GET", f"/api/v1/sync/changes?since={big8}", "dev:a1", None),
            ("GET", "/api/v1/sync/changes?since=-1", "dev:a1", None),
            ("GET", "/api/v1/sync/changes?limit=0", "dev:a1", None),
            ("GET", "/api/v1/sync/changes?limit=501", "dev:a1", None),
            ("GET", f"/api/v1/procedures?since_revision={big8}", "clerk.a", None),
            ("GET", f"/api/v1/dossiers?offset={big4}", "clerk.a", None),
            ("GET", "/api/v1/dossiers?offset=-1", "clerk.a", None),
            ("GET", "/api/v1/dossiers?limit=0", "clerk.a", None),
            ("GET", "/api/v1/dossiers?limit=201", "clerk.a", None),
            ("GET", f"/api/v1/dossiers?team_id={big4}", "clerk.a", None),
            ("GET", "/api/v1/dossiers?status=abc", "clerk.a", None),
            ("GET", "/api/v1/holidays?year=1900", "clerk.a", None),
            ("GET", f"/api/v1/holidays?year={big8}", "clerk.a", None),
            ("POST", "/api/v1/dossiers/{counter}/request-fee", "clerk.a", {"amount_vnd": 0}),
            ("POST", "/api/v1/dossiers/{counter}/request-fee", "clerk.a",
             {"amount_vnd": 10**30}),
            ("POST", "/api/v1/dossiers/{counter}/receive", "clerk.a", {"processing_days": -1}),
            ("POST", "/api/v1/dossiers/{counter}/receive", "clerk.a", {"version": 2**40}),
        ]
    ]  # fmt: skip
    cases += [
        Case("inbox page far beyond", "GET", "/ho-so?trang=99999999999", 422,
             "validation_failed", via="page"),
        Case("admin edit of a huge id", "GET", f"/quan-tri/thu-tuc?sua={big4}", 422,
             "validation_failed", via="page"),
    ]  # fmt: skip
    return cases


def body_cases() -> list[Case]:
    """Malformed and mistyped bodies, wrong content types, oversize bodies."""
    return [
        Case("login: not JSON", "POST", "/api/v1/auth/login", 400, "malformed_json", body="{"),
        Case("login: truncated", "POST", "/api/v1/auth/login", 400, "malformed_json",
             body='{"username": "a", "password": '),
        Case("login: nested 20,000 deep", "POST", "/api/v1/auth/login", 400, "malformed_json",
             body='{"username": ' + DEEP + "}"),
        Case("enrol: nested 20,000 deep", "POST", "/api/v1/devices/enroll", 400,
             "malformed_json", body=DEEP),
        Case("rating: nested 20,000 deep", "POST", "/api/v1/track/{code}/satisfaction?t={token}",
             400, "malformed_json", body=DEEP),
        Case("manifest: nested 20,000 deep", "POST", "/api/v1/sync/batches", 400,
             "malformed_json", "dev:a1", body=DEEP),
        Case("counter: not JSON", "POST", "/api/v1/dossiers", 400, "malformed_json", "clerk.a",
             body="{procedure_code: 1}"),
        Case("team: not JSON", "POST", "/api/v1/teams", 400, "malformed_json", "admin.a",
             body="[1, 2"),
        Case("manifest: trailing garbage", "POST", "/api/v1/sync/batches", 400,
             "malformed_json", "dev:a1", body="{}x"),
        Case("enrol: not JSON", "POST", "/api/v1/devices/enroll", 400, "malformed_json",
             body="code=ABCD"),
        Case("login: 2 MB body", "POST", "/api/v1/auth/login", 413, "body_too_large",
             body='{"username": "' + "a" * 2_000_000 + '"}'),
        Case("login: missing password", "POST", "/api/v1/auth/login", 422, "validation_failed",
             body={"username": "clerk.a"}),
        Case("login: numbers", "POST", "/api/v1/auth/login", 422, "validation_failed",
             body={"username": 1, "password": 2}),
        Case("login: an array", "POST", "/api/v1/auth/login", 422, "validation_failed",
             body=[]),
        Case("login: text/plain (login CSRF)", "POST", "/api/v1/auth/login", 415,
             "unsupported_media_type", body='{"username":"clerk.a","password":"x"}',
             headers={"Content-Type": "text/plain"}),
        Case("login: urlencoded form", "POST", "/api/v1/auth/login", 415,
             "unsupported_media_type", body="username=clerk.a&password=x",
             headers={"Content-Type": "application/x-www-form-urlencoded"}),
        Case("login: no content type", "POST", "/api/v1/auth/login", 415,
             "unsupported_media_type", body=b'{"username":"a","password":"b"}',
             headers={"Content-Type": ""}),
        Case("counter: text/plain", "POST", "/api/v1/dossiers", 415, "unsupported_media_type",
             "clerk.a", body=json.dumps(counter()), headers={"Content-Type": "text/plain"}),
        Case("manifest: multipart", "POST", "/api/v1/sync/batches", 415,
             "unsupported_media_type", "dev:a1", body="--x--",
             headers={"Content-Type": "multipart/form-data; boundary=x"}),
        Case("enrol: text/plain", "POST", "/api/v1/devices/enroll", 415,
             "unsupported_media_type", body='{"code":"ABCD-EFGH-JKMN"}',
             headers={"Content-Type": "text/plain"}),
        Case("rating: text/plain", "POST", "/api/v1/track/{code}/satisfaction?t={token}", 415,
             "unsupported_media_type", body='{"level":"satisfied"}',
             headers={"Content-Type": "text/plain"}),
        Case("counter: bad ID number", "POST", "/api/v1/dossiers", 422, "validation_failed",
             "clerk.a", body=applicant(id_number="123")),
        Case("counter: bad procedure code", "POST", "/api/v1/dossiers", 422,
             "validation_failed", "clerk.a", body=counter(procedure_code="abc")),
        Case("counter: consent as text", "POST", "/api/v1/dossiers", 422, "validation_failed",
             "clerk.a", body=counter(consent="yes")),
        Case("counter: path in a hash", "POST", "/api/v1/dossiers", 422, "validation_failed",
             "clerk.a", body=counter(documents=[{"key": "to_khai", "sha256": "../etc/passwd"}])),
        Case("counter: page 0", "POST", "/api/v1/dossiers", 422, "validation_failed", "clerk.a",
             body=counter(documents=[{"key": "to_khai", "sha256": "a" * 64, "page": 0}])),
        Case("counter: media type with spaces", "POST", "/api/v1/dossiers", 422,
             "validation_failed", "clerk.a", body=counter(documents=[
                 {"key": "to_khai", "sha256": "a" * 64, "media_type": "image/jpeg; x"}])),
        Case("counter: post without address", "POST", "/api/v1/dossiers", 422,
             "validation_failed", "clerk.a", body=counter(delivery={"method": "post"})),
        Case("counter: field channel claimed", "POST", "/api/v1/dossiers", 422,
             "validation_failed", "clerk.a", body=counter(channel="field_team")),
        Case("counter: residential channel claimed", "POST", "/api/v1/dossiers", 422,
             "validation_failed", "clerk.a", body=counter(channel="residential_point")),
        Case("counter: no consent", "POST", "/api/v1/dossiers", 422, "consent_required",
             "clerk.a", body=counter(consent=False)),
        Case("counter: unknown procedure", "POST", "/api/v1/dossiers", 422, "unknown_procedure",
             "clerk.a", body=counter(procedure_code="1.999999")),
        Case("counter: unknown document", "POST", "/api/v1/dossiers", 422, "unknown_document",
             "clerk.a", body=counter(documents=[{"key": "giay_la", "sha256": "a" * 64}])),
        Case("counter: a scan never uploaded", "POST", "/api/v1/dossiers", 409, "blob_missing",
             "clerk.a", body=counter(documents=[{"key": "to_khai", "sha256": "c" * 64}])),
        Case("counter: commune A's scan named in B", "POST", "/api/v1/dossiers", 409,
             "blob_missing", "clerk.b",
             body=counter(documents=[{"key": "to_khai", "sha256": "{page}"}])),
        Case("supplement at the counter: A's card in B", "POST",
             "/api/v1/dossiers/{dossier}/supplement-arrived", 404, "not_found", "clerk.b",
             body={"documents": [{"key": "to_khai", "sha256": "{card}"}]}),
        Case("team: unknown kind", "POST", "/api/v1/teams", 422, "validation_failed", "admin.a",
             body={"kind": "khac", "name": "Tổ"}),
        Case("user: short password", "POST", "/api/v1/users", 422, "validation_failed",
             "admin.a", body={"username": "new.user", "password": "short", "role": "clerk"}),
        Case("user: name with a space", "POST", "/api/v1/users", 422, "validation_failed",
             "admin.a", body={"username": "A B", "password": "x" * 12, "role": "clerk"}),
        Case("user: unknown role", "POST", "/api/v1/users", 422, "validation_failed",
             "admin.a", body={"username": "root.user", "password": "x" * 12, "role": "root"}),
        Case("user: taken name", "POST", "/api/v1/users", 409, "username_taken", "admin.a",
             body={"username": "clerk.a", "password": "x" * 12, "role": "clerk"}),
        Case("procedure: bad code", "POST", "/api/v1/procedures", 422, "validation_failed",
             "admin.a", body={"code": "x", "name": "Thủ tục"}),
        Case("procedure: taken code", "POST", "/api/v1/procedures", 409,
             "procedure_code_taken", "admin.a", body=PROCEDURE),
        Case("holiday: unknown kind", "POST", "/api/v1/holidays/overrides", 422,
             "validation_failed", "admin.a", body={"day": "2026-04-01", "kind": "party"}),
        Case("holiday: the same day again", "POST", "/api/v1/holidays/overrides", 409,
             "holiday_override_exists", "admin.a", body={"day": "2026-03-20", "kind": "off"}),
        Case("rating: unknown level", "POST", "/api/v1/track/{code}/satisfaction?t={token}",
             422, "validation_failed", body={"level": "great"}),
        Case("supplement request: no items", "POST",
             "/api/v1/dossiers/{counter}/request-supplement", 422, "validation_failed",
             "clerk.a", body={"items": []}),
        Case("extend: before the due date", "POST", "/api/v1/dossiers/{dossier}/extend", 422,
             "validation_failed", "clerk.a",
             body={"new_due_date": "2026-01-01", "reason": "Lý do"}),
        Case("stale version", "POST", "/api/v1/dossiers/{dossier}/start-processing", 409,
             "stale_version", "clerk.a", body={"version": 999}),
        Case("resolve a new dossier", "POST", "/api/v1/dossiers/{counter}/resolve", 409,
             "illegal_transition", "clerk.a", body={"result_summary": "Xong"}),
        Case("return a new dossier", "POST", "/api/v1/dossiers/{counter}/return", 409,
             "illegal_transition", "clerk.a", body={"channel": "counter"}),
        Case("receive twice", "POST", "/api/v1/dossiers/{dossier}/receive", 409,
             "illegal_transition", "clerk.a", body={}),
        Case("commune: agency code with a path", "PATCH", "/api/v1/commune", 422,
             "validation_failed", "admin.a", body={"agency_code": "../x"}),
    ]  # fmt: skip


def access_cases() -> list[Case]:
    """Authentication, roles, scoping across communes and teams, CSRF."""
    return [
        Case("no credentials", "GET", "/api/v1/dossiers", 401, "unauthenticated"),
        Case("basic auth", "GET", "/api/v1/dossiers", 401, "unauthenticated",
             headers={"Authorization": "Basic Y2xlcms6eA=="}),
        Case("empty bearer", "GET", "/api/v1/dossiers", 401, "unauthenticated",
             headers={"Authorization": "Bearer "}),
        Case("unknown device token", "GET", "/api/v1/sync/bootstrap", 401, "unauthenticated",
             headers={"Authorization": "Bearer ldd_" + "x" * 40}),
        Case("unknown personal token", "GET", "/api/v1/dossiers", 401, "unauthenticated",
             headers={"Authorization": "Bearer ldp_" + "x" * 40}),
        Case("revoked device", "GET", "/api/v1/sync/bootstrap", 401, "device_revoked",
             "dev:revoked"),
        Case("revoked device pushes", "POST", "/api/v1/sync/batches", 401, "device_revoked",
             "dev:revoked", body=manifest([field_dossier()], [BLOB])),
        Case("a device on the inbox", "GET", "/api/v1/dossiers", 403, "forbidden", "dev:a1"),
        Case("a device acts", "POST", "/api/v1/dossiers/{counter}/refuse", 403, "forbidden",
             "dev:a1", body={"reason": "x"}),
        Case("staff on the device feed", "GET", "/api/v1/sync/changes", 403, "forbidden",
             "clerk.a"),
        Case("staff uploads", "POST", "/api/v1/uploads", 403, "forbidden", "clerk.a",
             headers=create("10")),
        Case("viewer receives", "POST", "/api/v1/dossiers/{counter}/receive", 403, "forbidden",
             "viewer.a", body={}),
        Case("viewer registers", "POST", "/api/v1/dossiers", 403, "forbidden", "viewer.a",
             body=counter()),
        Case("clerk creates a team", "POST", "/api/v1/teams", 403, "forbidden", "clerk.a",
             body={"kind": "roaming", "name": "Tổ"}),
        Case("clerk lists users", "GET", "/api/v1/users", 403, "forbidden", "clerk.a"),
        Case("clerk revokes a device", "POST", "/api/v1/devices/{dev_a1}/revoke", 403,
             "forbidden", "clerk.a"),
        Case("viewer issues an enrolment code", "POST", "/api/v1/teams/{team_a}/enrolment-codes",
             403, "forbidden", "viewer.a"),
        Case("commune B reads A's dossier", "GET", "/api/v1/dossiers/{dossier}", 404,
             "not_found", "clerk.b"),
        Case("commune B reads A's timeline", "GET", "/api/v1/dossiers/{dossier}/events", 404,
             "not_found", "viewer.b"),
        Case("commune B refuses A's dossier", "POST", "/api/v1/dossiers/{counter}/refuse", 404,
             "not_found", "clerk.b", body={"reason": "x"}),
        Case("commune B rates A's dossier", "POST", "/api/v1/dossiers/{dossier}/satisfaction",
             404, "not_found", "clerk.b", body={"level": "satisfied"}),
        Case("commune B changes A's team", "PATCH", "/api/v1/teams/{team_a}", 404, "not_found",
             "admin.b", body={"name": "x"}),
        Case("commune B retires A's team", "DELETE", "/api/v1/teams/{team_a}", 404,
             "not_found", "admin.b"),
        Case("commune B revokes A's device", "POST", "/api/v1/devices/{dev_a1}/revoke", 404,
             "not_found", "admin.b"),
        Case("commune B enrols into A's team", "POST", "/api/v1/teams/{team_a}/enrolment-codes",
             404, "not_found", "admin.b"),
        Case("commune B deletes A's holiday", "DELETE", "/api/v1/holidays/overrides/{override}",
             404, "not_found", "admin.b"),
        Case("device B commits A's batch", "POST", "/api/v1/sync/batches/{batch}/commit", 404,
             "not_found", "dev:b"),
        Case("team 2 commits team 1's batch", "POST", "/api/v1/sync/batches/{batch}/commit", 404,
             "not_found", "dev:a2"),
        Case("device A2 resumes A1's upload", "HEAD", "{upload}", 404, "not_found", "dev:a2",
             headers=TUS),
        Case("device A2 terminates A1's upload", "DELETE", "{upload}", 404, "not_found",
             "dev:a2", headers=TUS),
        Case("tracking with a wrong token", "GET", "/api/v1/track/{code}?t=wrong", 404,
             "not_found"),
        Case("tracking an unknown code", "GET", "/api/v1/track/000.00.00.X-000000-0000?t=x", 404,
             "not_found"),
        Case("rating with a wrong token", "POST", "/api/v1/track/{code}/satisfaction?t=wrong",
             404, "not_found", body={"level": "satisfied"}),
        Case("enrolment with an unknown code", "POST", "/api/v1/devices/enroll", 401,
             "enrolment_code_invalid", body={"code": "ABCD-EFGH-JKMN"}),
        Case("viewer opens a scan", "GET", "/ho-so/{dossier}/anh/{page}", 403, "forbidden",
             "viewer.a"),
        Case("viewer opens the ID card", "GET", "/ho-so/{dossier}/anh/{card}/nho", 403,
             "forbidden", "viewer.a"),
        Case("viewer prints the receipt", "GET", "/ho-so/{dossier}/in/mau-01", 403,
             "forbidden", "viewer.a"),
        Case("commune B opens A's scan", "GET", "/ho-so/{dossier}/anh/{page}", 404, "not_found",
             "clerk.b"),
        Case("a hash not of the dossier", "GET", "/ho-so/{counter}/anh/{page}", 404,
             "not_found", "clerk.a"),
    ] + [
        Case(f"CSRF: {method} {path} by cookie without the token", method, path, 403,
             "csrf_failed", via="cookie", body=body)
        for method, path, body in [
            ("POST", "/api/v1/dossiers", counter()),
            ("POST", "/api/v1/dossiers/{counter}/refuse", {"reason": "x"}),
            ("POST", "/api/v1/dossiers/{counter}/receive", {}),
            ("POST", "/api/v1/dossiers/{dossier}/satisfaction", {"level": "satisfied"}),
            ("POST", "/api/v1/auth/tokens", {"name": "x"}),
            ("POST", "/api/v1/auth/tokens/1/revoke", None),
            ("POST", "/api/v1/auth/logout", None),
            ("POST", "/api/v1/teams", {"kind": "roaming", "name": "Tổ"}),
            ("PATCH", "/api/v1/commune", {"agency_code": "X.1"}),
            ("POST", "/api/v1/holidays/overrides", {"day": "2026-04-02", "kind": "off"}),
            ("DELETE", "/api/v1/holidays/overrides/{override}", None),
        ]
    ] + [
        Case("CSRF: a wrong token", "POST", "/api/v1/dossiers/{counter}/refuse", 403,
             "csrf_failed", via="cookie", body={"reason": "x"},
             headers={"X-CSRF-Token": "not-the-token"}),
    ] + [
        Case(f"CSRF: page form {path} without _csrf", "POST", path, 403, "csrf_failed",
             via="page", body=form)
        for path, form in [
            ("/ho-so/{counter}/refuse", {"reason": "x"}),
            ("/quan-tri/to/them", {"kind": "roaming", "name": "Tổ"}),
            ("/quan-tri/to/{team_a}/ngung", {}),
            ("/quan-tri/nguoi-dung/them", {"username": "x.y.z", "password": "x" * 12,
                                           "role": "admin"}),
            ("/quan-tri/thiet-bi/{dev_a1}/thu-hoi", {}),
            ("/dang-xuat", {}),
        ]
    ]  # fmt: skip


def tus_cases() -> list[Case]:
    """The upload protocol abused."""
    return [
        Case("create without Tus-Resumable", "POST", "/api/v1/uploads", 412,
             "tus_version_unsupported", "dev:a1", headers={"Upload-Length": "10"}),
        Case("create with tus 0.2.2", "POST", "/api/v1/uploads", 412, "tus_version_unsupported",
             "dev:a1", headers=create("10", **{"Tus-Resumable": "0.2.2"})),
        Case("create without a length", "POST", "/api/v1/uploads", 422, "validation_failed",
             "dev:a1", headers={**TUS, "Upload-Metadata": metadata(b"", digest="f" * 64)}),
        Case("create with a negative length", "POST", "/api/v1/uploads", 422,
             "validation_failed", "dev:a1", headers=create("-1")),
        Case("create with a superscript length", "POST", "/api/v1/uploads", 422,
             "validation_failed", "dev:a1", headers=create("²")),
        Case("create with an exponent", "POST", "/api/v1/uploads", 422, "validation_failed",
             "dev:a1", headers=create("1e3")),
        Case("create beyond the blob limit", "POST", "/api/v1/uploads", 413, "blob_too_large",
             "dev:a1", headers=create(str(60 * 1024 * 1024))),
        Case("create with length 0", "POST", "/api/v1/uploads", 413, "blob_too_large", "dev:a1",
             headers=create("0")),
        Case("create: metadata not base64", "POST", "/api/v1/uploads", 422, "validation_failed",
             "dev:a1", headers=create("10", "sha256 !!!")),
        Case("create: no sha256", "POST", "/api/v1/uploads", 422, "validation_failed", "dev:a1",
             headers=create("10", "media_type aW1hZ2UvanBlZw==")),
        Case("create: a path as sha256", "POST", "/api/v1/uploads", 422, "validation_failed",
             "dev:a1", headers=create("10", "sha256 Li4vLi4vZXRjL3Bhc3N3ZA==")),
        Case("create: html", "POST", "/api/v1/uploads", 415, "unsupported_media_type",
             "dev:a1", headers=create("10", metadata(b"", media_type="text/html",
                                                      digest="f" * 64))),
        Case("create with upload beyond its length", "POST", "/api/v1/uploads", 413,
             "blob_too_large", "dev:a1", body=b"x" * 20,
             headers=create("10", **{"Content-Type": "application/offset+octet-stream"})),
        Case("patch at a wrong offset", "PATCH", "{upload}", 409, "upload_offset_mismatch",
             "dev:a1", body=b"abc", headers={**PATCH, "Upload-Offset": "5"}),
        Case("patch with a superscript offset", "PATCH", "{upload}", 422, "validation_failed",
             "dev:a1", body=b"abc", headers={**PATCH, "Upload-Offset": "²"}),
        Case("patch as JSON", "PATCH", "{upload}", 415, "unsupported_media_type", "dev:a1",
             body=b"{}", headers={**PATCH, "Content-Type": "application/json"}),
        Case("patch with md5", "PATCH", "{upload}", 400, "checksum_algorithm_unsupported",
             "dev:a1", body=b"abc",
             headers={**PATCH, "Upload-Checksum": "md5 kAFQmDzST7DWlj99KOF/cg=="}),
        Case("patch with a wrong sha1", "PATCH", "{upload}", 460, "chunk_checksum_mismatch",
             "dev:a1", body=b"abc",
             headers={**PATCH, "Upload-Checksum": "sha1 AAAAAAAAAAAAAAAAAAAAAAAAAAA="}),
        Case("patch beyond the length", "PATCH", "{upload}", 413, "blob_too_large", "dev:a1",
             body=b"x" * 1001, headers=PATCH),
        Case("patch without Tus-Resumable", "PATCH", "{upload}", 412,
             "tus_version_unsupported", "dev:a1", body=b"abc",
             headers={"Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}),
        Case("head of a path", "HEAD", "/api/v1/uploads/..%2F..%2Fetc%2Fpasswd", 404,
             "not_found", "dev:a1", headers=TUS),
        Case("patch of an unknown upload", "PATCH", "/api/v1/uploads/" + "0" * 32, 404,
             "not_found", "dev:a1", body=b"abc", headers=PATCH),
        Case("override to an unknown method", "POST", "{upload}", 405, "method_not_allowed",
             "dev:a1", headers={**TUS, "X-HTTP-Method-Override": "PUT"}),
    ]  # fmt: skip


def sync_cases() -> list[Case]:
    """Manifests that do not add up, replays and reorderings."""
    return [
        Case("a blob listed twice", "POST", "/api/v1/sync/batches", 422, "validation_failed",
             "dev:a1", body=manifest([field_dossier()], [BLOB, BLOB])),
        Case("a scan not in the blobs", "POST", "/api/v1/sync/batches", 422,
             "validation_failed", "dev:a1", body=manifest([field_dossier()], [])),
        Case("a blob over the limit", "POST", "/api/v1/sync/batches", 422, "validation_failed",
             "dev:a1", body=manifest([field_dossier()], [{**BLOB, "size": 10**12}])),
        Case("a blob of html", "POST", "/api/v1/sync/batches", 422, "validation_failed",
             "dev:a1", body=manifest([field_dossier()], [{**BLOB, "media_type": "text/html"}])),
        Case("a batch id that is no ULID", "POST", "/api/v1/sync/batches", 422,
             "validation_failed", "dev:a1", body={**manifest(), "batch_id": "../x"}),
        Case("an unknown item type", "POST", "/api/v1/sync/batches", 422, "validation_failed",
             "dev:a1", body=manifest([{"type": "delete", "dossier_id": ULID}])),
        Case("a committed batch id with other content", "POST", "/api/v1/sync/batches", 409,
             "batch_conflict", "dev:a1",
             body={**manifest([field_dossier()], [BLOB]), "batch_id": "{batch}"}),
        Case("another device's batch id", "POST", "/api/v1/sync/batches", 409,
             "batch_conflict", "dev:a2",
             body={**manifest([field_dossier()], [BLOB]), "batch_id": "{batch}"}),
        Case("an empty batch", "POST", "/api/v1/sync/batches", 422, "validation_failed",
             "dev:a1", body=manifest()),
        Case("commit before any manifest", "POST", f"/api/v1/sync/batches/{ULID}/commit", 404,
             "not_found", "dev:a1"),
        Case("commit a path", "POST", "/api/v1/sync/batches/..%2F..%2Fx/commit", 404,
             "not_found", "dev:a1"),
        Case("reconcile with a path", "POST", "/api/v1/sync/reconcile", 422,
             "validation_failed", "dev:a1", body={"batch_ids": ["../x"], "dossier_ids": []}),
    ]  # fmt: skip


def path_cases() -> list[Case]:
    """Traversal out of the static and app folders, by every encoding."""
    return [
        Case(f"traversal {path}", "GET", path, 404, "not_found", who)
        for path, who in [
            ("/static/%2e%2e/%2e%2e/pyproject.toml", None),
            ("/static/..%2f..%2fpyproject.toml", None),
            ("/static/..%5c..%5cpyproject.toml", None),
            ("/thiet-bi/%2e%2e/%2e%2e/%2e%2e/pyproject.toml", None),
            ("/thiet-bi/..%2f..%2f..%2fpyproject.toml", None),
            ("/ho-so/{dossier}/anh/..%2f..%2fpyproject.toml", "clerk.a"),
            ("/ho-so/{dossier}/in/..%2f..%2fbase", "clerk.a"),
        ]
    ]


CASES = [
    *text_cases(),
    *number_cases(),
    *body_cases(),
    *access_cases(),
    *tus_cases(),
    *sync_cases(),
    *path_cases(),
]


def _fill(world: World, value: Any) -> Any:
    names = {
        "dossier": world.dossier_id,
        "code": world.dossier_code,
        "token": world.tracking_token,
        "counter": world.counter_id,
        "page": world.page,
        "card": world.card,
        "batch": world.batch_id,
        "upload": world.upload_url,
        "team_a": str(world.team_a),
        "team_b": str(world.team_b),
        "override": str(world.override_id),
        "dev_a1": world.devices["a1"].id,
    }
    if isinstance(value, str):
        for key, replacement in names.items():
            value = value.replace("{" + key + "}", replacement)
        return value
    if isinstance(value, dict):
        return {k: _fill(world, v) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(world, v) for v in value]
    return value


async def _send(world: World, case: Case) -> Any:
    path = _fill(world, case.path)
    headers = {**world.auth(case.who if case.via == "bearer" else None), **case.headers}
    body = _fill(world, case.body)
    client = world.client
    if case.via == "cookie":
        client = world.cookie
    elif case.via == "page":
        client = world.browser.client
        if case.method == "POST":
            return await client.post(path, data=body or {}, headers=headers)
    if body is None:
        content: bytes | None = None
    elif isinstance(body, bytes):
        content = body
    elif isinstance(body, str):
        content = body.encode()
        headers.setdefault("Content-Type", "application/json")
    else:
        content = json.dumps(body).encode()
        headers.setdefault("Content-Type", "application/json")
    if headers.get("Content-Type") == "":
        del headers["Content-Type"]
    # Header values as the bytes a hostile client sends (``²`` is not ASCII).
    raw = {k: v.encode() for k, v in headers.items()}
    return await client.request(case.method, path, content=content, headers=raw)


def _answer_code(response: Any, case: Case) -> str | None:
    if case.method == "HEAD":  # no body: the status is all there is
        return case.code if response.status_code == case.status else None
    if response.headers.get("content-type", "").startswith("application/problem+json"):
        found: str = response.json()["code"]
        return found
    if response.headers.get("x-error-code") == case.code or case.code in response.text:
        return case.code
    return None


def test_corpus__has_at_least_150_cases_with_unique_names() -> None:
    names = [c.name for c in CASES]
    assert len(names) >= 150
    assert len(set(names)) == len(names), [n for n in names if names.count(n) > 1]


def documented(app: Litestar, method: str, path: str) -> set[ErrorCode] | None:
    """The error codes the served OpenAPI lists for the operation ``path`` reaches, if any."""
    try:
        _, handler, _, _, template = app.asgi_router.handle_routing(
            path=urlsplit(path).path, method=method
        )
    except HTTPException:
        return None  # no such route or method: not an operation of the document
    route = next(
        (r for r in app.routes if isinstance(r, HTTPRoute) and r.path_format == template), None
    )
    if route is None or (method, route.path_format) not in OPERATIONS:
        return None
    return error_codes(route, handler, method)  # type: ignore[arg-type]


async def test_corpus__every_hostile_request_is_a_4xx_with_its_code_and_changes_nothing(
    world: World, app: Litestar
) -> None:
    failures = []
    for case in CASES:
        before = await snapshot(world.services)
        response = await _send(world, case)
        after = await snapshot(world.services)
        code = _answer_code(response, case)
        listed = documented(app, case.method, _fill(world, case.path))
        if (response.status_code, code) != (case.status, case.code):
            failures.append(f"{case.name}: {response.status_code} {code} {response.text[:160]}")
        elif listed is not None and case.code not in listed:
            failures.append(f"{case.name}: {case.code} is not in the operation's OpenAPI errors")
        elif before != after:
            changed = {
                k: (before.counts[k], after.counts[k])
                for k in before.counts
                if before.counts[k] != after.counts[k]
            }
            files = set(before.files) ^ set(after.files)
            failures.append(f"{case.name}: changed {changed} {sorted(files)[:3]}")
    assert not failures, "\n".join(failures)
