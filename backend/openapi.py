"""What the served OpenAPI says beyond what Litestar derives from the handlers.

``OPERATIONS`` is the API's surface in one table: each operation's hand-chosen id (what a
generated client calls it) and the error codes only its own logic can return. To those,
``document`` adds the codes every operation of its kind can return, read from the handler
itself: a body (malformed JSON, wrong media type, too large, invalid values), path parameters
(not found), a login (unauthenticated, revoked device), guards (forbidden), cookie sessions on
an unsafe method (CSRF), a rate limit, the tus protocol (its version header). Each error status
then lists its codes and carries the problem+json schema with ``code`` restricted to them; a 204
has no body; the tus operations describe their headers. A route missing from the table stops
the app at start, so no operation goes undocumented.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import (
    OpenAPIHeader,
    OpenAPIType,
    Operation,
    Parameter,
    Reference,
    Schema,
)
from litestar.routes import HTTPRoute

from backend.auth.principal import devices_only
from backend.errors import PROBLEM_JSON
from schemas.common import Problem
from schemas.errors import CATALOGUE, ErrorCode

__all__ = ["OPERATIONS", "document", "error_codes"]

E = ErrorCode

_BYTES = (
    E.blob_too_large, E.unsupported_media_type, E.upload_locked, E.checksum_mismatch,
    E.chunk_checksum_mismatch, E.checksum_algorithm_unsupported, E.media_type_mismatch,
)  # fmt: skip
"""What sending an upload's bytes can be refused for."""

# fmt: off
OPERATIONS: dict[tuple[str, str], tuple[str, tuple[ErrorCode, ...]]] = {
    ("GET", "/health"): ("health", ()),
    ("GET", "/ready"): ("ready", (E.not_ready,)),
    # accounts
    ("POST", "/api/v1/auth/login"): ("logIn", (E.invalid_credentials,)),
    ("POST", "/api/v1/auth/logout"): ("logOut", ()),
    ("GET", "/api/v1/auth/me"): ("whoAmI", ()),
    ("GET", "/api/v1/auth/tokens"): ("listTokens", ()),
    ("POST", "/api/v1/auth/tokens"): ("createToken", ()),
    ("POST", "/api/v1/auth/tokens/{token_id}/revoke"): ("revokeToken", ()),
    ("GET", "/api/v1/users"): ("listUsers", ()),
    ("POST", "/api/v1/users"): ("createUser", (E.username_taken,)),
    ("GET", "/api/v1/users/{user_id}"): ("getUser", ()),
    ("PATCH", "/api/v1/users/{user_id}"): ("updateUser", ()),
    ("GET", "/api/v1/commune"): ("getCommune", ()),
    ("PATCH", "/api/v1/commune"): ("updateCommune", (E.agency_code_taken,)),
    # teams and devices
    ("GET", "/api/v1/teams"): ("listTeams", ()),
    ("POST", "/api/v1/teams"): ("createTeam", ()),
    ("GET", "/api/v1/teams/{team_id}"): ("getTeam", ()),
    ("PATCH", "/api/v1/teams/{team_id}"): ("updateTeam", (E.stale_version,)),
    ("DELETE", "/api/v1/teams/{team_id}"): ("retireTeam", ()),
    ("POST", "/api/v1/teams/{team_id}/enrolment-codes"): ("issueEnrolmentCode", ()),
    ("POST", "/api/v1/devices/enroll"): ("enrollDevice", (E.enrolment_code_invalid,)),
    ("GET", "/api/v1/devices"): ("listDevices", ()),
    ("POST", "/api/v1/devices/{device_id}/revoke"): ("revokeDevice", ()),
    # catalog and calendar
    ("GET", "/api/v1/procedures"): ("listProcedures", ()),
    ("POST", "/api/v1/procedures"): ("createProcedure", (E.procedure_code_taken,)),
    ("GET", "/api/v1/procedures/export"): ("exportCatalog", ()),
    ("POST", "/api/v1/procedures/import"): ("importCatalog", ()),
    ("GET", "/api/v1/procedures/{procedure_id}"): ("getProcedure", ()),
    ("PATCH", "/api/v1/procedures/{procedure_id}"): ("updateProcedure", (E.stale_version,)),
    ("DELETE", "/api/v1/procedures/{procedure_id}"): ("retireProcedure", ()),
    ("GET", "/api/v1/holidays"): ("workingCalendar", ()),
    ("GET", "/api/v1/holidays/overrides"): ("listHolidayOverrides", ()),
    ("POST", "/api/v1/holidays/overrides"): (
        "addHolidayOverride",
        (E.holiday_override_exists,),
    ),
    ("DELETE", "/api/v1/holidays/overrides/{override_id}"): ("deleteHolidayOverride", ()),
    # dossiers
    ("GET", "/api/v1/dossiers"): ("listDossiers", ()),
    ("POST", "/api/v1/dossiers"): (
        "createCounterDossier",
        (E.unknown_procedure, E.unknown_document, E.consent_required, E.missing_document,
         E.cccd_mismatch, E.cccd_invalid, E.blob_missing, E.invalid_image),
    ),
    ("GET", "/api/v1/dossiers/{dossier_id}"): ("getDossier", ()),
    ("GET", "/api/v1/dossiers/{dossier_id}/events"): ("listDossierEvents", ()),
    ("POST", "/api/v1/dossiers/{dossier_id}/satisfaction"): ("rateDossier", (E.already_rated,)),
    ("GET", "/api/v1/track/{code}"): ("trackDossier", ()),
    ("POST", "/api/v1/track/{code}/satisfaction"): ("rateTrackedDossier", (E.already_rated,)),
    ("GET", "/api/v1/reports/timeliness"): ("timelinessReport", ()),
    ("GET", "/api/v1/reports/timeliness.csv"): ("timelinessReportCsv", ()),
    # field sync
    ("GET", "/api/v1/sync/bootstrap"): ("syncBootstrap", ()),
    ("GET", "/api/v1/sync/changes"): ("syncChanges", ()),
    ("POST", "/api/v1/sync/batches"): ("submitBatch", (E.batch_conflict,)),
    ("POST", "/api/v1/sync/batches/{batch_id}/commit"): ("commitBatch", (E.blob_missing,)),
    ("POST", "/api/v1/sync/reconcile"): ("reconcile", ()),
    # tus uploads
    ("OPTIONS", "/api/v1/uploads"): ("uploadCapabilities", ()),
    ("POST", "/api/v1/uploads"): ("createUpload", (E.too_many_uploads, *_BYTES)),
    ("HEAD", "/api/v1/uploads/{upload_id}"): ("uploadOffset", ()),
    ("PATCH", "/api/v1/uploads/{upload_id}"): (
        "appendToUpload", (E.upload_offset_mismatch, *_BYTES),
    ),
    ("DELETE", "/api/v1/uploads/{upload_id}"): ("terminateUpload", (E.upload_locked,)),
    ("POST", "/api/v1/uploads/{upload_id}"): (
        "overrideUploadMethod", (E.method_not_allowed, E.upload_offset_mismatch, *_BYTES),
    ),
}
# fmt: on
"""(method, path) → (operation id, the codes only that operation's own logic returns)."""

