"""The public registry (procurement queries, model coverage, CSV) and random draws, on a generated registry."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import random
import shutil
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api import registry
from api.certificate_tables import CertificateEventRecord, CertificateRecord
from api.db import Database, DecisionRecord
from api.impact import run_impact
from api.keys import create_key
from engine import Repository, application_from_data
from engine.certificates import Event, status_as_of
from engine.diagnostics import DiagnosticError
from engine.evaluator import evaluate
from engine.impact import VERDICTS, classify
from engine.loader import PROJECT_ROOT
from scripts.generate_registry import generate

SEED = 7
DAY = dt.date(2026, 12, 1)  # after every issue of the generated registry (2026-06-01 .. 2026-11-01)
PUBLIC_KEYS = {"number", "as_of", "state", "valid", "since", "issued_by", "holder_name", "manufacturer",
               "production_sites", "category", "region", "models", "certification_units", "edition", "standard",
               "label_kind", "labels", "issued_on", "valid_until"}


@pytest.fixture(scope="module")
def logs(database_url: str) -> dict[str, tuple[CertificateRecord, list[Event], list[CertificateEventRecord]]]:
    """A registry of 160 certificates of four categories and four bodies, and every certificate's log as stored."""
    summary = generate(database_url, 160, seed=SEED, bodies=4,
                       categories=["coatings", "furniture", "textiles", "wood_panels"])
    assert summary.certificates == 160
    db = Database(database_url)
    with db.read() as session:
        certs = {c.number: c for c in session.scalars(select(CertificateRecord))}
        rows: dict[str, list[CertificateEventRecord]] = {n: [] for n in certs}
        for e in session.scalars(select(CertificateEventRecord).order_by(CertificateEventRecord.sequence)):
            rows[e.certificate_number].append(e)
    db.engine.dispose()
    return {n: (c, [Event.from_dict(e.event) for e in rows[n]], rows[n]) for n, c in certs.items()}


def _valid(logs: dict[str, Any], day: dt.date, keep: Callable[[Any, Any], bool] = lambda c, s: True) -> list[str]:
    """The numbers valid on `day` (and kept), read straight from the stored logs."""
    out = []
    for number, (cert, log, _) in logs.items():
        s = status_as_of(log, day)
        if s.valid and keep(cert, s):
            out.append(number)
    return sorted(out)


