"""The self-check page in headless Chromium against the real service: forms, uploads, errors, keyboard, languages."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from engine.loader import PROJECT_ROOT
from tests.support.applications import wood_panel_grade_application
from tests.support.web_support import AS_OF, SCREENSHOTS, Server, fill_form

try:
    from playwright.sync_api import expect
except ImportError:  # the fixtures say what to install: a skip here, a failure in CI
    expect = None

pytestmark = pytest.mark.browser

EXAMPLES = PROJECT_ROOT / "examples"


def _cases() -> list[tuple[Path, dict[str, Any]]]:
    out = []
    for expected in sorted(EXAMPLES.glob("*/expected.yaml")):
        for case in yaml.safe_load(expected.read_text(encoding="utf-8")):
            if case.get("overlay"):
                continue  # the service runs with the shipped rules only; overlays are the API's own tests
            out.append((expected.parent / case["file"], case))
    return out


CASES = _cases()


def _as_of(case: dict[str, Any]) -> str:
    value = case["as_of"]
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def open_page(ui: Any, server: Server, role: str = "manufacturer", as_of: str = AS_OF) -> None:
    ui.goto(server.url + "/")
    ui.wait_for_selector("body[data-ready=true]")
    ui.fill("#as-of", as_of)
    ui.fill("#api-key", server.tokens[role])
    ui.press("#api-key", "Enter")
    ui.wait_for_selector("#category option[value=coatings]", state="attached")


def submit(ui: Any, button: str = "#submit") -> tuple[int, dict[str, Any]]:
    """Click `button`, return the self-check answer the page got; on success, wait for the report."""
    with ui.expect_response(lambda r: "/v1/self-checks" in r.url and r.request.method == "POST") as info:
        ui.click(button)
    response = info.value
    body: dict[str, Any] = response.json()
    if response.ok:
        expect(ui.locator("#report-title")).to_be_focused()
    else:
        ui.wait_for_selector(".field-error:not([hidden])")
    return response.status, body


def api_decision(server: Server, path: Path, as_of: str) -> dict[str, Any]:
    """The decision the API gives for the file itself, sent as YAML (what the page must reproduce)."""
    r = server.post(f"/v1/self-checks?as_of={as_of}", content=path.read_bytes(),
                    headers={"Content-Type": "application/yaml"})
    assert r.status_code == 200, r.text
    decision: dict[str, Any] = r.json()["decision"]
    return decision


def category(server: Server, cat: str) -> dict[str, Any]:
    r = server.get(f"/v1/categories/{cat}")
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


def form_values(ui: Any) -> dict[str, Any]:
    result: dict[str, Any] = ui.evaluate("""() => Object.fromEntries(
        [...document.querySelectorAll('#check-form input, #check-form select')].filter(e => e.id)
        .map(e => [e.id, e.type === 'checkbox' ? e.checked : e.value]))""")
    return result


def row(ui: Any, criterion: str) -> Any:
    return ui.locator(f"#criteria tr[data-criterion='{criterion}']")


# ------------------------------------------------------------------------------------------------ the form

@pytest.mark.parametrize("path,case", CASES, ids=[f"{p.parent.name}/{p.name}" for p, _ in CASES])
def test_the_form_filled_with_a_shipped_example_gets_its_decision(ui: Any, server: Server, path: Path,
                                                                  case: dict[str, Any]) -> None:
    data = load(path)
    open_page(ui, server, as_of=_as_of(case))
    fill_form(ui, data, category(server, data["category"]))
    status, body = submit(ui)
    assert status == 200, body
    # typed field by field, the application decides exactly as the file does
    assert body["decision"] == api_decision(server, path, _as_of(case))
    assert ui.get_attribute("#outcome", "data-outcome") == case["outcome"]
    for cid, verdict in (case.get("verdicts") or {}).items():
        assert row(ui, cid).get_attribute("data-verdict") == verdict, cid
    for ref in case.get("missing") or []:
        assert ui.locator(f"#missing li[data-ref='{ref}']").count() == 1, ref


def save_report_screenshot(ui: Any, name: str) -> None:
    """The report as a picture, where the README says (artifacts/screenshots/)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    ui.locator("#report").screenshot(path=str(SCREENSHOTS / name))
    assert (SCREENSHOTS / name).stat().st_size > 10_000


