"""`greencert serve`, `greencert migrate` and `greencert keys create|list|revoke` (their arguments: greencert_cli)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from .db import Database
from .settings import Settings, default_database_url

__all__ = ["cmd_keys_create", "cmd_keys_list", "cmd_keys_revoke", "cmd_migrate", "cmd_serve"]


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {}
    if getattr(args, "database_url", None):
        overrides["database_url"] = args.database_url
    return Settings(**overrides)


def _database(args: argparse.Namespace) -> Database:
    from .migrate import upgrade

    db = Database(_settings(args).database_url)
    upgrade(db.engine)
    return db


def cmd_serve(args: argparse.Namespace) -> int:
    from engine import DiagnosticError, format_diagnostic

    from .migrate import upgrade
    from .service import load_overlaid, load_repository
    from .serving import serve

    # the workers read their settings from the environment: put the command-line choices there
    env = {"GREENCERT_DATABASE_URL": args.database_url, "GREENCERT_HOST": args.host,
           "GREENCERT_PORT": None if args.port is None else str(args.port),
           "GREENCERT_WORKERS": None if args.workers is None else str(args.workers),
           "GREENCERT_RULES_DIRS": os.pathsep.join(str(p) for p in args.rules) if args.rules else None,
           "GREENCERT_OVERLAY_DIRS": os.pathsep.join(str(p) for p in args.overlay) if args.overlay else None,
           "GREENCERT_OVERLAY_ORGANISATION": args.overlay_organisation}
    for key, value in env.items():
        if value is not None:
            os.environ[key] = value
    settings = Settings()
    try:
        load_repository(settings)  # refuse to start on invalid rules or overlays, with their diagnostics
        load_overlaid(settings)
    except DiagnosticError as e:
        for d in e.diagnostics:
            print(format_diagnostic(d), file=sys.stderr)
        return 3
    db = Database(settings.database_url)
    upgrade(db.engine)  # once, before the workers start
    db.dispose()
    default = settings.database_url == default_database_url()
    print(f"greencert: serving on http://{settings.host}:{settings.port} with {settings.workers} worker(s), "
          f"database {_redact(settings.database_url)}"
          + (" (the default; GREENCERT_DATABASE_URL or --database-url names another)" if default else ""),
          file=sys.stderr)
    return serve(settings.host, settings.port, settings.workers, args.log_level, settings.header_timeout_seconds)


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def cmd_migrate(args: argparse.Namespace) -> int:
    from .migrate import current_revision

    db = _database(args)
    print(f"database schema at revision {current_revision(db.engine)}")
    db.dispose()
    return 0


def cmd_keys_create(args: argparse.Namespace) -> int:
    from .keys import create_key

    db = _database(args)
    try:
        key = create_key(db, args.organisation, args.role, args.name)
    except ValueError as e:
        print(f"greencert: {e}", file=sys.stderr)
        return 2
    finally:
        db.dispose()
    if args.format == "json":
        print(json.dumps({"id": key.id, "organisation": key.organisation, "role": key.role, "name": key.name,
                          "created_at": key.created_at.isoformat(), "token": key.token}, ensure_ascii=False))
    else:
        print(f"created {key.id} ({key.role} of {key.organisation}); the token is shown only now:", file=sys.stderr)
        print(key.token)
    return 0


def cmd_keys_list(args: argparse.Namespace) -> int:
    from .keys import list_keys

    db = _database(args)
    keys = list_keys(db, args.organisation)
    db.dispose()
    rows = [{"id": k.id, "organisation": k.organisation, "role": k.role, "name": k.name,
             "created_at": k.created_at.isoformat(), "revoked_at": k.revoked_at.isoformat() if k.revoked_at else None}
            for k in keys]
    if args.format == "json":
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        for r in rows:
            state = f"revoked {r['revoked_at']}" if r["revoked_at"] else "active"
            print(f"{r['id']}  {r['role']:<18}  {r['organisation']}  {r['name'] or ''}  ({state})")
        print(f"{len(rows)} key(s)", file=sys.stderr)
    return 0


def cmd_keys_revoke(args: argparse.Namespace) -> int:
    from .keys import revoke_key

    db = _database(args)
    key = revoke_key(db, args.key_id)
    db.dispose()
    if key is None:
        print(f"greencert: no API key `{args.key_id}`", file=sys.stderr)
        return 1
    print(f"revoked {key.id} ({key.role} of {key.organisation})")
    return 0
