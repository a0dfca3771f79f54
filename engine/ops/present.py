"""`present: true` — a document indicator: the declaration is submitted."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import Operator


class Present(Operator):
    name = "present"
    order = 90
    kinds = frozenset({"document"})
    requirement_schema = {"present": {"const": True}}
    numeric = False

    def parse(self, raw: Any, data: Mapping[str, Any]) -> dict[str, Any]:
        return {"value": True}

    def has_limit(self, req: Any) -> bool:
        return True

    def describe(self, req: Any, unit: str) -> str:
        return "document present"

    def holds(self, req: Any, f: str, nd: str | None) -> dict[str, Any]:
        return {f: 1}


OPERATOR = Present()