_DOSSIER_ACTIONS: dict[str, tuple[str, tuple[ErrorCode, ...]]] = {
    "receive": ("receiveDossier", (E.agency_code_missing, E.processing_time_unknown)),
    "refuse": ("refuseDossier", ()),
    "request-supplement": ("requestSupplement", (E.unknown_document,)),
    "supplement-arrived": ("recordSupplement", (E.unknown_document, E.blob_missing,
                                                E.invalid_image)),
    "start-processing": ("startProcessing", ()),
    "request-fee": ("requestFee", ()),
    "record-payment": ("recordPayment", ()),
    "stop": ("stopDossier", ()),
    "withdraw": ("withdrawDossier", ()),
    "resolve": ("resolveDossier", ()),
    "return": ("returnResult", ()),
    "extend": ("extendDueDate", ()),
}  # fmt: skip
for _action, (_name, _codes) in _DOSSIER_ACTIONS.items():
    OPERATIONS["POST", f"/api/v1/dossiers/{{dossier_id}}/{_action}"] = (
        _name,
        (E.illegal_transition, E.stale_version, *_codes),
    )

_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}

_TUS_REQUEST: dict[str, tuple[tuple[str, bool, str], ...]] = {
    "POST": (
        ("Upload-Length", True, "The blob's size in bytes (ASCII digits)."),
        ("Upload-Metadata", True, "Comma-separated `key base64value`: sha256, media_type."),
        ("Upload-Checksum", False, "`sha1` or `sha256` and the base64 digest of this body."),
        ("Content-Type", False, "`application/offset+octet-stream` when the first bytes come."),
    ),
    "PATCH": (
        ("Upload-Offset", True, "Where these bytes start: the offset the server holds."),
        ("Upload-Checksum", False, "`sha1` or `sha256` and the base64 digest of this body."),
        ("Content-Type", True, "`application/offset+octet-stream`."),
    ),
    "HEAD": (),
    "DELETE": (),
    "OPTIONS": (),
}
_TUS_OVERRIDE = (
    ("X-HTTP-Method-Override", True, "`PATCH`, `HEAD` or `DELETE`: the method meant."),
    *_TUS_REQUEST["PATCH"][:2],
)
_TUS_RESPONSE: dict[str, tuple[str, ...]] = {
    "POST": ("Location", "Upload-Offset", "Upload-Expires", "Tus-Resumable"),
    "PATCH": ("Upload-Offset", "Upload-Expires", "Tus-Resumable"),
    "HEAD": ("Upload-Offset", "Upload-Length", "Upload-Metadata", "Cache-Control",
             "Tus-Resumable"),
    "DELETE": ("Tus-Resumable",),
    "OPTIONS": ("Tus-Version", "Tus-Extension", "Tus-Max-Size", "Tus-Checksum-Algorithm",
                "Tus-Resumable"),
}  # fmt: skip


