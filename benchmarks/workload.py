"""A synthetic but realistic 30-criterion catalogue entry, rule set and seeded application generator for benchmarks."""

# Nothing here is a standard's number: the category `bench_widget` is fictional, every limit is marked
# `provenance: unconfirmed` with a source saying it is synthetic, and the files are written to a directory
# the caller chooses (a temporary one by default), never to catalogs/ or rules/. The shape follows the real
# rule sets: thresholds (lte/lt/gte/gt), ranges, one-of on choice indicators, not-detected with and without a
# maximum detection limit, documents, evidence policies that override the defaults (age, laboratory), three
# certification units defined by parameters, applies_when on units and parameters, optional criteria, basic
# requirements, a factory inspection and full / partial / tier / grade labels.

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

__all__ = ["AS_OF", "CATEGORY", "RULESET_ID", "MIXES", "catalog_data", "ruleset_data", "write_workload",
           "generate_application", "generate_applications", "load_repository"]

CATEGORY = "bench_widget"
RULESET_ID = f"{CATEGORY}/SYNTH-2026"
AS_OF = dt.date(2026, 11, 1)
_SOURCE = "synthetic benchmark workload (benchmarks/workload.py); not a number from any standard"
_PROVENANCE = {"status": "unconfirmed", "source": _SOURCE}
# mix name -> share of generated applications
MIXES = {"pass": 0.40, "fail": 0.25, "missing": 0.20, "expired": 0.15}


def _text(en: str) -> dict[str, str]:
    return {"zh": f"合成 {en}", "en": en}


# (id, kind, unit, attribute, requirement, extra criterion keys). Units are the indicator's; a few reports
# are written in another unit of the same dimension so the conversion path is exercised.
_QUANTITY_LTE = [
    ("lead", "mg/kg", "environment", 90), ("cadmium", "mg/kg", "environment", 75),
    ("chromium_vi", "mg/kg", "environment", 60), ("mercury", "mg/kg", "environment", 60),
    ("arsenic", "mg/kg", "environment", 25), ("formaldehyde", "mg/kg", "environment", 100),
    ("toluene_xylene", "mg/kg", "environment", 300), ("halogens", "mg/kg", "environment", 900),
    ("energy_per_unit", "kgce/m^2", "energy", 6), ("water_per_unit", "m^3/t", "resource", 12),
]
_QUANTITY_GTE = [
    ("recycled_content", "%", "resource", 30), ("renewable_material", "%", "resource", 40),
    ("biodegradation_180d", "%", "environment", 60), ("tensile_retention", "%", "quality", 80),
]
_QUANTITY_BETWEEN = [
    ("ph", "1", "quality", (6, 9)), ("moisture", "%", "quality", (2, 12)), ("density", "kg/m^3", "quality", (400, 900)),
]
_CHOICES = [
    ("flame_class", ("A1", "A2", "B", "C", "D"), "quality", ("A1", "A2", "B")),
    ("packaging", ("recyclable", "reusable", "compostable", "landfill"), "resource", ("recyclable", "reusable",
                                                                                        "compostable")),
    ("odour_grade", ("1", "2", "3", "4"), "quality", ("1", "2")),
]
_NOT_DETECTED = [("azo_dyes", "mg/kg", 30), ("pfos", "mg/kg", None), ("asbestos", "%", None)]
_LT = [("benzene", "mg/kg", 100), ("phthalates", "mg/kg", 100)]
_DOCUMENTS = [("lca_report", "resource"), ("takeback_programme", "resource")]
_UNITS = ("indoor", "outdoor", "industrial")


