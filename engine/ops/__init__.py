"""The comparison operators, one module each, and the registry every stage reads.

An operator is declared once, in its own module (`engine/ops/lte.py`, …), with everything the stages need to
know about it: its JSON-schema fragment (`schema_check` adds it to the requirement and condition schemas),
the load-time checks of a requirement using it (`loader`), how it reads its YAML form and how it is told to
people (`models.Requirement`, `models.Condition`), its durable-rules expression for "the requirement holds"
(`compiler`; the failure rule the criteria compile to is derived by `negate`, never written a second time), its
margin, whether it is an upper bound, and a value that passes it (the BDD kit's drafts).

Adding an operator is adding a module here (found by `_load`, placed by its `order`); the reference evaluator of the tests
(`tests/support/reference_evaluator.py`) stays independent of this registry: it is the oracle the engine is checked
against.
"""

from __future__ import annotations

import pkgutil
from importlib import import_module

from .base import NEEDS_QUANTIFIED, Bounds, Operator, Problem, negate

__all__ = ["Operator", "Problem", "Bounds", "NEEDS_QUANTIFIED", "REGISTRY", "get", "negate", "requirement_ops",
           "condition_ops", "ops_for_kind", "requirement_schema", "condition_schema"]

def _load() -> dict[str, Operator]:
    """Every module of this package but `base` declares one operator (`OPERATOR`), named as the module; they
    are listed by `order`, the order of the keys in messages and in the schema."""
    found: list[Operator] = []
    for info in pkgutil.iter_modules(__path__):
        if info.name == "base":
            continue
        op = import_module(f"{__name__}.{info.name}").OPERATOR
        if op.name != info.name:  # pragma: no cover - a module misnamed is a programming error
            raise RuntimeError(f"engine/ops/{info.name}.py declares operator `{op.name}`")
        found.append(op)
    return {op.name: op for op in sorted(found, key=lambda op: (op.order, op.name))}


REGISTRY: dict[str, Operator] = _load()


def get(name: str) -> Operator:
    return REGISTRY[name]


def requirement_ops() -> tuple[str, ...]:
    """Every operator a requirement may use, in declaration order."""
    return tuple(REGISTRY)


def condition_ops() -> tuple[str, ...]:
    """The operators a condition on a product parameter may use (`applies_when`, `defined_by`)."""
    return tuple(n for n, op in REGISTRY.items() if op.condition_schema is not None)


def ops_for_kind(kind: str) -> frozenset[str]:
    """The operators a requirement on an indicator of `kind` (quantity, choice, document) may use."""
    return frozenset(n for n, op in REGISTRY.items() if kind in op.kinds)


def requirement_schema() -> dict[str, object]:
    """The requirement's properties contributed by the operators (merged into `ruleset.schema.json`)."""
    out: dict[str, object] = {}
    for op in REGISTRY.values():
        out.update(op.requirement_schema)
    return out


def condition_schema() -> dict[str, object]:
    """The condition's properties contributed by the operators (merged into `common.json`)."""
    return {n: op.condition_schema for n, op in REGISTRY.items() if op.condition_schema is not None}
