"""No shipped number lacks a source; the provenance report counts confirmed, unconfirmed and missing limits."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from engine import Repository
from engine.cli import provenance_summary

ROOT = Path(__file__).resolve().parent.parent


def _numbers(repo: Repository) -> list[tuple[str, str, str | None]]:
    """(rule set, where, source) for every number a shipped rule set carries."""
    out = []
    for rid, rs in repo.rulesets.items():
        for c in rs.criteria:
            if c.requirement.has_limit and c.requirement.op != "present":
                out.append((rid, f"criterion {c.id}", c.provenance.source))
            if c.evidence and c.evidence.max_age_days is not None:
                src = c.evidence.provenance.source if c.evidence.provenance else None
                out.append((rid, f"evidence age of {c.id}", src))
        d = rs.evidence_defaults
        if d.max_age_days is not None:
            out.append((rid, "evidence_defaults.max_age_days", d.provenance.source if d.provenance else None))
        for lab in rs.labels:
            for g in lab.grades or ():
                if g.requirement.has_limit:
                    out.append((rid, f"grade {lab.id}/{g.id}", g.provenance.source if g.provenance else None))
            if lab.optional_share is not None and lab.optional_share > 0:
                out.append((rid, f"tier share of {lab.id}", lab.clause))
    return out


def test_every_shipped_number_has_a_source() -> None:
    repo = Repository.load()
    numbers = _numbers(repo)
    assert numbers, "the shipped rule sets carry no number at all?"
    missing = [(rid, where) for rid, where, source in numbers if not (source and source.strip())]
    assert missing == []


def test_unconfirmed_limits_are_never_marked_confirmed_without_a_number() -> None:
    repo = Repository.load()
    for rs in repo.rulesets.values():
        for c in rs.criteria:
            if not c.requirement.has_limit:
                assert c.provenance.status != "confirmed", (rs.id, c.id)


def test_provenance_summary_counts_match_the_rule_sets() -> None:
    repo = Repository.load()
    rows = {r["ruleset"]: r for r in provenance_summary(repo) if r["ruleset"]}
    assert set(rows) == set(repo.rulesets)
    for rid, rs in repo.rulesets.items():
        row = rows[rid]
        assert row["criteria"] == len(rs.criteria)
        assert row["confirmed"] + row["unconfirmed"] + row["default"] + row["none"] == len(rs.criteria)
        assert row["none"] == sum(1 for c in rs.criteria if not c.requirement.has_limit)
    assert rows["coatings/GB-T-35602-2017"]["confirmed"] == 4


def test_catalog_provenance_json_cli() -> None:
    run = subprocess.run([sys.executable, "-m", "engine.cli", "catalog", "--provenance", "--format", "json"],
                         capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)["provenance"]
    coatings = [r for r in data if r["category"] == "coatings"]
    assert coatings and coatings[0]["confirmed"] == 4 and coatings[0]["none"] == 0
