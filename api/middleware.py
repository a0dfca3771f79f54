"""ASGI middleware of the service: an unhandled error answered without closing the connection, and a deadline
on reading a request's body."""

from __future__ import annotations

import asyncio
import logging
import time

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import diagnostics_response, internal_error_diagnostic

__all__ = ["InternalErrorMiddleware", "BodyDeadlineMiddleware", "BodyTimeout"]

log = logging.getLogger("greencert.api")


class InternalErrorMiddleware:
    """Answers an error no handler took with the 500 diagnostic, and returns normally.

    Why not Starlette's `Exception` handler alone: its ServerErrorMiddleware sends the 500 and then raises the
    error again, for the server to log; uvicorn, seeing an error after the response started, closes the
    connection, so the next request a keep-alive client sent on it was reset. Here the error is logged and the
    connection stays usable. An error after the response started cannot be answered any more: it is raised on,
    and the server closes that connection (the response is incomplete)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking)
        except Exception as exc:  # every error no handler took becomes the one 500 answer
            if started:
                raise
            log.exception("unhandled error", exc_info=exc)
            await diagnostics_response(500, [internal_error_diagnostic()])(scope, receive, send)


class BodyTimeout(StarletteHTTPException):
    """The body did not arrive in time (raised from `receive`, answered 408 by the error handlers)."""

    def __init__(self, seconds: float):
        super().__init__(408, f"the request body did not arrive within {seconds:g} s", {"Connection": "close"})
        self.seconds = seconds


class BodyDeadlineMiddleware:
    """A request's body must arrive within `seconds` of its headers (a client sending half a body held a
    connection and a task forever). The head has its own deadline in the HTTP protocol (api.protocols).
    After the body, `receive` is left alone: it then only waits for the client to disconnect."""

    def __init__(self, app: ASGIApp, seconds: float):
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        deadline = time.monotonic() + self.seconds
        done = False

        async def bounded() -> Message:
            nonlocal done
            if done:
                return await receive()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise BodyTimeout(self.seconds)
            try:
                message = await asyncio.wait_for(receive(), remaining)
            except asyncio.TimeoutError:
                raise BodyTimeout(self.seconds) from None
            if message["type"] != "http.request" or not message.get("more_body", False):
                done = True
            return message

        await self.app(scope, bounded, send)
