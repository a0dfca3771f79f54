"""One command for all benchmarks (engine vs peers, scaling, startup, API, memory); writes BENCHMARKS.md and plots."""

# Each part runs in its own process (a clean heap; the engine part pinned to one CPU) and leaves a JSON file;
# this script gathers them with the machine's description, draws the plots and writes BENCHMARKS.md.
#
#   .venv/bin/python benchmarks/run_all.py                         # everything, full size (~25 min)
#   .venv/bin/python benchmarks/run_all.py --size smoke            # everything, small (~3 min)
#   .venv/bin/python benchmarks/run_all.py --parts engine,startup  # some parts (the others are left out)
#   .venv/bin/python benchmarks/run_all.py --wait-quiet 1200       # first wait (up to 20 min) for load < 1.0
#
# Sizes can be set one by one (--engine-n, --api-requests, --soak-n, ...). Needs the `bench` extra
# (zen-engine, rule-engine, matplotlib, py-spy) and, for the PostgreSQL half of the API part, the server named
# by --postgres-url (default: GREENCERT_TEST_POSTGRES_URL, else postgres@127.0.0.1:5432/test).

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent

__all__ = ["PARTS", "SIZES", "main"]

PARTS = ("engine", "scaling", "startup", "api", "memory")
SIZES: dict[str, dict[str, Any]] = {
    "smoke": {"engine_n": 300, "engine_repeat": 2, "pyspy_seconds": 3.0, "scaling_n": 2_000, "parallel_n": 400,
              "pool": 200, "startup_runs": 3, "api_requests": 300, "api_seconds": 15.0, "api_warmup": 64,
              "api_profile_seconds": 4.0, "soak_n": 20_000, "soak_sample": 1_000},
    "full": {"engine_n": 2_000, "engine_repeat": 7, "pyspy_seconds": 10.0, "scaling_n": 40_000, "parallel_n": 4_000,
             "pool": 1_000, "startup_runs": 10, "api_requests": 10_000, "api_seconds": 60.0, "api_warmup": 500,
             "api_profile_seconds": 10.0, "soak_n": 1_000_000, "soak_sample": 10_000},
}
QUIET_LOAD = 1.0
PACKAGES = ("greencert", "durable_rules", "zen-engine", "rule-engine", "pydantic", "jsonschema", "fastjsonschema",
            "pint", "PyYAML", "fastapi", "starlette", "uvicorn", "h11", "SQLAlchemy", "psycopg", "matplotlib", "py-spy")


# ---------------------------------------------------------------------------------------------- running parts

def _python() -> str:
    return sys.executable


def _run_part(name: str, cmd: list[str], json_path: Path, log_dir: Path, timeout: float) -> dict[str, Any]:
    """Run one part, echoing its output; its JSON result (if it wrote one) and how the run went."""
    log = log_dir / f"{name}.log"
    print(f"\n=== {name}: {' '.join(shlex.quote(c) for c in cmd)}", flush=True)
    load_before = os.getloadavg()
    t0 = time.perf_counter()
    with log.open("w", encoding="utf-8") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert proc.stdout is not None
        deadline = time.monotonic() + timeout
        for line in proc.stdout:
            out.write(line)
            print(f"  {line}", end="", flush=True)
            if time.monotonic() > deadline:
                proc.kill()
                break
        code = proc.wait()
    result = json.loads(json_path.read_text(encoding="utf-8")) if json_path.exists() else None
    return {"name": name, "command": cmd, "returncode": code, "seconds": time.perf_counter() - t0,
            "load_before": load_before, "load_after": os.getloadavg(), "result": result,
            "log_tail": log.read_text(encoding="utf-8", errors="replace")[-3000:] if code else ""}


def wait_quiet(limit_s: float, threshold: float = QUIET_LOAD, poll_s: float = 30.0) -> dict[str, Any]:
    """Wait until the 1-minute load average is below `threshold` (at most `limit_s`)."""
    t0 = time.monotonic()
    seen = []
    while True:
        load = os.getloadavg()[0]
        seen.append(round(load, 2))
        if load < threshold:
            return {"quiet": True, "waited_s": time.monotonic() - t0, "load": load}
        if time.monotonic() - t0 >= limit_s:
            return {"quiet": False, "waited_s": time.monotonic() - t0, "load": load, "seen": seen[-20:]}
        print(f"load average {load:.2f} >= {threshold}: waiting ({time.monotonic() - t0:.0f} s so far)", flush=True)
        time.sleep(poll_s)


# ---------------------------------------------------------------------------------------------- the machine

