"""Run the RSS soak (benchmarks/soak.py, sequential mode) and keep its samples as CSV, JSON and a PNG plot."""

# soak.py does the evaluations and samples its own resident set size every --sample evaluations; this script
# runs it as a child process, reads the table it prints (evaluations, elapsed s, apps/s, RSS MB) and its JSON
# summary (last line), and plots RSS against evaluations with the warm-up boundary and the 10% growth limit.
# Run: .venv/bin/python benchmarks/memory_soak_plot.py [--n 1000000] [--sample 10000] [--out-dir benchmarks/plots]

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent

__all__ = ["run", "plot", "main"]


def run(n: int, sample: int, pool: int, warmup: float = 0.1) -> dict[str, Any]:
    cmd = [sys.executable, str(BENCH / "soak.py"), "--n", str(n), "--sample", str(sample), "--pool", str(pool),
           "--warmup", str(warmup)]
    load_before = os.getloadavg()
    w0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=BENCH.parent, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    rows: list[dict[str, float]] = []
    summary: dict[str, Any] | None = None
    assert proc.stdout is not None
    for line in proc.stdout:
        parts = line.split()
        if len(parts) == 4 and all(_number(p) for p in parts):
            rows.append({"evaluations": int(parts[0]), "elapsed_s": float(parts[1]), "apps_per_s": float(parts[2]),
                         "rss_mb": float(parts[3])})
        elif line.startswith("{"):
            summary = json.loads(line)
    stderr = proc.stderr.read() if proc.stderr is not None else ""
    code = proc.wait()
    if summary is None:
        raise RuntimeError(f"soak.py printed no summary (exit {code}): {stderr[-2000:]}")
    return {"command": " ".join(["benchmarks/soak.py", *cmd[2:]]), "exit_code": code, "rows": rows,
            "summary": summary, "wall_s": time.perf_counter() - w0, "warmup": warmup, "load_before": load_before,
            "load_after": os.getloadavg()}


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def write_csv(result: dict[str, Any], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=["evaluations", "elapsed_s", "apps_per_s", "rss_mb"])
        w.writeheader()
        w.writerows(result["rows"])


def plot(result: dict[str, Any], path: Path, title_note: str = "") -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = result["rows"]
    s = result["summary"]
    xs = [r["evaluations"] for r in rows]
    ys = [r["rss_mb"] for r in rows]
    fig, ax = plt.subplots(figsize=(8, 4), dpi=100)
    ax.plot([0, *xs], [s["rss_mb_start"], *ys], lw=1.5, label="RSS (MB)")
    warm_x = result["warmup"] * s["evaluations"]
    ax.axvline(warm_x, color="grey", ls=":", lw=1, label="end of warm-up")
    ax.axhline(s["rss_mb_warm"] * 1.10, color="red", ls="--", lw=1, label="+10% of warm RSS (limit)")
    ax.set_xlabel("evaluations")
    ax.set_ylabel("resident set size (MB)")
    ax.set_ylim(0, max(max(ys, default=0), s["rss_mb_warm"] * 1.10) * 1.15)
    ax.set_title(f"RSS over {s['evaluations']:,} evaluations: {s['growth_percent']:+.2f}% after warm-up{title_note}",
                 fontsize=10)
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v / 1e6:g}M" if v >= 1e6 else
                                                                  f"{v / 1e3:g}k"))
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=10_000)
    parser.add_argument("--pool", type=int, default=2_000)
    parser.add_argument("--out-dir", type=Path, default=BENCH / "plots")
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args(argv)
    r = run(args.n, args.sample, args.pool)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    write_csv(r, args.out_dir / "memory_soak.csv")
    plot(r, args.out_dir / "memory_soak.png")
    if args.json_out:
        args.json_out.write_text(json.dumps(r, indent=2), encoding="utf-8")
    s = r["summary"]
    print(f"{s['evaluations']:,} evaluations in {s['seconds']} s; RSS {s['rss_mb_start']} -> {s['rss_mb_warm']} (warm) -> "
          f"{s['rss_mb_end']} MB, growth {s['growth_percent']:+.2f}%; ok={s['ok']}")
    return 0 if s["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
