"""The broken rule-file corpus (tests/support/broken_rules/): its cases and what each one's `# expect:` header
announces (tests/engine/test_broken_rules.py, tests/cli/test_validate_cli.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "broken_rules"
_EXPECT = re.compile(r"^#\s*expect:(.*)$")
_TOKEN = re.compile(r"^(?P<code>[a-z][a-z0-9_]*)@(?P<line>\d+)(?::(?P<column>\d+))?$")


@dataclass(frozen=True, order=True)
class Expected:
    file: str  # relative to the corpus
    code: str
    line: int
    column: int | None


def case_paths() -> list[Path]:
    """One case per top-level YAML file, and one per sub-folder (cases that need several files)."""
    return sorted(p for p in CORPUS.iterdir()
                  if not p.name.startswith(".") and (p.is_dir() or p.suffix in (".yaml", ".yml")))


def case_files(case: Path) -> list[Path]:
    return sorted(q for q in case.rglob("*") if q.suffix in (".yaml", ".yml")) if case.is_dir() else [case]


def expectations(case: Path) -> list[Expected]:
    out: list[Expected] = []
    for f in case_files(case):
        headers = 0
        # bytes, not text: the encoding case is deliberately not UTF-8 below its header
        for line in f.read_bytes().decode("utf-8", errors="replace").splitlines():
            m = _EXPECT.match(line.strip())
            if not m:
                continue
            headers += 1
            for token in m.group(1).split():
                t = _TOKEN.match(token)
                assert t, f"{f}: bad expectation `{token}` (write code@line or code@line:column)"
                out.append(Expected(str(f.relative_to(CORPUS)), t["code"], int(t["line"]),
                                    int(t["column"]) if t["column"] else None))
        assert headers, f"{f} has no `# expect:` line"
    return sorted(out)