def test_incomplete_example_report_shows_outcome_margin_and_missing_evidence(ui: Any, server: Server) -> None:
    path = EXAMPLES / "coatings" / "incomplete-formaldehyde.yaml"
    open_page(ui, server)
    fill_form(ui, load(path), category(server, "coatings"))
    status, body = submit(ui)
    assert status == 200

    assert "Cannot be decided yet" in ui.inner_text("#outcome")
    assert ui.get_attribute("#outcome", "data-outcome") == "incomplete"
    assert "not a certification decision" in ui.inner_text("#not-binding")
    # phthalates were reported as 0.004 %: 40 mg/kg against the 100 mg/kg limit, a margin of 60 mg/kg
    phthalates = row(ui, "phthalates")
    api = next(c for c in body["decision"]["criteria"] if c["id"] == "phthalates")
    assert float(phthalates.locator(".margin").get_attribute("data-margin")) == api["margin"] == 60
    assert phthalates.locator(".margin-value").inner_text() == "+60 mg/kg"
    assert "40 mg/kg" in phthalates.locator(".measured").inner_text()
    assert "0.004 %" in phthalates.locator(".measured").inner_text()
    assert phthalates.locator(".limit").inner_text().splitlines()[0] == "≤ 100 mg/kg"
    # next to the number, how strong its source is (the decision's `limit_status`)
    strength = phthalates.locator(".limit .strength")
    assert strength.get_attribute("data-strength") == "secondary"
    assert strength.inner_text() == "source: a summary of the standard"
    assert "邻苯二甲酸酯" in phthalates.locator(".clause").inner_text()
    assert "40 mg/kg is 40 % of the maximum 100 mg/kg" == phthalates.locator("svg.bar").get_attribute("aria-label")
    # the missing formaldehyde test is a checklist item, and nothing else is missing
    items = ui.locator("#missing li")
    assert items.count() == 1
    assert items.first.get_attribute("data-ref") == "formaldehyde"
    assert "formaldehyde" in items.first.inner_text().lower()
    assert items.first.locator("input[type=checkbox]").count() == 1
    assert row(ui, "formaldehyde").get_attribute("data-verdict") == "missing"
    assert ui.get_attribute("#labels li[data-label='green_product']", "data-status") == "undetermined"
    save_report_screenshot(ui, "self-check-incomplete.png")


def test_granted_example_report_with_labels_bars_and_screenshot(ui: Any, server: Server) -> None:
    open_page(ui, server)
    fill_form(ui, load(EXAMPLES / "coatings" / "granted.yaml"), category(server, "coatings"))
    status, body = submit(ui)
    assert status == 200
    assert ui.get_attribute("#outcome", "data-outcome") == "granted"
    assert "Would be granted" in ui.inner_text("#outcome")
    assert ui.inner_text("#missing") == "Nothing is missing."
    assert ui.get_attribute("#labels li[data-label='green_product']", "data-status") == "eligible"
    assert ui.get_attribute("#labels li[data-label='environment']", "data-status") == "eligible"
    assert "partial" in ui.inner_text("#labels li[data-label='environment']")
    assert ui.locator("#criteria svg.bar").count() == len(body["decision"]["criteria"]) == 4
    # 甲醛 in the file is the catalogue's formaldehyde; its margin is the limit minus the value
    assert row(ui, "formaldehyde").locator(".margin-value").inner_text() == "+88 mg/kg"
    assert ui.locator("#basic tr[data-requirement='factory_inspection']").get_attribute("data-verdict") == "pass"
    save_report_screenshot(ui, "self-check-granted.png")


