"""The one build step pyproject.toml cannot say: compile the evaluation's hot modules with mypyc.

`engine/compiler.py` (its plans become native classes) and `engine/evaluator.py` stay the source of truth and are
installed too; engine/native.py loads the compiled modules only if they were built from those sources as they are
now (the SHA-256s recorded here, in `engine/_evaluator_build.json`). GREENCERT_PURE_PYTHON=1 builds no extension.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from pathlib import Path

from setuptools import setup

HERE = Path(__file__).resolve().parent
SOURCES = [Path("engine") / "compiler.py", Path("engine") / "evaluator.py"]  # engine/native.py MODULES
RECORD = HERE / "engine" / "_evaluator_build.json"

ext_modules = []
if os.environ.get("GREENCERT_PURE_PYTHON") == "1":
    RECORD.unlink(missing_ok=True)
else:
    import mypy.version
    from mypyc.build import mypycify

    os.chdir(HERE)
    # mypyc's own mypy settings, not pyproject's [tool.mypy]: the build environment has only what the build needs
    # (pydantic, for the models' field types), so the strict checks CI runs with every dependency installed would
    # fail here on imports that resolve to Any; and a fresh cache, so that every build sees the same types
    work = HERE / "build" / "mypyc"
    work.mkdir(parents=True, exist_ok=True)
    (work / "mypy.ini").write_text("[mypy]\nignore_missing_imports = True\nplugins = pydantic.mypy\n", encoding="utf-8")
    shutil.rmtree(work / "cache", ignore_errors=True)
    try:
        # separate: one extension per module, each inside the package (a shared library for both would be a
        # top-level module, which an editable install does not put on the path)
        ext_modules = mypycify(["--config-file", str(work / "mypy.ini"), "--cache-dir", str(work / "cache"),
                                *map(str, SOURCES)], opt_level="3", separate=True)
    except (Exception, SystemExit) as e:  # noqa: BLE001 - mypyc exits on a type error; the source still runs
        # e.g. a newer pydantic in the build environment whose typing mypy rejects: install without the
        # compiled modules rather than not at all; engine.native.EVALUATOR (and /v1/ready) then say "source",
        # and CI fails on it
        print(f"greencert: not compiled ({type(e).__name__}: {e}); compiler.py and evaluator.py run as source",
              file=sys.stderr)
        RECORD.unlink(missing_ok=True)
        ext_modules = []
if ext_modules:
    RECORD.write_text(json.dumps({
        "sources": {p.as_posix(): hashlib.sha256((HERE / p).read_bytes()).hexdigest() for p in SOURCES},
        "compiler": f"mypyc {mypy.version.__version__}",
    }, indent=2) + "\n", encoding="utf-8")

setup(ext_modules=ext_modules)
