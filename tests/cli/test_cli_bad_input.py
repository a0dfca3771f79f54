"""The CLI fed the mistakes real users (and attackers) make: every case ends in its exit code and its diagnostic.

Each case runs in its own process under a memory limit (RLIMIT_AS) and a timeout, so a regression — a billion
laughs expanded, a 50 MB file parsed, a RecursionError — fails here instead of swapping the machine. The processes
are forked from one runner that has imported greencert once (`greencert` costs about 1.5 s of CPU to start); each
child sets its limits, runs `engine.cli.main(argv)` exactly as the console script does, and exits with its code.
Large inputs are generated in tmp at test time.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from engine.loader import PROJECT_ROOT

MEMORY_LIMIT = 1536 * 1024 * 1024  # bytes of address space per case
TIMEOUT = 60.0  # seconds per case; every case takes well under a second of CPU when it behaves

GRANTED = (PROJECT_ROOT / "examples" / "coatings" / "granted.yaml").read_text(encoding="utf-8")
RULES = (PROJECT_ROOT / "rules" / "coatings" / "GB-T-35602-2017.yaml").read_text(encoding="utf-8")
AS_OF = ["--as-of", "2026-11-01"]

# The runner: reads one JSON request per line, forks a child per request, answers one JSON line per request.
RUNNER = r'''
import io, json, os, resource, signal, sys, tempfile, time, traceback
sys.setrecursionlimit(1000)
import engine.cli
for extension in ("api.commands", "engine.bdd.commands"):  # what `main` imports on every call, imported once here
    try:
        __import__(extension)
    except ImportError:
        pass
for line in sys.stdin:
    spec = json.loads(line)
    out_path = tempfile.mktemp(); err_path = tempfile.mktemp()
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            resource.setrlimit(resource.RLIMIT_AS, (spec["memory"], spec["memory"]))
            os.chdir(spec["cwd"])
            os.environ.update(spec["env"])
            os.dup2(os.open(out_path, os.O_WRONLY | os.O_CREAT, 0o600), 1)
            os.dup2(os.open(err_path, os.O_WRONLY | os.O_CREAT, 0o600), 2)
            sys.stdout = io.TextIOWrapper(os.fdopen(1, "wb"), encoding="utf-8", line_buffering=True)
            sys.stderr = io.TextIOWrapper(os.fdopen(2, "wb"), encoding="utf-8", line_buffering=True)
            if spec.get("fault"):  # an internal fault: the loader raises as a bug would
                def broken(*args, **kwargs):
                    raise RuntimeError("simulated fault in the loader")
                engine.cli.Repository.load = broken
            code = engine.cli.main(spec["argv"])
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 1
        except BaseException:
            traceback.print_exc()
            code = 99
        sys.stdout.flush(); sys.stderr.flush()
        os._exit(code)
    deadline = start + spec["timeout"]
    status, timed_out = None, False
    while status is None:
        done, st = os.waitpid(pid, os.WNOHANG)
        if done:
            status = st
        elif time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL); _, status = os.waitpid(pid, 0); timed_out = True
        else:
            time.sleep(0.005)
    code = os.waitstatus_to_exitcode(status)
    with open(out_path, encoding="utf-8", errors="replace") as f: out = f.read()
    with open(err_path, encoding="utf-8", errors="replace") as f: err = f.read()
    os.unlink(out_path); os.unlink(err_path)
    print(json.dumps({"code": code, "stdout": out[-20000:], "stderr": err[-20000:], "timed_out": timed_out,
                      "seconds": round(time.monotonic() - start, 3)}), flush=True)
'''


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str
    timed_out: bool
    seconds: float

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


@dataclass
class Runner:
    proc: subprocess.Popen[str]
    tmp: Path
    timings: list[tuple[str, float]] = field(default_factory=list)

    def run(self, *argv: str, env: dict[str, str] | None = None, fault: bool = False) -> Result:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        spec = {"argv": list(argv), "cwd": str(PROJECT_ROOT), "env": env or {}, "fault": fault,
                "memory": MEMORY_LIMIT, "timeout": TIMEOUT}
        self.proc.stdin.write(json.dumps(spec) + "\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline()
        assert answer, "the runner died"
        result = Result(**json.loads(answer))
        self.timings.append((" ".join(Path(a).name if "/" in a else a for a in argv), result.seconds))
        assert not result.timed_out, f"timed out after {TIMEOUT} s: {argv}"
        return result


def _limit_memory() -> None:
    import resource
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


@pytest.fixture(scope="module")
def runner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runner]:
    tmp = tmp_path_factory.mktemp("bad_input")
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "COLUMNS": "200"}
    env.pop("GREENCERT_DEBUG", None)
    proc = subprocess.Popen([sys.executable, "-c", RUNNER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True, cwd=PROJECT_ROOT, env=env, preexec_fn=_limit_memory)
    try:
        yield Runner(proc, tmp)
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=30)


def _no_traceback(result: Result) -> None:
    assert "Traceback" not in result.output, result.output


def _check(runner: Runner, path: Path, *extra: str) -> Result:
    return runner.run("check", str(path), *AS_OF, *extra)


def _expect(result: Result, code: int, diagnostic: str) -> None:
    assert result.code == code, result.output
    assert re.search(rf"\b{diagnostic}\b", result.output), result.output
    _no_traceback(result)


# ---------------------------------------------------------------------------------------------- applications

def _app(runner: Runner, name: str, text: str | bytes) -> Path:
    path = runner.tmp / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _formaldehyde(value: str, unit: str = "mg/kg") -> str:
    changed = GRANTED.replace("{indicator: 甲醛, value: 12, unit: mg/kg}",
                              f"{{indicator: 甲醛, value: {value}, unit: {unit}}}")
    assert changed != GRANTED
    return changed


def _laughs(levels: int = 9) -> str:
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        prev, name = chr(96 + i), chr(97 + i)
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\n"


# (file name, content, exit code, diagnostic code); content builders run at test time
APPLICATION_CASES: list[tuple[str, Callable[[], str | bytes], int, str]] = [
    ("laughs.yaml", lambda: GRANTED + _laughs().replace("a: &a", "x_a: &a", 1), 3, "yaml_alias_refused"),
    ("deep_flow.yaml", lambda: "a: " + "[" * 10_000 + "]" * 10_000 + "\n", 3, "document_too_deep"),
    ("deep_block.yaml", lambda: "- " * 10_000 + "x\n", 3, "document_too_deep"),
    ("deep_mapping.yaml", lambda: "".join(" " * i + f"k{i}:\n" for i in range(2_000)) + " " * 2_000 + "x\n", 3,
     "document_too_deep"),
    ("deep.json", lambda: '{"a": ' + "[" * 10_000 + "]" * 10_000 + "}", 3, "document_too_deep"),
    ("deep_open.yaml", lambda: "[" * 10_000, 3, "document_too_deep"),
    ("many_keys.yaml", lambda: "a:\n" + "".join(f"  k{i}: {i}\n" for i in range(120_000)), 3, "too_many_nodes"),
    ("many_keys.json", lambda: json.dumps({f"k{i}": i for i in range(120_000)}), 3, "too_many_nodes"),
    ("negative.yaml", lambda: _formaldehyde("-12"), 3, "application_value_error"),
    ("overflow.yaml", lambda: _formaldehyde("1e400"), 3, "number_out_of_range"),
    ("minus_overflow.yaml", lambda: _formaldehyde("-1e400"), 3, "number_out_of_range"),
    ("huge_int.yaml", lambda: _formaldehyde("1" + "0" * 400), 3, "number_out_of_range"),
    ("huger_int.yaml", lambda: _formaldehyde("9" * 5000), 3, "number_out_of_range"),
    ("tagged_nan.yaml", lambda: _formaldehyde("!!float .nan"), 3, "number_out_of_range"),
    ("plain_nan.yaml", lambda: _formaldehyde(".nan"), 3, "application_value_error"),
    ("beyond_physical.yaml", lambda: _formaldehyde("1e200"), 3, "application_value_error"),
    ("length_unit.yaml", lambda: _formaldehyde("12", "mm"), 3, "application_unit_error"),
    ("unknown_unit.yaml", lambda: _formaldehyde("12", "furlongs_per_fortnight_x"), 3, "application_unit_error"),
    ("nul_escape.yaml", lambda: GRANTED.replace("name: Matte interior wall emulsion", 'name: "Matte\\0"'), 3,
     "invalid_text"),
    ("surrogate.yaml", lambda: GRANTED.replace("name: Matte interior wall emulsion", 'name: "\\ud800"'), 3,
     "invalid_text"),
    ("nul_byte.yaml", lambda: GRANTED.replace("Matte interior", "Matte\x00interior"), 3, "yaml_syntax_error"),
    ("utf16_no_bom.yaml", lambda: GRANTED.encode("utf-16-le"), 3, "file_encoding_error"),
    ("gbk.yaml", lambda: GRANTED.encode("gbk"), 3, "file_encoding_error"),
    ("empty.yaml", lambda: "", 3, "yaml_empty_document"),
    ("comment_only.yaml", lambda: "# nothing here\n", 3, "yaml_empty_document"),
    ("a_list.yaml", lambda: "- 1\n- 2\n", 3, "application_schema_error"),
    ("duplicate.json", lambda: '{"category": "coatings", "category": "coatings", "product": {"model": "x"}}', 3,
     "yaml_duplicate_key"),
    ("nan.json", lambda: '{"category": "coatings", "product": {"model": "x", "parameters": {"gloss_60": NaN}}}', 3,
     "json_syntax_error"),
    ("infinity.json", lambda: '{"category": "coatings", "product": {"model": "x", "parameters": {"gloss_60": '
     '-Infinity}}}', 3, "json_syntax_error"),
    ("overflow.json", lambda: '{"category": "coatings", "product": {"model": "x", "parameters": {"gloss_60": '
     '1e400}}}', 3, "number_out_of_range"),
    ("surrogate.json", lambda: '{"category": "coatings", "product": {"model": "\\udc00"}}', 3, "invalid_text"),
    ("nul.json", lambda: '{"category": "coatings", "product": {"model": "a\\u0000"}}', 3, "invalid_text"),
    ("unclosed.json", lambda: '{"category": "coatings",\n "scope": ["green_product",\n', 3, "json_syntax_error"),
    ("tab_indent.yaml", lambda: "format: greencert/application@1\n\tcategory: coatings\n", 3, "yaml_syntax_error"),
    ("two_documents.yaml", lambda: GRANTED + "\n---\n" + GRANTED, 3, "yaml_syntax_error"),
    ("unknown_category.yaml", lambda: GRANTED.replace("category: coatings", "category: coatingz"), 3,
     "application_reference_error"),
]


@pytest.mark.parametrize(("name", "content", "code", "diagnostic"), APPLICATION_CASES,
                         ids=[c[0] for c in APPLICATION_CASES])
def test_bad_application(runner: Runner, name: str, content: Callable[[], str | bytes], code: int,
                         diagnostic: str) -> None:
    result = _check(runner, _app(runner, name, content()))
    _expect(result, code, diagnostic)
    assert "GRANTED" not in result.output


def test_a_50_mb_application_is_refused_by_its_size(runner: Runner) -> None:
    path = runner.tmp / "huge.yaml"
    line = "        - {indicator: 甲醛, value: 12, unit: mg/kg}\n".encode()
    with path.open("wb") as f:
        f.write(GRANTED.encode())
        f.write(line * (50 * 1024 * 1024 // len(line)))
    assert path.stat().st_size > 50 * 1024 * 1024
    _expect(_check(runner, path), 3, "document_too_large")


def test_billion_laughs_in_a_rule_file_is_bounded(runner: Runner) -> None:
    folder = runner.tmp / "laughs_rules"
    folder.mkdir()
    (folder / "c.yaml").write_text(RULES + "\nx_laughs:\n" + "".join("  " + line + "\n"
                                                                      for line in _laughs().splitlines()),
                                   encoding="utf-8")
    _expect(runner.run("validate", str(folder)), 1, "yaml_alias_limit")
    _expect(_check(runner, _app(runner, "ok.yaml", GRANTED), "--rules", str(folder)), 3, "yaml_alias_limit")


def test_unclosed_bracket_is_reported_on_the_line_it_opened(runner: Runner) -> None:
    text = GRANTED + "scope: [green_product,\n\n\n"
    opened = text.count("\n", 0, text.index("scope: [")) + 1
    result = _check(runner, _app(runner, "unclosed.yaml", text))
    _expect(result, 3, "yaml_syntax_error")
    assert re.search(rf"unclosed\.yaml:{opened}:8: yaml_syntax_error: the `\[` opened here is not closed", result.output)


def test_empty_application_hint_speaks_of_applications(runner: Runner) -> None:
    result = _check(runner, _app(runner, "empty2.yaml", "\n"))
    _expect(result, 3, "yaml_empty_document")
    assert "greencert/application@1" in result.output and "rule set" not in result.output


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-32"])
def test_unicode_applications_with_a_byte_order_mark_are_read(runner: Runner, encoding: str) -> None:
    result = _check(runner, _app(runner, f"granted-{encoding}.yaml", GRANTED.encode(encoding)))
    assert result.code == 0, result.output
    _no_traceback(result)


def test_minus_zero_is_a_zero(runner: Runner) -> None:
    result = _check(runner, _app(runner, "minus_zero.yaml", _formaldehyde("-0.0")), "--format", "json")
    assert result.code == 0, result.output
    decision = json.loads(result.stdout)
    measured = next(c for c in decision["criteria"] if c["id"] == "formaldehyde")["measured"]
    assert measured["value"] == 0.0 and measured["reported_value"] == 0.0 and "-0" not in json.dumps(measured)


def test_json_output_of_an_invalid_application_is_json(runner: Runner) -> None:
    result = _check(runner, _app(runner, "neg.yaml", _formaldehyde("-12")), "--format", "json")
    assert result.code == 3
    codes = [d["code"] for d in json.loads(result.stdout)["diagnostics"]]
    assert codes == ["application_value_error"]


def test_missing_file_and_folder(runner: Runner) -> None:
    _expect(_check(runner, runner.tmp / "does-not-exist.yaml"), 3, "file_unreadable")
    _expect(_check(runner, runner.tmp), 3, "file_unreadable")


# ---------------------------------------------------------------------------------------------- rule files

def _rules(runner: Runner, name: str, text: str) -> Path:
    folder = runner.tmp / name
    folder.mkdir()
    (folder / "rules.yaml").write_text(text, encoding="utf-8")
    return folder


def _limit(value: str) -> str:
    changed = RULES.replace("requirement: {lte: 100, unit: mg/kg}", f"requirement: {{lte: {value}, unit: mg/kg}}", 1)
    assert changed != RULES
    return changed


def test_overflowing_limit_fails_validation_where_it_is_written(runner: Runner) -> None:
    text = _limit("1e400")
    line = text.count("\n", 0, text.index("lte: 1e400")) + 1
    folder = _rules(runner, "overflow_rules", text)
    result = runner.run("validate", str(folder))
    _expect(result, 1, "number_out_of_range")
    assert re.search(rf"rules\.yaml:{line}:\d+: number_out_of_range", result.output), result.output
    # and `check` with those rules says the rule file is invalid, never a compile error naming an internal rule
    result = _check(runner, _app(runner, "granted-for-overflow.yaml", GRANTED), "--rules", str(folder))
    _expect(result, 3, "number_out_of_range")
    assert "rules_compile_error" not in result.output


def test_negative_limit_fails_validation(runner: Runner) -> None:
    _expect(runner.run("validate", str(_rules(runner, "negative_rules", _limit("-5")))), 1, "rules_requirement_error")


def test_negative_limit_in_an_overlay_fails_validation(runner: Runner) -> None:
    folder = runner.tmp / "negative_overlay"
    folder.mkdir()
    (folder / "o.yaml").write_text(
        "format: greencert/overlay@1\nid: tests/negative\ntarget: coatings/GB-T-35602-2017\n"
        "source: a test\ncriteria:\n  - id: formaldehyde\n    requirement: {lte: -1, unit: mg/kg}\n",
        encoding="utf-8")
    _expect(runner.run("validate", "--overlay", str(folder)), 1, "rules_requirement_error")


def test_deep_rule_file_and_too_large_rule_file(runner: Runner) -> None:
    _expect(runner.run("validate", str(_rules(runner, "deep_rules", "a: " + "{b: " * 10_000))), 1,
            "document_too_deep")
    folder = runner.tmp / "large_rules"
    folder.mkdir()
    (folder / "r.yaml").write_text("# " + "x" * (3 * 1024 * 1024) + "\n", encoding="utf-8")
    _expect(runner.run("validate", str(folder)), 1, "document_too_large")


def test_empty_folder_is_an_error(runner: Runner) -> None:
    folder = runner.tmp / "empty_folder"
    folder.mkdir()
    result = runner.run("validate", str(folder))
    _expect(result, 1, "no_rule_files")
    assert "no rule files found" in result.output


def test_validate_on_an_application_points_to_check(runner: Runner) -> None:
    result = runner.run("validate", str(_app(runner, "app-to-validate.yaml", GRANTED)))
    _expect(result, 1, "unknown_format")
    assert "greencert check" in result.output and "did you mean" not in result.output


def test_utf16_rule_file_with_a_byte_order_mark_validates(runner: Runner) -> None:
    folder = runner.tmp / "utf16_rules"
    folder.mkdir()
    (folder / "rules.yaml").write_bytes(RULES.encode("utf-16"))
    result = runner.run("validate", str(folder))
    assert result.code == 0, result.output


# ---------------------------------------------------------------------------------------------- usage and faults

@pytest.mark.parametrize(("argv", "message"), [
    ((), "the following arguments are required"),
    (("check",), "the following arguments are required"),
    (("check", "x.yaml", "--as-of", "2026-02-30"), "`2026-02-30` does not exist: February 2026 has 28 days"),
    (("check", "x.yaml", "--as-of", "2026-13-01"), "there is no month 13"),
    (("check", "x.yaml", "--as-of", "tomorrow"), "write YYYY-MM-DD"),
    (("check", "x.yaml", "--no-such-option"), "unrecognized arguments"),
    (("frobnicate",), "invalid choice"),
    (("validate", "--format", "xml"), "invalid choice"),
])
def test_usage_errors_exit_64(runner: Runner, argv: tuple[str, ...], message: str) -> None:
    result = runner.run(*argv)
    _expect(result, 64, "usage_error")
    assert message in result.output


def test_version_and_help(runner: Runner) -> None:
    result = runner.run("--version")
    assert result.code == 0 and re.fullmatch(r"greencert \S+\n", result.stdout), result.output
    result = runner.run("check", "--help")
    assert result.code == 0
    for code, meaning in (("0", "granted"), ("1", "refused"), ("2", "incomplete"), ("3", "invalid"),
                          ("64", "usage error"), ("70", "internal error")):
        assert re.search(rf"^\s+{code}\s+{meaning}", result.stdout, re.MULTILINE), result.stdout


def test_internal_error_is_one_diagnostic_and_exit_70(runner: Runner) -> None:
    app = _app(runner, "fault.yaml", GRANTED)
    result = runner.run("check", str(app), *AS_OF, fault=True)
    _expect(result, 70, "internal_error")
    assert "simulated fault in the loader" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    debug = runner.run("check", str(app), *AS_OF, fault=True, env={"GREENCERT_DEBUG": "1"})
    assert debug.code == 70 and "Traceback" in debug.stderr and "internal_error" in debug.stderr
    flag = runner.run("--debug", "check", str(app), *AS_OF, fault=True)
    assert flag.code == 70 and "Traceback" in flag.stderr


def test_console_script_is_the_same_entry_point() -> None:
    """One real `greencert` process (the others are forked from the runner): usage errors exit 64 there too."""
    exe = Path(sys.executable).with_name("greencert")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "engine.cli"]
    proc = subprocess.run([*command, "check", "x.yaml", "--as-of", "2026-02-30"], capture_output=True, text=True,
                          timeout=120, cwd=PROJECT_ROOT, preexec_fn=_limit_memory, check=False)
    assert proc.returncode == 64 and "does not exist" in proc.stderr and "Traceback" not in proc.stderr


def test_every_case_stayed_fast(runner: Runner) -> None:
    """Not a timing test (the timeout above is the guard): prints the slowest cases, for the record."""
    slowest = sorted(runner.timings, key=lambda t: -t[1])[:5]
    print("slowest cases:", ", ".join(f"{name} {seconds:.2f}s" for name, seconds in slowest))
    assert runner.timings


def test_the_command_line_gives_the_exit_codes_engine_cli_lists() -> None:
    """greencert_cli keeps its own 64 and 70 (a usage error imports no engine module); they are the listed ones."""
    from engine.cli import EXIT_CODES
    from greencert_cli.main import INTERNAL_EXIT, USAGE_EXIT

    assert (USAGE_EXIT, INTERNAL_EXIT) == (EXIT_CODES["usage"], EXIT_CODES["internal"])
