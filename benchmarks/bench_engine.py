"""Throughput on one core: full engine, durable-rules alone, the reference evaluator, intake+evaluate, 1 vs 2 workers."""

# All figures come from one run over the same synthetic workload (benchmarks/workload.py: 30 criteria, three
# certification units, seeded applications mixing passes, failures, missing and expired evidence):
#   (a) engine     `engine.evaluate` on pre-validated applications (intake done beforehand): a full Decision;
#                  and `engine.evaluator.evaluate_each` on the same list (8 applications a durable session);
#                  both also with compiler.py and evaluator.py run as source when they run compiled
#                  (engine/native.py), so the compiled build is compared with the source in the same run
#   (b) durable    `DurableRuleSet.fire` on the fields the engine built for those applications (and its parts)
#   (c) reference  tests/support/reference_evaluator.py `evaluate_reference` on the same validated applications
#   (d) intake     parse + validate + evaluate from a dict (`application_from_data` + `Repository.check`)
#   (e) parallel   (d) through `engine.parallel` with 1 and 2 spawned worker processes (wall clock, workers
#                  started beforehand; includes pickling the decisions back)
# Rates for (a)-(d) are per second of CPU time of this process (one core), best of --repeat runs; the wall-clock
# rate is shown next to it. On a shared machine the CPU figure is the steadier one; both are noisy.

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import time
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import workload

from engine import application_from_data, evaluate, native
from engine.evaluator import evaluate_each
from engine.loader import PROJECT_ROOT
from engine.parallel import ParallelEvaluator

TARGET = 10_000  # applications/s through the engine, one core


def _load_reference() -> Callable[..., Any] | None:
    sys.path.insert(0, str(PROJECT_ROOT / "tests" / "support"))
    try:
        from reference_evaluator import evaluate_reference
    except ImportError:
        return None
    finally:
        sys.path.pop(0)
    return evaluate_reference  # type: ignore[no-any-return]


def _timed(fn: Callable[[], Any], count: int, repeat: int) -> dict[str, float]:
    """Best-of-`repeat` rates (items per CPU second and per wall second) of `fn`, which handles `count` items."""
    best_cpu = best_wall = float("inf")
    for _ in range(repeat):
        c0, w0 = time.process_time(), time.perf_counter()
        fn()
        best_cpu = min(best_cpu, time.process_time() - c0)
        best_wall = min(best_wall, time.perf_counter() - w0)
    return {"per_cpu_s": count / best_cpu if best_cpu else float("inf"), "per_wall_s": count / best_wall,
            "us_per_item_cpu": best_cpu / count * 1e6}