def catalog_data() -> dict[str, Any]:
    indicators: list[dict[str, Any]] = []
    for iid, unit, attr, _ in _QUANTITY_LTE + _QUANTITY_GTE + _QUANTITY_BETWEEN:
        indicators.append({"id": iid, "name": _text(iid.replace("_", " ")), "unit": unit, "attribute": attr})
    for iid, choices, attr, _ in _CHOICES:
        indicators.append({"id": iid, "name": _text(iid.replace("_", " ")), "kind": "choice", "choices": list(choices),
                           "attribute": attr})
    for iid, unit, _ in _NOT_DETECTED + _LT:
        indicators.append({"id": iid, "name": _text(iid.replace("_", " ")), "unit": unit, "attribute": "environment"})
    indicators.append({"id": "service_life", "name": _text("service life"), "unit": "year", "attribute": "quality"})
    indicators.append({"id": "voc_content", "name": _text("VOC content"), "unit": "g/L", "attribute": "environment",
                       "aliases": ["voc", "VOC"]})
    for iid, attr in _DOCUMENTS:
        indicators.append({"id": iid, "name": _text(iid.replace("_", " ")), "kind": "document", "attribute": attr})
    return {"format": "greencert/catalog@1", "category": {
        "id": CATEGORY, "name": _text("benchmark widget"),
        "standards": [{"code": "SYNTH-BENCH-2026", "title": _text("synthetic benchmark standard"), "status":
                       "unconfirmed", "source": _SOURCE}],
        "attributes": [{"id": a, "name": _text(a)} for a in ("resource", "energy", "environment", "quality")],
        "parameters": [
            {"id": "use", "name": _text("use"), "type": "choice", "choices": list(_UNITS)},
            {"id": "thickness", "name": _text("thickness"), "type": "number", "unit": "mm"},
            {"id": "coated", "name": _text("coated"), "type": "boolean"},
        ],
        "certification_units": [{"id": u, "name": _text(f"{u} widget"), "defined_by": {"use": {"eq": u}}}
                                for u in _UNITS],
        "indicators": indicators,
    }}


def ruleset_data() -> dict[str, Any]:
    criteria: list[dict[str, Any]] = []

    def add(cid: str, indicator: str, requirement: dict[str, Any], **extra: Any) -> None:
        provenance = {"status": "confirmed", "source": _SOURCE} if "present" in requirement else dict(_PROVENANCE)
        criteria.append({"id": cid, "indicator": indicator, "requirement": requirement,
                         "clause": f"SYNTH-BENCH-2026 {cid}", "provenance": provenance, **extra})

    for iid, unit, _, limit in _QUANTITY_LTE:
        extra: dict[str, Any] = {}
        if iid == "lead":  # a stricter laboratory policy than the default
            extra["evidence"] = {"laboratory": ["CNAS", "ISO17025"], "provenance": dict(_PROVENANCE)}
        if iid == "formaldehyde":  # a shorter report age than the default
            extra["evidence"] = {"max_age_days": 180, "provenance": dict(_PROVENANCE)}
        if iid == "halogens":
            extra["applies_when"] = {"parameters": {"coated": {"eq": True}}}
        add(iid, iid, {"lte": limit, "unit": unit}, **extra)
    for iid, unit, _, limit in _QUANTITY_GTE:
        add(iid, iid, {"gte": limit, "unit": unit}, optional=iid in ("renewable_material", "biodegradation_180d"))
    for iid, unit, _, (low, high) in _QUANTITY_BETWEEN:
        extra = {"applies_when": {"certification_units": ["indoor"]}} if iid == "moisture" else {}
        add(iid, iid, {"between": [low, high], "unit": unit}, **extra)
    for iid, _, _, accepted in _CHOICES:
        add(iid, iid, {"one_of": list(accepted)}, optional=iid == "odour_grade")
    for iid, unit, dl_max in _NOT_DETECTED:
        req: dict[str, Any] = {"not_detected": True, "unit": unit}
        if dl_max is not None:
            req["detection_limit_max"] = dl_max
        add(iid, iid, req)
    for iid, unit, limit in _LT:
        add(iid, iid, {"lt": limit, "unit": unit})
    add("service_life", "service_life", {"gt": 10, "unit": "year"}, optional=True,
        applies_when={"parameters": {"thickness": {"gte": 2}}})
    add("voc_indoor", "voc_content", {"lte": 50, "unit": "g/L"}, applies_when={"certification_units": ["indoor"]})
    add("voc_outdoor", "voc_content", {"lte": 120, "unit": "g/L"},
        applies_when={"certification_units": ["outdoor", "industrial"]})
    for iid, _ in _DOCUMENTS:
        add(iid, iid, {"present": True})
    assert len(criteria) == 30, len(criteria)
    return {
        "format": "greencert/ruleset@1", "id": RULESET_ID, "category": CATEGORY, "standard": "SYNTH-BENCH-2026",
        "title": _text("synthetic benchmark rule set"), "in_force": {"from": "2026-01-01"},
        "evidence_defaults": {"laboratory": ["CMA"], "max_age_days": 365, "same_model": True,
                              "provenance": {"status": "default", "source": _SOURCE}},
        "basic_requirements": [
            {"id": "quality_management", "name": _text("quality management"), "clause": "SYNTH 4.1",
             "proof": {"certificate": "GB/T 19001"}},
            {"id": "environmental_management", "name": _text("environmental management"), "clause": "SYNTH 4.2",
             "proof": {"certificate": "GB/T 24001"}},
            {"id": "no_major_accident", "name": _text("no major accident"), "clause": "SYNTH 4.3",
             "proof": {"declaration": "no_major_accident"}},
            {"id": "pollutant_discharge", "name": _text("pollutant discharge"), "clause": "SYNTH 4.4",
             "proof": {"declaration": "pollutant_discharge_compliant"}},
        ],
        "factory_inspection": {"required": True, "clause": "SYNTH 5"},
        "criteria": criteria,
        "labels": [
            {"id": "green_product", "kind": "full", "name": _text("green product")},
            {"id": "environment", "kind": "partial", "attribute": "environment", "name": _text("environment")},
            {"id": "gold", "kind": "tier", "optional_share": 0.75, "name": _text("gold tier")},
            {"id": "formaldehyde_grade", "kind": "grade", "indicator": "formaldehyde", "name": _text("grade"),
             "grades": [{"id": "G0", "requirement": {"lte": 30, "unit": "mg/kg"}, "provenance": dict(_PROVENANCE)},
                        {"id": "G1", "requirement": {"lte": 100, "unit": "mg/kg"}, "provenance": dict(_PROVENANCE)}]},
        ],
        "default_scope": ["green_product"],
    }


