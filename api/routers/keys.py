"""API keys, for administrators (the same operations as `greencert keys create|list|revoke`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from .. import keys
from ..db import ApiKey
from ..deps import Administrator, ServicesDep
from ..errors import not_found
from ..schemas import KeyCreated, KeyCreateIn, KeyOut
from .common import responses

__all__ = ["router", "key_view"]

router = APIRouter(prefix="/v1/keys", tags=["keys"])


def key_view(key: ApiKey) -> dict[str, Any]:
    return {"id": key.id, "organisation": key.organisation, "role": key.role, "name": key.name,
            "created_at": key.created_at, "revoked_at": key.revoked_at}


@router.get("", response_model=list[KeyOut], responses=responses(422), summary="Every key, or one organisation's")
def list_keys(services: ServicesDep, _admin: Administrator,
              organisation: Annotated[str | None, Query(max_length=200)] = None) -> list[dict[str, Any]]:
    return [key_view(k) for k in keys.list_keys(services.db, organisation)]


@router.post("", status_code=201, response_model=KeyCreated, responses=responses(422),
             summary="Create a key; the token is in this response only")
def create_key(payload: KeyCreateIn, services: ServicesDep, _admin: Administrator) -> dict[str, Any]:
    k = keys.create_key(services.db, payload.organisation, payload.role, payload.name)
    return {"id": k.id, "organisation": k.organisation, "role": k.role, "name": k.name, "created_at": k.created_at,
            "revoked_at": None, "token": k.token}


@router.delete("/{key_id}", response_model=KeyOut, responses=responses(404, 422), summary="Revoke a key")
def revoke_key(key_id: Annotated[str, Path(max_length=40, examples=["key_0123456789abcdef"])], services: ServicesDep,
               _admin: Administrator) -> dict[str, Any]:
    key = keys.revoke_key(services.db, key_id)
    if key is None:
        raise not_found("API key", key_id)
    return key_view(key)