def _all_pages(client: TestClient, limit: int, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    offset = 0
    while True:
        r = client.get("/v1/public/registry", params={**params, "limit": limit, "offset": offset})
        assert r.status_code == 200, r.text
        body = r.json()
        assert len(body["items"]) <= limit
        items.extend(body["items"])
        if not body["has_more"]:
            assert body["next_offset"] is None
            return items
        assert len(body["items"]) == limit and body["next_offset"] == offset + limit
        offset = body["next_offset"]


def test_category_on_a_day_equals_the_logs_read_one_by_one(client: TestClient, logs: dict[str, Any]) -> None:
    expected = _valid(logs, DAY, lambda c, s: c.category == "furniture")
    assert 10 < len(expected) < len(logs)
    items = _all_pages(client, 7, category="furniture", as_of=DAY.isoformat())
    numbers = [x["number"] for x in items]
    assert numbers == expected  # every one, once, in number order, across pages
    assert all(x["valid"] and x["category"] == "furniture" for x in items)


def test_filters_region_holder_body_label(client: TestClient, logs: dict[str, Any]) -> None:
    cert = next(c for c, _, _ in logs.values())
    for name, value, keep in [
        ("region", cert.region, lambda c, s: c.region == cert.region),
        ("holder", cert.holder_name, lambda c, s: c.holder_name == cert.holder_name),
        ("issued_by", cert.organisation, lambda c, s: c.organisation == cert.organisation),
        ("label_kind", "partial", lambda c, s: s.facts.label_kind == "partial"),
        ("attribute", "energy", lambda c, s: any(lab.attribute == "energy" or lab.id == "energy"
                                                 for lab in s.facts.labels)),
    ]:
        expected = _valid(logs, DAY, keep)
        got = [x["number"] for x in _all_pages(client, 50, **{name: value}, as_of=DAY.isoformat())]
        assert got == expected, name
        assert expected or name == "label_kind", f"the filter {name} matched nothing: the test would prove nothing"
    assert _all_pages(client, 50, category="no_such_category", as_of=DAY.isoformat()) == []


def test_as_of_before_issue_and_after_revocation(client: TestClient, logs: dict[str, Any]) -> None:
    number, (cert, log, _) = next((n, v) for n, v in logs.items() if v[1][-1].kind == "revoked")
    issued, revoked = log[0].on, log[-1].on
    holder = {"holder": cert.holder_name}

    def listed(day: dt.date) -> bool:
        return number in [x["number"] for x in _all_pages(client, 200, **holder, as_of=day.isoformat())]

    assert not listed(issued - dt.timedelta(days=1))
    assert listed(issued)
    assert listed(revoked - dt.timedelta(days=1))
    assert not listed(revoked)


def test_public_fields_only(client: TestClient, logs: dict[str, Any]) -> None:
    r = client.get("/v1/public/registry", params={"as_of": DAY.isoformat(), "limit": 200})
    assert r.status_code == 200
    items = r.json()["items"]
    assert items and all(set(x) == PUBLIC_KEYS for x in items)
    text = r.text
    for number in [x["number"] for x in items]:
        cert, _, rows = logs[number]
        assert cert.evaluation_id not in text
        assert cert.holder not in text  # the holder's organisation (its keys' name), not its printed name
        assert all(e.evaluation_id is None or e.evaluation_id not in text for e in rows)
    assert "synthetic:" not in text  # the reasons of suspensions, revocations and cancellations


def test_csv_export_is_the_json_page(client: TestClient, logs: dict[str, Any]) -> None:
    params = {"as_of": DAY.isoformat(), "category": "coatings", "limit": 20, "offset": 3}
    page = client.get("/v1/public/registry", params=params).json()
    r = client.get("/v1/public/registry", params={**params, "format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.headers["x-has-more"] == ("true" if page["has_more"] else "false")
    rows = list(csv.reader(io.StringIO(r.text)))
    assert tuple(rows[0]) == registry.CSV_COLUMNS
    assert [row[0] for row in rows[1:]] == [x["number"] for x in page["items"]]
    assert all(row[1] == "valid" and row[2] == "coatings" for row in rows[1:])
    first = page["items"][0]
    assert rows[1][CSV_INDEX["labels"]] == "; ".join(lab["id"] for lab in first["labels"])
    assert rows[1][CSV_INDEX["models"]] == "; ".join(first["models"])


CSV_INDEX = {name: i for i, name in enumerate(registry.CSV_COLUMNS)}


def test_model_coverage(client: TestClient, logs: dict[str, Any]) -> None:
    valid = _valid(logs, DAY)
    number = valid[0]
    model = status_as_of(logs[number][1], DAY).facts.models[0]
    r = client.get("/v1/public/coverage", params={"model": model, "as_of": DAY.isoformat()})
    assert r.status_code == 200
    assert r.json()["covered"] is True and [c["number"] for c in r.json()["certificates"]] == [number]
    before = logs[number][1][0].on - dt.timedelta(days=1)
    assert client.get("/v1/public/coverage", params={"model": model, "as_of": before.isoformat()}).json()[
        "covered"] is False
    ended = next(n for n, v in logs.items() if v[1][-1].kind in ("revoked", "cancelled"))
    ended_model = logs[ended][1][0].decision.product_model
    after = logs[ended][1][-1].on
    assert client.get("/v1/public/coverage", params={"model": ended_model, "as_of": after.isoformat()}).json()[
        "covered"] is False
    assert client.get("/v1/public/coverage", params={"model": "NO-SUCH-MODEL"}).json()["covered"] is False


# ------------------------------------------------------------------------------------------------ draws

@pytest.fixture(scope="module")
def body_token(app: FastAPI, logs: dict[str, Any]) -> tuple[str, str]:
    org = f"body-{SEED}-000"
    return org, create_key(app.state.services.db, org, "certification_body", "draw tests").token


def _draw(client: TestClient, token: str, **payload: Any) -> dict[str, Any]:
    r = client.post("/v1/draws", json=payload, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def test_draw_is_reproduced_from_its_seed(client: TestClient, logs: dict[str, Any], body_token: tuple[str, str]
                                          ) -> None:
    org, token = body_token
    first = _draw(client, token, n=12, seed="2026-12 supervision", as_of=DAY.isoformat(), category="wood_panels")
    population = _valid(logs, DAY, lambda c, s: c.category == "wood_panels")
    assert first["population"] == len(population) > 12
    assert len(first["certificates"]) == 12 and {c["number"] for c in first["certificates"]} <= set(population)
    numbers = [c["number"] for c in first["certificates"]]
    assert numbers == registry.sample(population, "2026-12 supervision", 12)
    again = client.get(f"/v1/public/draws/{first['id']}/reproduction").json()
    assert again["same"] is True and again["reproduced"] == numbers
    other = _draw(client, token, n=12, seed="another seed", as_of=DAY.isoformat(), category="wood_panels")
    assert [c["number"] for c in other["certificates"]] != numbers

    # the check of one drawn certificate: a surveillance event resting on a binding evaluation of the body
    mine = next(n for n in numbers if logs[n][0].organisation == org and len(logs[n][1]) == 1)
    evaluation = logs[mine][0].evaluation_id
    r = client.post(f"/v1/draws/{first['id']}/checks", headers={"Authorization": f"Bearer {token}"},
                    json={"number": mine, "evaluation_id": evaluation, "on": "2027-06-01"})
    assert r.status_code == 201, r.text
    assert r.json()["event"]["kind"] == "surveillance_recorded"
    assert r.json()["event"]["reason"] == f"random draw {first['id']}"
    public = client.get(f"/v1/public/draws/{first['id']}")
    assert public.status_code == 200
    checked = {c["number"]: c for c in public.json()["certificates"]}
    assert checked[mine] == {"number": mine, "checked_on": "2027-06-01", "outcome": "granted"}
    assert evaluation not in public.text
    # a later event does not change what the recorded draw reproduces
    assert client.get(f"/v1/public/draws/{first['id']}/reproduction").json()["same"] is True
    not_drawn = next(n for n in logs if n not in numbers)
    r = client.post(f"/v1/draws/{first['id']}/checks", headers={"Authorization": f"Bearer {token}"},
                    json={"number": not_drawn, "evaluation_id": evaluation, "on": "2027-06-01"})
    assert r.status_code == 409 and r.json()["diagnostics"][0]["code"] == "draw_certificate_not_drawn"


def test_draw_needs_a_body_key(client: TestClient) -> None:
    assert client.post("/v1/draws", json={"n": 1}).status_code == 401


# ------------------------------------------------------------------------------------------------ uniformity

def _chi_square(sampler: Callable[[Sequence[str], str, int], list[str]], population: Sequence[str], n: int,
                draws: int) -> tuple[float, float]:
    """The chi-square statistic of how often each certificate was drawn, and its critical value at p = 0.001
    (Wilson–Hilferty), for `draws` draws of `n` from `population` with seeds `s0`, `s1`, ..."""
    counts = Counter(x for i in range(draws) for x in sampler(population, f"s{i}", n))
    expected = draws * n / len(population)
    chi2 = sum((counts[x] - expected) ** 2 / expected for x in population)
    df = len(population) - 1
    z = 3.090232  # the standard normal's 0.999 quantile
    critical = df * (1 - 2 / (9 * df) + z * math.sqrt(2 / (9 * df))) ** 3
    return chi2, critical


POPULATION = [f"X-{i:06d}" for i in range(60)]


def test_draw_is_uniform_and_the_test_catches_a_biased_sampler() -> None:
    chi2, critical = _chi_square(registry.sample, POPULATION, 6, 3000)
    assert chi2 < critical, (chi2, critical)

    def skips_the_last(population: Sequence[str], seed: str, n: int) -> list[str]:
        return random.Random(seed).sample(list(population)[:-3], n)  # 3 of 60 never drawn

    def modulo_bias(population: Sequence[str], seed: str, n: int) -> list[str]:
        rng, out = random.Random(seed), []
        while len(out) < n:  # an index from a range 10 % wider than the population, folded back: the first
            x = population[int(rng.random() * len(population) * 1.1) % len(population)]  # tenth twice as likely
            if x not in out:
                out.append(x)
        return out

    for biased in (skips_the_last, modulo_bias):
        b_chi2, b_critical = _chi_square(biased, POPULATION, 6, 3000)
        assert b_chi2 > b_critical, (biased.__name__, b_chi2, b_critical)


def test_another_seed_another_draw_same_seed_same_draw() -> None:
    draws = {tuple(registry.sample(POPULATION, f"seed {i}", 6)) for i in range(200)}
    assert len(draws) == 200
    assert registry.sample(POPULATION, "x", 6) == registry.sample(list(POPULATION), "x", 6)
    assert registry.sample(POPULATION, "x", 100) != POPULATION and sorted(registry.sample(POPULATION, "x", 100)) == \
        POPULATION


# ------------------------------------------------------------------------------------------------ edition impact

IMPACT_DAY = dt.date(2026, 11, 1)  # textiles: GB/T 35611-2024 in force; certificates issued earlier hold 2017's
OVERLAYS = PROJECT_ROOT / "examples" / "overlays"


def _one_by_one(repo: Repository, logs: dict[str, Any], database_url: str, edition: str) -> dict[str, str]:
    """Each valid textiles certificate's application evaluated on its own with engine.evaluate."""
    db = Database(database_url)
    out = {}
    with db.read() as session:
        for number in _valid(logs, IMPACT_DAY, lambda c, s: c.category == "textiles"):
            data = {**session.get(DecisionRecord, logs[number][0].evaluation_id).application, "edition": edition}
            app, doc, diags = application_from_data(data)
            assert app is not None and not diags
            try:
                compiled, checked, unit = repo.prepare(app, doc, IMPACT_DAY)
            except DiagnosticError as e:
                out[number] = classify(number, None, e.diagnostics).verdict
                continue
            out[number] = classify(number, evaluate(compiled, checked, IMPACT_DAY, unit=unit)).verdict
    db.engine.dispose()
    return out


def _rows(database_url: str) -> tuple[int, ...]:
    db = Database(database_url)
    with db.read() as session:
        counts = tuple(session.scalar(select(func.count()).select_from(t)) or 0
                       for t in (CertificateRecord, CertificateEventRecord, DecisionRecord))
    db.engine.dispose()
    return counts


def test_impact_equals_evaluating_each_application(database_url: str, logs: dict[str, Any], tmp_path: Path) -> None:
    edition = "GB/T 35611-2024"
    paths = [PROJECT_ROOT / "catalogs", PROJECT_ROOT / "rules"]
    db = Database(database_url)
    before = _rows(database_url)
    seen: list[tuple[int, int]] = []
    for overlays in ([OVERLAYS], []):
        repo = Repository.load(paths, overlays)
        report = run_impact(db, repo, category="textiles", edition=edition, as_of=IMPACT_DAY, paths=paths,
                            overlay_dirs=overlays, workers=1, progress=lambda d, t: seen.append((d, t)))
        got = {i.number: i.verdict for i in report.items}
        assert got == _one_by_one(repo, logs, database_url, edition)
        assert report.to_dict()["summary"]["counts"] == {v: list(got.values()).count(v) for v in VERDICTS}
        assert len(got) > 5 and seen[-1][0] == seen[-1][1] >= len(got)  # every certificate of the category examined
        assert any(e["edition"] == "textiles/GB-T-35611-2017" and e["deadline"] is None and "note" in e
                   for e in report.deadlines)  # no transition is given: none is invented
    # "what if": a body tries a limit its products do not meet; every certificate would lose, on that criterion
    trial = tmp_path / "overlays"
    shutil.copytree(OVERLAYS, trial)
    f = trial / "textiles" / "illustrative-2024.yaml"
    f.write_text(f.read_text(encoding="utf-8").replace(
        "- id: resource_indicators\n    requirement: {eq: conforms}",
        "- id: resource_indicators\n    requirement: {eq: does_not_conform}"), encoding="utf-8")
    repo = Repository.load(paths, [trial])
    report = run_impact(db, repo, category="textiles", edition=edition, as_of=IMPACT_DAY, paths=paths,
                        overlay_dirs=[trial], workers=1)
    summary = report.to_dict()["summary"]
    assert summary["counts"]["lose"] == summary["certificates"] > 5
    assert summary["criteria_causing_losses"][0] == {"id": "resource_indicators",
                                                     "certificates": summary["certificates"]}
    assert _rows(database_url) == before  # the registry is only read
    db.engine.dispose()


def test_impact_command(database_url: str, logs: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    from greencert_cli.main import main

    args = ["impact", "--category", "textiles", "--edition", "GB/T 35611-2024", "--as-of", IMPACT_DAY.isoformat(),
            "--database-url", database_url, "--overlay", str(OVERLAYS), "--workers", "1"]
    assert main([*args, "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    valid = _valid(logs, IMPACT_DAY, lambda c, s: c.category == "textiles")
    assert [c["number"] for c in report["certificates"]] == valid
    assert report["summary"]["certificates"] == len(valid) == sum(report["summary"]["counts"].values())
    assert main([*args, "--format", "csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0][:2] == ["number", "verdict"] and [r[0] for r in rows[1:]] == valid
    assert main([*args[:4], "GB/T 0000-2000", *args[5:]]) == 1
    assert "impact_edition_unknown" in capsys.readouterr().err


def test_registry_command(client: TestClient, database_url: str, logs: dict[str, Any],
                          capsys: pytest.CaptureFixture[str]) -> None:
    from greencert_cli.main import main

    params = {"as_of": DAY.isoformat(), "category": "coatings", "limit": 15, "offset": 2}
    page = client.get("/v1/public/registry", params=params).json()
    args = ["registry", "--as-of", DAY.isoformat(), "--category", "coatings", "--limit", "15", "--offset", "2",
            "--database-url", database_url]
    assert main([*args, "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [x["number"] for x in out["items"]] == [x["number"] for x in page["items"]]
    assert out["has_more"] == page["has_more"]
    assert main([*args, "--format", "csv"]) == 0
    assert capsys.readouterr().out == client.get("/v1/public/registry", params={**params, "format": "csv"}).text
    model = page["items"][0]["models"][0]
    assert main(["registry", "--model", model, "--as-of", DAY.isoformat(), "--database-url", database_url]) == 0
    assert capsys.readouterr().out.startswith(f"{model}: covered on {DAY}")


def test_dates_are_written_as_dates(client: TestClient) -> None:
    for bad in ("0", "1e3", "2026-13-01", "tomorrow"):
        r = client.get("/v1/public/registry", params={"as_of": bad})
        assert r.status_code == 422 and r.json()["diagnostics"][0]["code"] == "request_validation_error", bad
    assert client.get("/v1/public/coverage", params={"model": "x", "as_of": "0"}).status_code == 422


def test_generated_registry_keeps_the_service_invariants(database_url: str, logs: dict[str, Any]) -> None:
    from api.certificate_tables import CertificateCounter
    from engine.certificates import check

    db = Database(database_url)
    with db.read() as session:
        counters = {c.prefix: c for c in session.scalars(select(CertificateCounter))}
        decisions = {d.id: d for d in session.scalars(select(DecisionRecord))}
    db.engine.dispose()
    by_prefix: dict[str, list[int]] = {}
    for number, (cert, log, rows) in logs.items():
        by_prefix.setdefault(cert.prefix, []).append(cert.sequence)
        assert number == f"{cert.prefix}-{cert.sequence:06d}"
        assert [r.sequence for r in rows] == list(range(1, len(rows) + 1))
        replayed: list[Event] = []
        for event in log:
            check(replayed, event)  # raises if the service would have refused it
            replayed.append(event)
        issue = decisions[cert.evaluation_id]
        assert issue.binding and issue.outcome == "granted" and issue.organisation == cert.organisation
    for prefix, sequences in by_prefix.items():
        assert sorted(sequences) == list(range(1, len(sequences) + 1))
        assert counters[prefix].last == len(sequences)
    # the append-only tables refuse a change, as the service's own rows do
    with pytest.raises(Exception, match="append-only"):  # SQLite and PostgreSQL raise different classes
        with db.write() as session:
            session.execute(CertificateEventRecord.__table__.delete())
