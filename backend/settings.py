"""Settings: one object, read from the environment when the app is built, never at import."""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from media.store import BlobStore, LocalBlobStore

__all__ = ["S3Settings", "Settings", "SettingsError", "blob_store"]

CookieSecure = Literal["auto", "always", "never"]


class SettingsError(ValueError):
    """An environment variable holds a value the service cannot run with."""


@dataclass(frozen=True, kw_only=True)
class S3Settings:
    """An S3-compatible bucket for the scans."""

    bucket: str
    endpoint: str | None = None
    """``http(s)://host:port`` of a store other than AWS (MinIO, Garage, Ceph...)."""
    region: str = "us-east-1"
    access_key_id: str | None = field(default=None, repr=False)
    secret_access_key: str | None = field(default=None, repr=False)
    prefix: str = ""
    """Key prefix inside the bucket, so several deployments can share one."""


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Everything the service can be told from outside.

    Build it with :meth:`from_env` in entry points and construct it directly in tests.
    """

    database_url: str = "sqlite:///var/luudong.sqlite3"
    """``sqlite:///relative/path``, ``sqlite:////absolute/path`` or ``postgresql://user@host/db``."""

    media_root: Path = Path("var/media")
    """Folder of the content-addressed blob store and its derived artifacts."""

    s3: S3Settings | None = None
    """Where scans are kept when not in ``media_root/blobs``: an S3-compatible bucket
    (``S3_BUCKET`` and the other ``S3_*`` variables), for app processes on several hosts.
    ``media_root`` still holds upload parts and derived images, per host."""

    field_app_dir: Path | None = None
    """Folder of the built field app served at ``/thiet-bi/`` (default: the one ``make``
    builds in ``backend/field_app/frontend/dist``)."""

    secret_key: str = field(repr=False)
    """Server secret: keys the hashes of bearer and session tokens (a database copy alone
    cannot be used to check guessed tokens offline). Rotating it signs everybody out."""

    public_url: str | None = None
    """The address people and devices reach this service at (``https://motcua.example.vn``),
    printed in receipt and enrolment QR codes: never the address a request happened to use,
    which behind a proxy or on the server PC itself (``127.0.0.1``) no phone can open.
    ``luudong serve`` requires it; only the demo and tests may leave it out."""

    host: str = "127.0.0.1"
    """Address the HTTP server binds to."""

    port: int = 8000
    """Port the HTTP server listens on."""

    log_format: Literal["text", "json"] = "text"
    """``json``: one JSON object per log line with the request id, for a log collector;
    ``text``: readable lines (the embedded default)."""

    debug: bool = False
    """Litestar debug mode (tracebacks in error responses): never in production."""

    session_ttl: timedelta = timedelta(hours=10)
    """Lifetime of a clerk's login session: one working day at the counter."""

    cookie_secure: CookieSecure = "auto"
    """``auto`` marks cookies Secure when the request came over HTTPS (behind a proxy that sets
    ``X-Forwarded-Proto``), ``always`` and ``never`` force it."""

    login_attempts_per_minute: int = 10
    """Login attempts one client address may make per minute before 429."""

    tracking_requests_per_minute: int = 30
    """Public tracking look-ups one client address may make per minute before 429."""

    enrolments_per_minute: int = 120
    """Device enrolments one client address may attempt per minute before 429: its own count,
    so an office enrolling a hundred tablets is not held back by the login limit (a 12-letter
    one-time code is not guessed at this rate)."""

    redis_url: str | None = None
    """Redis (``redis://redis:6379/0``) holding the rate-limit counters, shared by every worker
    and replica. Without it each worker counts in its own memory: the embedded default, right
    for one process; with several, a client gets the limit once per worker."""

    max_blob_bytes: int = 25 * 1024 * 1024
    """Largest scan a device may upload (tus ``Upload-Length``), in bytes."""

    max_open_uploads: int = 16
    """Unfinished uploads one device may hold at once (a device sends one or two at a time);
    when full, its oldest uploads that hold no byte yet make room for a new one."""

    max_open_upload_bytes: int = 4 * 25 * 1024 * 1024
    """Bytes one device may hold in its unfinished uploads, with the new upload's length."""

    max_request_body: int = 1_048_576
    """Largest JSON request body accepted, in bytes (uploads have their own limit)."""

    pg_pool_size: int = 10
    """Connections in each worker's PostgreSQL pool."""

    upload_idle_timeout_s: int = 20
    """Seconds an upload PATCH may receive nothing before it gives up and frees the upload
    (a half-open connection of a dropped radio link would otherwise hold it for ever)."""

    trusted_proxies: tuple[str, ...] = ()
    """Addresses or networks (``10.0.0.0/8``) of the reverse proxies whose
    ``X-Forwarded-For`` and ``X-Forwarded-Proto`` are believed; none by default, so a client
    cannot write its own address into the audit trail or dodge the rate limits."""

    metrics_allow: tuple[str, ...] = (
        "127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"
    )  # fmt: skip
    """Networks whose scrapers may read ``/metrics`` (loopback and private by default); any
    other address is answered 404."""

    cors_origins: tuple[str, ...] = ()
    """Web origins (``https://portal.example``) whose pages may call the API and upload; none
    by default (the field app is served from the backend's own origin)."""

    @property
    def engine_kind(self) -> Literal["sqlite", "postgres"]:
        """Which database engine :attr:`database_url` names."""
        if self.database_url.startswith("sqlite:"):
            return "sqlite"
        return "postgres"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read settings from environment variables (``os.environ`` by default).

        ``SECRET_KEY`` may be given directly; otherwise it is read from ``SECRET_KEY_FILE``
        (default ``var/secret_key``), which is created with a fresh random key the first time, so
        the embedded default needs no set-up and the CLI and the server agree on it.
        """
        env = os.environ if environ is None else environ
        database_url = env.get("DATABASE_URL", cls.database_url)
        if not database_url.startswith(("sqlite:///", "postgresql://", "postgres://")):
            raise SettingsError(
                "DATABASE_URL must start with sqlite:/// or postgresql:// "
                f"(got {database_url.split(':', 1)[0]!r})"
            )
        cookie_secure = env.get("COOKIE_SECURE", "auto")
        if cookie_secure not in ("auto", "always", "never"):
            raise SettingsError("COOKIE_SECURE must be auto, always or never")
        return cls(
            database_url=database_url,
            media_root=Path(env.get("MEDIA_ROOT", str(cls.media_root))),
            s3=_s3(env),
            field_app_dir=Path(env["FIELD_APP_DIR"]) if env.get("FIELD_APP_DIR") else None,
            secret_key=_secret_key(env),
            public_url=_public_url(env.get("PUBLIC_URL", "")),
            host=env.get("HOST", cls.host),
            port=_int(env, "PORT", cls.port),
            log_format=_choice(env, "LOG_FORMAT", ("text", "json"), cls.log_format),  # type: ignore[arg-type]
            debug=env.get("DEBUG", "").lower() in ("1", "true", "yes"),
            session_ttl=timedelta(
                minutes=_int(env, "SESSION_TTL_MINUTES", int(cls.session_ttl.total_seconds() // 60))
            ),
            cookie_secure=cookie_secure,  # type: ignore[arg-type]
            login_attempts_per_minute=_int(
                env, "LOGIN_ATTEMPTS_PER_MINUTE", cls.login_attempts_per_minute
            ),
            tracking_requests_per_minute=_int(
                env, "TRACKING_REQUESTS_PER_MINUTE", cls.tracking_requests_per_minute
            ),
            enrolments_per_minute=_int(env, "ENROLMENTS_PER_MINUTE", cls.enrolments_per_minute),
            redis_url=_redis_url(env.get("REDIS_URL", "")),
            max_blob_bytes=_int(env, "MAX_BLOB_BYTES", cls.max_blob_bytes),
            max_open_uploads=_int(env, "MAX_OPEN_UPLOADS", cls.max_open_uploads),
            max_open_upload_bytes=_int(env, "MAX_OPEN_UPLOAD_BYTES", cls.max_open_upload_bytes),
            max_request_body=_int(env, "MAX_REQUEST_BODY", cls.max_request_body),
            pg_pool_size=_int(env, "PG_POOL_SIZE", cls.pg_pool_size),
            upload_idle_timeout_s=_int(env, "UPLOAD_IDLE_TIMEOUT_S", cls.upload_idle_timeout_s),
            trusted_proxies=_networks(env.get("TRUSTED_PROXIES", "")),
            metrics_allow=_networks(env["METRICS_ALLOW"], "METRICS_ALLOW")
            if "METRICS_ALLOW" in env
            else cls.metrics_allow,
            cors_origins=tuple(
                o.strip() for o in env.get("CORS_ORIGINS", "").split(",") if o.strip()
            ),
        )


def _public_url(raw: str) -> str | None:
    """``PUBLIC_URL``: ``http(s)://host[:port]``, at the root (the app is not served under a
    sub-path), without a query; returned without a trailing slash."""
    raw = raw.strip()
    if not raw:
        return None
    parts = urlsplit(raw)
    problem = None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        problem = "must be http:// or https:// followed by a host"
    elif parts.path not in ("", "/") or parts.query or parts.fragment:
        problem = "must be the server's root address, without a path or query"
    elif parts.username or parts.password:
        problem = "must not hold a user name or password"
    else:
        try:
            parts.port  # noqa: B018 - raises on a port that is not a number in range
        except ValueError:
            problem = "has a port that is not a number from 1 to 65535"
    if problem:
        raise SettingsError(f"PUBLIC_URL {problem} (e.g. https://motcua.example.vn), got {raw!r}")
    return f"{parts.scheme}://{parts.netloc}"


def _s3(env: Mapping[str, str]) -> S3Settings | None:
    bucket = env.get("S3_BUCKET", "").strip()
    if not bucket:
        if any(env.get(name) for name in ("S3_ENDPOINT", "S3_ACCESS_KEY_ID", "S3_PREFIX")):
            raise SettingsError("S3_* settings are given without S3_BUCKET, the bucket to use")
        return None
    endpoint = env.get("S3_ENDPOINT", "").strip() or None
    if endpoint is not None:
        parts = urlsplit(endpoint)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SettingsError(f"S3_ENDPOINT must be http(s)://host[:port], got {endpoint!r}")
    key, secret = env.get("S3_ACCESS_KEY_ID") or None, env.get("S3_SECRET_ACCESS_KEY") or None
    if (key is None) != (secret is None):
        raise SettingsError("S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY go together")
    return S3Settings(
        bucket=bucket,
        endpoint=endpoint,
        region=env.get("S3_REGION", "").strip() or "us-east-1",
        access_key_id=key,
        secret_access_key=secret,
        prefix=env.get("S3_PREFIX", "").strip(),
    )


def _choice(env: Mapping[str, str], name: str, allowed: tuple[str, ...], default: str) -> str:
    value = env.get(name, "").strip().lower() or default
    if value not in allowed:
        raise SettingsError(f"{name} must be {' or '.join(allowed)}, got {value!r}")
    return value


def _redis_url(raw: str) -> str | None:
    raw = raw.strip()
    if not raw:
        return None
    if urlsplit(raw).scheme not in ("redis", "rediss", "unix"):
        raise SettingsError(
            f"REDIS_URL must start with redis://, rediss:// or unix://, got {raw!r}"
        )
    return raw


def _networks(raw: str, name: str = "TRUSTED_PROXIES") -> tuple[str, ...]:
    """Comma-separated IP addresses or networks, each checked."""
    found: list[str] = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        try:
            found.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            raise SettingsError(
                f"{name} must list IP addresses or networks (10.0.0.0/8), got {item!r}"
                + ("; '*' would let any client choose its own address" if item == "*" else "")
            ) from None
    return tuple(found)


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
    if value <= 0:
        raise SettingsError(f"{name} must be positive, got {value}")
    return value


def _secret_key(env: Mapping[str, str]) -> str:
    if key := env.get("SECRET_KEY"):
        if len(key) < 32:
            raise SettingsError("SECRET_KEY must be at least 32 characters")
        return key
    path = Path(env.get("SECRET_KEY_FILE", "var/secret_key"))
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_EXCL: two processes starting at once must not overwrite each other's key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
    key = path.read_text().strip()
    if len(key) < 32:
        raise SettingsError(f"{path} must hold a secret key of at least 32 characters")
    return key


def blob_store(settings: Settings) -> BlobStore:
    """The blob store the settings name: the local folder (the embedded default) or S3."""
    if settings.s3 is None:
        return LocalBlobStore(settings.media_root)
    from media.s3store import S3BlobStore

    return S3BlobStore(
        bucket=settings.s3.bucket,
        endpoint=settings.s3.endpoint,
        region=settings.s3.region,
        access_key_id=settings.s3.access_key_id,
        secret_access_key=settings.s3.secret_access_key,
        prefix=settings.s3.prefix,
        scratch=Path(settings.media_root) / "tmp",
    )
