"""engine.parallel: worker processes give exactly the sequential results, in input order, errors included."""

from __future__ import annotations

import datetime as dt
import os
import signal
from pathlib import Path
from typing import Any

import psutil
import pytest
import yaml

from benchmarks import workload
from engine import parallel
from engine.loader import PROJECT_ROOT
from engine.parallel import ItemResult, ParallelEvaluator, evaluate_chunk, evaluate_many, evaluate_one
from engine.repository import Repository

AS_OF = dt.date(2026, 11, 1)


@pytest.fixture(scope="module")
def workload_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return workload.write_workload(tmp_path_factory.mktemp("workload"))


@pytest.fixture(scope="module")
def paths(workload_root: Path) -> list[Path]:
    return [PROJECT_ROOT / "catalogs", PROJECT_ROOT / "rules", *workload.workload_paths(workload_root)]


def _items() -> list[Any]:
    """Workload applications as data, every shipped example as YAML text, and a few broken items."""
    items: list[Any] = list(workload.generate_applications(150, seed=5))
    for path in sorted((PROJECT_ROOT / "examples").glob("*/*.yaml")):
        if path.name != "expected.yaml":
            items.append(path.read_text(encoding="utf-8"))
    items.insert(3, {"category": "bench_widget"})  # schema error: no product
    items.insert(10, "format: [unclosed")  # YAML syntax error
    items.insert(20, {"category": "no_such_category", "product": {"model": "M"}, "evidence": {}})
    broken = dict(items[30])
    broken["product"] = {"model": "M", "parameters": {"use": "spaceship"}}
    items.insert(30, broken)  # a parameter value that is not a choice
    return items


def _summary(results: list[ItemResult]) -> list[tuple[int, str | None, tuple[str, ...]]]:
    return [(r.index, r.decision.outcome if r.decision else None, tuple(d.code for d in r.diagnostics))
            for r in results]


@pytest.fixture(scope="module")
def items() -> list[Any]:
    return _items()


@pytest.fixture(scope="module")
def sequential(items: list[Any], paths: list[Path]) -> list[ItemResult]:
    return evaluate_many(items, AS_OF, workers=0, paths=paths)


def test_sequential_reference_run_has_decisions_and_diagnostics(sequential: list[ItemResult]) -> None:
    assert [r.index for r in sequential] == list(range(len(sequential)))
    outcomes = {r.decision.outcome for r in sequential if r.decision}
    assert outcomes == {"granted", "refused", "incomplete"}
    failed = [r for r in sequential if not r.ok]
    assert {r.index for r in failed} >= {3, 10, 20, 30}
    assert all(r.diagnostics and r.decision is None for r in failed)
    codes = {d.code for r in failed for d in r.diagnostics}
    assert {"application_schema_error", "yaml_syntax_error", "application_reference_error"} <= codes


def test_two_spawned_workers_give_the_sequential_results_in_order(items: list[Any], paths: list[Path],
                                                                   sequential: list[ItemResult]) -> None:
    parallel = evaluate_many(items, AS_OF, workers=2, paths=paths, chunk_size=7)
    assert [r.index for r in parallel] == list(range(len(items)))
    assert parallel == sequential  # decisions and diagnostics, field by field


def test_forkserver_worker_gives_the_same_results(items: list[Any], paths: list[Path],
                                                  sequential: list[ItemResult]) -> None:
    subset = items[:60]
    assert evaluate_many(subset, AS_OF, workers=1, paths=paths, start_method="forkserver") == sequential[:60]


def test_a_pool_is_reused_across_batches(items: list[Any], paths: list[Path], sequential: list[ItemResult]) -> None:
    with ParallelEvaluator(2, paths=paths) as pool:
        first = pool.evaluate(items[:40], AS_OF)
        second = pool.evaluate(items[40:], AS_OF)
        assert pool.evaluate([], AS_OF) == []
    assert _summary(first) == _summary(sequential[:40])
    assert [r.decision for r in second] == [r.decision for r in sequential[40:]]
    assert [r.index for r in second] == list(range(len(items) - 40))  # indexes are per batch


def test_a_dead_worker_loses_no_item(items: list[Any], paths: list[Path], sequential: list[ItemResult]) -> None:
    with ParallelEvaluator(2, paths=paths, chunk_size=5) as pool:
        workers = psutil.Process().children(recursive=True)
        victims = [p for p in workers if "multiprocessing" in " ".join(p.cmdline()) and
                   "resource_tracker" not in " ".join(p.cmdline())]
        assert victims, [p.cmdline() for p in workers]
        os.kill(victims[0].pid, signal.SIGKILL)
        victims[0].wait(10)
        results = pool.evaluate(items, AS_OF)
    assert results == sequential


