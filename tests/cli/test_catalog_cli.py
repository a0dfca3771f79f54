"""`greencert catalog`: 26 categories with their rule and its date, the editions in force, readable at 80 columns."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import subprocess
import sys
from pathlib import Path

from rich.console import Console

from engine import Repository
from engine.cli import _print_provenance, catalog_rows, print_catalog

ROOT = Path(__file__).resolve().parents[2]
AS_OF = dt.date(2026, 11, 1)


def _render(draw: object) -> list[str]:
    out = io.StringIO()
    console = Console(file=out, width=80, color_system=None, legacy_windows=False)
    draw(console)  # type: ignore[operator]
    return out.getvalue().splitlines()


def test_the_catalogue_lists_26_categories_each_with_its_rule_code_and_date() -> None:
    run = subprocess.run([sys.executable, "-m", "engine.cli", "catalog", "--format", "json"], capture_output=True,
                         text=True, cwd=ROOT, timeout=120)
    assert run.returncode == 0, run.stderr
    rows = json.loads(run.stdout)["categories"]
    assert len(rows) == 26
    for row in rows:
        rule = row["rule_in_force"]
        assert rule and rule["code"] and rule["date"], row["id"]
    batch5 = {r["id"]: r["rule_in_force"]["code"] for r in rows if r["batch"] == 5}
    assert batch5 == {"lighting": "CNCA-CGP-20:2025", "reusable_logistics_boxes": "CNCA-CGP-21:2025",
                      "dyes": "CNCA-CGP-22:2025", "premixed_mortar": "CNCA-CGP-23:2025", "stone": "CNCA-CGP-24:2025",
                      "refractories": "CNCA-CGP-25:2025", "computers": "CNCA-CGP-26:2025",
                      "printers": "CNCA-CGP-27:2025"}
    assert all(r["rule_in_force"]["date"] == "2025-09-09" for r in rows if r["batch"] == 5)
    # the repealed 2020 rules are listed with the notice that repealed them, and are never the rule in force
    repealed = [(r["id"], rule["code"], rule["repealed_by"]) for r in rows for rule in r["implementation_rules"]
                if rule["repealed_by"]]
    assert sorted(repealed) == [("building_glass", "CNCA-CGP-04-2020", "CNCA 公告2021年第7号"),
                                ("ceramic_tiles", "CNCA-CGP-09:2020", "CNCA 公告2021年第7号"),
                                ("paper", "CNCA-CGP-12-2020", "CNCA 公告2021年第7号")]
    assert not any(r["rule_in_force"]["repealed_by"] for r in rows)


def test_on_2026_11_01_the_new_editions_are_in_force() -> None:
    run = subprocess.run([sys.executable, "-m", "engine.cli", "catalog", "--as-of", "2026-11-01", "--format", "json"],
                         capture_output=True, text=True, cwd=ROOT, timeout=120)
    data = json.loads(run.stdout)
    in_force = {e["standard"] for r in data["categories"] for e in r["editions"] if e["in_force"]}
    assert {"GB/T 35601-2024", "GB/T 35607-2024", "GB/T 35609-2025"} <= in_force
    assert not {"GB/T 35601-2017", "GB/T 35607-2017", "GB/T 35609-2017"} & in_force
    assert data["scheme"]["validity"] == "5 years"
    assert [m["id"] for m in data["scheme"]["measures"]] == ["measures_2026"]
    text = subprocess.run([sys.executable, "-m", "engine.cli", "catalog", "--as-of", "2026-11-01"], capture_output=True,
                          text=True, cwd=ROOT, timeout=120, env={**os.environ, "COLUMNS": "80"}).stdout
    for standard in ("GB/T 35601-2024", "GB/T 35607-2024", "GB/T 35609-2025"):
        assert f"{standard} from " in text and text.split(f"{standard} from ", 1)[1].split("\n", 1)[0].rstrip().endswith("✓")


def test_the_catalogue_reads_at_80_columns() -> None:
    repo = Repository.load()
    for as_of in (None, AS_OF):
        lines = _render(lambda console, a=as_of: print_catalog(repo, catalog_rows(repo, a), a, console))
        assert max(len(line) for line in lines) <= 80
        assert len(lines) <= 90, len(lines)  # 144 lines before: one row per category, no wrapped cells
        assert sum(1 for line in lines if line.startswith("wood_panels ")) == 1


def test_the_provenance_report_reads_at_80_columns() -> None:
    repo = Repository.load()
    lines = _render(lambda console: _print_provenance(repo, "text", console))
    assert max(len(line) for line in lines) <= 80
    assert len(lines) <= 40, len(lines)  # 238 lines before
    rows = [line for line in lines if line.startswith("coatings/")]
    assert rows and rows[0].split()[1:] == ["0", "4", "0", "0/4"]
