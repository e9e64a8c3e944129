"""Talking to the server over weak links: JSON calls with retries, and a tus uploader.

Network failures, 5xx and 429 are retried with exponential backoff and full jitter. The uploader
resumes from the server's offset (HEAD) after every failure. It sends no per-PATCH checksum by
default: the server then keeps every byte that arrived before a cut, and the client re-sends only
what never arrived, which on a link cut every few hundred kilobytes matters far more than the
chunk-level check. Integrity rests on the whole blob's sha256, which the server verifies before
the blob exists. ``chunk_checksum=True`` adds ``Upload-Checksum`` to every PATCH for links that
corrupt rather than cut. A cut that moved bytes counts as progress: the client resumes at once;
only a failure that moved nothing backs off. The chunk size adapts to the link: halved after a
slow PATCH (or a lost checksummed one), doubled after fast ones. tuspy offers neither jittered
backoff nor adaptive chunks, hence this small client over httpx.
"""

from __future__ import annotations

import base64
import hashlib
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

import httpx
import msgspec

from field_sync import __version__
from schemas import devices, sync
from schemas.common import Problem
from schemas.errors import ErrorCode

__all__ = [
    "Backoff",
    "LinkDownError",
    "LocalProblem",
    "ProblemError",
    "Server",
    "UploadStats",
    "server_address",
]

T = TypeVar("T")
TUS = {"Tus-Resumable": "1.0.0"}
_RETRY_STATUSES = {423, 429, 500, 502, 503, 504}
"""Answers that mean "not now": 423 is an upload another request is still writing."""
MIN_CHUNK = 16 * 1024
MAX_CHUNK = 1024 * 1024


class LocalProblem(StrEnum):
    """Failures this client names itself (the server's are :class:`ErrorCode`)."""

    unexpected_answer = "unexpected_answer"
    """The server answered something this client cannot read (a proxy's page, a newer API)."""
    blobs_still_missing = "blobs_still_missing"
    """A batch kept missing blobs after uploading them again."""


class ProblemError(Exception):
    """The server refused a request (a 4xx with a problem code from the shared catalogue)."""

    def __init__(self, status: int, code: ErrorCode | LocalProblem | str, detail: str) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status = status
        self.code: ErrorCode | LocalProblem | str = code
        """An :class:`ErrorCode` when the server sent one this client knows."""
        self.detail = detail


@dataclass
class Backoff:
    """Exponential backoff with full jitter; ``attempts`` bounds one call's retries."""

    base_s: float = 0.5
    cap_s: float = 30.0
    attempts: int = 8
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)
    on_wait: Callable[[float, int, int], None] | None = None
    """Told ``(seconds, attempt, attempts)`` before each wait, so a person knows why it waits."""

    def delay(self, attempt: int) -> float:
        """How long to wait before retry number ``attempt`` (0-based)."""
        return self.rng.uniform(0, min(self.cap_s, self.base_s * 2**attempt))

    def wait(self, attempt: int, at_least: float = 0.0) -> None:
        """Wait before retry number ``attempt`` (0-based), saying so first; never less than
        ``at_least`` (the server's ``Retry-After``)."""
        seconds = max(self.delay(attempt), min(at_least, 10 * self.cap_s))
        if self.on_wait is not None:
            self.on_wait(seconds, attempt + 1, self.attempts)
        self.sleep(seconds)


class LinkDownError(Exception):
    """The server could not be reached (no route, refused, timed out, cut) after every retry.

    Nothing is lost: what was sent before is kept by the server, and the outbox keeps the
    rest for the next try.
    """


@dataclass
class UploadStats:
    """What an upload cost on the wire."""

    bytes_sent: int = 0
    bytes_unkept: int = 0
    """Bytes put into PATCHes that the server did not keep: an upper bound of what was sent
    twice (a cut PATCH may never have transmitted its tail)."""
    failures: int = 0
    chunks: int = 0

    def add(self, other: UploadStats) -> None:
        """Count another upload's figures in."""
        self.bytes_sent += other.bytes_sent
        self.bytes_unkept += other.bytes_unkept
        self.failures += other.failures
        self.chunks += other.chunks


_problem_decoder = msgspec.json.Decoder(Problem)


def _why(exc: httpx.TransportError) -> str:
    """A network failure in words a team member understands."""
    if isinstance(exc, httpx.TimeoutException):
        return "máy chủ không trả lời kịp (mạng chậm hoặc mất sóng)"
    if isinstance(exc, httpx.ConnectError):
        return "không kết nối được (mất mạng, sai địa chỉ hoặc máy chủ đang tắt)"
    return "kết nối bị ngắt giữa chừng"


