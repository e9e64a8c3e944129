"""The field client's backoff: jittered, bounded, and never shorter than the server asks."""

from __future__ import annotations

import random

import httpx

from field_sync.transport import Backoff, _retry_after


def test_backoff__waits_at_least_what_retry_after_says_and_is_told_so() -> None:
    waits: list[float] = []
    told: list[float] = []
    backoff = Backoff(
        base_s=0.5,
        cap_s=30.0,
        sleep=waits.append,
        rng=random.Random(1),
        on_wait=lambda seconds, attempt, attempts: told.append(seconds),
    )

    backoff.wait(0)
    backoff.wait(0, at_least=12.0)
    backoff.wait(0, at_least=10_000.0)

    assert waits[0] <= 0.5
    assert waits[1] == 12.0
    assert waits[2] == 300.0, "a server's wish is bounded (ten times the cap)"
    assert told == waits


def test_retry_after__seconds_only() -> None:
    def answer(value: str | None) -> httpx.Response:
        headers = {"Retry-After": value} if value is not None else {}
        return httpx.Response(503, headers=headers)

    assert _retry_after(answer("7")) == 7.0
    assert _retry_after(answer(None)) == 0.0
    assert _retry_after(answer("Wed, 21 Oct 2026 07:28:00 GMT")) == 0.0