def write_workload(directory: Path | None = None) -> Path:
    """Write catalog/bench_widget.yaml and rules/bench_widget/SYNTH-2026.yaml under `directory` (a new
    temporary directory by default); returns the directory. Load it with `load_repository`."""
    root = Path(directory) if directory is not None else Path(tempfile.mkdtemp(prefix="greencert-workload-"))
    (root / "catalog").mkdir(parents=True, exist_ok=True)
    (root / "rules" / CATEGORY).mkdir(parents=True, exist_ok=True)
    for path, data in ((root / "catalog" / f"{CATEGORY}.yaml", catalog_data()),
                       (root / "rules" / CATEGORY / "SYNTH-2026.yaml", ruleset_data())):
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return root


def workload_paths(root: Path) -> list[Path]:
    return [root / "catalog", root / "rules"]


def load_repository(root: Path, *, with_shipped: bool = False) -> Any:
    """A Repository over the workload (and the shipped catalogue and rule sets with `with_shipped`)."""
    from engine import Repository, default_catalog_dir, default_rules_dir

    paths = workload_paths(root)
    if with_shipped:
        paths = [default_catalog_dir(), default_rules_dir(), *paths]
    return Repository.load(paths)


# ---------------------------------------------------------------------------------------------- applications

def _passing(rng: random.Random, iid: str) -> dict[str, Any]:
    """A result that passes the criterion on `iid` (in the indicator's unit unless noted)."""
    for cid, unit, _, limit in _QUANTITY_LTE:
        if cid == iid:
            v = round(rng.uniform(0.05, 0.85) * limit, 3)
            if unit == "mg/kg" and rng.random() < 0.2:
                return {"indicator": iid, "value": round(v / 10000, 7), "unit": "%"}  # same quantity in percent
            return {"indicator": iid, "value": v, "unit": unit}
    for cid, unit, _, limit in _QUANTITY_GTE:
        if cid == iid:
            return {"indicator": iid, "value": round(rng.uniform(limit + 1, 99), 2), "unit": unit}
    for cid, unit, _, (low, high) in _QUANTITY_BETWEEN:
        if cid == iid:
            return {"indicator": iid, "value": round(rng.uniform(low, high), 2), "unit": unit}
    for cid, _, _, accepted in _CHOICES:
        if cid == iid:
            return {"indicator": iid, "value": rng.choice(accepted)}
    for cid, unit, dl_max in _NOT_DETECTED:
        if cid == iid:
            dl = round(rng.uniform(0.5, dl_max if dl_max else 5), 2)
            return {"indicator": iid, "not_detected": True, "detection_limit": dl, "unit": unit}
    for cid, unit, limit in _LT:
        if cid == iid:
            if rng.random() < 0.5:
                return {"indicator": iid, "not_detected": True, "detection_limit": round(rng.uniform(1, 10), 2),
                        "unit": unit}
            return {"indicator": iid, "value": round(rng.uniform(1, limit * 0.9), 2), "unit": unit}
    if iid == "service_life":
        return {"indicator": iid, "value": rng.randint(11, 40), "unit": "year"}
    if iid == "voc_content":
        return {"indicator": "voc", "value": round(rng.uniform(5, 45), 1), "unit": "g/L"}
    raise KeyError(iid)


