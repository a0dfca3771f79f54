"""Routes of the web pages: the self-check page, a certification body's certificate list, their static files, and
the units the form offers per indicator unit."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse, RedirectResponse

from engine.units import IncompatibleUnits, UnitError, conversion

from ..errors import not_found

__all__ = ["router", "STATIC_DIR", "unit_choices"]

STATIC_DIR = Path(__file__).parent / "static"

# Not part of the versioned API (tests/api checks every documented path is under /v1): kept out of OpenAPI.
router = APIRouter(include_in_schema=False)

_MEDIA_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}

# The page only talks to this service and loads nothing from elsewhere; no inline script or style.
_SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}

# Units a test report commonly states a value in, grouped by what they measure. The form offers, for an
# indicator's unit, the members of its groups that the engine can convert it to (engine.units decides; a
# group member it cannot convert is dropped, so this list can never offer a conversion the engine lacks).
_UNIT_GROUPS: tuple[tuple[str, ...], ...] = (
    ("mg/kg", "g/kg", "µg/g", "mg/g", "%", "‰", "ppm"),          # mass fractions
    ("kg/t", "g/kg", "mg/kg", "%", "‰"),
    ("%", "‰", "g/kg", "mg/kg", "ppm"),
    ("1", "%", "‰"),
    ("g/L", "mg/L", "g/mL", "kg/m^3"),                          # content per volume
    ("mg/m^3", "µg/m^3", "g/m^3"),                              # air concentration, emission
    ("m^3/t", "L/t", "L/kg"),                                   # water per tonne of product
    ("kgce/t", "tce/t", "MJ/t", "GJ/t", "kWh/t"),               # energy per tonne
    ("kgce/m^2", "MJ/m^2", "kWh/m^2"),                          # energy per area
    ("L", "mL", "m^3"),                                         # volume
)
_MAX_UNITS = 50


def _converts(a: str, b: str) -> bool:
    try:
        conversion(a, b)
    except (UnitError, IncompatibleUnits):
        return False
    return True


def unit_choices(unit: str) -> list[str]:
    """`unit` first, then the units of its groups the engine converts it to (none for a unit it cannot read)."""
    out = [unit]
    for group in _UNIT_GROUPS:
        if unit in group:
            out.extend(u for u in group if u not in out and _converts(unit, u))
    return out


@router.get("/")
def root() -> RedirectResponse:
    return RedirectResponse("/self-check", status_code=307)


@router.get("/self-check")
def page() -> FileResponse:
    return FileResponse(STATIC_DIR / "index.html", media_type=_MEDIA_TYPES[".html"], headers=_SECURITY_HEADERS)


@router.get("/certificates")
def certificates_page() -> FileResponse:
    """A certification body's certificates and work list (certificates.js calls `/v1/certificates` with its key)."""
    return FileResponse(STATIC_DIR / "certificates.html", media_type=_MEDIA_TYPES[".html"], headers=_SECURITY_HEADERS)


@router.get("/self-check/static/{name}")
def static(name: str) -> FileResponse:
    # only the files shipped in static/, by plain name: no path can reach anything else
    path = STATIC_DIR / name
    media = _MEDIA_TYPES.get(path.suffix)
    if media is None or "/" in name or "\\" in name or name.startswith(".") or not path.is_file():
        raise not_found("file", name[:100])
    return FileResponse(path, media_type=media, headers=_SECURITY_HEADERS)


@router.get("/self-check/units")
def units(unit: Annotated[list[str] | None, Query(max_length=_MAX_UNITS)] = None) -> dict[str, dict[str, list[str]]]:
    """For each indicator unit asked, the units a result may be entered in (the engine converts them)."""
    return {"units": {u: unit_choices(u) for u in (unit or [])[:_MAX_UNITS] if 0 < len(u) <= 50}}

