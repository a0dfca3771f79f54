"""Overlays: a certification body's own limits and evidence rules, merged by id into shipped rule sets."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .certificates import SCHEDULE_SETTINGS, Period, add_period
from .diagnostics import Diagnostic, did_you_mean, sort_diagnostics
from .loader import LoadedCategory, LoadedRuleSet, LoadResult, _load_ruleset, discover
from .models import Scheme
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
        merged = _merge(rulesets[target], overlays, diags, result.categories, result.scheme)
        if merged is not None:
            rulesets[target] = merged
            applied[target] = tuple(doc.data["id"] for doc in overlays)
    out = LoadResult(categories=dict(result.categories), rulesets=rulesets,
                     diagnostics=sort_diagnostics([*result.diagnostics, *diags]),
                     files=[*result.files, *(d.file for d in docs)], scheme=result.scheme)
    return out, applied


def _merge(loaded: LoadedRuleSet, overlays: Iterable[SourceDocument], diags: list[Diagnostic],
           categories: dict[str, LoadedCategory], scheme: Scheme | None = None) -> LoadedRuleSet | None:
    data: dict[str, Any] = copy.deepcopy(loaded.doc.data)
    origin: dict[Pointer, tuple[SourceDocument, Pointer]] = {}
    failed = False
    for ov in overlays:
        if "evidence_defaults" in ov.data:
            data["evidence_defaults"] = {**data.get("evidence_defaults", {}), **ov.data["evidence_defaults"]}
            origin[("evidence_defaults",)] = (ov, ("evidence_defaults",))
        if "certificate" in ov.data:
            failed |= not _merge_certificate(data, ov, origin, diags, scheme)
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
    if not failed and any("certificate" in ov.data for ov in overlays):
        failed = not _check_schedule(data, origin, diags, scheme)
    if failed:
        return None
    doc = _MergedDocument(loaded.doc.file, data, loaded.doc.positions, loaded.doc.key_positions, "",
                          base=loaded.doc, origin=origin)
    # the merged rule set goes through the same stages as a rule set file (loader._run_stages), operator
    # counts included; warnings (`confirmed` without a strength) do not stop an overlay
    rs = _load_ruleset(doc, categories, diags)
    return None if rs is None else replace(loaded, ruleset=rs, doc=doc)


def _scheme_setting(scheme: Scheme | None, name: str) -> dict[str, Any] | None:
    setting = getattr(scheme.certificate, name, None) if scheme is not None else None
    return None if setting is None else setting.model_dump(mode="json", exclude_none=True)


def _sourced(setting: dict[str, Any] | None) -> bool:
    return setting is not None and setting["provenance"]["status"] in ("primary", "secondary", "confirmed")


def _words(setting: dict[str, Any]) -> str:
    value, unit = setting["value"], setting["unit"]
    return f"{value} {unit[:-1] if value == 1 else unit}"


def _merge_certificate(data: dict[str, Any], ov: SourceDocument, origin: dict[Pointer, tuple[SourceDocument, Pointer]],
                       diags: list[Diagnostic], scheme: Scheme | None) -> bool:
    """Merge an overlay's `certificate` settings into the rule set's, setting by setting; each merged setting
    names the overlay, and takes the overlay's `source` when its provenance names none. A setting a source gives
    (the rule set's or the scheme's, e.g. the 5-year validity of the 2026 Measures) is not changed by an overlay."""
    ok = True
    settings: dict[str, Any] = data.setdefault("certificate", {})
    for name, setting in ov.data["certificate"].items():
        current = settings.get(name) or _scheme_setting(scheme, name)
        if _sourced(current) and current is not None:
            if (current["value"], current["unit"]) == (setting["value"], setting["unit"]):
                continue  # the same number: the sourced setting stays, with its source
            ok = False
            source = current["provenance"].get("source")
            diags.append(ov.diagnostic(
                "overlay_setting_fixed",
                f"`{name}` is {_words(current)}, given by a source ({current['provenance']['status']}"
                + (f": {source}" if source else "") + f"): an overlay cannot make it {_words(setting)}",
                ("certificate", name), key=True,
                hint="an overlay sets what no source gives (a labelled default); remove this setting"))
            continue
        merged = copy.deepcopy(setting)
        merged["overlay"] = ov.data["id"]
        if not merged["provenance"].get("source"):
            merged["provenance"]["source"] = ov.data["source"]
        settings[name] = merged
        origin[("certificate", name)] = (ov, ("certificate", name))
    return ok


def _period(setting: dict[str, Any]) -> Period:
    return Period(setting["value"], setting["unit"], setting["provenance"]["status"])


def _check_schedule(data: dict[str, Any], origin: dict[Pointer, tuple[SourceDocument, Pointer]],
                    diags: list[Diagnostic], scheme: Scheme | None) -> bool:
    """The overlaid schedule must fit in the validity: a surveillance interval, suspension period or renewal
    window as long as the certificate's whole validity is a mistake of the overlay, not a schedule."""
    settings = data.get("certificate") or {}
    validity = settings.get("validity") or _scheme_setting(scheme, "validity")
    if validity is None:
        return True
    # compared from every first day of a month of a leap-year cycle, so months and days compare the same way
    starts = [dt.date(2024 + y, m, 1) for y in range(4) for m in range(1, 13)]
    ok = True
    for name in SCHEDULE_SETTINGS:
        if name in ("validity", "transition") or ("certificate", name) not in origin or name not in settings:
            continue
        period, whole = _period(settings[name]), _period(validity)
        if any(add_period(day, period) >= add_period(day, whole) for day in starts):
            ok = False
            ov, path = origin[("certificate", name)]
            diags.append(ov.diagnostic(
                "overlay_schedule_error",
                f"`{name}` of {_words(settings[name])} is not shorter than the validity of a certificate "
                f"({_words(validity)})", path + ("value",),
                hint=f"a `{name}` falls within the validity; check the unit (days, months, years)"))
    return ok
