"""Every error the API returns has one shape, `{"diagnostics": [Diagnostic, ...]}`, and a 4xx/503 status."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from engine import Diagnostic, field_path

from .recorder import RecorderClosed

__all__ = ["ApiError", "BodyTooLarge", "BodyLimitMiddleware", "error_body", "install_error_handlers", "not_found",
           "allowed_methods", "diagnostics_response", "internal_error_diagnostic", "validation_diagnostics", "URL_HAS_NUL"]

log = logging.getLogger("greencert.api")

_HTTP_CODES = {400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 406: "not_acceptable", 408: "request_timeout", 409: "conflict",
               413: "body_too_large", 415: "unsupported_media_type", 422: "invalid_request", 429: "too_many_requests",
               503: "service_unavailable"}


class ApiError(Exception):
    """An HTTP error carrying diagnostics; raised anywhere below a route, rendered by the handler."""

    def __init__(self, status: int, diagnostics: Sequence[Diagnostic], headers: dict[str, str] | None = None):
        super().__init__("; ".join(d.message for d in diagnostics))
        self.status = status
        self.diagnostics = list(diagnostics)
        self.headers = headers

    @classmethod
    def one(cls, status: int, code: str, message: str, *, hint: str | None = None, field: str | None = None,
            headers: dict[str, str] | None = None) -> ApiError:
        return cls(status, [Diagnostic(code, message, hint=hint, field=field)], headers)


def not_found(what: str, ident: str) -> ApiError:
    # the same answer whether the record does not exist or belongs to someone else: nothing leaks
    return ApiError.one(404, "not_found", f"no {what} `{ident}`")


class BodyTooLarge(StarletteHTTPException):
    def __init__(self, limit: int):
        super().__init__(413, f"the request body is larger than the limit of {limit} bytes")
        self.limit = limit


def error_body(diagnostics: Iterable[Diagnostic]) -> dict[str, Any]:
    return {"diagnostics": [d.to_dict() for d in diagnostics]}


class _ErrorResponse(JSONResponse):
    """Diagnostics quote the user's values, which may hold lone surrogates: escape them rather than fail."""

    def render(self, content: Any) -> bytes:
        text = json.dumps(content, ensure_ascii=False, separators=(",", ":"))
        try:
            return text.encode("utf-8")
        except UnicodeEncodeError:
            return json.dumps(content, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def _response(status: int, diagnostics: Iterable[Diagnostic], headers: dict[str, str] | None = None) -> JSONResponse:
    return _ErrorResponse(error_body(diagnostics), status_code=status, headers=headers)


diagnostics_response = _response  # the one error answer, for the middleware


def internal_error_diagnostic() -> Diagnostic:
    return Diagnostic("internal_error", "the service failed to handle this request",
                      hint="this is a bug in greencert; please report it")


def _lower(text: str) -> str:
    text = text.rstrip(".")
    return text[:1].lower() + text[1:]


_PARAM_HINTS = {"as_of": "write the date as YYYY-MM-DD", "idempotency-key": "1 to 200 characters"}


def validation_diagnostics(errors: Sequence[Any]) -> list[Diagnostic]:
    """FastAPI's (and pydantic's) validation errors as diagnostics, each naming its field's full path."""
    out: list[Diagnostic] = []
    for err in errors:
        loc = tuple(err.get("loc", ()))
        where, path = (loc[0], loc[1:]) if loc and loc[0] in ("query", "path", "header", "body", "cookie") else ("", loc)
        if err.get("type") == "json_invalid":
            detail = (err.get("ctx") or {}).get("error")
            out.append(Diagnostic("json_syntax_error", _lower(str(detail or "the body is not valid JSON")),
                                  file="<request>", hint="send the body as JSON", field=None))
            continue
        name = field_path(p for p in path if isinstance(p, (str, int)))
        message = _lower(str(err.get("msg", "invalid value")))
        if err.get("type") == "missing":
            message = f"{where + ' ' if where else ''}parameter `{name}` is required" if where != "body" else (
                f"field `{name}` is required" if name else "a request body is required")
        hint = _PARAM_HINTS.get(str(name).lower())
        if where and where != "body":
            hint = (hint + "; " if hint else "") + f"{where} parameter `{name}`"
        out.append(Diagnostic("request_validation_error", message, hint=hint, field=name or None))
    return out


# the scope key BodyLimitMiddleware sets on a request whose URL holds a NUL (api.deps refuses it after authenticating)
URL_HAS_NUL = "greencert.url_has_nul"


class BodyLimitMiddleware:
    """413 for bodies over the configured size: at once when Content-Length says so, else while reading.
    Also refuses URLs holding a NUL character (422), which no route could use."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared: int | None = None
        for key, value in scope.get("headers", ()):
            if key == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = None
        if declared is not None and declared > self.max_bytes:
            await _response(413, [_too_large(self.max_bytes)])(scope, receive, send)
            return
        if "\x00" in scope.get("path", "") or b"%00" in scope.get("query_string", b"") or \
                b"\x00" in scope.get("query_string", b""):
            # no id, name or filter holds one, and PostgreSQL refuses them in text. Under /v1 (but health) the
            # caller authenticates first (api.deps.get_principal refuses it then); elsewhere answer now.
            path = scope.get("path", "")
            if path.startswith("/v1/") and not path.startswith("/v1/health"):
                scope[URL_HAS_NUL] = True
                await self.app(scope, receive, send)
                return
            await _response(422, [Diagnostic("request_validation_error", "the URL contains a NUL character",
                                             hint="remove `%00` from the path and query")])(scope, receive, send)
            return
        received = 0
        limit = self.max_bytes

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, limited, send)


def _too_large(limit: int) -> Diagnostic:
    return Diagnostic("body_too_large", f"the request body is larger than the limit of {limit} bytes",
                      hint="split a batch into smaller requests, or raise GREENCERT_MAX_BODY_BYTES")


def allowed_methods(request: Request, fallback: str | None = None) -> list[str]:
    """The methods of the resource at this request's path, from the OpenAPI document: Starlette's 405 names the
    methods of the first route whose path matched only (`Allow: POST` for `PUT /v1/evaluations`, which also
    serves GET). When several paths match, the most specific one is the resource (`/v1/evaluations/batch`, not
    `/v1/evaluations/{evaluation_id}`). Paths outside the document (the page, /docs) keep Starlette's answer."""
    app = request.app
    templates: list[tuple[re.Pattern[str], int, list[str]]] | None = getattr(app.state, "allow_templates", None)
    if templates is None:
        templates = [(compile_path(path)[0], path.count("{"), [m.upper() for m in item if m.upper() in _METHODS])
                     for path, item in app.openapi().get("paths", {}).items()]
        app.state.allow_templates = templates
    path = request.scope.get("path", "")
    matching = [(parameters, methods) for regex, parameters, methods in templates if regex.match(path)]
    if not matching:
        return [m.strip() for m in (fallback or "").split(",") if m.strip()]
    fewest = min(parameters for parameters, _ in matching)
    return sorted({m for parameters, methods in matching if parameters == fewest for m in methods})


_METHODS = frozenset({"GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE"})


def install_error_handlers(app: FastAPI) -> None:
    async def api_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return _response(exc.status, exc.diagnostics, exc.headers)

    async def validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        from .deps import refuse_unauthenticated  # deps imports this module

        try:
            await refuse_unauthenticated(request)
        except ApiError as refusal:
            return _response(refusal.status, refusal.diagnostics, refusal.headers)
        return _response(422, validation_diagnostics(exc.errors()))

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        if isinstance(exc, BodyTooLarge):
            return _response(413, [_too_large(exc.limit)])
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        detail = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail)
        hint = None
        headers = dict(exc.headers or {})
        if exc.status_code == 400 and "parsing the body" in detail:
            # FastAPI's answer when the body cannot even be decoded (e.g. not UTF-8, a broken multipart form)
            code, detail, hint = "body_unreadable", "the request body could not be read", "send UTF-8 JSON"
        elif exc.status_code == 405:
            allowed = allowed_methods(request, headers.get("Allow"))
            headers["Allow"] = ", ".join(allowed)
            detail = f"method `{request.method[:20]}` is not allowed here"
            hint = "allowed: " + ", ".join(f"`{m}`" for m in allowed)
        return _response(exc.status_code, [Diagnostic(code, _lower(detail), hint=hint)], headers or None)

    async def busy(_request: Request, exc: Exception) -> JSONResponse:
        log.error("no database connection free: %s", exc)
        return _response(503, [Diagnostic("service_busy", "no database connection became free in time",
                                          hint="retry later; with an Idempotency-Key a retry is safe")],
                         {"Retry-After": "1"})

    async def database_error(_request: Request, exc: Exception) -> JSONResponse:
        log.error("database unavailable: %s", exc)
        return _response(503, [Diagnostic("database_unavailable", "the database cannot be reached just now",
                                          hint="retry later; with an Idempotency-Key a retry is safe")],
                         {"Retry-After": "1"})

    async def shutting_down(_request: Request, exc: Exception) -> JSONResponse:
        return _response(503, [Diagnostic("shutting_down", "the service is shutting down; nothing was recorded",
                                          hint="retry; with an Idempotency-Key a retry is safe")],
                         {"Retry-After": "1"})

    async def internal_error(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return _response(500, [internal_error_diagnostic()])

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(OperationalError, database_error)
    app.add_exception_handler(PoolTimeout, busy)
    app.add_exception_handler(RecorderClosed, shutting_down)
    app.add_exception_handler(Exception, internal_error)
