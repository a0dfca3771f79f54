"""The `greencert` command line: validate rule files, check an application, list the catalogue."""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from .diagnostics import Diagnostic, DiagnosticError, format_diagnostic
from .intake import read_application
from .loader import default_catalog_dir, default_rules_dir, load
from .overlays import apply_overlays
from .report import print_decision
from .repository import Repository

__all__ = ["main", "EXIT_CODES"]

# Exit codes: one per outcome, then invalid input. Scripts can branch on them.
EXIT_CODES = {"granted": 0, "refused": 1, "incomplete": 2, "invalid": 3}

# Commands contributed by other parts of the project; each module has `register(subparsers)`.
_EXTENSIONS = ("api.commands", "engine.bdd.commands")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"`{text}` is not a date (write YYYY-MM-DD)") from None


def _print_diagnostics(diags: Sequence[Diagnostic], fmt: str, out: Any = None) -> None:
    out = out or sys.stderr
    if fmt == "json":
        print(json.dumps({"diagnostics": [d.to_dict() for d in diags]}, ensure_ascii=False, indent=2), file=out)
    else:
        for d in diags:
            print(format_diagnostic(d), file=out)


def _rule_paths(args: argparse.Namespace) -> list[Path] | None:
    if getattr(args, "rules", None):
        return [default_catalog_dir(), *args.rules]
    return None


def _overlays(args: argparse.Namespace) -> list[Path]:
    dirs = list(getattr(args, "overlay", None) or [])
    env = os.environ.get("GREENCERT_OVERLAY_DIRS")
    if env and not dirs:
        dirs = [Path(p) for p in env.split(os.pathsep) if p]
    return dirs


def cmd_validate(args: argparse.Namespace) -> int:
    paths = args.paths or [default_catalog_dir(), default_rules_dir()]
    result = load(paths)
    overlay_dirs = _overlays(args)
    if overlay_dirs:
        if result.ok:
            result, _ = apply_overlays(result, overlay_dirs)
        else:
            result.diagnostics.append(Diagnostic("overlay_not_checked",
                                                 "overlays are checked once the rule sets they target validate"))
    if args.format == "json":
        print(json.dumps({"files": result.files, "ok": result.ok,
                          "diagnostics": [d.to_dict() for d in result.diagnostics]}, ensure_ascii=False, indent=2))
    else:
        _print_diagnostics(result.diagnostics, "text", sys.stdout)
        errors = sum(1 for d in result.diagnostics if d.severity == "error")
        print(f"{len(result.files)} file(s) read, {len(result.categories)} categor(y/ies), "
              f"{len(result.rulesets)} rule set(s), {errors} problem(s)")
    return 0 if result.ok else 1


def cmd_check(args: argparse.Namespace) -> int:
    as_of = args.as_of or dt.date.today()
    app, doc, diags = read_application(args.application)
    if app is None or doc is None or diags:
        _print_diagnostics(diags, args.format, sys.stdout if args.format == "json" else sys.stderr)
        return EXIT_CODES["invalid"]
    try:
        repo = Repository.load(_rule_paths(args), _overlays(args))
        decision = repo.check(app, doc, as_of, binding=not args.self_check)
    except DiagnosticError as e:
        _print_diagnostics(e.diagnostics, args.format, sys.stdout if args.format == "json" else sys.stderr)
        return EXIT_CODES["invalid"]
    if args.format == "json":
        print(json.dumps(decision.to_dict(), ensure_ascii=False, indent=2))
    else:
        print_decision(decision, Console(force_terminal=args.color) if args.color is not None else None)
    return EXIT_CODES[decision.outcome]


def cmd_catalog(args: argparse.Namespace) -> int:
    try:
        repo = Repository.load(_rule_paths(args), _overlays(args))
    except DiagnosticError as err:
        _print_diagnostics(err.diagnostics, "text")
        return EXIT_CODES["invalid"]
    if args.provenance:
        return _print_provenance(repo, args.format)
    as_of = args.as_of
    rows: list[dict[str, Any]] = []
    for cid, cat in repo.categories.items():
        editions: list[dict[str, Any]] = []
        for rs in repo.editions(cid):
            editions.append({
                "ruleset": rs.id, "standard": rs.standard, "implementation_rule": rs.implementation_rule,
                "from": rs.in_force.from_.isoformat(),
                "until": rs.in_force.until.isoformat() if rs.in_force.until else None,
                "accepted_until": rs.in_force.accepted_until.isoformat() if rs.in_force.accepted_until else None,
                "in_force": rs.in_force.accepts(as_of) if as_of else None,
                "version": repo.versions[rs.id],
                "criteria": len(rs.criteria),
            })
        rows.append({"id": cid, "name": {"zh": cat.name.zh, "en": cat.name.en},
                     "standards": [s.code for s in cat.standards],
                     "implementation_rules": [r.code + (" (inferred)" if r.inferred else "")
                                              for r in cat.implementation_rules],
                     "editions": editions})
    if args.format == "json":
        print(json.dumps({"as_of": as_of.isoformat() if as_of else None, "categories": rows}, ensure_ascii=False,
                         indent=2))
        return 0
    table = Table(title="greencert catalogue" + (f" in force on {as_of.isoformat()}" if as_of else ""))
    for col in ("category", "name", "implementation rule", "edition (rule set)", "in force", "criteria"):
        table.add_column(col, overflow="fold")
    for row in rows:
        none_shipped = {"ruleset": "—", "standard": "no rule set shipped", "from": "", "until": None,
                        "accepted_until": None, "in_force": None, "criteria": 0}
        shown: list[dict[str, Any]] = row["editions"] or [none_shipped]
        for i, e in enumerate(shown):
            span = f"{e['from']} → {e['until'] or 'open'}" if e["from"] else "—"
            if e.get("accepted_until"):
                span += f" (accepted until {e['accepted_until']})"
            mark = "" if e["in_force"] is None else (" ✓" if e["in_force"] else " ✗")
            table.add_row(row["id"] if i == 0 else "", f"{row['name']['zh']} {row['name']['en']}" if i == 0 else "",
                          ", ".join(row["implementation_rules"]) if i == 0 else "",
                          f"{e['standard']} ({e['ruleset']})", span + mark, str(e["criteria"]))
    Console().print(table)
    print(f"{len(rows)} categor(y/ies)")
    return 0


