"""No shipped number lacks a source, and every one says how strong its source is; the provenance report counts
limits and grade bands by strength; the catalogue's sources are listed in docs/sources.md."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from engine import Repository
from engine.cli import provenance_summary

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = [*sorted((ROOT / "catalogs").glob("*.yaml")), *sorted((ROOT / "rules").rglob("*.yaml"))]


def _numbers(repo: Repository) -> list[tuple[str, str, str, str | None]]:
    """(rule set, where, strength, source) for every number a shipped rule set carries."""
    out = []
    for rid, rs in repo.rulesets.items():
        for c in rs.criteria:
            if c.requirement.has_limit and c.requirement.op != "present":
                out.append((rid, f"criterion {c.id}", c.provenance.status, c.provenance.source))
            if c.evidence and c.evidence.max_age_days is not None:
                prov = c.evidence.provenance
                out.append((rid, f"evidence age of {c.id}", prov.status if prov else "", prov.source if prov else None))
        d = rs.evidence_defaults
        if d.max_age_days is not None:
            out.append((rid, "evidence_defaults.max_age_days", d.provenance.status if d.provenance else "",
                        d.provenance.source if d.provenance else None))
        for lab in rs.labels:
            for g in lab.grades or ():
                if g.requirement.has_limit:
                    out.append((rid, f"grade {lab.id}/{g.id}", g.provenance.status if g.provenance else "",
                                g.provenance.source if g.provenance else None))
            if lab.optional_share is not None and lab.optional_share > 0:
                out.append((rid, f"tier share of {lab.id}", "definition", lab.clause_on(rs.in_force.from_)))
    return out


def test_every_shipped_number_has_a_source() -> None:
    repo = Repository.load()
    numbers = _numbers(repo)
    assert numbers, "the shipped rule sets carry no number at all?"
    missing = [(rid, where) for rid, where, _, source in numbers if not (source and source.strip())]
    assert missing == []


def test_the_ten_shipped_limits_and_grade_bands_are_all_secondary() -> None:
    """4 coatings limits, 3 GB 18401 textile baselines, 3 GB/T 39600 wood-panel grade bands: each from a summary of
    its standard, none from the standard's own text, none written as the strength-less `confirmed`."""
    repo = Repository.load()
    limits = [(rid, where, strength) for rid, where, strength, _ in _numbers(repo)
              if where.startswith(("criterion", "grade"))]
    assert sorted((rid, strength) for rid, _, strength in limits) == sorted(
        [("coatings/GB-T-35602-2017", "secondary")] * 4 + [("textiles/GB-T-35611-2017", "secondary")] * 3
        + [("wood_panels/GB-T-35601-2017", "secondary")] * 3)
    defaults = {strength for _, where, strength, _ in _numbers(repo) if where == "evidence_defaults.max_age_days"}
    assert defaults == {"default"}


def test_no_shipped_file_says_confirmed_or_cites_the_internal_notes() -> None:
    for path in SHIPPED:
        text = path.read_text(encoding="utf-8")
        assert "status: confirmed" not in text, path
        assert "shared/domain" not in text and "../shared" not in text, path


def test_criteria_without_a_number_never_claim_a_source() -> None:
    repo = Repository.load()
    for rs in repo.rulesets.values():
        for c in rs.criteria:
            if not c.requirement.has_limit:
                assert c.provenance.status == "unconfirmed", (rs.id, c.id)


def test_provenance_summary_counts_limits_and_grade_bands_by_strength() -> None:
    repo = Repository.load()
    rows = {r["ruleset"]: r for r in provenance_summary(repo) if r["ruleset"]}
    assert set(rows) == set(repo.rulesets)
    for rid, rs in repo.rulesets.items():
        row = rows[rid]
        assert row["criteria"] == len(rs.criteria)
        assert row["none"] == sum(1 for c in rs.criteria if not c.requirement.has_limit)
        bands = sum(1 for lab in rs.labels for g in lab.grades or () if g.requirement.has_limit)
        limits = sum(1 for c in rs.criteria if c.requirement.has_limit)
        assert row["primary"] + row["secondary"] + row["unconfirmed"] + row["confirmed"] == limits + bands
        assert row["grade_bands"] == bands
    assert rows["coatings/GB-T-35602-2017"]["secondary"] == 4
    assert rows["wood_panels/GB-T-35601-2017"]["secondary"] == 3 and rows["wood_panels/GB-T-35601-2017"]["grade_bands"] == 3
    no_rules = [r["category"] for r in provenance_summary(repo) if r["ruleset"] is None]
    assert len(no_rules) == 12  # 4 of batches 3-4 and the 8 of batch 5


