"""The routes' dependencies, as `Annotated` aliases: services, the clock, the caller and their role."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Header, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from .errors import ApiError
from .keys import Principal, authenticate
from .ratelimit import FailedAuthLimiter
from .schemas import IDEMPOTENCY_KEY_PATTERN
from .service import Services

__all__ = ["ServicesDep", "TodayDep", "AsOf", "IdempotencyKey", "AnyRole", "CertificationBody", "Manufacturer",
           "RuleAuthor", "KeyManager", "get_services", "get_today", "get_principal", "require"]


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
AsOf = Annotated[dt.date | None, Query(
    description="evaluation date (YYYY-MM-DD); default today. The decision records it.", examples=["2026-11-01"])]
IdempotencyKey = Annotated[str | None, Header(
    alias="Idempotency-Key", min_length=1, max_length=200, pattern=IDEMPOTENCY_KEY_PATTERN,
    description="a retried request with the same key returns the first record instead of making a second")]

_bearer = HTTPBearer(auto_error=False, description="an API key made with `greencert keys create`")


async def get_principal(request: Request, services: ServicesDep,
                        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Principal:
    challenge = {"WWW-Authenticate": "Bearer"}
    if credentials is None:
        raise ApiError.one(401, "unauthenticated", "this endpoint needs an API key",
                           hint="send `Authorization: Bearer <key>`", headers=challenge)
    principal = authenticate(services.db, credentials.credentials)
    if principal is None:
        limiter: FailedAuthLimiter = request.app.state.auth_limiter
        wait = limiter.failed(request.client.host if request.client else "")
        if wait:
            raise ApiError.one(429, "too_many_failed_authentications",
                               "too many failed authentications from this address", headers={"Retry-After": str(wait)},
                               hint=f"check the API key; retry after {wait} s")
        raise ApiError.one(401, "invalid_api_key", "the API key is unknown or revoked", headers=challenge)
    return principal


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
