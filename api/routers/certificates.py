"""Certificates: issue from a granted evaluation, record their life, read their status on a date, check one."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from .. import certificates as certs
from .. import registry
from ..certificate_schemas import CertificateOut, CertificatePage, DueList, EventRecorded, PublicCertificate
from ..deps import CertificationBody, IdempotencyKey, ServicesDep, TodayDep, require
from ..errors import ApiError
from ..keys import Principal
from ..schemas import IsoDate
from .common import BODY, responses

__all__ = ["router", "public_router"]

router = APIRouter(prefix="/v1/certificates", tags=["certificates"])
public_router = APIRouter(prefix="/v1/public/certificates", tags=["certificates"])

CertificateReader = Annotated[Principal, Depends(require("certification_body", "manufacturer"))]
CertificateSettingsDep = Annotated[certs.CertificateSettings, Depends(certs.get_certificate_settings)]
Number = Annotated[str, Path(max_length=60, description="the certificate number", examples=["CQC-000001"])]
StatusDay = Annotated[IsoDate | None, Query(
    description="the day the status is read for (YYYY-MM-DD); default today", examples=["2027-03-01"])]

_ISSUE_EXAMPLE: Any = {"evaluation_id": "6f1c2b1e-8a0e-4c8a-9a57-3d1f0c1d2e3f", "holder": "acme-coatings",
                  "holder_name": "Acme Coatings Co., Ltd.", "manufacturer": "Acme Coatings Co., Ltd.",
                  "production_sites": ["Foshan plant 2"], "issued_on": "2026-11-05"}
_EVENT_EXAMPLES: Any = [
    {"kind": "surveillance_recorded", "on": "2027-11-01", "evaluation_id": "0b9e6c1e-2f6d-4f0e-9d55-8a2c9f3e4b10"},
    {"kind": "suspended", "on": "2027-12-01", "reason": "complaint verified", "deadline": "2028-03-01"},
    {"kind": "revoked", "on": "2028-03-02", "reason": "suspension deadline missed"},
    {"kind": "scope_reduced", "on": "2028-04-01", "models": ["LW-2200"]},
]


class IssueIn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"examples": [_ISSUE_EXAMPLE]})

    evaluation_id: str = Field(max_length=36, description="one of your binding evaluations, granted")
    holder: str = Field(min_length=1, max_length=200, description="the holder's organisation as its greencert keys "
                        "name it: its manufacturer keys read the certificate")
    holder_name: str | None = Field(default=None, max_length=300, description="the holder's name as printed; "
                                    "default: `holder`")
    manufacturer: str | None = Field(default=None, max_length=300, description="default: the application's")
    production_sites: list[Annotated[str, Field(max_length=300)]] = Field(default_factory=list, max_length=50)
    issued_on: IsoDate | None = Field(default=None, description="default today")
    region: str | None = Field(default=None, min_length=1, max_length=100,
                               description="where the product is certified (a filter of the public registry)")
    prefix: str | None = Field(default=None, pattern=certs.PREFIX_PATTERN,
                               description="the number prefix; default `GREENCERT_CERTIFICATE_PREFIX`, else your "
                                           "organisation's name in capitals")


class EventIn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"examples": _EVENT_EXAMPLES})

    kind: Literal["surveillance_recorded", "suspended", "restored", "revoked", "cancelled", "scope_extended",
                  "scope_reduced", "converted", "expired"]
    on: IsoDate | None = Field(default=None, description="the day it takes effect; default today")
    reason: str | None = Field(default=None, min_length=1, max_length=2000)
    evaluation_id: str | None = Field(default=None, max_length=36,
                                      description="the binding evaluation it rests on (surveillance, restoration, "
                                                  "scope extension, conversion)")
    deadline: IsoDate | None = Field(default=None, description="suspension: the last day to restore it")
    models: list[Annotated[str, Field(max_length=200)]] = Field(default_factory=list, max_length=100,
                                                                 description="scope reduction: models removed")
    units: list[Annotated[str, Field(max_length=200)]] = Field(default_factory=list, max_length=100,
                                                                description="scope reduction: units removed")


@router.post("", status_code=201, response_model=CertificateOut,
             responses={200: {"model": CertificateOut, "description": "replayed (Idempotency-Key)"},
                                             409: {"description": "the evaluation cannot issue a certificate "
                                                                  "(refused, incomplete, no label); the diagnostics "
                                                                  "say why"}, **responses(*BODY, 404, 422)},
             summary="Issue a certificate from one of your granted binding evaluations")
def issue(payload: IssueIn, response: Response, services: ServicesDep, principal: CertificationBody,
          today: TodayDep, settings: CertificateSettingsDep, idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    req = certs.IssueRequest(payload.evaluation_id, payload.holder, payload.holder_name or payload.holder,
                             payload.manufacturer, tuple(payload.production_sites), payload.issued_on, payload.prefix,
                             payload.region)
    loaded, replayed = certs.issue(services, principal, req, today=today, settings=settings,
                                   idempotency_key=idempotency_key)
    if replayed:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    return certs.certificate_view(loaded, loaded.log[0].on)


@router.get("", response_model=CertificatePage, responses=responses(422),
            summary="Your certificates (a body: those it issued; a manufacturer: those it holds), newest first, "
                    "with their status on a day")
def list_certificates(services: ServicesDep, principal: CertificateReader, today: TodayDep, as_of: StatusDay = None,
                      limit: Annotated[int, Query(ge=1, le=200)] = 50,
                      offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> dict[str, Any]:
    day = as_of or today
    items, total = certs.list_certificates(services.db, principal, limit=limit, offset=offset)
    return {"items": [certs.certificate_view(x, day, events=False) for x in items], "total": total, "limit": limit,
            "offset": offset, "as_of": day}


@router.get("/due", response_model=DueList, responses=responses(422),
            summary="Your work list: surveillance due or overdue, suspensions about to lapse or lapsed, renewals, "
                    "conversions to a new edition")
def due(services: ServicesDep, principal: CertificationBody, today: TodayDep, settings: CertificateSettingsDep,
        as_of: StatusDay = None,
        within_days: Annotated[int, Query(ge=0, le=3660, description="look this many days ahead")] = 30
        ) -> dict[str, Any]:
    day = as_of or today
    rows = certs.due_list(services.db, principal, day, within_days, certs.edition_ends(services, principal))
    schedule = certs.schedule_for(services, principal, settings)
    by_ruleset = certs.schedules_by_ruleset(services, principal, settings)
    return {"as_of": day, "within_days": within_days,
            "items": [{"number": x.record.number, "kind": d.kind, "due": d.due, "detail": d.detail,
                       "state": s.state, "holder_name": x.record.holder_name} for x, s, d in rows],
            "schedule": schedule.to_dict(),
            "schedules": {rid: sched.to_dict() for rid, sched in by_ruleset.items()},
            "notes": certs.schedule_notes(schedule, by_ruleset)}


@router.get("/{number}", response_model=CertificateOut, responses=responses(404, 422),
            summary="One certificate: what it says, its status on a day, its whole log")
def get_certificate(number: Number, services: ServicesDep, principal: CertificateReader, today: TodayDep,
                    as_of: StatusDay = None) -> dict[str, Any]:
    return certs.certificate_view(certs.read_certificate(services.db, principal, number), as_of or today)


@router.post("/{number}/events", status_code=201, response_model=EventRecorded,
             responses={200: {"model": EventRecorded, "description": "replayed (Idempotency-Key)"},
                        409: {"description": "the log does not allow this move now; the diagnostics say why"},
                        **responses(*BODY, 404, 422, 503)},
             summary="Record an event of one of your certificates (append-only)")
def record_event(number: Number, payload: EventIn, response: Response, services: ServicesDep,
                 principal: CertificationBody, today: TodayDep, settings: CertificateSettingsDep,
                 idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    req = certs.EventRequest(payload.kind, payload.on, payload.reason, payload.evaluation_id, payload.deadline,
                             tuple(payload.models), tuple(payload.units))
    loaded, row, replayed = certs.record_event(services, principal, number, req, today=today,
                                               idempotency_key=idempotency_key, settings=settings)
    if replayed:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    return {"event": certs.event_view(row), "certificate": certs.certificate_view(loaded, row.effective_on,
                                                                                  events=False)}


@router.get("/{number}/document", response_class=Response, responses={
    200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary", "examples": ["%PDF-1.4…"]}}},
          "description": "the certificate as a one-page A4 PDF with a QR code pointing at `/verify/{number}`"},
    **responses(404, 422)}, summary="The printable certificate (PDF) with the QR code of its public check")
def document(number: Number, request: Request, services: ServicesDep, principal: CertificateReader,
             today: TodayDep, settings: CertificateSettingsDep, as_of: StatusDay = None) -> Response:
    from ..certificate_document import certificate_pdf, verification_url

    day = as_of or today
    view = certs.public_view(certs.read_certificate(services.db, principal, number), day)
    url = verification_url(settings.public_url or str(request.base_url), view["number"])
    return Response(certificate_pdf(view, url, day), media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{view["number"]}.pdf"'})


@public_router.get("/{number}", response_model=PublicCertificate,
                   responses={404: responses(404)[404], 422: responses(422)[422]},
                   summary="Check a certificate (no key): valid on a day?, holder, product, label, validity")
async def public_certificate(number: Number, services: ServicesDep, today: TodayDep, as_of: StatusDay = None
                             ) -> Any:
    # The read path of the public check (api.read_model): one indexed query answered with the stored JSON,
    # on the event loop (a thread-pool hop and the ORM cost more than the query: docs/registry.md). A day the
    # read model has no row for (before the first event, or no such certificate) is derived from the log.
    if "\x00" in number:  # no number holds one, and PostgreSQL refuses it in text (api.errors.BodyLimitMiddleware)
        raise ApiError.one(422, "request_validation_error", "the URL contains a NUL character",
                           hint="remove `%00` from the path and query")
    day = as_of or today
    body = registry.public_body(services.db, number, day)
    if body is not None:
        return Response(body, media_type="application/json")
    return await run_in_threadpool(lambda: certs.public_view(certs.get_certificate(services.db, None, number), day))
