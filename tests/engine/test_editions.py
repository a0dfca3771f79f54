"""The edition in force on the evaluation date is chosen; transitions accept both; boundaries are exact."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml

from engine import DiagnosticError, Repository

ROOT = Path(__file__).resolve().parents[2]
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
    assert switches == 9  # sanitary ware, building glass, insulation, tiles, paper, wood panels, furniture,
    # waterproofing, textiles


def test_every_replaced_edition_ends_and_no_two_are_current_on_the_same_day() -> None:
    """Every edition but the newest of its category has an end date (`until`, the day its successor takes effect),
    and no day has two current editions — checked on every edition boundary and the day before each."""
    repo = Repository.load()
    for cid in repo.categories:
        editions = repo.editions(cid)
        for rs in editions[:-1]:
            assert rs.in_force.until is not None, f"{rs.id} is replaced by a newer edition but has no end date"
        if editions:
            assert editions[-1].in_force.until is None, editions[-1].id
        days = {d for rs in editions for d in (rs.in_force.from_, rs.in_force.until) if d is not None}
        days |= {d - dt.timedelta(days=1) for d in set(days)}
        for day in days:
            current = [rs.id for rs in editions if rs.in_force.current(day)]
            assert len(current) <= 1, (cid, day, current)


def test_the_catalogue_marks_each_replaced_standard_as_superseded() -> None:
    repo = Repository.load()
    for cid, cat in repo.categories.items():
        editions = repo.editions(cid)
        for old, new in zip(editions, editions[1:]):
            standard = cat.standard(old.standard)
            assert standard is not None and standard.superseded_by == new.standard, (cid, old.standard)
            following = cat.standard(new.standard)
            assert following is not None and following.effective == new.in_force.from_, (cid, new.standard)


def test_editions_cite_the_rule_in_force_on_their_dates() -> None:
    """The rule a rule set cites is the catalogue's rule in force on the edition's last day (or, for an edition in
    force today, the latest rule of the category): never a repealed one."""
    repo = Repository.load()
    for rs in repo.rulesets.values():
        cat = repo.categories[rs.category]
        rules = {r.code: r for r in cat.implementation_rules}
        cited = rules[rs.implementation_rule or ""]
        assert cited.repealed_by is None, rs.id
        if rs.in_force.until is not None:
            last = rs.in_force.until - dt.timedelta(days=1)
        else:
            last = max([rs.in_force.from_] + [r.start for r in cat.implementation_rules if r.start])
        in_force = cat.rule_on(last)
        assert in_force is not None and in_force.code == cited.code, (rs.id, last, cited.code)


def test_the_2026_editions_in_force() -> None:
    repo = Repository.load()
    day = D(2026, 11, 1)
    assert {repo.select(c, day).standard for c in ("wood_panels", "furniture", "waterproofing_sealants")} == {
        "GB/T 35601-2024", "GB/T 35607-2024", "GB/T 35609-2025"}
    assert repo.select("wood_panels", D(2025, 5, 31)).standard == "GB/T 35601-2017"
    assert repo.select("furniture", D(2024, 12, 31)).standard == "GB/T 35607-2017"
    assert repo.select("waterproofing_sealants", D(2025, 10, 31)).standard == "GB/T 35609-2017"
    # textiles: the date is unconfirmed, shipped as its source reads, and decisions say so
    assert repo.select("textiles", D(2026, 9, 30)).standard == "GB/T 35611-2017"
    assert repo.select("textiles", D(2026, 10, 1)).standard == "GB/T 35611-2024"
    for rid in ("textiles/GB-T-35611-2017", "textiles/GB-T-35611-2024"):
        caveats = repo.compiled(rid).static_caveats
        assert any("2026-10-01" in c and "not confirmed" in c for c in caveats), (rid, caveats)
    assert not any("not confirmed" in c for c in repo.compiled("furniture/GB-T-35607-2024").static_caveats)


def test_furniture_2017_has_no_energy_group_and_2024_has_two_tiers() -> None:
    repo = Repository.load()
    old = repo.rulesets["furniture/GB-T-35607-2017"]
    assert {c.id for c in old.criteria} == {"resource_indicators", "environment_indicators", "quality_indicators"}
    assert "energy" not in {lab.id for lab in old.labels}
    new = repo.rulesets["furniture/GB-T-35607-2024"]
    assert {lab.attribute for lab in new.labels if lab.kind == "partial"} == {
        "resource", "energy", "environment", "quality", "low_carbon"}
    tier = next(lab for lab in new.labels if lab.kind == "tier")
    assert tier.name.zh == "绿色标杆产品" and tier.optional_share == 1
    assert all(c.optional for c in new.criteria if c.id.endswith("_benchmark"))
    assert not any(c.requirement.has_limit for c in new.criteria)
