"""Engine throughput on one core: greencert, its reference evaluator and peer engines on the same generated workload."""

# Run: .venv/bin/python benchmarks/peers/compare.py --n 2000 --repeat 5 [--pyspy-seconds 10] [--json-out FILE]
#
# One process, pinned to one CPU (unless --no-pin), one generated workload (benchmarks/workload.py: 30 criteria,
# seeded applications mixing passes, failures, missing and expired evidence). Engines are timed in interleaved
# rounds (every engine once per round, so background load spreads over all of them); the best round counts.
# Rates are applications per second of this process's CPU time; the wall-clock rate is reported next to it.
#
# Every engine's output on every application of every round is turned into a per-criterion verdict vector
# ("pass" / "fail" / no admitted value) and must equal greencert's full decision's: the run fails otherwise.

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent.parent
ROOT = BENCH.parent
for p in (str(ROOT), str(BENCH)):
    if p not in sys.path:
        sys.path.insert(0, p)

import workload  # noqa: E402

from benchmarks.peers.criteria import (  # noqa: E402
    Verdicts,
    checks_of,
    input_fields,
    peer_input,
    verdict_counts,
    verdicts_from_decision,
    verdicts_from_fired,
    verdicts_from_reference,
)
from engine import application_from_data, evaluate, native  # noqa: E402
from engine.durable_core import DurableRuleSet  # noqa: E402
from engine.evaluator import evaluate_each  # noqa: E402

__all__ = ["ENGINES", "run", "main"]

# key -> (label, what it computes, group). "full" engines take a validated application; "verdicts" engines take
# the admitted values greencert's evaluator produced for it (the same dict for all of them).
ENGINES: dict[str, tuple[str, str, str]] = {
    "greencert_full": (
        "greencert `engine.evaluate` (full decision)",
        "evidence admission (report age, laboratory qualification, model, unit conversion, detection limits), "
        "applicability by unit and parameters, the 30 verdicts (durable-rules), basic requirements, factory "
        "inspection, margins, full/partial/tier/grade labels, outcome, missing-evidence list, caveats and the "
        "explanation records (measured value, evidence, rejections, clause, provenance)", "full"),
    "greencert_full_gc_frozen": (
        "greencert `engine.evaluate`, `gc.freeze()` after loading",
        "the same full decision, with the objects alive after loading moved out of the garbage collector's "
        "reach (`gc.freeze()`), as a server or bulk run could do once at start: a measured remedy, not the "
        "default", "full"),
    "greencert_batch": (
        "greencert `evaluate_each` (full decisions, in bulk)",
        "the same full decisions for the whole list of applications of the rule set at once, streamed (as "
        "`engine.evaluate` is here): 8 applications per durable session", "full"),
    "greencert_full_source": (
        "greencert `engine.evaluate`, compiler.py and evaluator.py run as source",
        "the same full decisions with engine/compiler.py and engine/evaluator.py loaded from their source instead "
        "of the build mypyc compiles at install (engine/native.py): the uncompiled baseline, in the same run",
        "full"),
    "greencert_batch_source": (
        "greencert `evaluate_each`, compiler.py and evaluator.py run as source",
        "the bulk path with engine/compiler.py and engine/evaluator.py loaded from their source: the uncompiled "
        "baseline", "full"),
    "reference": (
        "reference evaluator (plain Python, tests/support/reference_evaluator.py)",
        "the same decision semantics in plain Python from docs/semantics.md (admission, verdicts, margins, "
        "basic requirements, inspection, labels, outcome) without the explanation texts", "full"),
    "durable_full": (
        "greencert durable stage alone (compiled rule set, 37 rules)",
        "the rule set as greencert compiles it (30 criterion rules + 4 basic requirements + inspection + 2 "
        "grades) fired on the admitted values: encode the facts, assert, collect fired rules, delete the "
        "session; then the 30 verdicts", "verdicts"),
    "durable_criteria": (
        "greencert durable stage, the 30 criterion rules only",
        "the 30 criterion rules exactly as greencert compiles them (failure rules), fired on the same "
        "admitted values the peers get; the 30 verdicts", "verdicts"),
    "durable_criteria_many": (
        "greencert durable stage, the 30 criterion rules only, in bulk (`fire_many`)",
        "as above, for the whole list at once: 8 applications' facts per durable session (as `evaluate_batch` "
        "does); compare with ZEN's own batch call", "verdicts"),
    "zen_engine_dict": (
        "ZEN `ZenEngine.evaluate(key, dict)`",
        "the 30 pass conditions (one expression node) on the admitted values; shared engine, static loader, "
        "decision loaded once", "verdicts"),
    "zen_engine_json": (
        "ZEN `ZenEngine.evaluate(key, json)`",
        "as above, the context passed as JSON text (json.dumps counted)", "verdicts"),
    "zen_decision_dict": (
        "ZEN `ZenDecision.evaluate(dict)`",
        "as above through a decision created once with `create_decision` (no loader lookup)", "verdicts"),
    "zen_batch": (
        "ZEN `ZenEngine.evaluate_batch` (500 per call)",
        "as above, 500 contexts per call (ZEN's thread pool; one thread when pinned to one CPU)", "verdicts"),
    "rule_engine": (
        "rule-engine `Rule.evaluate` (pure Python)",
        "the 30 pass conditions as one array expression, evaluated per application", "verdicts"),
    "python": (
        "plain Python closures",
        "the 30 pass conditions as generated Python closures: the floor for the comparisons alone", "verdicts"),
}
ZEN_KEYS = ("zen_engine_dict", "zen_engine_json", "zen_decision_dict")
TARGET_RATIO = 1.5  # greencert's faster durable path vs ZEN's fastest path (its batch call too), same verdicts
TARGET_FULL = 10_000  # full decisions per second, one core


