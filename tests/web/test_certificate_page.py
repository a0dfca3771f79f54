"""The public certificate check in Debian's chromium, and the printed certificate: its text read back (pypdf) and
its QR code decoded (zxing-cpp) to the address of the page, which chromium then opens."""

from __future__ import annotations

import io
from typing import Any

from api.examples import APPLICATION
from tests.support.web_support import SCREENSHOTS, Server

CB, M = "certification_body", "manufacturer"


def _certificate(server: Server) -> tuple[str, str]:
    ev = server.post("/v1/evaluations?as_of=2026-11-01", role=CB, json=APPLICATION)
    assert ev.status_code == 201, ev.text
    r = server.post("/v1/certificates", role=CB, json={"evaluation_id": ev.json()["id"],
                                                      "holder": "Example Coatings Co.",
                                                      "holder_name": "绿色涂料有限公司 Example Coatings",
                                                      "issued_on": "2026-11-02"})
    assert r.status_code == 201, r.text
    number = r.json()["number"]
    s = server.post(f"/v1/certificates/{number}/events", role=CB,
                    json={"kind": "suspended", "on": "2027-01-10", "reason": "complaint verified",
                          "deadline": "2027-03-01"})
    assert s.status_code == 201, s.text
    return number, ev.json()["id"]


def test_anyone_checks_a_certificate_on_a_date_in_the_browser(ui: Any, server: Server) -> None:
    number, evaluation = _certificate(server)
    ui.goto(f"{server.url}/verify/{number}?as_of=2026-12-01")
    state = ui.locator("#state")
    assert state.get_attribute("data-state") == "valid" and "有效 valid" in state.inner_text()
    text = ui.locator("main").inner_text()
    for shown in (number, "绿色涂料有限公司 Example Coatings", "GB/T 35602-2017", "2031-11-01", "全项 full"):
        assert shown in text, shown
    for secret in (evaluation, "CMA-2026-0415", "complaint verified", "benzene"):
        assert secret not in ui.content(), secret
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    ui.screenshot(path=str(SCREENSHOTS / "certificate-check-valid.png"), full_page=True)
    # the same certificate on a day of its suspension, asked through the page's own form
    ui.fill("input[name=as_of]", "2027-02-01")
    ui.click("button[type=submit]")
    ui.wait_for_url(f"**/verify/{number}?as_of=2027-02-01")
    assert ui.locator("#state").get_attribute("data-state") == "suspended"
    assert "暂停 suspended" in ui.locator("#state").inner_text()
    ui.goto(f"{server.url}/verify")
    ui.fill("input[name=number]", "NOPE-000001")
    ui.click("button[type=submit]")
    assert "No certificate" in ui.locator("h1").inner_text()


def test_the_printed_certificate_reads_back_and_its_qr_code_opens_the_check(ui: Any, server: Server) -> None:
    import pypdf
    import zxingcpp

    number, _ = _certificate(server)
    r = server.get(f"/v1/certificates/{number}/document?as_of=2026-12-01", role=M)  # the holder's manufacturer
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    page = pypdf.PdfReader(io.BytesIO(r.content)).pages[0]
    text = page.extract_text()
    for printed in ("绿色产品认证证书", number, "绿色涂料有限公司 Example Coatings", "GB/T 35602-2017", "2031-11-01",
                    "有效 valid", "全项 full"):
        assert printed in text, (printed, text)
    (image,) = page.images
    (code,) = zxingcpp.read_barcodes(image.image)
    assert code.text == f"{server.url}/verify/{number}"
    ui.goto(code.text)
    assert ui.locator("h1").inner_text().endswith(number)
    assert ui.locator("#state").get_attribute("data-state") in ("valid", "suspended")
