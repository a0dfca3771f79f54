"""A certification body's certificate list (`/certificates`) in Debian's chromium: its key kept in the tab only, its
certificates page by page with their status on a chosen day, its work list, the printed certificate fetched with the
key, the API's refusals as sentences, and never another body's certificates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from api.examples import APPLICATION
from tests.support.web_support import SCREENSHOTS, Server

CB = "certification_body"
DAY = "2027-02-01"  # a day of the suspension below (2027-01-10 .. 2027-03-01)


def _issue(server: Server, token: str, prefix: str, holder_name: str) -> str:
    auth = {"Authorization": f"Bearer {token}"}
    ev = httpx.post(f"{server.url}/v1/evaluations?as_of=2026-11-01", json=APPLICATION, headers=auth, timeout=60)
    assert ev.status_code == 201, ev.text
    r = httpx.post(f"{server.url}/v1/certificates", headers=auth, timeout=60,
                   json={"evaluation_id": ev.json()["id"], "holder": "Example Coatings Co.",
                         "holder_name": holder_name, "issued_on": "2026-11-02", "prefix": prefix})
    assert r.status_code == 201, r.text
    number: str = r.json()["number"]
    return number


def _other_body_token(server: Server) -> str:
    from api.db import Database
    from api.keys import create_key

    db = Database(server.database_url)
    try:
        return create_key(db, "Other Certification Body", CB, "browser tests (another body)").token
    finally:
        db.dispose()


def _open(ui: Any, server: Server, token: str) -> None:
    ui.goto(server.url + "/certificates")
    ui.wait_for_selector("body[data-ready=true]")
    ui.fill("#api-key", token)
    ui.fill("#as-of", DAY)
    ui.fill("#within-days", "60")
    ui.click("#connect")
    ui.wait_for_selector("body[data-loaded=true]:not([data-busy])")


def _listed(ui: Any) -> list[str]:
    """Every number the list shows, page after page."""
    seen: list[str] = []
    while True:
        seen += ui.eval_on_selector_all("#certificates tbody tr", "rows => rows.map(r => r.dataset.number)")
        if ui.is_disabled("#next-page"):
            return seen
        first = seen[-1]
        ui.click("#next-page")
        ui.wait_for_function("n => !document.querySelector(`#certificates tbody tr[data-number='${n}']`)", arg=first)
        ui.wait_for_selector("body:not([data-busy])")


def test_a_body_sees_its_certificates_and_work_list_and_never_another_bodys(ui: Any, server: Server) -> None:
    mine = [_issue(server, server.tokens[CB], "BODYPAGE", f"绿色涂料 Holder {n}") for n in range(3)]
    suspended = mine[1]
    s = server.post(f"/v1/certificates/{suspended}/events", role=CB,
                    json={"kind": "suspended", "on": "2027-01-10", "reason": "complaint verified",
                          "deadline": "2027-03-01"})
    assert s.status_code == 201, s.text
    other_token = _other_body_token(server)
    theirs = _issue(server, other_token, "OTHERCB", "Someone Else Ltd.")
    api_total = server.get("/v1/certificates?limit=1", role=CB).json()["total"]

    _open(ui, server, server.tokens[CB])
    assert server.tokens[CB] not in ui.url and ui.evaluate("document.cookie") == ""
    assert ui.evaluate("sessionStorage.getItem('greencert.bodyApiKey')") == server.tokens[CB]
    row = ui.locator(f"#certificates tbody tr[data-number='{mine[2]}']")  # newest first: on the first page
    text = row.inner_text()
    for shown in ("绿色涂料 Holder 2", "coatings", "GB/T 35602-2017", "full", "valid", "2031-11-01"):
        assert shown in text, (shown, text)
    assert row.locator("a.cert-number").get_attribute("href") == f"/verify/{mine[2]}?as_of={DAY}"
    assert ui.locator(f"#certificates tbody tr[data-number='{suspended}']").get_attribute("data-state") == "suspended"
    assert f"status on {DAY}" in ui.inner_text("#list-status")
    # the work list: the suspension lapses on 2027-03-01, within the 60 days asked
    task = ui.locator(f"#due tbody tr[data-number='{suspended}'][data-kind='suspension_lapsing']")
    assert "2027-03-01" in task.inner_text() and "suspension about to lapse" in task.inner_text()
    assert theirs not in ui.inner_text("main")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    ui.screenshot(path=str(SCREENSHOTS / "body-certificates.png"), full_page=True)

    # the printed certificate, fetched with the key and opened as a blob
    with ui.context.expect_page() as opened:
        ui.click(f"#certificates tbody tr[data-number='{mine[2]}'] button.pdf")
    ui.wait_for_selector(f"#pdf-link[data-number='{mine[2]}']")
    href = ui.get_attribute("#pdf-link", "href")
    assert opened.value.url == href  # the new tab shows the blob, no key in any address
    opened.value.close()
    assert href.startswith("blob:") and ui.get_attribute("#pdf-link", "download") == f"{mine[2]}.pdf"
    with ui.expect_download() as info:  # the page's CSP lets no script read the blob back: save it instead
        ui.click("#pdf-link")
    assert info.value.suggested_filename == f"{mine[2]}.pdf"
    assert Path(info.value.path()).read_bytes().startswith(b"%PDF-")

    # page by page, two at a time: every certificate of the body, none of another body's
    ui.fill("#limit", "2")
    ui.click("#connect")
    ui.wait_for_selector("body[data-loaded=true]:not([data-busy])")
    assert ui.locator("#certificates tbody tr").count() == 2
    listed = _listed(ui)
    assert len(listed) == len(set(listed)) == api_total
    assert set(mine) <= set(listed) and theirs not in listed
    assert all(not n.startswith("OTHERCB") for n in listed)

    # in Chinese
    ui.click("#lang-switch")
    assert ui.inner_text("h1") == "认证机构证书列表"
    ui.fill("#limit", "50")
    ui.click("#connect")
    ui.wait_for_selector("body[data-loaded=true]:not([data-busy])")
    assert "暂停" in ui.locator(f"#certificates tbody tr[data-number='{suspended}']").inner_text()
    assert "暂停即将届满" in ui.inner_text("#due")
    ui.click("#lang-switch")

    # forgetting the key clears the tab; the other body then sees its own certificate only
    ui.click("#forget-key")
    assert ui.evaluate("sessionStorage.getItem('greencert.bodyApiKey')") is None
    assert ui.input_value("#api-key") == "" and ui.locator("#certificates").is_hidden()
    assert "forgotten" in ui.inner_text("#key-status")
    _open(ui, server, other_token)
    assert ui.eval_on_selector_all("#certificates tbody tr", "rows => rows.map(r => r.dataset.number)") == [theirs]
    for number in mine:
        assert number not in ui.inner_text("main")


def test_a_wrong_key_and_a_key_of_another_role_are_told_in_words(ui: Any, server: Server) -> None:
    _open(ui, server, "gck_not-a-real-key")
    box = ui.locator("#list-error")
    assert box.is_visible() and box.get_attribute("data-status") == "401"
    text = box.inner_text()
    assert "The key was not accepted (401)" in text and "the API key is unknown or revoked" in text
    assert "{" not in text and '"code"' not in text  # sentences, not the JSON
    assert ui.evaluate("sessionStorage.getItem('greencert.bodyApiKey')") is None  # a refused key is not kept
    assert ui.locator("#due-error").get_attribute("data-status") == "401"
    assert ui.locator("#certificates").is_hidden()
    # a manufacturer's key reads the certificates it holds, but the work list is a body's: 403, in words
    ui.click("#forget-key")
    _open(ui, server, server.tokens["manufacturer"])
    due = ui.locator("#due-error")
    assert due.get_attribute("data-status") == "403" and "need a certification body key" in due.inner_text()
    assert "{" not in due.inner_text()