def test_a_result_in_another_unit_is_converted(ui: Any, server: Server) -> None:
    open_page(ui, server)
    fill_form(ui, load(EXAMPLES / "coatings" / "granted.yaml"), category(server, "coatings"))
    options = ui.eval_on_selector("#r1-formaldehyde-unit", "el => [...el.options].map(o => o.value)")
    assert options[0] == "mg/kg" and {"g/kg", "%", "µg/g"} <= set(options)
    ui.select_option("#r1-formaldehyde-unit", "g/kg")
    ui.fill("#r1-formaldehyde-value", "0.012")
    status, _ = submit(ui)
    assert status == 200
    formaldehyde = row(ui, "formaldehyde")
    assert formaldehyde.get_attribute("data-verdict") == "pass"
    assert formaldehyde.locator(".margin-value").inner_text() == "+88 mg/kg"
    assert "reported as 0.012 g/kg" in formaldehyde.locator(".measured").inner_text()


def test_changing_the_date_keeps_what_was_typed(ui: Any, server: Server) -> None:
    open_page(ui, server)
    fill_form(ui, load(EXAMPLES / "coatings" / "granted.yaml"), category(server, "coatings"))
    before = form_values(ui)
    ui.fill("#as-of", "2026-12-01")
    assert ui.get_attribute("body", "data-busy") == "true"  # the catalogue is read again for the new date
    ui.wait_for_selector("body:not([data-busy])")
    after = form_values(ui)
    assert after == before
    assert after["doc-certificate-quality_management-number"] == "QMS-001"


def test_the_evaluation_date_picks_the_edition_the_form_shows(ui: Any, server: Server) -> None:
    # GB/T 35613-2024 (paper) takes effect on 2025-04-01 and adds the low-carbon attribute
    open_page(ui, server, as_of="2025-03-31")
    ui.select_option("#category", "paper")
    ui.wait_for_selector("body:not([data-busy]) #r1-low_carbon_indicators-value")
    hint = "#r1-low_carbon_indicators-limit"
    assert ui.inner_text(hint) == "Not evaluated by the shipped rules."
    assert "35613-2017" in ui.inner_text("#r1-resource_indicators-limit")
    ui.fill("#model", "TP-3")
    ui.select_option("#r1-resource_indicators-value", index=1)
    ui.fill("#as-of", "2025-04-01")
    ui.wait_for_selector("body:not([data-busy])")
    assert "35613-2024" in ui.inner_text(hint)
    assert "35613-2024" in ui.inner_text("#r1-resource_indicators-limit")
    assert ui.input_value("#model") == "TP-3"
    assert ui.input_value("#r1-resource_indicators-value") != ""


# ------------------------------------------------------------------------------------------------ errors

def test_a_value_that_is_not_a_number_is_shown_at_its_field_and_nothing_is_lost(ui: Any, server: Server) -> None:
    open_page(ui, server)
    fill_form(ui, load(EXAMPLES / "coatings" / "granted.yaml"), category(server, "coatings"))
    ui.fill("#r1-formaldehyde-value", "12,5")
    ui.fill("#param-gloss_60", "matt")
    before = form_values(ui)
    status, body = submit(ui)
    assert status == 422
    assert {d["field"] for d in body["diagnostics"]} >= {"evidence.test_reports[0].results[1].value",
                                                           "product.parameters.gloss_60"}
    error = ui.locator("#r1-formaldehyde-value-error")
    assert error.is_visible()
    assert "must be a number" in error.inner_text() and "12,5" in error.inner_text()
    assert ui.get_attribute("#r1-formaldehyde-value", "aria-invalid") == "true"
    assert "r1-formaldehyde-value-error" in ui.get_attribute("#r1-formaldehyde-value", "aria-describedby")
    assert "must be a number" in ui.inner_text("#param-gloss_60-error")
    # other fields carry no error, every typed value is still there, and no report was shown
    assert not ui.locator("#r1-benzene-value-error").is_visible()
    assert form_values(ui) == before
    assert ui.locator("#report").is_hidden()
    # the summary is focused and links to the field
    assert ui.evaluate("document.activeElement.id") == "form-errors"
    ui.locator("#form-errors a", has_text="Formaldehyde").click()
    assert ui.evaluate("document.activeElement.id") == "r1-formaldehyde-value"
    # corrected, it goes through and the errors are gone
    ui.fill("#r1-formaldehyde-value", "12.5")
    ui.fill("#param-gloss_60", "5")
    status, _ = submit(ui)
    assert status == 200
    assert ui.get_attribute("#outcome", "data-outcome") == "granted"
    assert not error.is_visible()
    assert ui.locator("[aria-invalid=true]").count() == 0


