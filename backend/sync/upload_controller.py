"""The tus 1.0 endpoint for field devices' blobs (any unmodified tus client works)."""

from __future__ import annotations

from datetime import datetime
from email.utils import format_datetime
from typing import Any

from litestar import Controller, Request, Response, delete, head, patch, post, route
from litestar.di import NamedDependency, Provide
from litestar.enums import HttpMethod
from litestar.params import FromPath
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from backend.auth.principal import DevicePrincipal, device_of
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


def _provide_device(request: Request[Any, Any, Any]) -> DevicePrincipal:
    if request.headers.get("tus-resumable") != TUS_VERSION:
        raise tus_error(ErrorCode.tus_version_unsupported, f"send Tus-Resumable: {TUS_VERSION}")
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


class UploadController(Controller):
    """tus core, creation, checksum (sha1, sha256), expiration and termination."""

    path = "/api/v1/uploads"
    tags = ["uploads"]
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
        summary="Create an upload (Upload-Length; Upload-Metadata with sha256 and media_type)",
    )
    async def create(
        self, request: Request[Any, Any, Any], uploads: NamedDependency[UploadService], device: Dev
    ) -> Response[None]:
        raw_length = request.headers.get("upload-length", "")
        if not raw_length.isdigit():
            raise tus_error(ErrorCode.validation_failed, "Upload-Length is required")
        metadata = parse_metadata(request.headers.get("upload-metadata"))
        state = await uploads.create(device, int(raw_length), metadata)
        location = f"{str(request.base_url).rstrip('/')}/api/v1/uploads/{state.id}"
        return Response(
            None,
            status_code=HTTP_201_CREATED,
            headers={**_headers(state), "Location": location},
        )

    @head("/{upload_id:str}", summary="The offset to resume from")
    async def status(
        self, uploads: NamedDependency[UploadService], device: Dev, upload_id: FromPath[str]
    ) -> Response[None]:
        state = await uploads.state(device, upload_id)
        return Response(None, headers=_headers(state))

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
        if request.headers.get("content-type", "").split(";")[0].strip() != OFFSET_STREAM:
            raise tus_error(
                ErrorCode.unsupported_media_type, f"PATCH needs Content-Type: {OFFSET_STREAM}"
            )
        raw_offset = request.headers.get("upload-offset", "")
        if not raw_offset.isdigit():
            raise tus_error(ErrorCode.validation_failed, "Upload-Offset is required")
        state = await uploads.append(
            device,
            upload_id,
            int(raw_offset),
            request.stream(),
            request.headers.get("upload-checksum"),
        )
        return Response(None, status_code=HTTP_204_NO_CONTENT, headers=_headers(state))

    @delete("/{upload_id:str}", status_code=HTTP_204_NO_CONTENT, summary="Terminate an upload")
    async def terminate(
        self, uploads: NamedDependency[UploadService], device: Dev, upload_id: FromPath[str]
    ) -> Response[None]:
        await uploads.terminate(device, upload_id)
        return Response(None, status_code=HTTP_204_NO_CONTENT, headers=dict(TUS_HEADERS))
