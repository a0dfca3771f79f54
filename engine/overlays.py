"""Overlays: a certification body's own limits and evidence rules, merged by id into shipped rule sets."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .diagnostics import Diagnostic, did_you_mean, sort_diagnostics
from .loader import LoadedCategory, LoadedRuleSet, LoadResult, _load_ruleset, discover
from .schema_check import schema_diagnostics
from .yamlsource import Pointer, SourceDocument, read_document

__all__ = ["apply_overlays", "OVERLAY_SECTIONS"]

# (section merged by id, section of complete additions)
OVERLAY_SECTIONS = (
    ("criteria", "add_criteria"),
    ("basic_requirements", "add_basic_requirements"),
    ("labels", "add_labels"),
)


@dataclass(frozen=True)
class _MergedDocument(SourceDocument):
    """The merged rule set's data; a diagnostic on an overlaid part points into the overlay file."""

    base: SourceDocument | None = field(default=None, repr=False)
    origin: dict[Pointer, tuple[SourceDocument, Pointer]] = field(default_factory=dict, repr=False)

    def diagnostic(self, code: str, message: str, path: Pointer, *, hint: str | None = None,
                   key: bool = False) -> Diagnostic:
        path = tuple(path)
        for n in range(len(path), -1, -1):
            hit = self.origin.get(path[:n])
            if hit is not None:
                doc, prefix = hit
                return doc.diagnostic(code, message, prefix + path[n:], hint=hint, key=key)
        assert self.base is not None
        return self.base.diagnostic(code, message, path, hint=hint, key=key)


def _read(dirs: Sequence[Path]) -> tuple[list[SourceDocument], list[Diagnostic]]:
    docs: list[SourceDocument] = []
    diags: list[Diagnostic] = []
    for path in discover(dirs):
        if not path.exists():
            diags.append(Diagnostic("file_not_found", f"no such file or directory `{path}`", str(path)))
            continue
        doc, problems = read_document(path)
        diags.extend(problems)
        if doc is None or problems:
            continue
        schema_problems = schema_diagnostics(doc, "overlay", "overlay_schema_error")
        if schema_problems:
            diags.extend(schema_problems)
            continue
        docs.append(doc)
    docs.sort(key=lambda d: Path(d.file).name)
    return docs, diags


def apply_overlays(result: LoadResult, dirs: Sequence[Path]) -> tuple[LoadResult, dict[str, tuple[str, ...]]]:
    """A new LoadResult with every overlay merged into its target, and the overlay ids applied per rule set."""
    docs, diags = _read(dirs)
    by_target: dict[str, list[SourceDocument]] = {}
    for doc in docs:
        target = doc.data["target"]
        if target not in result.rulesets:
            diags.append(doc.diagnostic("overlay_target_error", f"overlay targets unknown rule set `{target}`",
                                        ("target",), hint=did_you_mean(target, result.rulesets)))
            continue
        by_target.setdefault(target, []).append(doc)

    rulesets = dict(result.rulesets)
    applied: dict[str, tuple[str, ...]] = {}
    for target, overlays in by_target.items():
        merged = _merge(rulesets[target], overlays, diags, result.categories)
        if merged is not None:
            rulesets[target] = merged
            applied[target] = tuple(doc.data["id"] for doc in overlays)
    out = LoadResult(categories=dict(result.categories), rulesets=rulesets,
                     diagnostics=sort_diagnostics([*result.diagnostics, *diags]),
                     files=[*result.files, *(d.file for d in docs)], scheme=result.scheme)
    return out, applied


def _merge(loaded: LoadedRuleSet, overlays: Iterable[SourceDocument], diags: list[Diagnostic],
           categories: dict[str, LoadedCategory]) -> LoadedRuleSet | None:
    data: dict[str, Any] = copy.deepcopy(loaded.doc.data)
    origin: dict[Pointer, tuple[SourceDocument, Pointer]] = {}
    failed = False
    for ov in overlays:
        if "evidence_defaults" in ov.data:
            data["evidence_defaults"] = {**data.get("evidence_defaults", {}), **ov.data["evidence_defaults"]}
            origin[("evidence_defaults",)] = (ov, ("evidence_defaults",))
        for section, add_section in OVERLAY_SECTIONS:
            items: list[dict[str, Any]] = data.setdefault(section, [])
            index = {item.get("id"): i for i, item in enumerate(items)}
            for k, entry in enumerate(ov.data.get(section, [])):
                i = index.get(entry["id"])
                if i is None:
                    failed = True
                    diags.append(ov.diagnostic(
                        "overlay_target_error",
                        f"`{entry['id']}` targets nothing: `{loaded.ruleset.id}` has no such entry in `{section}`",
                        (section, k, "id"), hint=did_you_mean(entry["id"], [x for x in index if isinstance(x, str)])
                        or f"to add a new one, put it under `{add_section}`"))
                    continue
                items[i] = {**items[i], **entry}
                for key in entry:
                    origin[(section, i, key)] = (ov, (section, k, key))
            for k, entry in enumerate(ov.data.get(add_section, [])):
                if entry["id"] in index:
                    failed = True
                    diags.append(ov.diagnostic("overlay_duplicate_id",
                                               f"`{entry['id']}` already exists in `{section}` of `{loaded.ruleset.id}`",
                                               (add_section, k, "id"), hint=f"to change it, put it under `{section}`"))
                    continue
                index[entry["id"]] = len(items)
                items.append(entry)
                origin[(section, len(items) - 1)] = (ov, (add_section, k))
    if failed:
        return None
    doc = _MergedDocument(loaded.doc.file, data, loaded.doc.positions, loaded.doc.key_positions, "",
                          base=loaded.doc, origin=origin)
    # the merged rule set goes through the same stages as a rule set file (loader._run_stages), operator
    # counts included; warnings (`confirmed` without a strength) do not stop an overlay
    rs = _load_ruleset(doc, categories, diags)
    return None if rs is None else replace(loaded, ruleset=rs, doc=doc)
