"""What an operator watches: Prometheus metrics at ``/metrics``.

- ``luudong_requests_total``, ``luudong_request_duration_seconds`` (Litestar's Prometheus
  middleware, by method, route template and status);
- ``luudong_uploads_completed_total`` and ``luudong_upload_bytes_total``: scans received whole;
- ``luudong_batch_items_total{outcome}``: dossiers and supplements committed from the field
  (``accepted``, ``duplicate``, ``rejected``, ``conflict``);
- ``luudong_errors_total{code}``: every problem answered, by its stable error code;
- ``luudong_dossiers_awaiting_receipt{commune}``: dossiers submitted from the field or the
  counter that no clerk has received yet (read from the database at each scrape).

With several workers (``luudong serve --workers N``) each process writes its counters to the
folder ``PROMETHEUS_MULTIPROC_DIR`` names (``serve`` sets one up), so any worker answers a scrape
with the sum of all of them. Only addresses in ``METRICS_ALLOW`` (loopback and private networks
by default) are answered; anybody else is told 404.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterable
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from piccolo.query.functions.aggregate import Count
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)
from prometheus_client import REGISTRY as DEFAULT_REGISTRY
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from backend.auth.principal import client_address
from backend.dossiers.tables import Dossier
from backend.errors import AppError
from backend.settings import Settings
from schemas.dossiers import Status
from schemas.errors import ErrorCode

__all__ = ["MetricsController"]


def _allowed(request: Request[Any, Any, Any], settings: Settings) -> bool:
    try:
        address = ipaddress.ip_address(client_address(request))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net) for net in settings.metrics_allow)


class MetricsController(Controller):
    """``/metrics`` in the Prometheus text format, for the networks ``METRICS_ALLOW`` names."""

    path = "/metrics"
    include_in_schema = False

    @get(exclude_from_auth=True, cache=False)
    async def scrape(
        self, request: Request[Any, Any, Any], settings: NamedDependency[Settings]
    ) -> Response[bytes]:
        if not _allowed(request, settings):
            raise AppError(ErrorCode.not_found, "Không tìm thấy.")
        registry = DEFAULT_REGISTRY
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        queue = CollectorRegistry()
        queue.register(_Gauges([await _awaiting_receipt()]))
        body = generate_latest(registry) + generate_latest(queue)
        return Response(body, media_type=CONTENT_TYPE_LATEST, status_code=200)


class _Gauges(Collector):
    """Metric families read at scrape time (nothing kept in the process)."""

    def __init__(self, families: list[GaugeMetricFamily]) -> None:
        self.families = families

    def collect(self) -> Iterable[Metric]:
        return self.families


async def _awaiting_receipt() -> GaugeMetricFamily:
    """The queue of unreceived dossiers per commune, read from the database now: the same
    whichever worker answers."""
    rows = await (
        Dossier.select(Dossier.commune, Count(Dossier.id, alias="n"))
        .where(Dossier.status == int(Status.submitted))
        .group_by(Dossier.commune)
    )
    family = GaugeMetricFamily(
        "luudong_dossiers_awaiting_receipt",
        "Dossiers submitted that no clerk has received yet.",
        labels=["commune"],
    )
    for row in rows:
        family.add_metric([str(row["commune"])], int(row["n"]))
    return family
