"""Evaluate many applications across worker processes; results come back in input order, errors as diagnostics."""

# durable-rules holds the GIL for the whole of every call, so threads do not evaluate in parallel: processes
# do. Workers are started with `spawn` (or `forkserver`), never `fork`: a forked child would inherit the
# parent's durable-rules rule sets and their sessions. Each worker loads its own Repository once (in the
# pool initializer) and then evaluates chunks of items; an item is JSON data (a mapping, as the API
# receives it) or YAML/JSON text, and its result is a Decision or the diagnostics that explain why there is
# none. Nothing is lost: an item whose worker died is retried once in a fresh pool, then reported with the
# diagnostic `worker_failed`.

from __future__ import annotations

import datetime as dt
import importlib
import math
import multiprocessing
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .application import Application
from .compiler import CompiledRuleSet
from .decision import Decision
from .diagnostics import Diagnostic, DiagnosticError
from .evaluator import evaluate, evaluate_batch
from .intake import application_from_data, application_from_stored, parse_application
from .repository import Repository

__all__ = ["ItemResult", "ParallelEvaluator", "evaluate_chunk", "evaluate_many", "evaluate_one"]

Item = Mapping[str, Any] | str


@dataclass(frozen=True, slots=True)
class ItemResult:
    """The outcome for one input item: a decision, or the diagnostics that say why there is none."""

    index: int
    decision: Decision | None
    diagnostics: tuple[Diagnostic, ...] = ()

    @property
    def ok(self) -> bool:
        return self.decision is not None


def evaluate_one(repo: Repository, index: int, item: Item, as_of: dt.date, *, binding: bool = True) -> ItemResult:
    """Intake and evaluation of one item; every failure becomes diagnostics on the result."""
    prepared = _prepare(repo, index, item, as_of)
    if isinstance(prepared, ItemResult):
        return prepared
    compiled, app, unit = prepared
    return _evaluate_guarded(compiled, index, app, unit, as_of, binding)


def evaluate_chunk(repo: Repository, chunk: Sequence[tuple[int, Item]], as_of: dt.date, *,
                   binding: bool = True, stored: bool = False) -> list[ItemResult]:
    """`evaluate_one` for each (index, item), in order: the same results, with the applications of each rule
    set evaluated together by `evaluate_batch` (shared durable sessions). Should a batch fail, its items are
    evaluated one by one, so that one item's failure never costs another its decision. `stored`: the items are
    applications read back from the service's database (`intake.application_from_stored`)."""
    results: dict[int, ItemResult] = {}
    groups: dict[str, tuple[CompiledRuleSet, list[tuple[int, Application, str | None]]]] = {}
    for index, item in chunk:
        prepared = _prepare(repo, index, item, as_of, stored)
        if isinstance(prepared, ItemResult):
            results[index] = prepared
            continue
        compiled, app, unit = prepared
        groups.setdefault(compiled.ruleset.id, (compiled, []))[1].append((index, app, unit))
    for compiled, members in groups.values():
        try:
            decisions = evaluate_batch(compiled, [(app, unit) for _, app, unit in members], as_of, binding=binding)
        except Exception:  # noqa: BLE001 - find the item at fault, keep the others' decisions
            for index, app, unit in members:
                results[index] = _evaluate_guarded(compiled, index, app, unit, as_of, binding)
        else:
            for (index, _, _), decision in zip(members, decisions):
                results[index] = ItemResult(index, decision)
    return [results[index] for index, _ in chunk]


def _prepare(repo: Repository, index: int, item: Item, as_of: dt.date,
             stored: bool = False) -> ItemResult | tuple[CompiledRuleSet, Application, str | None]:
    """Intake: the rule set, the checked application and its certification unit, or the diagnostics."""
    file = f"<item {index}>"
    try:
        if isinstance(item, str):
            app, doc, diags = parse_application(item, file)
        else:
            app, doc, diags = (application_from_stored if stored else application_from_data)(item, file)
        if diags or app is None or doc is None:
            return ItemResult(index, None, tuple(diags) or (Diagnostic("application_schema_error",
                                                                       "the application could not be read", file),))
        return repo.prepare(app, doc, as_of)
    except DiagnosticError as e:
        return ItemResult(index, None, tuple(e.diagnostics))
    except Exception as e:  # noqa: BLE001 - an engine failure on one item must not lose the others
        return _failed(index, e)


