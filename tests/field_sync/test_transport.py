"""What field-sync's requests carry on the wire: every header byte crosses a 2G uplink."""

from __future__ import annotations

import socket
import threading

from field_sync import __version__
from field_sync.transport import Server


def test_requests_carry_no_header_http_already_implies() -> None:
    heads: list[bytes] = []
    listener = socket.create_server(("127.0.0.1", 0))

    def answer() -> None:
        conn, _ = listener.accept()
        with conn:
            head = b""
            while b"\r\n\r\n" not in head:
                head += conn.recv(4096)
            heads.append(head)
            conn.sendall(b"HTTP/1.1 200 OK\r\nUpload-Offset: 5\r\nContent-Length: 0\r\n\r\n")

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    server = Server(f"http://127.0.0.1:{listener.getsockname()[1]}", "t" * 43)
    try:
        assert server.offset("/api/v1/uploads/abc") == 5
    finally:
        server.close()
        listener.close()
    thread.join(5)

    lines = heads[0].decode().split("\r\n")
    assert lines[0] == "HEAD /api/v1/uploads/abc HTTP/1.1"
    fields = dict(line.split(": ", 1) for line in lines[1:] if line)
    assert {name.lower() for name in fields} == {
        "host",
        "accept-encoding",
        "user-agent",
        "x-app-version",
        "authorization",
        "tus-resumable",
    }
    assert fields["User-Agent"] == f"field-sync/{__version__}"
    assert fields["Authorization"] == "Bearer " + "t" * 43
