"""`greencert certificates issue|event|show|list|due`: a certification body's certificate work from the shell.

The commands work on the service's database directly (as `greencert keys` does) and act as the API key given
with `--key` or GREENCERT_API_KEY: every event records that key, as over HTTP. `show --public` needs no key and
prints only what the public check shows."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from typing import Any

__all__ = ["add_arguments", "cmd_issue", "cmd_event", "cmd_show", "cmd_list", "cmd_due"]

_EVENT_KINDS = ("surveillance_recorded", "suspended", "restored", "revoked", "cancelled", "scope_extended",
                "scope_reduced", "converted", "expired")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"`{text}` is not a date (YYYY-MM-DD)") from None


def _services(args: argparse.Namespace) -> Any:
    from .db import Database
    from .migrate import upgrade
    from .service import Services, load_overlaid, load_repository
    from .settings import Settings

    settings = Settings(**({"database_url": args.database_url} if args.database_url else {}))
    db = Database(settings.database_url)
    upgrade(db.engine)
    return Services(settings=settings, db=db, repository=load_repository(settings), overlaid=load_overlaid(settings))


def _principal(args: argparse.Namespace, services: Any, role: str | None = "certification_body") -> Any:
    from .errors import ApiError
    from .keys import authenticate

    token = args.key or os.environ.get("GREENCERT_API_KEY")
    if not token:
        raise ApiError.one(401, "unauthenticated", "this command needs an API key",
                           hint="give `--key` or set GREENCERT_API_KEY (`greencert keys create`)")
    principal = authenticate(services.db, token)
    if principal is None:
        raise ApiError.one(401, "invalid_api_key", "the API key is unknown or revoked")
    allowed = ("certification_body",) if role else ("certification_body", "manufacturer")
    if principal.role not in allowed:
        raise ApiError.one(403, "forbidden", f"role `{principal.role}` may not do this",
                           hint="needs " + " or ".join(f"`{r}`" for r in allowed))
    return principal


def _print(args: argparse.Namespace, data: Any, text: str) -> None:
    if args.format == "json":
        print(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    else:
        print(text)


def _status_line(view: dict[str, Any]) -> str:
    s = view["status"]
    words = f"{view['number']}: {s['state']} on {s['as_of']}" + (f" (since {s['since']})" if s["since"] else "")
    if s.get("suspension_deadline"):
        words += f", deadline {s['suspension_deadline']}" + (" — missed" if s["deadline_missed"] else "")
    lines = [words,
             f"  holder {view['holder_name']}; {s['category']} under {s['edition']}; label {s['label_kind']}: "
             + ", ".join(lab["id"] for lab in s["labels"]),
             f"  models: {', '.join(s['models'])}; issued {s['issued_on']}, valid until {s['valid_until']}"]
    if s.get("surveillance_due"):
        lines.append(f"  surveillance due {s['surveillance_due']}" + (" (overdue)" if s["surveillance_overdue"] else ""))
    lines.extend(f"  note: {n}" for n in s["notes"])
    for e in view.get("events", []):
        lines.append(f"  #{e['sequence']} {e['on']} {e['kind']}" + (f": {e['reason']}" if e["reason"] else "")
                     + (f" (evaluation {e['evaluation_id']})" if e["evaluation_id"] else ""))
    return "\n".join(lines)


def _run(args: argparse.Namespace, work: Any) -> int:
    from engine import format_diagnostic

    from .errors import ApiError

    services = None
    try:
        services = _services(args)
        work(services)
    except ApiError as e:
        for d in e.diagnostics:
            print(format_diagnostic(d), file=sys.stderr)
        return 1 if e.status in (404, 409) else 2
    finally:
        if services is not None:
            services.close()
    return 0


def cmd_issue(args: argparse.Namespace) -> int:
    from . import certificates as certs

    def work(services: Any) -> None:
        principal = _principal(args, services)
        req = certs.IssueRequest(args.evaluation_id, args.holder, args.holder_name or args.holder, args.manufacturer,
                                 tuple(args.site or ()), args.on, args.prefix)
        loaded, replayed = certs.issue(services, principal, req, today=dt.date.today(),
                                       settings=certs.get_certificate_settings(), idempotency_key=args.idempotency_key)
        view = certs.certificate_view(loaded, loaded.log[0].on)
        _print(args, view, ("replayed: " if replayed else "issued ") + _status_line(view))
    return _run(args, work)


def cmd_event(args: argparse.Namespace) -> int:
    from . import certificates as certs

    def work(services: Any) -> None:
        principal = _principal(args, services)
        req = certs.EventRequest(args.kind, args.on, args.reason, args.evaluation, args.deadline,
                                 tuple(args.model or ()), tuple(args.unit or ()))
        loaded, row, replayed = certs.record_event(services, principal, args.number, req, today=dt.date.today(),
                                                   idempotency_key=args.idempotency_key)
        view = certs.certificate_view(loaded, row.effective_on, events=False)
        _print(args, {"event": certs.event_view(row), "certificate": view},
               ("replayed " if replayed else "recorded ") + f"#{row.sequence} {row.kind}\n" + _status_line(view))
    return _run(args, work)


def cmd_show(args: argparse.Namespace) -> int:
    from . import certificates as certs

    def work(services: Any) -> None:
        day = args.as_of or dt.date.today()
        if args.public:
            view = certs.public_view(certs.get_certificate(services.db, None, args.number), day)
            _print(args, view, f"{view['number']}: {'valid' if view['valid'] else view['state']} on {view['as_of']}; "
                   f"{view['holder_name']}; {', '.join(view['models'])}; label {view['label_kind']}; "
                   f"valid until {view['valid_until']}")
            return
        principal = _principal(args, services, role=None)
        view = certs.certificate_view(certs.read_certificate(services.db, principal, args.number), day)
        _print(args, view, _status_line(view))
    return _run(args, work)


def cmd_list(args: argparse.Namespace) -> int:
    from . import certificates as certs

    def work(services: Any) -> None:
        principal = _principal(args, services, role=None)
        day = args.as_of or dt.date.today()
        items, total = certs.list_certificates(services.db, principal, limit=args.limit, offset=0)
        views = [certs.certificate_view(x, day, events=False) for x in items]
        _print(args, {"items": views, "total": total},
               "\n".join(f"{v['number']}  {v['status']['state']:<10} {v['holder_name']}  {v['category']}"
                         for v in views) + f"\n{total} certificate(s)")
    return _run(args, work)


def _set_by(period: Any) -> str:
    if period.set_by == "overlay":
        return f"overlay `{period.overlay}`"
    return {"catalogue": "catalogue", "ruleset": "rule set", "service": "service setting"}.get(period.set_by,
                                                                                             "recorded")


def cmd_due(args: argparse.Namespace) -> int:
    from . import certificates as certs

    def work(services: Any) -> None:
        principal = _principal(args, services)
        day = args.as_of or dt.date.today()
        rows = certs.due_list(services.db, principal, day, args.within_days, certs.edition_ends(services, principal))
        settings = certs.get_certificate_settings()
        schedule = certs.schedule_for(services, principal, settings)
        by_ruleset = certs.schedules_by_ruleset(services, principal, settings)
        not_set = [name for name, value in schedule.to_dict().items() if value is None]
        items = [{"number": x.record.number, "kind": d.kind, "due": d.due.isoformat(), "detail": d.detail}
                 for x, _s, d in rows]
        text = "\n".join(f"{i['due']}  {i['kind']:<20} {i['number']}  {i['detail']}" for i in items)
        text += f"\n{len(items)} item(s) as of {day}, looking {args.within_days} day(s) ahead"
        for rid, own in sorted(by_ruleset.items()):
            text += f"\nschedule of `{rid}`: " + "; ".join(
                f"{name} {p.text()} ({p.provenance}, {_set_by(p)})" for name in own.to_dict()
                if (p := getattr(own, name)) is not None)
        if not_set:
            text += ("\nnot set (no source gives them; GREENCERT_CERTIFICATE_<NAME> sets them for every rule set, "
                     "an overlay's `certificate:` for one): " + ", ".join(not_set))
        _print(args, {"as_of": day.isoformat(), "items": items, "not_set": not_set, "schedule": schedule.to_dict(),
                      "schedules": {rid: own.to_dict() for rid, own in by_ruleset.items()}}, text)
    return _run(args, work)


def add_arguments(group: argparse.ArgumentParser) -> None:
    """The sub-commands of `greencert certificates` on `group`. Each names its implementation both as `func` and
    as `run` ("module:function"); greencert_cli.main's `certificates` command builds them lazily."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--key", help="the API key to act as (default GREENCERT_API_KEY)")
    common.add_argument("--database-url", help="the service's database (default GREENCERT_DATABASE_URL)")
    common.add_argument("--format", choices=("text", "json"), default="text")
    cmds = group.add_subparsers(dest="certificates_command", required=True)

    def command(name: str, func: Any, help_text: str) -> argparse.ArgumentParser:
        p = cmds.add_parser(name, parents=[common], help=help_text)
        p.set_defaults(func=func, run=f"{__name__}:{func.__name__}")
        return p

    p = command("issue", cmd_issue, "issue a certificate from a granted binding evaluation")
    p.add_argument("evaluation_id")
    p.add_argument("--holder", required=True, help="the holder's organisation (as its keys name it)")
    p.add_argument("--holder-name", help="the holder's name as printed (default: --holder)")
    p.add_argument("--manufacturer", help="default: the application's")
    p.add_argument("--site", action="append", help="a production site (repeatable; default: the application's)")
    p.add_argument("--on", type=_date, help="issue date (default today)")
    p.add_argument("--prefix", help="number prefix (default GREENCERT_CERTIFICATE_PREFIX or the organisation)")
    p.add_argument("--idempotency-key", help="a retry with the same key answers the first certificate")

    p = command("event", cmd_event, "record an event of a certificate (append-only)")
    p.add_argument("number")
    p.add_argument("kind", choices=_EVENT_KINDS)
    p.add_argument("--on", type=_date, help="the day it takes effect (default today)")
    p.add_argument("--reason")
    p.add_argument("--evaluation", help="the binding evaluation it rests on")
    p.add_argument("--deadline", type=_date, help="suspension: the last day to restore it")
    p.add_argument("--model", action="append", help="scope reduction: a model removed (repeatable)")
    p.add_argument("--unit", action="append", help="scope reduction: a unit removed (repeatable)")
    p.add_argument("--idempotency-key")

    p = command("show", cmd_show, "a certificate and its status on a day")
    p.add_argument("number")
    p.add_argument("--as-of", type=_date, help="the day (default today)")
    p.add_argument("--public", action="store_true", help="what the public check shows (no key needed)")

    p = command("list", cmd_list, "your certificates (issued or held)")
    p.add_argument("--as-of", type=_date)
    p.add_argument("--limit", type=int, default=50)

    p = command("due", cmd_due, "your work list: surveillance, suspensions, renewals, conversions")
    p.add_argument("--as-of", type=_date)
    p.add_argument("--within-days", type=int, default=30)
