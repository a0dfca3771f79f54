"""The public certificate check as a page (no key, no script): is certificate X valid on a day, and what it covers.

`/verify` asks for a number; `/verify/{number}?as_of=YYYY-MM-DD` answers from the same public view as
`GET /v1/public/certificates/{number}`. The printed certificate's QR code points here."""

from __future__ import annotations

import datetime as dt
import html
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from .. import certificates as certs
from ..deps import ServicesDep, TodayDep
from ..errors import ApiError

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

_HEADERS = {"Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                                       "base-uri 'none'; frame-ancestors 'none'",
            "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "Cache-Control": "no-cache"}
_STATES = {"valid": ("有效", "valid"), "suspended": ("暂停", "suspended"), "revoked": ("撤销", "revoked"),
           "cancelled": ("注销", "cancelled"), "expired": ("过期", "expired"), "not_issued": ("未颁发", "not issued")}


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    text = (f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<title>{html.escape(title)}</title><link rel="stylesheet" href="/self-check/static/verify.css">'
            f'</head><body><main>{body}</main></body></html>')
    return HTMLResponse(text, status_code=status, headers=_HEADERS)


def _form(number: str = "", as_of: dt.date | None = None) -> str:
    return ('<form method="get" action="/verify">'
            '<label>证书编号 Certificate number <input name="number" required maxlength="60" '
            f'value="{html.escape(number)}"></label>'
            f'<label>日期 Date <input type="date" name="as_of" value="{as_of.isoformat() if as_of else ""}"></label>'
            '<button type="submit">查验 Check</button></form>')


@router.get("/verify")
def ask(number: Annotated[str | None, Query(max_length=60)] = None,
        as_of: Annotated[str | None, Query(max_length=10)] = None) -> Response:
    # the form sends an empty date when none is chosen: that is "today", not an error
    try:
        day = dt.date.fromisoformat(as_of) if as_of else None
    except ValueError:
        day = None
    if number and number.strip():
        target = f"/verify/{quote(number.strip(), safe='')}" + (f"?as_of={day.isoformat()}" if day else "")
        return RedirectResponse(target, status_code=303)
    return _page("查验绿色产品认证证书 Check a certificate",
                 "<h1>查验绿色产品认证证书<br>Check a green product certificate</h1>" + _form())


@router.get("/verify/{number}")
def show(number: Annotated[str, Path(max_length=60)], services: ServicesDep, today: TodayDep,
         as_of: Annotated[dt.date | None, Query()] = None) -> Response:
    day = as_of or today
    try:
        view = certs.public_view(certs.get_certificate(services.db, None, number), day)
    except ApiError as error:
        if error.status != 404:
            raise
        return _page("未找到证书 Certificate not found",
                     f"<h1>未找到证书 <code>{html.escape(number)}</code><br>No certificate "
                     f"<code>{html.escape(number)}</code></h1>" + _form(number, as_of), status=404)
    zh, en = _STATES.get(view["state"], (view["state"], view["state"]))
    e = html.escape
    rows: list[tuple[str, Any]] = [
        ("证书编号 Certificate No.", view["number"]),
        ("认证委托人 Holder", view["holder_name"]),
        ("生产者 Manufacturer", view["manufacturer"] or "—"),
        ("生产企业 Production site(s)", ", ".join(view["production_sites"]) or "—"),
        ("产品类别 Category", view["category"]),
        ("产品型号 Model(s)", ", ".join(view["models"])),
        ("认证单元 Certification unit(s)", ", ".join(view["certification_units"]) or "—"),
        ("认证依据 Standard", view["standard"] or "—"),
        ("标识 Label", ("全项 full" if view["label_kind"] == "full" else "分项 partial") + ": "
         + "; ".join(f"{lab['name_zh'] or lab['id']} ({lab['name_en'] or lab['kind']})" for lab in view["labels"])),
        ("颁证日期 Issued on", view["issued_on"]),
        ("有效期至 Valid until", view["valid_until"]),
        ("认证机构 Certification body", view["issued_by"]),
    ]
    since = f' <span class="note">(自 since {e(str(view["since"]))})</span>' if view["since"] else ""
    body = (f"<h1>绿色产品认证证书 <code>{e(view['number'])}</code></h1>"
            f'<p>{e(day.isoformat())}: <span class="state {"valid" if view["valid"] else "invalid"}" '
            f'id="state" data-state="{e(view["state"])}">{e(zh)} {e(en)}</span>{since}</p>'
            "<dl>" + "".join(f"<dt>{e(k)}</dt><dd>{e(str(v))}</dd>" for k, v in rows) + "</dl>"
            + _form(view["number"], as_of)
            + '<p class="note">查验结果来自认证机构记录的证书事件 · The answer is derived from the events the '
              "certification body recorded; no test values or application are shown.</p>")
    return _page(f"证书 {view['number']}", body)