def _load_reference() -> Callable[..., Any]:
    sys.path.insert(0, str(ROOT / "tests" / "support"))
    try:
        from reference_evaluator import evaluate_reference
    finally:
        sys.path.pop(0)
    return evaluate_reference  # type: ignore[no-any-return]


def pin(cpu: int | None) -> int | None:
    """Pin this process (and the threads it starts later) to one CPU; returns it."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    allowed = sorted(os.sched_getaffinity(0))
    chosen = allowed[-1] if cpu is None else cpu
    os.sched_setaffinity(0, {chosen})
    return chosen


class Workload:
    """The prepared applications and, per application, the fields greencert's evaluator sent to durable."""

    def __init__(self, n: int, seed: int = 1):
        self.root = workload.write_workload()
        self.repo = workload.load_repository(self.root)
        self.as_of = workload.AS_OF
        self.datas = list(workload.generate_applications(n, seed=seed))
        self.prepared = []
        for data in self.datas:
            app, doc, diags = application_from_data(data)
            assert app is not None and doc is not None and not diags, diags
            self.prepared.append(self.repo.prepare(app, doc, self.as_of))
        self.compiled = self.prepared[0][0]
        assert all(c is self.compiled for c, _, _ in self.prepared)
        self.checks = checks_of(self.compiled)
        self.decisions, captured = workload.decide_recording_durable_fields(self.prepared, self.as_of)
        self.full_fields = captured
        wanted = input_fields(self.checks)
        self.inputs = [peer_input(f, wanted) for f in captured]
        self.expected = [verdicts_from_decision(d) for d in self.decisions]
        self.outcomes = {o: sum(1 for d in self.decisions if d.outcome == o) for o in ("granted", "refused", "incomplete")}

    def close(self) -> None:
        self.repo.close()