def test_catalog_provenance_cli_prints_counts_by_strength() -> None:
    run = subprocess.run([sys.executable, "-m", "engine.cli", "catalog", "--provenance", "--format", "json"],
                         capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert data["totals"]["secondary"] == 10 and data["totals"]["primary"] == 0
    assert data["totals"]["unconfirmed"] == 0 and data["totals"]["confirmed"] == 0 and data["totals"]["grade_bands"] == 3
    coatings = [r for r in data["provenance"] if r["category"] == "coatings"]
    assert coatings and coatings[0]["secondary"] == 4 and coatings[0]["none"] == 0
    text = subprocess.run([sys.executable, "-m", "engine.cli", "catalog", "--provenance"], capture_output=True,
                          text=True, cwd=ROOT, timeout=120, env={**os.environ, "COLUMNS": "80"}).stdout
    assert "10 limits and grade bands (3 grade bands): 0 primary" in text and "10 secondary" in text


_ADDRESS = re.compile(r"\b((?:www\.|m\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|cn|org|net|eu|tech|site|ngo)(?:\.cn)?)"
                      r"(?=[/ ,;)(]|$)")


def test_every_address_the_shipped_files_cite_is_listed_in_docs_sources() -> None:
    listed = (ROOT / "docs" / "sources.md").read_text(encoding="utf-8")
    hosts: set[str] = set()
    for path in [*SHIPPED, *sorted((ROOT / "examples" / "overlays").rglob("*.yaml"))]:
        hosts |= set(_ADDRESS.findall(path.read_text(encoding="utf-8")))
    assert len(hosts) > 30
    missing = sorted(h for h in hosts if h not in listed)
    assert missing == []


def test_the_label_clause_cites_the_measures_in_force_on_the_day() -> None:
    """Until 2025-12-31 the 2019 label measures (SAMR 公告2019年第20号), from 2026-01-01 the 2026 Measures."""
    repo = Repository.load()
    scheme = repo.scheme
    assert scheme is not None
    checked = 0
    for rs in repo.rulesets.values():
        last = (rs.in_force.until or dt.date(2027, 1, 1)) - dt.timedelta(days=1)
        first = max(rs.in_force.from_, dt.date(2019, 6, 1))  # the first label measures took effect 2019-06-01
        days = {first, last} | {d for d in (dt.date(2025, 12, 31), dt.date(2026, 1, 1)) if first <= d <= last}
        for lab in rs.labels:
            if lab.kind not in ("full", "partial"):
                continue
            for day in days:
                clause = lab.clause_on(day) or ""
                (measure,) = scheme.measures_on(day)
                assert measure.title.zh in clause, (rs.id, lab.id, day, clause)
                assert ("2019年第20号" in clause) == (day < dt.date(2026, 1, 1)), (rs.id, lab.id, day, clause)
                checked += 1
    assert checked > 100


def test_certificate_validity_is_in_the_scheme_with_its_source_and_nothing_else_is_shipped() -> None:
    scheme = Repository.load().scheme
    assert scheme is not None
    validity = scheme.certificate.validity
    assert validity is not None and (validity.value, validity.unit) == (5, "years")
    assert validity.provenance.status == "secondary"
    assert "allbrightlaw.com/EN/10531/1E73DF26DB944F50.aspx" in (validity.provenance.source or "")
    # the others are not known: not shipped as numbers
    c = scheme.certificate
    assert (c.surveillance_interval, c.suspension_period, c.renewal_window, c.transition) == (None,) * 4


def test_no_tracked_file_cites_the_internal_notes() -> None:
    """Users can find a standard, a rule or a notice, not the team's notes: no file of the repository (fixtures and
    docs included) cites them as a source."""
    root = next(p for p in Path(__file__).resolve().parents if (p / "pyproject.toml").is_file())
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True, check=False)
    if listed.returncode != 0:
        raise AssertionError(f"git ls-files failed: {listed.stderr!r}")
    offenders = []
    for name in listed.stdout.decode().split("\0"):
        path = root / name
        if not name or path == Path(__file__).resolve() or not path.is_file():
            continue
        text = path.read_bytes().decode("utf-8", errors="ignore")
        if "shared/domain" in text or "../shared/" in text:
            offenders.append(name)
    assert offenders == []
