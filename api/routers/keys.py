"""API keys: an administrator manages its own organisation's, the operator every organisation's (the same
operations as `greencert keys create|list|revoke`; operator keys are made only by that command)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from .. import keys
from ..db import ApiKey
from ..deps import KeyManager, ServicesDep
from ..errors import ApiError, not_found
from ..keys import Principal
from ..schemas import KeyCreated, KeyCreateIn, KeyOut
from .common import BODY, responses

__all__ = ["router", "key_view"]

router = APIRouter(prefix="/v1/keys", tags=["keys"])


def key_view(key: ApiKey) -> dict[str, Any]:
    return {"id": key.id, "organisation": key.organisation, "role": key.role, "name": key.name,
            "created_at": key.created_at, "revoked_at": key.revoked_at}


def _own_organisation_only(principal: Principal, organisation: str) -> ApiError:
    return ApiError.one(403, "forbidden", f"an administrator manages the keys of its own organisation only "
                                          f"(`{principal.organisation}`), not of `{organisation}`",
                        field="organisation", hint="leave `organisation` out, or name your own")


@router.get("", response_model=list[KeyOut], responses=responses(422),
            summary="Your organisation's keys (the operator: every key, or one organisation's)")
def list_keys(services: ServicesDep, principal: KeyManager,
              organisation: Annotated[str | None, Query(max_length=200)] = None) -> list[dict[str, Any]]:
    if principal.role != keys.OPERATOR:
        if organisation is not None and organisation != principal.organisation:
            raise _own_organisation_only(principal, organisation)
        organisation = principal.organisation
    return [key_view(k) for k in keys.list_keys(services.db, organisation)
            if keys.manages(principal, k.organisation, k.role)]


@router.post("", status_code=201, response_model=KeyCreated, responses=responses(*BODY, 422),
             summary="Create a key for your organisation (the operator: for any); the token is in this response only")
def create_key(payload: KeyCreateIn, services: ServicesDep, principal: KeyManager) -> dict[str, Any]:
    organisation = payload.organisation or principal.organisation
    if not keys.manages(principal, organisation, payload.role):
        raise _own_organisation_only(principal, organisation)
    k = keys.create_key(services.db, organisation, payload.role, payload.name)
    return {"id": k.id, "organisation": k.organisation, "role": k.role, "name": k.name, "created_at": k.created_at,
            "revoked_at": None, "token": k.token}


@router.delete("/{key_id}", response_model=KeyOut, responses=responses(404, 422),
               summary="Revoke a key of your organisation (the operator: any key)")
def revoke_key(key_id: Annotated[str, Path(max_length=40, examples=["key_0123456789abcdef"])], services: ServicesDep,
               principal: KeyManager) -> dict[str, Any]:
    # another organisation's key is "not found", exactly like a key that does not exist: nothing leaks
    key = keys.revoke_key(services.db, key_id, lambda k: keys.manages(principal, k.organisation, k.role))
    if key is None:
        raise not_found("API key", key_id)
    return key_view(key)
