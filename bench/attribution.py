"""Attribution benchmark: path building, every heuristic, Markov of order 1-3 and Shapley on 1, 10 and
50 million simulated touchpoints, beside ChannelAttribution (markov_model, heuristic_models) and
marketing-attribution-models (mam) on the same distinct paths, with each step's peak memory.

Run: `.venv/bin/python bench/attribution.py [--sizes 1e6,1e7,5e7] [--timeout 300]`.

Every measured step runs in its own Python process, which loads its inputs from Parquet (not timed),
times the call, and reports its own peak RSS (`getrusage(RUSAGE_SELF)`; it includes the inputs held in
memory). A step over `--timeout` seconds is killed and shown as "over N s". Journeys come from
`forecourt.marketing.attribution.simulation`, generated in chunks of a million visitors so generation
itself stays small; conversions are test-drive bookings. The reference packages take grouped journeys
(one row per distinct path with its conversion and null counts), which our `path_counts` builds: that
step is shown once and not counted in their time. A size whose estimated peak does not fit in the
memory available is skipped and said so.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))

from forecourt.marketing.attribution.aggregate import path_counts, run_model
from forecourt.marketing.attribution.paths import (
    build_non_converting_paths,
    build_paths,
)
from forecourt.marketing.attribution.simulation import simulate

START = date(2026, 1, 1)
DAYS = 90
LOOKBACK = timedelta(days=DAYS + 1)  # the whole period: no journey is cut short
TOUCHES_PER_VISITOR = 1.78  # the simulator's default world
CHUNK_VISITORS = 1_000_000
HEURISTICS = ("first_touch", "last_touch", "last_non_direct", "linear", "time_decay", "position_based")
BYTES_PER_TOUCHPOINT_GUESS = 300  # until a size has been measured (267 B at 10M touchpoints)


# --- steps (each runs in a child process: `attribution.py --step NAME --data DIR`) --------------


def _generate(data: Path, touchpoints: int, seed: int) -> dict[str, float]:
    visitors = max(1, round(touchpoints / TOUCHES_PER_VISITOR))
    touches, conversions = [], []
    for chunk, first in enumerate(range(0, visitors, CHUNK_VISITORS)):
        sim = simulate(seed + chunk, min(CHUNK_VISITORS, visitors - first), START, DAYS)
        prefix = pl.concat_str(pl.lit(f"c{chunk}-"), pl.col("visitor_id")).alias("visitor_id")
        touches.append(sim.touchpoints.with_columns(prefix))
        conversions.append(
            sim.conversions.filter(pl.col("type") == "test_drive_booked").with_columns(
                prefix, pl.concat_str(pl.lit(f"c{chunk}-"), pl.col("conversion_id")).alias("conversion_id")
            )
        )
        end = sim.end
    touch_frame = pl.concat(touches)
    touch_frame.write_parquet(data / "touchpoints.parquet")
    pl.concat(conversions).write_parquet(data / "conversions.parquet")
    (data / "end.txt").write_text(end.isoformat())
    return {"touchpoints": float(touch_frame.height), "conversions": float(sum(c.height for c in conversions))}


def _timed(fn: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def _paths(data: Path, converting: bool) -> dict[str, float]:
    """Paths of the conversions, or of the journeys that did not convert (the input Markov needs)."""
    touches = pl.read_parquet(data / "touchpoints.parquet")
    conversions = pl.read_parquet(data / "conversions.parquet")
    if converting:
        seconds, paths = _timed(lambda: build_paths(touches, conversions, lookback=LOOKBACK))
        paths.write_parquet(data / "paths.parquet")
        return {"seconds": seconds, "rows": float(paths.height)}
    end = datetime.fromisoformat((data / "end.txt").read_text())
    seconds, nulls = _timed(lambda: build_non_converting_paths(touches, conversions, end=end, lookback=LOOKBACK))
    nulls.write_parquet(data / "nulls.parquet")
    return {"seconds": seconds, "rows": float(nulls.height)}


def _grouped(data: Path) -> dict[str, float]:
    paths, nulls = pl.read_parquet(data / "paths.parquet"), pl.read_parquet(data / "nulls.parquet")
    seconds, counts = _timed(lambda: path_counts(paths, nulls))
    pl.DataFrame(
        {
            "path": [">".join(p) for p in counts.paths],
            "conv": [int(c) for c in counts.conversions],
            "null": [int(n) for n in counts.nulls],
        }
    ).write_parquet(data / "grouped.parquet")
    return {"path_counts": seconds, "distinct_paths": float(len(counts.paths))}


def _ours(data: Path, model: str, order: int) -> dict[str, float]:
    paths = pl.read_parquet(data / "paths.parquet")
    nulls = pl.read_parquet(data / "nulls.parquet") if model == "markov" else None
    seconds, _ = _timed(lambda: run_model(paths, nulls, model, order=order))
    return {"seconds": seconds}


def _grouped_pandas(data: Path):
    import pandas as pd

    grouped = pl.read_parquet(data / "grouped.parquet")
    return pd.DataFrame({name: grouped[name].to_list() for name in grouped.columns})


def _ca_heuristics(data: Path) -> dict[str, float]:
    import ChannelAttribution as ca

    grouped = _grouped_pandas(data)
    converting = grouped[grouped.conv > 0]
    seconds, _ = _timed(lambda: ca.heuristic_models(converting, "path", "conv", sep=">", flg_pro=False))
    return {"seconds": seconds}


def _ca_markov(data: Path) -> dict[str, float]:
    import ChannelAttribution as ca

    grouped = _grouped_pandas(data)
    seconds, _ = _timed(
        lambda: ca.markov_model(
            grouped, "path", "conv", var_null="null", order=1, ncore=2, verbose=False, flg_pro=False
        )
    )
    return {"seconds": seconds}


def _mam(data: Path, run: str) -> dict[str, float]:
    import mam

    grouped = pl.read_parquet(data / "grouped.parquet").with_columns(pl.col("path").str.replace_all(">", " > "))
    journeys = pl.concat(
        [
            grouped.filter(pl.col("conv") > 0).select(
                "path", pl.lit(True).alias("converted"), pl.col("conv").alias("n")
            ),
            grouped.filter(pl.col("null") > 0).select(
                "path", pl.lit(False).alias("converted"), pl.col("null").alias("n")
            ),
        ]
    )
    if run == "run_last_click":  # heuristics credit conversions only
        journeys = journeys.filter(pl.col("converted"))

    def attribute() -> object:
        model = mam.MAM(
            journeys,
            format_type="grouped_journey",
            channels_colname="path",
            journey_with_conv_colname="converted",
            occurrences_colname="n",
        )
        return getattr(model, run)()

    seconds, _ = _timed(attribute)
    return {"seconds": seconds}


def _run_step(step: str, data: Path, touchpoints: int, seed: int) -> dict[str, float]:
    if step == "generate":
        return _generate(data, touchpoints, seed)
    if step in ("paths", "nulls"):
        return _paths(data, converting=step == "paths")
    if step == "grouped":
        return _grouped(data)
    if step.startswith("ours:"):
        _, model, order = step.split(":")
        return _ours(data, model, int(order))
    if step == "ca_heuristics":
        return _ca_heuristics(data)
    if step == "ca_markov":
        return _ca_markov(data)
    if step.startswith("mam:"):
        return _mam(data, step.split(":")[1])
    raise ValueError(f"unknown step {step!r}")


# --- the parent: runs the steps, prints the tables ------------------------------------------------


def _child(step: str, data: Path, touchpoints: int, seed: int, timeout: float) -> dict[str, float] | None:
    """The step's report (timings, counts and peak RSS in MiB), or None after `timeout` seconds."""
    command = [
        sys.executable,
        __file__,
        "--step",
        step,
        "--data",
        str(data),
        "--touchpoints",
        str(touchpoints),
        "--seed",
        str(seed),
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return None
    if done.returncode != 0:
        print(f"step {step} failed:\n{done.stderr[-2000:]}", file=sys.stderr)
        return {"failed": 1.0}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _available_bytes() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) * 1024
    return 0


