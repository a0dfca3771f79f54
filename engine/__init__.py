"""greencert's engine: load and validate rule sets, evaluate applications, return decisions as data.

This module is the engine's facade (as OPA's `rego` package is over `ast` and `topdown`): `api/`, the BDD kit
(`engine/bdd`) and the command line import the names in `__all__`, and nothing else of `engine` but its public
submodules (`PUBLIC_SUBMODULES`), whose own `__all__` is their surface. Those are kept as modules, not flattened
here, because their names only read well qualified (`certificates.check`, `certificates.Status`,
`units.conversion`, `impact.summarize`) and each is a vocabulary of its own: a certificate's life, units, the
impact of a new edition on certificates, the operator registry, the evaluator build in use. Every other module
of `engine` is internal and may change shape (pyproject.toml's `engine-facade` contract and
tests/engine/test_engine_facade.py keep it so).

The names are resolved when first used (PEP 562 `__getattr__`), so `import engine` costs almost nothing: a
command imports the stages it runs (the loader without the evaluator, the evaluator without the web service).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

# `native` must come first: importing it decides, before anything imports engine.evaluator, whether that is the
# compiled build or (if it is stale or absent) the source. Every `import engine.x` runs this file first.
from . import native

# public name -> the internal module that defines it
_EXPORTS = {
    # loading and validating rule sets and catalogues
    "load": "loader", "LoadResult": "loader", "Repository": "repository", "default_catalog_dir": "loader",
    "default_rules_dir": "loader", "PROJECT_ROOT": "loader", "load_schema": "schema_check",
    # YAML read with the location of every node (the API reads uploaded rule files with it)
    "parse_text": "yamlsource", "SourceDocument": "yamlsource", "Pointer": "yamlsource",
    # the typed, frozen models of catalogues and rule sets
    "Category": "models", "Criterion": "models", "Indicator": "models", "Label": "models", "Parameter": "models",
    "RuleSet": "models",
    # applications
    "Application": "application", "application_from_data": "intake", "parse_application": "intake",
    "read_application": "intake", "resolve_unit": "intake",
    # evaluation: one, a batch, or many in worker processes
    "evaluate": "evaluator", "evaluate_batch": "evaluator", "evaluate_each": "evaluator",
    "ParallelEvaluator": "parallel", "evaluate_many": "parallel", "evaluate_chunk": "parallel",
    # the decision as data: its records
    "Decision": "decision", "CriterionResult": "decision", "RequirementResult": "decision", "LabelResult": "decision",
    # certification bodies' overlays (the BDD kit's step library applies them to scenarios)
    "apply_overlays": "overlays",
    # the one error shape
    "Diagnostic": "diagnostics", "DiagnosticError": "diagnostics", "format_diagnostic": "diagnostics",
    "did_you_mean": "diagnostics", "field_path": "diagnostics",
}
PUBLIC_SUBMODULES = ("certificates", "impact", "native", "ops", "units")

# a literal, for the type checker; tests/engine/test_engine_facade.py checks it is `_EXPORTS` and `PUBLIC_SUBMODULES`
__all__ = [
    "Application", "Category", "Criterion", "CriterionResult", "Decision", "Diagnostic", "DiagnosticError",
    "Indicator", "Label", "LabelResult", "LoadResult", "PROJECT_ROOT", "PUBLIC_SUBMODULES", "ParallelEvaluator",
    "Parameter", "Pointer", "Repository", "RequirementResult", "RuleSet", "SourceDocument", "application_from_data",
    "apply_overlays", "certificates", "default_catalog_dir", "default_rules_dir", "did_you_mean", "evaluate",
    "evaluate_batch", "evaluate_chunk", "evaluate_each", "evaluate_many", "field_path", "format_diagnostic", "impact",
    "load", "load_schema", "native", "ops", "parse_application", "parse_text", "read_application", "resolve_unit", "units",
]

if TYPE_CHECKING:  # what the type checker sees; at run time `__getattr__` imports each on first use
    from . import certificates, impact, ops, units
    from .application import Application
    from .decision import CriterionResult, Decision, LabelResult, RequirementResult
    from .diagnostics import Diagnostic, DiagnosticError, did_you_mean, field_path, format_diagnostic
    from .evaluator import evaluate, evaluate_batch, evaluate_each
    from .intake import application_from_data, parse_application, read_application, resolve_unit
    from .loader import PROJECT_ROOT, LoadResult, default_catalog_dir, default_rules_dir, load
    from .models import Category, Criterion, Indicator, Label, Parameter, RuleSet
    from .overlays import apply_overlays
    from .parallel import ParallelEvaluator, evaluate_chunk, evaluate_many
    from .repository import Repository
    from .schema_check import load_schema
    from .yamlsource import Pointer, SourceDocument, parse_text


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    elif name in PUBLIC_SUBMODULES:
        value = import_module(f"{__name__}.{name}")
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
