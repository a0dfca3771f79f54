"""Rule sets: the versions in force with their content hashes, stored snapshots, and validating a rule file."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, File, Path, Query, Request, UploadFile

from engine import Diagnostic, Repository, load, parse_text

from ..deps import AnyRole, AsOf, RuleAuthor, ServicesDep, TodayDep
from ..errors import not_found
from ..examples import RULE_FILE
from ..keys import OPERATOR, Principal
from ..schemas import RuleSetList, RuleSetSnapshotOut, ValidationReport
from ..service import Services, read_in_worker, stored_snapshot, used_version, yaml_has_aliases
from ..settings import Settings
from .common import BODY, responses

__all__ = ["router", "validate_rule_file", "may_read_version"]

router = APIRouter(prefix="/v1/rulesets", tags=["rule sets"])


def _version_view(repo: Repository, rid: str, day: dt.date, organisation: str | None) -> dict[str, Any]:
    rs = repo.rulesets[rid]
    overlays = list(repo.overlays.get(rid, ()))
    return {"ruleset_id": rid, "category": rs.category, "standard": rs.standard,
            "implementation_rule": rs.implementation_rule, "in_force_from": rs.in_force.from_,
            "until": rs.in_force.until, "accepted_until": rs.in_force.accepted_until,
            "current": rs.in_force.current(day), "version": repo.versions[rid], "overlays": overlays,
            "organisation": organisation if overlays else None}


@router.get("", response_model=RuleSetList, responses=responses(422),
            summary="Rule-set versions accepted on `as_of` (every version with `all=true`), with content hashes",
            description="The versions the caller evaluates with: its organisation's overlaid ones if it owns "
                        "overlays, else the shipped ones. The operator gets the shipped versions and every "
                        "organisation's overlaid ones.")
def list_rulesets(services: ServicesDep, principal: AnyRole, today: TodayDep, as_of: AsOf = None,
                  all: Annotated[bool, Query(description="list every shipped version")] = False,
                  ) -> dict[str, Any]:
    day = as_of or today
    if principal.role == OPERATOR:
        views = [(services.repository, None, False),
                 *((repo, org, True) for org, repo in sorted(services.overlaid.items()))]
    else:
        views = [(services.repository_for(principal), principal.organisation, False)]
    items = []
    for repo, organisation, overlaid_only in views:
        for rid, rs in repo.rulesets.items():
            if (all or rs.in_force.accepts(day)) and not (overlaid_only and not repo.overlays.get(rid)):
                items.append(_version_view(repo, rid, day, organisation))
    return {"as_of": day, "rulesets": items}


def may_read_version(services: Services, principal: Principal, version: str) -> bool:
    """Overlaid rule content (a certification body's licensed limits) is its owner's: readable by the owning
    organisation (the version is one of its overlaid ones, or one of its records was made with it) and by the
    operator; another organisation gets 404, as for a version that does not exist."""
    if principal.role == OPERATOR:
        return True
    own = services.overlaid.get(principal.organisation)
    if own is not None and version in own.versions.values():
        return True
    return used_version(services.db, principal.organisation, version)


@router.get("/versions/{version}", response_model=RuleSetSnapshotOut, responses=responses(404),
            summary="The full content of a rule-set version: stored ones, and those shipped now",
            description="A version made with overlays is readable by the organisation owning them and the "
                        "operator only; to others it is not found.")
def get_version(version: Annotated[str, Path(max_length=100, examples=["sha256:c18054b9…"])], services: ServicesDep,
                principal: AnyRole) -> dict[str, Any]:
    snap = stored_snapshot(services.db, version)
    if snap is not None:
        if snap.snapshot.get("overlays") and not may_read_version(services, principal, version):
            raise not_found("rule-set version", version)
        return {"version": snap.version, "ruleset_id": snap.ruleset_id, "stored_at": snap.stored_at,
                "snapshot": snap.snapshot}
    for repo in (services.repository, *services.overlaid.values()):
        for rid, v in repo.versions.items():
            if v == version and (not repo.overlays.get(rid) or may_read_version(services, principal, version)):
                return {"version": v, "ruleset_id": rid, "stored_at": None, "snapshot": repo.snapshot(rid)}
    raise not_found("rule-set version", version)


def validate_rule_file(settings: Settings, filename: str | None, content: bytes) -> dict[str, Any]:
    """Run every loading stage on one uploaded catalogue or rule-set file (a rule set is checked against
    the service's catalogue); diagnostics name the file as uploaded."""
    name = FilePath(filename or "upload.yaml").name or "upload.yaml"
    name = name[:200]
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as e:
        return _report("unknown", [], [Diagnostic("file_encoding_error", f"file is not valid utf-8 ({e.reason})", name)])
    if yaml_has_aliases(text):
        return _report("unknown", [], [Diagnostic("yaml_alias_refused", "YAML aliases are not accepted in uploads", name,
                                                  hint="expand anchors (`&a` / `*a`) before uploading")])
    try:
        doc, diags = parse_text(text, name)
    except RecursionError:
        return _report("unknown", [], [Diagnostic("yaml_syntax_error", "the file is nested too deeply", name)])
    if doc is None or diags:
        return _report("unknown", [], diags)
    data = doc.data if isinstance(doc.data, dict) else {}
    fmt = data.get("format")
    kind = "catalog" if fmt == "greencert/catalog@1" or isinstance(data.get("category"), dict) else (
        "ruleset" if fmt == "greencert/ruleset@1" or "criteria" in data else "unknown")
    suffix = FilePath(name).suffix if FilePath(name).suffix in (".yaml", ".yml", ".json") else ".yaml"
    with tempfile.TemporaryDirectory(prefix="greencert-upload-") as tmp:
        path = FilePath(tmp) / ("upload" + suffix)
        path.write_text(text, encoding="utf-8")
        paths = [path] if kind != "ruleset" else [settings.catalog_dir, path]
        try:
            result = load(paths, with_default_catalog=False)
        except RecursionError:
            return _report(kind, [], [Diagnostic("yaml_syntax_error", "the file is nested too deeply", name)])
        resolved = path.resolve()

        def rename(d: Diagnostic) -> Diagnostic:
            if d.file is None:
                return d
            try:
                ours = FilePath(d.file).resolve() == resolved
            except OSError:  # pragma: no cover
                ours = False
            return Diagnostic(d.code, d.message, name, d.line, d.column, d.hint, d.field, d.severity) if ours else d

        diagnostics = [rename(d) for d in result.diagnostics]
    ids = sorted(result.rulesets) if kind == "ruleset" else sorted(result.categories) if kind == "catalog" else []
    return {"ok": result.ok and kind != "unknown", "kind": kind, "ids": ids if result.ok else [],
            "diagnostics": [d.to_dict() for d in diagnostics]}


def _report(kind: str, ids: list[str], diags: list[Diagnostic]) -> dict[str, Any]:
    return {"ok": False, "kind": kind, "ids": ids, "diagnostics": [d.to_dict() for d in diags]}


@router.post("/validate", response_model=ValidationReport, responses=responses(*BODY, 422, 503),
             summary="Validate an uploaded rule-set or catalogue file and get every diagnostic (rule authors)",
             openapi_extra={"requestBody": {"content": {"multipart/form-data": {
                 "examples": {"broken": {"value": {"file": RULE_FILE}}}}}}})
async def validate(request: Request,
                   file: Annotated[UploadFile, File(description="one YAML or JSON rule-set or catalogue file")],
                   services: ServicesDep, _who: RuleAuthor) -> dict[str, Any]:
    # every loading stage, in a worker process bounded in time, stopped if the client leaves (api.isolation)
    content = await file.read()
    report: dict[str, Any] = await read_in_worker(services, validate_rule_file, services.settings, file.filename,
                                                  content, disconnected=request.is_disconnected)
    return report


