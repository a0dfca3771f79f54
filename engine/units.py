"""Unit parsing and conversion with pint, cached so the evaluation hot path is a dict lookup.

pint (which imports numpy when it is installed) is imported, and its registry built, only when a unit is met that
this installation has not seen before: what pint answered (the units it knows, the factor and offset of each
conversion, the pairs that do not convert) is kept in a cache file per user, `$XDG_CACHE_HOME/greencert/` (else
`~/.cache/greencert/`), named after pint's version and this module's source, so a later process reads the answer
instead of asking pint again. A different pint or a changed module reads another file; an unreadable or unwritable
cache only means asking pint. GREENCERT_UNITS_CACHE=0 turns the file off."""

from __future__ import annotations

import atexit
import functools
import hashlib
import importlib.util
import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pint

__all__ = ["registry", "UnitError", "IncompatibleUnits", "check_unit", "parse_unit", "conversion", "apply_conversion",
           "convert", "same_dimension", "cache_file"]

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


@functools.cache
def cache_file() -> Path | None:
    """This installation's file of pint's answers, or None when it is turned off or pint is not installed."""
    if os.environ.get("GREENCERT_UNITS_CACHE") == "0":
        return None
    spec = importlib.util.find_spec("pint")  # found, not imported
    if spec is None or spec.origin is None:
        return None
    site = Path(spec.origin).parent.parent
    try:
        dist = sorted(n for n in os.listdir(site) if n.lower().startswith("pint-") and n.endswith(".dist-info"))
    except OSError:
        return None
    if not dist:
        return None
    key = hashlib.sha256("\0".join([*dist, str(site)]).encode() + b"\0" + Path(__file__).read_bytes()).hexdigest()
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "greencert"
    return base / f"units-{key[:24]}.json"


class _Answers:
    """pint's answers so far: units it parses, and conversions as (factor, offset) or None (they do not convert)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.units: set[str] = set()
        self.conversions: dict[tuple[str, str], tuple[float, float] | None] = {}
        self.dirty = False
        if path is not None:
            self._read(path)

    def _read(self, path: Path) -> None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            units = [u for u in data["units"] if isinstance(u, str)]
            conversions: dict[tuple[str, str], tuple[float, float] | None] = {}
            for a, b, factor, offset in data["conversions"]:
                if not (isinstance(a, str) and isinstance(b, str)):
                    continue
                if factor is None:
                    conversions[(a, b)] = None
                elif isinstance(factor, float | int) and isinstance(offset, float | int):
                    conversions[(a, b)] = (float(factor), float(offset))
        except (OSError, ValueError, KeyError, TypeError):
            return  # no file yet, or not one we wrote: pint answers again
        self.units.update(units)
        self.conversions.update(conversions)

    def learn_unit(self, text: str) -> None:
        self.units.add(text)
        self._changed()

    def learn_conversion(self, a: str, b: str, answer: tuple[float, float] | None) -> None:
        self.conversions[(a, b)] = answer
        self._changed()

    def _changed(self) -> None:
        if self.path is not None and not self.dirty:
            self.dirty = True
            atexit.register(self.save)

    def save(self) -> None:
        """Merge what this process learnt into the file (another process may have written it meanwhile)."""
        if self.path is None or not self.dirty:
            return
        self.dirty = False
        merged = _Answers(self.path)
        merged.units |= self.units
        merged.conversions.update(self.conversions)
        data = {"units": sorted(merged.units),
                "conversions": [[a, b, *(ans if ans is not None else (None, None))]
                                for (a, b), ans in sorted(merged.conversions.items())]}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".units-", dir=self.path.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(data, f, ensure_ascii=False)
            os.replace(tmp, self.path)
        except OSError:
            pass  # a read-only home: pint answers again next time


@functools.cache
def _answers() -> _Answers:
    return _Answers(cache_file())


def check_unit(text: str) -> None:
    """Raise UnitError unless pint parses `text` (a unit it parsed before is known without importing pint)."""
    answers = _answers()
    if text in answers.units:
        return
    parse_unit(text)
    answers.learn_unit(text)


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
    answers = _answers()
    if (from_unit, to_unit) in answers.conversions:
        known = answers.conversions[(from_unit, to_unit)]
        if known is None:
            raise IncompatibleUnits(f"`{from_unit}` cannot convert to `{to_unit}`")
        return known
    try:
        answer = _pint_conversion(from_unit, to_unit)
    except IncompatibleUnits:
        answers.learn_conversion(from_unit, to_unit, None)
        raise
    answers.learn_conversion(from_unit, to_unit, answer)
    return answer


def _pint_conversion(from_unit: str, to_unit: str) -> tuple[float, float]:
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