def error_codes(route: HTTPRoute, handler: HTTPRouteHandler, method: str) -> set[ErrorCode]:
    """Every error code the operation can answer with."""
    _, specific = OPERATIONS[method, route.path_format]
    codes = {E.forbidden_characters, *specific}  # paths and queries are checked everywhere
    signature = handler.parsed_fn_signature.parameters
    opt = handler.opt
    tus = opt.get("body") == "tus"
    if route.path_parameters or len(signature) > 0:
        codes.add(E.validation_failed)
    if route.path_parameters:
        codes.add(E.not_found)
    if "data" in signature:
        codes |= {E.malformed_json, E.unsupported_media_type, E.body_too_large}
    if not opt.get("exclude_from_auth"):
        codes |= {E.unauthenticated, E.device_revoked}
        if handler.resolve_guards():
            codes.add(E.forbidden)
        if method in _UNSAFE and devices_only not in handler.resolve_guards() and not tus:
            codes.add(E.csrf_failed)
    if opt.get("rate_limit"):
        codes.add(E.rate_limited)
    if tus and method != "OPTIONS":
        codes |= {E.tus_version_unsupported, E.validation_failed}
    return codes


def document(app: Litestar) -> None:
    """Name every operation and describe its errors (read when the schema is first built)."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if not handler.resolve_include_in_schema():
                continue
            methods = sorted(m for m in handler.http_methods if m != "OPTIONS" or
                             route.path_format == "/api/v1/uploads")  # fmt: skip
            for method in methods:
                key = (method, route.path_format)
                if key not in OPERATIONS:
                    raise RuntimeError(f"{method} {route.path_format} is not in OPERATIONS")
                handler.operation_id = OPERATIONS[key][0]
                _describe(handler, error_codes(route, handler, method), method)


def _describe(handler: HTTPRouteHandler, codes: Iterable[ErrorCode], method: str) -> None:
    by_status: dict[int, list[ErrorCode]] = {}
    for code in sorted(codes, key=lambda c: (CATALOGUE[c].status, c.value)):
        by_status.setdefault(CATALOGUE[code].status, []).append(code)
    errors = {
        status: ResponseSpec(
            data_container=Problem,
            media_type=PROBLEM_JSON,
            description="; ".join(f"`{c.value}`: {CATALOGUE[c].title}" for c in listed),
            generate_examples=False,
        )
        for status, listed in by_status.items()
    }
    handler.responses = {**(handler.responses or {}), **errors}
    tus = handler.opt.get("body") == "tus"
    overridden = handler.operation_id == "overrideUploadMethod"
    handler.operation_class = _operation(
        {str(s): [c.value for c in listed] for s, listed in by_status.items()},
        _TUS_OVERRIDE if overridden else _TUS_REQUEST.get(method, ()) if tus else (),
        _TUS_RESPONSE.get(method, ()) if tus and not overridden else (),
        head=method == "HEAD",
    )


def _operation(
    codes: dict[str, list[str]],
    request_headers: tuple[tuple[str, bool, str], ...],
    response_headers: tuple[str, ...],
    *,
    head: bool,
) -> type[Operation]:
    """An Operation that restricts each problem's ``code`` and describes tus headers."""

    @dataclass
    class Documented(Operation):
        def __post_init__(self) -> None:
            responses: dict[str, Any] = dict(self.responses or {})
            for status in list(responses):
                if status.startswith("4") or status.startswith("5"):
                    if status not in codes:
                        del responses[status]  # Litestar's own 400, which this app never sends
                        continue
                    content = responses[status].content or {}
                    for media in content.values():
                        media.schema = _problem(media.schema, codes[status])
                if status == "204" or head:
                    responses[status].content = None  # nothing follows
            if request_headers or response_headers:
                self.parameters = [
                    *(self.parameters or []),
                    Parameter(name="Tus-Resumable", param_in="header", required=True,
                              schema=Schema(type=OpenAPIType.STRING, enum=["1.0.0"]),
                              description="The tus protocol version: 1.0.0."),
                    *(Parameter(name=name, param_in="header", required=required,
                                schema=Schema(type=OpenAPIType.STRING), description=text)
                      for name, required, text in request_headers),
                ]  # fmt: skip
                for status, response in responses.items():
                    if status.startswith("2"):
                        response.headers = {
                            **(response.headers or {}),
                            **{name: OpenAPIHeader(schema=Schema(type=OpenAPIType.STRING))
                               for name in response_headers},
                        }  # fmt: skip
            self.responses = responses

    return Documented


def _problem(schema: Any, codes: list[str]) -> Schema:
    """The problem+json schema with ``code`` one of ``codes``."""
    base = schema if isinstance(schema, Reference | Schema) else Schema()
    return Schema(
        all_of=[
            base,
            Schema(
                type=OpenAPIType.OBJECT,
                required=["code"],
                properties={"code": Schema(type=OpenAPIType.STRING, enum=list(codes))},
            ),
        ]
    )
