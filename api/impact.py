"""Edition impact over the registry: re-evaluate the application behind every valid certificate of a category
under a new edition, across worker processes (engine.parallel), and say per certificate keep / lose /
undetermined (engine.impact), with the category's summary and conversion deadline.

Reads only: the registry is never written (an overlay given here is a "what if": the body's trial limits, used
for this run alone). The application behind a certificate is the one of the binding evaluation it was issued
from (a scope extension's or conversion's later evaluation is not re-run).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Text, cast, select

from engine import Diagnostic, DiagnosticError, ParallelEvaluator, Repository, RuleSet, evaluate_chunk
from engine.certificates import Event, add_period, status_as_of
from engine.impact import CertificateImpact, classify_result, summarize

from .certificate_tables import CertificateEventRecord, CertificateRecord
from .db import Database, DecisionRecord

__all__ = ["ImpactReport", "ImpactFailed", "ImpactTask", "ImpactChunk", "resolve_edition", "candidates",
           "certificate_numbers", "impact_pool", "impact_task", "impact_slice", "run_impact", "cmd_impact"]

SLICE = 250  # certificates a worker reads, evaluates and classifies at a time (the progress bar moves by these)


@dataclass(frozen=True)
class ImpactReport:
    category: str
    edition: RuleSet
    as_of: dt.date
    items: list[CertificateImpact]
    current_editions: dict[str, int]  # the editions the certificates are under now, and how many
    deadlines: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {"category": self.category, "edition": self.edition.id, "standard": self.edition.standard,
                "as_of": self.as_of.isoformat(), "summary": summarize(self.items),
                "current_editions": self.current_editions, "conversion_deadlines": self.deadlines,
                "certificates": [i.to_dict() for i in self.items]}


def resolve_edition(repo: Repository, category: str, edition: str) -> RuleSet:
    """The rule set of `category` named by its standard (`GB/T 35607-2024`) or id."""
    found = [rs for rs in repo.rulesets.values() if rs.category == category and edition in (rs.standard, rs.id)]
    if not found:
        known = [rs.standard for rs in repo.rulesets.values() if rs.category == category]
        raise DiagnosticError([Diagnostic("impact_edition_unknown", f"no edition `{edition}` of `{category}`",
                                          "<impact>", hint=("editions: " + ", ".join(known)) if known else
                                          "no rule set of this category is shipped", field="edition")])
    return found[0]


def candidates(db: Database, category: str, day: dt.date) -> list[tuple[str, str, str | None, Any]]:
    """(number, evaluation id, current edition, application) of every certificate of `category` valid on `day`,
    by number. One query for the logs of the category (Core rows, not ORM objects: the registry's query path
    reads in windows for pages, this reads everything once), one per 500 applications."""
    logs: dict[str, tuple[str, list[Event]]] = {}
    with db.read() as session:
        for number, event, evaluation_id in session.execute(
                select(CertificateEventRecord.certificate_number, CertificateEventRecord.event,
                       CertificateRecord.evaluation_id)
                .join(CertificateRecord, CertificateRecord.number == CertificateEventRecord.certificate_number)
                .where(CertificateRecord.category == category)
                .order_by(CertificateEventRecord.certificate_number, CertificateEventRecord.sequence)):
            logs.setdefault(number, (evaluation_id, []))[1].append(Event.from_dict(event))
        found = []
        for number, (evaluation_id, log) in logs.items():
            status = status_as_of(log, day)
            if status.valid and status.facts is not None:
                found.append((number, evaluation_id, status.facts.ruleset_id))
        apps: dict[str, Any] = {}
        ids = [e for _, e, _ in found]
        for k in range(0, len(ids), 500):
            for rid, app in session.execute(select(DecisionRecord.id, DecisionRecord.application).where(
                    DecisionRecord.id.in_(ids[k:k + 500]))):
                apps[rid] = app
    return [(n, e, ed, apps[e]) for n, e, ed in found]


def _deadlines(repo: Repository, editions: dict[str, int], target: RuleSet,
               transition: Any) -> list[dict[str, Any]]:
    out = []
    for rid in sorted(editions):
        if rid == target.id:
            continue
        rs = repo.rulesets.get(rid)
        entry: dict[str, Any] = {"edition": rid, "certificates": editions[rid], "deadline": None, "source": None}
        if rs is not None and rs.in_force.accepted_until is not None:
            entry.update(deadline=rs.in_force.accepted_until.isoformat(),
                         source="the rule set's own transition (in_force.accepted_until)")
        elif rs is not None and rs.in_force.until is not None and transition is not None:
            entry.update(deadline=add_period(rs.in_force.until, transition).isoformat(),
                         source=f"the edition's end plus the transition set by the body ({transition.source})")
        else:
            entry["note"] = ("no conversion deadline: neither the rule set nor the body's settings give a transition "
                             "period (GREENCERT_CERTIFICATE_TRANSITION)")
        out.append(entry)
    return out


def certificate_numbers(db: Database, category: str, organisation: str | None = None) -> list[str]:
    """The numbers of every certificate of `category` (issued by `organisation`, if given), in order: what an
    impact analysis examines (whether each is valid on the day is read from its log by the worker)."""
    q = select(CertificateRecord.number).where(CertificateRecord.category == category)
    if organisation is not None:
        q = q.where(CertificateRecord.organisation == organisation)
    with db.read() as session:
        return list(session.scalars(q.order_by(CertificateRecord.number)))


@dataclass(frozen=True)
class ImpactTask:
    """What one worker does: read these certificates' logs and applications, keep those valid on `day`, evaluate
    them under `edition` (a standard) and classify. Small, so that only numbers cross to the worker."""

    database_url: str
    numbers: tuple[str, ...]
    day: dt.date
    edition: str


@dataclass(frozen=True)
class ImpactChunk:
    """A task's answer: (number, current edition, impact) of each certificate valid on the day, in number order;
    `examined` the certificates read."""

    examined: int
    found: tuple[tuple[str, str | None, CertificateImpact], ...]


_worker_databases: dict[str, Database] = {}


def _worker_database(url: str) -> Database:
    """A worker's own engine on the registry (made on first use, kept for the worker's life)."""
    db = _worker_databases.get(url)
    if db is None:
        db = _worker_databases[url] = Database(url)
    return db


def impact_task(repo: Repository, task: ImpactTask) -> ImpactChunk:
    """Run in a worker process (`ParallelEvaluator.map_tasks`): the reading, intake, evaluation and classifying of
    one slice of the category. The same functions as one-by-one evaluation: `status_as_of` on the stored log, the
    stored application with `edition` set, `engine.parallel.evaluate_chunk` (intake included: a stored application
    is checked again — schema, model, references, unit — as the schema and the edition may have changed since; only
    the check of what a database can hold, which it passed when stored, is not repeated), `classify`."""
    return impact_slice(_worker_database(task.database_url), repo, task)


def impact_slice(db: Database, repo: Repository, task: ImpactTask) -> ImpactChunk:
    # the JSON columns are read as text and decoded by orjson: a third of the reading was `json.loads`
    logs: dict[str, tuple[str, list[Event]]] = {}
    apps: dict[str, Any] = {}
    found: list[tuple[str, str, str | None]] = []
    with db.read() as session:
        for number, event, evaluation_id in session.execute(
                select(CertificateEventRecord.certificate_number, cast(CertificateEventRecord.event, Text),
                       CertificateRecord.evaluation_id)
                .join(CertificateRecord, CertificateRecord.number == CertificateEventRecord.certificate_number)
                .where(CertificateEventRecord.certificate_number.in_(task.numbers))
                .order_by(CertificateEventRecord.certificate_number, CertificateEventRecord.sequence)):
            logs.setdefault(number, (evaluation_id, []))[1].append(Event.from_dict(orjson.loads(event)))
        for number, (evaluation_id, log) in logs.items():
            status = status_as_of(log, task.day)
            if status.valid and status.facts is not None:
                found.append((number, evaluation_id, status.facts.ruleset_id))
        if found:
            for rid, app in session.execute(select(DecisionRecord.id, cast(DecisionRecord.application, Text)).where(
                    DecisionRecord.id.in_([e for _, e, _ in found]))):
                apps[rid] = orjson.loads(app)
    items = [(k, {**app, "edition": task.edition} if isinstance(app, dict) else app)
             for k, app in enumerate(apps[e] for _, e, _ in found)]
    results = evaluate_chunk(repo, items, task.day, stored=True)
    return ImpactChunk(len(task.numbers), tuple((number, current, classify_result(r).with_number(number))
                                                for (number, _, current), r in zip(found, results)))


def _lost(task: ImpactTask) -> ImpactChunk:
    """A slice whose worker died twice: its certificates are not known to be valid, nor their verdicts; counted as
    examined, reported by `run_impact` as a failure (never as silently missing certificates)."""
    return ImpactChunk(-len(task.numbers), ())


class ImpactFailed(Exception):
    """Some slices of the registry could not be examined (their worker process stopped twice)."""

    def __init__(self, certificates: int):
        super().__init__(f"{certificates} certificates could not be examined: their worker process stopped twice")
        self.certificates = certificates


def impact_pool(workers: int | None, *, paths: Sequence[Path] | None,
                overlay_dirs: Sequence[Path] = ()) -> ParallelEvaluator:
    """Worker processes for `run_impact` (each imports this module as it starts: its first slice is not slower)."""
    return ParallelEvaluator(workers, paths=paths, overlay_dirs=overlay_dirs, preload=(__name__,))


def run_impact(db: Database, repo: Repository, *, category: str, edition: str, as_of: dt.date | None,
               paths: Sequence[Path] | None, overlay_dirs: Sequence[Path] = (), workers: int | None = None,
               transition: Any = None, progress: Callable[[int, int], None] | None = None,
               pool: ParallelEvaluator | None = None, organisation: str | None = None) -> ImpactReport:
    """The impact of `edition` on the certificates of `category` (issued by `organisation`, if given) valid on
    `as_of` (default: the day the edition takes effect), evaluated as of that day under that edition. `pool`:
    workers already started (with the same rule sets and overlays), kept across runs; else a pool is started for
    this run. `progress(done, total)`: certificates examined (valid or not) of those of the category.

    This process lists the numbers only; each worker reads its slice of logs and applications itself, so that the
    reading is spread over the workers too and the applications never cross between processes."""
    target = resolve_edition(repo, category, edition)
    day = as_of or target.in_force.from_
    numbers = certificate_numbers(db, category, organisation)
    tasks = [ImpactTask(db.url, tuple(numbers[k:k + SLICE]), day, target.standard)
             for k in range(0, len(numbers), SLICE)]
    examined = 0
    if progress is not None:
        progress(0, len(numbers))

    def done(_: int, chunk: ImpactChunk) -> None:
        nonlocal examined
        examined += abs(chunk.examined)
        if progress is not None:
            progress(examined, len(numbers))

    own = pool is None
    evaluator = pool if pool is not None else impact_pool(workers, paths=paths, overlay_dirs=overlay_dirs)
    try:
        if evaluator.workers == 0:
            chunks = []
            for k, task in enumerate(tasks):
                chunks.append(impact_slice(db, repo, task))
                done(k, chunks[-1])
        else:
            chunks = evaluator.map_tasks(impact_task, tasks, failed=_lost, done=done)
    finally:
        if own:
            evaluator.close()
    lost = -sum(c.examined for c in chunks if c.examined < 0)
    if lost:
        raise ImpactFailed(lost)
    impacts = [impact for c in chunks for _, _, impact in c.found]
    editions: dict[str, int] = {}
    for c in chunks:
        for _, ed, _ in c.found:
            if ed is not None:
                editions[ed] = editions.get(ed, 0) + 1
    return ImpactReport(category, target, day, impacts, editions, _deadlines(repo, editions, target, transition))


# ---------------------------------------------------------------------------------------------- command line

def _table(report: ImpactReport) -> str:
    d = report.to_dict()
    s = d["summary"]
    lines = [f"impact of {report.edition.standard} on {report.category}, as of {d['as_of']}: "
             f"{s['certificates']} valid certificates",
             "  " + "  ".join(f"{k} {v}" for k, v in s["counts"].items())]
    if s["criteria_causing_losses"]:
        lines.append("  criteria causing most losses: " + ", ".join(
            f"{c['id']} ({c['certificates']})" for c in s["criteria_causing_losses"]))
    if s["undetermined_because"]:
        lines.append("  undetermined because: " + ", ".join(
            f"{c['what']} ({c['certificates']})" for c in s["undetermined_because"][:5]))
    for e in d["conversion_deadlines"]:
        lines.append(f"  {e['certificates']} under {e['edition']}: conversion deadline "
                     + (f"{e['deadline']} ({e['source']})" if e["deadline"] else f"none — {e['note']}"))
    lines.append("")
    lines.append(f"{'certificate':<22} {'verdict':<13} detail")
    for i in report.items:
        detail = "; ".join(f"{f['id']} {f['measured']} {f['unit'] or ''} vs {f['requirement']} (margin {f['margin']})"
                           for f in i.failing) or "; ".join(i.missing) or "; ".join(
            x["code"] for x in i.diagnostics)
        lines.append(f"{i.number:<22} {i.verdict:<13} {detail}")
    return "\n".join(lines)


def _csv(report: ImpactReport) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["number", "verdict", "outcome", "edition", "failing", "missing", "diagnostics"])
    for i in report.items:
        w.writerow([i.number, i.verdict, i.outcome or "", i.ruleset_id or "",
                    "; ".join(f"{f['id']} (margin {f['margin']})" for f in i.failing), "; ".join(i.missing),
                    "; ".join(x["code"] for x in i.diagnostics)])
    return buf.getvalue()


def cmd_impact(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from .certificates import get_certificate_settings
    from .migrate import upgrade
    from .settings import Settings

    settings = Settings(**({"database_url": args.database_url} if args.database_url else {}))
    overlays = list(args.overlay or settings.overlay_dirs)
    paths = [settings.catalog_dir, *(args.rules or settings.rules_dirs)]
    err = Console(stderr=True)
    try:
        repo = Repository.load(paths, overlays)
        db = Database(settings.database_url)
        upgrade(db.engine)
        transition = get_certificate_settings().overrides()["transition"]
        with Progress(TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=err, transient=False) as bar:
            task = bar.add_task(f"re-evaluating {args.category} under {args.edition}", total=None)
            report = run_impact(db, repo, category=args.category, edition=args.edition, as_of=args.as_of,
                                paths=paths, overlay_dirs=overlays, workers=args.workers, transition=transition,
                                progress=lambda done, total: bar.update(task, completed=done, total=total))
    except DiagnosticError as e:
        for d in e.diagnostics:
            err.print(f"error: {d.code}: {d.message}" + (f" (hint: {d.hint})" if d.hint else ""), markup=False)
        return 1
    except ImpactFailed as e:
        err.print(f"error: worker_failed: {e}", markup=False)
        return 1
    if args.format == "json":
        json.dump(report.to_dict(), sys.stdout, ensure_ascii=False, indent=2)
        print()
    elif args.format == "csv":
        sys.stdout.write(_csv(report))
    else:
        print(_table(report))
    return 0
