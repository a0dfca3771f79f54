"""Generate a synthetic registry: N certificates with their applications, binding evaluations and event histories.

    python scripts/generate_registry.py --database-url sqlite:////tmp/registry.db -n 40000 --seed 1

Not shipped data: every certificate rests on a real binding evaluation, made here by the engine from one of the
shipped `examples/<category>/granted*.yaml` applications (with the example overlays in `examples/overlays/`,
the licensed limits a body would load) under a new model name, holder, body, region and date. The rows are
written with bulk INSERTs of the same values the service writes (decisions with their rule-set snapshot,
certificates with consecutive numbers per body prefix and the counter row, events numbered 1, 2, ... per
certificate, each checked by `engine.certificates.check` against the log before it): the append-only tables
only ever receive INSERTs. An evaluation that is not granted (on some days an example's evidence is not yet
dated or too old) is counted and issues no certificate; generation goes on until N certificates are issued.

The default size, 40,000, is the order of the national registry: "≈ 40,000 valid certificates, 8,000+
enterprises" (Chinanews report of 2026-01-04, a secondary source). The 100 bodies are a labelled default (no
source read counts them). The spread over categories, bodies, holders, regions, dates and events is synthetic
(uniform draws from `random.Random(seed)`), not a model of the real registry.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# region names are labels to filter on, not facts about where certificates are
REGIONS = ("北京", "上海", "广东", "江苏", "浙江", "山东", "四川", "湖北", "河北", "福建", "安徽", "辽宁")
DEFAULT_ISSUE_FROM = dt.date(2026, 6, 1)
DEFAULT_ISSUE_TO = dt.date(2026, 11, 1)


@dataclass
class Summary:
    certificates: int = 0
    not_granted: int = 0
    events: Counter[str] = field(default_factory=Counter)
    by_category: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"certificates": self.certificates, "not_granted": self.not_granted, "events": dict(self.events),
                "by_category": dict(self.by_category), "seconds": round(self.seconds, 1)}


def base_applications() -> dict[str, dict[str, Any]]:
    """The shipped granted example of each category, as JSON data (dates as text)."""
    import yaml

    out: dict[str, dict[str, Any]] = {}
    for path in sorted((ROOT / "examples").glob("*/granted*.yaml")):
        data = json.loads(json.dumps(yaml.safe_load(path.read_text(encoding="utf-8")), default=str))
        out.setdefault(data["category"], data)
    return out


def _with_model(app: dict[str, Any], model: str, app_id: str, manufacturer: str, site: str) -> dict[str, Any]:
    data = json.loads(json.dumps(app))
    old = data["product"]["model"]
    data["id"] = app_id
    data["product"].update(model=model, manufacturer=manufacturer, production_site=site)
    for report in (data.get("evidence") or {}).get("test_reports") or ():
        if report.get("model") == old:
            report["model"] = model
    return data


def generate(database_url: str, n: int, *, seed: int = 1, bodies: int = 100, issue_from: dt.date = DEFAULT_ISSUE_FROM,
             issue_to: dt.date = DEFAULT_ISSUE_TO, categories: list[str] | None = None, batch: int = 1000,
             progress: Callable[[int], None] | None = None) -> Summary:
    """Write `n` certificates (and their evaluations and events) into the database at `database_url`."""
    from sqlalchemy import insert

    from api import read_model
    from api.certificate_tables import (
        CertificateCounter,
        CertificateEventRecord,
        CertificatePublicState,
        CertificateRecord,
    )
    from api.db import Database, DecisionRecord, RuleSetSnapshot, utcnow
    from api.keys import create_key
    from api.migrate import upgrade
    from engine import Repository, application_from_data
    from engine.certificates import DecisionFacts, Event, check, schedule_from_policy

    started = time.perf_counter()
    rng = random.Random(seed)
    db = Database(database_url)
    upgrade(db.engine)
    repo = Repository.load([ROOT / "catalogs", ROOT / "rules"], [ROOT / "examples" / "overlays"])
    schedule = schedule_from_policy(repo.scheme.certificate if repo.scheme is not None else None)
    bases = base_applications()
    cats = sorted(categories or bases)
    orgs = [f"body-{seed}-{b:03d}" for b in range(bodies)]
    keys = {org: create_key(db, org, "certification_body", "generate_registry").id for org in orgs}
    prefixes = {org: f"G{seed}B{b:03d}" for b, org in enumerate(orgs)}
    sequence: Counter[str] = Counter()
    holders = max(1, n // 8)
    span = (issue_to - issue_from).days
    stored_versions: set[str] = set()
    summary = Summary()
    tables = DecisionRecord.metadata.tables
    i = 0
    while summary.certificates < n:
        if summary.not_granted > n:  # pragma: no cover - the shipped examples are granted on most days
            raise SystemExit(f"{summary.not_granted} evaluations not granted for {summary.certificates} granted")
        decisions: list[dict[str, Any]] = []
        certificates: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        snapshots: list[dict[str, Any]] = []
        states: list[dict[str, Any]] = []  # the public read model (api.read_model), in the events' transaction
        now = utcnow()
        target = min(n, summary.certificates + batch)
        while summary.certificates < target:
            i += 1
            category = rng.choice(cats)
            org = rng.choice(orgs)
            holder = f"holder-{rng.randrange(holders):05d}"
            region = rng.choice(REGIONS)
            on = issue_from + dt.timedelta(days=rng.randrange(span + 1))
            model = f"{bases[category]['product']['model']} G{seed}-{i:06d}"
            data = _with_model(bases[category], model, f"GEN-{seed}-{i:06d}", f"Manufacturer {holder[7:]} Co., Ltd.",
                               f"{region} plant {rng.randrange(1, 4)}")
            app, doc, diags = application_from_data(data)
            if app is None or diags:
                raise SystemExit(f"example of {category} does not read: {diags}")
            decision = repo.check(app, doc, on, binding=True)
            if decision.outcome != "granted":
                summary.not_granted += 1
                continue
            if decision.ruleset_version not in stored_versions:
                stored_versions.add(decision.ruleset_version)
                snapshots.append(dict(version=decision.ruleset_version, ruleset_id=decision.ruleset_id,
                                      snapshot=repo.snapshot(decision.ruleset_id), stored_at=now))
            decision_id = str(uuid.uuid4())
            decisions.append(dict(
                id=decision_id, binding=True, organisation=org, api_key_id=keys[org], category=decision.category,
                application_id=decision.application_id, product_model=decision.product_model,
                outcome=decision.outcome, ruleset_id=decision.ruleset_id, ruleset_version=decision.ruleset_version,
                as_of=on, application=data, decision=decision.to_dict(), created_at=now, supersedes=None,
                idempotency_key=None, request_hash=None))
            facts = DecisionFacts.from_decision_dict(decisions[-1]["decision"], decision_id)
            prefix = prefixes[org]
            sequence[prefix] += 1
            number = f"{prefix}-{sequence[prefix]:06d}"
            certificates.append(dict(
                number=number, prefix=prefix, sequence=sequence[prefix], organisation=org, holder=holder,
                holder_name=f"Holder {holder[7:]} Co., Ltd.", manufacturer=data["product"]["manufacturer"],
                production_sites=[data["product"]["production_site"]], category=category, region=region,
                evaluation_id=decision_id, api_key_id=keys[org], created_at=now, idempotency_key=None,
                request_hash=None))
            log: list[Event] = []
            for event in _life(rng, on, facts, schedule):
                check(log, event)  # the generator writes only logs the service would have accepted
                log.append(event)
                decided = event.decision
                events.append(dict(
                    id=str(uuid.uuid4()), certificate_number=number, sequence=len(log), kind=event.kind,
                    effective_on=event.on, reason=event.reason, evaluation_id=decided.id if decided else None,
                    ruleset_version=facts.ruleset_version, event=event.to_dict(), organisation=org,
                    api_key_id=keys[org], created_at=now, idempotency_key=None, request_hash=None))
                summary.events[event.kind] += 1
            states.extend(read_model.rows_for(certificates[-1], log))
            summary.certificates += 1
            summary.by_category[category] += 1
        with db.write() as session:
            if snapshots:
                session.execute(insert(RuleSetSnapshot), snapshots)
            if decisions:
                session.execute(insert(tables["decisions"]), decisions)
                session.execute(insert(CertificateRecord.__table__), certificates)
                session.execute(insert(CertificateEventRecord.__table__), events)
                session.execute(insert(CertificatePublicState.__table__), states)
        if progress is not None:
            progress(summary.certificates)
    with db.write() as session:
        rows = [dict(prefix=p, organisation=org, last=sequence[p]) for org, p in prefixes.items() if sequence[p]]
        if rows:
            session.execute(insert(CertificateCounter.__table__), rows)
    db.engine.dispose()
    summary.seconds = time.perf_counter() - started
    return summary


def _life(rng: random.Random, on: dt.date, facts: Any, schedule: Any) -> Iterator[Any]:
    """Issue, then (synthetic shares) a granted surveillance, a suspension with a deadline, a revocation or a
    cancellation: the dates are within a few months of the issue."""
    from engine.certificates import Event

    yield Event("issued", on, decision=facts, schedule=schedule)
    roll = rng.random()
    later = on + dt.timedelta(days=rng.randrange(30, 120))
    if roll < 0.10:
        yield Event("surveillance_recorded", later, decision=facts)
    elif roll < 0.16:
        yield Event("suspended", later, reason="synthetic: complaint under review",
                    deadline=later + dt.timedelta(days=rng.randrange(30, 120)))
    elif roll < 0.19:
        yield Event("revoked", later, reason="synthetic: revoked by the body")
    elif roll < 0.21:
        yield Event("cancelled", later, reason="synthetic: the holder's request")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="e.g. sqlite:////tmp/registry.db or "
                        "postgresql+psycopg://postgres@127.0.0.1:5432/test (a fresh database)")
    parser.add_argument("-n", type=int, default=40_000, help="certificates (default 40,000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--bodies", type=int, default=100)
    parser.add_argument("--category", action="append", help="only these categories (default: every shipped one)")
    args = parser.parse_args(argv)
    from rich.progress import Progress

    with Progress(transient=False) as bar:
        task = bar.add_task(f"generating {args.n:,} certificates", total=args.n)
        summary = generate(args.database_url, args.n, seed=args.seed, bodies=args.bodies, categories=args.category,
                           progress=lambda done: bar.update(task, completed=done))
    json.dump(summary.to_dict(), sys.stdout, ensure_ascii=False, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
