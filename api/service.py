"""What the routes do: parse, evaluate with the engine, record decisions append-only, replay, reproduce."""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import datetime as dt
import hashlib
import json
import logging
import threading
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy import Select, func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from engine import Decision, Diagnostic, DiagnosticError, Repository, application_from_data, parse_text

from .db import Database, DecisionRecord, RuleSetSnapshot, utcnow
from .errors import ApiError, not_found
from .isolation import ClientGone, TimeLimitExceeded, WorkerFailed, WorkerPool
from .keys import Principal
from .recorder import Recorder
from .settings import Settings

__all__ = ["Services", "Submission", "Outcome", "Filters", "BatchResult", "load_repository", "load_overlaid",
           "parse_body", "from_data", "yaml_has_aliases", "submit", "submit_batch", "get_record", "superseded_by",
           "list_records", "reevaluate", "reproduce", "reproduction_view", "record_view", "summary_view",
           "stored_snapshot", "used_version", "MAX_MAGNITUDE", "DEFAULT_PAGE", "MAX_PAGE", "Refusal", "BatchRead",
           "read_submission", "read_batch", "read_in_worker", "decode_body", "read_document", "MAX_DIAGNOSTICS"]

log = logging.getLogger("greencert.api")

DEFAULT_PAGE = 50
MAX_PAGE = 200
_SNAPSHOT_CACHE = 16


def load_repository(settings: Settings) -> Repository:
    """The shipped rule sets: the catalogue and the rules directories of `settings`. Every organisation reads
    and evaluates with them, but one that owns overlays (`load_overlaid`)."""
    return Repository.load([settings.catalog_dir, *settings.rules_dirs])


def load_overlaid(settings: Settings) -> dict[str, Repository]:
    """Each overlay-owning organisation's rule sets: the shipped ones with its overlays merged (and recorded in
    every version hash). A certification body's overlays hold the limits of its licensed copy of a standard:
    they are its own, so they need an owner (`GREENCERT_OVERLAY_ORGANISATION`)."""
    if not settings.overlay_dirs:
        return {}
    owner = settings.overlay_organisation
    if owner is None:
        raise DiagnosticError([Diagnostic(
            "overlay_owner_missing", "overlays need an owner: the organisation whose licensed limits they hold",
            hint="set GREENCERT_OVERLAY_ORGANISATION (or `greencert serve --overlay-organisation ORG`); its keys "
                 "evaluate with the overlays, other organisations with the shipped rule sets")])
    return {owner: Repository.load([settings.catalog_dir, *settings.rules_dirs], settings.overlay_dirs)}


