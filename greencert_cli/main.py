"""The `greencert` command line: validate rule files, check an application, list the catalogue."""

# The composition: every command's name, help and arguments are here, its implementation (`run`, a
# "module:function" name) in its own layer: engine/cli.py, api/commands.py, engine/bdd/commands.py. Only the
# arguments of the command named on the command line are built, and only its implementation is imported, so that
# `greencert --help` imports argparse and this module, and `greencert check` never imports FastAPI or SQLAlchemy.

from __future__ import annotations

import argparse
import calendar
import datetime as dt
import importlib
import json
import os
import re
import sys
import traceback
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

__all__ = ["COMMANDS", "Command", "USAGE_EXIT", "INTERNAL_EXIT", "build_parser", "main"]

# The command line's own exit codes (BSD sysexits EX_USAGE, EX_SOFTWARE), beside the outcomes' 0-3 of
# engine.cli.EXIT_CODES (which lists them too; tests/cli/test_cli_bad_input.py checks the two agree). Not imported from
# there: `greencert --help` and a usage error import no engine module.
USAGE_EXIT = 64
INTERNAL_EXIT = 70

_CHECK_EXIT_CODES = """\
exit codes:
  0   granted
  1   refused
  2   incomplete: evidence or a limit value is missing
  3   invalid: the application (or the rule files) cannot be evaluated; the diagnostics say why
  64  usage error: an unknown option, a missing argument, a date that does not exist
  70  internal error: a fault of greencert itself (GREENCERT_DEBUG=1 or --debug prints the traceback)"""

_VALIDATE_EXIT_CODES = """\
exit codes:
  0   every file is valid (warnings may be printed)
  1   at least one problem was found, or no rule file was found
  64  usage error
  70  internal error (GREENCERT_DEBUG=1 or --debug prints the traceback)"""

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


class _Parser(argparse.ArgumentParser):
    """argparse with its own exit code for usage errors (argparse's 2 would read as *incomplete*)."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(USAGE_EXIT, f"{self.prog}: usage_error: {message}\n")


class _Version(argparse.Action):
    """`--version`, looked up only when asked: the package metadata is not read on every start."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kwargs: Any):
        super().__init__(option_strings, dest, nargs=0, help="print the greencert version and exit", **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        from importlib.metadata import PackageNotFoundError, version
        try:
            text = version("greencert")
        except PackageNotFoundError:
            text = "unknown (not installed)"
        print(f"greencert {text}")
        parser.exit(0)


@dataclass(frozen=True)
class Command:
    """One sub-command: its one-line help, and a function adding its arguments (and `run`) to its parser."""

    help: str
    arguments: Callable[[argparse.ArgumentParser], None]


def _date(text: str) -> dt.date:
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text.strip())
    if m is None:
        raise argparse.ArgumentTypeError(f"`{text}` is not a date (write YYYY-MM-DD)")
    year, month, day = (int(g) for g in m.groups())
    if not 1 <= month <= 12:
        raise argparse.ArgumentTypeError(f"`{text}` does not exist: there is no month {month}")
    try:
        return dt.date(year, month, day)
    except ValueError:
        days = calendar.monthrange(year, month)[1] if year >= 1 else 31
        raise argparse.ArgumentTypeError(f"`{text}` does not exist: {_MONTHS[month - 1]} {year} has {days} days"
                                         if year >= 1 else f"`{text}` does not exist: years start at 0001") from None


# --- engine (engine/cli.py) ---------------------------------------------------------------------------------------

def _validate(p: argparse.ArgumentParser) -> None:
    p.description = "Validate catalogue entries and rule sets (and overlays against them)."
    p.epilog = _VALIDATE_EXIT_CODES
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.add_argument("paths", nargs="*", type=Path, help="files or folders (default: the shipped catalogs/ and rules/)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--overlay", type=Path, action="append", help="overlay folder(s) to validate against the rule sets")
    p.set_defaults(run="engine.cli:cmd_validate")


def _check(p: argparse.ArgumentParser) -> None:
    p.description = "Evaluate an application (YAML or JSON) and print the decision."
    p.epilog = _CHECK_EXIT_CODES
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.add_argument("application", type=Path)
    p.add_argument("--as-of", type=_date, help="evaluation date, YYYY-MM-DD (default: today)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--rules", type=Path, action="append", help="rule-set folder(s) instead of the shipped rules/")
    p.add_argument("--overlay", type=Path, action="append",
                   help="overlay folder(s) with a certification body's own limits (env GREENCERT_OVERLAY_DIRS)")
    p.add_argument("--self-check", action="store_true", help="mark the decision non-binding (manufacturer self-check)")
    p.add_argument("--color", action=argparse.BooleanOptionalAction, default=None, help="force colours on or off")
    p.set_defaults(run="engine.cli:cmd_check")