def _runners(w: Workload, keys: Sequence[str]) -> tuple[dict[str, Callable[[], list[Verdicts]]], dict[str, Any]]:
    """Per engine, a function doing the whole pass and returning the verdict vectors; and version info."""
    runners: dict[str, Callable[[], list[Verdicts]]] = {}
    info: dict[str, Any] = {}
    prepared, as_of, checks = w.prepared, w.as_of, w.checks

    if "greencert_full" in keys or "greencert_full_gc_frozen" in keys:
        def full() -> list[Verdicts]:
            # streamed: each decision is reduced to its verdicts and dropped, as a bulk run would (keeping 2,000
            # decisions alive costs a third more in garbage collection, measured)
            return [verdicts_from_decision(evaluate(c, a, as_of, unit=u)) for c, a, u in prepared]
        if "greencert_full" in keys:
            runners["greencert_full"] = full
        if "greencert_full_gc_frozen" in keys:
            runners["greencert_full_gc_frozen"] = full  # same pass; _measure freezes the heap around it
    if "greencert_batch" in keys:
        compiled = w.compiled
        items = [(a, u) for _, a, u in prepared]

        def batch() -> list[Verdicts]:
            return [verdicts_from_decision(d) for d in evaluate_each(compiled, items, as_of)]
        runners["greencert_batch"] = batch
    info["evaluator"] = native.EVALUATOR
    if "greencert_full_source" in keys or "greencert_batch_source" in keys:
        # the same rule set compiled, and evaluated, by compiler.py and evaluator.py run as source
        source, source_compiled = workload.source_engine(w.compiled)
        items = [(a, u) for _, a, u in prepared]

        def full_source() -> list[Verdicts]:
            return [verdicts_from_decision(source.evaluate(source_compiled, a, as_of, unit=u)) for _, a, u in prepared]

        def batch_source() -> list[Verdicts]:
            return [verdicts_from_decision(d) for d in source.evaluate_each(source_compiled, items, as_of)]
        info.setdefault("_close", []).append(source_compiled.close)
        if "greencert_full_source" in keys:
            runners["greencert_full_source"] = full_source
        if "greencert_batch_source" in keys:
            runners["greencert_batch_source"] = batch_source
    if "reference" in keys:
        reference = _load_reference()
        ruleset, category = w.compiled.ruleset, w.compiled.category

        def ref() -> list[Verdicts]:
            refs = [reference(ruleset, category, a, as_of, u) for _, a, u in prepared]
            return [verdicts_from_reference(r, checks) for r in refs]
        runners["reference"] = ref
    if "durable_full" in keys:
        fire = w.compiled.durable.fire
        full_fields = w.full_fields

        def durable_full() -> list[Verdicts]:
            return [verdicts_from_fired(checks, f, fire(f)) for f in full_fields]
        runners["durable_full"] = durable_full
    if "durable_criteria" in keys or "durable_criteria_many" in keys:
        rules = {c.rule: w.compiled.rules[c.rule] for c in checks}
        d30 = DurableRuleSet("bench_criteria", rules, {f: 0 for f in input_fields(checks)})
        info["durable_criteria_facts"] = d30.chunk_count
        fire30 = d30.fire
        inputs = w.inputs

        def durable_criteria() -> list[Verdicts]:
            return [verdicts_from_fired(checks, x, fire30(x)) for x in inputs]
        runners["durable_criteria"] = durable_criteria

        def durable_criteria_many() -> list[Verdicts]:
            return [verdicts_from_fired(checks, x, f) for x, f in zip(inputs, d30.fire_many(inputs))]
        runners["durable_criteria_many"] = durable_criteria_many
        info.setdefault("_close", []).append(d30.close)
    if any(k.startswith("zen") for k in keys):
        from benchmarks.peers.zen_peer import ZenPeer

        zp = ZenPeer(checks)
        info["zen_version"] = zp.version
        info["zen_expressions"] = [e["value"] for e in zp.content["nodes"][1]["content"]["expressions"]]
        inputs = w.inputs
        for k, fn in (("zen_engine_dict", zp.engine_dict), ("zen_engine_json", zp.engine_json),
                      ("zen_decision_dict", zp.decision_dict), ("zen_batch", zp.batch)):
            if k in keys:
                runners[k] = (lambda f=fn: f(inputs))  # type: ignore[misc]
    if "rule_engine" in keys:
        from benchmarks.peers.rule_engine_peer import RuleEnginePeer

        rp = RuleEnginePeer(checks)
        info["rule_engine_version"] = rp.version
        runners["rule_engine"] = lambda: rp.evaluate_all(w.inputs)
    if "python" in keys:
        from benchmarks.peers.rule_engine_peer import PythonPeer

        pp = PythonPeer(checks)
        runners["python"] = lambda: pp.evaluate_all(w.inputs)
    return runners, info