@dataclass
class Services:
    """Everything a request needs, built once per process by create_app."""

    settings: Settings
    db: Database
    repository: Repository  # the shipped rule sets
    overlaid: dict[str, Repository] = field(default_factory=dict)  # organisation -> its overlaid rule sets
    stored_versions: set[str] = field(default_factory=set)  # versions known to be in ruleset_snapshots
    _snapshot_repos: collections.OrderedDict[str, Repository] = field(default_factory=collections.OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    recorder: Recorder = field(init=False)  # every write of this process, group-committed
    pool: WorkerPool = field(init=False)  # reading and checking bodies, off the event loop and bounded

    def __post_init__(self) -> None:
        self.recorder = Recorder(self.db)
        self.pool = WorkerPool(self.settings.parse_processes, self.settings.parse_timeout_seconds)

    def close(self) -> None:
        """Finish the queued writes, free the compiled rule sets (durable-rules memory) and the connections."""
        self.recorder.close()
        self.pool.close()
        with self._lock:
            repos = list(self._snapshot_repos.values())
            self._snapshot_repos.clear()
        for repo in [*repos, *self.overlaid.values()]:
            repo.close()
        self.repository.close()
        self.db.dispose()

    def repository_for(self, principal: Principal) -> Repository:
        """The rule sets `principal` reads and evaluates with: its organisation's overlaid ones if it owns
        overlays, else the shipped ones."""
        return self.overlaid.get(principal.organisation, self.repository)

    def snapshot_repository(self, version: str) -> Repository | None:
        """The rule set exactly as it was when `version` decided, rebuilt from its stored snapshot."""
        with self._lock:
            repo = self._snapshot_repos.get(version)
            if repo is not None:
                self._snapshot_repos.move_to_end(version)
                return repo
        snap = stored_snapshot(self.db, version)
        if snap is None:
            return None
        repo = Repository.from_snapshots([snap.snapshot])
        with self._lock:
            self._snapshot_repos[version] = repo
            while len(self._snapshot_repos) > _SNAPSHOT_CACHE:
                # dropped, not closed: a request may still be evaluating with it; durable frees it on collection
                self._snapshot_repos.popitem(last=False)
        return repo


# ------------------------------------------------------------------------------------------------ input
#
# One intake for every entry point (a single application as JSON or YAML, a batch's items, the web page, which
# posts JSON to /v1/self-checks): the body is decoded by its declared charset and read by the engine's reader
# (`engine.yamlsource` through `engine.intake.parse_application`: YAML, or JSON with positions, duplicate keys
# and NaN/Infinity refused), then checked by the engine's intake (schema, models) and by `_check_safe` (what no
# database stores, numbers no conversion survives). It all runs in a worker process (`api.isolation`), bounded in
# time: the functions `read_submission` and `read_batch` are its jobs, and return refusals as data.

# Charsets a body may declare (`Content-Type: ...; charset=`): UTF-8 (the default) and the legacy encodings of
# Chinese text a certification body's system may still send; anything else is 415.
_CHARSETS = {"utf-8": "utf-8", "utf8": "utf-8", "us-ascii": "ascii", "ascii": "ascii", "gb18030": "gb18030",
             "gbk": "gbk", "gb2312": "gb2312", "big5": "big5", "iso-8859-1": "latin-1", "latin1": "latin-1",
             "latin-1": "latin-1"}
_YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")
# A document with thousands of problems gets the first ones and a count: the answer stays small.
MAX_DIAGNOSTICS = 100
_REQUEST = "<request>"


@dataclass(frozen=True)
class Submission:
    """An application as received: its data (what is stored) and the engine's typed reading of it."""

    data: Any
    app: Any
    doc: Any


@dataclass(frozen=True)
class Refusal:
    """A body or an item refused, as data (it crosses from the worker process)."""

    status: int
    diagnostics: Sequence[Diagnostic]
    headers: dict[str, str] | None = None

    def error(self) -> ApiError:
        return ApiError(self.status, self.diagnostics, self.headers)


def _capped(diags: Sequence[Diagnostic]) -> list[Diagnostic]:
    if len(diags) <= MAX_DIAGNOSTICS:
        return list(diags)
    return [*diags[:MAX_DIAGNOSTICS], Diagnostic(
        "too_many_problems", f"{len(diags) - MAX_DIAGNOSTICS} more problems are not listed", diags[0].file,
        hint="correct the ones listed and send the document again")]


def _media(content_type: str | None) -> tuple[str, str | None]:
    """The media type and the declared charset (None when not declared)."""
    parts = (content_type or "application/json").split(";")
    charset = None
    for param in parts[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    return parts[0].strip().lower(), charset


def decode_body(body: bytes, charset: str | None) -> str:
    """The body's text in its declared charset (UTF-8 if none); 415 for a charset not taken, 422 for bytes that
    are not of it (with the byte offset, line and column)."""
    codec = _CHARSETS.get(charset or "utf-8")
    if codec is None:
        raise ApiError.one(415, "unsupported_charset", f"cannot read a body in charset `{(charset or '')[:40]}`",
                           hint="send UTF-8 (or declare gb18030, gbk, gb2312, big5, iso-8859-1)",
                           field="Content-Type")
    try:
        text = body.decode(codec)
    except UnicodeDecodeError as e:
        line = body.count(b"\n", 0, e.start) + 1
        column = len(body[body.rfind(b"\n", 0, e.start) + 1:e.start].decode(codec, errors="replace")) + 1
        raise ApiError(422, [Diagnostic(
            "body_encoding_error", f"the body is not valid {codec}: byte `0x{body[e.start]:02x}` at offset "
            f"{e.start} ({e.reason})", _REQUEST, line, column,
            hint="send UTF-8, or name the body's encoding in `Content-Type: ...; charset=`")]) from None
    return text.removeprefix("\ufeff")


def _renamed(diags: Sequence[Diagnostic], file: str) -> list[Diagnostic]:
    """The engine names JSON input `<request>.json` (that is how it knows to read JSON): report `<request>`."""
    return [Diagnostic(d.code, d.message, _REQUEST if d.file == file else d.file, d.line, d.column, d.hint,
                       d.field, d.severity) for d in diags]


def yaml_has_aliases(text: str) -> bool:
    """Aliases let a small document expand into a huge one (a "billion laughs"); uploads may not use them."""
    try:
        return any(isinstance(t, yaml.AliasToken) for t in yaml.scan(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError:
        return False  # the parser reports the syntax error with its position


def read_document(text: str, yaml_media: bool) -> Any:
    """The engine's reader on a request's text: its SourceDocument, or ApiError 422 with its diagnostics."""
    file = _REQUEST if yaml_media else _REQUEST + ".json"
    if yaml_media and yaml_has_aliases(text):
        raise ApiError.one(422, "yaml_alias_refused", "YAML aliases are not accepted in request bodies",
                           hint="expand anchors (`&a` / `*a`) before sending")
    try:
        doc, diags = parse_text(text, file)
    except RecursionError:
        raise ApiError.one(422, "yaml_syntax_error" if yaml_media else "json_syntax_error",
                           "the body is nested too deeply") from None
    except ValueError as e:  # e.g. an integer of more digits than Python converts (4,300)
        raise ApiError.one(422, "json_value_error" if not yaml_media else "yaml_syntax_error",
                           f"a value cannot be read: {_first_line(e)}") from None
    if doc is None or diags:
        raise ApiError(422, _capped(_renamed(diags, file)))
    return dataclasses.replace(doc, file=_REQUEST)


def parse_body(body: bytes, content_type: str | None) -> Submission:
    """JSON (default) or YAML, decoded by its charset; diagnostics carry line and column, and the field path."""
    if not body.strip():
        raise ApiError.one(422, "request_validation_error", "a request body is required",
                           hint="send the application as JSON (see the examples)")
    media, charset = _media(content_type)
    yaml_media = media in _YAML_TYPES
    if not yaml_media and media != "application/json" and not media.endswith("+json"):
        raise ApiError.one(415, "unsupported_media_type", f"cannot read a body of type `{media[:100]}`",
                           hint="send `application/json` (or `application/yaml`)")
    doc = read_document(decode_body(body, charset), yaml_media)
    return _intake(doc.data, doc)


def read_submission(body: bytes, content_type: str | None) -> Submission | Refusal:
    """`parse_body` as a worker process's job: refusals as data."""
    try:
        return parse_body(body, content_type)
    except ApiError as e:
        return Refusal(e.status, e.diagnostics, e.headers)


# Measurements and parameters beyond this cannot be physical; they can overflow to infinity when converted to
# the limit's unit, which the engine cannot evaluate (see the API report), so they are refused at the door.
MAX_MAGNITUDE = 1e100


def _storable(text: str) -> bool:
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate, e.g. JSON "\ud800"
        return False
    return True


def _out_of_range(value: Any) -> bool:
    # `value != value`: NaN, which no reader here produces, but a stored record of an earlier release might hold
    return isinstance(value, (int, float)) and not isinstance(value, bool) and (
        value != value or abs(value) > MAX_MAGNITUDE)


def _unsafe(value: Any) -> bool:
    if type(value) is str:  # an ASCII string cannot hold a lone surrogate: only non-ASCII text is encoded
        return "\x00" in value or (not value.isascii() and not _storable(value))
    return _out_of_range(value)


def _any_unsafe(data: Any) -> bool:
    """Whether anything in `data` is unsafe (`_unsafe_field` says what and where): the common case, a clean
    application, is walked without building a path for every node."""
    stack = [data]
    pop, push, unsafe = stack.pop, stack.extend, _unsafe
    while stack:
        value = pop()
        if isinstance(value, dict):
            if any(unsafe(str(k)) for k in value):
                return True
            push(value.values())
        elif isinstance(value, list):
            push(value)
        elif unsafe(value):
            return True
    return False


def _magnitude(value: int | float) -> str:
    if isinstance(value, int) and abs(value) > 2 ** 64:  # no `:g` for it: it does not fit a double
        return f"of {len(str(abs(value)))} digits"
    return f"`{value:.3g}`"


def _unsafe_field(data: Any) -> tuple[str, str] | None:
    """The first field the service cannot take: text with a NUL or a lone surrogate (no database stores it),
    or a number of absurd magnitude. Returns (field path, problem). Iterative: nesting depth cannot hurt it."""
    if not _any_unsafe(data):
        return None
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if not _storable(value):
                return path, "text must not contain NUL characters or lone surrogates"
        elif _out_of_range(value):
            return path, f"number {_magnitude(value)} is out of range (at most 1e100 in magnitude)"
        elif isinstance(value, dict):
            items = list(value.items())
            for key, _ in items:
                if not _storable(str(key)):
                    return (f"{path}.{key}" if path else str(key)), "field names must not contain NUL characters"
            stack.extend(((f"{path}.{k}" if path else str(k)), v) for k, v in reversed(items))
        elif isinstance(value, list):
            stack.extend((f"{path}[{i}]", v) for i, v in reversed(list(enumerate(value))))
    return None


def _check_safe(data: Any) -> None:
    found = _unsafe_field(data)
    if found is not None:
        where, problem = found
        raise ApiError.one(422, "application_value_error", problem, field=where or None)


def _intake(data: Any, doc: Any) -> Submission:
    """The engine's intake on data its reader produced (`doc` keeps their positions, or None)."""
    if not isinstance(data, dict):
        raise ApiError.one(422, "application_schema_error", "the application must be a JSON object",
                           hint="see the `granted` example in the OpenAPI document")
    _check_safe(data)
    try:
        app, plain, diags = application_from_data(data)
    except RecursionError:
        raise ApiError.one(422, "application_schema_error", "the application is nested too deeply") from None
    if diags or app is None:
        if doc is not None:  # located: the same checks, with the line and column of each field
            diags = [Diagnostic(d.code, d.message, d.file, *_position(doc, d), d.hint, d.field, d.severity)
                     for d in diags]
        raise ApiError(422, _capped(diags))
    return Submission(data, app, doc if doc is not None else plain)


def _position(doc: Any, d: Diagnostic) -> tuple[int | None, int | None]:
    if d.line is not None:
        return d.line, d.column
    line, column = doc.locate(_pointer(d.field or ""), key=True)
    return line, column


def _pointer(field_name: str) -> tuple[str | int, ...]:
    out: list[str | int] = []
    for part in field_name.replace("[", ".[").split("."):
        if part.startswith("[") and part.endswith("]") and part[1:-1].isdigit():
            out.append(int(part[1:-1]))
        elif part:
            out.append(part)
    return tuple(out)


def from_data(data: Any) -> Submission:
    """A stored application read again (re-evaluation, reproduction): the same checks as at intake."""
    return _intake(data, None)


@dataclass(frozen=True)
class BatchRead:
    """A batch body read: its envelope (the items' options) and each item's application, or its refusal."""

    payload: Any
    items: Sequence[Submission | Refusal]


def read_batch(body: bytes, content_type: str | None, model: Any) -> BatchRead | Refusal:
    """A batch body as a worker process's job: the same reader as a single application (the whole body), then
    the envelope's model, then each item through the same intake as a single application."""
    try:
        if not body.strip():
            raise ApiError.one(422, "request_validation_error", "a request body is required")
        media, charset = _media(content_type)
        if media != "application/json" and not media.endswith("+json"):
            raise ApiError.one(415, "unsupported_media_type", f"cannot read a body of type `{media[:100]}`",
                               hint="send the batch as `application/json`")
        doc = read_document(decode_body(body, charset), False)
        try:
            payload = model.model_validate(doc.data)
        except ValidationError as e:
            raise ApiError(422, _capped(envelope_diagnostics(e))) from None
    except ApiError as e:
        return Refusal(e.status, e.diagnostics, e.headers)
    items: list[Submission | Refusal] = []
    for index, item in enumerate(payload.items):
        try:
            sub = _intake(item.application, None)
            items.append(Submission(sub.data, sub.app, sub.doc))
        except ApiError as e:
            items.append(Refusal(e.status, [_locate_item(doc, _prefix(d, index)) for d in e.diagnostics]))
    return BatchRead(payload, items)


def _locate_item(doc: Any, d: Diagnostic) -> Diagnostic:
    if d.line is not None or d.field is None:
        return d
    line, column = doc.locate(_pointer(d.field), key=True)
    return Diagnostic(d.code, d.message, _REQUEST, line, column, d.hint, d.field, d.severity)


def envelope_diagnostics(error: ValidationError) -> list[Diagnostic]:
    """A batch envelope's model errors, as FastAPI's request validation would report them."""
    from .errors import validation_diagnostics

    return validation_diagnostics([{**err, "loc": ("body", *err["loc"])} for err in error.errors()])


def _evaluate(repo: Repository, sub: Submission, as_of: dt.date, binding: bool) -> Decision:
    try:
        return repo.check(sub.app, sub.doc, as_of, binding=binding)
    except DiagnosticError as e:
        raise ApiError(422, e.diagnostics) from None


# ------------------------------------------------------------------------------------------------ records

def _request_hash(kind: str, payload: Any) -> str:
    text = json.dumps({"kind": kind, "payload": payload}, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def stored_snapshot(db: Database, version: str) -> RuleSetSnapshot | None:
    with db.read() as session:
        return session.get(RuleSetSnapshot, version)


def _store_snapshot(services: Services, session: Any, repo: Repository, decision: Decision) -> None:
    version = decision.ruleset_version
    if version in services.stored_versions:
        return
    snapshot = repo.snapshot(decision.ruleset_id)
    if snapshot.get("version") != version:  # pragma: no cover - the engine guarantees this
        raise RuntimeError(f"snapshot of `{decision.ruleset_id}` has version {snapshot.get('version')}, not {version}")
    insert = pg_insert if services.db.dialect == "postgresql" else sqlite_insert
    session.execute(insert(RuleSetSnapshot).values(version=version, ruleset_id=decision.ruleset_id,
                                                   snapshot=snapshot, stored_at=utcnow())
                    .on_conflict_do_nothing(index_elements=["version"]))


@dataclass(frozen=True)
class Pending:
    """A decision made and waiting to be recorded."""

    data: Any
    decision: Decision
    as_of: dt.date
    supersedes: str | None
    idempotency_key: str | None
    request_hash: str | None


def _values(principal: Principal, binding: bool, p: Pending) -> dict[str, Any]:
    d = p.decision
    return dict(
        id=str(uuid.uuid4()), binding=binding, organisation=principal.organisation, api_key_id=principal.key_id,
        category=d.category, application_id=d.application_id, product_model=d.product_model, outcome=d.outcome,
        ruleset_id=d.ruleset_id, ruleset_version=d.ruleset_version, as_of=p.as_of, application=p.data,
        decision=d.to_dict(), created_at=utcnow(), supersedes=p.supersedes, idempotency_key=p.idempotency_key,
        request_hash=p.request_hash)


_INSERT_RECORD = insert(DecisionRecord.metadata.tables["decisions"])


def _write_of(services: Services, repo: Repository, principal: Principal, binding: bool,
              pending: Sequence[Pending]) -> tuple[list[dict[str, Any]], Callable[[Any], None]]:
    """The rows for `pending` and the write that inserts them (one Core INSERT: the ORM's unit of work cost
    ~1 ms a row, measured), for the `Recorder`, which may commit it together with other requests' writes."""
    values = [_values(principal, binding, p) for p in pending]

    def write(session: Any) -> None:
        for p in pending:
            _store_snapshot(services, session, repo, p.decision)
        session.execute(_INSERT_RECORD, values)

    return values, write


def _written(services: Services, pending: Sequence[Pending], values: list[dict[str, Any]]) -> list[DecisionRecord]:
    services.stored_versions.update(p.decision.ruleset_version for p in pending)
    return [DecisionRecord(**v) for v in values]


def _insert(services: Services, repo: Repository, principal: Principal, binding: bool,
            pending: Sequence[Pending]) -> list[DecisionRecord]:
    """Record the decisions (in one transaction, possibly shared); returns the records once committed."""
    values, write = _write_of(services, repo, principal, binding, pending)
    services.recorder.run(write)
    return _written(services, pending, values)


def _find_idempotent(db: Database, principal: Principal, key: str) -> DecisionRecord | None:
    with db.read() as session:
        return session.scalars(select(DecisionRecord).where(DecisionRecord.organisation == principal.organisation,
                                                           DecisionRecord.idempotency_key == key)).first()


def _replay(existing: DecisionRecord, request_hash: str) -> DecisionRecord:
    if existing.request_hash != request_hash:
        raise ApiError.one(422, "idempotency_key_reused",
                           "this Idempotency-Key was already used for a different request",
                           hint=f"it recorded `{existing.id}`; use a new key for a new request", field="Idempotency-Key")
    return existing


@dataclass(frozen=True)
class Outcome:
    """The result of a submission: the record (None for an unstored self-check) or the bare decision."""

    record: DecisionRecord | None
    decision: Decision | None
    replayed: bool
    as_of: dt.date


def _record_one(services: Services, repo: Repository, principal: Principal, binding: bool, pending: Pending) -> Outcome:
    try:
        (row,) = _insert(services, repo, principal, binding, [pending])
    except IntegrityError as e:
        return _lost_race(services, principal, pending, e)
    return Outcome(row, pending.decision, False, pending.as_of)


def _lost_race(services: Services, principal: Principal, pending: Pending, error: IntegrityError) -> Outcome:
    """A concurrent request with the same Idempotency-Key was recorded first: answer with its record."""
    if pending.idempotency_key is None or pending.request_hash is None:
        raise error
    existing = _find_idempotent(services.db, principal, pending.idempotency_key)
    if existing is None:
        raise error
    return Outcome(_replay(existing, pending.request_hash), None, True, existing.as_of)


Disconnected = Callable[[], Awaitable[bool]]


async def read_in_worker(services: Services, job: Callable[..., Any], *args: Any,
                         disconnected: Disconnected | None = None) -> Any:
    """`job(*args)` in a worker process (`api.isolation`), its refusal raised as the ApiError it stands for; a
    job past the time limit is 503, a client gone ends the request (the process is killed either way)."""
    try:
        result = await services.pool.run(job, *args, disconnected=disconnected)
    except TimeLimitExceeded as e:
        if e.queued:
            raise ApiError.one(503, "service_busy", f"no worker became free to read the body within {e.seconds:g} s",
                               hint="retry later; with an Idempotency-Key a retry is safe",
                               headers={"Retry-After": "1"}) from None
        raise ApiError.one(503, "time_limit_exceeded", f"reading and checking the body took longer than the "
                           f"limit of {e.seconds:g} s, and was stopped",
                           hint="send a smaller or less deeply nested document (the limit is "
                                "GREENCERT_PARSE_TIMEOUT_SECONDS)") from None
    except ClientGone:
        raise ApiError.one(499, "client_disconnected", "the client disconnected; the work was stopped") from None
    except WorkerFailed as e:
        if not e.crashed:
            raise RuntimeError(f"a body-reading job failed: {e}") from None
        log.error("a body-reading worker process died: %s", e)
        raise ApiError.one(503, "worker_failed", "the process reading the body ended before it answered",
                           hint="retry later; if it happens again with this body, send a smaller one",
                           headers={"Retry-After": "1"}) from None
    if isinstance(result, Refusal):
        raise result.error()
    return result


def prepare(services: Services, principal: Principal, sub: Submission, *,
            as_of: dt.date | None, today: dt.date, binding: bool, store: bool, idempotency_key: str | None,
            supersedes: str | None = None) -> Outcome | Pending:
    """Everything of a submission but reading and the write: check and decide. An `Outcome` when there is
    nothing to record (a self-check not stored, a replayed Idempotency-Key), else the `Pending` record."""
    kind = "evaluation" if binding else "self_check"
    request_hash = None
    if store and idempotency_key is not None:
        # only a retry with the same key is compared with the first request, so only then is it hashed
        request_hash = _request_hash(kind, {"as_of": as_of, "supersedes": supersedes, "application": sub.data})
        existing = _find_idempotent(services.db, principal, idempotency_key)
        if existing is not None:
            return Outcome(_replay(existing, request_hash), None, True, existing.as_of)
    if supersedes is not None:
        get_record(services.db, principal, supersedes, binding=binding)  # 404 unless it is the caller's own
    day = as_of or today
    decision = _evaluate(services.repository_for(principal), sub, day, binding)
    if not store:
        return Outcome(None, decision, False, day)
    return Pending(sub.data, decision, day, supersedes, idempotency_key, request_hash)


async def submit(services: Services, principal: Principal, body: bytes, content_type: str | None, *,
                 as_of: dt.date | None, today: dt.date, binding: bool, store: bool, idempotency_key: str | None,
                 supersedes: str | None = None, disconnected: Disconnected | None = None) -> Outcome:
    """A submission, for the event loop: the body is read and checked in a worker process (bounded in time);
    deciding is CPU work of about a millisecond, done in the caller (a hop to the thread pool and back cost
    more, measured); only the write is awaited, committed by the recorder together with other requests'
    writes (`_record_one` is the same for a thread)."""
    sub = await read_in_worker(services, read_submission, body, content_type, disconnected=disconnected)
    prepared = prepare(services, principal, sub, as_of=as_of, today=today, binding=binding,
                       store=store, idempotency_key=idempotency_key, supersedes=supersedes)
    if isinstance(prepared, Outcome):
        return prepared
    values, write = _write_of(services, services.repository_for(principal), principal, binding, [prepared])
    try:
        await asyncio.wrap_future(services.recorder.submit(write))
    except IntegrityError as e:
        return _lost_race(services, principal, prepared, e)
    (row,) = _written(services, [prepared], values)
    return Outcome(row, prepared.decision, False, prepared.as_of)


@dataclass(frozen=True)
class BatchResult:
    index: int
    status: int
    outcome: Outcome | None = None
    diagnostics: Sequence[Diagnostic] = ()


def submit_batch(services: Services, principal: Principal, batch: BatchRead, *, as_of: dt.date | None,
                 today: dt.date, binding: bool, store: bool) -> list[BatchResult]:
    """Each item (read by `read_batch`) is decided on its own; the new records are written in one transaction
    (one commit)."""
    items = batch.payload.items
    kind = "evaluation" if binding else "self_check"
    repo = services.repository_for(principal)
    results: dict[int, BatchResult] = {}
    pending: list[tuple[int, Pending]] = []
    seen_keys: dict[str, tuple[int, str]] = {}
    repeats: dict[int, int] = {}  # item -> the earlier item of this batch with the same idempotency key
    for index, item in enumerate(items):
        try:
            day = item.as_of or as_of or today
            sub = batch.items[index]
            if isinstance(sub, Refusal):
                results[index] = BatchResult(index, sub.status, None, sub.diagnostics)
                continue
            key = item.idempotency_key if store else None
            request_hash = _request_hash(kind, {"as_of": item.as_of or as_of, "supersedes": None,
                                                "application": sub.data})
            if key is not None:
                if key in seen_keys:
                    earlier, earlier_hash = seen_keys[key]
                    if earlier_hash != request_hash:
                        raise ApiError.one(422, "idempotency_key_reused",
                                           f"item {earlier} of this batch already uses this idempotency key",
                                           field=f"items[{index}].idempotency_key")
                    repeats[index] = earlier
                    continue
                seen_keys[key] = (index, request_hash)
                existing = _find_idempotent(services.db, principal, key)
                if existing is not None:
                    results[index] = BatchResult(index, 200, Outcome(_replay(existing, request_hash), None, True,
                                                                      existing.as_of))
                    continue
            decision = _evaluate(repo, sub, day, binding)
            if not store:
                results[index] = BatchResult(index, 200, Outcome(None, decision, False, day))
                continue
            pending.append((index, Pending(sub.data, decision, day, None, key, request_hash)))
        except ApiError as e:
            diags = [_prefix(d, index) for d in e.diagnostics]
            results[index] = BatchResult(index, e.status, None, diags)
    if pending:
        try:
            rows = _insert(services, repo, principal, binding, [p for _, p in pending])
            for (index, p), row in zip(pending, rows):
                results[index] = BatchResult(index, 201, Outcome(row, p.decision, False, p.as_of))
        except IntegrityError:
            # a concurrent retry recorded some of these keys first: record item by item, replaying those
            for index, p in pending:
                try:
                    out = _record_one(services, repo, principal, binding, p)
                    results[index] = BatchResult(index, 200 if out.replayed else 201, out)
                except ApiError as e:
                    results[index] = BatchResult(index, e.status, None, [_prefix(d, index) for d in e.diagnostics])
    for index, first_index in repeats.items():
        first = results[first_index]
        if first.outcome is None:
            results[index] = BatchResult(index, first.status, None, [_prefix(d, index) for d in first.diagnostics])
        else:
            results[index] = BatchResult(index, 200, Outcome(first.outcome.record, first.outcome.decision, True,
                                                             first.outcome.as_of))
    return [results[i] for i in range(len(items))]


def _prefix(d: Diagnostic, index: int) -> Diagnostic:
    if d.field is None:
        field_name = f"items[{index}].application"
    elif d.field == "Idempotency-Key":
        field_name = f"items[{index}].idempotency_key"
    elif d.field.startswith("items["):
        field_name = d.field
    else:
        field_name = f"items[{index}].application.{d.field}"
    return Diagnostic(d.code, d.message, d.file, d.line, d.column, d.hint, field_name, d.severity)


# ------------------------------------------------------------------------------------------------ reading

def get_record(db: Database, principal: Principal, record_id: str, *, binding: bool) -> DecisionRecord:
    what = "evaluation" if binding else "self-check"
    if len(record_id) > 36:
        raise not_found(what, record_id[:36] + "…")
    with db.read() as session:
        rec = session.get(DecisionRecord, record_id)
    if rec is None or rec.organisation != principal.organisation or rec.binding != binding:
        raise not_found(what, record_id)
    return rec


def used_version(db: Database, organisation: str, version: str) -> bool:
    """Whether `organisation` has a record made with rule-set version `version`."""
    with db.read() as session:
        return session.scalar(select(DecisionRecord.id).where(DecisionRecord.organisation == organisation,
                                                              DecisionRecord.ruleset_version == version)
                              .limit(1)) is not None


def superseded_by(db: Database, rec: DecisionRecord) -> list[str]:
    with db.read() as session:
        return list(session.scalars(select(DecisionRecord.id).where(DecisionRecord.supersedes == rec.id,
                                                                    DecisionRecord.organisation == rec.organisation)
                                    .order_by(DecisionRecord.created_at, DecisionRecord.id)))


@dataclass(frozen=True)
class Filters:
    category: str | None = None
    outcome: str | None = None
    as_of_from: dt.date | None = None
    as_of_to: dt.date | None = None
    submitted_from: dt.date | None = None
    submitted_to: dt.date | None = None


def _filtered(query: Select[Any], principal: Principal, binding: bool, f: Filters) -> Select[Any]:
    query = query.where(DecisionRecord.organisation == principal.organisation, DecisionRecord.binding == binding)
    if f.category is not None:
        query = query.where(DecisionRecord.category == f.category)
    if f.outcome is not None:
        query = query.where(DecisionRecord.outcome == f.outcome)
    if f.as_of_from is not None:
        query = query.where(DecisionRecord.as_of >= f.as_of_from)
    if f.as_of_to is not None:
        query = query.where(DecisionRecord.as_of <= f.as_of_to)
    if f.submitted_from is not None:
        query = query.where(DecisionRecord.created_at >= dt.datetime.combine(f.submitted_from, dt.time.min,
                                                                             dt.timezone.utc))
    if f.submitted_to is not None:
        query = query.where(DecisionRecord.created_at <= dt.datetime.combine(f.submitted_to, dt.time.max,
                                                                             dt.timezone.utc))
    return query


def list_records(db: Database, principal: Principal, *, binding: bool, filters: Filters, limit: int,
                 offset: int) -> tuple[list[DecisionRecord], int]:
    with db.read() as session:
        total = session.scalar(_filtered(select(func.count()).select_from(DecisionRecord), principal, binding,
                                         filters)) or 0
        rows = list(session.scalars(_filtered(select(DecisionRecord), principal, binding, filters)
                                    .order_by(DecisionRecord.created_at.desc(), DecisionRecord.id.desc())
                                    .limit(limit).offset(offset)))
    return rows, total


def reevaluate(services: Services, principal: Principal, record_id: str, *, as_of: dt.date | None, today: dt.date,
               idempotency_key: str | None) -> Outcome:
    """Decide a recorded application again with the rules in force now; a new record linked to the old."""
    request_hash = _request_hash("re_evaluation", {"of": record_id, "as_of": as_of})
    if idempotency_key is not None:
        existing = _find_idempotent(services.db, principal, idempotency_key)
        if existing is not None:
            return Outcome(_replay(existing, request_hash), None, True, existing.as_of)
    old = get_record(services.db, principal, record_id, binding=True)
    sub = from_data(old.application)
    day = as_of or today
    repo = services.repository_for(principal)
    decision = _evaluate(repo, sub, day, True)
    return _record_one(services, repo, principal, True,
                       Pending(old.application, decision, day, old.id, idempotency_key, request_hash))


@dataclass(frozen=True)
class ReproductionResult:
    """`reproduced` is None when the re-run could not be made; `reason` then says why."""

    record: DecisionRecord
    reproduced: dict[str, Any] | None
    differences: list[str]
    reason: Sequence[Diagnostic] = ()


def reproduce(services: Services, principal: Principal, record_id: str) -> ReproductionResult:
    """Re-run a recorded decision with the rule-set content it was made with (its stored snapshot). A record
    that cannot be re-run any more is reported with the diagnostics of the refusal, never as an error."""
    rec = get_record(services.db, principal, record_id, binding=True)
    try:
        repo = services.snapshot_repository(rec.ruleset_version)
    except (ValidationError, ValueError, KeyError, TypeError) as e:
        # the snapshot was written by an earlier greencert whose models or version hash differ from this one's
        return ReproductionResult(rec, None, [], [Diagnostic(
            "snapshot_unreadable", f"the rule-set version `{rec.ruleset_version}` stored with this record cannot be "
            f"rebuilt by this version of greencert ({_first_line(e)})",
            hint="re-run it with the greencert release that made it")])
    if repo is None:  # the foreign key makes this impossible, short of a database edited by hand
        return ReproductionResult(rec, None, [], [Diagnostic(
            "snapshot_missing", f"the rule-set version `{rec.ruleset_version}` of this record is not stored")])
    try:
        sub = from_data(rec.application)
        decision = repo.check(sub.app, sub.doc, rec.as_of, binding=rec.binding)
    except (ApiError, DiagnosticError) as e:
        return ReproductionResult(rec, None, [], e.diagnostics)
    reproduced = json.loads(json.dumps(decision.to_dict()))
    return ReproductionResult(rec, reproduced, list(_differences(rec.decision, reproduced)))


def reproduction_view(result: ReproductionResult) -> dict[str, Any]:
    """The `Reproduction` answer: a report, whether or not the re-run could be made."""
    rec = result.record
    made = result.reproduced is not None
    return {"id": rec.id, "reproducible": made, "identical": made and not result.differences,
            "ruleset_version": rec.ruleset_version, "as_of": rec.as_of, "differences": result.differences,
            "stored": rec.decision, "reproduced": result.reproduced,
            "reason": None if made else {"diagnostics": [d.to_dict() for d in result.reason]}}


def _first_line(e: Exception) -> str:
    text = str(e).strip().splitlines()
    return (text[0] if text else type(e).__name__)[:200]


def _differences(a: Any, b: Any, path: str = "") -> Iterator[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            sub = f"{path}.{key}" if path else str(key)
            if key not in a or key not in b:
                yield sub
            else:
                yield from _differences(a[key], b[key], sub)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            yield path or "<root>"
        else:
            for i, (x, y) in enumerate(zip(a, b)):
                yield from _differences(x, y, f"{path}[{i}]")
    elif a != b or type(a) is not type(b):
        yield path or "<root>"


# ------------------------------------------------------------------------------------------------ views

def record_view(rec: DecisionRecord | None, *, decision: Decision | None = None, principal: Principal | None = None,
                as_of: dt.date | None = None) -> dict[str, Any]:
    if rec is None:
        assert decision is not None and principal is not None and as_of is not None
        return {"id": None, "binding": decision.binding, "stored": False, "organisation": principal.organisation,
                "requested_by": principal.key_id, "created_at": None, "as_of": as_of, "supersedes": None,
                "decision": decision.to_dict()}
    return {"id": rec.id, "binding": rec.binding, "stored": True, "organisation": rec.organisation,
            "requested_by": rec.api_key_id, "created_at": rec.created_at, "as_of": rec.as_of,
            "supersedes": rec.supersedes, "decision": rec.decision}


def summary_view(rec: DecisionRecord) -> dict[str, Any]:
    return {"id": rec.id, "binding": rec.binding, "category": rec.category, "outcome": rec.outcome,
            "product_model": rec.product_model, "application_id": rec.application_id, "as_of": rec.as_of,
            "created_at": rec.created_at, "ruleset_id": rec.ruleset_id, "ruleset_version": rec.ruleset_version,
            "supersedes": rec.supersedes}
