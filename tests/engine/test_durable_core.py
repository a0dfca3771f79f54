"""durable-rules 2.0.28's hazards, one test each, against the real library through engine.durable_core."""

# Every test here would fail, hang or crash if engine/durable_core.py did not handle its hazard. Those that
# could crash or hang the interpreter run in a subprocess with a timeout, so a segfault or an endless loop is
# a failed test and not a dead test runner. Tests named `test_control_*` show, on the raw C extension, that
# the hazard is real on this machine (they reach it through `engine.durable_core._dre`, so that durable_core
# stays the only module importing durable-rules).

from __future__ import annotations

import datetime as dt
import json
import math
import os
import subprocess
import sys
import textwrap
import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Repository, application_from_data, read_application
from engine.durable_core import (
    MAX_FIELDS_PER_FACT,
    MAX_MATCHES_PER_FACT,
    SENTINEL,
    DurableError,
    DurableRuleSet,
    encode_number,
    live_rulesets,
)
from engine.loader import PROJECT_ROOT

COATINGS = "coatings/GB-T-35602-2017"
EXAMPLES = PROJECT_ROOT / "examples" / "coatings"
AS_OF = dt.date(2026, 11, 1)


def run_isolated(code: str, timeout: float = 120, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run `code` in a fresh interpreter (the project's venv) from the project root."""
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=PROJECT_ROOT, capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, **(env or {})})


def assert_clean(proc: subprocess.CompletedProcess[str], expected_last_line: str) -> None:
    assert proc.returncode == 0, f"exit {proc.returncode}\nstdout:\n{proc.stdout[-2000:]}\nstderr:\n{proc.stderr[-2000:]}"
    assert proc.stdout.strip().splitlines()[-1] == expected_last_line, proc.stdout[-2000:]


def one_rule(condition: dict[str, Any], fields: list[str]) -> DurableRuleSet:
    return DurableRuleSet("t", {"r": condition}, {f: 0 for f in fields})


# ---------------------------------------------------------------------------------------------- sessions

def test_5000_sequential_evaluations_on_one_rule_set() -> None:
    """More than 1,024 sessions on one rule set: each evaluation must delete its session."""
    proc = run_isolated("""
        import datetime as dt, pathlib
        from engine import Repository, read_application
        from engine.durable_core import live_rulesets
        repo = Repository.load()
        apps = [read_application(pathlib.Path("examples/coatings") / f)[:2]
                for f in ("granted.yaml", "refused-benzene.yaml", "incomplete-formaldehyde.yaml")]
        want = ["granted", "refused", "incomplete"]
        compiled = repo.compiled("coatings/GB-T-35602-2017")
        for i in range(5000):
            app, doc = apps[i % 3]
            assert repo.check(app, doc, dt.date(2026, 11, 1)).outcome == want[i % 3], i
        for i in range(5000):
            compiled.durable.fire({})
        print(live_rulesets() >= 1, "5000 ok")
    """)
    assert_clean(proc, "True 5000 ok")


def test_shared_sessions_of_fire_many_are_deleted() -> None:
    """`fire_many` puts several evaluations in one session: 10,000 evaluations in sessions of 2 and of 16 (5,000
    and 625 sessions), with and without a rule firing, stay under the 1,024 live sessions."""
    proc = run_isolated("""
        from engine.durable_core import DurableRuleSet
        rules = DurableRuleSet("t", {"r": {"$gt": {"c0": 10}}}, {"c0": 0})
        for per_session in (2, 16):
            fields = [{"c0": i % 20} for i in range(10000)] if per_session == 2 else [{} for _ in range(10000)]
            fired = rules.fire_many(fields, per_session=per_session)
            assert fired == [({"r"} if f.get("c0", 0) > 10 else set()) for f in fields], per_session
        print("shared sessions deleted")
    """)
    assert_clean(proc, "shared sessions deleted")


def test_control_raw_library_fails_at_1024_live_sessions() -> None:
    proc = run_isolated("""
        import json
        from engine.durable_core import _dre
        h = _dre.create_ruleset("control_sessions", json.dumps({"r": {"all": [{"m": {"t": "a0"}}]}}))
        for i in range(1100):
            try:
                _dre.assert_facts(h, '[{"sid":"s%d","id":"f0","t":"a0"}]' % i)
            except MemoryError:
                print("MemoryError at", i)
                break
        else:
            print("no failure")
    """)
    assert proc.stdout.strip() == "MemoryError at 1024", proc.stdout + proc.stderr


