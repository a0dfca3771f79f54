"""One router per resource, all under /v1."""

from . import catalogue, evaluations, health, keys, rulesets, self_checks

__all__ = ["catalogue", "evaluations", "health", "keys", "rulesets", "self_checks"]
