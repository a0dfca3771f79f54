"""The public check's short path: `GET /v1/public/certificates/{number}[?as_of=D]` answered from the read model
before the request enters FastAPI's routing, dependencies and middleware stack.

Why: the answer is one indexed query returning stored JSON (api.read_model, api.registry.public_body); around it,
routing through every router, solving the dependencies and the middleware stack took most of the request's
time (py-spy under load, docs/registry.md). This path takes only what it can answer exactly as the route
would: a GET with a plain number and at most `as_of=YYYY-MM-DD`, on a day the read model has a row for.
Everything else — another query parameter, a number with other characters, a bad date, a day before the
certificate's first event, no such certificate, a database error — goes on to the app, whose route
(api/routers/certificates.py, documented in the OpenAPI) answers it as before.
"""

from __future__ import annotations

import datetime as dt
import inspect
import re
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from . import registry
from .deps import get_today

__all__ = ["PublicCheckFastPath", "PREFIX"]

PREFIX = "/v1/public/certificates/"
_NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,59}")
_AS_OF = re.compile(rb"as_of=(\d{4}-\d{2}-\d{2})")
_HEADERS = [(b"content-type", b"application/json")]


class PublicCheckFastPath:
    """ASGI middleware (the outermost of the app's own): the public check's short path, else the app."""

    def __init__(self, app: ASGIApp, fastapi_app: Any):
        self.app = app
        self.fastapi_app = fastapi_app  # its state (the services) and its dependency overrides (tests' clock)

    async def _today(self) -> dt.date:
        value = self.fastapi_app.dependency_overrides.get(get_today, get_today)()
        day: dt.date = await value if inspect.isawaitable(value) else value
        return day

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = await self._answer(scope) if scope["type"] == "http" and scope["method"] == "GET" else None
        if body is None:
            await self.app(scope, receive, send)
            return
        await send({"type": "http.response.start", "status": 200,
                    "headers": [*_HEADERS, (b"content-length", str(len(body)).encode("ascii"))]})
        await send({"type": "http.response.body", "body": body})

    async def _answer(self, scope: Scope) -> bytes | None:
        path: str = scope["path"]
        if not path.startswith(PREFIX):
            return None
        number = path[len(PREFIX):]
        if _NUMBER.fullmatch(number) is None:
            return None
        query: bytes = scope.get("query_string", b"")
        if query:
            m = _AS_OF.fullmatch(query)
            if m is None:
                return None
            try:
                day = dt.date.fromisoformat(m.group(1).decode("ascii"))
            except ValueError:
                return None
        else:
            day = await self._today()
        try:
            return registry.public_body(self.fastapi_app.state.services.db, number, day)
        except Exception:  # noqa: BLE001 - the route answers it (a database error: 503, as for any route)
            return None
