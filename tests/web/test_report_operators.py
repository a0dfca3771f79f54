"""The report draws each criterion's closeness bar as the engine's operator registry says (GET /v1/operators), not
from a list of operators of its own (issue 19): change what the API says about `lte` and the bar changes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.web_support import Server, fill_form
from tests.web.test_self_check_page import EXAMPLES, category, load, open_page, row, submit

pytestmark = pytest.mark.browser


def _report_with(ui: Any, server: Server, change: dict[str, Any] | None) -> Any:
    """The incomplete coatings example's report, with `lte`'s entry of GET /v1/operators changed by `change`."""
    seen: list[str] = []

    def answer(route: Any) -> None:
        response = route.fetch()
        body = response.json()
        seen.append(route.request.url)
        if change is not None:
            body["operators"] = [{**o, **change} if o["name"] == "lte" else o for o in body["operators"]]
        route.fulfill(response=response, body=json.dumps(body))

    ui.route("**/v1/operators", answer)
    open_page(ui, server)
    fill_form(ui, load(EXAMPLES / "coatings" / "incomplete-formaldehyde.yaml"), category(server, "coatings"))
    status, body = submit(ui)
    assert status == 200
    assert len(seen) == 1  # read once, with the first report
    api = next(c for c in body["decision"]["criteria"] if c["id"] == "phthalates")
    assert api["op"] == "lte" and api["limit"] == 100
    return row(ui, "phthalates")


def test_the_bar_follows_the_operators_bound(ui: Any, server: Server) -> None:
    phthalates = _report_with(ui, server, None)
    assert phthalates.locator("svg.bar").get_attribute("aria-label") == "40 mg/kg is 40 % of the maximum 100 mg/kg"


def test_a_lower_bound_from_the_api_draws_a_lower_bar(ui: Any, server: Server) -> None:
    phthalates = _report_with(ui, server, {"bound": "lower"})
    assert phthalates.locator("svg.bar").get_attribute("aria-label") == "40 mg/kg is 40 % of the minimum 100 mg/kg"


def test_no_bound_from_the_api_draws_no_bar(ui: Any, server: Server) -> None:
    phthalates = _report_with(ui, server, {"bound": None})
    assert phthalates.locator("svg.bar").count() == 0
    assert phthalates.locator(".closeness").inner_text() == "—"
