"""This tree against a baseline tree (another worktree, e.g. main), compiled and as source, in one run: decisions per
second and the ratios, with the same decisions checked.

    .venv/bin/python benchmarks/ab_engine.py --baseline /path/to/main-worktree [--n 1500] [--rounds 5]

Each tree is run by its own `.venv/bin/python` (so each evaluates with its own engine, compiled if its install
built the extensions; `GREENCERT_PURE_PYTHON=1` gives its source), in a fresh process per measurement, pinned
to one CPU, on the same synthetic workload (benchmarks/workload.py, seeded). The measurements are interleaved
round by round (tree A compiled, tree B compiled, A source, B source, ...), so that the load of a shared machine
falls on all of them alike; the best round counts. Each process times, in CPU seconds: `evaluate` one application
at a time, `evaluate_each` in bulk, and the tree's own reference evaluator (tests/support/reference_evaluator.py) on the
same applications, and hashes the decisions it made (as JSON): every configuration must make the same ones.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from collections import deque
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PURE_ENV = "GREENCERT_PURE_PYTHON"


def worker(n: int, repeat: int) -> dict[str, Any]:
    """One measurement, in the tree this process runs in (cwd)."""
    cpus = sorted(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpus[-1]})
    root = Path.cwd()
    # tests/support/ holds the reference evaluator; a tree from before the tests were arranged by package, tests/
    sys.path[:0] = [str(root / "benchmarks"), str(root / "tests" / "support"), str(root / "tests")]
    import workload
    from reference_evaluator import evaluate_reference

    from engine import application_from_data, evaluate, native
    from engine.decision import to_jsonable
    from engine.evaluator import evaluate_each

    repo = workload.load_repository(workload.write_workload())
    as_of = workload.AS_OF
    prepared = []
    for data in workload.generate_applications(n, seed=1):
        app, doc, diags = application_from_data(data)
        assert app is not None and doc is not None and not diags, diags
        prepared.append(repo.prepare(app, doc, as_of))
    compiled = prepared[0][0]
    items = [(a, u) for _, a, u in prepared]
    digest = hashlib.sha256()
    for c, a, u in prepared:
        digest.update(json.dumps(to_jsonable(evaluate(c, a, as_of, unit=u)), sort_keys=True).encode())
    for d in evaluate_each(compiled, items, as_of):
        digest.update(json.dumps(to_jsonable(d), sort_keys=True).encode())

    def best(fn: Any) -> float:
        fastest = float("inf")
        for _ in range(repeat):
            c0 = time.process_time()
            fn()
            fastest = min(fastest, time.process_time() - c0)
        return n / fastest

    def one_by_one() -> None:
        for c, a, u in prepared:
            evaluate(c, a, as_of, unit=u)

    rs, cat = compiled.ruleset, compiled.category
    out = {"evaluator": native.EVALUATOR, "compiled": native.compiled(), "decisions": digest.hexdigest(),
           "evaluate": best(one_by_one),
           "evaluate_each": best(lambda: deque(evaluate_each(compiled, items, as_of), maxlen=0)),
           "reference": best(lambda: [evaluate_reference(rs, cat, a, as_of, u) for _, a, u in prepared])}
    repo.close()
    return out


def measure(tree: Path, pure: bool, n: int, repeat: int) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k not in (PURE_ENV, "PYTHONPATH")}
    if pure:
        env[PURE_ENV] = "1"
    proc = subprocess.run([str(tree / ".venv" / "bin" / "python"), str(Path(__file__).resolve()), "--worker",
                           "--n", str(n), "--repeat", str(repeat)], cwd=tree, env=env, capture_output=True, text=True,
                          check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{tree} ({'source' if pure else 'compiled'}) failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", type=Path, help="the tree compared with (with its own .venv)")
    parser.add_argument("--tree", type=Path, default=HERE.parent, help="the tree measured (default: this one)")
    parser.add_argument("--n", type=int, default=1500, help="applications per measurement")
    parser.add_argument("--repeat", type=int, default=3, help="passes per measurement in one process (best counts)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (best counts)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.n, args.repeat)))
        return 0
    if args.baseline is None:
        parser.error("--baseline is required")
    trees = {"this": args.tree.resolve(), "baseline": args.baseline.resolve()}
    configs = [(name, pure) for pure in (False, True) for name in trees]
    best: dict[tuple[str, bool], dict[str, Any]] = {}
    for r in range(args.rounds):
        for name, pure in (configs if r % 2 == 0 else configs[::-1]):
            m = measure(trees[name], pure, args.n, args.repeat)
            kept = best.setdefault((name, pure), m)
            for key in ("evaluate", "evaluate_each", "reference"):
                kept[key] = max(kept[key], m[key])
        print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)
    print(f"{args.n} applications, best of {args.rounds} rounds x {args.repeat} passes, decisions per CPU second "
          f"(one pinned core); machine load {os.getloadavg()[0]:.2f}")
    print(f"{'tree':<9} {'mode':<9} {'evaluate':>9} {'each':>9} {'reference':>10} {'evaluate/ref':>13} {'each/ref':>9}  "
          "evaluator")
    for (name, pure), m in best.items():
        print(f"{name:<9} {'source' if pure else 'compiled':<9} {m['evaluate']:>9,.0f} {m['evaluate_each']:>9,.0f} "
              f"{m['reference']:>10,.0f} {m['evaluate'] / m['reference']:>12.3f}x "
              f"{m['evaluate_each'] / m['reference']:>8.3f}x  {m['evaluator']}")

    def rel(a: dict[str, Any], b: dict[str, Any], key: str) -> float:
        return (a[key] / a["reference"]) / (b[key] / b["reference"])

    for mode, pure in (("compiled", False), ("source", True)):
        a, b = best[("this", pure)], best[("baseline", pure)]
        print(f"this / baseline, {mode}: evaluate {a['evaluate'] / b['evaluate']:.3f}x, each "
              f"{a['evaluate_each'] / b['evaluate_each']:.3f}x; against each tree's reference: evaluate "
              f"{rel(a, b, 'evaluate'):.3f}x, each {rel(a, b, 'evaluate_each'):.3f}x")
    for name in trees:
        c, s = best[(name, False)], best[(name, True)]
        print(f"compiled / source, {name}: evaluate {c['evaluate'] / s['evaluate']:.3f}x, each "
              f"{c['evaluate_each'] / s['evaluate_each']:.3f}x")
    digests = {m["decisions"] for m in best.values()}
    print(f"decisions: {'identical' if len(digests) == 1 else 'DIFFER'} across the {len(best)} configurations "
          f"({2 * args.n} decisions each)")
    not_compiled = [name for name in trees if not best[(name, False)]["compiled"]]
    if not_compiled:
        print(f"warning: not compiled in {', '.join(not_compiled)}: the 'compiled' rows ran source")
    return 0 if len(digests) == 1 else 1


if __name__ == "__main__":
    sys.exit(main())
