"""The README's code runs as shown and prints what its comment says."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from engine.loader import PROJECT_ROOT


def test_the_bulk_evaluation_example_runs(tmp_path: Path) -> None:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"### Evaluating in bulk\n\n```python\n(.*?)```", readme, re.S)
    assert match, "the README has no bulk evaluation example"
    script = tmp_path / "bulk_example.py"
    script.write_text(match.group(1), encoding="utf-8")
    proc = subprocess.run([sys.executable, str(script)], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    expected = re.search(r"# (granted 100 True True)", match.group(1))
    assert expected and proc.stdout.strip() == expected.group(1), proc.stdout
