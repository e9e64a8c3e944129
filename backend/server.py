"""The HTTP server: uvicorn, with the one change resumable uploads need.

uvicorn buffers request body bytes as they arrive and hands them to the app on its next
``receive()``; when the connection drops first, ``receive()`` answers ``http.disconnect`` and
the buffered bytes are thrown away. For a tus PATCH those are bytes the device sent and paid
for on a 2G link: at loopback speed a cut could lose every byte of a PATCH. Here a request
whose connection dropped first hands over what was buffered, then reports the disconnect, so
the upload keeps every byte that reached the process (``tests/field_sync/test_weak_link.py``
proves it with real cuts). And an answer sent before the body was read to its end closes the
connection, so the client stops sending what nobody will read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

if TYPE_CHECKING:
    from uvicorn._types import ASGIReceiveEvent, ASGISendEvent

__all__ = ["UploadSafeHttpProtocol"]


class _KeepBufferedBody(RequestResponseCycle):
    """A request cycle that delivers the body it buffered before reporting a disconnect, and
    closes the connection after answering a request whose body it did not read to the end."""

    async def receive(self) -> ASGIReceiveEvent:
        if self.disconnected and self.body and not self.response_complete:
            body, self.body = bytes(self.body), bytearray()
            return {"type": "http.request", "body": body, "more_body": True}
        return await super().receive()

    async def send(self, message: ASGISendEvent) -> None:
        if message["type"] == "http.response.start" and self.more_body:
            # An answer before the end of the body (a refused PATCH, one that went silent):
            # uvicorn would keep the connection and read the rest only to discard it, which a
            # device on a slow link pays for. "Connection: close" stops it sending.
            self.keep_alive = False
        await super().send(message)


class UploadSafeHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol whose request cycles keep buffered body at a cut."""

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        if type(self.cycle) is RequestResponseCycle:
            # The cycle is built inside uvicorn's handler; its class is swapped for the
            # subclass above, which adds behaviour and no state.
            self.cycle.__class__ = _KeepBufferedBody