def _measure(w: Workload, runners: dict[str, Callable[[], list[Verdicts]]], repeat: int) -> dict[str, Any]:
    """Interleaved rounds; per engine the best CPU and wall time. Every round's verdicts are checked."""
    n = len(w.prepared)
    best_cpu = {k: float("inf") for k in runners}
    best_wall = {k: float("inf") for k in runners}
    checked = {k: 0 for k in runners}
    mismatches: dict[str, list[str]] = {k: [] for k in runners}
    for _ in range(repeat):
        for key, fn in runners.items():
            frozen = key == "greencert_full_gc_frozen"
            if frozen:
                gc.freeze()
            try:
                c0, w0 = time.process_time(), time.perf_counter()
                got = fn()
                cpu, wall = time.process_time() - c0, time.perf_counter() - w0
            finally:
                if frozen:
                    gc.unfreeze()
            best_cpu[key] = min(best_cpu[key], cpu)
            best_wall[key] = min(best_wall[key], wall)
            if len(got) != n:
                mismatches[key].append(f"{len(got)} results for {n} applications")
                continue
            for i, (g, e) in enumerate(zip(got, w.expected)):
                if g != e:
                    diff = [(c.id, gv, ev) for c, gv, ev in zip(w.checks, g, e) if gv != ev]
                    mismatches[key].append(f"{w.datas[i]['id']}: {diff[:3]}")
            checked[key] += n
    out: dict[str, Any] = {}
    for key in runners:
        cpu, wall = best_cpu[key], best_wall[key]
        out[key] = {"per_cpu_s": n / cpu if cpu > 0 else None, "per_wall_s": n / wall, "us_per_app_cpu": cpu / n * 1e6,
                    "verdict_vectors_checked": checked[key], "mismatches": len(mismatches[key]),
                    "mismatch_examples": mismatches[key][:5]}
    return out


def run(n: int, repeat: int, keys: Sequence[str] | None = None, cpu: int | None = None,
        no_pin: bool = False) -> dict[str, Any]:
    pinned = None if no_pin else pin(cpu)
    load_before = os.getloadavg()
    w = Workload(n)
    chosen = list(keys or ENGINES)
    runners, info = _runners(w, chosen)
    for fn in runners.values():  # warm-up: first calls compile, cache and fault pages in
        fn()
    closers = info.pop("_close", [])
    try:
        measured = _measure(w, runners, repeat)
    finally:
        for close in closers:
            close()
        w.close()
    zen_paths = {k: measured[k]["per_cpu_s"] for k in ZEN_KEYS if k in measured}
    zen_best_key = max(zen_paths, key=lambda k: zen_paths[k]) if zen_paths else None
    zen_best = zen_paths[zen_best_key] if zen_best_key else None
    for key, m in measured.items():
        m["label"], m["computes"], m["group"] = ENGINES[key]
        m["vs_zen"] = (m["per_cpu_s"] / zen_best) if zen_best and m["per_cpu_s"] else None
    counts = verdict_counts(w.expected)
    result = {
        "applications": n, "repeat": repeat, "criteria": len(w.checks), "pinned_cpu": pinned,
        "load_before": load_before, "load_after": os.getloadavg(), "outcomes": w.outcomes, "verdicts": counts,
        "engines": measured, "zen_fastest_path": zen_best_key, "zen_fastest_per_cpu_s": zen_best,
        "all_identical": all(m["mismatches"] == 0 for m in measured.values()),
        "info": info, "date": dt.datetime.now().isoformat(timespec="seconds"),
    }
    targets: dict[str, Any] = {}
    ours = [k for k in ("durable_criteria", "durable_criteria_many") if k in measured]
    if zen_best and ours:
        # greencert's faster path (one at a time, or in bulk) against ZEN's fastest (its batch call included)
        path = max(ours, key=lambda k: measured[k]["per_cpu_s"])
        zen_any = {k: measured[k]["per_cpu_s"] for k in (*ZEN_KEYS, "zen_batch") if k in measured}
        against = max(zen_any, key=lambda k: zen_any[k])
        ratio = measured[path]["per_cpu_s"] / zen_any[against]
        targets["verdicts_vs_zen"] = {"target": TARGET_RATIO, "measured": ratio, "met": ratio >= TARGET_RATIO,
                                      "path": path, "against": against}
    full_paths = [k for k in ("greencert_full", "greencert_batch") if k in measured]
    if full_paths:
        # through the engine by either path: one application at a time, or a list at once
        path = max(full_paths, key=lambda k: measured[k]["per_cpu_s"])
        rate = measured[path]["per_cpu_s"]
        targets["full_decisions"] = {"target": TARGET_FULL, "measured": rate, "met": rate >= TARGET_FULL,
                                     "path": path}
    result["targets"] = targets
    return result


