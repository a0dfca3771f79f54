"""Manufacturers' self-checks: the same evaluation, never binding, stored only if asked, theirs alone."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from .. import service
from ..deps import AsOf, IdempotencyKey, Manufacturer, ServicesDep, TodayDep
from ..schemas import BatchOut, EvaluationDetail, EvaluationOut, EvaluationPage, IsoDate, Outcome, SelfCheckBatchIn
from .common import APPLICATION_BODY, BODY, batch_body, responses
from .evaluations import RecordId, batch_view, list_query, outcome_response, read_batch

__all__ = ["router"]

router = APIRouter(prefix="/v1/self-checks", tags=["self-checks"])


@router.post("", status_code=200, response_model=EvaluationOut, openapi_extra=APPLICATION_BODY,
             responses={201: {"model": EvaluationOut, "description": "stored (`store=true`)"},
                        **responses(*BODY, 415, 422, 503)},
             summary="Check an application without a binding decision; stored only with `store=true`")
async def submit(request: Request, services: ServicesDep, principal: Manufacturer,
                 today: TodayDep, as_of: AsOf = None, idempotency_key: IdempotencyKey = None,
                 store: Annotated[bool, Query(description="keep it (visible only to your organisation)")] = False,
                 ) -> Response:
    out = await service.submit(services, principal, await request.body(), request.headers.get("content-type"),
                               as_of=as_of, today=today, binding=False, store=store, idempotency_key=idempotency_key,
                               disconnected=request.is_disconnected)
    return outcome_response(out, principal, 201 if out.record is not None else 200)


@router.get("", response_model=EvaluationPage, responses=responses(422), summary="Your stored self-checks")
def list_self_checks(services: ServicesDep, principal: Manufacturer,
                     category: Annotated[str | None, Query(max_length=100)] = None,
                     outcome: Outcome | None = None,
                     as_of_from: Annotated[IsoDate | None, Query(description="evaluation date on or after")] = None,
                     as_of_to: Annotated[IsoDate | None, Query(description="evaluation date on or before")] = None,
                     submitted_from: Annotated[IsoDate | None, Query(description="recorded on or after (UTC)")] = None,
                     submitted_to: Annotated[IsoDate | None, Query(description="recorded on or before (UTC)")] = None,
                     limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE)] = service.DEFAULT_PAGE,
                     offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> dict[str, Any]:
    return list_query(services, principal, False, category=category, outcome=outcome, as_of_from=as_of_from,
                      as_of_to=as_of_to, submitted_from=submitted_from, submitted_to=submitted_to, limit=limit,
                      offset=offset)


@router.post("/batch", response_model=BatchOut, responses=responses(*BODY, 415, 422, 503),
             openapi_extra=batch_body(SelfCheckBatchIn),
             summary="Self-check many applications; a result or the diagnostics for each item")
async def submit_batch(request: Request, services: ServicesDep, principal: Manufacturer, today: TodayDep,
                       as_of: AsOf = None) -> dict[str, Any]:
    batch = await read_batch(request, services, SelfCheckBatchIn)
    results = await run_in_threadpool(service.submit_batch, services, principal, batch, as_of=as_of, today=today,
                                      binding=False, store=batch.payload.store)
    return batch_view(results, principal)


@router.get("/{self_check_id}", response_model=EvaluationDetail, responses=responses(404, 422),
            summary="One of your stored self-checks")
def get_self_check(self_check_id: RecordId, services: ServicesDep, principal: Manufacturer) -> dict[str, Any]:
    rec = service.get_record(services.db, principal, self_check_id, binding=False)
    return {**service.record_view(rec), "application": rec.application,
            "superseded_by": service.superseded_by(services.db, rec)}
