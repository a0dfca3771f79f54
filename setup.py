"""The build steps pyproject.toml cannot say: compile the evaluation's hot modules with mypyc; ship the catalogue.

`engine/compiler.py` (its plans become native classes) and `engine/evaluator.py` stay the source of truth and are
installed too; engine/native.py loads the compiled modules only if they were built from those sources as they are
now (the SHA-256s recorded here, in `engine/_evaluator_build.json`). GREENCERT_PURE_PYTHON=1 builds no extension.

When: only when extensions are built, i.e. in the `build_ext` command (which `pip install` runs inside
`editable_wheel` or `bdist_wheel`). Asking for the metadata (the PEP 517 hooks `get_requires_for_build_*` and
`prepare_metadata_for_build_*`, which run `egg_info` and `dist_info`) runs no mypy and compiles nothing: until
`build_ext` runs, the extension list is one placeholder, there so that setuptools knows the package has extensions.

Once: the built extensions are kept in `build/greencert-ext/<key>/`, keyed by the SHA-256 of the sources and of
every other module of engine/ (mypyc compiles against their types), of this file, of the Python ABI and platform,
the compiler settings and the mypy and pydantic versions of the build. A
later install with the same key (the README's second command, or `pip install -e .` again) copies them instead of
running mypyc and the C compiler again; any change to a source makes a new key and so a new build.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import shutil
import sys
import sysconfig
import time
from pathlib import Path
from typing import Any

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
SOURCES = [Path("engine") / "compiler.py", Path("engine") / "evaluator.py"]  # engine/native.py MODULES
RECORD = HERE / "engine" / "_evaluator_build.json"
WORK = HERE / "build" / "mypyc"          # mypyc's mypy config and cache (its C output goes to build/)
CACHE = HERE / "build" / "greencert-ext"  # finished extensions, one folder per build key
KEEP = 3                                  # build keys kept in CACHE (the newest)
PURE = os.environ.get("GREENCERT_PURE_PYTHON") == "1"
SHIPPED = ("catalogs", "rules")           # copied into the package as engine/shipped/<name> (engine.loader finds them)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def source_hashes() -> dict[str, str]:
    return {p.as_posix(): _sha256((HERE / p).read_bytes()) for p in SOURCES}


def build_key(hashes: dict[str, str]) -> tuple[str, dict[str, Any]]:
    """Everything a compiled module depends on besides its source, and the key naming its cached build."""
    from importlib.metadata import version

    import mypy.version

    # the modules they import too (mypyc compiles against their types): any change in engine/ builds again
    package = hashlib.sha256()
    for path in sorted((HERE / "engine").rglob("*.py")):
        package.update(path.relative_to(HERE).as_posix().encode() + b"\0" + _sha256(path.read_bytes()).encode())
    inputs = {"sources": hashes, "engine": package.hexdigest(), "setup.py": _sha256(Path(__file__).read_bytes()),
              "python": sys.implementation.cache_tag, "ext_suffix": sysconfig.get_config_var("EXT_SUFFIX"),
              "platform": sysconfig.get_platform(), "mypy": mypy.version.__version__, "pydantic": version("pydantic"),
              "env": {k: os.environ.get(k, "") for k in ("CC", "CFLAGS", "CPPFLAGS", "LDFLAGS")}}
    return _sha256(json.dumps(inputs, sort_keys=True).encode())[:32], inputs


def cached_build(key: str) -> dict[str, Path] | None:
    """extension name -> its file in the cache, if a complete and intact build of `key` is there."""
    folder = CACHE / key
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        files = {name: (folder / entry["file"], entry["sha256"]) for name, entry in manifest["extensions"].items()}
        if files and all(_sha256(path.read_bytes()) == digest for path, digest in files.values()):
            return {name: path for name, (path, _) in files.items()}
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return None


def store_build(key: str, inputs: dict[str, Any], built: dict[str, Path]) -> None:
    """Keep `built` (extension name -> file) as the build of `key`; only the newest KEEP builds stay."""
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = CACHE / f".tmp-{key}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    extensions = {}
    for name, path in built.items():
        shutil.copyfile(path, tmp / path.name)
        extensions[name] = {"file": path.name, "sha256": _sha256(path.read_bytes())}
    (tmp / "manifest.json").write_text(json.dumps({"extensions": extensions, "inputs": inputs}, indent=2) + "\n",
                                       encoding="utf-8")
    shutil.rmtree(CACHE / key, ignore_errors=True)
    os.replace(tmp, CACHE / key)
    builds = sorted((p for p in CACHE.iterdir() if p.is_dir() and not p.name.startswith(".")),
                    key=lambda p: p.stat().st_mtime, reverse=True)
    for old in builds[KEEP:]:
        shutil.rmtree(old, ignore_errors=True)


def mypyc_extensions() -> list[Extension]:
    """The type check and C generation (a minute or more): mypyc's Extensions, which setuptools then compiles."""
    from mypyc.build import mypycify

    # mypyc's own mypy settings, not pyproject's [tool.mypy]: the build environment has only what the build needs
    # (pydantic, for the models' field types), so the strict checks CI runs with every dependency installed would
    # fail here on imports that resolve to Any; and a fresh cache, so that every build sees the same types
    WORK.mkdir(parents=True, exist_ok=True)
    (WORK / "mypy.ini").write_text("[mypy]\nignore_missing_imports = True\nplugins = pydantic.mypy\n", encoding="utf-8")
    shutil.rmtree(WORK / "cache", ignore_errors=True)
    # separate: one extension per module, each inside the package (a shared library for both would be a
    # top-level module, which an editable install does not put on the path)
    extensions: list[Extension] = mypycify(
        ["--config-file", str(WORK / "mypy.ini"), "--cache-dir", str(WORK / "cache"), *map(str, SOURCES)],
        opt_level="3", separate=True)
    return extensions