def test_a_unit_that_cannot_convert_is_shown_at_its_field(ui: Any, server: Server) -> None:
    open_page(ui, server)
    fill_form(ui, load(EXAMPLES / "coatings" / "granted.yaml"), category(server, "coatings"))
    # a unit nobody knows: the API refuses the application and names the field
    ui.select_option("#r1-azo_dyes_max-unit", "__other__")
    ui.fill("#r1-azo_dyes_max-unit-other", "bogus")
    status, body = submit(ui)
    assert status == 422
    assert any(d["field"] == "evidence.test_reports[0].results[3].unit" for d in body["diagnostics"])
    assert "unknown unit `bogus`" in ui.inner_text("#r1-azo_dyes_max-unit-other-error")
    assert ui.input_value("#r1-azo_dyes_max-unit-other") == "bogus"
    # a real unit of another dimension: a mistake in the application too (not missing evidence), at the same field
    ui.fill("#r1-azo_dyes_max-unit-other", "m")
    status, body = submit(ui)
    assert status == 422
    assert [(d["code"], d["field"]) for d in body["diagnostics"]] == [
        ("application_unit_error", "evidence.test_reports[0].results[3].unit")]
    assert "cannot convert to `mg/kg`" in ui.inner_text("#r1-azo_dyes_max-unit-other-error")
    assert ui.get_attribute("#r1-azo_dyes_max-unit-other", "aria-invalid") == "true"


def test_wrong_keys_are_shown_at_the_key_field(ui: Any, server: Server) -> None:
    ui.goto(server.url + "/self-check")
    ui.wait_for_selector("body[data-ready=true]")
    ui.fill("#api-key", "gck_0000_not-a-key")
    ui.click("#connect")
    ui.wait_for_selector("#api-key-error:not([hidden])")
    assert "unknown or revoked" in ui.inner_text("#api-key-error")
    # a certification body's key reads the catalogue but may not self-check
    open_page(ui, server, role="certification_body")
    fill_form(ui, load(EXAMPLES / "coatings" / "granted.yaml"), category(server, "coatings"))
    status, _ = submit(ui)
    assert status == 403
    assert "may not do this" in ui.inner_text("#api-key-error")
    assert ui.input_value("#r1-formaldehyde-value") == "12"


def test_the_key_stays_in_the_tab_only(ui: Any, server: Server) -> None:
    open_page(ui, server)
    assert ui.evaluate("sessionStorage.getItem('greencert.apiKey')") == server.tokens["manufacturer"]
    assert ui.evaluate("localStorage.getItem('greencert.apiKey')") is None
    ui.reload()
    ui.wait_for_selector("#category option[value=coatings]", state="attached")
    assert ui.input_value("#api-key") == server.tokens["manufacturer"]


# ------------------------------------------------------------------------------------------------ uploads

def test_uploading_a_yaml_file(ui: Any, server: Server) -> None:
    open_page(ui, server)
    ui.set_input_files("#upload-file", str(EXAMPLES / "coatings" / "refused-benzene.yaml"))
    status, body = submit(ui, "#upload-submit")
    assert status == 200
    assert ui.get_attribute("#outcome", "data-outcome") == "refused"
    assert "Would be refused" in ui.inner_text("#outcome")
    benzene = row(ui, "benzene")
    assert benzene.get_attribute("data-verdict") == "fail"
    assert "limit exceeded" in benzene.inner_text()
    assert benzene.locator(".margin-value").inner_text().startswith("-")
    assert body["decision"] == api_decision(server, EXAMPLES / "coatings" / "refused-benzene.yaml", AS_OF)


