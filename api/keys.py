"""API keys: created with a random secret shown once, stored as a sha256 hash, bound to organisation + role.

Who manages keys: an organisation's `administrator` the keys of its own organisation (never an operator's key);
the service's `operator` every key. Operator keys are made only on the server (`greencert keys create --role
operator`), never over HTTP."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import bindparam, select

from .db import ROLES, ApiKey, Database, utcnow

__all__ = ["Principal", "CreatedKey", "create_key", "list_keys", "revoke_key", "authenticate", "hash_token",
           "manages", "TOKEN_PREFIX", "OPERATOR", "ADMINISTRATOR"]

TOKEN_PREFIX = "gck"
OPERATOR = "operator"
ADMINISTRATOR = "administrator"


@dataclass(frozen=True)
class Principal:
    """Who is asking: the key's id (recorded with every decision), organisation and role."""

    key_id: str
    organisation: str
    role: str


@dataclass(frozen=True)
class CreatedKey:
    id: str
    token: str  # the only time the secret exists outside the caller's hands
    organisation: str
    role: str
    name: str | None
    created_at: dt.datetime


def manages(principal: Principal, organisation: str, role: str) -> bool:
    """Whether `principal` may see, make or revoke a key of `organisation` with `role`: the operator every key,
    an administrator the keys of its own organisation but an operator's."""
    if principal.role == OPERATOR:
        return True
    return principal.role == ADMINISTRATOR and organisation == principal.organisation and role != OPERATOR


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_key(db: Database, organisation: str, role: str, name: str | None = None) -> CreatedKey:
    if role not in ROLES:
        raise ValueError(f"unknown role `{role}`")
    if not organisation.strip():
        raise ValueError("the organisation must not be empty")
    key_id = "key_" + secrets.token_hex(8)
    token = f"{TOKEN_PREFIX}_{key_id[4:]}_{secrets.token_urlsafe(32)}"
    now = utcnow()
    with db.write() as session:
        session.add(ApiKey(id=key_id, secret_hash=hash_token(token), organisation=organisation, role=role, name=name,
                           created_at=now, revoked_at=None))
    return CreatedKey(key_id, token, organisation, role, name, now)


def list_keys(db: Database, organisation: str | None = None) -> list[ApiKey]:
    with db.read() as session:
        query = select(ApiKey).order_by(ApiKey.created_at, ApiKey.id)
        if organisation is not None:
            query = query.where(ApiKey.organisation == organisation)
        return list(session.scalars(query))


def revoke_key(db: Database, key_id: str, allowed: Callable[[ApiKey], bool] | None = None) -> ApiKey | None:
    """Mark a key revoked (kept, since decisions name the key that asked); None if there is no such key, or if
    `allowed` says the caller may not touch it (the same answer: another organisation's keys are not found)."""
    with db.write() as session:
        key = session.get(ApiKey, key_id)
        if key is None or (allowed is not None and not allowed(key)):
            return None
        if key.revoked_at is None:
            key.revoked_at = utcnow()
        return key


def authenticate(db: Database, token: str) -> Principal | None:
    if not token.startswith(TOKEN_PREFIX + "_") or len(token) > 200:
        return None
    # Core, not the ORM: every request authenticates, and the ORM session cost more than the query (measured).
    # Not cached: a revoked key stops working at once, in every worker.
    with db.lookup() as conn:
        row = conn.execute(_BY_HASH, {"h": hash_token(token)}).first()
    if row is None or row.revoked_at is not None:
        return None
    return Principal(row.id, row.organisation, row.role)


_KEYS = ApiKey.__table__
_BY_HASH = select(_KEYS.c.id, _KEYS.c.organisation, _KEYS.c.role, _KEYS.c.revoked_at).where(
    _KEYS.c.secret_hash == bindparam("h"))