def _evaluate_guarded(compiled: CompiledRuleSet, index: int, app: Application, unit: str | None, as_of: dt.date,
                      binding: bool) -> ItemResult:
    try:
        return ItemResult(index, evaluate(compiled, app, as_of, unit=unit, binding=binding))
    except Exception as e:  # noqa: BLE001 - an engine failure on one item must not lose the others
        return _failed(index, e)


def _failed(index: int, e: Exception) -> ItemResult:
    return ItemResult(index, None, (Diagnostic(
        "evaluation_error", f"evaluation failed: {type(e).__name__}: {str(e)[:300]}", f"<item {index}>",
        hint="this is a bug in greencert, not in the application: please report it"),))


# ---------------------------------------------------------------------------------------------- worker side

_worker_repo: Repository | None = None


def _init_worker(paths: Sequence[str] | None, overlay_dirs: Sequence[str] = (), preload: Sequence[str] = ()) -> None:
    global _worker_repo
    for module in preload:  # the modules of the tasks to come, imported now rather than in the first task
        importlib.import_module(module)
    _worker_repo = Repository.load([Path(p) for p in paths] if paths is not None else None,
                                   [Path(p) for p in overlay_dirs])
    _worker_repo.compile_all()


def _run_chunk(chunk: Sequence[tuple[int, Item]], as_of: dt.date, binding: bool,
               reduce: Callable[[ItemResult], Any] | None = None) -> list[Any]:
    repo = _worker_repo
    if repo is None:  # pragma: no cover - the initializer always ran
        raise RuntimeError("worker has no repository")
    results = evaluate_chunk(repo, chunk, as_of, binding=binding)
    return results if reduce is None else [reduce(r) for r in results]


def _run_task(fn: Callable[[Repository, Any], Any], payload: Any) -> Any:
    repo = _worker_repo
    if repo is None:  # pragma: no cover - the initializer always ran
        raise RuntimeError("worker has no repository")
    return fn(repo, payload)


def _ping() -> int:
    return os.getpid()


# ---------------------------------------------------------------------------------------------- parent side

