"""The tus 1.0 endpoint for field devices' blobs (any unmodified tus client works)."""

from __future__ import annotations

import contextlib
import re
from datetime import datetime
from email.utils import format_datetime
from typing import Any

from litestar import Controller, Request, Response, delete, head, patch, post, route
from litestar.di import NamedDependency, Provide
from litestar.enums import HttpMethod
from litestar.params import FromPath
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT

from backend.auth.principal import DevicePrincipal, device_of, devices_only
from backend.errors import AppError
from backend.settings import Settings
from backend.sync.uploads import (
    TUS_EXTENSIONS,
    TUS_HEADERS,
    TUS_VERSION,
    UploadService,
    UploadState,
    parse_metadata,
    tus_error,
)
from schemas.errors import ErrorCode

__all__ = ["UploadController"]

OFFSET_STREAM = "application/offset+octet-stream"
Dev = NamedDependency[DevicePrincipal]


_DIGITS = re.compile(r"[0-9]{1,18}")


def _provide_device(request: Request[Any, Any, Any]) -> DevicePrincipal:
    if request.headers.get("tus-resumable") != TUS_VERSION:
        error = tus_error(ErrorCode.tus_version_unsupported, f"send Tus-Resumable: {TUS_VERSION}")
        error.headers["Tus-Version"] = TUS_VERSION
        raise error
    return device_of(request)


def _http_date(value: datetime) -> str:
    return format_datetime(value, usegmt=True)


def _headers(state: UploadState) -> dict[str, str]:
    return {
        **TUS_HEADERS,
        "Upload-Offset": str(state.offset),
        "Upload-Length": str(state.length),
        "Upload-Expires": _http_date(state.expires_at),
        "Cache-Control": "no-store",
    }


def _whole(request: Request[Any, Any, Any], header: str) -> int:
    """A header that must be a whole number of bytes (ASCII digits only)."""
    raw = request.headers.get(header.lower(), "")
    if not _DIGITS.fullmatch(raw):
        raise tus_error(ErrorCode.validation_failed, f"{header} must be a whole number of bytes")
    return int(raw)