def profile_loop(key: str, n: int, seconds: float, cpu: int | None = None) -> int:
    """Run one engine's pass over and over for `seconds` (pinned), for an outside sampler (py-spy) to watch."""
    pin(cpu)
    w = Workload(n)
    runners, info = _runners(w, [key])
    closers = info.pop("_close", [])
    passes = 0
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            _profile_pass(runners[key])
            passes += 1
    finally:
        for close in closers:
            close()
        w.close()
    return passes


def _profile_pass(fn: Callable[[], list[Verdicts]]) -> None:
    # the frame py-spy summaries start from (benchmarks/profiling.py `within`)
    fn()


def _evaluator_frames(function: str) -> tuple[str, str]:
    """How a function of engine/evaluator.py shows in py-spy's stacks: a Python frame when it runs as source, the
    C function mypyc generated for it when compiled (engine/native.py)."""
    return f"{function} (engine/evaluator.py", f"CPyDef_engine___evaluator___{function} ("


# Named costs read from the py-spy stacks (inclusive: a sample counts when any frame matches)
BUCKETS: dict[str, dict[str, tuple[str, ...]]] = {
    "greencert_full": {
        "durable-rules stage (`DurableRuleSet.fire`)": ("DurableRuleSet.fire (",),
        "  facts encoded to JSON text in Python (`encode`)": ("DurableRuleSet.encode (",),
        "  durable C calls (assert, match, drain, delete session)": ("DurableRuleSet._fire (",),
        "    of which session state created/deleted (`createStateNode`/`deleteStateNode`)": ("createStateNode (",
                                                                                          "deleteStateNode ("),
        "applicability and evidence admission (`_admission`)": _evaluator_frames("_admission"),
        "  of which results admitted one by one (`_admit`)": _evaluator_frames("_admit"),
        "verdicts, labels, outcome (`_decide`)": _evaluator_frames("_decide"),
        "decision records constructed (dataclass `__init__`)": ("__create_fn__.<locals>.__init__",),
        "missing-evidence list (`_missing_items`)": _evaluator_frames("_missing_items"),
        "garbage collector (`gc_collect_main`)": ("gc_collect_main (",),
    },
    "greencert_batch": {
        "durable-rules stage (`DurableRuleSet.fire_many`)": ("DurableRuleSet.fire_many (",),
        "  facts encoded to JSON text in Python (`_facts`)": ("DurableRuleSet._facts (",),
        "  durable C calls (assert, match, drain, delete session)": ("DurableRuleSet._run (",),
        "applicability and evidence admission (`_admission`)": _evaluator_frames("_admission"),
        "verdicts, labels, outcome (`_decide`)": _evaluator_frames("_decide"),
        "decision records constructed (dataclass `__init__`)": ("__create_fn__.<locals>.__init__",),
        "garbage collector (`gc_collect_main`)": ("gc_collect_main (",),
    },
    "durable_criteria": {
        "facts encoded to JSON text in Python (`encode`)": ("DurableRuleSet.encode (",),
        "durable C calls (assert, match, drain, delete session)": ("DurableRuleSet._fire (",),
        "  of which session state created/deleted (`createStateNode`/`deleteStateNode`)": ("createStateNode (",
                                                                                        "deleteStateNode ("),
        "  of which facts parsed and matched (`handleMessages`)": ("handleMessages (",),
        "verdict vector from the fired rules (benchmark side)": ("verdicts_from_fired (",),
    },
    "zen_engine_dict": {
        "inside ZEN's native library (conversion, evaluation, result dict)": ("zen.abi3.so",),
        "verdict vector from the result dict (benchmark side)": ("ZenPeer._verdicts (",),
    },
}


def pyspy_profiles(keys: Sequence[str], n: int, seconds: float, out_dir: Path, top: int = 15) -> dict[str, Any]:
    """py-spy (native frames included) over `profile_loop` of each engine; the top costs of each."""
    sys.path.insert(0, str(BENCH))
    import profiling

    out: dict[str, Any] = {}
    if not profiling.available():
        return {"error": "py-spy is not installed"}
    for key in keys:
        raw = out_dir / f"pyspy-{key}.txt"
        cmd = [sys.executable, str(Path(__file__).resolve()), "--loop", key, "--seconds", str(seconds), "--n", str(n)]
        profiling.record(cmd, raw, native=True)
        out[key] = profiling.summarize(raw, within="_profile_pass", top=top)
        out[key]["buckets"] = profiling.shares(raw, BUCKETS.get(key, {}), within="_profile_pass")
        out[key]["raw"] = str(raw)
    return out