def machine() -> dict[str, Any]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_gb = int(line.split()[1]) / 2 ** 20
    except OSError:
        pass
    os_name = platform.platform()
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = line.split("=", 1)[1].strip('"') + f" (kernel {platform.release()})"
    except OSError:
        pass
    versions = {}
    for pkg in PACKAGES:
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    commit = None
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True,
                               text=True, timeout=30)
        commit = head.stdout.strip() + (" (with uncommitted changes)" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        pass
    return {"cpu": cpu, "cpus": os.cpu_count(), "ram_gb": ram_gb, "os": os_name,
            "python": sys.version.split()[0] + f" ({platform.python_implementation()})", "versions": versions,
            "commit": commit}


# ---------------------------------------------------------------------------------------------- plots

def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(plt: Any, fig: Any, path: Path) -> None:
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


_COLOURS = {"greencert": "#2e7d32", "reference": "#9e9e9e", "zen": "#1565c0", "rule_engine": "#ef6c00",
            "python": "#bdbdbd"}


def _colour(key: str) -> str:
    if key.startswith(("greencert", "durable")):
        return _COLOURS["greencert"]
    if key.startswith("zen"):
        return _COLOURS["zen"]
    return _COLOURS.get(key, "#757575")


def plot_engine(r: dict[str, Any], path: Path) -> None:
    plt = _plt()
    engines = list(r["engines"].items())
    fig, ax = plt.subplots(figsize=(9, 0.42 * len(engines) + 1.6), dpi=100)
    labels = [m["label"].replace("`", "") for _, m in engines]
    values = [m["per_cpu_s"] or 0 for _, m in engines]
    ys = list(range(len(engines)))[::-1]
    ax.barh(ys, values, color=[_colour(k) for k, _ in engines])
    for y, v in zip(ys, values):
        ax.text(v * 1.03, y, f"{v:,.0f}", va="center", fontsize=8)
    ax.set_yticks(ys, labels, fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel("applications per CPU-second, one core (log scale)")
    zen = r.get("zen_fastest_per_cpu_s")
    if zen:
        ax.axvline(zen, color=_COLOURS["zen"], ls="--", lw=1, label=f"ZEN fastest path {zen:,.0f}/s")
        ax.axvline(zen * 1.5, color="red", ls=":", lw=1.2, label=f"target 1.5x ZEN = {zen * 1.5:,.0f}/s")
    ax.axvline(10_000, color="purple", ls=":", lw=1.2, label="target 10,000 full decisions/s")
    ax.set_xlim(min(v for v in values if v) / 2, max(values) * 4)
    ax.legend(fontsize=7, loc="lower right")
    ax.set_title(f"Engine throughput, {r['applications']:,} applications x {r['criteria']} criteria, same verdicts",
                 fontsize=10)
    _save(plt, fig, path)


def plot_registry(reg: dict[str, Any], path: Path) -> None:
    """Impact time against registry size, with evaluate_batch on the same applications beside it."""
    plt = _plt()
    sizes = reg["impact_sizes"]
    xs = [x["registry"] for x in sizes]
    fig, ax = plt.subplots(figsize=(6.4, 3.6), dpi=100)
    ax.plot(xs, [x["impact_s"] for x in sizes], "o-", color=_COLOURS["greencert"],
            label=f"impact ({sizes[0]['workers']} worker processes), wall")
    ax.plot(xs, [x["evaluate_batch_s"] for x in sizes], "s-", color=_COLOURS["reference"],
            label="evaluate_batch (one process), wall")
    if all("impact_cpu_s" in x for x in sizes):
        ax.plot(xs, [x["impact_cpu_s"] for x in sizes], "o:", color=_COLOURS["greencert"], alpha=0.6,
                label="impact, CPU (this process + workers)")
        ax.plot(xs, [x["evaluate_batch_cpu_s"] for x in sizes], "s:", color=_COLOURS["reference"], alpha=0.8,
                label="evaluate_batch, CPU")
    ax.plot(xs, [x["evaluate_batch_s"] * 1.5 for x in sizes], ":", color="red", lw=1, label="target: 1.5x evaluate_batch")
    for x in sizes:
        ax.annotate(f"{x['ratio']:.2f}x", (x["registry"], x["impact_s"]), textcoords="offset points", xytext=(4, 6),
                    fontsize=8)
    ax.set_xticks(xs, [f"{x // 1000}k" for x in xs])
    ax.set_xlabel("certificates in the registry (valid ones re-evaluated)")
    ax.set_ylabel("seconds, all categories")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=7, loc="upper left")
    ax.set_title("Edition impact against registry size (labels: impact / evaluate_batch)", fontsize=10)
    _save(plt, fig, path)


def plot_scaling(r: dict[str, Any], path: Path) -> None:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 3.4), dpi=100)
    groups = [("engine", "engine alone\n(pre-validated, in-process)"),
              ("parallel", "engine.parallel\n(intake + evaluate + pickling)")]
    width = 0.35
    for j, workers in enumerate(("1", "2")):
        xs = [i + (j - 0.5) * width for i in range(len(groups))]
        vals = [r[g][workers]["per_s"] for g, _ in groups]
        ax.bar(xs, vals, width, label=f"{workers} worker{'s' if workers == '2' else ''}",
               color="#81c784" if workers == "1" else "#2e7d32")
        for x, v in zip(xs, vals):
            ax.text(x, v, f"{v:,.0f}", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(range(len(groups)), [g[1] for g in groups], fontsize=8)
    ax.set_ylabel("applications/s (wall)")
    ax.set_title(f"Process scaling on {r['cpus']} CPUs: x{r['engine']['speedup']:.2f} (engine), "
                 f"x{r['parallel']['speedup']:.2f} (engine.parallel)", fontsize=9)
    ax.legend(fontsize=8)
    _save(plt, fig, path)


def plot_startup(r: dict[str, Any], path: Path) -> None:
    plt = _plt()
    s = r["summary"]
    parts = [("import engine", s["import_s"]["median"]), ("load + validate", s["load_validate_s"]["median"]),
             ("compile", s["compile_s"]["median"]),
             ("interpreter start/exit", max(0.0, s["process_wall_s"]["median"] - s["in_process_s"]["median"]))]
    fig, ax = plt.subplots(figsize=(7, 1.9), dpi=100)
    left = 0.0
    colours = ["#90caf9", "#42a5f5", "#1565c0", "#cfd8dc"]
    for (name, v), c in zip(parts, colours):
        ax.barh([0], [v], left=left, color=c, label=f"{name} {v * 1000:.0f} ms")
        left += v
    ax.axvline(1.0, color="red", ls=":", lw=1.2, label="target 1 s")
    ax.set_yticks([])
    ax.set_xlabel("seconds (median of cold runs)")
    ax.set_xlim(0, max(left, 1.0) * 1.1)
    ax.legend(fontsize=7, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.45))
    ax.set_title(f"Startup: {r['rulesets']} rule sets, {r['categories']} categories: {left:.2f} s", fontsize=9)
    _save(plt, fig, path)


def plot_api(r: dict[str, Any], path: Path) -> None:
    plt = _plt()
    runs = r["runs"]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.6), dpi=100)
    names = [f"{x['backend']}\n{x['mode'].replace('_', '-')}" for x in runs]
    rates = [x["per_s"] for x in runs]
    a1.bar(range(len(runs)), rates, color=["#2e7d32" if x["mode"] == "binding" else "#81c784" for x in runs])
    for i, v in enumerate(rates):
        a1.text(i, v, f"{v:,.0f}", ha="center", va="bottom", fontsize=8)
    a1.axhline(500, color="red", ls=":", lw=1.2, label="target 500/s (recorded)")
    a1.set_xticks(range(len(runs)), names, fontsize=8)
    a1.set_ylabel("requests/s")
    a1.set_ylim(0, max(max(rates, default=0), 500) * 1.2)
    a1.legend(fontsize=7)
    a1.set_title(f"Throughput at concurrency {r['concurrency']}", fontsize=9)
    for x in runs:
        sample = x.get("latency_sample_ms") or []
        if sample:
            qs = [k / (len(sample) - 1) for k in range(len(sample))]
            a2.plot(sample, qs, lw=1.3, label=f"{x['backend']} {x['mode'].replace('_', '-')}")
    a2.axvline(100, color="red", ls=":", lw=1.2, label="p99 target 100 ms")
    a2.axhline(0.99, color="grey", ls=":", lw=0.8)
    a2.set_xscale("log")
    a2.set_xlabel("latency (ms, log scale)")
    a2.set_ylabel("share of requests")
    a2.legend(fontsize=7, loc="lower right")
    a2.set_title("Latency distribution", fontsize=9)
    _save(plt, fig, path)


# ---------------------------------------------------------------------------------------------- report

def _rate(v: float | None) -> str:
    return "n/a" if v is None else f"{v:,.0f}"


def _verdict(measured: float, target: float, *, higher_is_better: bool = True, unit: str = "") -> str:
    if higher_is_better:
        if measured >= target:
            return f"**met** ({measured / target:.2f}x the target)"
        return (f"**missed** by {1 - measured / target:.0%} (reaches {measured / target:.2f}x; "
                f"needs {target / measured:.1f}x)")
    if measured < target:
        return f"**met** ({measured:,.1f}{unit} < {target:,.0f}{unit})"
    return f"**missed**: {measured:,.1f}{unit} is {measured / target:.1f}x the limit"


def _bucket_lines(buckets: dict[str, float]) -> list[str]:
    return [f"| {'&nbsp;' * 2 * (len(name) - len(name.lstrip()))}{name.strip()} | {share:.0%} |"
            for name, share in buckets.items()]


def _top(p: dict[str, Any], key: str, n: int) -> list[str]:
    return [f"| `{e['frame']}` | {e['share']:.1%} |" for e in p.get(key, [])[:n]]


def _load_note(part: dict[str, Any]) -> str:
    lb, la = part["load_before"][0], part["load_after"][0]
    quiet = lb < QUIET_LOAD
    return (f"load average {lb:.2f} before, {la:.2f} after" +
            ("" if quiet else " — **measured under load**: other work shared the machine, figures are pessimistic"))


