"""uvicorn's HTTP/1.1 protocols with a deadline on a request's head (its line and headers).

uvicorn times out idle keep-alive connections only: a client that opened a connection and sent nothing, or
half a request line, or headers without the blank line that ends them, held the connection (and its memory)
forever. Here the head must be complete within `header_timeout` seconds of the connection opening or of the
request's first byte; else the client gets 408 and the connection is closed. The body has its own deadline,
in the application (api.middleware.BodyDeadlineMiddleware), since the application reads it.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["head_deadline_protocol", "HEADER_TIMEOUT_ATTRIBUTE"]

HEADER_TIMEOUT_ATTRIBUTE = "greencert_header_timeout"  # set on the uvicorn Config (api.serving)

_BODY = json.dumps({"diagnostics": [{
    "code": "request_timeout", "message": "the request line and headers did not arrive in time", "file": None,
    "line": None, "column": None, "hint": "send the whole request head at once", "field": None,
    "severity": "error"}]}, separators=(",", ":")).encode("ascii")
_TIMED_OUT = (b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\nconnection: close\r\n"
              b"content-length: " + str(len(_BODY)).encode("ascii") + b"\r\n\r\n" + _BODY)


class _HeadDeadline:
    """The timer; mixed into uvicorn's protocol classes below (which provide transport, loop, cycle, config)."""

    transport: asyncio.Transport
    loop: asyncio.AbstractEventLoop
    cycle: Any
    config: Any
    _head_timer: asyncio.TimerHandle | None = None

    def _head_timeout(self) -> float:
        seconds = getattr(self.config, HEADER_TIMEOUT_ATTRIBUTE, None)
        if seconds is None:  # a config uvicorn made (api.serving's fallback): the worker's settings say
            from .settings import get_settings

            seconds = get_settings().header_timeout_seconds
            setattr(self.config, HEADER_TIMEOUT_ATTRIBUTE, seconds)
        return float(seconds)

    def _arm(self) -> None:
        if self._head_timer is None and self.transport is not None and not self.transport.is_closing():
            self._head_timer = self.loop.call_later(self._head_timeout(), self._head_timed_out)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.transport.is_closing():
            return
        if self.cycle is None or self.cycle.response_complete:
            # nothing else is being written on this connection: the client can be told why
            self.transport.write(_TIMED_OUT)
        self.transport.close()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)  # type: ignore[misc]


class H11HeadDeadline(_HeadDeadline, H11Protocol):
    """h11 has no "message begins" callback: after each read, a partial head waiting in its buffer arms the
    timer, and a complete one (the client has moved on from IDLE) disarms it."""

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._follow()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._follow()

    def _follow(self) -> None:
        if self.transport.is_closing():
            self._disarm()
        elif self.conn.their_state is not h11.IDLE:
            self._disarm()
        elif self.conn.trailing_data[0]:
            self._arm()


try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # pragma: no cover - httptools comes with uvicorn[standard]
    HttpToolsHeadDeadline: type[asyncio.Protocol] | None = None
else:
    class _HttpToolsHeadDeadline(_HeadDeadline, HttpToolsProtocol):
        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._arm()

        def on_headers_complete(self) -> None:
            self._disarm()
            super().on_headers_complete()

    HttpToolsHeadDeadline = _HttpToolsHeadDeadline


def head_deadline_protocol(prefer: str = "auto") -> type[asyncio.Protocol]:
    """The protocol class for uvicorn's `http=`: httptools when installed (what uvicorn's "auto" picks), else h11."""
    if prefer != "h11" and HttpToolsHeadDeadline is not None:
        return HttpToolsHeadDeadline
    return H11HeadDeadline
