"""The process's counters for ``/metrics`` (``backend/metrics.py`` serves them): a leaf module,
so the error handler and the sync services can count without importing the web layer."""

from __future__ import annotations

from litestar.plugins.prometheus import PrometheusConfig
from prometheus_client import Counter

from schemas.errors import ErrorCode

__all__ = ["count_batch_items", "count_error", "count_upload", "prometheus_config"]

UPLOADS = Counter("luudong_uploads_completed", "Scans received whole (tus uploads completed).")
UPLOAD_BYTES = Counter("luudong_upload_bytes", "Bytes of the scans received whole.")
BATCH_ITEMS = Counter(
    "luudong_batch_items", "Dossiers and supplements committed from the field.", ["outcome"]
)
ERRORS = Counter("luudong_errors", "Problems answered, by stable error code.", ["code"])


def count_upload(size: int) -> None:
    UPLOADS.inc()
    UPLOAD_BYTES.inc(size)


def count_batch_items(outcomes: list[str]) -> None:
    for outcome in outcomes:
        BATCH_ITEMS.labels(outcome).inc()


def count_error(code: ErrorCode) -> None:
    ERRORS.labels(code.value).inc()


def prometheus_config() -> PrometheusConfig:
    """Request counts and durations by route template (never the raw path, which holds ids)."""
    return PrometheusConfig(
        app_name="luudong",
        prefix="luudong",
        group_path=True,
        exclude=["^/metrics", "^/health", "^/ready"],
    )