def test_session_where_no_criterion_fires_is_deleted_safely() -> None:
    """The sentinel fires in every session, so deleting it is safe even when no criterion rule fired."""
    proc = run_isolated("""
        from engine import Repository
        compiled = Repository.load().compiled("coatings/GB-T-35602-2017")
        rules = compiled.durable
        for i in range(300):
            # criteria compile to failure rules: benzene within its limit fires nothing but the sentinel
            assert rules.fire({"c0": 1.0, "n0": 0}) == set(), i
            assert rules.fire({}) == set(), i                         # no field at all
        print("no-fire sessions deleted")
    """)
    assert_clean(proc, "no-fire sessions deleted")


def test_control_raw_library_crashes_deleting_a_session_where_nothing_fired() -> None:
    """The same rules without our sentinel: deleting the session crashes (not on every run, so up to 5 runs)."""
    code = """
        import json
        from engine import Repository
        from engine.durable_core import _dre
        rules = Repository.load().compiled("coatings/GB-T-35602-2017").rules
        definition = {n: {"all": [{"m": {"$and": [{"t": "a0"}, c]}}]} for n, c in rules.items()}
        h = _dre.create_ruleset("control_nofire", json.dumps(definition))
        for i in range(50):
            _dre.assert_facts(h, '[{"sid":"s","id":"f0","t":"a0","c0":1.0}]')  # within the limit: nothing fires
            assert _dre.start_action(h) is None
            _dre.delete_state(h, "s")
        print("survived")
    """
    codes = []
    for _ in range(5):
        proc = run_isolated(code)
        codes.append(proc.returncode)
        if proc.returncode != 0:
            break
    assert codes[-1] in (-11, -6, 139, 134), codes  # SIGSEGV or SIGABRT (munmap_chunk(): invalid pointer)


def test_no_thread_but_the_main_one_after_compiling_and_evaluating() -> None:
    proc = run_isolated("""
        import datetime as dt, os, pathlib, threading
        from engine import Repository, read_application
        # native threads a dependency starts on import (numpy's OpenBLAS pool, when pint finds numpy) are the
        # baseline: what must not appear is a thread started by durable-rules or by our code
        baseline = len(os.listdir("/proc/self/task"))
        repo = Repository.load()
        repo.compile_all()
        for path in sorted(pathlib.Path("examples").glob("*/*.yaml")):
            if path.name != "expected.yaml":
                app, doc, diags = read_application(path)
                if app is not None and not diags:
                    try:
                        repo.check(app, doc, dt.date(2026, 11, 1))
                    except Exception:
                        pass
        print(len(repo.rulesets) > 5, [t.name for t in threading.enumerate()], len(os.listdir("/proc/self/task")) - baseline)
    """)
    assert_clean(proc, "True ['MainThread'] 0")


# ---------------------------------------------------------------------------------------------- numbers

@pytest.mark.parametrize(("value", "text"), [
    (1e-05, "0.00001"), (1e-20, "0.00000000000000000001"), (123456789012345.0, "123456789012345.0"),
    (-0.0, "-0.0"), (1e16, "10000000000000000.0"), (2.5e-7, "0.00000025"), (-3e-9, "-0.000000003"),
    (0.1, "0.1"), (12, "12"), (-7, "-7"), (10 ** 20, "100000000000000000000.0"),
])
def test_numbers_are_written_in_plain_decimal(value: float, text: str) -> None:
    assert encode_number(value) == text
    assert float(encode_number(value)) == value


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_every_finite_float_is_written_without_exponent_and_round_trips(value: float) -> None:
    text = encode_number(value)
    assert "e" not in text.lower() and "." in text
    assert float(text) == value and Decimal(text) == Decimal(repr(value))


_FAST = DurableRuleSet("fast", {"r1": {"$lte": {"a": 5}}, "r2": {"$gt": {"b": 1}}, "r3": {"s": "x"}},
                       {"a": 0, "b": 0, "s": 0, "unread": 0})
_VALUES = st.one_of(st.floats(), st.integers(min_value=-(2 ** 70), max_value=2 ** 70), st.booleans(),
                    st.text(max_size=5), st.none())