def render(runs: dict[str, dict[str, Any]], info: dict[str, Any], args: argparse.Namespace, plots: dict[str, str]) -> str:
    m = info["machine"]
    out: list[str] = ["# Benchmarks", ""]
    out += [f"Generated by `benchmarks/run_all.py` on {info['date']} ({info['size']} size). Reproduce with:", "",
            "```", info["command"], "```", ""]
    q = info.get("quiet")
    if q is not None:
        out += [("The run started once the machine was quiet " if q["quiet"] else
                 "**The machine never became quiet** ") +
                f"(1-minute load average {q['load']:.2f} after waiting {q['waited_s']:.0f} s; quiet means < "
                f"{QUIET_LOAD}). Each part below gives the load average around it.", ""]
    out += ["## Machine", "",
            f"- CPU: {m['cpu']}, {m['cpus']} cores; RAM {m['ram_gb']:.1f} GiB; {m['os']}" if m["ram_gb"] else
            f"- CPU: {m['cpu']}, {m['cpus']} cores; {m['os']}",
            f"- Python {m['python']}; greencert at commit {m['commit']}",
            "- " + ", ".join(f"{k} {v}" for k, v in m["versions"].items() if v)]
    api = (runs.get("api") or {}).get("result")
    if api and api.get("db_versions"):
        out.append("- databases: " + ", ".join(f"{k}: {v}" for k, v in api["db_versions"].items()))
    out.append("")

    # targets first
    out += ["## Targets", "", "| target | measured | verdict |", "|---|---:|---|"]
    eng = (runs.get("engine") or {}).get("result")
    if eng:
        t = eng["targets"].get("verdicts_vs_zen")
        if t:
            how = f" (`{t['path']}` vs `{t['against']}`)" if t.get("path") else ""
            out.append(f"| same per-criterion verdicts: greencert >= 1.5x ZEN's fastest Python path{how} | "
                       f"{t['measured']:.2f}x | {_verdict(t['measured'], 1.5)} |")
        t = eng["targets"].get("full_decisions")
        if t:
            how = f" (`{t['path']}`)" if t.get("path") else ""
            out.append(f"| full decisions >= 10,000 applications/s, one core{how} | {t['measured']:,.0f}/s | "
                       f"{_verdict(t['measured'], 10_000)} |")
    st = (runs.get("startup") or {}).get("result")
    if st:
        med = st["summary"]["process_wall_s"]["median"]
        out.append(f"| startup < 1 s (whole catalogue, cold process, median) | {med:.2f} s | "
                   f"{_verdict(med, 1.0, higher_is_better=False, unit=' s')} |")
    cli = _cli_startup()
    if cli and "after" in cli:
        hx, ck = cli["after"]["targets"]["help_vs_bare"], cli["after"]["targets"]["check_cpu_s"]
        out.append(f"| `greencert --help` within {hx['target']:.0f}x of `python -c pass` (cold process, wall, median) | "
                   f"{hx['measured']:.1f}x | {_verdict(hx['measured'], hx['target'], higher_is_better=False, unit='x')} |")
        out.append(f"| `greencert check` on an example < {ck['target']:.0f} s of CPU (cold process, median) | "
                   f"{ck['measured']:.2f} s | {_verdict(ck['measured'], ck['target'], higher_is_better=False, unit=' s')} |")
    if api:
        for x in api["runs"]:
            lat = x["latency"]
            label = f"{x['backend']} {x['mode'].replace('_', '-')}"
            if x["mode"] == "binding":
                out.append(f"| API {label}: >= 500 recorded evaluations/s at c={x['concurrency']} | {x['per_s']:,.0f}/s | "
                           f"{_verdict(x['per_s'], 500)} |")
            out.append(f"| API {label}: p99 < 100 ms at c={x['concurrency']} | {lat.get('p99_ms', 0):,.0f} ms | "
                       f"{_verdict(lat.get('p99_ms', 0), 100, higher_is_better=False, unit=' ms')} |")
    mem = (runs.get("memory") or {}).get("result")
    if mem:
        s = mem["summary"]
        out.append(f"| memory flat: < 10% RSS growth after warm-up over {s['evaluations']:,} evaluations | "
                   f"{s['growth_percent']:+.2f}% | {_verdict(s['growth_percent'], 10, higher_is_better=False, unit='%')} |")
    out.append("")

    out += _previous_section(info, runs)
    if eng:
        out += _engine_section(runs["engine"], eng, plots)
    sc = (runs.get("scaling") or {}).get("result")
    if sc or st:
        out += ["## 2. Scaling and startup", ""]
    if sc:
        out += _scaling_section(runs["scaling"], sc, plots)
    if st:
        out += _startup_section(runs["startup"], st, plots)
    if cli:
        out += _cli_startup_section(cli)
    if api:
        out += _api_section(runs["api"], api, plots)
    if mem:
        out += _memory_section(runs["memory"], mem, plots)
    reg = _registry()
    if reg:
        out += _registry_section(reg, plots)
    out += _closing(runs, info)
    failed = [p for p in runs.values() if p["returncode"] not in (0, 1) or p["result"] is None]
    if failed:
        out += ["## Parts that did not complete", ""]
        for p in failed:
            out += [f"- `{p['name']}` exited with {p['returncode']}:", "", "```", p["log_tail"][-1500:], "```", ""]
    return "\n".join(out).rstrip() + "\n"


def previous_summary(saved: dict[str, Any]) -> dict[str, Any]:
    """The figures of a saved run (results.json) that a later run is compared with."""
    info, runs = saved["info"], saved["runs"]
    out: dict[str, Any] = {"date": info["date"], "commit": info["machine"].get("commit"), "figures": {}}
    fig = out["figures"]
    eng = (runs.get("engine") or {}).get("result")
    if eng:
        for key in ("reference", "zen_engine_dict", "python", "durable_criteria", "greencert_full", "greencert_batch"):
            if key in eng["engines"]:
                fig[f"engine.{key}"] = eng["engines"][key]["per_cpu_s"]
    st = (runs.get("startup") or {}).get("result")
    if st:
        fig["startup.median_s"] = st["summary"]["process_wall_s"]["median"]
    api = (runs.get("api") or {}).get("result")
    for x in (api or {}).get("runs", []):
        fig[f"api.{x['backend']}.{x['mode']}.per_s"] = x["per_s"]
        fig[f"api.{x['backend']}.{x['mode']}.cpu_ms"] = x["server_cpu_ms_per_request"]
    return out


_PREVIOUS_ROWS = [
    ("engine.reference", "reference evaluator, apps/s (plain Python; its code is the same in both runs)", True),
    ("engine.zen_engine_dict", "ZEN `evaluate(key, dict)`, apps/s (another library; same workload)", True),
    ("engine.python", "plain Python closures, apps/s (same code in both runs)", True),
    ("engine.greencert_full", "greencert `engine.evaluate`, apps/s", True),
    ("engine.greencert_batch", "greencert `evaluate_each` (bulk), apps/s", True),
    ("engine.durable_criteria", "greencert durable stage, 30 criterion rules, apps/s", True),
    ("startup.median_s", "startup, median seconds", False),
]


def _previous_section(info: dict[str, Any], runs: dict[str, dict[str, Any]]) -> list[str]:
    prev = info.get("previous")
    if not prev:
        return []
    now = previous_summary({"info": info, "runs": runs})["figures"]
    before = prev["figures"]
    out = ["## Compared with the previous full run", "",
           f"The previous run: {prev['date']}, commit {prev.get('commit')}. The first three rows run code that did not "
           "change between the runs, so their ratio is how fast this machine was compared with then; greencert's own "
           "rows are best read against them (and against the reference evaluator in the same run, section 1).", "",
           "| figure | previous run | this run | this / previous |", "|---|---:|---:|---:|"]
    rows = list(_PREVIOUS_ROWS)
    for key in sorted(k for k in now if k.startswith("api.") and k.endswith(".cpu_ms")):
        _, backend, mode, _ = key.split(".")
        rows.append((key, f"API {backend} {mode.replace('_', '-')}: server CPU ms per request", False))
    for key, label, _ in rows:
        a, b = before.get(key), now.get(key)
        if a is None and b is None:
            continue
        fmt = (lambda v: f"{v:,.2f}") if key.endswith(("_s", "_ms")) else (lambda v: f"{v:,.0f}")
        ratio = f"{b / a:.2f}x" if a and b else "n/a"
        out.append(f"| {label} | {fmt(a) if a is not None else 'n/a'} | {fmt(b) if b is not None else 'n/a'} | "
                   f"{ratio} |")
    ref_a, ref_b = before.get("engine.reference"), now.get("engine.reference")
    for key, name in (("engine.greencert_full", "`engine.evaluate`"), ("engine.greencert_batch", "`evaluate_each`")):
        if ref_a and ref_b and before.get(key) and now.get(key):
            out.append(f"| {name} / reference evaluator, same run | {before[key] / ref_a:.2f}x | "
                       f"{now[key] / ref_b:.2f}x | |")
    return out + [""]


