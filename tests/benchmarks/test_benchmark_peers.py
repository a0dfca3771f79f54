"""The side-by-side benchmark compares like with like: every engine (greencert's full decision, its durable stage,
the reference evaluator, ZEN, rule-engine, plain Python) gives the same per-criterion verdicts on every generated
application of the workload. A small run of the real script; the figures themselves are not asserted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from engine.loader import PROJECT_ROOT

EXPECTED_ENGINES = {"greencert_full", "greencert_full_gc_frozen", "greencert_batch", "greencert_full_source",
                    "greencert_batch_source", "reference", "durable_full",
                    "durable_criteria", "durable_criteria_many",
                    "zen_engine_dict", "zen_engine_json", "zen_decision_dict", "zen_batch", "rule_engine", "python"}


def test_every_engine_gives_the_same_verdicts_on_the_benchmark_workload(tmp_path: Path) -> None:
    out = tmp_path / "engines.json"
    proc = subprocess.run([sys.executable, "benchmarks/peers/compare.py", "--n", "120", "--repeat", "1", "--no-pin",
                           "--json-out", str(out)], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    result = json.loads(out.read_text(encoding="utf-8"))
    assert set(result["engines"]) == EXPECTED_ENGINES
    assert result["all_identical"] is True
    assert result["info"]["evaluator"].startswith(("compiled", "source"))
    for name, engine in result["engines"].items():
        assert engine["mismatches"] == 0, (name, engine["mismatch_examples"])
        assert engine["verdict_vectors_checked"] >= 120, name
        assert engine["per_cpu_s"] > 0, name
    # the workload mixes every kind of verdict and outcome, so agreement means something
    assert all(result["verdicts"][v] > 0 for v in ("pass", "fail", "no_value"))
    assert all(result["outcomes"][o] > 0 for o in ("granted", "refused", "incomplete"))
