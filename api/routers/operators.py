"""The comparison operators, read from the engine's registry (engine/ops): what a client shows about a requirement
(the web page's closeness bar) comes from here, never from a copy of its own."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from engine import ops

from ..deps import AnyRole
from ..schemas import OperatorList
from .common import responses

__all__ = ["router", "operator_view"]

router = APIRouter(prefix="/v1/operators", tags=["catalogue"])


def operator_view(op: ops.Operator) -> dict[str, Any]:
    return {"name": op.name, "symbol": op.symbol, "summary": op.summary, "kinds": sorted(op.kinds),
            "bound": op.bound, "conditions": op.condition_schema is not None}


@router.get("", response_model=OperatorList, responses=responses(),
            summary="The comparison operators a requirement may use, in the engine's order")
def list_operators(principal: AnyRole) -> dict[str, Any]:
    return {"operators": [operator_view(op) for op in ops.REGISTRY.values()]}
