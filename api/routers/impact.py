"""Edition impact as a job: start it, poll its progress, page through its per-certificate results."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response

from .. import impact_jobs
from ..deps import CertificationBody, ServicesDep
from ..impact_schemas import ImpactJobIn, ImpactJobOut, ImpactResultsPage
from .common import BODY, responses

__all__ = ["router"]

router = APIRouter(prefix="/v1/impact-jobs", tags=["registry"])

JobId = Annotated[str, Path(max_length=36, description="the job's id",
                            examples=["5f0c6d2a-1b7e-4c1e-8f43-0a9d2c7e6b11"])]
_BUSY: dict[int | str, dict[str, Any]] = {409: {
    "description": "this body already has an impact job queued or running, or the service runs as many as it allows "
                   "(`impact_job_busy`, with Retry-After)"}}
_NOT_DONE: dict[int | str, dict[str, Any]] = {409: {
    "description": "the job has not finished (`impact_job_not_finished`)"}}


@router.post("", status_code=202, response_model=ImpactJobOut, responses={**_BUSY, **responses(*BODY, 422)},
             summary="Start an impact analysis: what a new edition does to every valid certificate this body "
                     "issued in a category (with an overlay: what if)")
def start(payload: ImpactJobIn, services: ServicesDep, principal: CertificationBody, response: Response
          ) -> dict[str, Any]:
    row = impact_jobs.start_job(services, principal, payload.category, payload.edition, payload.as_of,
                                payload.overlay)
    response.headers["Location"] = f"/v1/impact-jobs/{row.id}"
    return impact_jobs.job_view(row)


@router.get("/{job_id}", response_model=ImpactJobOut, responses=responses(404, 422),
            summary="An impact job: status, progress (certificates examined of those to examine), and once done "
                    "the summary and conversion deadlines")
def get(job_id: JobId, services: ServicesDep, principal: CertificationBody) -> dict[str, Any]:
    return impact_jobs.job_view(impact_jobs.get_job(services, principal, job_id))


@router.get("/{job_id}/results", response_model=ImpactResultsPage, responses={**_NOT_DONE, **responses(404, 422)},
            summary="A finished impact job's per-certificate outcomes, by certificate number, a page at a time")
def results(job_id: JobId, services: ServicesDep, principal: CertificationBody,
            verdict: Annotated[Literal["keep", "lose", "undetermined"] | None, Query()] = None,
            limit: Annotated[int, Query(ge=1, le=1000)] = 100,
            offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> dict[str, Any]:
    row = impact_jobs.get_job(services, principal, job_id)
    return impact_jobs.results_page(services, row, verdict, limit, offset)