def table(r: dict[str, Any]) -> str:
    lines = [f"{r['applications']} applications x {r['criteria']} criteria, best of {r['repeat']} interleaved rounds, "
             f"pinned to CPU {r['pinned_cpu']}; load {r['load_before'][0]:.2f} -> {r['load_after'][0]:.2f}",
             f"verdicts: {r['verdicts']}; outcomes: {r['outcomes']}", "",
             f"{'engine':<60} {'apps/s CPU':>11} {'apps/s wall':>12} {'us/app':>8} {'vs ZEN':>7} {'checked':>8} {'diff':>5}"]
    for m in r["engines"].values():
        vs = f"{m['vs_zen']:.2f}x" if m["vs_zen"] else "n/a"
        lines.append(f"{m['label'][:60]:<60} {m['per_cpu_s']:>11,.0f} {m['per_wall_s']:>12,.0f} {m['us_per_app_cpu']:>8.1f}"
                     f" {vs:>7} {m['verdict_vectors_checked']:>8} {m['mismatches']:>5}")
    lines.append(f"ZEN fastest single-call path: {r['zen_fastest_path']}; verdict vectors identical across engines: "
                 f"{r['all_identical']}")
    for name, t in r["targets"].items():
        lines.append(f"target {name}: {t['measured']:,.2f} vs {t['target']:,} -> {'met' if t['met'] else 'MISSED'}")
    for name, p in (r.get("pyspy") or {}).items():
        if "buckets" not in p:
            continue
        lines += ["", f"--- py-spy {name}: {p['samples']} samples"]
        lines += [f"{share:6.1%}  {bucket}" for bucket, share in p["buckets"].items()]
        lines += [f"{e['share']:6.1%}  self: {e['frame']}" for e in p["self_by_function"][:8]]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=2000, help="applications (default 2000)")
    parser.add_argument("--repeat", type=int, default=5, help="interleaved rounds; the best counts (default 5)")
    parser.add_argument("--engines", help=f"comma-separated subset of: {', '.join(ENGINES)}")
    parser.add_argument("--cpu", type=int, help="pin to this CPU (default: the last one allowed)")
    parser.add_argument("--no-pin", action="store_true", help="do not pin to one CPU")
    parser.add_argument("--json-out", type=Path, help="write the results as JSON here")
    parser.add_argument("--pyspy-seconds", type=float, default=0.0,
                        help="also sample greencert (full, durable) and ZEN with py-spy for this long each")
    parser.add_argument("--pyspy-dir", type=Path, default=Path("/tmp"), help="where py-spy's raw stacks go")
    parser.add_argument("--loop", choices=list(ENGINES), help="profiling aid: run this engine's pass repeatedly")
    parser.add_argument("--seconds", type=float, default=10.0, help="with --loop: for this long")
    args = parser.parse_args(argv)
    if args.loop:
        passes = profile_loop(args.loop, args.n, args.seconds, args.cpu)
        print(f"{args.loop}: {passes} passes of {args.n} applications")
        return 0
    keys = [k.strip() for k in args.engines.split(",")] if args.engines else None
    unknown = [k for k in keys or () if k not in ENGINES]
    if unknown:
        parser.error(f"unknown engine(s): {', '.join(unknown)}")
    if args.n < 1 or args.repeat < 1:
        parser.error("--n and --repeat must be positive")
    result = run(args.n, args.repeat, keys, args.cpu, args.no_pin)
    if args.pyspy_seconds > 0:
        result["pyspy"] = pyspy_profiles([k for k in BUCKETS if keys is None or k in keys], min(args.n, 1000),
                                         args.pyspy_seconds, args.pyspy_dir)
    if args.json_out:
        args.json_out.write_text(json.dumps(result, indent=2, default=str), encoding="utf-8")
    print(table(result))
    return 0 if result["all_identical"] else 1


if __name__ == "__main__":
    sys.exit(main())
