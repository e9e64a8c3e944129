"""Arrangement helpers shared by the tests."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar

from backend.accounts.tables import User
from backend.auth.secrets import hash_password
from backend.settings import Settings
from backend.wiring import Services
from schemas.accounts import Role

SECRET = "test-secret-key-0123456789-abcdefghijklmnop"
"""The server secret of every app under test (and of servers started as processes)."""

COMMUNE_A = "07192"  # Đặc khu Cô Tô, Quảng Ninh
COMMUNE_B = "18073"  # Phường Thành Sen, Hà Tĩnh
PASSWORD = "correct horse battery"


@cache
def _password_hash() -> str:
    return hash_password(PASSWORD)


@dataclass
class Account:
    """A staff account made for a test, with a personal token to act as it."""

    username: str
    role: Role
    commune: str
    user_id: int
    token: str

    @property
    def auth(self) -> dict[str, str]:
        """Headers that authenticate as this account."""
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Staff:
    """Admins, clerks and viewers of two communes."""

    client: httpx.AsyncClient
    accounts: dict[str, Account] = field(default_factory=dict)

    @classmethod
    async def create(cls, client: httpx.AsyncClient, services: Services) -> Staff:
        staff = cls(client)
        for commune, suffix in ((COMMUNE_A, "a"), (COMMUNE_B, "b")):
            await services.communes.register(commune, f"TEST.{commune}")
            for role in Role:
                username = f"{role.value}.{suffix}"
                # Inserted directly with one shared hash: argon2 is slow on purpose, and the
                # service's own create_user path has tests of its own.
                rows = await User.insert(
                    User(
                        username=username,
                        password_hash=_password_hash(),
                        role=role.value,
                        commune=commune,
                        created_at=services.ctx.clock.now(),
                    )
                ).returning(User.id)
                user_id = int(rows[0]["id"])
                token = await services.accounts.create_api_token(user_id, "test")
                staff.accounts[username] = Account(username, role, commune, user_id, token.token)
        return staff

    def __getitem__(self, username: str) -> Account:
        return self.accounts[username]

    async def post_created(
        self, path: str, body: dict[str, Any], as_: str = "admin.a"
    ) -> dict[str, Any]:
        """POST ``body`` to ``path`` as ``as_``, assert 201 and return the created resource."""
        response = await self.client.post(path, json=body, headers=self[as_].auth)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    async def login(self, username: str, password: str = PASSWORD) -> dict[str, Any]:
        """Log in through the API (sets the client's cookie); returns the session info."""
        response = await self.client.post(
            "/api/v1/auth/login", json={"username": username, "password": password}
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body


@asynccontextmanager
async def app_client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client bound to the app, in the current event loop.

    The database is opened and closed here rather than through the ASGI lifespan, whose task
    group cannot span pytest-asyncio's separate set-up and tear-down tasks; the lifespan itself
    is exercised by the tests that start the server as a real process.
    """
    db = app.state.services.ctx.db
    await db.start()
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver.local"
        ) as client:
            yield client
    finally:
        await db.stop()


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    """Assert ``response`` is problem+json with ``status`` and ``code``; return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    assert body["status"] == status
    return body


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ServerProcess:
    """``luudong serve`` on a fixed port that can be killed (SIGKILL) and started again."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.env = env
        self.cwd = cwd
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[str] | None = None

    def start(self) -> None:
        """Start and wait until ``/ready`` answers; its output goes to ``server.log`` in cwd."""
        with (self.cwd / "server.log").open("ab") as log:
            self.proc = subprocess.Popen(
                [str(Path(sys.executable).parent / "luudong"), "serve", "--port", str(self.port)],
                # Reached at its own address, unless a test puts a proxy in front and says so.
                env={"PUBLIC_URL": self.base, **self.env},
                cwd=self.cwd,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/ready", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        pytest.fail("server did not become ready")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush, as a power cut or the OOM killer would."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        """Stop gracefully if still running."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@contextmanager
def redis_server(folder: Path) -> Iterator[str]:
    """A real ``redis-server`` of its own, on a free port, keeping nothing on disk; yields its
    URL and stops it after (a test may stop it earlier with ``redis-cli ... shutdown``)."""
    port = _free_port()
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    break
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail("redis-server did not start")
            time.sleep(0.05)
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.kill()
        proc.wait()


@dataclass(frozen=True)
class S3Server:
    """A running S3-compatible server with one empty bucket, and the settings that name it."""

    endpoint: str
    bucket: str

    def env(self, prefix: str = "") -> dict[str, str]:
        """The ``S3_*`` environment of a server that keeps its scans there."""
        return {
            "S3_BUCKET": self.bucket,
            "S3_ENDPOINT": self.endpoint,
            "S3_REGION": "us-east-1",
            "S3_ACCESS_KEY_ID": "luudong-test",
            "S3_SECRET_ACCESS_KEY": "luudong-test-secret",
            "S3_PREFIX": prefix,
        }

    def _client(self) -> Any:
        from obstore.store import S3Store

        return S3Store(
            self.bucket, endpoint=self.endpoint, region="us-east-1", access_key_id="luudong-test",
            secret_access_key="luudong-test-secret", virtual_hosted_style_request=False,
            client_options={"allow_http": True},
        )  # fmt: skip

    def object_keys(self) -> list[str]:
        """Every object key in the bucket."""
        import obstore

        return sorted(meta["path"] for batch in obstore.list(self._client()) for meta in batch)

    def objects(self, prefix: str) -> dict[str, bytes]:
        """The bytes of every object under ``prefix``, by the last part of its key."""
        import obstore

        client = self._client()
        return {
            key.rsplit("/", 1)[1]: bytes(obstore.get(client, key).bytes())
            for key in self.object_keys()
            if key.startswith(prefix)
        }


@contextmanager
def s3_server(bucket: str = "luudong-scans") -> Iterator[S3Server]:
    """moto's S3 server as a real process on a free port (docs/deploy.md says why this one)."""
    port = _free_port()
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.put(f"{endpoint}/{bucket}", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            pytest.fail("the S3 server did not start")
        time.sleep(0.1)
    try:
        yield S3Server(endpoint, bucket)
    finally:
        proc.kill()
        proc.wait()


@contextmanager
def serve(env: dict[str, str], cwd: Path) -> Iterator[str]:
    """``luudong serve`` as a real process on a free port; yields its base URL, then SIGTERM."""
    server = ServerProcess(env, cwd)
    server.start()
    try:
        yield server.base
    finally:
        server.stop()


def server_env(settings: Settings) -> dict[str, str]:
    """The environment for ``luudong serve`` on the same database and media as ``settings``."""
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY_FILE"}
    env.update(
        DATABASE_URL=settings.database_url, MEDIA_ROOT=str(settings.media_root), SECRET_KEY=SECRET
    )
    return env


CSRF = re.compile(r'name="_csrf" value="([^"]+)"')


class Browser:
    """A cookie-keeping client that fills in forms the way a browser would."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.csrf = ""

    async def log_in(self, username: str, password: str = PASSWORD) -> httpx.Response:
        form = await self.client.get("/dang-nhap?next=/ho-so")
        token = CSRF.search(form.text)
        assert token is not None
        response = await self.client.post(
            "/dang-nhap",
            data={"_csrf": token.group(1), "username": username, "password": password,
                  "next": "/ho-so"},
        )  # fmt: skip
        if response.status_code == 303:
            inbox = await self.client.get("/ho-so")
            found = CSRF.search(inbox.text)
            assert found is not None
            self.csrf = found.group(1)
        return response

    async def post(self, path: str, fields: dict[str, Any], **kwargs: Any) -> httpx.Response:
        return await self.client.post(path, data={"_csrf": self.csrf, **fields}, **kwargs)

    async def get(self, path: str) -> httpx.Response:
        return await self.client.get(path)
