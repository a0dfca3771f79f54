"""Edition impact through the API: a job per request, run in its own process, its state in the database.

`start_job` (the POST) checks what it can at once (the category and edition, the bounds), records the job
`queued` and starts its process (`multiprocessing` spawn: a new interpreter, never a fork of the server). The
process (`run_job`) marks it `running`, keeps a heartbeat and the progress (certificates examined of those to
examine) in the row, runs `api.impact.run_impact` on the body's own certificates with the body's rule sets (and
the what-if overlay, if any) across `impact_workers` worker processes, writes every certificate's verdict in
`impact_results`, then the summary, and marks it `done`; any failure marks it `failed` with diagnostics. A process
that dies without saying so (killed, out of memory) is found by its missing heartbeat (or, by the server that
started it, by its exit) and its job reported `failed` (`impact_job_lost`): nothing ends silently.

Bounds: one active (queued or running) job per body, held by a unique column (`active_for`), so it holds across
server processes on one PostgreSQL; at most `impact_jobs` active jobs on the database (counted before the insert:
two servers racing may briefly exceed it by one each). A refused request gets 409 `impact_job_busy`.
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import tempfile
import threading
import uuid
from collections.abc import Sequence
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from engine import Diagnostic, DiagnosticError, Repository
from engine.impact import summarize

from .db import Database, utcnow
from .errors import ApiError, not_found
from .impact import ImpactFailed, resolve_edition, run_impact
from .impact_tables import ImpactJobRecord, ImpactResultRecord
from .keys import Principal
from .service import Services

__all__ = ["ACTIVE", "HEARTBEAT_SECONDS", "LOST_AFTER_SECONDS", "start_job", "get_job", "job_view", "results_page",
           "run_job"]

ACTIVE = ("queued", "running")
HEARTBEAT_SECONDS = 2.0  # how often a running job writes its heartbeat and progress
LOST_AFTER_SECONDS = 60.0  # an active job silent this long (no heartbeat, or never started) is reported lost
RESULTS_BATCH = 1000

# the processes this server started, by job id: their exit is seen at once (others' by the heartbeat)
_processes: dict[str, BaseProcess] = {}
_processes_lock = threading.Lock()


# ---------------------------------------------------------------------------------------------- server side

def start_job(services: Services, principal: Principal, category: str, edition: str, as_of: dt.date | None,
              overlay: dict[str, Any] | None) -> ImpactJobRecord:
    repo = services.repository_for(principal)
    try:
        target = resolve_edition(repo, category, edition)
    except DiagnosticError as e:
        raise ApiError(422, e.diagnostics) from e
    if overlay is not None and overlay.get("target") != target.id:
        raise ApiError.one(422, "impact_overlay_target", f"the what-if overlay targets `{overlay.get('target')}`, "
                           f"not the edition analysed (`{target.id}`)", field="overlay.target",
                           hint=f"set `target: {target.id}`")
    db = services.db
    reap(db)
    with db.read() as session:
        active = session.scalar(select(func.count()).select_from(ImpactJobRecord)
                                .where(ImpactJobRecord.status.in_(ACTIVE))) or 0
    if active >= services.settings.impact_jobs:
        raise ApiError.one(409, "impact_job_busy", f"{active} impact jobs are running, the most this service runs "
                           "at once", hint="retry when one has finished (GET /v1/impact-jobs/{id} shows progress)",
                           headers={"Retry-After": "30"})
    now = utcnow()
    row = ImpactJobRecord(id=str(uuid.uuid4()), organisation=principal.organisation, api_key_id=principal.key_id,
                          category=category, edition=target.standard, ruleset_id=target.id,
                          as_of=as_of or target.in_force.from_, overlay=overlay, status="queued", done=0,
                          active_for=principal.organisation, created_at=now)
    try:
        with db.write() as session:
            session.add(row)
    except IntegrityError as e:
        with db.read() as session:
            running = session.scalar(select(ImpactJobRecord.id).where(
                ImpactJobRecord.active_for == principal.organisation))
        raise ApiError.one(409, "impact_job_busy", "this body already has an impact job queued or running",
                           hint=f"wait for job `{running}` to finish (GET /v1/impact-jobs/{running})",
                           headers={"Retry-After": "30"}) from e
    settings = services.settings
    overlay_dirs = settings.overlay_dirs if principal.organisation == settings.overlay_organisation else []
    process = multiprocessing.get_context("spawn").Process(
        target=run_job, name=f"greencert-impact-{row.id}",
        args=(db.url, row.id, [str(p) for p in [settings.catalog_dir, *settings.rules_dirs]],
              [str(p) for p in overlay_dirs], settings.impact_workers))
    try:
        process.start()
    except Exception as e:  # the job must not stay queued with no process behind it
        _finish(db, row.id, "failed", diagnostics=[Diagnostic(
            "impact_job_failed", f"the job's process could not be started: {type(e).__name__}: {e}", "<impact>")])
        raise ApiError.one(503, "impact_job_failed", "the job's process could not be started") from e
    with _processes_lock:
        _processes[row.id] = process
    return row


def get_job(services: Services, principal: Principal, job_id: str) -> ImpactJobRecord:
    """The job, if it is the caller's body's (else 404, as for no job at all); a lost job is reported failed."""
    reap(services.db, job_id)
    with services.db.read() as session:
        row = session.get(ImpactJobRecord, job_id)
    if row is None or row.organisation != principal.organisation:
        raise not_found("impact job", job_id)
    return row


def reap(db: Database, job_id: str | None = None) -> None:
    """Mark failed the active jobs whose process is gone: exited (started here) or silent too long (anywhere)."""
    with _processes_lock:
        ended = {jid: p.exitcode for jid, p in _processes.items() if not p.is_alive()}
        for jid in ended:
            _processes.pop(jid).join()
        alive = set(_processes)  # started here and running: not judged by silence (a slow start under load)
    silent = utcnow() - dt.timedelta(seconds=LOST_AFTER_SECONDS)
    with db.read() as session:
        q = select(ImpactJobRecord.id, ImpactJobRecord.heartbeat_at, ImpactJobRecord.created_at).where(
            ImpactJobRecord.status.in_(ACTIVE))
        if job_id is not None:
            q = q.where(ImpactJobRecord.id == job_id)
        rows = list(session.execute(q))
    for jid, heartbeat, created in rows:
        if jid in ended:
            message = f"the job's process ended (exit code {ended[jid]}) before the job finished"
        elif jid not in alive and (heartbeat or created) < silent:
            message = f"the job's process has not been heard from for over {LOST_AFTER_SECONDS:.0f} s"
        else:
            continue
        _finish(db, jid, "failed", diagnostics=[Diagnostic(
            "impact_job_lost", message, "<impact>", hint="start the job again; if it is lost again, report it")],
            only_active=True)


def job_view(row: ImpactJobRecord) -> dict[str, Any]:
    report = row.report or {}
    return {"id": row.id, "status": row.status, "category": row.category, "edition": row.edition,
            "ruleset_id": row.ruleset_id, "as_of": row.as_of,
            "what_if": row.overlay is not None,
            "overlay_id": row.overlay.get("id") if isinstance(row.overlay, dict) else None,
            "progress": {"done": row.done, "total": row.total},
            "summary": row.summary, "current_editions": report.get("current_editions"),
            "conversion_deadlines": report.get("conversion_deadlines"),
            "diagnostics": row.diagnostics or [],
            "created_at": row.created_at, "started_at": row.started_at, "finished_at": row.finished_at,
            "results": f"/v1/impact-jobs/{row.id}/results" if row.status == "done" else None}


def results_page(services: Services, row: ImpactJobRecord, verdict: str | None, limit: int,
                 offset: int) -> dict[str, Any]:
    if row.status != "done":
        raise ApiError.one(409, "impact_job_not_finished", f"impact job `{row.id}` is {row.status}",
                           hint="poll GET /v1/impact-jobs/{id} until its status is `done`"
                           if row.status in ACTIVE else "the job failed: its diagnostics say why")
    q = select(ImpactResultRecord).where(ImpactResultRecord.job_id == row.id)
    if verdict is not None:
        q = q.where(ImpactResultRecord.verdict == verdict)
    with services.db.read() as session:
        found = list(session.scalars(q.order_by(ImpactResultRecord.position).offset(offset).limit(limit + 1)))
    has_more = len(found) > limit
    items = [{"number": r.number, "verdict": r.verdict, "outcome": r.outcome, "ruleset_id": r.ruleset_id,
              "failing": r.failing, "missing": r.missing, "diagnostics": r.diagnostics} for r in found[:limit]]
    return {"job": row.id, "verdict": verdict, "items": items, "limit": limit, "offset": offset,
            "has_more": has_more, "next_offset": offset + limit if has_more else None}


# ---------------------------------------------------------------------------------------------- job side

def _finish(db: Database, job_id: str, status: str, *, only_active: bool = False, **values: Any) -> bool:
    q = update(ImpactJobRecord).where(ImpactJobRecord.id == job_id)
    if only_active:
        q = q.where(ImpactJobRecord.status.in_(ACTIVE))
    if "diagnostics" in values:
        values["diagnostics"] = [d.to_dict() if isinstance(d, Diagnostic) else d for d in values["diagnostics"]]
    with db.write() as session:
        result: Any = session.execute(q.values(status=status, active_for=None, finished_at=utcnow(), **values))
    return bool(result.rowcount)


class _Heartbeat:
    """Writes the job's heartbeat and progress every HEARTBEAT_SECONDS (a thread of the job's process)."""

    def __init__(self, db: Database, job_id: str):
        self.db, self.job_id = db, job_id
        self.done: int = 0
        self.total: int | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="impact-heartbeat", daemon=True)

    def progress(self, done: int, total: int) -> None:
        self.done, self.total = done, total

    def beat(self) -> None:
        with self.db.write() as session:
            session.execute(update(ImpactJobRecord).where(ImpactJobRecord.id == self.job_id,
                                                          ImpactJobRecord.status == "running")
                            .values(heartbeat_at=utcnow(), done=self.done, total=self.total))

    def _run(self) -> None:
        while not self._stop.wait(HEARTBEAT_SECONDS):
            try:
                self.beat()
            except Exception:  # noqa: BLE001 - a missed beat is retried; a job silent too long is reaped
                continue

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def run_job(database_url: str, job_id: str, paths: Sequence[str], overlay_dirs: Sequence[str], workers: int) -> None:
    """The job's process: run the impact analysis recorded as `job_id` and record its outcome."""
    from .certificates import get_certificate_settings

    db = Database(database_url)
    try:
        with db.write() as session:
            started: Any = session.execute(update(ImpactJobRecord).where(
                ImpactJobRecord.id == job_id, ImpactJobRecord.status == "queued").values(
                status="running", pid=os.getpid(), started_at=utcnow(), heartbeat_at=utcnow()))
        if not started.rowcount:
            return  # reaped meanwhile (reported lost): nothing to do
        with db.read() as session:
            row = session.get(ImpactJobRecord, job_id)
        assert row is not None
        try:
            with tempfile.TemporaryDirectory(prefix="greencert-whatif-") as tmp, _Heartbeat(db, job_id) as beat:
                dirs = [Path(p) for p in overlay_dirs]
                if row.overlay is not None:
                    # the what-if overlay, for this run alone: a file in a directory of its own, as overlays are read
                    (Path(tmp) / "what-if.yaml").write_text(json.dumps(row.overlay, ensure_ascii=False),
                                                            encoding="utf-8")
                    dirs.append(Path(tmp))
                repo = Repository.load([Path(p) for p in paths], dirs)  # an invalid overlay: DiagnosticError
                report = run_impact(db, repo, category=row.category, edition=row.ruleset_id, as_of=row.as_of,
                                    paths=[Path(p) for p in paths], overlay_dirs=dirs, workers=workers,
                                    transition=get_certificate_settings().overrides()["transition"],
                                    progress=beat.progress, organisation=row.organisation)
                _write_results(db, job_id, report.items)
        except DiagnosticError as e:
            _finish(db, job_id, "failed", diagnostics=e.diagnostics, only_active=True)
            return
        except ImpactFailed as e:
            _finish(db, job_id, "failed", diagnostics=[Diagnostic("worker_failed", str(e), "<impact>")],
                    only_active=True)
            return
        _finish(db, job_id, "done", only_active=True, summary=summarize(report.items), done=beat.total or 0,
                total=beat.total, report={"standard": report.edition.standard,
                                          "current_editions": report.current_editions,
                                          "conversion_deadlines": report.deadlines})
    except Exception as e:  # noqa: BLE001 - whatever went wrong is said in the job, never lost
        try:
            _finish(db, job_id, "failed", only_active=True, diagnostics=[Diagnostic(
                "impact_job_failed", f"the impact job failed: {type(e).__name__}: {str(e)[:300]}", "<impact>",
                hint="this is a bug in greencert: please report it")])
        finally:
            raise
    finally:
        db.dispose()


def _write_results(db: Database, job_id: str, items: Sequence[Any]) -> None:
    rows = [{"job_id": job_id, "position": k, "number": i.number, "verdict": i.verdict, "outcome": i.outcome,
             "ruleset_id": i.ruleset_id, "failing": list(i.failing), "missing": list(i.missing),
             "diagnostics": list(i.diagnostics)} for k, i in enumerate(items)]
    for k in range(0, len(rows), RESULTS_BATCH):
        with db.write() as session:
            session.execute(insert(ImpactResultRecord), rows[k:k + RESULTS_BATCH])
