#!/usr/bin/env python3
"""schemathesis `--checks all` against the running service, as every role, on SQLite and PostgreSQL; exit 1 when
a failure is not one of the intended ones (docs/api.md, "Schemathesis").

    .venv/bin/python scripts/schemathesis_run.py --backend both --max-examples 100

For each backend: an empty database (an SQLite file, or a fresh schema of the PostgreSQL database named by
`--postgres-url` / GREENCERT_TEST_POSTGRES_URL), `greencert serve` on a free port, keys of every role for two
organisations (`st-a`, `st-b`) and an operator key, one evaluation and one stored self-check of each
organisation. Then one schemathesis run per role (its key from organisation `st-a`; schemathesis's own CLI,
every phase, `--checks all`); for the roles that own objects (certification bodies: evaluations,
manufacturers: self-checks, administrators: keys) the key of the same role in `st-b` is declared a peer, so
`object_level_authorization` replays each read of one organisation's object as the other organisation.

Every failed check is read from schemathesis's NDJSON report with the response it failed on and sorted into the
intended ones (each named, with its reason, in `INTENDED` and in docs/api.md) and the others; the others are
printed with the request that reproduces them. The failed-authentication limit is raised for the run
(`GREENCERT_AUTH_FAILURE_LIMIT`): schemathesis presents thousands of invalid keys from one address on purpose,
and the limit's own answers (429) are tested in tests/api/test_api_abuse.py.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api.examples import APPLICATION  # noqa: E402
from scripts.served import Served, greencert  # noqa: E402

ROLES = ("certification_body", "manufacturer", "rule_author", "administrator", "operator")
# roles whose objects another organisation's key of the same role must not see
PEER_ROLES = ("certification_body", "manufacturer", "administrator")
AS_OF = "2026-11-01"
POSTGRES_ENV = "GREENCERT_TEST_POSTGRES_URL"


@dataclass(frozen=True)
class Intended:
    """A failure schemathesis reports that is the service's intended behaviour."""

    name: str
    check: str
    why: str
    statuses: frozenset[int]
    codes: frozenset[str] = frozenset()  # the response's diagnostic codes must all be among these (if given)
    operations: str = ".*"  # a regular expression on "METHOD /path"
    items_refused: bool = False  # a batch answer: some item was refused (status 4xx) in it

    def matches(self, f: Failure) -> bool:
        return (f.check == self.check and f.status in self.statuses
                and (not self.codes or (bool(f.codes) and set(f.codes) <= self.codes))
                and re.fullmatch(self.operations, f.operation) is not None
                and (not self.items_refused or any(400 <= s < 500 for s in f.item_statuses)))


# The engine's checks of an application that a JSON Schema cannot express: references to the catalogue and the
# rule set, units, dates in force, values beyond what a double or a unit conversion holds; and the Idempotency-Key
# contract. (`application_schema_error` is not among them: a schema-valid application refused by the engine's
# own schema would be a disagreement between the two, a bug.)
_SEMANTIC = frozenset({"application_reference_error", "application_unit_error", "application_value_error",
                       "edition_not_in_force", "idempotency_key_reused", "json_value_error", "invalid_text",
                       "number_out_of_range"})

