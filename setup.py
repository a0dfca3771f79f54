"""The one build step pyproject.toml cannot say: compile the evaluator's hot path with mypyc.

`engine/evaluator.py` stays the source of truth and is installed too; engine/native.py loads the compiled
module only if it was built from that source as it is now (the SHA-256 recorded here, in
`engine/_evaluator_build.json`). GREENCERT_PURE_PYTHON=1 builds no extension.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from setuptools import setup

HERE = Path(__file__).resolve().parent
SOURCE = Path("engine") / "evaluator.py"
RECORD = HERE / "engine" / "_evaluator_build.json"

ext_modules = []
if os.environ.get("GREENCERT_PURE_PYTHON") == "1":
    RECORD.unlink(missing_ok=True)
else:
    import mypy.version
    from mypyc.build import mypycify

    os.chdir(HERE)  # mypyc reads [tool.mypy] from pyproject.toml here
    ext_modules = mypycify([str(SOURCE)], opt_level="3")
    RECORD.write_text(json.dumps({
        "source": SOURCE.as_posix(),
        "source_sha256": hashlib.sha256((HERE / SOURCE).read_bytes()).hexdigest(),
        "compiler": f"mypyc {mypy.version.__version__}",
    }, indent=2) + "\n", encoding="utf-8")

setup(ext_modules=ext_modules)