def _cell(report: dict[str, float] | None, key: str, timeout: float) -> tuple[str, str]:
    if report is None:
        return f"over {timeout:.0f} s", "-"
    if "failed" in report:
        return "failed", "-"
    return f"{report[key]:.2f}", f"{report['peak_mib']:,.0f}"


def _steps() -> list[tuple[str, str, str, str]]:
    """(implementation, what, step, key in the step's report)."""
    ours = [
        ("forecourt", "build_paths (conversions)", "paths", "seconds"),
        ("forecourt", "build_non_converting_paths", "nulls", "seconds"),
        ("forecourt", "path_counts (distinct paths)", "grouped", "path_counts"),
    ]
    ours += [("forecourt", model, f"ours:{model}:1", "seconds") for model in HEURISTICS]
    ours += [("forecourt", f"markov order {k}", f"ours:markov:{k}", "seconds") for k in (1, 2, 3)]
    ours += [("forecourt", "shapley", "ours:shapley:1", "seconds")]
    return ours + [
        ("ChannelAttribution", "heuristic_models (first, last, linear)", "ca_heuristics", "seconds"),
        ("ChannelAttribution", "markov_model order 1 (simulated, ncore=2)", "ca_markov", "seconds"),
        ("mam", "run_markov (order 1)", "mam:run_markov", "seconds"),
        ("mam", "run_last_click", "mam:run_last_click", "seconds"),
    ]


