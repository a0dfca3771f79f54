"""`/docs`: the OpenAPI document in Swagger UI, with every file it loads served by this service.

FastAPI's own `/docs` page loads Swagger UI from a public CDN, so offline or behind a certification body's
firewall it is blank. Here its files come from the installed package `swagger-ui-bundle-v2` (Swagger UI's
release files, Apache-2.0, the licence in the package's metadata), served under `/docs/static/` by plain name.
ReDoc, which FastAPI also serves from a CDN, is off: one browsable document is enough, and Swagger UI's lets a
user try a request with their key.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import FileResponse, HTMLResponse
from swagger_ui_bundle import swagger_ui_path

from ..errors import not_found

__all__ = ["router", "SWAGGER_UI_DIR", "ASSETS"]

SWAGGER_UI_DIR = Path(str(swagger_ui_path))
# the files the page loads: nothing else of the package is reachable
ASSETS = {"swagger-ui-bundle.js": "text/javascript; charset=utf-8", "swagger-ui.css": "text/css; charset=utf-8",
          "favicon-32x32.png": "image/png"}
STATIC = "/docs/static"

router = APIRouter(include_in_schema=False)


@router.get("/docs")
def docs(request: Request) -> HTMLResponse:
    root = request.scope.get("root_path", "")
    return get_swagger_ui_html(openapi_url=f"{root}/openapi.json", title="greencert API",
                               swagger_js_url=f"{root}{STATIC}/swagger-ui-bundle.js",
                               swagger_css_url=f"{root}{STATIC}/swagger-ui.css",
                               swagger_favicon_url=f"{root}{STATIC}/favicon-32x32.png",
                               oauth2_redirect_url=f"{root}/docs/oauth2-redirect",
                               # no badge asking the public validator about our document
                               swagger_ui_parameters={"validatorUrl": None})


@router.get("/docs/oauth2-redirect")
def oauth2_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()


@router.get(STATIC + "/{name}")
def asset(name: str) -> FileResponse:
    if name not in ASSETS:
        raise not_found("file", name[:100])
    return FileResponse(SWAGGER_UI_DIR / name, media_type=ASSETS[name], headers={"Cache-Control": "no-cache"})