def test_uploading_a_json_file(ui: Any, server: Server, tmp_path: Path) -> None:
    data = load(EXAMPLES / "textiles" / "refused-factory-inspection.yaml")
    path = tmp_path / "textiles.json"
    path.write_text(json.dumps(data, default=str, ensure_ascii=False), encoding="utf-8")
    open_page(ui, server)
    ui.set_input_files("#upload-file", str(path))
    status, body = submit(ui, "#upload-submit")
    assert status == 200
    case = next(c for p, c in CASES if p == EXAMPLES / "textiles" / "refused-factory-inspection.yaml")
    assert ui.get_attribute("#outcome", "data-outcome") == body["decision"]["outcome"] == case["outcome"]
    assert body["decision"] == api_decision(server, EXAMPLES / "textiles" / "refused-factory-inspection.yaml", AS_OF)
    assert "Textiles" in ui.inner_text("#report .summary")
    # a limit no source gives is said so, not invented
    assert "the limit value is not known here" in row(ui, "resource_indicators").inner_text()


def test_a_grade_label_shows_the_grade_proven_and_the_better_grade_a_test_could_prove(ui: Any, server: Server,
                                                                                        tmp_path: Path) -> None:
    # evaluated on 2025-03-01, under the wood-panel edition of 2017 (the day picks the edition)
    open_page(ui, server, as_of="2025-03-01")
    path = tmp_path / "grade.json"
    path.write_text(json.dumps(wood_panel_grade_application("pass", 0.03)), encoding="utf-8")
    ui.set_input_files("#upload-file", str(path))
    status, body = submit(ui, "#upload-submit")
    assert status == 200
    assert ui.get_attribute("#outcome", "data-outcome") == body["decision"]["outcome"] == "granted"
    grade = ui.locator("#labels li[data-label='formaldehyde_grade']")
    assert grade.get_attribute("data-status") == "eligible"
    assert "grade · E0" in grade.inner_text()
    assert grade.locator(".open-grade[data-grade='ENF']").inner_text() == \
        "ENF open: a test with a detection limit ≤ 0.025 mg/m^3 could prove it"

    path.write_text(json.dumps(wood_panel_grade_application("fail", 0.01)), encoding="utf-8")
    ui.set_input_files("#upload-file", str(path))
    status, body = submit(ui, "#upload-submit")
    assert status == 200
    assert ui.get_attribute("#outcome", "data-outcome") == "refused"
    grade = ui.locator("#labels li[data-label='formaldehyde_grade']")
    assert grade.get_attribute("data-status") == "not_eligible"
    assert "grade ENF proven, not awarded" in grade.inner_text()
    assert "grade · ENF" not in grade.inner_text()
    assert grade.locator(".open-grade").count() == 0


def test_an_invalid_file_is_shown_at_the_file_field_with_its_line(ui: Any, server: Server, tmp_path: Path) -> None:
    open_page(ui, server)
    broken = tmp_path / "broken.yaml"
    broken.write_text("format: greencert/application@1\ncategory: coatings\nproduct: {model: LW-1\n", encoding="utf-8")
    ui.set_input_files("#upload-file", str(broken))
    status, body = submit(ui, "#upload-submit")
    assert status == 422
    line = body["diagnostics"][0]["line"]
    text = ui.inner_text("#upload-file-error")
    assert f"line {line}, column" in text and "yaml" not in text.lower().split("line")[0]
    assert ui.locator("#report").is_hidden()

    unknown = tmp_path / "unknown-field.yaml"
    unknown.write_text("format: greencert/application@1\ncategory: coatings\nproduct:\n  model: LW-1\n"
                       "  colour: white\nevidence: {}\n", encoding="utf-8")
    ui.set_input_files("#upload-file", str(unknown))
    status, body = submit(ui, "#upload-submit")
    assert status == 422
    assert "line 5, column 3" in ui.inner_text("#upload-file-error")
    assert "colour" in ui.inner_text("#upload-file-error")

    other = tmp_path / "notes.txt"
    other.write_text("hello", encoding="utf-8")
    ui.set_input_files("#upload-file", str(other))
    ui.click("#upload-submit")
    ui.wait_for_selector("#upload-file-error:not([hidden])")
    assert "YAML" in ui.inner_text("#upload-file-error")