def _numbers_in(text: str) -> list[str]:
    seen: list[str] = []
    json.loads(text, parse_float=lambda t: seen.append(t) or float(t), parse_int=lambda t: seen.append(t) or int(t))
    return seen


@given(st.dictionaries(st.sampled_from(["a", "b", "s", "unread", "other"]), _VALUES))
def test_the_one_fact_fast_path_encodes_exactly_as_the_general_path(fields: dict[str, Any]) -> None:
    """`encode` of a one-fact rule set takes a fast path (C-level checks, orjson); what it writes must be the
    facts the general path writes, never with an exponent, and what the general path refuses it must not take."""
    one = _FAST._encode_one(fields, _FAST._heads[0])
    fast = None if one is None else "[" + one + "]"
    _FAST._single = False
    try:
        general: str | None = _FAST.encode(fields)
    except DurableError:
        general = None
    finally:
        _FAST._single = True
    if general is None:
        assert fast is None
        with pytest.raises(DurableError):
            _FAST.encode(fields)
        return
    assert _FAST.encode(fields) == (fast or general)
    if fast is not None:
        assert json.loads(fast) == json.loads(general)
        assert all("e" not in n.lower() for n in _numbers_in(fast))


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, True, False, "1", None])
def test_encode_number_refuses_what_durable_cannot_hold(bad: Any) -> None:
    with pytest.raises((TypeError, ValueError)):
        encode_number(bad)


@pytest.mark.parametrize(("limit", "value", "op", "holds"), [
    (1e-05, 1e-05, "$lte", True), (1e-05, 1.1e-05, "$lte", False), (1e-05, 9e-06, "$lt", True),
    (0, 1e-20, "$gt", True), (0, 1e-20, "$lte", False), (1e-20, 1e-20, "$gte", True), (2e-20, 1e-20, "$gte", False),
    (123456789012344.0, 123456789012345.0, "$gte", True), (123456789012345.0, 123456789012345.0, "$gt", False),
    (0, -0.0, "$gte", True), (0, -0.0, "$lt", False), (0.0, -0.0, "$lte", True),
    (1e16, 1e16 + 2, "$gt", True), (100, 10 ** 20, "$gt", True), (-5e-7, -4e-7, "$gt", True),
])
def test_numbers_compare_correctly_in_durable(limit: float, value: float, op: str, holds: bool) -> None:
    rules = one_rule({op: {"c0": limit}}, ["c0"])
    try:
        assert (rules.fire({"c0": value}) == {"r"}) is holds
    finally:
        rules.close()


@settings(max_examples=150, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False, width=64), st.floats(allow_nan=False, allow_infinity=False),
       st.sampled_from(["$lt", "$lte", "$gt", "$gte"]))
def test_durable_comparisons_agree_with_python(limit: float, value: float, op: str) -> None:
    rules = one_rule({op: {"c0": limit}}, ["c0"])
    try:
        want = {"$lt": value < limit, "$lte": value <= limit, "$gt": value > limit, "$gte": value >= limit}[op]
        assert (rules.fire({"c0": value}) == {"r"}) is want
    finally:
        rules.close()


