"""The edition in force on the evaluation date is chosen; transitions accept both; boundaries are exact."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml

from engine import DiagnosticError, Repository

ROOT = Path(__file__).resolve().parent.parent
D = dt.date


def _editions(tmp_path: Path, old_force: dict[str, str], new_from: str | None = "2025-01-01") -> Repository:
    shutil.copy(ROOT / "catalogs" / "coatings.yaml", tmp_path / "coatings.yaml")
    base = yaml.safe_load((ROOT / "rules" / "coatings" / "GB-T-35602-2017.yaml").read_text(encoding="utf-8"))
    old = dict(base, in_force=old_force)
    (tmp_path / "old.yaml").write_text(yaml.safe_dump(old, allow_unicode=True), encoding="utf-8")
    if new_from:
        new = dict(base, id="coatings/GB-T-35602-2017-rev", in_force={"from": new_from})
        new["criteria"] = [dict(c, requirement={"lte": 50, "unit": "mg/kg"}) if c["id"] == "benzene" else c
                           for c in base["criteria"]]
        (tmp_path / "new.yaml").write_text(yaml.safe_dump(new, allow_unicode=True), encoding="utf-8")
    return Repository.load([tmp_path])


def test_day_before_and_day_of_the_new_edition(tmp_path: Path) -> None:
    repo = _editions(tmp_path, {"from": "2018-07-01", "until": "2025-01-01"})
    assert repo.select("coatings", D(2024, 12, 31)).id == "coatings/GB-T-35602-2017"
    assert repo.select("coatings", D(2025, 1, 1)).id == "coatings/GB-T-35602-2017-rev"
    assert repo.select("coatings", D(2018, 7, 1)).id == "coatings/GB-T-35602-2017"
    with pytest.raises(DiagnosticError) as e:
        repo.select("coatings", D(2018, 6, 30))
    assert e.value.diagnostics[0].code == "edition_not_in_force"
    assert "2018-07-01" in (e.value.diagnostics[0].hint or "")
    # without a transition, the old edition is no longer accepted on the day the new one takes effect
    with pytest.raises(DiagnosticError) as e:
        repo.select("coatings", D(2025, 1, 1), edition="GB/T 35602-2017")
    assert e.value.diagnostics[0].code == "edition_not_in_force"


def test_transition_period_accepts_both(tmp_path: Path) -> None:
    repo = _editions(tmp_path, {"from": "2018-07-01", "until": "2025-01-01", "accepted_until": "2025-06-30"})
    inside = D(2025, 3, 1)
    assert repo.select("coatings", inside).id == "coatings/GB-T-35602-2017-rev"  # the current one by default
    assert repo.select("coatings", inside, edition="coatings/GB-T-35602-2017").id == "coatings/GB-T-35602-2017"
    assert repo.select("coatings", D(2025, 6, 30), edition="coatings/GB-T-35602-2017").id == "coatings/GB-T-35602-2017"
    with pytest.raises(DiagnosticError):
        repo.select("coatings", D(2025, 7, 1), edition="coatings/GB-T-35602-2017")
    assert [rs.id for rs in repo.in_force(inside)] == ["coatings/GB-T-35602-2017", "coatings/GB-T-35602-2017-rev"]
    assert [rs.id for rs in repo.in_force(D(2025, 7, 1))] == ["coatings/GB-T-35602-2017-rev"]


def test_overlapping_editions_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(DiagnosticError) as e:
        _editions(tmp_path, {"from": "2018-07-01"})
    assert [d.code for d in e.value.diagnostics] == ["rules_edition_overlap"]
    assert "until: 2025-01-01" in (e.value.diagnostics[0].hint or "")


def test_unknown_category_and_edition_have_hints(tmp_path: Path) -> None:
    repo = _editions(tmp_path, {"from": "2018-07-01", "until": "2025-01-01"})
    with pytest.raises(DiagnosticError) as e:
        repo.select("coating", D(2025, 1, 1))
    assert e.value.diagnostics[0].hint == "did you mean `coatings`?"
    with pytest.raises(DiagnosticError) as e:
        repo.select("coatings", D(2025, 1, 1), edition="GB/T 35602-2071")
    assert "GB/T 35602-2017" in (e.value.diagnostics[0].hint or "")


def test_shipped_editions_switch_on_the_exact_day() -> None:
    """Every shipped category with a later edition: the day before it takes effect the older one is chosen, on
    the day the newer one, and the older one is refused from then on (no shipped transition periods)."""
    repo = Repository.load()
    switches = 0
    for cid in repo.categories:
        editions = repo.editions(cid)
        for old, new in zip(editions, editions[1:]):
            day = new.in_force.from_
            assert old.in_force.until == day, (old.id, new.id)
            assert repo.select(cid, day - dt.timedelta(days=1)).id == old.id
            assert repo.select(cid, day).id == new.id
            with pytest.raises(DiagnosticError):
                repo.select(cid, day, edition=old.id)
            switches += 1
    assert switches >= 5  # sanitary ware, building glass, insulation, tiles, paper