def _failing(rng: random.Random, iid: str) -> dict[str, Any]:
    for cid, unit, _, limit in _QUANTITY_LTE:
        if cid == iid:
            return {"indicator": iid, "value": round(limit * rng.uniform(1.05, 3), 3), "unit": unit}
    for cid, unit, _, limit in _QUANTITY_GTE:
        if cid == iid:
            return {"indicator": iid, "value": round(limit * rng.uniform(0.2, 0.95), 2), "unit": unit}
    for cid, unit, _, (_low, high) in _QUANTITY_BETWEEN:
        if cid == iid:
            return {"indicator": iid, "value": round(high * rng.uniform(1.1, 1.5), 2), "unit": unit}
    for cid, choices, _, accepted in _CHOICES:
        if cid == iid:
            return {"indicator": iid, "value": rng.choice([c for c in choices if c not in accepted])}
    for cid, unit, _ in _NOT_DETECTED:
        if cid == iid:
            return {"indicator": iid, "value": round(rng.uniform(1, 50), 2), "unit": unit}
    for cid, unit, limit in _LT:
        if cid == iid:
            return {"indicator": iid, "value": round(limit * rng.uniform(1.0, 2.0), 2), "unit": unit}
    if iid == "voc_content":
        return {"indicator": "VOC", "value": round(rng.uniform(130, 300), 1), "unit": "g/L"}
    return _passing(rng, iid)


_MEASURED = ([i for i, *_ in _QUANTITY_LTE] + [i for i, *_ in _QUANTITY_GTE] + [i for i, *_ in _QUANTITY_BETWEEN]
             + [i for i, *_ in _CHOICES] + [i for i, *_ in _NOT_DETECTED] + [i for i, *_ in _LT]
             + ["service_life", "voc_content"])