def _engine_section(part: dict[str, Any], r: dict[str, Any], plots: dict[str, str]) -> list[str]:
    out = ["## 1. Engine throughput, one core, side by side", ""]
    out += [f"{r['applications']:,} generated applications of the synthetic 30-criterion rule set "
            f"(`benchmarks/workload.py`, seed 1; verdicts: {r['verdicts']['pass']:,} pass, {r['verdicts']['fail']:,} fail, "
            f"{r['verdicts']['no_value']:,} without an admitted value; outcomes: "
            + ", ".join(f"{v} {k}" for k, v in r["outcomes"].items()) + "). One process pinned to CPU "
            f"{r['pinned_cpu']}; every engine runs once per round, {r['repeat']} interleaved rounds, the best round "
            f"counts; rates are per CPU-second of the process (wall-clock next to it). {_load_note(part)}.", ""]
    out += ["Every engine's output on every application of every round is reduced to a per-criterion verdict vector "
            "(pass / fail / no admitted value) and compared with greencert's full decision: "
            + ("**identical on all of them** " if r["all_identical"] else "**MISMATCHES** ")
            + f"({sum(m['verdict_vectors_checked'] for m in r['engines'].values()):,} vectors compared).", ""]
    out += ["| engine | computes | apps/s (CPU) | apps/s (wall) | µs/app | vs ZEN fastest | mismatches |",
            "|---|---|---:|---:|---:|---:|---:|"]
    for m in r["engines"].values():
        vs = f"{m['vs_zen']:.2f}x" if m["vs_zen"] else "n/a"
        out.append(f"| {m['label']} | {m['computes']} | {_rate(m['per_cpu_s'])} | {_rate(m['per_wall_s'])} | "
                   f"{m['us_per_app_cpu']:.1f} | {vs} | {m['mismatches']} |")
    zen = r["zen_fastest_path"]
    info = r.get("info", {})
    ref = r["engines"].get("reference", {}).get("per_cpu_s")
    ours = {k: r["engines"][k]["per_cpu_s"] for k in ("greencert_full", "greencert_batch") if k in r["engines"]}
    if ref and ours:
        out += ["", "Against the in-run baseline, the plain-Python reference evaluator (whose code does not change from "
                "run to run, so it also tells how fast this machine was today): "
                + ", ".join(f"`{k}` {v / ref:.2f}x" for k, v in ours.items())
                + ". Compare these ratios, not absolute rates, across runs: the same machine type has measured "
                "the reference anywhere from ~3,100 to ~7,300 applications/s on different days."]
    src = {k: r["engines"][k + "_source"]["per_cpu_s"] for k in ours if k + "_source" in r["engines"]}
    if info.get("evaluator"):
        out += ["", f"The evaluator that ran: {info['evaluator']} (engine/native.py; `pip install` compiles "
                "engine/compiler.py and engine/evaluator.py with mypyc)."
                + (" The same decisions with compiler.py and evaluator.py run as source, in the same rounds: "
                   + ", ".join(f"`{k}` compiled / source {ours[k] / v:.2f}x" for k, v in src.items()) + "."
                   if src else "")]
    out += ["", f"ZEN's fastest single-call Python path here is `{zen}` ({_rate(r['zen_fastest_per_cpu_s'])}/s); ratios "
            f"are to it. zen-engine {info.get('zen_version')}, rule-engine {info.get('rule_engine_version')}. The "
            "greencert figure for the 1.5x target is the faster of *the 30 criterion rules only* (a durable session per "
            "application) and the same *in bulk* (`fire_many`, 8 applications a session), against ZEN's fastest path "
            "including its own batch call: durable-rules given exactly the values ZEN is given, compiled from the "
            "same criteria; *durable stage alone (compiled rule set)* is the same call inside `engine.evaluate`, "
            "with basic requirements, inspection and grade rules too.", ""]
    if "engine" in plots:
        out += [f"![engine throughput]({plots['engine']})", ""]
    exprs = info.get("zen_expressions") or []
    if exprs:
        out += ["<details><summary>The 30 criteria as given to ZEN (one expression node; rule-engine and the Python "
                "closures get the same conditions)</summary>", "", "```"] + exprs + ["```", "", "</details>", ""]
    spy = r.get("pyspy") or {}
    if spy:
        out += ["### Where the time goes (py-spy, native frames included)", ""]
        titles = {"greencert_full": "greencert `engine.evaluate` (full decision)",
                  "greencert_batch": "greencert `evaluate_each` (full decisions, in bulk)",
                  "durable_criteria": "greencert durable stage, 30 criterion rules",
                  "zen_engine_dict": "ZEN `ZenEngine.evaluate(key, dict)`"}
        for key, p in spy.items():
            if not isinstance(p, dict) or "buckets" not in p:
                continue
            out += [f"**{titles.get(key, key)}** — {p['samples']:,} samples", "", "| cost (inclusive) | share |",
                    "|---|---:|"] + _bucket_lines(p["buckets"]) + [""]
            out += ["| top self time (function) | share |", "|---|---:|"] + _top(p, "self_by_function", 8) + [""]
            if key == "greencert_full":
                out += ["| top self time (line) | share |", "|---|---:|"] + _top(p, "self_by_line", 8) + [""]
    return out


def _scaling_section(part: dict[str, Any], r: dict[str, Any], plots: dict[str, str]) -> list[str]:
    e, p = r["engine"], r["parallel"]
    out = ["### Worker processes", "", f"{_load_note(part)}.", "",
           "| measure | 1 worker | 2 workers | speedup |", "|---|---:|---:|---:|",
           f"| engine alone: spawned processes, pre-validated applications, full decisions | {e['1']['per_s']:,.0f}/s | "
           f"{e['2']['per_s']:,.0f}/s | {e['speedup']:.2f}x |",
           "| `engine.parallel`: intake + evaluate from dicts, decisions pickled back in order | "
           f"{p['1']['per_s']:,.0f}/s | "
           f"{p['2']['per_s']:,.0f}/s | {p['speedup']:.2f}x |", "",
           f"Engine alone: {e['1']['evaluations']:,} evaluations per measure; each worker's CPU share of its wall time "
           f"was {', '.join(f'{x:.0%}' for x in e['2']['cpu_share'])} with 2 workers (below 100% means it waited for "
           f"a core). `engine.parallel`: {p['1']['evaluations']:,} applications.", ""]
    if "scaling" in plots:
        out += [f"![scaling]({plots['scaling']})", ""]
    return out


def _startup_section(part: dict[str, Any], r: dict[str, Any], plots: dict[str, str]) -> list[str]:
    s = r["summary"]
    out = ["### Startup", "", f"{r['runs']} cold processes, each loading, validating and compiling the whole shipped "
           f"catalogue ({r['categories']} categories, {r['rulesets']} rule sets, {r['criteria']} criteria; bytecode and "
           f"file caches warm, as on a restarted server). {_load_note(part)}.", "",
           "| phase | median | min | max |", "|---|---:|---:|---:|"]
    names = {"import_s": "import engine", "load_validate_s": "`Repository.load` (read, validate, type, check)",
             "compile_s": "`compile_all` (durable-rules)", "in_process_s": "all three, in the process",
             "process_wall_s": "**process, spawn to exit**"}
    for k, label in names.items():
        out.append(f"| {label} | {s[k]['median'] * 1000:,.0f} ms | {s[k]['min'] * 1000:,.0f} ms | "
                   f"{s[k]['max'] * 1000:,.0f} ms |")
    out.append("")
    prof = r.get("profile")
    if prof and "buckets" in prof:
        out += [f"One more cold run under py-spy ({prof['samples']:,} samples at 1 kHz):", "",
                "| cost (inclusive) | share |", "|---|---:|"] + _bucket_lines(prof["buckets"]) + [""]
    if "startup" in plots:
        out += [f"![startup]({plots['startup']})", ""]
    return out


