"""`create_app(settings)`: the FastAPI application, its routers, error handlers and OpenAPI document."""

from __future__ import annotations

import copy
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from engine import load_schema

from . import web
from .db import Database
from .errors import BodyLimitMiddleware, install_error_handlers
from .middleware import BodyDeadlineMiddleware, InternalErrorMiddleware
from .migrate import upgrade
from .public_reads import PublicCheckFastPath
from .ratelimit import FailedAuthLimiter
from .routers import catalogue, certificates, evaluations, health, impact, keys, operators, registry, rulesets, self_checks
from .routers.common import batch_components
from .schemas import APPLICATION_MARKER, APPLICATION_REF
from .service import Services, load_overlaid, load_repository
from .settings import Settings, get_settings
from .web import docs as web_docs
from .web import verify as web_verify

__all__ = ["create_app", "app_from_environment", "API_VERSION"]

API_VERSION = "1.0.0"

_DESCRIPTION = """Green product certification (China's unified 绿色产品认证) as a service.

* **Certification bodies** evaluate applications; every binding decision is recorded with the application as
  submitted, the rule-set version hash, the evaluation date (`as_of`), who asked and when. Records are never
  changed: a re-evaluation is a new record linked to the earlier one, and any record can be re-run with the
  rule-set content it was made with.
* **Manufacturers** self-check the same way; a self-check is never binding and is stored only if asked.
* **Rule authors** validate rule files and get every diagnostic.

Authenticate with `Authorization: Bearer <key>` (keys: `greencert keys create`). Every error has the body
`{"diagnostics": [{code, message, file, line, column, hint, field, severity}]}`.
"""


def _openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes,
                         tags=app.openapi_tags)
    application = copy.deepcopy(load_schema("application"))
    application.pop("$schema", None)
    application.pop("$id", None)
    schema.setdefault("components", {}).setdefault("schemas", {})["Application"] = application
    schema["components"]["schemas"].update(batch_components())
    _link_application(schema)
    _no_nul_in_urls(schema)
    app.openapi_schema = schema
    return schema


# The service refuses a URL holding NUL (`%00`) before any route reads it (api/errors.py): the document says so on
# every free-text path and query parameter, so a client (or schemathesis) knows such a value is not accepted.
_NO_NUL = r"^[^\x00]*$"


def _no_nul_in_urls(schema: dict[str, Any]) -> None:
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else ():
                if parameter.get("in") not in ("path", "query"):
                    continue
                node = parameter.get("schema", {})
                for branch in node.get("anyOf", [node]):
                    if branch.get("type") == "string" and not ({"pattern", "format", "enum", "const"} & set(branch)):
                        branch["pattern"] = _NO_NUL


def _link_application(node: Any) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, dict) and value.get(APPLICATION_MARKER):
                node[key] = dict(APPLICATION_REF)
            else:
                _link_application(value)
    elif isinstance(node, list):
        for item in node:
            _link_application(item)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the service. The rule sets load here (invalid rules stop it with their diagnostics); the
    database schema is brought up to date when the app starts (`settings.auto_migrate`)."""
    settings = settings or get_settings()
    services = Services(settings=settings, db=Database(settings.database_url), repository=load_repository(settings),
                        overlaid=load_overlaid(settings))

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if settings.auto_migrate:
            upgrade(services.db.engine)
        for repo in (services.repository, *services.overlaid.values()):
            repo.compile_all()
        services.pool.warm()  # the processes that read bodies (api.isolation)
        # What is loaded now lives as long as the process: moved out of the collector's reach, so that full
        # collections under load do not walk the catalogue, the models and the compiled plans again and again.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            services.close()

    # /docs is api/web/docs.py's (Swagger UI from the installed package, not a CDN); no ReDoc
    app = FastAPI(title="greencert", version=API_VERSION, description=_DESCRIPTION, lifespan=lifespan,
                  docs_url=None, redoc_url=None,
                  openapi_tags=[{"name": "catalogue"}, {"name": "evaluations"}, {"name": "self-checks"},
                                {"name": "rule sets"}, {"name": "keys"}, {"name": "health"},
                                {"name": "certificates"}, {"name": "registry"}])
    app.state.services = services
    app.state.auth_limiter = FailedAuthLimiter(settings.auth_failure_limit, settings.auth_failure_window_seconds)
    install_error_handlers(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(BodyDeadlineMiddleware, seconds=settings.body_timeout_seconds)
    app.add_middleware(InternalErrorMiddleware)  # it answers what the others raise
    # the public check's short path (api.public_reads) before all of it: what it cannot answer goes on
    app.add_middleware(PublicCheckFastPath, fastapi_app=app)
    for module in (catalogue, operators, evaluations, self_checks, rulesets, keys, health, web, web_docs):
        app.include_router(module.router)
    app.include_router(certificates.router)
    app.include_router(certificates.public_router)
    app.include_router(registry.router)
    app.include_router(registry.public_router)
    app.include_router(impact.router)
    app.include_router(web_verify.router)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def app_from_environment() -> FastAPI:
    """The uvicorn factory (`greencert serve`): settings from the environment and `.env`."""
    return create_app(get_settings())