_NEEDS_NULLS = ("grouped", "ours:markov", "ca_", "mam:")  # Markov and the grouped journeys need them


def bench_size(touchpoints: int, seed: int, timeout: float) -> tuple[str, list[list[str]], float]:
    """A line on the data, the table rows for one size, and the measured peak bytes per touchpoint."""
    with tempfile.TemporaryDirectory(prefix="forecourt-bench-") as folder:
        data = Path(folder)
        generated = _child("generate", data, touchpoints, seed, timeout=max(timeout, 3_600))
        if generated is None or "failed" in generated:
            return "simulation failed or ran over an hour", [], BYTES_PER_TOUCHPOINT_GUESS
        rows = [["forecourt", "simulate (setup, chunks of 1M visitors)", *_cell(generated, "seconds", timeout)]]
        reports: dict[str, dict[str, float] | None] = {}
        for implementation, what, step, key in _steps():
            nulls = reports.get("nulls", {})
            if step.startswith(_NEEDS_NULLS) and (nulls is None or "failed" in nulls):
                rows.append([implementation, what, "not run: no non-converting paths", "-"])
                continue
            if step not in reports:
                reports[step] = _child(step, data, touchpoints, seed, timeout)
                print(f"  {touchpoints:,} {step}: {reports[step]}", file=sys.stderr)
            rows.append([implementation, what, *_cell(reports[step], key, timeout)])
        about = f"{generated['touchpoints']:,.0f} touchpoints, {generated['conversions']:,.0f} test drives"
        if reports.get("nulls") and "rows" in reports["nulls"]:
            about += f", {reports['nulls']['rows']:,.0f} non-converting paths"
        if reports.get("grouped") and "distinct_paths" in reports["grouped"]:
            about += f", {reports['grouped']['distinct_paths']:,.0f} distinct paths"
        peak = max((r["peak_mib"] for r in [generated, *reports.values()] if r and "peak_mib" in r), default=0.0)
        return about, rows, max(peak * 2**20 / touchpoints, 1.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1e6,1e7,5e7", help="touchpoints per run, comma-separated")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds allowed per measured step")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--step", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--touchpoints", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        started = time.perf_counter()
        report = _run_step(args.step, Path(args.data), args.touchpoints, args.seed)
        report.setdefault("seconds", time.perf_counter() - started)
        report["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(report))
        return
    from _common import print_table

    bytes_per_touchpoint = BYTES_PER_TOUCHPOINT_GUESS
    for size in (int(float(s)) for s in args.sizes.split(",")):
        needed, available = size * bytes_per_touchpoint, _available_bytes()
        if needed > 0.8 * available:
            print(
                f"\n{size:,} touchpoints: skipped, an estimated {needed / 2**30:.1f} GiB peak does not fit in "
                f"the {available / 2**30:.1f} GiB available\n"
            )
            continue
        about, rows, bytes_per_touchpoint = bench_size(size, args.seed, args.timeout)
        if not rows:
            print(f"\n{size:,} touchpoints: {about}\n")
            continue
        print(
            f"\nAttribution of test-drive bookings: {about} (wall seconds; peak RSS of the step's process in "
            f"MiB, inputs included)\n"
        )
        print_table(["implementation", "step", "seconds", "peak MiB"], rows)
        sys.stdout.flush()


if __name__ == "__main__":
    main()