def provenance_summary(repo: Repository) -> list[dict[str, Any]]:
    """Per category and edition: how many criteria have a confirmed limit, an unconfirmed one, none."""
    rows: list[dict[str, Any]] = []
    for cid, cat in repo.categories.items():
        editions = repo.editions(cid)
        if not editions:
            rows.append({"category": cid, "name": cat.name.en, "ruleset": None, "confirmed": 0, "unconfirmed": 0,
                         "default": 0, "none": 0, "criteria": 0, "without_limit": []})
        for rs in editions:
            counts = {"confirmed": 0, "unconfirmed": 0, "default": 0, "none": 0}
            without: list[str] = []
            for c in rs.criteria:
                if not c.requirement.has_limit:
                    counts["none"] += 1
                    without.append(c.id)
                else:
                    counts[c.provenance.status] += 1
            rows.append({"category": cid, "name": cat.name.en, "ruleset": rs.id, **counts, "criteria": len(rs.criteria),
                         "without_limit": without, "overlays": list(repo.overlays.get(rs.id, ()))})
    return rows


def _print_provenance(repo: Repository, fmt: str) -> int:
    rows = provenance_summary(repo)
    if fmt == "json":
        print(json.dumps({"provenance": rows}, ensure_ascii=False, indent=2))
        return 0
    table = Table(title="Where the limits come from (per rule set)")
    for col in ("category", "rule set", "criteria", "confirmed", "unconfirmed", "no limit shipped"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(r["category"], r["ruleset"] or "— (no rule set)", str(r["criteria"]), str(r["confirmed"]),
                      str(r["unconfirmed"]), str(r["none"]) + (f": {', '.join(r['without_limit'])}" if r["none"] else ""))
    Console().print(table)
    total = {k: sum(r[k] for r in rows) for k in ("criteria", "confirmed", "unconfirmed", "none")}
    print(f"{total['criteria']} criteria: {total['confirmed']} with a confirmed limit, {total['unconfirmed']} with an "
          f"unconfirmed one, {total['none']} without a shipped limit")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="greencert", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate", help="validate catalogue and rule-set files; exit 1 on any problem")
    p.add_argument("paths", nargs="*", type=Path, help="files or folders (default: the shipped catalogs/ and rules/)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--overlay", type=Path, action="append", help="overlay folder(s) to validate against the rule sets")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("check", help="evaluate an application (YAML or JSON) and print the decision")
    p.add_argument("application", type=Path)
    p.add_argument("--as-of", type=_date, help="evaluation date, YYYY-MM-DD (default: today)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--rules", type=Path, action="append", help="rule-set folder(s) instead of the shipped rules/")
    p.add_argument("--overlay", type=Path, action="append",
                   help="overlay folder(s) with a certification body's own limits (env GREENCERT_OVERLAY_DIRS)")
    p.add_argument("--self-check", action="store_true", help="mark the decision non-binding (manufacturer self-check)")
    p.add_argument("--color", action=argparse.BooleanOptionalAction, default=None, help="force colours on or off")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("catalog", help="list the categories and their editions")
    p.add_argument("--as-of", type=_date, help="mark the editions accepted on this date")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--rules", type=Path, action="append", help="rule-set folder(s) instead of the shipped rules/")
    p.add_argument("--overlay", type=Path, action="append", help="overlay folder(s)")
    p.add_argument("--provenance", action="store_true", help="count confirmed, unconfirmed and missing limits")
    p.set_defaults(func=cmd_catalog)

    for name in _EXTENSIONS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name and name.startswith(e.name):
                continue  # that part of the project is not installed
            raise
        register: Callable[[Any], None] = module.register
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except BrokenPipeError:  # pragma: no cover - `greencert ... | head`
        return 0
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
