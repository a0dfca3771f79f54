"""`greencert features` (its arguments: greencert_cli): run the Gherkin features (pytest in a subprocess) and report
criterion coverage."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from engine import PROJECT_ROOT, default_catalog_dir, default_rules_dir

from .coverage import ENV_COVERAGE, ENV_FEATURES, ENV_PATHS, render_text

__all__ = ["DEFAULT_OUTPUT", "EXIT_CODES", "cmd_features", "run_features"]

# 0: every scenario passed (and, with --coverage, every rule set is fully covered)
EXIT_CODES = {"ok": 0, "failed": 1, "not_covered": 2, "invalid": 3}
DEFAULT_OUTPUT = Path(".greencert") / "bdd-coverage.json"
_BINDING = PROJECT_ROOT / "features" / "test_gherkin_features.py"


def _rule_paths(args: argparse.Namespace) -> list[Path] | None:
    if not args.rules and not args.catalog:
        return None
    return [*(args.catalog or [default_catalog_dir()]), *(args.rules or [default_rules_dir()])]


def run_features(features: list[Path], rule_paths: list[Path] | None, output: Path,
                 keyword: str | None = None) -> tuple[int, str, dict[str, Any] | None]:
    """Run pytest on the features; return its exit status, its output and the coverage file's data."""
    env = dict(os.environ)
    env[ENV_FEATURES] = os.pathsep.join(str(p.resolve()) for p in features)
    env[ENV_COVERAGE] = str(output.resolve())
    if rule_paths is not None:
        env[ENV_PATHS] = os.pathsep.join(str(p.resolve()) for p in rule_paths)
    else:
        env.pop(ENV_PATHS, None)
    if output.exists():
        output.unlink()
    # only pytest-bdd is needed: other installed plugins (hypothesis, schemathesis) cost seconds of start-up
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    cmd = [sys.executable, "-m", "pytest", str(_BINDING), "-q", "-p", "pytest_bdd.plugin", "-p", "no:cacheprovider",
           "--no-header"]
    if keyword:
        cmd += ["-k", keyword]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    data = json.loads(output.read_text(encoding="utf-8")) if output.exists() else None
    return proc.returncode, proc.stdout + proc.stderr, data


def cmd_features(args: argparse.Namespace) -> int:
    features = args.paths or [PROJECT_ROOT / "features"]
    missing = [p for p in features if not p.exists()]
    if missing:
        print(f"greencert features: no such feature file or folder `{missing[0]}`", file=sys.stderr)
        return EXIT_CODES["invalid"]
    if not _BINDING.exists():
        print(f"greencert features: the step library is not installed (`{_BINDING}` is missing)", file=sys.stderr)
        return EXIT_CODES["invalid"]
    with tempfile.TemporaryDirectory(prefix="greencert-features-") as tmp:
        output = args.output or (DEFAULT_OUTPUT if args.coverage else Path(tmp) / "coverage.json")
        status, log, data = run_features(features, _rule_paths(args), output, args.keyword)
    if data is None:
        print(log, file=sys.stderr, end="")
        print("greencert features: pytest did not run the features (see its output above)", file=sys.stderr)
        return EXIT_CODES["invalid"]
    if data["errors"]:
        code = EXIT_CODES["invalid"]
    elif status not in (0, 5) or data["scenarios"]["failed"]:
        code = EXIT_CODES["failed"]
    elif data["scenarios"]["total"] == 0:
        code = EXIT_CODES["invalid"]
    elif args.coverage and not data["complete"]:
        code = EXIT_CODES["not_covered"]
    else:
        code = EXIT_CODES["ok"]
    if args.format == "json":
        out = dict(data)
        out["exit_code"] = code
        if not args.coverage:
            out = {k: v for k, v in out.items() if k in ("format", "scenarios", "errors", "exit_code")}
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return code
    print(log, end="" if log.endswith("\n") else "\n")
    if args.coverage:
        print(render_text(data))
        print(f"coverage file: {output}")
    return code