INTENDED: tuple[Intended, ...] = (
    Intended(
        "semantic_refusal", "positive_data_acceptance",
        "the application fits the JSON Schema but the engine refuses it: an unknown category, indicator, unit or "
        "edition, a value no unit conversion can hold, a date the rule set does not accept, text holding a NUL or a "
        "lone surrogate (no database stores it), a number that fits no double; or the request reuses "
        "an Idempotency-Key for a different request (422, as the Idempotency-Key draft asks). A JSON Schema "
        "cannot say which indicators a category has, so schema-valid requests are refused with the diagnostics "
        "that name the field",
        frozenset({422}), _SEMANTIC),
    Intended(
        "batch_limit", "positive_data_acceptance",
        "a batch may hold at most GREENCERT_MAX_BATCH_ITEMS items (100): more are refused with `batch_too_large`; "
        "the limit is a setting, so the schema does not carry it",
        frozenset({422}), frozenset({"batch_too_large"}), r"POST /v1/(evaluations|self-checks)/batch"),
    Intended(
        "batch_items", "negative_data_rejection",
        "a batch answers 200 with a result or the diagnostics for each item: an item that violates the application "
        "schema is refused on its own (its `status` 422 and its diagnostics), the other items are decided",
        frozenset({200}), operations=r"POST /v1/(evaluations|self-checks)/batch", items_refused=True),
    Intended(
        "uploaded_file_is_bytes", "negative_data_rejection",
        "the rule file upload is a multipart file, whose content is bytes whatever schemathesis generated for it (a "
        "number, an object): every upload is answered with its validation report (200, `ok: false` and the "
        "diagnostics for a file that is no rule set)",
        frozenset({200}), operations=r"POST /v1/rulesets/validate"),
    Intended(
        "impact_refusal", "positive_data_acceptance",
        "an impact job names a category and an edition (and maybe a what-if overlay targeting it): which editions a "
        "category has, a JSON Schema cannot say (422 `impact_edition_unknown`, `impact_overlay_target`); and a body "
        "has one impact job active at a time, the service a bounded number (409 `impact_job_busy`): a state, not a "
        "schema bound",
        frozenset({409, 422}), frozenset({"impact_edition_unknown", "impact_overlay_target", "impact_job_busy"}),
        r"POST /v1/impact-jobs"),
    Intended(
        "body_limit", "positive_data_acceptance",
        "a body over GREENCERT_MAX_BODY_BYTES (2 MB) is refused with 413 before it is read; a setting, not a "
        "schema bound",
        frozenset({413}), frozenset({"body_too_large"})),
)


@dataclass
class Failure:
    backend: str
    role: str
    check: str
    code: str
    title: str
    operation: str
    status: int | None
    codes: list[str]
    request: str
    body: str
    item_statuses: list[int] = field(default_factory=list)

    def key(self) -> tuple[str, str, int | None, tuple[str, ...]]:
        return self.check, self.operation, self.status, tuple(self.codes)


@dataclass
class RoleRun:
    backend: str
    role: str
    cases: int = 0
    seconds: float = 0.0
    exit_code: int = 0
    errors: list[str] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)


def _decode(content: Any) -> bytes:
    if isinstance(content, dict) and "$base64" in content:
        return base64.b64decode(content["$base64"])
    if isinstance(content, dict) and "string" in content:
        return str(content["string"]).encode("utf-8", "replace")
    return b"" if content is None else str(content).encode("utf-8", "replace")


def read_report(path: Path, backend: str, role: str) -> tuple[int, list[Failure], list[str]]:
    """Cases generated, failed checks (with the response each failed on) and errors of one NDJSON report."""
    cases: set[str] = set()
    failures: list[Failure] = []
    errors: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        if "NonFatalError" in event or "FatalError" in event:
            data = event.get("NonFatalError") or event.get("FatalError")
            errors.append(json.dumps(data)[:500])
            continue
        scenario = event.get("ScenarioFinished")
        if not scenario:
            continue
        recorder = scenario["recorder"]
        interactions = recorder.get("interactions", {})
        cases.update(recorder.get("cases", {}))
        for case_id, checks in recorder.get("checks", {}).items():
            for check in checks:
                if check.get("status") != "failure":
                    continue
                info = (check.get("failure_info") or {}).get("failure") or {}
                interaction = interactions.get(case_id) or {}
                response = interaction.get("response") or {}
                request = interaction.get("request") or {}
                body = _decode(response.get("content"))
                try:
                    document = json.loads(body)
                except ValueError:
                    document = None
                codes: list[str] = []
                items: list[Any] = []
                if isinstance(document, dict):
                    codes = [str(d.get("code")) for d in document.get("diagnostics") or [] if isinstance(d, dict)]
                    items = [r.get("status") for r in document.get("results") or [] if isinstance(r, dict)]
                failures.append(Failure(
                    backend, role, check["name"], info.get("code", ""), info.get("title", ""),
                    info.get("operation", recorder.get("label", "")), response.get("status_code"), codes,
                    f"{request.get('method')} {request.get('uri')} "
                    f"{_decode(request.get('body'))[:300]!r}", body[:500].decode("utf-8", "replace"),
                    [s for s in items if isinstance(s, int)]))
    return len(cases), failures, errors


