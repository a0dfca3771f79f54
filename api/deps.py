"""The routes' dependencies, as `Annotated` aliases: services, the clock, the caller and their role."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Header, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from .errors import URL_HAS_NUL, ApiError
from .keys import Principal, authenticate
from .ratelimit import FailedAuthLimiter
from .schemas import IDEMPOTENCY_KEY_PATTERN, IsoDate
from .service import Services

__all__ = ["ServicesDep", "TodayDep", "AsOf", "IdempotencyKey", "AnyRole", "CertificationBody", "Manufacturer",
           "RuleAuthor", "KeyManager", "get_services", "get_today", "get_principal", "require", "refuse_unauthenticated"]


# The dependencies are `async def`: FastAPI runs a plain `def` dependency in its thread pool, a hop that cost
# more than the work itself (measured under load). None of them waits on anything but a short key lookup.

async def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def get_today() -> dt.date:
    """The service's clock, read only here; tests override it with `app.dependency_overrides`."""
    return dt.date.today()


ServicesDep = Annotated[Services, Depends(get_services)]
TodayDep = Annotated[dt.date, Depends(get_today)]
AsOf = Annotated[IsoDate | None, Query(
    description="evaluation date (YYYY-MM-DD); default today. The decision records it.", examples=["2026-11-01"])]
IdempotencyKey = Annotated[str | None, Header(
    alias="Idempotency-Key", min_length=1, max_length=200, pattern=IDEMPOTENCY_KEY_PATTERN,
    description="a retried request with the same key returns the first record instead of making a second")]

_bearer = HTTPBearer(auto_error=False, description="an API key made with `greencert keys create`")


async def get_principal(request: Request, services: ServicesDep,
                        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Principal:
    principal = _authenticate(request, services, credentials.credentials if credentials is not None else None)
    if request.scope.get(URL_HAS_NUL):
        # flagged by api.errors.BodyLimitMiddleware: refused now, after the caller proved who it is
        raise ApiError.one(422, "request_validation_error", "the URL contains a NUL character",
                           hint="remove `%00` from the path and query")
    return principal


def _authenticate(request: Request, services: Services, token: str | None) -> Principal:
    challenge = {"WWW-Authenticate": "Bearer"}
    if token is None:
        raise ApiError.one(401, "unauthenticated", "this endpoint needs an API key",
                           hint="send `Authorization: Bearer <key>`", headers=challenge)
    principal = authenticate(services.db, token)
    if principal is None:
        limiter: FailedAuthLimiter = request.app.state.auth_limiter
        wait = limiter.failed(request.client.host if request.client else "")
        if wait:
            raise ApiError.one(429, "too_many_failed_authentications",
                               "too many failed authentications from this address", headers={"Retry-After": str(wait)},
                               hint=f"check the API key; retry after {wait} s")
        raise ApiError.one(401, "invalid_api_key", "the API key is unknown or revoked", headers=challenge)
    return principal


def _needs_key(route: Any) -> bool:
    stack = [getattr(route, "dependant", None)]
    while stack:
        dependant = stack.pop()
        if dependant is None:
            continue
        if dependant.call is get_principal:
            return True
        stack.extend(dependant.dependencies)
    return False


async def refuse_unauthenticated(request: Request) -> None:
    """Authentication comes before any refusal of the request's parameters or body: a caller without a valid
    key learns that (401, or 429), not what is wrong with its JSON. For the errors FastAPI finds before the
    route's dependencies run (a body it cannot parse); raises the ApiError to answer instead, if any."""
    if not _needs_key(request.scope.get("route")):
        return
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    services: Services = request.app.state.services
    _authenticate(request, services, token.strip() if scheme.lower() == "bearer" and token.strip() else None)


def require(*roles: str) -> Callable[[Principal], Coroutine[Any, Any, Principal]]:
    async def check(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
        if principal.role not in roles:
            raise ApiError.one(403, "forbidden", f"role `{principal.role}` may not do this",
                               hint="needs " + " or ".join(f"`{r}`" for r in roles))
        return principal
    return check


AnyRole = Annotated[Principal, Depends(get_principal)]
CertificationBody = Annotated[Principal, Depends(require("certification_body"))]
Manufacturer = Annotated[Principal, Depends(require("manufacturer"))]
RuleAuthor = Annotated[Principal, Depends(require("rule_author", "administrator", "operator"))]
# an administrator manages its own organisation's keys, the operator every organisation's (api.keys.manages)
KeyManager = Annotated[Principal, Depends(require("administrator", "operator"))]
