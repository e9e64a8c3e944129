"""Per-client-address rate limits, counted where every worker sees the same count.

A route opts in with ``opt={"rate_limit": kind}``; each kind has its own limit and bucket
(login, enrolment, public tracking). With ``REDIS_URL`` the counters live in Redis, shared by
every worker and replica; without it, in each worker's memory (the embedded default, one
process). When Redis does not answer, requests are let through and a warning is logged: a limit
that cannot be counted must not lock the whole office out (sign-in keeps its per-account
throttle in the database, ``accounts/services.py``), and ``/ready`` reports Redis down.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from litestar import Request
from litestar.middleware.base import DefineMiddleware
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.stores.redis import RedisStore
from litestar.stores.registry import StoreRegistry
from redis.exceptions import RedisError

from backend.settings import Settings

__all__ = ["SharedCounters", "rate_limit_middleware", "rate_limit_stores"]

logger = logging.getLogger("luudong.rate_limits")


class SharedCounters(RedisStore):
    """Litestar's Redis store, failing open when Redis is unreachable."""

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        try:
            return await super().get(key, renew_for)
        except RedisError as exc:
            logger.warning("rate limit not counted, Redis unreachable: %s", exc)
            return None

    async def set(
        self, key: str, value: str | bytes, expires_in: int | timedelta | None = None
    ) -> None:
        try:
            await super().set(key, value, expires_in)
        except RedisError as exc:
            logger.warning("rate limit not counted, Redis unreachable: %s", exc)

    async def ping(self) -> None:
        """Raise ``RedisError`` unless Redis answers."""
        await self._redis.ping()


def rate_limit_stores(settings: Settings) -> StoreRegistry | None:
    """The stores the limits count in: Redis when configured, else Litestar's memory stores."""
    if settings.redis_url is None:
        return None
    root = SharedCounters.with_client(url=settings.redis_url, namespace="luudong")
    return StoreRegistry(default_factory=root.with_namespace)


def rate_limit_middleware(settings: Settings) -> list[DefineMiddleware]:
    """One limit per kind of route, each counted in its own bucket."""
    limits = {
        "login": settings.login_attempts_per_minute,
        "enrolment": settings.enrolments_per_minute,
        "tracking": settings.tracking_requests_per_minute,
    }
    return [_limit(kind, per_minute) for kind, per_minute in limits.items()]


def _limit(kind: str, per_minute: int) -> DefineMiddleware:
    async def applies(request: Request[Any, Any, Any]) -> bool:
        # A coroutine: Litestar runs a plain function given here in a worker thread, and this
        # runs for every request under every limit.
        return bool(request.route_handler.opt.get("rate_limit") == kind)

    return RateLimitConfig(
        rate_limit=("minute", per_minute),
        check_throttle_handler=applies,
        store=f"rate_limit_{kind}",
    ).middleware
