"""The engine's commands of `greencert` (validate, check, catalog); greencert_cli composes the command line."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

from .diagnostics import Diagnostic, DiagnosticError, format_diagnostic
from .intake import read_application
from .loader import default_catalog_dir, default_rules_dir, load
from .models import ImplementationRule, RuleSet
from .overlays import apply_overlays
from .report import print_decision
from .repository import Repository

__all__ = ["EXIT_CODES", "cmd_catalog", "cmd_check", "cmd_validate", "main"]

# Exit codes: one per outcome, then invalid input. Scripts can branch on them.
EXIT_CODES = {"granted": 0, "refused": 1, "incomplete": 2, "invalid": 3}

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


def _rule_view(rule: ImplementationRule) -> dict[str, Any]:
    return {"code": rule.code, "inferred": rule.inferred, "date": rule.start.isoformat() if rule.start else None,
            "date_kind": rule.date_kind or None, "announced_by": rule.announced_by, "repealed_by": rule.repealed_by,
            "status": rule.status}


def _span(e: dict[str, Any]) -> str:
    """An edition on one line: `until` (exclusive) when it has ended, else `from`; ✓ when accepted on `as_of`."""
    text = f"until {e['until']}" if e["until"] else f"from {e['from']}"
    if e.get("accepted_until"):
        text += f" (accepted to {e['accepted_until']})"
    if (e.get("until_status") if e["until"] else e.get("dates_status")) == "unconfirmed":
        text += " ?"
    return text + ("" if e["in_force"] is None else (" ✓" if e["in_force"] else ""))


def _scheme_view(repo: Repository, as_of: dt.date | None) -> dict[str, Any] | None:
    scheme = repo.scheme
    if scheme is None:
        return None
    validity = scheme.certificate.validity
    measures = scheme.measures_on(as_of) if as_of else scheme.measures
    return {"measures": [{"id": m.id, "title": m.title.model_dump(), "reference": m.reference,
                          "from": m.in_force.from_.isoformat(),
                          "until": m.in_force.until.isoformat() if m.in_force.until else None,
                          "repealed_by": m.repealed_by, "status": m.status} for m in measures],
            "certificate": {name: None if value is None else value.model_dump(mode="json", exclude_none=True)
                            for name, value in scheme.certificate},
            "validity": f"{validity.value} {validity.unit}" if validity else None}


def catalog_rows(repo: Repository, as_of: dt.date | None) -> list[dict[str, Any]]:
    """Per category: its implementation rules (with the one in force on `as_of`, or the latest), its editions."""
    rows: list[dict[str, Any]] = []
    for cid, cat in repo.categories.items():
        editions: list[dict[str, Any]] = []
        for rs in repo.editions(cid):
            standard = cat.standard(rs.standard)
            following = next((o for o in repo.editions(cid) if rs.in_force.until and o.in_force.from_ == rs.in_force.until),
                             None)
            after = cat.standard(following.standard) if following else None
            editions.append({
                "ruleset": rs.id, "standard": rs.standard, "implementation_rule": rs.implementation_rule,
                "from": rs.in_force.from_.isoformat(),
                "until": rs.in_force.until.isoformat() if rs.in_force.until else None,
                "accepted_until": rs.in_force.accepted_until.isoformat() if rs.in_force.accepted_until else None,
                "in_force": rs.in_force.accepts(as_of) if as_of else None,
                "dates_status": standard.status if standard else None,
                "until_status": after.status if after else None,
                "version": repo.versions[rs.id],
                "criteria": len(rs.criteria),
            })
        latest = max((r.start for r in cat.implementation_rules if r.start), default=None)
        day = as_of or latest
        rule = cat.rule_on(day) if day else None
        rows.append({"id": cid, "name": {"zh": cat.name.zh, "en": cat.name.en}, "batch": cat.batch,
                     "standards": [s.code for s in cat.standards],
                     "implementation_rules": [_rule_view(r) for r in cat.implementation_rules],
                     "rule_in_force": _rule_view(rule) if rule else None,
                     "editions": editions})
    return rows


def cmd_catalog(args: argparse.Namespace) -> int:
    try:
        repo = Repository.load(_rule_paths(args), _overlays(args))
    except DiagnosticError as err:
        _print_diagnostics(err.diagnostics, "text")
        return EXIT_CODES["invalid"]
    if args.provenance:
        return _print_provenance(repo, args.format)
    as_of = args.as_of
    rows = catalog_rows(repo, as_of)
    if args.format == "json":
        print(json.dumps({"as_of": as_of.isoformat() if as_of else None, "categories": rows,
                          "scheme": _scheme_view(repo, as_of)}, ensure_ascii=False, indent=2))
        return 0
    print_catalog(repo, rows, as_of)
    return 0


def print_catalog(repo: Repository, rows: list[dict[str, Any]], as_of: dt.date | None,
                  console: Console | None = None) -> None:
    """One row per category, readable at 80 columns: its id, its implementation rule and date, its editions."""
    console = console or Console()
    rule_title = f"rule on {as_of.isoformat()}" if as_of else "latest rule"
    table = Table(title="greencert catalogue" + (f" on {as_of.isoformat()} (✓ in force)" if as_of else ""),
                  box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 0))
    table.add_column("category", no_wrap=True)
    table.add_column(rule_title, overflow="fold", max_width=18)
    table.add_column("editions", overflow="fold")
    for row in rows:
        rule = row["rule_in_force"]
        rule_text = "—" if rule is None else (f"{rule['code']}{'*' if rule['inferred'] else ''}\n"
                                              + (f"{rule['date']}{' notice' if rule['date_kind'] == 'announced' else ''}"
                                                 if rule["date"] else "no date"))
        editions = "\n".join(f"{e['standard']} {_span(e)}" for e in row["editions"]) or "no rule set shipped"
        table.add_row(row["id"], rule_text, editions)
    console.print(table)
    shipped = sum(1 for r in rows if r["editions"])
    console.print(f"{len(rows)} categories, {shipped} with rule sets. * rule code inferred; `notice`: the date of the "
                  "notice that published the rule; ? edition date unconfirmed. Names, every rule and its status: "
                  "--format json", overflow="fold")
    scheme = _scheme_view(repo, as_of)
    if scheme is not None:
        measures = "; ".join(f"{m['title']['zh']} (from {m['from']})" for m in scheme["measures"])
        if measures:
            console.print(f"measures{' in force' if as_of else ''}: {measures}", overflow="fold")
        if scheme["validity"]:
            console.print(f"certificates are valid {scheme['validity']}", overflow="fold")


_NUMBER_STRENGTHS = ("primary", "secondary", "unconfirmed", "confirmed")


def _numbers_of(rs: RuleSet) -> list[tuple[str, str, str]]:
    """(what, where, strength) for every number a rule set ships: criteria limits, grade bands, evidence ages."""
    out: list[tuple[str, str, str]] = []
    for c in rs.criteria:
        if c.requirement.has_limit and c.requirement.op != "present":
            out.append(("limit", c.id, c.provenance.status))
        if c.evidence and c.evidence.max_age_days is not None and c.evidence.provenance is not None:
            out.append(("evidence", c.id, c.evidence.provenance.status))
    for lab in rs.labels:
        for g in lab.grades or ():
            if g.requirement.has_limit:
                out.append(("grade", f"{lab.id}/{g.id}", g.provenance.status if g.provenance else "unconfirmed"))
    d = rs.evidence_defaults
    if d.max_age_days is not None:
        out.append(("evidence", "evidence_defaults", d.provenance.status if d.provenance else "unconfirmed"))
    return out


def provenance_summary(repo: Repository) -> list[dict[str, Any]]:
    """Per rule set: its limits and grade bands counted by the strength of their source (`primary`, `secondary`,
    `unconfirmed`, and `confirmed` for files that do not state it), its labelled defaults (evidence age), and the
    criteria shipped without a number. Categories without a rule set have one row with `ruleset: None`."""
    rows: list[dict[str, Any]] = []
    for cid, cat in repo.categories.items():
        editions = repo.editions(cid)
        if not editions:
            rows.append({"category": cid, "name": cat.name.en, "ruleset": None, **dict.fromkeys(_NUMBER_STRENGTHS, 0),
                         "grade_bands": 0, "defaults": 0, "none": 0, "criteria": 0, "without_limit": [],
                         "overlays": []})
        for rs in editions:
            counts = dict.fromkeys(_NUMBER_STRENGTHS, 0)
            defaults = grade_bands = 0
            for kind, _where, strength in _numbers_of(rs):
                if strength == "default":
                    defaults += 1
                    continue
                counts[strength] += 1
                grade_bands += kind == "grade"
            without = [c.id for c in rs.criteria if not c.requirement.has_limit]
            rows.append({"category": cid, "name": cat.name.en, "ruleset": rs.id, **counts, "grade_bands": grade_bands,
                         "defaults": defaults, "none": len(without), "criteria": len(rs.criteria),
                         "without_limit": without, "overlays": list(repo.overlays.get(rs.id, ()))})
    return rows


def _print_provenance(repo: Repository, fmt: str, console: Console | None = None) -> int:
    rows = provenance_summary(repo)
    totals = {k: sum(r[k] for r in rows) for k in (*_NUMBER_STRENGTHS, "grade_bands", "defaults", "none", "criteria")}
    if fmt == "json":
        print(json.dumps({"provenance": rows, "totals": totals}, ensure_ascii=False, indent=2))
        return 0
    console = console or Console()
    legacy = totals["confirmed"] > 0
    table = Table(title="Limits and grade bands by the strength of their source",
                  box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 0))
    table.add_column("rule set", no_wrap=True)
    for col in ("prim", "sec", "unc", *(("n/s",) if legacy else ()), "none"):
        table.add_column(col, justify="right", no_wrap=True)
    for r in rows:
        if r["ruleset"] is None:
            continue
        cells = [str(r["primary"]), str(r["secondary"]), str(r["unconfirmed"]),
                 *((str(r["confirmed"]),) if legacy else ()), f"{r['none']}/{r['criteria']}"]
        table.add_row(r["ruleset"], *cells)
    console.print(table)
    numbers = sum(totals[k] for k in _NUMBER_STRENGTHS)
    console.print(f"{numbers} limits and grade bands ({totals['grade_bands']} grade bands): {totals['primary']} primary "
                  f"(prim: the standard's own text), {totals['secondary']} secondary (sec: a summary of it), "
                  f"{totals['unconfirmed']} unconfirmed (unc)" + (f", {totals['confirmed']} strength not stated (n/s)"
                                                                  if legacy else ""), overflow="fold")
    console.print(f"none: {totals['none']} of {totals['criteria']} criteria ship without a number (undetermined until "
                  f"an overlay gives it); {totals['defaults']} labelled defaults (test report age)", overflow="fold")
    missing = [r["category"] for r in rows if r["ruleset"] is None]
    if missing:
        console.print(f"no rule set shipped ({len(missing)}): {', '.join(missing)}", overflow="fold")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Compatibility only: the console script of an install made before greencert_cli existed (`engine.cli:main`;
    `pip install -e .` again writes the new one) and `python -m engine.cli` run greencert_cli's command line."""
    from greencert_cli import main as composed

    return composed(argv)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
