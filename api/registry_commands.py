"""`greencert registry`: the public procurement query and model coverage from the shell (no key: public data)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys

from . import registry

__all__ = ["cmd_registry"]


def cmd_registry(args: argparse.Namespace) -> int:
    from .db import Database
    from .migrate import upgrade
    from .settings import Settings

    settings = Settings(**({"database_url": args.database_url} if args.database_url else {}))
    db = Database(settings.database_url)
    upgrade(db.engine)
    day = args.as_of or dt.date.today()
    if args.model is not None:
        views = registry.coverage(db, args.model, day)
        has_more = False
    else:
        q = registry.RegistryQuery(day, args.category, args.label_kind, args.attribute, args.holder, args.region,
                                   args.issued_by)
        views, has_more = registry.search(db, q, limit=args.limit, offset=args.offset)
    if args.format == "json":
        out = {"as_of": day, "items": views, "has_more": has_more}
        if args.model is not None:
            out["model"], out["covered"] = args.model, bool(views)
        json.dump(out, sys.stdout, ensure_ascii=False, indent=2, default=str)
        print()
    elif args.format == "csv":
        sys.stdout.write(registry.csv_rows(views))
    else:
        if args.model is not None:
            print(f"{args.model}: " + ("covered" if views else "not covered") + f" on {day}")
        for v in views:
            print(f"{v['number']:<20} {v['category']:<24} {v['label_kind'] or '':<8} {v['holder_name']}  "
                  f"(valid until {v['valid_until']}, {v['issued_by']})")
        if has_more:
            print(f"… more: --offset {args.offset + args.limit}")
    return 0