# ------------------------------------------------------------------------------------------------ access

FOCUSABLE_NAMES = """() => [...document.querySelectorAll('input, select, textarea, button, a[href]')]
    .filter(el => el.offsetParent !== null || el.type === 'file')
    .filter(el => {
      if (el.tagName === 'BUTTON' || el.tagName === 'A') return !el.textContent.trim();
      return !(el.labels && el.labels.length && [...el.labels].some(l => l.textContent.trim()));
    }).map(el => el.id || el.outerHTML.slice(0, 80))"""


def _tab_to(ui: Any, selector: str, limit: int = 400) -> int:
    for n in range(1, limit + 1):
        ui.keyboard.press("Tab")
        if ui.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return n
    raise AssertionError(f"Tab never reached `{selector}` in {limit} presses")


def test_keyboard_only_from_key_to_report(ui: Any, server: Server) -> None:
    ui.goto(server.url + "/")
    ui.wait_for_selector("body[data-ready=true]")
    ui.keyboard.press("Tab")
    assert ui.evaluate("document.activeElement.className") == "skip-link"
    _tab_to(ui, "#api-key")
    ui.keyboard.type(server.tokens["manufacturer"])
    ui.keyboard.press("Enter")
    ui.wait_for_selector("#category option[value=coatings]", state="attached")
    _tab_to(ui, "#as-of")
    ui.keyboard.type("11012026")  # the date field's own segments, as a person types them (en-US: mm dd yyyy)
    assert ui.input_value("#as-of") == AS_OF
    _tab_to(ui, "#category")
    ui.keyboard.type("Coat")
    ui.wait_for_selector("body:not([data-busy]) #r1-benzene-value")
    assert ui.input_value("#category") == "coatings"
    _tab_to(ui, "#cert-unit")
    ui.keyboard.press("ArrowDown")
    assert ui.input_value("#cert-unit") == "interior_wall_low_gloss"
    _tab_to(ui, "#model")
    ui.keyboard.type("KB-1")
    # parameters the unit fixes were filled in when it was chosen; the 60° gloss is typed
    assert ui.input_value("#param-base") == "waterborne"
    _tab_to(ui, "#param-gloss_60")
    ui.keyboard.type("3")
    presses = _tab_to(ui, "#submit")
    assert presses > 20  # it went through every result field on the way
    with ui.expect_response(lambda r: "/v1/self-checks" in r.url):
        ui.keyboard.press("Enter")
    expect(ui.locator("#report-title")).to_be_focused()
    assert ui.get_attribute("#outcome", "data-outcome") == "incomplete"
    assert ui.locator("#missing li[data-ref='benzene']").count() == 1
    ui.keyboard.press("Tab")
    assert ui.evaluate("document.activeElement.id") == "download-json"
    # every field, button and link on the page has a name a screen reader can say
    assert ui.evaluate(FOCUSABLE_NAMES) == []


def test_the_skip_link_and_visible_focus(ui: Any, server: Server) -> None:
    open_page(ui, server)
    ui.focus("#connect")
    ui.keyboard.press("Shift+Tab")
    ui.keyboard.press("Tab")
    outline = ui.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    ui.goto(server.url + "/self-check")
    ui.keyboard.press("Tab")
    ui.keyboard.press("Enter")
    assert ui.evaluate("location.hash") == "#check-form"


# ------------------------------------------------------------------------------------------------ languages