def _has_body(request: Request[Any, Any, Any]) -> bool:
    """Whether a creation request carries the first bytes (tus creation-with-upload)."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip()
    if media_type != OFFSET_STREAM:
        return False
    length = request.headers.get("content-length")
    return length is None or length != "0"


class UploadController(Controller):
    """tus core, creation, creation-with-upload, checksum (sha1, sha256), expiration and
    termination; ``X-HTTP-Method-Override`` for networks whose proxies pass only GET and POST."""

    path = "/api/v1/uploads"
    guards = [devices_only]
    tags = ["uploads"]
    opt = {"body": "tus"}
    dependencies = {"device": Provide(_provide_device, sync_to_thread=False)}

    @route(
        "/",
        http_method=HttpMethod.OPTIONS,
        exclude_from_auth=True,
        status_code=HTTP_204_NO_CONTENT,
        summary="What this tus server supports",
        include_in_schema=True,
    )
    async def capabilities(self, settings: NamedDependency[Settings]) -> Response[None]:
        return Response(
            None,
            status_code=HTTP_204_NO_CONTENT,
            headers={
                **TUS_HEADERS,
                "Tus-Version": TUS_VERSION,
                "Tus-Extension": TUS_EXTENSIONS,
                "Tus-Checksum-Algorithm": "sha1,sha256",
                "Tus-Max-Size": str(settings.max_blob_bytes),
            },
        )

    @post(
        "/",
        status_code=HTTP_201_CREATED,
        request_max_body_size=None,
        summary="Create an upload (Upload-Length; Upload-Metadata with sha256 and media_type), "
        "with its first bytes when the body is application/offset+octet-stream",
    )
    async def create(
        self, request: Request[Any, Any, Any], uploads: NamedDependency[UploadService], device: Dev
    ) -> Response[None]:
        metadata = parse_metadata(request.headers.get("upload-metadata"))
        length = _whole(request, "Upload-Length")
        sent = request.headers.get("content-length", "")
        if _has_body(request) and sent.isascii() and sent.isdigit() and int(sent) > length:
            raise tus_error(ErrorCode.blob_too_large, "the body is longer than Upload-Length")
        state = await uploads.create(device, length, metadata)
        if _has_body(request):
            try:
                state = await uploads.append(
                    device, state.id, 0, request.stream(), request.headers.get("upload-checksum")
                )
            except AppError:
                # The answer carries no Location: nobody could resume this upload. A refused
                # blob (a checksum that does not match) is already gone: the refusal is the
                # answer, not the terminate's not_found.
                with contextlib.suppress(AppError):
                    await uploads.terminate(device, state.id)
                raise
        # Relative (tus 1.0 clients resolve it against the address they posted to), so it holds
        # whatever address and proxy the device reached the server through.
        location = f"/api/v1/uploads/{state.id}"
        return Response(
            None,
            status_code=HTTP_201_CREATED,
            headers={**_headers(state), "Location": location},
        )

    @head("/{upload_id:str}", summary="The offset to resume from")
    async def status(
        self, uploads: NamedDependency[UploadService], device: Dev, upload_id: FromPath[str]
    ) -> Response[None]:
        return await _status(uploads, device, upload_id)

    @patch(
        "/{upload_id:str}",
        status_code=HTTP_204_NO_CONTENT,
        # The body is streamed and never read whole; the service refuses bytes beyond
        # Upload-Length, which is itself bounded by MAX_BLOB_BYTES.
        request_max_body_size=None,
        summary="Append bytes at Upload-Offset (streamed, never buffered whole)",
    )
    async def append(
        self,
        request: Request[Any, Any, Any],
        uploads: NamedDependency[UploadService],
        device: Dev,
        upload_id: FromPath[str],
    ) -> Response[None]:
        return await _append(request, uploads, device, upload_id)

    @delete("/{upload_id:str}", status_code=HTTP_204_NO_CONTENT, summary="Terminate an upload")
    async def terminate(
        self, uploads: NamedDependency[UploadService], device: Dev, upload_id: FromPath[str]
    ) -> Response[None]:
        return await _terminate(uploads, device, upload_id)

    @post(
        "/{upload_id:str}",
        request_max_body_size=None,
        summary="PATCH, HEAD or DELETE sent as POST with X-HTTP-Method-Override",
    )
    async def overridden(
        self,
        request: Request[Any, Any, Any],
        uploads: NamedDependency[UploadService],
        device: Dev,
        upload_id: FromPath[str],
    ) -> Response[None]:
        match request.headers.get("x-http-method-override", "").upper():
            case "PATCH":
                return await _append(request, uploads, device, upload_id)
            case "HEAD":
                return await _status(uploads, device, upload_id)
            case "DELETE":
                return await _terminate(uploads, device, upload_id)
        raise tus_error(
            ErrorCode.method_not_allowed,
            "POST to an upload needs X-HTTP-Method-Override: PATCH, HEAD or DELETE",
        )


async def _append(
    request: Request[Any, Any, Any], uploads: UploadService, device: DevicePrincipal, upload_id: str
) -> Response[None]:
    if request.headers.get("content-type", "").split(";")[0].strip() != OFFSET_STREAM:
        raise tus_error(
            ErrorCode.unsupported_media_type, f"PATCH needs Content-Type: {OFFSET_STREAM}"
        )
    state = await uploads.append(
        device,
        upload_id,
        _whole(request, "Upload-Offset"),
        request.stream(),
        request.headers.get("upload-checksum"),
    )
    return Response(None, status_code=HTTP_204_NO_CONTENT, headers=_headers(state))


async def _status(
    uploads: UploadService, device: DevicePrincipal, upload_id: str
) -> Response[None]:
    state = await uploads.state(device, upload_id)
    return Response(None, status_code=HTTP_200_OK, headers=_headers(state))


async def _terminate(
    uploads: UploadService, device: DevicePrincipal, upload_id: str
) -> Response[None]:
    await uploads.terminate(device, upload_id)
    return Response(None, status_code=HTTP_204_NO_CONTENT, headers=dict(TUS_HEADERS))
