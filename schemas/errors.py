"""The one error catalogue: every code a client can act on, with its HTTP status and title.

Both sides import it: the backend maps :class:`ErrorCode` to problem+json once
(``backend/errors.py``), and the field clients branch on the same codes, never on text.
``docs/errors.md`` lists them (a test keeps the two in step).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["CATALOGUE", "ErrorCode", "ErrorSpec"]


class ErrorCode(StrEnum):
    """Stable machine codes. Never rename one: clients branch on them."""

    malformed_json = "malformed_json"
    validation_failed = "validation_failed"
    forbidden_characters = "forbidden_characters"
    unsupported_media_type = "unsupported_media_type"
    body_too_large = "body_too_large"
    invalid_credentials = "invalid_credentials"
    unauthenticated = "unauthenticated"
    csrf_failed = "csrf_failed"
    device_revoked = "device_revoked"
    enrolment_code_invalid = "enrolment_code_invalid"
    forbidden = "forbidden"
    not_found = "not_found"
    method_not_allowed = "method_not_allowed"
    username_taken = "username_taken"
    procedure_code_taken = "procedure_code_taken"
    agency_code_taken = "agency_code_taken"
    unknown_commune = "unknown_commune"
    stale_version = "stale_version"
    illegal_transition = "illegal_transition"
    unknown_procedure = "unknown_procedure"
    unknown_document = "unknown_document"
    consent_required = "consent_required"
    dossier_conflict = "dossier_conflict"
    agency_code_missing = "agency_code_missing"
    processing_time_unknown = "processing_time_unknown"
    already_rated = "already_rated"
    upload_offset_mismatch = "upload_offset_mismatch"
    upload_locked = "upload_locked"
    too_many_uploads = "too_many_uploads"
    chunk_checksum_mismatch = "chunk_checksum_mismatch"
    checksum_algorithm_unsupported = "checksum_algorithm_unsupported"
    tus_version_unsupported = "tus_version_unsupported"
    blob_missing = "blob_missing"
    batch_conflict = "batch_conflict"
    missing_document = "missing_document"
    cccd_mismatch = "cccd_mismatch"
    invalid_image = "invalid_image"
    media_type_mismatch = "media_type_mismatch"
    blob_too_large = "blob_too_large"
    image_too_many_pixels = "image_too_many_pixels"
    image_corrupt = "image_corrupt"
    checksum_mismatch = "checksum_mismatch"
    blob_not_found = "blob_not_found"
    cccd_invalid = "cccd_invalid"
    media_error = "media_error"
    holiday_override_exists = "holiday_override_exists"
    rate_limited = "rate_limited"
    not_ready = "not_ready"
    internal_error = "internal_error"


@dataclass(frozen=True)
class ErrorSpec:
    """How one code travels over HTTP."""

    status: int
    title: str


CATALOGUE: dict[ErrorCode, ErrorSpec] = {
    ErrorCode.malformed_json: ErrorSpec(400, "Request body is not valid JSON"),
    ErrorCode.validation_failed: ErrorSpec(422, "Request values are invalid"),
    ErrorCode.forbidden_characters: ErrorSpec(
        422, "Text holds control or invisible characters, or is blank"
    ),
    ErrorCode.unsupported_media_type: ErrorSpec(415, "Unsupported media type"),
    ErrorCode.body_too_large: ErrorSpec(413, "Request body too large"),
    ErrorCode.invalid_credentials: ErrorSpec(401, "Wrong username or password"),
    ErrorCode.unauthenticated: ErrorSpec(401, "Authentication required"),
    ErrorCode.device_revoked: ErrorSpec(401, "This device was revoked"),
    ErrorCode.enrolment_code_invalid: ErrorSpec(401, "Enrolment code unknown, used or expired"),
    ErrorCode.csrf_failed: ErrorSpec(403, "CSRF token missing or wrong"),
    ErrorCode.forbidden: ErrorSpec(403, "Not allowed for this role"),
    ErrorCode.not_found: ErrorSpec(404, "Not found"),
    ErrorCode.method_not_allowed: ErrorSpec(405, "Method not allowed"),
    ErrorCode.username_taken: ErrorSpec(409, "Username already exists"),
    ErrorCode.procedure_code_taken: ErrorSpec(409, "Procedure code already in the catalog"),
    ErrorCode.agency_code_taken: ErrorSpec(409, "Agency code used by another commune"),
    ErrorCode.unknown_commune: ErrorSpec(422, "Unknown commune code"),
    ErrorCode.stale_version: ErrorSpec(409, "Edited by someone else meanwhile"),
    ErrorCode.illegal_transition: ErrorSpec(409, "Action not allowed in the dossier's status"),
    ErrorCode.unknown_procedure: ErrorSpec(422, "Procedure not in the commune's catalog"),
    ErrorCode.unknown_document: ErrorSpec(422, "Document key not required by the procedure"),
    ErrorCode.consent_required: ErrorSpec(422, "The applicant's consent is missing"),
    ErrorCode.dossier_conflict: ErrorSpec(409, "Dossier id already used with other content"),
    ErrorCode.agency_code_missing: ErrorSpec(409, "The commune has no agency code yet"),
    ErrorCode.processing_time_unknown: ErrorSpec(422, "Processing time unknown for procedure"),
    ErrorCode.media_type_mismatch: ErrorSpec(422, "Content is not of the declared media type"),
    ErrorCode.blob_too_large: ErrorSpec(413, "Blob larger than the limit"),
    ErrorCode.image_too_many_pixels: ErrorSpec(422, "Image has more pixels than the limit"),
    ErrorCode.image_corrupt: ErrorSpec(422, "Image is truncated or corrupt"),
    ErrorCode.checksum_mismatch: ErrorSpec(422, "Content does not match its checksum"),
    ErrorCode.blob_not_found: ErrorSpec(404, "No blob with that hash"),
    ErrorCode.cccd_invalid: ErrorSpec(422, "Malformed citizen ID card QR payload"),
    ErrorCode.media_error: ErrorSpec(422, "Media could not be processed"),
    ErrorCode.upload_offset_mismatch: ErrorSpec(409, "Upload-Offset is not the upload's offset"),
    ErrorCode.upload_locked: ErrorSpec(423, "Another request is writing this upload; retry"),
    ErrorCode.too_many_uploads: ErrorSpec(429, "Too many unfinished uploads for this device"),
    ErrorCode.chunk_checksum_mismatch: ErrorSpec(460, "Upload-Checksum does not match"),
    ErrorCode.checksum_algorithm_unsupported: ErrorSpec(400, "Upload-Checksum algorithm unknown"),
    ErrorCode.tus_version_unsupported: ErrorSpec(412, "Tus-Resumable version not supported"),
    ErrorCode.blob_missing: ErrorSpec(409, "Referenced blobs are not uploaded yet"),
    ErrorCode.batch_conflict: ErrorSpec(409, "Batch id already used with another manifest"),
    ErrorCode.missing_document: ErrorSpec(422, "A required document has no scan"),
    ErrorCode.cccd_mismatch: ErrorSpec(422, "ID number differs from the ID card's QR"),
    ErrorCode.invalid_image: ErrorSpec(422, "A scan is not a valid image"),
    ErrorCode.already_rated: ErrorSpec(409, "The dossier already has a satisfaction rating"),
    ErrorCode.holiday_override_exists: ErrorSpec(409, "That day already has an override"),
    ErrorCode.rate_limited: ErrorSpec(429, "Too many requests"),
    ErrorCode.not_ready: ErrorSpec(503, "Service not ready"),
    ErrorCode.internal_error: ErrorSpec(500, "Internal error"),
}