def _registry() -> dict[str, Any] | None:
    """`benchmarks/registry.py --json-out benchmarks/registry.json`'s figures (committed next to it), if any."""
    path = BENCH / "registry.json"
    return dict(json.loads(path.read_text(encoding="utf-8"))) if path.exists() else None


def _registry_section(reg: dict[str, Any], plots: dict[str, str] | None = None) -> list[str]:
    """Edition impact against evaluate_batch, and the public endpoints under load, on a generated registry."""
    out = ["## 5. The registry at scale", "",
           f"`benchmarks/registry.py` on a registry made by `scripts/generate_registry.py` "
           f"({reg.get('registry_note', '')}); database `{reg['database']}`, as of {reg['as_of']}. "
           "Measured on the shared 2-core machine, with other work running: the figures are indicative.", ""]
    imp = reg.get("impact")
    if imp:
        cpu = (f" It took {imp['impact_cpu_s']:.1f} CPU-seconds (this process and the workers) against "
               f"{imp['evaluate_batch_cpu_s']:.1f} for `evaluate_batch` (ratio "
               f"{imp['impact_cpu_s'] / imp['evaluate_batch_cpu_s']:.2f}): "
               + ("the steadier figure on a loaded machine, where both sides wait for a core most of the time."
                  if (imp.get("load_average") or [0])[0] > 4 else
                  "the impact does more work (it reads the registry), on two cores.")
               if imp.get("impact_cpu_s") else "")
        runs_note = (f" Each category: impact and `evaluate_batch` in turns, {imp['repeat']} times, the best of each "
                     "kept." if imp.get("repeat") else "")
        load_avg = (f" Load average {imp['load_average'][0]:.1f} before, {imp['load_average'][1]:.1f} after."
                    if imp.get("load_average") else "")
        out += [f"**Edition impact**: {imp['certificates']:,} valid certificates re-evaluated under each category's "
                f"newest edition in {imp['impact_s']:.1f} s with {imp['workers']} worker processes (started once, "
                f"{imp.get('pool_start_s', 0):.1f} s, not counted), against {imp['evaluate_batch_s']:.1f} s for "
                f"`evaluate_batch` on the same applications in this process: **ratio {imp['ratio']:.2f}** (target "
                "1.5, " + ("met in this run" if imp["ratio"] <= 1.5 else "**not met**") + ")." + cpu + " The impact time "
                "includes reading the registry: this process lists the category's certificate numbers, each worker "
                "reads the logs and applications of its slices of 250 (JSON decoded by orjson), keeps those valid on "
                "the day, runs intake and `evaluate_batch` and classifies, and only the verdicts come back. Intake of a "
                "stored application skips only the check of what a database can hold (`data_diagnostics`, passed "
                "when it was stored; schema, model, references and unit are checked again). The `evaluate_batch` "
                "side starts from applications already in memory and runs the full intake of a submitted one." + runs_note +
                load_avg + " Every certificate of the generated registry keeps its label (its application is the "
                "shipped example granted under the example overlays), so this measures the cost, not a realistic "
                "mix of outcomes.", "",
                "| category | certificates | impact | evaluate_batch | ratio | impact CPU | evaluate_batch CPU |",
                "|---|---:|---:|---:|---:|---:|---:|"]
        for r in imp["categories"]:
            out.append(f"| {r['category']} | {r['certificates']:,} | {r['impact_s']:.2f} s | "
                       f"{r['evaluate_batch_s']:.2f} s | {r['ratio']:.2f} | "
                       + (f"{r['impact_cpu_s']:.2f} s | {r['evaluate_batch_cpu_s']:.2f} s |" if "impact_cpu_s" in r
                          else "– | – |"))
        out.append("")
    pg = reg.get("impact_postgres")
    if pg:
        out += [f"On PostgreSQL (10,000 certificates, {pg['certificates']:,} valid): impact {pg['impact_s']:.1f} s "
                f"against {pg['evaluate_batch_s']:.1f} s for `evaluate_batch`, ratio {pg['ratio']:.2f} (CPU "
                f"{pg.get('impact_cpu_s', 0):.1f} s against {pg.get('evaluate_batch_cpu_s', 0):.1f} s; load average "
                f"{(pg.get('load_average') or [0, 0])[0]:.1f} before).", ""]
    sizes = reg.get("impact_sizes")
    if sizes:
        out += ["**Impact against registry size** (the same generator and seed, 10k, 20k and 40k certificates; all "
                "categories; the same method as above):", "",
                "| registry | valid certificates | impact | evaluate_batch | ratio | impact CPU | evaluate_batch CPU "
                "| load average |", "|---:|---:|---:|---:|---:|---:|---:|---|"]
        for x in sizes:
            la = x.get("load_average") or [0, 0]
            out.append(f"| {x['registry']:,} | {x['certificates']:,} | {x['impact_s']:.1f} s | "
                       f"{x['evaluate_batch_s']:.1f} s | {x['ratio']:.2f} | {x.get('impact_cpu_s', 0):.1f} s | "
                       f"{x.get('evaluate_batch_cpu_s', 0):.1f} s | {la[0]:.1f} → {la[1]:.1f} |")
        out.append("")
        if plots and "registry" in plots:
            out += [f"![impact against registry size]({plots['registry']})", ""]
    load = reg.get("load")
    if load and all("server" in r for r in load):
        out += _registry_load(load, reg)
    elif load:
        out += ["**Public endpoints** (`greencert serve`, one worker; the load generator — httpx, a closed loop of C "
                "clients — runs on the same machine and takes CPU from the server):", "",
                "| endpoint | backend | registry | concurrency | requests | requests/s | p50 | p99 |",
                "|---|---|---:|---:|---:|---:|---:|---:|"]
        for r in load:
            out.append(f"| {r['endpoint']} | {r['backend']} | {r['registry']:,} | {r['concurrency']} | "
                       f"{r['requests']:,} | {r['rps']:,.0f} | {r['p50_ms']:.0f} ms | {r['p99_ms']:.0f} ms |")
        out += ["", "Target for verification: ≥ 2,000 requests/s, p99 < 50 ms — **not met**.", ""]
    return out