def _catalog(p: argparse.ArgumentParser) -> None:
    p.add_argument("--as-of", type=_date, help="mark the editions accepted on this date")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--rules", type=Path, action="append", help="rule-set folder(s) instead of the shipped rules/")
    p.add_argument("--overlay", type=Path, action="append", help="overlay folder(s)")
    p.add_argument("--provenance", action="store_true",
                   help="count the limits and grade bands by the strength of their source, and the missing ones")
    p.set_defaults(run="engine.cli:cmd_catalog")


# --- the BDD kit (engine/bdd/commands.py) -------------------------------------------------------------------------

def _features(p: argparse.ArgumentParser) -> None:
    from engine.bdd.commands import DEFAULT_OUTPUT

    p.add_argument("paths", nargs="*", type=Path, help="feature files or folders (default: the project's features/)")
    p.add_argument("--coverage", action="store_true", help="report criterion coverage per rule set")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--rules", type=Path, action="append", help="rule-set folder(s) instead of the shipped rules/")
    p.add_argument("--catalog", type=Path, action="append",
                   help="catalogue folder(s) or file(s) instead of the shipped catalogs/")
    p.add_argument("--output", type=Path, help=f"where to write the coverage file (default with --coverage: "
                                               f"{DEFAULT_OUTPUT})")
    p.add_argument("-k", dest="keyword", help="only scenarios whose name matches this pytest -k expression")
    p.set_defaults(run="engine.bdd.commands:cmd_features")


# --- the service (api/commands.py) --------------------------------------------------------------------------------

def _db_help() -> str:
    from api.settings import default_database_url

    return ("SQLAlchemy database URL, e.g. postgresql+psycopg://user@host/db (default: GREENCERT_DATABASE_URL "
            f"from the environment or .env, else {default_database_url()}: one SQLite file per user, "
            "in $XDG_DATA_HOME/greencert or ~/.local/share/greencert)")


