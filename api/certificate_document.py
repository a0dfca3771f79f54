"""The printable certificate (PDF) and its QR code pointing at the public verification page.

reportlab draws it with the Adobe CID font STSong-Light, which every PDF reader has (nothing is embedded, so the
file stays small and no font file ships with greencert); the QR code (segno) is a PNG image in the page, so any
reader, printer or scanner gets the same pixels. Only what the public check shows is printed."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

__all__ = ["certificate_pdf", "verification_url", "qr_png"]

_FONT = "STSong-Light"
_STATES_ZH = {"valid": "有效", "suspended": "暂停", "revoked": "撤销", "cancelled": "注销", "expired": "过期",
              "not_issued": "未颁发"}


def verification_url(base: str, number: str) -> str:
    from urllib.parse import quote

    return f"{base.rstrip('/')}/verify/{quote(number, safe='')}"


def qr_png(url: str, scale: int = 6) -> bytes:
    import segno

    out = io.BytesIO()
    segno.make(url, error="m", micro=False).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()


def certificate_pdf(view: dict[str, Any], url: str, printed_on: dt.date) -> bytes:
    """A one-page A4 certificate: `view` is `api.certificates.public_view` of the certificate on `printed_on`."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    if _FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(_FONT))
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=True)  # invariant: the same bytes for the same certificate
    c.setTitle(f"绿色产品认证证书 {view['number']}")
    c.setAuthor(view["issued_by"])
    width, height = A4
    y = height - 30 * mm
    c.setFont(_FONT, 22)
    c.drawCentredString(width / 2, y, "绿色产品认证证书")
    y -= 9 * mm
    c.setFont(_FONT, 13)
    c.drawCentredString(width / 2, y, "Green Product Certification Certificate")
    y -= 16 * mm
    labels = "; ".join(f"{lab['name_zh'] or lab['id']} ({lab['name_en'] or lab['kind']})" for lab in view["labels"])
    rows = [
        ("证书编号 Certificate No.", view["number"]),
        ("认证委托人 Holder", view["holder_name"]),
        ("生产者 Manufacturer", view["manufacturer"] or "—"),
        ("生产企业 Production site(s)", ", ".join(view["production_sites"]) or "—"),
        ("产品类别 Category", view["category"]),
        ("产品型号 Model(s)", ", ".join(view["models"])),
        ("认证单元 Certification unit(s)", ", ".join(view["certification_units"]) or "—"),
        ("认证依据 Standard", view["standard"] or "—"),
        ("标识类型 Label", ("全项 full" if view["label_kind"] == "full" else "分项 partial") + f": {labels}"),
        ("颁证日期 Issued on", str(view["issued_on"])),
        ("有效期至 Valid until", str(view["valid_until"])),
        ("认证机构 Certification body", view["issued_by"]),
        (f"状态 Status ({printed_on})", f"{_STATES_ZH.get(view['state'], view['state'])} {view['state']}"),
    ]
    for name, value in rows:
        c.setFont(_FONT, 10)
        c.drawString(22 * mm, y, name)
        c.setFont(_FONT, 11)
        for line in _wrap(str(value), 58):
            c.drawString(82 * mm, y, line)
            y -= 6 * mm
        y -= 2.5 * mm
    size = 42 * mm
    c.drawImage(ImageReader(io.BytesIO(qr_png(url))), width - 22 * mm - size, 22 * mm, size, size)
    c.setFont(_FONT, 9)
    c.drawString(22 * mm, 34 * mm, "扫码或访问以下地址查验本证书在任一日期的状态:")
    c.drawString(22 * mm, 29 * mm, "Scan the code or open this address to check the certificate on any date:")
    c.drawString(22 * mm, 23 * mm, url)
    c.showPage()
    c.save()
    return buf.getvalue()


def _wrap(text: str, width: int) -> list[str]:
    """Lines of at most `width` columns, a CJK character counting two."""
    lines, line, used = [], "", 0
    for ch in text:
        w = 2 if ord(ch) > 0x2E80 else 1
        if used + w > width and line:
            lines.append(line)
            line, used = "", 0
        line += ch
        used += w
    return [*lines, line] if line or not lines else lines