def test_a_chunk_evaluated_in_batches_gives_what_each_item_gives_alone(items: list[Any], paths: list[Path],
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """`evaluate_chunk` (what workers run: each rule set's applications through `evaluate_batch`) gives exactly
    `evaluate_one`'s results, decisions and diagnostics, for a chunk mixing rule sets and broken items; and
    when a batch fails, the items are retried one by one and only the one at fault loses its decision."""
    repo = Repository.load(paths)
    try:
        alone = [evaluate_one(repo, i, item, AS_OF) for i, item in enumerate(items)]
        together = evaluate_chunk(repo, list(enumerate(items)), AS_OF)
        assert together == alone
        assert sum(r.ok for r in together) > 150 and sum(not r.ok for r in together) >= 4

        # the victim's scope names a label the rule set does not have: intake would refuse it, so here it can
        # only fail inside evaluation (the injection goes through `engine.parallel`, which is plain Python; the
        # evaluator may be compiled, where patching its functions would not take)
        victim = next(r.decision.application_id for r in alone if r.decision and r.decision.application_id)
        real_prepare = parallel._prepare

        def prepare(repo: Any, index: int, item: Any, as_of: dt.date, stored: bool = False) -> Any:
            prepared = real_prepare(repo, index, item, as_of, stored)
            if isinstance(prepared, tuple) and prepared[1].id == victim:
                compiled, app, unit = prepared
                return compiled, app.model_copy(update={"scope": ("no_such_label",)}), unit
            return prepared

        monkeypatch.setattr(parallel, "_prepare", prepare)
        retried = evaluate_chunk(repo, list(enumerate(items)), AS_OF)
        broken = [r for r in retried if r.decision is None and r != alone[r.index]]
        assert [d.code for r in broken for d in r.diagnostics] == ["evaluation_error"] * len(broken) and broken
        assert all(r.decision is not None and r.decision.application_id == victim for r in (alone[b.index] for b in broken))
        assert [r for r in retried if r not in broken] == [r for r in alone if r.index not in {b.index for b in broken}]
    finally:
        repo.close()


def test_fork_is_refused() -> None:
    with pytest.raises(ValueError, match="fork"):
        ParallelEvaluator(1, start_method="fork")


def test_results_match_the_expected_example_outcomes(paths: list[Path]) -> None:
    """The shipped examples' expected outcomes (without overlays), evaluated by two workers."""
    cases: list[tuple[str, str]] = []
    texts: list[str] = []
    for expected in sorted((PROJECT_ROOT / "examples").glob("*/expected.yaml")):
        for e in yaml.safe_load(expected.read_text(encoding="utf-8")) or []:
            if e.get("overlay") or str(e["as_of"]) != AS_OF.isoformat():
                continue
            cases.append((f"{expected.parent.name}/{e['file']}", e["outcome"]))
            texts.append((expected.parent / e["file"]).read_text(encoding="utf-8"))
    assert len(cases) >= 10
    results = evaluate_many(texts, AS_OF, workers=2, paths=paths)
    assert [(name, r.decision.outcome if r.decision else r.diagnostics) for (name, _), r in zip(cases, results)] == cases


def _task(repo: Repository, payload: str) -> tuple[str, int, int]:
    """A task for map_tasks: run in a worker, with the worker's repository (dies on `die`)."""
    if payload == "die":
        os._exit(3)
    return payload, len(repo.rulesets), os.getpid()


def test_map_tasks_runs_in_the_workers_in_order_and_a_task_that_kills_its_worker_twice_is_failed(
        paths: list[Path]) -> None:
    payloads = [f"p{k}" for k in range(12)]
    rulesets = len(Repository.load(paths).rulesets)
    done: list[int] = []
    with ParallelEvaluator(2, paths=paths, preload=("json",)) as pool:
        out = pool.map_tasks(_task, payloads, failed=lambda p: (p, -1, 0), done=lambda i, r: done.append(i))
        assert [o[:2] for o in out] == [(p, rulesets) for p in payloads]
        assert {o[2] for o in out} <= set(pool.pids()) and os.getpid() not in {o[2] for o in out}
        assert sorted(done) == list(range(12))
        mixed = pool.map_tasks(_task, ["a", "die", "b"], failed=lambda p: (p, -1, 0))
        assert [m[:2] for m in mixed] == [("a", rulesets), ("die", -1), ("b", rulesets)]
        assert pool.map_tasks(_task, ["c"], failed=lambda p: (p, -1, 0))[0][:2] == ("c", rulesets)  # a new pool
    with ParallelEvaluator(0, paths=paths) as local:
        assert local.map_tasks(_task, ["d"], failed=lambda p: (p, -1, 0)) == [("d", rulesets, os.getpid())]
