"""Liveness and readiness probes (no key needed)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from engine import Diagnostic, native

from ..deps import ServicesDep
from ..migrate import current_revision, head_revision
from ..schemas import Health, Readiness

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["health"])


@router.get("/health", response_model=Health, summary="The process answers")
def health() -> dict[str, Any]:
    return {"status": "ok"}


@router.get("/ready", response_model=Readiness, responses={503: {"model": Readiness, "description": "not ready"}},
            summary="The database answers, its schema is current and the rule sets are loaded")
def ready(services: ServicesDep, response: Response) -> dict[str, Any]:
    diags: list[Diagnostic] = []
    revision: str | None = None
    expected = head_revision()
    database = "ok"
    try:
        with services.db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        revision = current_revision(services.db.engine)
    except SQLAlchemyError as e:
        database = "unavailable"
        diags.append(Diagnostic("database_unavailable", f"the database does not answer: {type(e).__name__}"))
    if database == "ok" and revision != expected:
        diags.append(Diagnostic("schema_out_of_date", f"database schema is at `{revision}`, expected `{expected}`",
                                hint="run `greencert migrate`"))
    count = len(services.repository.rulesets)
    if count == 0:
        diags.append(Diagnostic("no_rulesets", "no rule set is loaded", hint="check GREENCERT_RULES_DIRS"))
    if diags:
        response.status_code = 503
    return {"status": "not_ready" if diags else "ready", "database": database, "schema_revision": revision,
            "expected_revision": expected, "rulesets": count, "evaluator": native.EVALUATOR,
            "diagnostics": [d.to_dict() for d in diags]}
