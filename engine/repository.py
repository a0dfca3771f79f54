"""The loaded catalogue and rule sets: edition choice by date, compiled rule sets, the check pipeline."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .application import Application
from .compiler import CompiledRuleSet, compile_ruleset
from .decision import Decision
from .diagnostics import Diagnostic, DiagnosticError, did_you_mean
from .durable_core import DurableError
from .evaluator import evaluate
from .intake import check_references
from .loader import LoadedCategory, LoadedRuleSet, LoadResult, content_hash, load
from .models import CatalogFile, Category, RuleSet, Scheme
from .overlays import apply_overlays
from .schema_check import field_path
from .yamlsource import SourceDocument

__all__ = ["Repository"]


class Repository:
    """Immutable after loading; compiled rule sets are built on first use and cached (thread-safe)."""

    def __init__(self, result: LoadResult, overlays: dict[str, tuple[str, ...]] | None = None):
        if not result.ok:
            raise DiagnosticError(result.diagnostics)
        self._result = result
        self._compiled: dict[str, CompiledRuleSet] = {}
        self._lock = threading.Lock()
        self.overlays: dict[str, tuple[str, ...]] = dict(overlays or {})
        self.versions = {rid: content_hash(result.categories[lr.ruleset.category].category, lr.ruleset,
                                           list(self.overlays.get(rid, ())))
                         for rid, lr in result.rulesets.items()}

    @classmethod
    def load(cls, paths: Sequence[Path] | None = None, overlay_dirs: Sequence[Path] = ()) -> Repository:
        """Load, validate and (lazily) compile; overlays are merged after the shipped files validate."""
        result = load(paths)
        applied: dict[str, tuple[str, ...]] = {}
        if overlay_dirs and result.ok:
            result, applied = apply_overlays(result, overlay_dirs)
        return cls(result, applied)

    # ------------------------------------------------------------------ catalogue
    @property
    def scheme(self) -> Scheme | None:
        """What holds for every category: the measures in force by date, certificate settings (validity)."""
        return self._result.scheme

    @property
    def categories(self) -> dict[str, Category]:
        return {cid: lc.category for cid, lc in sorted(self._result.categories.items())}

    @property
    def rulesets(self) -> dict[str, RuleSet]:
        return {rid: lr.ruleset for rid, lr in sorted(self._result.rulesets.items())}

    def editions(self, category: str) -> list[RuleSet]:
        return sorted((lr.ruleset for lr in self._result.rulesets.values() if lr.ruleset.category == category),
                      key=lambda r: r.in_force.from_)

    def in_force(self, as_of: dt.date) -> list[RuleSet]:
        return [rs for cid in self.categories for rs in self.editions(cid) if rs.in_force.accepts(as_of)]

    def select(self, category: str, as_of: dt.date, edition: str | None = None) -> RuleSet:
        """The edition to evaluate with: the one named (if accepted on `as_of`), else the current one."""
        if category not in self._result.categories:
            raise DiagnosticError([Diagnostic("application_reference_error", f"unknown category `{category}`",
                                              hint=did_you_mean(category, self._result.categories),
                                              field="category")])
        editions = self.editions(category)
        accepted = [rs for rs in editions if rs.in_force.accepts(as_of)]
        if edition is not None:
            named = [rs for rs in editions if edition in (rs.id, rs.standard)]
            if not named:
                raise DiagnosticError([Diagnostic(
                    "application_reference_error", f"unknown edition `{edition}` for `{category}`", field="edition",
                    hint=did_you_mean(edition, [rs.standard for rs in editions] + [rs.id for rs in editions]))])
            if named[0] not in accepted:
                raise DiagnosticError([Diagnostic(
                    "edition_not_in_force", f"edition `{edition}` is not accepted on {as_of.isoformat()}",
                    field="edition", hint=_accepted_hint(accepted))])
            return named[0]
        if not accepted:
            first = editions[0].in_force.from_.isoformat() if editions else "?"
            if not editions:
                msg = f"no rule set is shipped for `{category}`"
            else:
                msg = f"no edition of `{category}` is in force on {as_of.isoformat()}"
            raise DiagnosticError([Diagnostic("edition_not_in_force", msg, field="category",
                                              hint=f"the first edition takes effect on {first}" if editions else None)])
        current = [rs for rs in accepted if rs.in_force.current(as_of)]
        return (current or accepted)[-1]

    def snapshot(self, ruleset_id: str) -> dict[str, Any]:
        """Everything a decision made with this rule set depends on, as JSON data; `from_snapshots` rebuilds
        an identical rule set (same version hash) from it, whatever the shipped files say by then."""
        lr = self._result.rulesets[ruleset_id]
        cat = self._result.categories[lr.ruleset.category]
        return {
            "version": self.versions[ruleset_id],
            "category": {"format": "greencert/catalog@1", "category": cat.category.model_dump(mode="json", by_alias=True,
                                                                                               exclude_none=True)},
            "ruleset": lr.ruleset.model_dump(mode="json", by_alias=True, exclude_none=True),
            "overlays": list(self.overlays.get(ruleset_id, ())),
        }

    @classmethod
    def from_snapshots(cls, snapshots: Sequence[dict[str, Any]]) -> Repository:
        result = LoadResult()
        for snap in snapshots:
            cat = CatalogFile.model_validate(snap["category"]).category
            rs = RuleSet.model_validate(snap["ruleset"])
            result.categories[cat.id] = LoadedCategory(cat, f"<snapshot {snap.get('version', '?')}>")
            doc = SourceDocument(f"<snapshot {snap.get('version', '?')}>", snap["ruleset"], {}, {})
            result.rulesets[rs.id] = LoadedRuleSet(rs, doc.file, doc)
        repo = cls(result, {snap["ruleset"]["id"]: tuple(snap.get("overlays", ())) for snap in snapshots})
        for snap in snapshots:
            rid = snap["ruleset"]["id"]
            if "version" in snap and repo.versions[rid] != snap["version"]:
                raise ValueError(f"snapshot of `{rid}` does not reproduce its version {snap['version']}")
        return repo

    # ------------------------------------------------------------------ evaluation
    def compiled(self, ruleset_id: str) -> CompiledRuleSet:
        c = self._compiled.get(ruleset_id)
        if c is not None:
            return c
        with self._lock:
            c = self._compiled.get(ruleset_id)
            if c is None:
                lr = self._result.rulesets[ruleset_id]
                cat = self._result.categories[lr.ruleset.category].category
                others = tuple(rs for rs in self.editions(lr.ruleset.category) if rs.id != ruleset_id)
                try:
                    c = compile_ruleset(lr.ruleset, cat, self.versions[ruleset_id], self.overlays.get(ruleset_id, ()),
                                        others)
                except DurableError as e:  # a rule the loader let through but durable-rules cannot hold
                    raise DiagnosticError([lr.doc.diagnostic("rules_compile_error", str(e), ())]) from e
                self._compiled[ruleset_id] = c
            return c

    def compile_all(self) -> None:
        for rid in self._result.rulesets:
            self.compiled(rid)

    def prepare(self, app: Application, doc: SourceDocument, as_of: dt.date) -> tuple[CompiledRuleSet, Application,
                                                                                       str | None]:
        """Validate the application against the edition in force; raise DiagnosticError on bad input."""
        try:
            rs = self.select(app.category, as_of, app.edition)
        except DiagnosticError as e:
            raise DiagnosticError([_locate(doc, d) for d in e.diagnostics]) from None
        compiled = self.compiled(rs.id)
        checked, unit, diags = check_references(compiled, app, doc)
        if diags or checked is None:
            raise DiagnosticError(diags)
        return compiled, checked, unit

    def check(self, app: Application, doc: SourceDocument, as_of: dt.date, *, binding: bool = True) -> Decision:
        compiled, checked, unit = self.prepare(app, doc, as_of)
        return evaluate(compiled, checked, as_of, unit=unit, binding=binding)

    def close(self) -> None:
        with self._lock:
            for c in self._compiled.values():
                c.close()
            self._compiled.clear()


def _accepted_hint(accepted: list[RuleSet]) -> str | None:
    if not accepted:
        return None
    return "accepted on that date: " + ", ".join(f"`{rs.standard}`" for rs in accepted)


def _locate(doc: SourceDocument, d: Diagnostic) -> Diagnostic:
    if d.field is None:
        return d
    path = tuple(d.field.split("."))
    line, column = doc.locate(path)
    return Diagnostic(d.code, d.message, doc.file, line, column, d.hint, field=field_path(path))