class ParallelEvaluator:
    """A pool of worker processes, each with its own Repository; reuse it across calls (starting a worker
    and loading the rule sets takes about a second).

    `workers=0` evaluates in this process (same results, no pool), which is what small batches want."""

    def __init__(self, workers: int | None = None, *, paths: Sequence[Path] | None = None,
                 start_method: str = "spawn", chunk_size: int | None = None, overlay_dirs: Sequence[Path] = (),
                 preload: Sequence[str] = ()):
        if start_method not in ("spawn", "forkserver"):
            raise ValueError(f"start method `{start_method}` is not allowed: use `spawn` or `forkserver`")
        self.workers = max(0, workers if workers is not None else (os.cpu_count() or 1))
        self.paths = [str(p) for p in paths] if paths is not None else None
        self.overlay_dirs = [str(p) for p in overlay_dirs]  # a body's licensed limits, merged in every worker
        self.start_method = start_method
        self.preload = tuple(preload)  # modules each worker imports as it starts (those of `map_tasks`' functions)
        self.chunk_size = chunk_size
        self._pool: ProcessPoolExecutor | None = None
        self._local: Repository | None = None

    def __enter__(self) -> ParallelEvaluator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        """Start the workers and wait until each has loaded its Repository."""
        if self.workers == 0:
            if self._local is None:
                self._local = Repository.load([Path(p) for p in self.paths] if self.paths is not None else None,
                                              [Path(p) for p in self.overlay_dirs])
            return
        if self._pool is None:
            self._pool = self._new_pool()
            # one trivial task per worker: returns once the pool's initializers have run
            for f in [self._pool.submit(_ping) for _ in range(self.workers)]:
                f.result()

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context(self.start_method),
                                   initializer=_init_worker, initargs=(self.paths, self.overlay_dirs, self.preload))

    def pids(self) -> list[int]:
        """The worker processes' ids (none before `start`, nor with `workers=0`): for measuring their CPU time."""
        return sorted((self._pool._processes or {}).keys()) if self._pool is not None else []

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        if self._local is not None:
            self._local.close()
            self._local = None

    def map_tasks(self, fn: Callable[[Repository, Any], Any], payloads: Sequence[Any], *,
                  failed: Callable[[Any], Any], done: Callable[[int, Any], None] | None = None) -> list[Any]:
        """`fn(repository, payload)` for each payload in the workers (`fn` a module-level function, so that it
        pickles by name; a payload small: the worker fetches what it needs), results in payload order. For work
        whose input the worker reads itself (the impact analysis reads its certificates from the database), so
        that neither the reading nor the pickling of the inputs is left to this process. `done(i, result)` is
        called here as each payload's result arrives (in completion order). A payload whose worker died twice:
        `failed(payload)` in its place."""
        if not payloads:
            return []
        self.start()
        if self.workers == 0:
            assert self._local is not None
            out = []
            for i, payload in enumerate(payloads):
                out.append(fn(self._local, payload))
                if done is not None:
                    done(i, out[-1])
            return out
        results: dict[int, Any] = {}
        pending = list(range(len(payloads)))
        for attempt in range(2):
            if not pending:
                break
            if attempt and self._pool is None:
                self._pool = self._new_pool()
            assert self._pool is not None
            futures: dict[Future[Any], int] = {}
            for i in pending:
                try:
                    futures[self._pool.submit(_run_task, fn, payloads[i])] = i
                except BrokenProcessPool:
                    break
            broken = [i for i in pending if i not in futures.values()]
            for future in as_completed(futures):
                i = futures[future]
                try:
                    results[i] = future.result()
                except BrokenProcessPool:
                    broken.append(i)
                    continue
                if done is not None:
                    done(i, results[i])
            if broken:
                # a worker died (a crash in native code, or it was killed): the pool is unusable
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None
            pending = sorted(broken)
        for i in pending:
            results[i] = failed(payloads[i])
            if done is not None:
                done(i, results[i])
        return [results[i] for i in range(len(payloads))]

    def evaluate(self, items: Iterable[Item], as_of: dt.date, *, binding: bool = True) -> list[ItemResult]:
        """One result per item, in input order."""
        return self.evaluate_reduced(items, as_of, binding=binding)

    def evaluate_reduced(self, items: Iterable[Item], as_of: dt.date, *, binding: bool = True,
                         reduce: Callable[[ItemResult], Any] | None = None) -> list[Any]:
        """`evaluate`, with `reduce` (a module-level function, so that it pickles by name) applied to each result
        in the worker: only what it returns crosses back to this process (a decision is a large object to pickle
        when the caller needs a few fields of it). A worker that died: `reduce` of the `worker_failed` result."""
        indexed = list(enumerate(items))
        if not indexed:
            return []
        self.start()
        if self.workers == 0:
            assert self._local is not None
            local = evaluate_chunk(self._local, indexed, as_of, binding=binding)
            return local if reduce is None else [reduce(r) for r in local]
        size = self.chunk_size or max(1, min(256, math.ceil(len(indexed) / (self.workers * 4))))
        chunks = [indexed[k:k + size] for k in range(0, len(indexed), size)]
        results: dict[int, list[Any]] = {}
        pending = list(range(len(chunks)))
        for attempt in range(2):
            if not pending:
                break
            if attempt and self._pool is None:
                self._pool = self._new_pool()
            assert self._pool is not None
            futures: list[tuple[int, Future[list[Any]]]] = []
            for c in pending:
                try:
                    futures.append((c, self._pool.submit(_run_chunk, chunks[c], as_of, binding, reduce)))
                except BrokenProcessPool:
                    break
            failed: list[int] = [c for c in pending if c not in {k for k, _ in futures}]
            for c, future in futures:
                try:
                    results[c] = future.result()
                except BrokenProcessPool:
                    failed.append(c)
            if failed:
                # a worker died (a crash in native code, or it was killed): the pool is unusable
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None
            pending = sorted(failed)
        for c in pending:
            results[c] = [ItemResult(i, None, (Diagnostic(
                "worker_failed", "the worker process evaluating this application stopped twice", f"<item {i}>",
                hint="evaluate it on its own to see the failure"),)) for i, _ in chunks[c]]
            if reduce is not None:
                results[c] = [reduce(r) for r in results[c]]
        out = [r for c in range(len(chunks)) for r in results[c]]
        assert len(out) == len(indexed)
        if reduce is None:
            assert [r.index for r in out] == [i for i, _ in indexed]
        return out


def evaluate_many(items: Iterable[Item], as_of: dt.date, *, workers: int | None = None,
                  paths: Sequence[Path] | None = None, start_method: str = "spawn", chunk_size: int | None = None,
                  binding: bool = True) -> list[ItemResult]:
    """Evaluate `items` as of `as_of` across `workers` processes (default: one per CPU); one result per item,
    in input order. For repeated batches keep a `ParallelEvaluator` instead (workers start once)."""
    with ParallelEvaluator(workers, paths=paths, start_method=start_method, chunk_size=chunk_size) as pool:
        return pool.evaluate(items, as_of, binding=binding)
