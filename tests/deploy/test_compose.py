"""``compose.yaml`` held to the rules this deployment depends on. Docker cannot run on the machines
the suite runs on (``docker compose config`` checks the file where it can, docs/deploy.md); the
topology test runs the same proxy settings natively."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

import yaml

from tests.deploy.proxy import ROOT

COMPOSE = ROOT / "compose.yaml"
REQUIRED = {"POSTGRES_PASSWORD", "SECRET_KEY", "PUBLIC_URL"}


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


def _app_like(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n: s for n, s in compose["services"].items() if "build" in s or "image" in s}


def test_compose__references_resolve_and_every_long_running_service_restarts_and_rotates() -> None:
    compose = _compose()
    services = compose["services"]
    for name, service in services.items():
        for network in service.get("networks", []):
            assert network in compose["networks"], (name, network)
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            assert source in compose["volumes"], (name, source)
        for config in service.get("configs", []):
            assert config["source"] in compose["configs"], (name, config)
        for needed, condition in service.get("depends_on", {}).items():
            assert needed in services, (name, needed)
            assert condition["condition"] in (
                "service_healthy", "service_completed_successfully", "service_started"
            )  # fmt: skip
            if condition["condition"] == "service_healthy":
                assert "healthcheck" in services[needed], (name, needed)
        if name != "migrate":
            assert service.get("restart") == "unless-stopped", name
        assert service["logging"]["options"]["max-size"], name


def test_compose__settings_the_app_cannot_run_without_are_required_and_the_proxy_is_trusted() -> (
    None
):
    compose = _compose()
    text = COMPOSE.read_text()
    required = set(re.findall(r"\$\{(\w+):\?", text))
    app = compose["services"]["app"]
    env = app["environment"]
    proxy_address = compose["services"]["proxy"]["networks"]["edge"]["ipv4_address"]
    subnet = compose["networks"]["edge"]["ipam"]["config"][0]["subnet"]

    assert required >= REQUIRED
    assert env["TRUSTED_PROXIES"] == proxy_address, "only the proxy's own address is believed"
    assert ipaddress.ip_address(proxy_address) in ipaddress.ip_network(subnet)
    assert env["REDIS_URL"].startswith("redis://redis:")
    assert env["LOG_FORMAT"] == "json"
    replicas, workers = (
        app["deploy"]["replicas"],
        int(app["command"][app["command"].index("--workers") + 1]),
    )
    assert replicas * workers * int(env["PG_POOL_SIZE"]) + 3 <= 100 - 3, "docs/deploy.md's budget"


def test_compose__the_image_installs_the_lock_file_and_owns_its_media_folder() -> None:
    dockerfile = _compose()["x-app"]["build"]["dockerfile_inline"]

    assert "--require-hashes -r requirements.lock" in dockerfile
    assert "chown luudong:luudong /srv/media" in dockerfile
    assert re.search(r"^\s*USER luudong\s*$", dockerfile, re.MULTILINE)
    assert "npm ci" in dockerfile, "the field app is built from the npm lock file"
    assert (ROOT / "requirements.lock").exists()


def test_compose__the_proxy_streams_uploads_and_keeps_metrics_inside() -> None:
    block = _compose()["configs"]["nginx"]["content"]

    assert "proxy_request_buffering off;" in block
    assert "location = /metrics { return 404; }" in block
    assert "client_max_body_size" in block