def _problem(response: httpx.Response) -> ProblemError:
    """The server's problem document as an error (a proxy's HTML page has no code)."""
    try:
        problem = _problem_decoder.decode(response.content)
    except msgspec.DecodeError:
        return ProblemError(
            response.status_code, LocalProblem.unexpected_answer, response.reason_phrase
        )
    try:
        code: ErrorCode | str = ErrorCode(problem.code)
    except ValueError:
        code = problem.code  # a newer server's code: still shown, never branched on
    return ProblemError(response.status_code, code, problem.detail)


def _retry_after(response: httpx.Response) -> float:
    """The server's ``Retry-After`` in seconds (0 when absent or a date)."""
    value = response.headers.get("retry-after", "")
    return float(value) if value.isascii() and value.isdigit() else 0.0


def server_address(typed: str) -> str:
    """The server's base URL as a person typed it: ``192.168.1.10:8000`` means ``http://...``.

    Raises ``ValueError`` (in Vietnamese) for what cannot be an address, before any request.
    """
    text = typed.strip()
    if "://" not in text:
        text = f"http://{text}"
    try:
        url = httpx.URL(text)
    except httpx.InvalidURL:
        raise ValueError(f"«{typed}» không phải địa chỉ máy chủ") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError(f"«{typed}» không phải địa chỉ máy chủ (cần dạng http://máy-chủ:cổng)")
    return str(url).rstrip("/")