@contextmanager
def database(backend: str, tmp: Path, postgres_url: str | None) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp / 'greencert.db'}"
        return
    if not postgres_url:
        raise SystemExit(f"--postgres-url (or {POSTGRES_ENV}) is needed for the PostgreSQL run")
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    name = f"gc_schemathesis_{uuid.uuid4().hex[:10]}"
    engine = create_engine(postgres_url)
    with engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{name}"')
    try:
        yield make_url(postgres_url).update_query_dict({"options": f"-csearch_path={name}"}).render_as_string(
            hide_password=False)
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        engine.dispose()


def _keys(env: dict[str, str]) -> dict[str, str]:
    tokens = {}
    for org in ("a", "b"):
        for role in ROLES[:-1]:
            out = greencert("keys", "create", "--org", f"st-{org}", "--role", role, "--format", "json", env=env)
            tokens[f"{role}@{org}"] = json.loads(out)["token"]
    out = greencert("keys", "create", "--org", "service", "--role", "operator", "--format", "json", env=env)
    tokens["operator"] = json.loads(out)["token"]
    return tokens


def _seed(base: str, tokens: dict[str, str]) -> None:
    """A record of each kind in each organisation, for reads and re-runs to find."""
    with httpx.Client(base_url=base, timeout=60) as c:
        for org in ("a", "b"):
            for path, role in ((f"/v1/evaluations?as_of={AS_OF}", "certification_body"),
                               (f"/v1/self-checks?as_of={AS_OF}&store=true", "manufacturer")):
                r = c.post(path, json=APPLICATION, headers={"Authorization": f"Bearer {tokens[f'{role}@{org}']}"})
                r.raise_for_status()


def _run_role(args: argparse.Namespace, base: str, tmp: Path, backend: str, role: str, wfc: Path) -> RoleRun:
    user = role if role == "operator" else f"{role}@a"
    lines = ["[auth.wfc]", f'path = "{wfc}"', f'user = "{user}"']
    if role in PEER_ROLES:
        lines.append(f'peers = ["{role}@a", "{role}@b"]')
    config = tmp / f"schemathesis-{role}.toml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = tmp / f"report-{backend}-{role}.ndjson"
    command = [sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "run", f"{base}/openapi.json",
               "--checks", "all", "--max-examples", str(args.max_examples), "--seed", str(args.seed),
               "--workers", str(args.st_workers), "--report", "ndjson", "--report-ndjson-path", str(report),
               "--request-timeout", "60"]
    if args.phases:
        command += ["--phases", args.phases]
    command += args.st_option
    started = time.monotonic()
    done = subprocess.run(command, cwd=tmp, capture_output=True, text=True, timeout=args.timeout,
                          env={**os.environ, "NO_COLOR": "1"})
    run = RoleRun(backend, role, seconds=time.monotonic() - started, exit_code=done.returncode)
    (tmp / f"output-{backend}-{role}.txt").write_text(done.stdout + done.stderr, encoding="utf-8")
    if not report.exists():
        run.errors.append(f"schemathesis wrote no report (exit {done.returncode}): {done.stderr[-1000:]}")
        return run
    run.cases, run.failures, run.errors = read_report(report, backend, role)
    return run