def _registry_load(load: list[dict[str, Any]], reg: dict[str, Any]) -> list[str]:
    """The public endpoints of this checkout and, in the same run, of the one compared with (`server`
    "compare": main before the read model), each beside /v1/health on the same server."""
    first = load[0]
    out = [f"**Public endpoints** (`greencert serve --workers {first['server_workers']}`; load from "
           f"`{first.get('tool', 'httpx')}` at concurrency {first['concurrency']} on the same 2-core machine — its "
           "own CPU share is the `client CPU` column; `of health` is requests/s over /v1/health's on the same "
           "server in the same run, the figure to compare across runs on this shared machine; `compare` is "
           f"{reg.get('compare_note', 'the checkout compared with')}, served the same way in the same run):", "",
           "| backend | server | endpoint | registry | requests/s | of health | p50 | p99 | non-2xx | client CPU |",
           "|---|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in load:
        of_health = f"{r['of_health']:.2f}" if r.get("of_health") is not None else "–"
        timed_out = re.search(r"timeout (\d+)", r.get("socket_errors") or "")
        late = f" (+{timed_out.group(1)} over wrk's 2 s timeout)" if timed_out and timed_out.group(1) != "0" else ""
        out.append(f"| {r['backend']} | {r['server']} | {r['endpoint']} | {r['registry']:,} | {r['rps']:,.0f} | "
                   f"{of_health} | {r['p50_ms']:.1f} ms | {r['p99_ms']:.1f} ms | {r.get('non_2xx', 0)}{late} | "
                   f"{r.get('client_cpu_share', 0):.0%} |")
    out.append("")
    for backend in sorted({r["backend"] for r in load}):
        rows = {(r["server"], r["endpoint"]): r for r in load if r["backend"] == backend}
        v = rows.get(("this", "verification"))
        if v is None:
            continue
        met = v["rps"] >= 2000 and v["p99_ms"] < 50
        line = (f"Verification on {backend}: {v['rps']:,.0f} requests/s, p99 {v['p99_ms']:.1f} ms — target "
                f"(≥ 2,000 requests/s, p99 < 50 ms) **{'met' if met else 'not met'}** in this run")
        old = rows.get(("compare", "verification"))
        if old is not None and old.get("of_health") and v.get("of_health"):
            line += (f"; {v['rps'] / old['rps']:.1f}x the compared server's requests/s, "
                     f"{v['of_health'] / old['of_health']:.1f}x once each is divided by its own /v1/health")
        out.append(line + ".")
        out.append("")
    return out


def _cli_startup() -> dict[str, Any] | None:
    """`benchmarks/startup.py --cli --record before|after`'s figures (committed next to it), if any."""
    path = BENCH / "startup_cli.json"
    return dict(json.loads(path.read_text(encoding="utf-8"))) if path.exists() else None


def _cli_startup_section(cli: dict[str, Any]) -> list[str]:
    """The commands as a user runs them, before and after issue 19's start-up work, each next to `python -c pass`
    measured in the same run."""
    kept = [k for k in ("before", "after") if k in cli]
    out = ["### The command line, as a user runs it", "",
           "`benchmarks/startup.py --cli`: each command a new process started from the shell's point of view (the "
           "console script `greencert`, in the checkout), several runs in turns, medians; CPU is the process's user + "
           "system time; `x` is the ratio to `python -c pass` measured in the same run. Run with "
           "GREENCERT_PURE_PYTHON=1 (the sources, not the mypyc build) and a warm units cache.", ""]
    for k in kept:
        r = cli[k]
        lb, la = r["load_before"][0], r["load_after"][0]
        note = f"load average {lb:.2f} before, {la:.2f} after" + (" — **measured under load**" if lb >= QUIET_LOAD else "")
        out.append(f"- **{k}**: {r.get('note') or ''} ({r['runs']} runs per command; {note})")
    out += ["", "| command | " + " | ".join(f"{k}: wall | {k}: CPU" for k in kept) + " |",
            "|---|" + "---:|---:|" * len(kept)]
    for name in cli[kept[0]]["commands"]:
        cells = []
        for k in kept:
            c = cli[k]["commands"].get(name)
            cells += ([f"{c['wall_s'] * 1000:,.0f} ms ({c['wall_x']:.1f}x)",
                       f"{c['cpu_s'] * 1000:,.0f} ms ({c['cpu_x']:.1f}x)"] if c else ["—", "—"])
        out.append(f"| `{name}` | " + " | ".join(cells) + " |")
    out.append("")
    return out


def _api_section(part: dict[str, Any], r: dict[str, Any], plots: dict[str, str]) -> list[str]:
    out = ["## 3. API under load", "",
           f"`greencert serve` with {r['workers']} worker processes (uvicorn, uvloop, httptools) on 127.0.0.1, a "
           "fresh database per backend, the "
           f"synthetic workload's rule set; {r['pool']} distinct applications (mean body {r['body_bytes_mean']:,.0f} "
           f"bytes) sent in turn. The load generator (`benchmarks/api_load.py`) is another process: a closed loop of "
           f"{r['concurrency']} clients on keep-alive connections, a minimal asyncio HTTP/1.1 client so that it takes "
           "little of the two cores; each run is bounded in requests and seconds after an uncounted warm-up. Every "
           "response's outcome is checked against the engine's local decision, and the database must hold one record "
           "per acknowledged binding evaluation and no self-check.", "",
           "| backend | mode | requests | req/s | p50 | p95 | p99 | max | server CPU/req | server cores busy | "
           "client CPU/req | response bytes | errors | wrong outcome | records check | connections per worker | "
           "load before → after |",
           "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|"]
    for x in r["runs"]:
        lat = x["latency"]
        out.append(
            f"| {x['backend']} | {x['mode'].replace('_', '-')} | {x['ok']:,} | {x['per_s']:,.0f} | "
            f"{lat.get('p50_ms', 0):.1f} ms | "
            f"{lat.get('p95_ms', 0):.1f} ms | {lat.get('p99_ms', 0):.1f} ms | {lat.get('max_ms', 0):.0f} ms | "
            f"{x['server_cpu_ms_per_request']:.2f} ms | {x['server_cores_busy']:.2f} | "
            f"{x['client_cpu_ms_per_request']:.2f} ms | "
            f"{x.get('response_bytes_mean', 0):,.0f} | {sum(x['errors'].values()) if x['errors'] else 0} | "
            f"{x['wrong_outcome']} | "
            f"{'ok' if x['records_match'] else 'MISMATCH'} | "
            f"{' / '.join(map(str, x.get('connections_per_worker') or [])) or 'n/a'} | "
            f"{x['load_before'][0]:.2f} → {x['load_after'][0]:.2f} |")
    out += ["", "*Connections per worker*: how the kernel spread the client connections over the workers, each "
            "listening on its own `SO_REUSEPORT` socket (`api/serving.py`; sampled 1 s into the run). The worker "
            "holding more connections answers its clients later: an uneven split shows in p95/p99. "
            "*FastAPI dependencies* includes the key lookup, which is one of them.", ""]
    if "api" in plots:
        out += [f"![api]({plots['api']})", ""]
    profiled = [x for x in r["runs"] if isinstance(x.get("profile"), dict) and "buckets" in x["profile"]]
    if profiled:
        out += ["### Where the server's time goes (py-spy on both workers, an extra uncounted phase)", "",
                "Shares of non-waiting samples over all threads of the two workers (a thread waiting for the GIL "
                "counts where it waits).", "", "| cost (inclusive) | " + " | ".join(
                    f"{x['backend']} {x['mode'].replace('_', '-')}" for x in profiled) + " |",
                "|---|" + "---:|" * len(profiled)]
        for bucket in profiled[0]["profile"]["buckets"]:
            shares = [f"{x['profile']['buckets'].get(bucket, 0):.0%}" for x in profiled]
            out.append(f"| {bucket} | " + " | ".join(shares) + " |")
        out += ["", f"Top self time, {profiled[0]['backend']} {profiled[0]['mode']}:", "", "| function | share |",
                "|---|---:|"]
        out += _top(profiled[0]["profile"], "self_by_function", 10) + [""]
    return out


def _memory_section(part: dict[str, Any], r: dict[str, Any], plots: dict[str, str]) -> list[str]:
    s = r["summary"]
    out = ["## 4. Memory over a long run", "",
           f"`{r['command']}`: {s['evaluations']:,} full decisions in one process (pre-validated applications of the "
           f"workload, cycled), resident set size sampled every {r['rows'][0]['evaluations'] if r['rows'] else '?'} "
           f"evaluations. {_load_note(part)}.", "",
           f"RSS {s['rss_mb_start']} MB at start, {s['rss_mb_warm']} MB after the warm-up (first 10%), "
           f"{s['rss_mb_end']} MB at the end: **{s['growth_percent']:+.2f}%** after warm-up; {s['seconds']:,} s, "
           f"{s['apps_per_s']:,} evaluations/s; outcome mismatches {s['mismatches']}; durable rule sets alive "
           f"afterwards {s['live_rulesets']}.", ""]
    if "memory" in plots:
        out += [f"![memory]({plots['memory']})", ""]
    return out


def _closing(runs: dict[str, dict[str, Any]], info: dict[str, Any]) -> list[str]:
    """What limits each missed target, from the measurements above, and what would fix it."""
    notes: list[str] = []
    before = (info.get("previous") or {}).get("figures", {})
    now = previous_summary({"info": info, "runs": runs})["figures"] if before else {}
    same_code = [now[k] / before[k] for k in ("engine.reference", "engine.python") if before.get(k) and now.get(k)]
    machine: list[str] = []  # the machine's speed against the previous run, when it differed clearly
    slower, faster = bool(same_code) and max(same_code) < 0.8, bool(same_code) and min(same_code) > 1.25
    if slower or faster:
        line = (f"- **This machine was {'slower' if slower else 'faster'} than in the previous run**: code that did "
                f"not change between the runs ran at {min(same_code):.2f}-{max(same_code):.2f}x its speed then (see "
                "*Compared with the previous full run*). Targets that depend on absolute speed (throughput, latency, "
                f"startup) read {'worse' if slower else 'better'} for that alone; "
                + ("compare greencert against the in-run baselines." if slower else
                   "greencert's own progress is its ratio to the in-run reference evaluator."))
        ref_before, ref_now = before.get("engine.reference"), now.get("engine.reference")
        bulk_now = now.get("engine.greencert_batch")
        if faster and ref_before and ref_now and bulk_now:
            line += (f" At the previous run's speed (reference {_rate(ref_before)}/s), `evaluate_each`'s in-run ratio "
                     f"of {bulk_now / ref_now:.2f}x would give about {_rate(bulk_now / ref_now * ref_before)}/s: the "
                     f"10,000/s target holds on a day when the reference runs at {_rate(10_000 / (bulk_now / ref_now))}/s "
                     "or more.")
        machine.append(line)
    eng = (runs.get("engine") or {}).get("result")
    if eng:
        spy = eng.get("pyspy") or {}
        full = eng["targets"].get("full_decisions")
        if full and not full["met"]:
            b = spy.get("greencert_full", {}).get("buckets", {})
            one = eng["engines"].get("greencert_full", {}).get("per_cpu_s")
            bulk = eng["engines"].get("greencert_batch", {}).get("per_cpu_s")
            ref = eng["engines"].get("reference", {}).get("per_cpu_s")
            notes.append(
                f"- **Full decisions** ({full['measured']:,.0f}/s, needs {10_000 / full['measured']:.1f}x). "
                f"`engine.evaluate` runs at {_rate(one)}/s and `evaluate_each` at {_rate(bulk)}/s; the plain-Python "
                f"reference, which builds no explanation, at {_rate(ref)}/s. In `engine.evaluate` the durable stage "
                f"is {b.get('durable-rules stage (`DurableRuleSet.fire`)', 0):.0%}; the rest is the interpreter "
                "building the decision: admission "
                f"{b.get('applicability and evidence admission (`_admission`)', 0):.0%}, verdicts, labels and outcome "
                f"{b.get('verdicts, labels, outcome (`_decide`)', 0):.0%}, of which the records' constructors "
                f"{b.get('decision records constructed (dataclass `__init__`)', 0):.0%} (about 1 µs for each "
                "criterion's record and measured value). No single line dominates any more (see the top lines "
                "above). Done so far: compiler.py and evaluator.py compiled with mypyc at install (see the compiled / "
                "source ratio "
                "above), several applications per durable session in `evaluate_each`/`evaluate_batch`, "
                "the garbage collector paused while a list of decisions is built, applicability memoized per "
                "product, report references "
                "built once per report, margins planned at compile time, a cheaper fact encoder. Measured and not "
                "shipped: one durable session kept alive with facts retracted instead of a session per evaluation "
                "(C calls ~55 -> ~40 µs here, but a long-lived session is the state durable-rules' hazards are about); "
                "mypyc on decision.py's records too (no gain over the evaluator alone); an inline fast path for the "
                "commonest criterion, without the per-criterion dispatch and call (+2%: so generating per-rule-set "
                "code would gain little). What would "
                "reach the target is a change of representation: decisions as compact per-criterion arrays whose "
                "records are built only when read (bulk screening), or admission and verdicts out of Python (a C or "
                "Rust extension).")
        vz = eng["targets"].get("verdicts_vs_zen")
        if vz and not vz["met"]:
            b = spy.get("durable_criteria", {}).get("buckets", {})
            notes.append(
                f"- **Same verdicts vs ZEN** ({vz['measured']:.2f}x, needs 1.5x: {1.5 / vz['measured']:.2f}x more). "
                "In greencert's durable stage, "
                f"{b.get('facts encoded to JSON text in Python (`encode`)', 0):.0%} of the time is Python encoding the "
                "facts as JSON text (durable-rules reads only text) and "
                f"{b.get('durable C calls (assert, match, drain, delete session)', 0):.0%} is durable-rules' C, of which "
                f"{b.get('  of which session state created/deleted (`createStateNode`/`deleteStateNode`)', 0):.0%} "
                "is allocating and freeing a session per evaluation (the session is deleted after every evaluation "
                "to stay clear of durable-rules' session-count and id-collision hazards, see engine/durable_core.py). "
                "ZEN converts the Python dict in Rust and evaluates precompiled expressions. The encoder checks "
                "types with C-level maps and writes with orjson; `fire_many` puts 8 applications' facts in one "
                "session, which roughly halves the C calls per application (the bulk row above). What remains is "
                "durable-rules' own work per fact (parse the JSON text, walk the alpha network, queue and drain "
                "the fired rules).")
    st = (runs.get("startup") or {}).get("result")
    if st and not st["met"]:
        b = (st.get("profile") or {}).get("buckets", {})
        notes.append(
            f"- **Startup** ({st['summary']['process_wall_s']['median']:.2f} s). Importing the engine takes "
            f"{st['summary']['import_s']['median'] * 1000:.0f} ms (pint and its unit registry "
            f"{b.get('  pint imported and its unit registry built (`engine.units`)', 0):.0%} of the run, pydantic "
            f"models {b.get('  pydantic models built (`engine.models`, `engine.application`)', 0):.0%}); loading "
            f"takes {st['summary']['load_validate_s']['median'] * 1000:.0f} ms, mostly PyYAML's pure-Python composer "
            f"({b.get('  YAML parsed with locations (PyYAML, pure-Python composer)', 0):.0%}) and jsonschema "
            f"({b.get('  JSON Schema validation (jsonschema)', 0):.0%}). Proposed: compose with libyaml "
            "(`yaml.CSafeLoader` keeps node marks, so locations survive), validate rule files with generated "
            "validators (fastjsonschema, as intake already does) and fall back to jsonschema only to locate errors, "
            "build pint's registry from its on-disk cache (`cache_folder`) or lazily on first conversion. Note that "
            "pint imports numpy when it is installed (the `bench` extra brings it): measure startup without it too.")
    api = (runs.get("api") or {}).get("result")
    if api:
        missed = [x for x in api["runs"] if not (x["met"]["rate"] or x["mode"] != "binding") or not x["met"]["p99"]]
        if missed:
            prof = next((x["profile"] for x in api["runs"] if isinstance(x.get("profile"), dict)
                         and "buckets" in x["profile"]), None)
            worst = min(x["per_s"] for x in api["runs"] if x["mode"] == "binding") if any(
                x["mode"] == "binding" for x in api["runs"]) else None
            cpu = [x["server_cpu_ms_per_request"] for x in api["runs"]]
            line = ("- **API** (" + (f"binding as low as {worst:,.0f}/s; " if worst else "") +
                    f"server CPU {min(cpu):.1f}–{max(cpu):.1f} ms per request on 2 cores, so at most "
                    f"~{2000 / min(cpu):,.0f} requests/s even with nothing else running; the engine's decision is "
                    "well under 1 ms of that).")
            if prof:
                top = sorted(prof["buckets"].items(), key=lambda kv: -kv[1])[:5]
                line += " The server profile's largest costs: " + "; ".join(f"{k.strip()} {v:.0%}" for k, v in top) + "."
            line += (" Already done in this run's code (see the commit log): group commit, a file lock queueing "
                     "SQLite writers, submissions decided on the event loop, responses encoded once, generated "
                     "`to_dict`, key lookup without the ORM (autocommit on PostgreSQL), uvloop/httptools, "
                     "workers on their own SO_REUSEPORT sockets. Proposed next: write the JSON "
                     "columns in the request thread (the writer thread's Python work competes for the GIL with "
                     "the event loop), batch the durable stage of concurrent requests, a third worker process "
                     "only where a core is free (the load generator shares these two), and for PostgreSQL a "
                     "prepared statement for the key lookup.")
            notes.append(line)
    mem = (runs.get("memory") or {}).get("result")
    if mem and not mem["summary"]["ok"]:
        notes.append(f"- **Memory** grew {mem['summary']['growth_percent']:+.2f}% after warm-up: see the plot.")
    if not notes and not machine:
        return []
    if not notes:  # every target met
        return ["## Closing note", ""] + machine + [""]
    return ["## Closing note: what missed, what limits it, what would fix it", ""] + machine + notes + [""]


# ---------------------------------------------------------------------------------------------- main

def _draw(runs: dict[str, dict[str, Any]], plots_dir: Path, out: Path) -> dict[str, str]:
    plots: dict[str, str] = {}
    rel = os.path.relpath(plots_dir, out.parent)
    drawers = {"engine": (plot_engine, "engine_throughput.png"), "scaling": (plot_scaling, "scaling.png"),
               "startup": (plot_startup, "startup.png"), "api": (plot_api, "api.png")}
    for part, (draw, name) in drawers.items():
        result = (runs.get(part) or {}).get("result")
        if result:
            try:
                draw(result, plots_dir / name)
                plots[part] = f"{rel}/{name}"
            except Exception as e:  # noqa: BLE001 - a plot must not lose the figures
                print(f"plot {name} failed: {type(e).__name__}: {e}", file=sys.stderr)
    if (runs.get("memory") or {}).get("result") and (plots_dir / "memory_soak.png").exists():
        plots["memory"] = f"{rel}/memory_soak.png"
    reg = _registry()  # committed figures (benchmarks/registry.json), drawn on every render
    if reg and reg.get("impact_sizes"):
        try:
            plot_registry(reg, plots_dir / "registry_impact.png")
            plots["registry"] = f"{rel}/registry_impact.png"
        except Exception as e:  # noqa: BLE001 - a plot must not lose the figures
            print(f"plot registry_impact.png failed: {type(e).__name__}: {e}", file=sys.stderr)
    return plots


def rerender(args: argparse.Namespace) -> int:
    saved = json.loads(args.from_results.read_text(encoding="utf-8"))
    info, runs = saved["info"], saved["runs"]
    api = (runs.get("api") or {}).get("result")
    if api:
        sys.path.insert(0, str(BENCH))
        import api_load
        import profiling

        for x in api["runs"]:
            prof = x.get("profile")
            if isinstance(prof, dict) and prof.get("raw") and Path(prof["raw"]).exists():
                prof["buckets"] = profiling.shares(Path(prof["raw"]), api_load.BUCKETS)
    plots = _draw(runs, args.plots_dir, args.out)
    args.out.write_text(render(runs, info, args, plots), encoding="utf-8")
    args.from_results.write_text(json.dumps(saved, indent=1, default=str), encoding="utf-8")
    print(f"rendered {args.out} again from {args.from_results}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", choices=list(SIZES), default="full")
    parser.add_argument("--parts", default=",".join(PARTS), help=f"comma-separated subset of {', '.join(PARTS)}")
    for key, value in SIZES["full"].items():
        parser.add_argument(f"--{key.replace('_', '-')}", type=type(value), default=None,
                            help=f"(full: {value}, smoke: {SIZES['smoke'][key]})")
    parser.add_argument("--api-concurrency", type=int, default=32)
    parser.add_argument("--api-workers", type=int, default=2)
    parser.add_argument("--api-backends", default="sqlite,postgres")
    parser.add_argument("--postgres-url", default=os.environ.get("GREENCERT_TEST_POSTGRES_URL",
                                                                "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--no-profile", action="store_true", help="skip the py-spy profiles")
    parser.add_argument("--wait-quiet", type=float, default=0.0,
                        help=f"first wait up to this many seconds for a load average below {QUIET_LOAD}")
    parser.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md")
    parser.add_argument("--plots-dir", type=Path, default=BENCH / "plots")
    parser.add_argument("--results", type=Path, default=None,
                        help="also write every figure as JSON here (default: results.json in the plots folder)")
    parser.add_argument("--from-results", type=Path, default=None,
                        help="measure nothing: render BENCHMARKS.md and the plots again from a results.json "
                             "(the API profile shares are recomputed from py-spy's raw files where they still exist)")
    args = parser.parse_args(argv)
    if args.from_results is not None:
        return rerender(args)
    size = {k: (getattr(args, k) if getattr(args, k) is not None else v) for k, v in SIZES[args.size].items()}
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    unknown = [p for p in parts if p not in PARTS]
    if unknown:
        parser.error(f"unknown part(s): {', '.join(unknown)}")
    args.plots_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="greencert-bench-"))
    info: dict[str, Any] = {"date": dt.datetime.now().astimezone().isoformat(timespec="seconds"), "size": args.size,
                            "parts": parts, "command": ".venv/bin/python benchmarks/run_all.py " + " ".join(
                                shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:])),
                            "sizes": size, "machine": machine()}
    results_path = args.results or args.plots_dir / "results.json"
    if results_path.exists():  # the run this one replaces: its key figures, to compare with (machine speed too)
        try:
            info["previous"] = previous_summary(json.loads(results_path.read_text(encoding="utf-8")))
        except (ValueError, KeyError, TypeError) as e:
            print(f"previous results not readable ({type(e).__name__}: {e}): no comparison", file=sys.stderr)
    if args.wait_quiet > 0:
        info["quiet"] = wait_quiet(args.wait_quiet)
    py = _python()
    profile = not args.no_profile
    runs: dict[str, dict[str, Any]] = {}
    for part in parts:
        out = work / f"{part}.json"
        if part == "engine":
            cmd = [py, str(BENCH / "peers" / "compare.py"), "--n", str(size["engine_n"]), "--repeat",
                   str(size["engine_repeat"]), "--json-out", str(out), "--pyspy-dir", str(work)]
            if profile:
                cmd += ["--pyspy-seconds", str(size["pyspy_seconds"])]
        elif part == "scaling":
            cmd = [py, str(BENCH / "scaling.py"), "--n", str(size["scaling_n"]), "--parallel-n", str(size["parallel_n"]),
                   "--pool", str(size["pool"]), "--json-out", str(out)]
        elif part == "startup":
            cmd = [py, str(BENCH / "startup.py"), "--runs", str(size["startup_runs"]), "--json-out", str(out)]
            if profile:
                cmd += ["--profile", str(work / "pyspy-startup.txt")]
        elif part == "api":
            cmd = [py, str(BENCH / "api_load.py"), "--backends", args.api_backends, "--concurrency",
                   str(args.api_concurrency), "--requests", str(size["api_requests"]), "--seconds",
                   str(size["api_seconds"]), "--warmup", str(size["api_warmup"]), "--workers", str(args.api_workers),
                   "--postgres-url", args.postgres_url, "--out-dir", str(work), "--json-out", str(out)]
            if profile:
                cmd += ["--profile-seconds", str(size["api_profile_seconds"])]
        else:
            cmd = [py, str(BENCH / "memory_soak_plot.py"), "--n", str(size["soak_n"]), "--sample",
                   str(size["soak_sample"]), "--out-dir", str(args.plots_dir), "--json-out", str(out)]
        runs[part] = _run_part(part, cmd, out, work, timeout=4 * 3600)

    plots = _draw(runs, args.plots_dir, args.out)
    args.out.write_text(render(runs, info, args, plots), encoding="utf-8")
    slim = {k: {**v, "log_tail": v["log_tail"][-500:]} for k, v in runs.items()}
    results_path.write_text(json.dumps({"info": info, "runs": slim}, indent=1, default=str), encoding="utf-8")
    print(f"\nwrote {args.out} and {len(plots)} plot(s) in {args.plots_dir}; raw profiles in {work}")
    return 0 if all(p["returncode"] == 0 for p in runs.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