class Server:
    """One server, as a device (or, before enrolment, as nobody)."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        backoff: Backoff | None = None,
        timeout_s: float = 30.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        headers = {"User-Agent": f"field-sync/{__version__}", "X-App-Version": __version__}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.http = httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout_s)
        # Every header crosses a 2G uplink on every request: these two say only what HTTP/1.1
        # already means (keep-alive, any answer), about 40 bytes a request.
        for implied in ("Accept", "Connection"):
            del self.http.headers[implied]
        self.backoff = backoff or Backoff()

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()

    def _retrying(self, call: Callable[[], httpx.Response]) -> httpx.Response:
        for attempt in range(self.backoff.attempts):
            try:
                response = call()
            except httpx.TransportError as exc:
                if attempt == self.backoff.attempts - 1:
                    raise LinkDownError(_why(exc)) from exc
            else:
                if response.status_code not in _RETRY_STATUSES:
                    return response
                if attempt == self.backoff.attempts - 1:
                    raise _problem(response)
                self.backoff.wait(attempt, _retry_after(response))
                continue
            self.backoff.wait(attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def _call(
        self,
        method: str,
        path: str,
        answer: type[T],
        body: msgspec.Struct | None = None,
        **kwargs: Any,
    ) -> T:
        """One JSON exchange in the shared wire types: ``body`` out, ``answer`` back."""
        if body is not None:
            kwargs["content"] = msgspec.json.encode(body)
            kwargs["headers"] = {"Content-Type": "application/json"}
        response = self._retrying(lambda: self.http.request(method, path, **kwargs))
        if response.status_code >= 400:
            raise _problem(response)
        try:
            return msgspec.json.decode(response.content, type=answer)
        except msgspec.ValidationError as exc:
            raise ProblemError(
                response.status_code,
                LocalProblem.unexpected_answer,
                f"câu trả lời lạ từ máy chủ: {exc}",
            ) from None

    # --- JSON API -------------------------------------------------------------------------

    def enroll(self, code: str, name: str) -> devices.DeviceEnrolled:
        """Spend an enrolment code."""
        body = devices.DeviceEnroll(code=code, name=name, app_version=__version__)
        return self._call("POST", "/api/v1/devices/enroll", devices.DeviceEnrolled, body)

    def bootstrap(self) -> sync.Bootstrap:
        """Team, commune, catalog and limits."""
        return self._call("GET", "/api/v1/sync/bootstrap", sync.Bootstrap)

    def submit(self, manifest: sync.BatchManifest) -> sync.BatchAccepted:
        """Post a batch manifest (idempotent)."""
        return self._call("POST", "/api/v1/sync/batches", sync.BatchAccepted, manifest)

    def commit(self, batch_id: str) -> sync.BatchCommitted:
        """Commit a batch (idempotent)."""
        return self._call("POST", f"/api/v1/sync/batches/{batch_id}/commit", sync.BatchCommitted)

    def changes(self, since: int, limit: int = 200) -> sync.ChangePage:
        """A page of the change feed."""
        return self._call(
            "GET",
            "/api/v1/sync/changes",
            sync.ChangePage,
            params={"since": since, "limit": limit},
        )

    def reconcile(self, batch_ids: list[str], dossier_ids: list[str]) -> sync.Reconciliation:
        """What the server holds of these ids."""
        body = sync.ReconcileRequest(batch_ids=batch_ids, dossier_ids=dossier_ids)
        return self._call("POST", "/api/v1/sync/reconcile", sync.Reconciliation, body)

    # --- tus ------------------------------------------------------------------------------

    def create_upload(self, sha256: str, size: int, media_type: str) -> str:
        """A new tus upload; its URL."""
        headers = self.creation_headers(sha256, size, media_type)
        response = self._retrying(lambda: self.http.post("/api/v1/uploads", headers=headers))
        if response.status_code != 201:
            raise _problem(response)
        return response.headers["location"]

    def create_with_upload(
        self, sha256: str, size: int, media_type: str, first: bytes
    ) -> tuple[str, int]:
        """A new tus upload carrying its ``first`` bytes in the same request (tus
        creation-with-upload: a scan that fits in one chunk is one request); its URL and the
        server's offset.

        Tried once: a creation cut mid-body answers no address to resume, so after a cut (or a
        busy server) the upload is created empty and its bytes go by PATCH, which resumes from
        the server's offset. What the cut request left on the server expires there."""
        headers = {
            **self.creation_headers(sha256, size, media_type),
            "Content-Type": "application/offset+octet-stream",
        }
        try:
            response = self.http.post("/api/v1/uploads", content=first, headers=headers)
        except httpx.TransportError:
            return self.create_upload(sha256, size, media_type), 0
        if response.status_code in _RETRY_STATUSES:
            return self.create_upload(sha256, size, media_type), 0
        if response.status_code != 201:
            raise _problem(response)
        return response.headers["location"], int(response.headers.get("upload-offset", "0"))

    @staticmethod
    def creation_headers(sha256: str, size: int, media_type: str) -> dict[str, str]:
        """The tus creation headers of a scan: its length, and its sha256 and media type in
        ``Upload-Metadata``."""
        metadata = ",".join(
            f"{k} {base64.b64encode(v.encode()).decode()}"
            for k, v in (("sha256", sha256), ("media_type", media_type))
        )
        return {**TUS, "Upload-Length": str(size), "Upload-Metadata": metadata}

    def offset(self, url: str) -> int | None:
        """The server's offset for an upload, or ``None`` if it is gone (expired, discarded)."""
        response = self._retrying(lambda: self.http.head(url, headers=TUS))
        if response.status_code == 404:
            return None
        if response.status_code >= 400:
            raise _problem(response)
        return int(response.headers["upload-offset"])

    def upload(
        self,
        url: str,
        path: Path,
        size: int,
        *,
        chunk: int,
        stats: UploadStats,
        on_progress: Callable[[int], None] | None = None,
        chunk_checksum: bool = False,
        start: int | None = None,
    ) -> int:
        """Send the file from the server's offset to the end, surviving cuts; the chunk size
        the link last carried well, for the next upload to start with.

        ``start`` is the offset when the caller knows it (what a creation just carried);
        otherwise the server is asked.
        """
        offset = start if start is not None else self.offset(url)
        if offset is None:
            raise ProblemError(404, ErrorCode.not_found, "the upload is gone on the server")
        failures = 0
        with open(path, "rb") as handle:
            while offset < size:
                handle.seek(offset)
                data = handle.read(chunk)
                headers = {
                    **TUS,
                    "Upload-Offset": str(offset),
                    "Content-Type": "application/offset+octet-stream",
                }
                if chunk_checksum:
                    digest = base64.b64encode(hashlib.sha256(data).digest()).decode()
                    headers["Upload-Checksum"] = f"sha256 {digest}"
                started = time.monotonic()
                try:
                    response = self.http.patch(url, content=data, headers=headers)
                except httpx.TransportError:
                    response = None
                stats.bytes_sent += len(data)
                if response is not None and response.status_code == 204:
                    offset = int(response.headers["upload-offset"])
                    stats.chunks += 1
                    failures = 0
                    elapsed = time.monotonic() - started
                    if elapsed < 1.0:
                        chunk = min(MAX_CHUNK, chunk * 2)
                    elif elapsed > 8.0:
                        chunk = max(MIN_CHUNK, chunk // 2)
                    if on_progress:
                        on_progress(offset)
                    continue
                if response is not None and response.status_code not in (
                    409,
                    460,
                    *_RETRY_STATUSES,
                ):
                    raise _problem(response)
                # A cut, an overloaded server, or our offset is stale: ask the server where it is.
                stats.failures += 1
                server_offset = self.offset(url)
                if server_offset is None:
                    raise ProblemError(404, ErrorCode.not_found, "the upload is gone on the server")
                # What we sent of this chunk that the server did not keep must go again.
                stats.bytes_unkept += max(0, offset + len(data) - server_offset)
                if server_offset > offset:
                    # The link moved bytes before it broke: that is progress, not a reason to
                    # wait. Resume at once from what the server kept.
                    failures = 0
                else:
                    if chunk_checksum:
                        chunk = max(MIN_CHUNK, chunk // 2)  # a cut chunk is lost whole
                    if failures >= self.backoff.attempts:
                        raise LinkDownError(f"tải lên không tiến thêm sau {failures} lần thử")
                    if failures:
                        busy = _retry_after(response) if response is not None else 0.0
                        self.backoff.wait(failures, busy)
                    failures += 1
                offset = server_offset
        return chunk