def test_switching_language_keeps_values_and_rewords_the_page(ui: Any, server: Server) -> None:
    open_page(ui, server)
    fill_form(ui, load(EXAMPLES / "coatings" / "incomplete-formaldehyde.yaml"), category(server, "coatings"))
    ui.fill("#model", "LW-9")
    ui.fill("#r1-benzene-value", "20")
    ui.uncheck("#r1-benzene-nd")
    assert ui.inner_text("h1") == "Green product self-check"
    legend = "fieldset.result[data-indicator=benzene] legend"
    assert ui.inner_text(f"{legend} .primary-name") == "Benzene"
    ui.click("#lang-switch")
    assert ui.get_attribute("html", "lang") == "zh-CN"
    assert ui.inner_text("h1") == "绿色产品认证自评"
    assert ui.inner_text("label[for=model]") == "产品型号"
    assert ui.inner_text("#category option[value=coatings]") == "涂料"
    assert ui.inner_text("label[for=r1-benzene-value]") == "数值"
    assert ui.input_value("#model") == "LW-9" and ui.input_value("#r1-benzene-value") == "20"
    # indicator names come from the catalogue in both languages
    assert ui.inner_text(f"{legend} .primary-name") == "苯"
    assert ui.inner_text(f"{legend} .secondary-name") == "Benzene"
    status, _ = submit(ui)
    assert status == 200
    assert "暂无法判定" in ui.inner_text("#outcome")
    assert ui.inner_text("#criteria thead th >> nth=0") == "指标"
    ui.reload()  # the choice is remembered
    ui.wait_for_selector("body[data-ready=true]")
    assert ui.inner_text("h1") == "绿色产品认证自评"
    ui.click("#lang-switch")
    assert ui.inner_text("h1") == "Green product self-check"
    assert ui.get_attribute("html", "lang") == "en"


def test_every_ui_string_exists_in_both_languages(ui: Any, server: Server) -> None:
    ui.goto(server.url + "/self-check")
    ui.wait_for_selector("body[data-ready=true]")
    keys = ui.evaluate("""async () => { const m = await import('/self-check/static/i18n.js');
        return {en: Object.keys(m.STRINGS.en).sort(), zh: Object.keys(m.STRINGS.zh).sort(),
                same: Object.keys(m.STRINGS.en).filter(k => m.STRINGS.en[k] === m.STRINGS.zh[k])}; }""")
    assert keys["en"] == keys["zh"]
    assert keys["same"] == []
    used = ui.evaluate("[...document.querySelectorAll('[data-i18n]')].map(e => e.dataset.i18n)")
    assert set(used) <= set(keys["en"])


# ------------------------------------------------------------------------------------------------ output

def test_download_json_and_print_layout(ui: Any, server: Server, tmp_path: Path) -> None:
    open_page(ui, server)
    fill_form(ui, load(EXAMPLES / "coatings" / "granted.yaml"), category(server, "coatings"))
    ui.check("#store")
    status, body = submit(ui)
    assert status == 201 and body["stored"] is True
    assert body["id"] in ui.inner_text("#report .summary")
    listed = httpx.get(server.url + "/v1/self-checks", headers={"Authorization": f"Bearer {server.tokens['manufacturer']}"})
    assert body["id"] in [item["id"] for item in listed.json()["items"]]
    with ui.expect_download() as info:
        ui.click("#download-json")
    download = info.value
    assert download.suggested_filename.endswith(".json")
    saved = tmp_path / "report.json"
    download.save_as(saved)
    assert json.loads(saved.read_text(encoding="utf-8")) == body
    ui.emulate_media(media="print")
    assert ui.locator("#report").is_visible()
    assert ui.locator("#check-form").is_hidden()
    assert ui.locator("#upload-form").is_hidden()
    assert ui.locator(".report-actions").is_hidden()
    assert ui.locator("#not-binding").is_visible()
    pdf = ui.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
    ui.emulate_media(media="screen")
    assert ui.locator("#check-form").is_visible()