def _serve(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", help="address to listen on (default 127.0.0.1, or GREENCERT_HOST)")
    p.add_argument("--port", type=int, help="port (default 8000, or GREENCERT_PORT)")
    p.add_argument("--workers", type=int, help="worker processes (default 1, or GREENCERT_WORKERS)")
    p.add_argument("--database-url", help=_db_help())
    p.add_argument("--rules", type=Path, action="append", help="rule-set folder(s) instead of the shipped rules/")
    p.add_argument("--overlay", type=Path, action="append",
                   help="overlay folder(s): a certification body's own limits (or GREENCERT_OVERLAY_DIRS)")
    p.add_argument("--overlay-organisation", metavar="ORG",
                   help="the organisation owning the overlays: only its keys (and the operator's) read and evaluate "
                        "with them (or GREENCERT_OVERLAY_ORGANISATION; required with --overlay)")
    p.add_argument("--log-level", default="info", choices=("critical", "error", "warning", "info", "debug"))
    p.set_defaults(run="api.commands:cmd_serve")


def _migrate(p: argparse.ArgumentParser) -> None:
    p.add_argument("--database-url", help=_db_help())
    p.set_defaults(run="api.commands:cmd_migrate")


def _keys(parser: argparse.ArgumentParser) -> None:
    from api.db import ROLES

    db_help = _db_help()
    keys = parser.add_subparsers(dest="keys_command", required=True)
    p = keys.add_parser("create", help="create a key and print its token (shown once)")
    p.add_argument("--organisation", "--org", required=True)
    p.add_argument("--role", required=True, choices=ROLES,
                   help="an administrator manages its own organisation's keys over HTTP; an operator (made only "
                        "here) every organisation's")
    p.add_argument("--name", help="a note to recognise the key by")
    p.add_argument("--database-url", help=db_help)
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(run="api.commands:cmd_keys_create")
    p = keys.add_parser("list", help="list keys (never their tokens)")
    p.add_argument("--organisation", "--org")
    p.add_argument("--database-url", help=db_help)
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(run="api.commands:cmd_keys_list")
    p = keys.add_parser("revoke", help="revoke a key by its id")
    p.add_argument("key_id")
    p.add_argument("--database-url", help=db_help)
    p.set_defaults(run="api.commands:cmd_keys_revoke")


def _impact(p: argparse.ArgumentParser) -> None:
    p.add_argument("--category", required=True)
    p.add_argument("--edition", required=True, help="the new edition: its standard (e.g. `GB/T 35607-2024`) or id")
    p.add_argument("--as-of", type=_date, help="the certificates valid on this day, evaluated as of it (default: "
                                               "the day the edition takes effect)")
    p.add_argument("--format", choices=("table", "json", "csv"), default="table")
    p.add_argument("--database-url", help=_db_help())
    p.add_argument("--rules", type=Path, action="append", help="rule-set folder(s) instead of the shipped rules/")
    p.add_argument("--overlay", type=Path, action="append",
                   help="overlay folder(s): the body's licensed limits, or limits it tries (\"what if\"; the "
                        "registry is only read) (default GREENCERT_OVERLAY_DIRS)")
    p.add_argument("--workers", type=int, help="worker processes (default: one per CPU)")
    p.set_defaults(run="api.impact:cmd_impact")


def _registry(p: argparse.ArgumentParser) -> None:
    p.add_argument("--as-of", type=_date, help="the certificates valid on this day (default today)")
    p.add_argument("--category")
    p.add_argument("--label-kind", choices=("full", "partial"))
    p.add_argument("--attribute", help="a label's attribute (resource, energy, environment, quality, …) or id")
    p.add_argument("--holder", help="the holder's organisation or printed name")
    p.add_argument("--region")
    p.add_argument("--issued-by", help="the certification body")
    p.add_argument("--model", help="instead: is this model covered by a valid certificate on the day?")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--offset", type=int, default=0)
    p.add_argument("--format", choices=("table", "json", "csv"), default="table")
    p.add_argument("--database-url", help=_db_help())
    p.set_defaults(run="api.registry_commands:cmd_registry")


def _certificates(parser: argparse.ArgumentParser) -> None:
    from api.certificate_commands import add_arguments

    add_arguments(parser)


COMMANDS: dict[str, Command] = {
    "validate": Command("validate catalogue and rule-set files; exit 1 on any problem", _validate),
    "check": Command("evaluate an application (YAML or JSON) and print the decision", _check),
    "catalog": Command("list the categories and their editions", _catalog),
    "serve": Command("run the HTTP API (uvicorn) on the shipped rule sets", _serve),
    "migrate": Command("bring the database schema up to date (the server also does this on start)", _migrate),
    "keys": Command("manage API keys", _keys),
    "certificates": Command("issue certificates, record their life, check them", _certificates),
    "registry": Command("the certificates valid on a day (public data), filtered, as a table, JSON or CSV; or "
                        "whether a model is covered", _registry),
    "impact": Command("what a new edition does to the valid certificates of a category: keep, lose or undetermined, "
                      "per certificate and in summary", _impact),
    "features": Command("run the Gherkin features of the rule sets; with --coverage, report the criteria, basic "
                        "requirements and labels no scenario exercises (exit 2 when a rule set is not fully covered)",
                        _features),
}


def build_parser(only: Collection[str] | None = None) -> argparse.ArgumentParser:
    """The whole parser; with `only`, every command is listed but only those commands' arguments are built (building
    them may import their layer, e.g. the service's settings for the default database's name)."""
    parser = _Parser(prog="greencert", description=__doc__,
                     epilog="exit codes: 0 granted, 1 refused, 2 incomplete, 3 invalid input, 64 usage error, "
                            "70 internal error (`greencert check --help` says more)")
    parser.add_argument("--version", action=_Version)
    parser.add_argument("--debug", action="store_true",
                        help="print the traceback of an internal error (or set GREENCERT_DEBUG=1)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="command")
    for name, command in COMMANDS.items():
        p = sub.add_parser(name, help=command.help)
        if only is None or name in only:
            command.arguments(p)
    return parser


def _implementation(run: str) -> Callable[[argparse.Namespace], int]:
    module, _, function = run.partition(":")
    implementation: Callable[[argparse.Namespace], int] = getattr(importlib.import_module(module), function)
    return implementation


def _internal_error(e: BaseException, args: argparse.Namespace | None) -> int:
    """A fault of greencert itself: one diagnostic line (the traceback only when asked), exit 70."""
    if (args is not None and getattr(args, "debug", False)) or os.environ.get("GREENCERT_DEBUG"):
        traceback.print_exception(e)
    from engine.diagnostics import Diagnostic, format_diagnostic

    detail = " ".join(str(e).split())[:300]
    d = Diagnostic("internal_error", f"{type(e).__name__}{': ' + detail if detail else ''}", "greencert",
                   hint="a fault of greencert, not of the input: please report it; GREENCERT_DEBUG=1 prints the "
                        "traceback")
    if args is not None and getattr(args, "format", "text") == "json":
        print(json.dumps({"diagnostics": [d.to_dict()]}, ensure_ascii=False, indent=2))
    else:
        print(format_diagnostic(d), file=sys.stderr)
    return INTERNAL_EXIT


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # the command is the first word that is not an option (`greencert` itself has no option taking a value)
    named = next((a for a in argv if not a.startswith("-")), None)
    args: argparse.Namespace | None = None
    try:
        args = build_parser([named] if named in COMMANDS else []).parse_args(argv)
        code: int = _implementation(args.run)(args)
    except BrokenPipeError:  # pragma: no cover - `greencert ... | head`
        return 0
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # noqa: BLE001 - MemoryError and RecursionError included: never a bare traceback
        return _internal_error(e, args)
    return code