def test_control_raw_library_misreads_exponent_numbers() -> None:
    proc = run_isolated("""
        from engine.durable_core import _dre
        h = _dre.create_ruleset("control_exp", '{"r": {"all": [{"m": {"$lte": {"c0": 0.00002}}}]}}')
        _dre.assert_facts(h, '[{"sid":"a","id":"f0","c0":1e-05}]')
        print("exponent:", _dre.start_action(h) is not None)
        _dre.assert_facts(h, '[{"sid":"b","id":"f0","c0":0.00001}]')
        print("plain:", _dre.start_action(h) is not None)
        try:
            _dre.create_ruleset("control_exp2", '{"r": {"all": [{"m": {"$lte": {"c0": 1e-05}}}]}}')
            print("rule accepted")
        except _dre.error as e:
            print("rule refused")
    """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split("\n")[:3] == ["exponent: False", "plain: True", "rule refused"]


# ---------------------------------------------------------------------------------------------- types

def test_strings_never_reach_numeric_rules() -> None:
    rules = one_rule({"$gte": {"c0": 5}}, ["c0"])
    try:
        assert rules.fire({"c0": 7}) == {"r"}
        for bad in ("abc", "7", True, False, None, [7]):
            with pytest.raises(DurableError):
                rules.fire({"c0": bad})
        with pytest.raises(DurableError):
            rules.fire({"c0": math.nan})
        assert rules.fire({"c0": 3}) == set()  # still usable, no state left behind
    finally:
        rules.close()


def test_numbers_and_booleans_never_reach_string_rules() -> None:
    rules = one_rule({"$or": [{"c0": "pass"}, {"c0": "verified"}]}, ["c0"])
    try:
        assert rules.fire({"c0": "verified"}) == {"r"}
        assert rules.fire({"c0": "Pass"}) == set()
        for bad in (1, 0, 1.0, True):
            with pytest.raises(DurableError):
                rules.fire({"c0": bad})
    finally:
        rules.close()


@pytest.mark.parametrize("condition", [
    {"c0": True}, {"c0": False}, {"c0": None}, {"$lte": {"c0": "5"}}, {"$gte": {"c0": True}},
    {"$and": [{"c0": 1}, {"c0": "one"}]}, {"$lte": {"c0": math.inf}}, {"$foo": {"c0": 1}}, {"c0": 1, "c1": 2},
    {"$or": []}, {"$lte": {"t": 1}}, {"$lte": {"sid": 1}}, {"$lte": {"bad name": 1}},
])
def test_conditions_durable_would_coerce_are_refused(condition: dict[str, Any]) -> None:
    with pytest.raises(DurableError):
        DurableRuleSet("t", {"r": condition}, {"c0": 0, "c1": 0})


def test_a_field_numeric_in_one_rule_and_textual_in_another_is_refused() -> None:
    with pytest.raises(DurableError):
        DurableRuleSet("t", {"a": {"$lte": {"c0": 1}}, "b": {"c0": "x"}}, {"c0": 0})


def test_control_raw_library_coerces_types() -> None:
    proc = run_isolated("""
        import json
        from engine.durable_core import _dre
        h = _dre.create_ruleset("control_types", json.dumps({
            "ge5": {"all": [{"m": {"$gte": {"c0": 5}}}]}, "true": {"all": [{"m": {"c1": True}}]}}))
        _dre.assert_facts(h, '[{"sid":"s","id":"f0","c0":"abc","c1":1}]')
        fired = []
        r = _dre.start_action(h)
        while r is not None and r[1]:
            fired.append(r[1][2:r[1].index('"', 2)])
            r = (None, _dre.complete_and_start_action(h, r[2]), r[2])
        print(sorted(fired))
    """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "['ge5', 'true']"


def test_unknown_fields_are_refused_and_fields_no_rule_reads_are_ignored() -> None:
    rules = DurableRuleSet("t", {"r": {"$lte": {"c0": 1}}}, {"c0": 0, "c9": 0})
    try:
        with pytest.raises(DurableError):
            rules.fire({"c0": 0, "zz": 1})
        assert rules.fire({"c0": 0, "c9": "anything"}) == {"r"}
        assert '"c9"' not in rules.encode({"c0": 0, "c9": 5})
    finally:
        rules.close()


# ---------------------------------------------------------------------------------------------- size limits

def _big_rule_set(root: Path, n: int) -> None:
    """A catalogue entry and rule set with `n` quantity criteria (synthetic: not a standard's numbers)."""
    source = "synthetic test rule set (tests/engine/test_durable_core.py); not a standard's number"
    (root / "catalog").mkdir()
    (root / "rules").mkdir()
    catalog = {"format": "greencert/catalog@1", "category": {
        "id": "big_widget", "name": {"zh": "合成", "en": "synthetic"},
        "standards": [{"code": "SYNTH-BIG", "status": "unconfirmed", "source": source}],
        "attributes": [{"id": "environment", "name": {"zh": "环境", "en": "environment"}}],
        "indicators": [{"id": f"q{i:03d}", "name": {"zh": f"指标{i}", "en": f"indicator {i}"}, "unit": "mg/kg",
                        "attribute": "environment"} for i in range(n)]}}
    ruleset = {"format": "greencert/ruleset@1", "id": "big_widget/SYNTH-BIG", "category": "big_widget",
               "standard": "SYNTH-BIG", "in_force": {"from": "2026-01-01"},
               "criteria": [{"id": f"k{i:03d}", "indicator": f"q{i:03d}", "requirement": {"lte": 10 + i, "unit": "mg/kg"},
                             "clause": f"synthetic {i}", "provenance": {"status": "unconfirmed", "source": source}}
                            for i in range(n)],
               "labels": [{"id": "full", "kind": "full", "name": {"zh": "全项", "en": "full"}}]}
    (root / "catalog" / "big.yaml").write_text(yaml.safe_dump(catalog, allow_unicode=True), encoding="utf-8")
    (root / "rules" / "big.yaml").write_text(yaml.safe_dump(ruleset, allow_unicode=True), encoding="utf-8")


def test_400_criteria_are_split_across_facts_and_every_rule_fires_correctly(tmp_path: Path) -> None:
    """400 criteria: more fields than one durable object holds (~252) and far more passing rules than its
    64-entry stack takes at once (error 303) or its 511-child nodes hold (endless loop)."""
    _big_rule_set(tmp_path, 400)
    proc = run_isolated(f"""
        import datetime as dt, json, pathlib
        from engine import Repository, application_from_data
        from engine.evaluator import evaluate_batch
        root = pathlib.Path({str(tmp_path)!r})
        repo = Repository.load([root / "catalog", root / "rules"])
        compiled = repo.compiled("big_widget/SYNTH-BIG")
        out = {{"facts": compiled.durable.chunk_count}}
        checked = []
        def app(values):
            return {{"category": "big_widget", "product": {{"model": "M"}}, "evidence": {{"test_reports": [
                {{"id": "R", "laboratory": {{"name": "L", "qualifications": ["CMA"]}}, "issued": "2026-06-01",
                  "model": "M", "results": [{{"indicator": f"q{{i:03d}}", "value": v, "unit": "mg/kg"}}
                                             for i, v in values.items()]}}]}}}}
        for name, values in (("all_pass", {{i: 10 + i for i in range(400)}}),
                             ("odd_fail", {{i: 10 + i + (i % 2) * 0.5 for i in range(400)}}),
                             ("every_7th_missing", {{i: 5 for i in range(400) if i % 7}})):
            a, doc, diags = application_from_data(app(values))
            assert not diags, diags
            d = repo.check(a, doc, dt.date(2026, 11, 1))
            out[name] = [c.verdict for c in d.criteria]
            checked.append((repo.prepare(a, doc, dt.date(2026, 11, 1))[1], None, d))
        # several facts an evaluation, several evaluations a session: the same decisions
        batch = evaluate_batch(compiled, [(a, u) for a, u, _ in checked] * 3, dt.date(2026, 11, 1))
        out["batch_same"] = batch == [d for _, _, d in checked] * 3
        print(json.dumps(out))
    """, timeout=180)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["facts"] >= math.ceil(400 / (MAX_MATCHES_PER_FACT - 1))
    assert out["all_pass"] == ["pass"] * 400
    assert out["odd_fail"] == ["fail" if i % 2 else "pass" for i in range(400)]
    assert out["every_7th_missing"] == ["pass" if i % 7 else "missing" for i in range(400)]
    assert out["batch_same"] is True


def test_many_rules_on_one_field_all_matching_fire() -> None:
    """100 rules that all match at once (grades on one value): one fact would overflow durable's stack."""
    proc = run_isolated("""
        from engine.durable_core import DurableRuleSet
        rules = DurableRuleSet("t", {f"g{i}": {"$lte": {"g": i}} for i in range(100)}, {"g": 0})
        assert rules.fire({"g": 0}) == {f"g{i}" for i in range(100)}
        assert rules.fire({"g": 50}) == {f"g{i}" for i in range(50, 100)}
        print(rules.chunk_count > 1, "ok")
    """, timeout=60)
    assert_clean(proc, "True ok")


def test_700_independent_rules_fire_and_do_not_hang() -> None:
    proc = run_isolated("""
        from engine.durable_core import DurableRuleSet
        n = 700
        rules = DurableRuleSet("t", {f"r{i}": {"$gte": {f"c{i}": 0}} for i in range(n)}, {f"c{i}": 0 for i in range(n)})
        assert rules.fire({f"c{i}": i for i in range(n)}) == {f"r{i}" for i in range(n)}
        assert rules.fire({f"c{i}": -1 if i % 3 else 1 for i in range(n)}) == {f"r{i}" for i in range(0, n, 3)}
        print("ok")
    """, timeout=60)
    assert_clean(proc, "ok")


def test_a_rule_too_large_for_one_fact_is_refused_not_hung() -> None:
    with pytest.raises(DurableError):
        DurableRuleSet("t", {"r": {"$or": [{"c0": f"v{i}"} for i in range(600)]}}, {"c0": 0})
    with pytest.raises(DurableError):  # 60 alternatives that can all match at once
        DurableRuleSet("t", {"r": {"$or": [{"$lte": {"c0": i}} for i in range(60)]}}, {"c0": 0})
    wide = DurableRuleSet("t", {"r": {"$or": [{"c0": f"v{i}"} for i in range(300)]}}, {"c0": 0})
    try:  # a one-of: at most one alternative matches, so it fits
        assert wide.fire({"c0": "v299"}) == {"r"} and wide.fire({"c0": "v300"}) == set()
    finally:
        wide.close()


def test_no_fact_carries_more_fields_than_durable_keeps() -> None:
    """Three rules of 150 fields each: two would make a fact of 300 properties, which durable drops silently."""
    width = 150
    rules = {f"r{k}": {"$and": [{f"c{k}_{i}": 1} for i in range(width)]} for k in range(3)}
    fields = [f"c{k}_{i}" for k in range(3) for i in range(width)]
    durable = DurableRuleSet("t", rules, {f: 0 for f in fields})
    try:
        facts = json.loads(durable.encode({f: 1 for f in fields}))
        assert len(facts) == durable.chunk_count == 3
        assert all(len(f) - 3 <= MAX_FIELDS_PER_FACT for f in facts)
        assert sorted(k for f in facts for k in f if k not in ("sid", "id", "t")) == sorted(fields)
        assert durable.fire({f: 1 for f in fields}) == {"r0", "r1", "r2"}
        assert durable.fire({f: 0 if f == "c1_149" else 1 for f in fields}) == {"r0", "r2"}
    finally:
        durable.close()


def test_conditions_durable_cannot_build_are_refused_at_compile_time() -> None:
    """A wide `$or` of `$and`s exceeds durable's 32-expression sequences (error 113): refused, no crash."""
    with pytest.raises(DurableError):
        DurableRuleSet("t", {"r": {"$or": [{"$and": [{"n": i}, {"$lte": {"c": i}}]} for i in range(20)]}},
                       {"c": 0, "n": 0})


def test_absent_fields_do_not_loop() -> None:
    proc = run_isolated("""
        import datetime as dt, time
        from engine import Repository, application_from_data
        repo = Repository.load()
        compiled = repo.compiled("coatings/GB-T-35602-2017")
        start = time.perf_counter()
        for _ in range(200):
            assert compiled.durable.fire({}) == set()
        app, doc, diags = application_from_data({"category": "coatings", "product": {"model": "M",
            "parameters": {"base": "waterborne", "use": "interior_wall", "gloss_60": 5}}, "evidence": {}})
        d = repo.check(app, doc, dt.date(2026, 11, 1))
        elapsed = time.perf_counter() - start
        print(d.outcome, {c.verdict for c in d.criteria}, elapsed < 10)
    """, timeout=60)
    assert_clean(proc, "incomplete {'missing'} True")


# ---------------------------------------------------------------------------------------------- names, state

def test_two_rule_sets_with_the_same_label_get_distinct_names_and_stay_independent() -> None:
    before = live_rulesets()
    a = DurableRuleSet("same", {"r": {"$lte": {"c0": 10}}}, {"c0": 0})
    b = DurableRuleSet("same", {"r": {"$gte": {"c0": 10}}}, {"c0": 0})
    try:
        assert a.name != b.name
        assert live_rulesets() == before + 2
        assert a.fire({"c0": 5}) == {"r"} and b.fire({"c0": 5}) == set()
        a.close()
        with pytest.raises(DurableError):
            a.fire({"c0": 5})
        assert b.fire({"c0": 50}) == {"r"}
        assert live_rulesets() == before + 1
    finally:
        a.close()
        b.close()
    assert live_rulesets() == before


def test_two_repositories_compile_the_same_rule_set_in_one_process() -> None:
    one, two = Repository.load(), Repository.load()
    try:
        assert one.compiled(COATINGS).durable.name != two.compiled(COATINGS).durable.name
        app, doc, _ = read_application(EXAMPLES / "granted.yaml")
        assert one.check(app, doc, AS_OF) == two.check(app, doc, AS_OF)
    finally:
        one.close()
        two.close()


def test_state_never_leaks_between_evaluations_in_durable() -> None:
    rules = DurableRuleSet("t", {"a": {"$lte": {"c0": 10}}, "b": {"$lte": {"c1": 10}}, "s": {"c2": "x"}},
                           {"c0": 0, "c1": 0, "c2": 0})
    try:
        first = rules.fire({"c0": 1})
        assert first == {"a"}
        assert rules.fire({"c0": 1, "c1": 1, "c2": "x"}) == {"a", "b", "s"}
        assert rules.fire({"c0": 1}) == first
        assert rules.fire({}) == set()
        assert rules.fire({"c0": 11, "c1": 1}) == {"b"}
        assert rules.fire({"c0": 1}) == first
    finally:
        rules.close()


def test_state_never_leaks_between_consecutive_decisions(repo: Repository) -> None:
    names = ["granted.yaml", "refused-benzene.yaml", "incomplete-old-report.yaml", "refused-corrective-action-overdue.yaml"]
    apps = [read_application(EXAMPLES / n)[:2] for n in names]
    first = [repo.check(app, doc, AS_OF) for app, doc in apps]
    assert [d.outcome for d in first] == ["granted", "refused", "incomplete", "refused"]
    for order in ([0, 1, 0], [1, 0, 2, 0, 3, 1], [3, 2, 1, 0]):
        assert [repo.check(*apps[i], AS_OF) for i in order] == [first[i] for i in order]


# ---------------------------------------------------------------------------------------------- refusals

def test_durable_refusals_raise_durable_error_and_leave_the_rule_set_usable() -> None:
    proc = run_isolated("""
        from engine.durable_core import DurableError, DurableRuleSet
        rules = DurableRuleSet("t", {"r": {"$lte": {"c0": 10}}}, {"c0": 0})
        bad = [
            # durable would accept the first fact and ignore the rest: refused before it gets there
            "[{", '[{"sid":"s","id":"f0","t":"a0","c0":1},{"sid":"s","id":"f1",', '[{"sid":"s","c0":1.5.5}]', "[]",
            # durable silently drops these facts: no rule fires, not even the sentinel, and the session is
            # ended safely by asserting a fact that makes the sentinel fire first
            "[{" + ",".join('"p%d":%d' % (i, i) for i in range(300)) + ',"sid":"s","id":"f0","t":"a0"}]',
            '[{"sid":"s","id":"f0","t":"a0","c0":1e-05}]',
            # no fact the sentinel matches
            '[{"sid":"s","id":"f0","t":"a7","c0":1}]',
        ]
        for payload in bad:
            try:
                rules.fire_encoded(payload)
                print("accepted", payload[:30])
            except DurableError:
                pass
            assert rules.fire({"c0": 5}) == {"r"}, payload[:30]
            assert rules.fire({"c0": 50}) == set(), payload[:30]
        print("refusals recovered")
    """, timeout=60)
    assert_clean(proc, "refusals recovered")
    assert "accepted" not in proc.stdout


def test_a_dropped_evaluation_in_a_shared_session_is_refused_and_the_rule_set_stays_usable() -> None:
    """If durable drops the facts of one evaluation of a shared session (its sentinel does not fire), the whole
    call raises DurableError, the session is still deleted, and later calls work."""
    proc = run_isolated("""
        from engine.durable_core import DurableError, DurableRuleSet, _drain_shared
        rules = DurableRuleSet("t", {"r": {"$lte": {"c0": 10}}}, {"c0": 0})
        dropped = "{" + ",".join('"p%d":%d' % (i, i) for i in range(300)) + ',"sid":"s","id":"1f0","t":"a0"}'
        for payload, n in (('[{"sid":"s","id":"0f0","t":"a0","c0":1},' + dropped + "]", 2),
                           ("[" + dropped + "]", 2)):
            try:
                rules._run([set() for _ in range(n)], payload, _drain_shared)
                print("accepted")
            except DurableError as e:
                assert "dropped" in str(e), e
            for _ in range(1100):
                assert rules.fire_many([{"c0": 5}, {"c0": 50}, {}]) == [{"r"}, set(), set()]
        print("dropped evaluation refused")
    """, timeout=60)
    assert_clean(proc, "dropped evaluation refused")
    assert "accepted" not in proc.stdout


_MANY = DurableRuleSet("many", {"lo": {"$lt": {"a": 0}}, "hi": {"$gt": {"a": 100}}, "s": {"$neq": {"s": "ok"}},
                                "both": {"$and": [{"$gt": {"a": 50}}, {"b": 1}]}}, {"a": 0, "b": 0, "s": 0})


@given(st.lists(st.fixed_dictionaries({}, optional={
    "a": st.one_of(st.integers(-200, 200), st.floats(-200, 200, allow_nan=False)), "b": st.sampled_from([0, 1]),
    "s": st.sampled_from(["ok", "no", "ok "])}), max_size=40), st.integers(1, 20))
def test_fire_many_fires_what_fire_fires_one_by_one(many: list[dict[str, Any]], per_session: int) -> None:
    """Evaluations sharing a session never see each other's facts: each gets exactly what `fire` gives it."""
    assert _MANY.fire_many(many, per_session=per_session) == [_MANY.fire(f) for f in many]


def test_a_closed_rule_set_refuses_to_fire() -> None:
    rules = DurableRuleSet("t", {"r": {"$lte": {"c0": 10}}}, {"c0": 0})
    rules.close()
    rules.close()  # twice is fine
    with pytest.raises(DurableError):
        rules.fire({"c0": 1})


def test_the_sentinel_is_never_reported_and_cannot_be_redefined() -> None:
    rules = DurableRuleSet("t", {"r": {"$lte": {"c0": 10}}}, {"c0": 0})
    try:
        assert SENTINEL not in rules.fire({"c0": 1}) | rules.fire({})
    finally:
        rules.close()
    for name in (SENTINEL, "has space", 'quo"te', ""):
        with pytest.raises(DurableError):
            DurableRuleSet("t", {name: {"$lte": {"c0": 10}}}, {"c0": 0})


# ---------------------------------------------------------------------------------------------- threads

def test_four_threads_evaluating_shipped_examples_through_one_repository() -> None:
    """Each thread evaluates different shipped example applications (and workload ones), all categories at
    once, for GREENCERT_THREAD_SECONDS (default 10); every decision must equal the single-threaded one."""
    seconds = os.environ.get("GREENCERT_THREAD_SECONDS", "10")
    proc = subprocess.run([sys.executable, str(PROJECT_ROOT / "benchmarks" / "soak.py"), "--threads", "4",
                           "--seconds", seconds], cwd=PROJECT_ROOT, capture_output=True, text=True,
                          timeout=float(seconds) + 240)
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary["ok"] and summary["mismatches"] == 0 and summary["errors"] == 0
    assert len(summary["per_thread"]) == 4 and min(summary["per_thread"]) >= 10
    assert summary["categories"] >= 3 and summary["applications"] >= 8
    assert summary["threads_alive_after"] == 1


def test_threads_in_this_process_agree_with_sequential_decisions(repo: Repository) -> None:
    """A short in-process variant: a crash here would take the runner with it, which is why the long one is
    in a subprocess."""
    names = ["granted.yaml", "refused-benzene.yaml", "incomplete-formaldehyde.yaml", "incomplete-unqualified-lab.yaml"]
    apps = [read_application(EXAMPLES / n)[:2] for n in names]
    expected = [repo.check(app, doc, AS_OF) for app, doc in apps]
    problems: list[str] = []
    deadline = time.monotonic() + 2

    def work(k: int) -> None:
        while time.monotonic() < deadline:
            if repo.check(*apps[k], AS_OF) != expected[k]:
                problems.append(names[k])

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert problems == []


def test_workload_applications_agree_through_the_wrapper(tmp_path: Path) -> None:
    """The synthetic benchmark rule set: every generated application decides the same way twice."""
    from benchmarks import workload

    root = workload.write_workload(tmp_path)
    repository = workload.load_repository(root)
    try:
        outcomes = set()
        for data in workload.generate_applications(60, seed=3):
            app, doc, diags = application_from_data(data)
            assert app is not None and doc is not None and not diags
            first = repository.check(app, doc, workload.AS_OF)
            assert repository.check(app, doc, workload.AS_OF) == first
            outcomes.add(first.outcome)
        assert outcomes == {"granted", "refused", "incomplete"}
    finally:
        repository.close()
