"""Unit parsing and conversion with pint, cached so the evaluation hot path is a dict lookup.

pint (which imports numpy when it is installed) is imported, and its registry built, on the first unit parsed:
a command or a rule file that has no unit never pays for it."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pint

__all__ = ["registry", "UnitError", "IncompatibleUnits", "parse_unit", "conversion", "apply_conversion", "convert",
           "same_dimension"]

# Units used by green-product standards that pint does not define. kgce (kilogram of standard coal
# equivalent) is 29.3076 MJ by GB/T 2589-2020; gloss units are a dimensionless photometric scale.
_EXTRA_DEFINITIONS = (
    "kilogram_coal_equivalent = 29.3076 * megajoule = kgce",
    "tonne_coal_equivalent = 1000 * kilogram_coal_equivalent = tce",
    "gloss_unit = [gloss] = GU",
)


@functools.cache
def registry() -> pint.UnitRegistry[Any]:
    """pint's unit registry with the standards' extra units, built once, when first needed."""
    import pint

    reg: pint.UnitRegistry[Any] = pint.UnitRegistry(autoconvert_offset_to_baseunit=True)
    for definition in _EXTRA_DEFINITIONS:
        reg.define(definition)
    return reg


_ALIASES = {"%": "percent", "‰": "permille", "ppm": "ppm", "m³": "m**3", "m²": "m**2", "mg/m³": "mg/m**3"}


class UnitError(ValueError):
    """A unit string pint cannot parse."""


class IncompatibleUnits(ValueError):
    """Two units of different dimensions (a length and a mass)."""


@functools.lru_cache(maxsize=4096)
def parse_unit(text: str) -> Any:
    normalized = _ALIASES.get(text.strip(), text.strip()).replace("³", "**3").replace("²", "**2")
    if not normalized:
        raise UnitError("empty unit")
    reg = registry()
    import pint

    try:
        unit = reg.parse_units(normalized)
    except (pint.errors.UndefinedUnitError, pint.errors.DefinitionSyntaxError, AttributeError,
            TypeError, ValueError, AssertionError) as e:
        raise UnitError(f"unknown unit `{text}`") from e
    except Exception as e:
        raise UnitError(f"unknown unit `{text}`") from e
    return unit


@functools.lru_cache(maxsize=4096)
def conversion(from_unit: str, to_unit: str) -> tuple[float, float]:
    """(factor, offset) such that value_in_to = value_in_from * factor + offset."""
    src, dst = parse_unit(from_unit), parse_unit(to_unit)
    reg = registry()
    import pint

    try:
        zero = reg.Quantity(0.0, src).to(dst).magnitude
        one = reg.Quantity(1.0, src).to(dst).magnitude
    except pint.errors.DimensionalityError as e:
        raise IncompatibleUnits(f"`{from_unit}` cannot convert to `{to_unit}`") from e
    return (float(one - zero), float(zero))


def apply_conversion(value: float, factor: float, offset: float) -> float:
    """A converted value, rounded to 12 significant digits: 12.4 g/kg is 12400 mg/kg, not 12400.000000000002,
    so a result reported in another unit exactly at the limit still meets it. Unconverted values are exact."""
    if factor == 1.0 and offset == 0.0:
        return value
    return float(f"{value * factor + offset:.12g}")


def convert(value: float, from_unit: str, to_unit: str) -> float:
    if from_unit == to_unit:
        return value
    factor, offset = conversion(from_unit, to_unit)
    return apply_conversion(value, factor, offset)


def same_dimension(a: str, b: str) -> bool:
    try:
        conversion(a, b)
    except IncompatibleUnits:
        return False
    return True
