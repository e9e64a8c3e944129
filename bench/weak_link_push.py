"""Pushing a batch through a slow link cut every 128 KiB: resumable tus against whole-file resends.

Starts ``luudong serve`` (SQLite, temporary folder) behind a proxy that gives the uplink
``--kbit`` kbit/s and ``--rtt`` seconds of round trip (a 2G link: 64 kbit/s, 600 ms) and cuts
every connection after 128 KiB. Pushes 20 dossiers of 3 document-mode scans (normalised
12-megapixel photos) with the field client; with ``--whole-file``, then tries the same blobs
the way a whole-file client would (each file restarted from zero after a cut). Prints JSON:
time as a ratio to payload / bandwidth (aim: at most 1.10), bytes on the link per payload byte
(aim: at most 1.02), bytes beyond the payload per cut (an upper bound of the re-sent bytes),
and what the whole-file client achieved.

    .venv/bin/python -m bench.weak_link_push [--dossiers 20] [--kbit 64] [--rtt 0.6]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import msgspec
from ulid import ULID

from bench.setup import admin_headers, scratch_env
from field_sync.agent import Agent
from field_sync.outbox import Outbox
from field_sync.transport import Backoff, Server
from media import normalise
from schemas.sync import NewDossier, Outcome
from tests.field_sync.weaklink import WeakLink
from tests.helpers import ServerProcess
from tests.media.imagery import document_photo

CUT = 128 * 1024


def _whole_file(base: str, token: str, blobs: list[tuple[str, bytes, str]], attempts: int) -> dict:
    """Upload each file in one PATCH from zero; after a cut, start that file over."""
    sent = completed = 0
    started = time.perf_counter()
    auth = {"Authorization": f"Bearer {token}", "Tus-Resumable": "1.0.0"}
    with httpx.Client(base_url=base, timeout=60) as http:
        for digest, data, media_type in blobs:
            for _ in range(attempts):
                try:
                    created = http.post(
                        "/api/v1/uploads",
                        headers={**auth, **Server.creation_headers(digest, len(data), media_type)},
                    )
                    sent += len(data)
                    done = http.patch(
                        created.headers["location"],
                        content=data,
                        headers={
                            **auth,
                            "Upload-Offset": "0",
                            "Content-Type": "application/offset+octet-stream",
                        },
                    )
                    if done.status_code == 204:
                        completed += 1
                        break
                except httpx.TransportError:
                    continue
    return {
        "files": len(blobs),
        "completed": completed,
        "attempts_per_file_max": attempts,
        "bytes_sent": sent,
        "seconds": round(time.perf_counter() - started, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dossiers", type=int, default=20)
    parser.add_argument("--kbit", type=float, default=64.0, help="uplink in kbit/s")
    parser.add_argument("--rtt", type=float, default=0.6, help="round trip in seconds")
    parser.add_argument(
        "--whole-file", action=argparse.BooleanOptionalAction, default=False,
        help="also try the whole-file client (hours on a 64 kbit/s link)",
    )  # fmt: skip
    args = parser.parse_args()
    bandwidth = args.kbit * 1000 / 8
    home = Path(tempfile.mkdtemp(prefix="bench-link-"))
    env = scratch_env(home)
    admin = admin_headers(env, home)
    server = ServerProcess(env, home)
    server.start()
    try:
        with httpx.Client(base_url=server.base, headers=admin) as http:
            http.post("/api/v1/procedures", json={
                "code": "1.004873", "name": "Xác nhận tình trạng hôn nhân", "processing_days": 3,
                "documents": [{"key": "to_khai", "name": "Tờ khai", "kind": "original"}],
            })  # fmt: skip
            team = http.post("/api/v1/teams", json={"kind": "roaming", "name": "Tổ đảo"}).json()
            code = http.post(f"/api/v1/teams/{team['id']}/enrolment-codes").json()["code"]
        enrolled = Server(server.base).enroll(code, "bench")
        outbox = Outbox(home / "device")
        outbox.set(server=server.base, token=enrolled.token, chunk_bytes=str(128 * 1024))
        blobs: list[tuple[str, bytes, str]] = []
        for n in range(args.dossiers):
            docs = []
            for page in range(3):
                page_scan = normalise(document_photo(1000 + n * 3 + page, quality=95))
                scan, media_type = page_scan.data, page_scan.facts.media_type
                digest = outbox.add_scan(scan, media_type)
                blobs.append((digest, scan, media_type))
                docs.append({"key": "to_khai", "sha256": digest, "page": page + 1})
            outbox.add_dossier(msgspec.convert({
                "id": str(ULID()), "procedure_code": "1.004873",
                "applicant": {"full_name": f"Người {n}", "id_number": "022095001234"},
                "consent": True, "documents": docs, "captured_at": "2026-03-01T03:00:00Z",
            }, NewDossier))  # fmt: skip
        payload = sum(len(b) for _, b, _ in blobs)

        with WeakLink(server.port, bytes_per_s=bandwidth, cut_every=CUT, rtt_s=args.rtt) as link:
            client = Server(
                link.base, enrolled.token, backoff=Backoff(base_s=0.05, cap_s=0.5, attempts=40)
            )
            marks: dict[str, float] = {}

            def progress(what: str, done: int, total: int) -> None:
                if what == "bytes" and done == total:
                    marks["uploaded"] = time.perf_counter()

            started = time.perf_counter()
            report = Agent(outbox, client, progress).push()
            elapsed = time.perf_counter() - started
            upload_s = marks.get("uploaded", started + elapsed) - started
            client.close()
            resumable = {
                "dossiers": args.dossiers,
                "scans": len(blobs),
                "payload_bytes": payload,
                "seconds": round(elapsed, 2),
                "ideal_seconds": round(payload / bandwidth, 2),
                "time_ratio": round(elapsed / (payload / bandwidth), 3),
                "upload_seconds": round(upload_s, 2),
                "upload_time_ratio": round(upload_s / (payload / bandwidth), 3),
                "cuts": link.stats.cuts,
                "upstream_bytes": link.stats.upstream_bytes,
                "wire_bytes_per_payload_byte": round(link.stats.upstream_bytes / payload, 3),
                # Everything beyond the payload that crossed the link (re-sent bytes, HTTP
                # headers, manifest and commit), per cut: an upper bound of the re-sent bytes.
                "overhead_bytes_per_cut": round(
                    (link.stats.upstream_bytes - payload) / max(1, link.stats.cuts)
                ),
                "accepted": sum(r.outcome is Outcome.accepted for r in report.results),
                "refused_batches": {k: e.code for k, e in report.blocked.items()},
            }
            if resumable["accepted"] != args.dossiers:
                raise SystemExit(f"not every dossier was accepted: {resumable}")
        whole: dict[str, Any] = {}
        if args.whole_file:
            with WeakLink(
                server.port, bytes_per_s=bandwidth, cut_every=CUT, rtt_s=args.rtt
            ) as link:
                whole = _whole_file(link.base, enrolled.token, blobs, attempts=10)
                whole["cuts"] = link.stats.cuts
        outbox.close()
    finally:
        server.stop()
    link_facts = {"kbit_per_s": args.kbit, "rtt_s": args.rtt, "cut_every_bytes": CUT}
    report: dict[str, Any] = {"link": link_facts, "resumable_tus": resumable}
    if whole:
        report["whole_file_client"] = whole
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
