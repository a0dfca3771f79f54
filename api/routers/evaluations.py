"""Binding evaluations by certification bodies: submit, read, list, re-evaluate, reproduce, batch."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from .. import service
from ..deps import AsOf, CertificationBody, IdempotencyKey, ServicesDep, TodayDep
from ..errors import ApiError
from ..keys import Principal
from ..schemas import (
    BatchOut,
    EvaluationBatchIn,
    EvaluationDetail,
    EvaluationOut,
    EvaluationPage,
    IsoDate,
    Outcome,
    Reproduction,
)
from .common import APPLICATION_BODY, BODY, batch_body, json_response, responses

__all__ = ["router", "RecordId", "list_query", "batch_view", "outcome_view", "outcome_response", "check_batch_size",
           "read_batch"]

router = APIRouter(prefix="/v1/evaluations", tags=["evaluations"])

RecordId = Annotated[str, Path(max_length=36, description="the record id returned on submission",
                                examples=["6f1c2b1e-8a0e-4c8a-9a57-3d1f0c1d2e3f"])]


def outcome_view(out: service.Outcome, principal: Principal, response: Response | None = None) -> dict[str, Any]:
    if response is not None and out.replayed:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    return service.record_view(out.record, decision=out.decision, principal=principal, as_of=out.as_of)


def outcome_response(out: service.Outcome, principal: Principal, status_code: int) -> Response:
    """The `EvaluationOut` of a submission, encoded once. FastAPI would otherwise validate the whole decision
    against the response model and encode it again (~40% of a self-check's server time, measured);
    tests/api/test_api_fast_responses.py checks that the bytes equal what the model would produce."""
    if out.replayed:
        return json_response(outcome_view(out, principal), 200, {"Idempotent-Replayed": "true"})
    return json_response(outcome_view(out, principal), status_code)


def batch_view(results: list[service.BatchResult], principal: Principal) -> dict[str, Any]:
    summary = {"granted": 0, "refused": 0, "incomplete": 0, "invalid": 0}
    items = []
    for r in results:
        view = outcome_view(r.outcome, principal) if r.outcome is not None else None
        if view is None:
            summary["invalid"] += 1
        else:
            summary[view["decision"]["outcome"]] += 1
        items.append({"index": r.index, "status": r.status, "evaluation": view,
                      "diagnostics": [d.to_dict() for d in r.diagnostics]})
    return {"results": items, "summary": summary}


def list_query(services: service.Services, principal: Principal, binding: bool, *, category: str | None,
               outcome: str | None, as_of_from: dt.date | None, as_of_to: dt.date | None,
               submitted_from: dt.date | None, submitted_to: dt.date | None, limit: int, offset: int) -> dict[str, Any]:
    filters = service.Filters(category, outcome, as_of_from, as_of_to, submitted_from, submitted_to)
    rows, total = service.list_records(services.db, principal, binding=binding, filters=filters, limit=limit,
                                       offset=offset)
    return {"items": [service.summary_view(r) for r in rows], "total": total, "limit": limit, "offset": offset}


@router.post("", status_code=201, response_model=EvaluationOut, openapi_extra=APPLICATION_BODY,
             responses={200: {"model": EvaluationOut, "description": "replayed: the record first made with this "
                              "Idempotency-Key"}, **responses(*BODY, 404, 415, 422, 503)},
             summary="Evaluate an application and record the binding decision")
async def submit(request: Request, services: ServicesDep, principal: CertificationBody,
                 today: TodayDep, as_of: AsOf = None, idempotency_key: IdempotencyKey = None,
                 supersedes: Annotated[str | None, Query(max_length=36, description="id of an earlier evaluation "
                                                         "of yours that this one re-evaluates")] = None,
                 ) -> Response:
    out = await service.submit(services, principal, await request.body(), request.headers.get("content-type"),
                               as_of=as_of, today=today, binding=True, store=True, idempotency_key=idempotency_key,
                               supersedes=supersedes, disconnected=request.is_disconnected)
    return outcome_response(out, principal, 201)


@router.get("", response_model=EvaluationPage, responses=responses(422),
            summary="Your organisation's evaluations, newest first, filtered")
def list_evaluations(services: ServicesDep, principal: CertificationBody,
                     category: Annotated[str | None, Query(max_length=100)] = None,
                     outcome: Outcome | None = None,
                     as_of_from: Annotated[IsoDate | None, Query(description="evaluation date on or after")] = None,
                     as_of_to: Annotated[IsoDate | None, Query(description="evaluation date on or before")] = None,
                     submitted_from: Annotated[IsoDate | None, Query(description="recorded on or after (UTC)")] = None,
                     submitted_to: Annotated[IsoDate | None, Query(description="recorded on or before (UTC)")] = None,
                     limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE)] = service.DEFAULT_PAGE,
                     offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> dict[str, Any]:
    return list_query(services, principal, True, category=category, outcome=outcome, as_of_from=as_of_from,
                      as_of_to=as_of_to, submitted_from=submitted_from, submitted_to=submitted_to, limit=limit,
                      offset=offset)


@router.post("/batch", response_model=BatchOut, responses=responses(*BODY, 415, 422, 503),
             openapi_extra=batch_body(EvaluationBatchIn),
             summary="Evaluate many applications; a result or the diagnostics for each item")
async def submit_batch(request: Request, services: ServicesDep, principal: CertificationBody, today: TodayDep,
                       as_of: AsOf = None) -> dict[str, Any]:
    batch = await read_batch(request, services, EvaluationBatchIn)
    results = await run_in_threadpool(service.submit_batch, services, principal, batch, as_of=as_of, today=today,
                                      binding=True, store=True)
    return batch_view(results, principal)


async def read_batch(request: Request, services: service.Services, model: type[EvaluationBatchIn]
                     ) -> service.BatchRead:
    """The batch body through the one intake (`service.read_batch`, in a worker process), then its size."""
    batch: service.BatchRead = await service.read_in_worker(
        services, service.read_batch, await request.body(), request.headers.get("content-type"), model,
        disconnected=request.is_disconnected)
    check_batch_size(services, len(batch.payload.items))
    return batch


def check_batch_size(services: service.Services, count: int) -> None:
    limit = services.settings.max_batch_items
    if count > limit:
        raise ApiError.one(422, "batch_too_large", f"the batch has {count} items, more than the limit of {limit}",
                                   field="items", hint="split it into several requests")


@router.get("/{evaluation_id}", response_model=EvaluationDetail, responses=responses(404, 422),
            summary="One of your evaluations, with the application as submitted")
def get_evaluation(evaluation_id: RecordId, services: ServicesDep, principal: CertificationBody) -> dict[str, Any]:
    rec = service.get_record(services.db, principal, evaluation_id, binding=True)
    return {**service.record_view(rec), "application": rec.application,
            "superseded_by": service.superseded_by(services.db, rec)}


@router.post("/{evaluation_id}/re-evaluations", status_code=201, response_model=EvaluationOut,
             responses={200: {"model": EvaluationOut, "description": "replayed (Idempotency-Key)"},
                        **responses(404, 422)},
             summary="Decide a recorded application again with the rules in force now (a new, linked record)")
def reevaluate(evaluation_id: RecordId, response: Response, services: ServicesDep, principal: CertificationBody,
               today: TodayDep, as_of: AsOf = None, idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    out = service.reevaluate(services, principal, evaluation_id, as_of=as_of, today=today,
                             idempotency_key=idempotency_key)
    return outcome_view(out, principal, response)


@router.get("/{evaluation_id}/reproduction", response_model=Reproduction, responses=responses(404, 422),
            summary="Re-run a recorded decision with the rule-set version it was made with; it must be identical",
            description="A record that can no longer be re-run is answered 200 too, with `reproducible: false`, "
                        "`reproduced: null` and the diagnostics of the refusal in `reason`.")
def reproduce(evaluation_id: RecordId, services: ServicesDep, principal: CertificationBody) -> dict[str, Any]:
    return service.reproduction_view(service.reproduce(services, principal, evaluation_id))
