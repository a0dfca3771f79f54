"""greencert's engine: load and validate rule sets, evaluate applications, return decisions as data."""

# `native` must come first: importing it decides, before anything imports engine.evaluator, whether that is the
# compiled build or (if it is stale or absent) the source
from . import native
from .application import Application
from .decision import Decision
from .diagnostics import Diagnostic, DiagnosticError, format_diagnostic
from .evaluator import evaluate, evaluate_batch, evaluate_each
from .intake import application_from_data, parse_application, read_application
from .loader import LoadResult, default_catalog_dir, default_rules_dir, load
from .repository import Repository

__all__ = [
    "Application", "Decision", "Diagnostic", "DiagnosticError", "LoadResult", "Repository", "application_from_data",
    "default_catalog_dir", "default_rules_dir", "evaluate", "evaluate_batch", "evaluate_each", "format_diagnostic",
    "load", "native", "parse_application",
    "read_application",
]