def generate_application(seed: int, mix: str | None = None) -> dict[str, Any]:
    """One application as JSON data; `(seed, mix)` reproduces it. Mixes: pass (everything passes), fail
    (one to three criteria fail), missing (one to three results or documents absent), expired (one report is
    older than the evidence policy accepts, or comes from an unqualified laboratory)."""
    rng = random.Random(f"bench#{seed}")
    if mix is None:
        mix = rng.choices(list(MIXES), weights=list(MIXES.values()))[0]
    use = rng.choice(_UNITS)
    model = f"WX-{seed % 9973:04d}"
    params: dict[str, Any] = {"use": use, "thickness": round(rng.uniform(0.5, 6), 1), "coated": rng.random() < 0.5}
    measured = list(_MEASURED)
    failing = set(rng.sample(measured, rng.randint(1, 3))) if mix == "fail" else set()
    missing = set(rng.sample(measured + [d for d, _ in _DOCUMENTS], rng.randint(1, 3))) if mix == "missing" else set()
    results = [(_failing(rng, i) if i in failing else _passing(rng, i)) for i in measured if i not in missing]
    rng.shuffle(results)
    # three reports from two laboratories; `lead` needs a CNAS/ISO17025 one, `formaldehyde` one under 180 days
    cut1, cut2 = len(results) // 3, 2 * len(results) // 3
    labs = [{"name": "Provincial Testing Institute", "qualifications": ["CMA", "CNAS"]},
            {"name": "City Quality Centre", "qualifications": ["CMA", "CNAS"]},
            {"name": "Municipal Lab", "qualifications": ["CMA", "ISO17025"]}]
    reports = []
    for k, chunk in enumerate((results[:cut1], results[cut1:cut2], results[cut2:])):
        issued = AS_OF - dt.timedelta(days=rng.randint(10, 170))
        reports.append({"id": f"R{seed}-{k}", "laboratory": labs[k], "issued": issued.isoformat(), "model": model,
                        "results": chunk})
    if mix == "expired":
        victim = rng.randrange(3)
        if rng.random() < 0.7:
            reports[victim]["issued"] = (AS_OF - dt.timedelta(days=rng.randint(400, 900))).isoformat()
        else:
            reports[victim]["laboratory"] = {"name": "Unaccredited Lab", "qualifications": []}
    evidence: dict[str, Any] = {
        "test_reports": [r for r in reports if r["results"]],
        "factory_inspection": {"outcome": "pass", "date": (AS_OF - dt.timedelta(days=30)).isoformat()},
        "certificates": [
            {"standard": "GB/T 19001-2016", "number": f"Q{seed}", "valid_until": "2028-06-30"},
            {"standard": "GB/T 24001-2016", "number": f"E{seed}", "valid_until": "2028-06-30"},
        ],
        "declarations": [{"id": d, "signed": "2026-03-01"} for d in
                         ("no_major_accident", "pollutant_discharge_compliant", "lca_report", "takeback_programme")
                         if d not in missing],
    }
    return {"format": "greencert/application@1", "id": f"BENCH-{seed}-{mix}", "category": CATEGORY,
            "product": {"model": model, "parameters": params}, "evidence": evidence}


def generate_applications(n: int, seed: int = 0) -> Iterator[dict[str, Any]]:
    for i in range(n):
        yield generate_application(seed * 1_000_003 + i)


def source_engine(compiled: Any) -> tuple[Any, Any]:
    """The uncompiled baseline of a compiled rule set: engine/evaluator.py loaded from source (engine/native.py)
    and the same rule set compiled by engine/compiler.py loaded from source. The caller closes the rule set."""
    from engine import native

    src = native.load_sources("_source")
    return src["evaluator"], src["compiler"].compile_ruleset(compiled.ruleset, compiled.category, compiled.version,
                                                             compiled.overlays)


def decide_recording_durable_fields(prepared: list[Any], as_of: dt.date) -> tuple[list[Any], list[dict[str, Any]]]:
    """The decisions for `prepared` ((compiled, app, unit) from `Repository.prepare`) and, per application, the
    fields the evaluator sent to durable-rules (recorded by a wrapper on the compiled rule set's own durable
    instance, removed afterwards): what the durable-stage and peer measurements are given."""
    from engine import evaluate

    captured: list[dict[str, Any]] = []
    durable = prepared[0][0].durable
    fire = durable.fire

    def recording(fields: Any) -> set[str]:
        captured.append(dict(fields))
        result: set[str] = fire(fields)
        return result

    durable.fire = recording
    try:
        decisions = [evaluate(c, a, as_of, unit=u) for c, a, u in prepared]
    finally:
        del durable.fire
    assert len(captured) == len(prepared)
    return decisions, captured


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", type=Path, help="write the catalogue and rule set under this directory")
    parser.add_argument("--apps", type=int, default=0, help="also write this many applications (YAML)")
    args = parser.parse_args(argv)
    root = write_workload(args.write)
    for i, app in enumerate(generate_applications(args.apps)):
        (root / "applications").mkdir(exist_ok=True)
        (root / "applications" / f"app-{i:05d}.yaml").write_text(yaml.safe_dump(app, allow_unicode=True, sort_keys=False),
                                                                 encoding="utf-8")
    print(root)
    return 0


if __name__ == "__main__":
    sys.exit(main())
