"""Compose's nginx, run natively: the proxy settings of ``compose.yaml`` in Debian's nginx, in
front of app processes on this machine (the deployment test and ``bench/province.py``)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml

__all__ = ["compose_server_block", "nginx"]

ROOT = Path(__file__).resolve().parents[2]


def compose_server_block(upstreams: list[int], port: int) -> str:
    """The nginx configuration compose gives the proxy, pointed at processes on this machine."""
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    block: str = compose["configs"]["nginx"]["content"].replace("$$", "$")
    servers = " ".join(f"server 127.0.0.1:{p};" for p in upstreams)
    block, found = re.subn(
        r"upstream luudong \{[^}]*\}", f"upstream luudong {{ {servers} }}", block
    )
    assert found == 1, "compose.yaml's upstream block moved"
    block, found = re.subn(r"listen 80;", f"listen 127.0.0.1:{port};", block)
    assert found == 1, "compose.yaml's listen line moved"
    return block


@contextmanager
def nginx(folder: Path, server_block: str) -> Iterator[Path]:
    """Debian's nginx in the foreground with ``server_block``; yields its access log."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    folder.mkdir()
    log = folder / "access.log"
    user = "user root;" if os.geteuid() == 0 else ""
    (folder / "nginx.conf").write_text(
        f"""{user}
daemon off;
worker_processes 2;
pid {folder}/nginx.pid;
error_log {folder}/error.log info;
events {{ worker_connections 1024; }}
http {{
  log_format upstream '$request_method $uri $status $upstream_addr';
  access_log {log} upstream;
  client_body_temp_path {folder}/body;
  proxy_temp_path {folder}/proxy;
  fastcgi_temp_path {folder}/fastcgi;
  uwsgi_temp_path {folder}/uwsgi;
  scgi_temp_path {folder}/scgi;
{server_block}
}}
"""
    )
    proc = subprocess.Popen(
        [binary, "-p", str(folder), "-c", str(folder / "nginx.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        yield log
    finally:
        proc.send_signal(signal.SIGQUIT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