class BuildExt(build_ext):
    """Compile the modules with mypyc, or copy a cached build of the same sources; record what was built."""

    def finalize_options(self) -> None:
        # (setuptools re-initialises a command before it finalizes it again: the snapshot is always the latest)
        self._given = {k: copy.deepcopy(v) for k, v in vars(self).items() if k not in ("distribution", "_given")}
        super().finalize_options()

    def run(self) -> None:
        # written again below, once this build's extensions are in place (and in a wheel's tree, where build_py
        # may have copied an earlier one)
        RECORD.unlink(missing_ok=True)
        (Path(self.build_lib) / "engine" / RECORD.name).unlink(missing_ok=True)
        self._cached: dict[str, Path] | None = None
        hashes = source_hashes()
        started = time.monotonic()
        cwd = Path.cwd()
        os.chdir(HERE)
        try:
            key, inputs = build_key(hashes)
            self._cached = cached_build(key)
            if self._cached is not None:
                print(f"greencert: compiled modules for these sources found in {CACHE.relative_to(HERE) / key}, "
                      "not compiling again", file=sys.stderr)
                extensions = [Extension(name, sources=[]) for name in self._cached]
            else:
                print("greencert: compiling engine/compiler.py and engine/evaluator.py with mypyc (a few minutes "
                      "on 2 cores; once per version of the sources)", file=sys.stderr)
                extensions = mypyc_extensions()
        except (Exception, SystemExit) as e:  # noqa: BLE001 - mypyc exits on a type error; the source still runs
            # e.g. a newer pydantic in the build environment whose typing mypy rejects: install without the
            # compiled modules rather than not at all; engine.native.EVALUATOR (and /v1/ready) then say "source",
            # and CI fails on it
            print(f"greencert: not compiled ({type(e).__name__}: {e}); compiler.py and evaluator.py run as source",
                  file=sys.stderr)
            extensions = []
        finally:
            os.chdir(cwd)
        # the placeholder out, the real extensions in: the options as they were before finalize_options, which
        # then makes setuptools' per-extension settings for these
        self.__dict__.update(copy.deepcopy(self._given))
        self.distribution.ext_modules = extensions
        self.ensure_finalized()
        if not extensions:
            return
        if not self.parallel:
            self.parallel = True  # the two modules' C compile at once, one per core
        os.chdir(HERE)
        try:
            super().run()
        finally:
            os.chdir(cwd)
        if self._cached is None:
            store_build(key, inputs, {ext.name: self._built(ext) for ext in self.extensions})
        record = json.dumps({"sources": hashes, "compiler": f"mypyc {inputs['mypy']}"}, indent=2) + "\n"
        RECORD.write_text(record, encoding="utf-8")
        if not self.inplace:  # a wheel: the record goes with the extensions
            (Path(self.build_lib) / "engine").mkdir(parents=True, exist_ok=True)
            (Path(self.build_lib) / "engine" / RECORD.name).write_text(record, encoding="utf-8")
        print(f"greencert: compiled modules in place ({time.monotonic() - started:.0f} s)", file=sys.stderr)

    def _built(self, ext: Extension) -> Path:
        return Path(self.build_lib) / self.get_ext_filename(self.get_ext_fullname(ext.name))

    def build_extension(self, ext: Extension) -> None:
        if self._cached is None:
            super().build_extension(ext)
            return
        target = Path(self.get_ext_fullpath(ext.name))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self._cached[ext.name], target)


class BuildPy(build_py):
    """The shipped catalogue and rule sets go into a built package as engine/shipped/catalogs and .../rules: a
    non-editable install finds them there (engine.loader prefers a checkout's own catalogs/ and rules/, which an
    editable install reads in place, so nothing is copied for one)."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        for name in SHIPPED:
            source = HERE / name
            if not source.is_dir():
                raise SystemExit(f"greencert: `{name}/` is missing from the source tree; a package without the "
                                 "shipped catalogue and rule sets would not work")
            target = Path(self.build_lib) / "engine" / "shipped" / name
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".*"))


if PURE:
    RECORD.unlink(missing_ok=True)
# Until build_ext runs, one placeholder: setuptools must know there are extensions (so that `build` runs build_ext
# and the wheel is tagged for this platform), but which ones is mypyc's answer, asked only when they are built.
setup(ext_modules=[] if PURE else [Extension("engine.compiler", sources=[str(SOURCES[0])])],
      cmdclass={"build_ext": BuildExt, "build_py": BuildPy})