def run_backend(args: argparse.Namespace, backend: str) -> list[RoleRun]:
    if args.work_dir is not None:
        tmp = args.work_dir / backend
        tmp.mkdir(parents=True, exist_ok=True)
    else:
        tmp = Path(tempfile.mkdtemp(prefix=f"greencert-schemathesis-{backend}-"))
    with database(backend, tmp, args.postgres_url) as url:
        env = {**os.environ, "GREENCERT_DATABASE_URL": url, "PYTHONUNBUFFERED": "1",
               "GREENCERT_AUTH_FAILURE_LIMIT": "1000000"}
        env.pop("GREENCERT_RULES_DIRS", None)
        env.pop("GREENCERT_OVERLAY_DIRS", None)
        tokens = _keys(env)
        server = Served(args.workers, env, tmp / "server.log")
        server.start()
        try:
            _seed(server.base, tokens)
            wfc = tmp / "users.json"
            wfc.write_text(json.dumps({"auth": [
                {"name": name, "fixedHeaders": [{"name": "Authorization", "value": f"Bearer {token}"}]}
                for name, token in tokens.items()]}), encoding="utf-8")
            runs = []
            for role in args.roles:
                run = _run_role(args, server.base, tmp, backend, role, wfc)
                runs.append(run)
                print(f"  {backend:<8} {role:<18} {run.cases:>6} cases {run.seconds:>6.0f} s  "
                      f"{len(run.failures)} failed checks", flush=True)
        finally:
            server.stop()
    print(f"  (reports, outputs and the server log: {tmp})")
    return runs


def _saved_run(path: Path) -> RoleRun:
    _, backend, role = path.stem.split("-", 2)
    run = RoleRun(backend, role)
    run.cases, run.failures, run.errors = read_report(path, backend, role)
    return run


def summarise(runs: list[RoleRun]) -> dict[str, Any]:
    intended: Counter[str] = Counter()
    unexpected: dict[tuple[Any, ...], Failure] = {}
    for run in runs:
        for f in run.failures:
            match = next((i for i in INTENDED if i.matches(f)), None)
            if match is not None:
                intended[match.name] += 1
            else:
                unexpected.setdefault((f.backend, *f.key()), f)
    return {"cases": sum(r.cases for r in runs), "runs": [{"backend": r.backend, "role": r.role, "cases": r.cases,
                                                           "seconds": round(r.seconds, 1), "failed_checks": len(r.failures),
                                                           "errors": r.errors} for r in runs],
            "intended": dict(intended),
            "unexpected": [asdict(f) for f in unexpected.values()],
            "errors": [e for r in runs for e in r.errors]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="sqlite")
    parser.add_argument("--postgres-url", default=os.environ.get(POSTGRES_ENV))
    parser.add_argument("--max-examples", type=int, default=100, help="per operation and phase (schemathesis)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--roles", nargs="+", choices=ROLES, default=list(ROLES))
    parser.add_argument("--phases", help="schemathesis phases (default: all of them)")
    parser.add_argument("--workers", type=int, default=1, help="worker processes of the service")
    parser.add_argument("--st-workers", type=int, default=1, help="schemathesis's concurrent workers")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds for one role's run")
    parser.add_argument("--summary", type=Path, help="write the summary as JSON here")
    parser.add_argument("--reports", type=Path, nargs="+", metavar="DIR",
                        help="run nothing: sort the failures of the NDJSON reports a run left in DIR again")
    parser.add_argument("--work-dir", type=Path, help="for the reports, outputs and server logs (default: a new "
                                                      "temporary directory, kept)")
    parser.add_argument("--st-option", action="append", default=[],
                        help="passed on to `schemathesis run`, e.g. --st-option=--include-path-regex=^/v1/keys")
    args = parser.parse_args(argv)

    backends = ("sqlite", "postgres") if args.backend == "both" else (args.backend,)
    if args.reports:
        runs = [_saved_run(path) for directory in args.reports for path in sorted(directory.glob("report-*.ndjson"))]
    else:
        runs = [run for backend in backends for run in run_backend(args, backend)]
    summary = summarise(runs)
    if args.summary:
        args.summary.write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"{summary['cases']} generated test cases; intended failures: {summary['intended'] or 'none'}")
    for f in summary["unexpected"]:
        print(f"UNEXPECTED [{f['backend']} {f['role']}] {f['operation']}: {f['check']} ({f['code']} {f['title']}) "
              f"-> {f['status']} {f['codes']}\n    {f['request']}\n    {f['body'][:300]}")
    for e in summary["errors"]:
        print(f"ERROR {e}")
    return 1 if summary["unexpected"] or summary["errors"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