def run(n: int, intake_n: int, parallel_n: int, repeat: int, profile: bool) -> dict[str, Any]:
    root = workload.write_workload()
    repo = workload.load_repository(root)
    as_of = workload.AS_OF
    datas = list(workload.generate_applications(n, seed=1))
    prepared = []
    for data in datas:
        app, doc, diags = application_from_data(data)
        assert app is not None and doc is not None and not diags, diags
        prepared.append(repo.prepare(app, doc, as_of))
    compiled = prepared[0][0]
    durable = compiled.durable
    results: dict[str, Any] = {"machine": {"cpus": os.cpu_count(), "load_before": os.getloadavg()[0]},
                               "applications": n, "criteria": len(compiled.criteria),
                               "durable_rules": durable.rule_count, "durable_facts": durable.chunk_count}

    # (b) needs the fields the engine sends to durable: record them during one pass (our instance, our engine)
    decisions, captured = workload.decide_recording_durable_fields(prepared, as_of)
    payloads = [durable.encode(f) for f in captured]

    def engine_pass() -> None:
        for c, a, u in prepared:
            evaluate(c, a, as_of, unit=u)  # each decision dropped at once, as a bulk caller streaming them would

    results["engine"] = _timed(engine_pass, n, repeat)
    items = [(a, u) for _, a, u in prepared]
    # every generated application is of the one workload rule set: one bulk call
    results["engine_batch"] = _timed(lambda: deque(evaluate_each(compiled, items, as_of), maxlen=0), n, repeat)
    results["evaluator"] = native.EVALUATOR
    results["source"] = None
    if native.compiled():
        # the same rule set compiled, and evaluated, by compiler.py and evaluator.py run as source
        source, source_compiled = workload.source_engine(compiled)
        src_prepared = [(source_compiled, a, u) for _, a, u in prepared]
        assert [source.evaluate(c, a, as_of, unit=u) for c, a, u in src_prepared] == decisions, "source != compiled"

        def source_pass() -> None:
            for c, a, u in src_prepared:
                source.evaluate(c, a, as_of, unit=u)
        results["source"] = {
            "engine": _timed(source_pass, n, repeat),
            "engine_batch": _timed(lambda: deque(source.evaluate_each(source_compiled, items, as_of), maxlen=0), n,
                                   repeat),
        }
        source_compiled.close()
    results["durable_fire"] = _timed(lambda: [durable.fire(f) for f in captured], n, repeat)
    results["durable_encode"] = _timed(lambda: [durable.encode(f) for f in captured], n, repeat)
    # the C side alone: what `fire` does after `encode` (private on purpose: not part of the API)
    results["durable_fire_encoded"] = _timed(lambda: [durable._fire(p) for p in payloads], n, repeat)

    reference = _load_reference()
    if reference is None:
        results["reference"] = None
    else:
        ruleset, category = compiled.ruleset, compiled.category
        results["reference"] = _timed(lambda: [reference(ruleset, category, a, as_of, u) for _, a, u in prepared],
                                      n, repeat)
        ref_outcomes = [reference(ruleset, category, a, as_of, u).outcome for _, a, u in prepared]
        results["reference_outcome_disagreements"] = sum(d.outcome != r for d, r in zip(decisions, ref_outcomes))

    intake_items = datas[:intake_n]

    def intake_pass() -> None:
        for data in intake_items:
            app, doc, _ = application_from_data(data)
            assert app is not None and doc is not None
            repo.check(app, doc, as_of)

    results["intake_evaluate"] = _timed(intake_pass, len(intake_items), repeat)

    par_items = (datas * (parallel_n // n + 1))[:parallel_n]
    results["parallel"] = {}
    for workers in (1, 2):
        with ParallelEvaluator(workers, paths=workload.workload_paths(root)) as pool:
            w0 = time.perf_counter()
            out = pool.evaluate(par_items, as_of)
            wall = time.perf_counter() - w0
        assert all(r.ok for r in out)
        results["parallel"][str(workers)] = {"per_wall_s": parallel_n / wall, "items": parallel_n}

    if profile:
        results["profile"] = {"engine": _profile(engine_pass), "intake_evaluate": _profile(intake_pass)}
    results["machine"]["load_after"] = os.getloadavg()[0]
    repo.close()
    return results


def _profile(fn: Callable[[], Any], top: int = 18) -> str:
    try:
        from pyinstrument import Profiler
    except ImportError:
        prof = cProfile.Profile()
        prof.enable()
        fn()
        prof.disable()
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(top)
        return out.getvalue()
    profiler = Profiler(interval=0.0002)
    profiler.start()
    fn()
    profiler.stop()
    return str(profiler.output_text(unicode=False, color=False, show_all=False))


def report(r: dict[str, Any]) -> str:
    lines = [f"workload: {r['applications']} applications, {r['criteria']} criteria, {r['durable_rules']} durable rules "
             f"in {r['durable_facts']} fact(s); machine: {r['machine']['cpus']} CPUs, load {r['machine']['load_before']:.2f}"
             f" -> {r['machine']['load_after']:.2f} (shared: figures are noisy)",
             f"evaluator: {r.get('evaluator', 'n/a')}", ""]
    ref = r["reference"]
    lines.append(f"{'measure':<44} {'apps/s (CPU)':>13} {'apps/s (wall)':>14} {'µs/app':>8} {'vs reference':>13}")

    def row(label: str, m: dict[str, float] | None) -> None:
        if m is None:
            lines.append(f"{label:<44} {'n/a':>13}")
            return
        ratio = f"{m['per_cpu_s'] / ref['per_cpu_s']:.2f}x" if ref else "n/a"
        lines.append(f"{label:<44} {m['per_cpu_s']:>13,.0f} {m['per_wall_s']:>14,.0f} {m['us_per_item_cpu']:>8.1f} "
                     f"{ratio:>13}")

    row("(a) engine.evaluate (validated -> Decision)", r["engine"])
    row("    evaluate_each (the same decisions, in bulk)", r["engine_batch"])
    if r.get("source"):
        row("    evaluate, compiler+evaluator as source", r["source"]["engine"])
        row("    evaluate_each, compiler+evaluator as source", r["source"]["engine_batch"])
    row("(b) durable alone: DurableRuleSet.fire", r["durable_fire"])
    row("    of which encode (Python)", r["durable_encode"])
    row("    of which the C calls (assert, drain, delete)", r["durable_fire_encoded"])
    row("(c) reference evaluator", ref)
    row("(d) intake + evaluate from a dict", r["intake_evaluate"])
    for workers, m in r["parallel"].items():
        lines.append(f"(e) engine.parallel, {workers} worker(s), intake+evaluate {m['per_wall_s']:>13,.0f} (wall, "
                     f"{m['items']} items)")
    p1, p2 = r["parallel"].get("1"), r["parallel"].get("2")
    if p1 and p2:
        lines.append(f"    2 workers / 1 worker: {p2['per_wall_s'] / p1['per_wall_s']:.2f}x")
    if ref is None:
        lines.append("reference evaluator: tests/support/reference_evaluator.py not found, (c) not measured")
    else:
        lines.append(f"engine vs reference outcome disagreements: {r['reference_outcome_disagreements']}")
    if r.get("source"):
        lines.append("compiled / source, same run: evaluate {:.2f}x, evaluate_each {:.2f}x".format(
            r["engine"]["per_cpu_s"] / r["source"]["engine"]["per_cpu_s"],
            r["engine_batch"]["per_cpu_s"] / r["source"]["engine_batch"]["per_cpu_s"]))
    best = max(r["engine"]["per_cpu_s"], r["engine_batch"]["per_cpu_s"])
    verdict = "meets" if best >= TARGET else "misses"
    lines.append(f"target >= {TARGET:,} applications/s through the engine on one core: {verdict} ({best:,.0f}, "
                 f"{best / TARGET:.2f}x the target)")
    for name, text in (r.get("profile") or {}).items():
        lines += ["", f"--- profile: {name}", text]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=2000, help="applications for (a)-(c)")
    parser.add_argument("--intake-n", type=int, default=500, help="applications for (d)")
    parser.add_argument("--parallel-n", type=int, default=2000, help="applications for (e)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measure; the best counts")
    parser.add_argument("--profile", action="store_true", help="also profile (a) and (d) (pyinstrument if installed)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON instead of a table")
    args = parser.parse_args(argv)
    results = run(args.n, args.intake_n, args.parallel_n, args.repeat, args.profile)
    print(json.dumps(results, indent=2, default=str) if args.json else report(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
