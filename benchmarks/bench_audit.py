"""End-to-end speed and memory of `fba-audit run`, against a plain polars read of the same files.

    python benchmarks/bench_audit.py --skus 5000 15000 50000 --months 12 --repeat 3
    python benchmarks/bench_audit.py --skus 5000 --months 6 --discrepancy-rate 0.025 --repeat 3 --old ../main/src

For each size it simulates a seller account (kept in benchmarks/.data/ between runs), then measures, each in a
fresh process so that peak memory is its own:
  plain: polars.read_csv of every report file from its path (text columns, no parsing; a file that is not UTF-8
         decoded first) and polars.read_json of the API files
  audit: `fba-audit run` (load, validate, de-duplicate, ten detectors, workbook + JSON + CSV)
and prints wall time, CPU time, rows per second, peak RSS, the ratios audit/plain, and the input size on disk.
With `--repeat N` the two alternate N times and each figure is the median, with the range of the N
measurements beside the times and the ratio (the ratio of each pair, plain then run): on this shared VM the plain
read of the 50,000-SKU account moved between 20.5 and 24.8 s within one hour, so one pair can be 0.15 off.
Every file is read through once before the two are measured, so that both find it in the page cache: on this
machine a read from disk took a 50,000-SKU plain read from 20 s to 33 s, and flattered the ratio of the run after it.
The figures in docs/performance.md were taken this way.

`--discrepancy-rate` simulates a high-finding account (`fba-audit simulate --discrepancy-rate`). `--old SRC` also
runs `fba-audit run` from another source tree (e.g. the main branch's `src`) in every pair, after the plain read and
before the new run: old and new alternate on the same files, and the table gets a row for each. Peak memory and CPU
time count the run's own processes too (the workbook is written in a process of its own): the peak is the run's
plus its largest child's, an upper bound, as the two do not peak at the same moment.
"""

from __future__ import annotations

import argparse
import csv
import importlib
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
import zipfile
from pathlib import Path

DATA = Path(__file__).parent / ".data"
AS_OF = "2026-11-22"


def child(mode: str, folder: str, out: str) -> None:
    import resource

    if mode == "run":  # as `fba-audit run` does, before polars is imported
        from fba_audit._memory import configure_allocator, reports_size

        assert configure_allocator(reports_size(Path(folder)))
    importlib.import_module("polars")  # before the clock starts, in both modes

    before = resource.getrusage(resource.RUSAGE_SELF)
    before_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    rows = 0
    phases: dict[str, float] = {}
    if mode == "plain":
        for path in sorted(Path(folder).iterdir()):
            rows += plain_read(path)
    else:
        from typer.testing import CliRunner

        from fba_audit.cli import app

        _time_phases(phases)
        # A cold audit: no claim ledger (bench_ledger.py measures it) and, where the version has one, no parse cache
        # (bench_cache.py measures the warm run); otherwise every run after the first would read its own cache.
        args = ["run", folder, "--out", out, "--as-of", AS_OF, "--no-ledger"]
        if importlib.util.find_spec("fba_audit.reports.cache") is not None:
            args.append("--no-cache")
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output[-3000:]
        document = json.loads((Path(out) / "findings.json").read_text(encoding="utf-8"))
        rows = sum(f["rows_read"] for f in document["files"])
    seconds = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # the workbook's process, once it has ended
    cpu = (usage.ru_utime + usage.ru_stime - before.ru_utime - before.ru_stime
           + children.ru_utime + children.ru_stime - before_children.ru_utime - before_children.ru_stime)
    print(json.dumps({"mode": mode, "rows": rows, "seconds": seconds, "cpu_seconds": cpu,
                      "peak_bytes": (usage.ru_maxrss + children.ru_maxrss) * 1024, "phases": phases}))


def plain_read(path: Path) -> int:
    """Read one file as plainly as polars can, every column as text; the rows read (0 for JSON)."""
    import polars as pl

    if path.suffix == ".json":
        pl.read_json(path)  # twice as fast as json.loads on the 153 MB getShipmentItems.json of 50,000 SKUs
        return 0
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            return sum(pl.read_csv(archive.read(name), separator="\t", infer_schema=False, quote_char=None).height
                       for name in archive.namelist())
    separator = "," if path.suffix == ".csv" else "\t"
    options = dict(separator=separator, infer_schema=False, quote_char='"' if separator == "," else None,
                   truncate_ragged_lines=True, skip_lines=_preamble_lines(path, separator))
    try:
        return pl.read_csv(path, **options).height
    except pl.exceptions.ComputeError:  # polars reads UTF-8 only: a Windows-1252 report needs decoding
        return pl.read_csv(path.read_bytes().decode("cp1252").encode("utf-8"), **options).height


def _preamble_lines(path: Path, separator: str) -> int:
    """Lines before the header: a Date Range report's preamble has fewer fields than its header, and read as the
    header it would cut every row to its width (truncate_ragged_lines)."""
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        head = [row for _, row in zip(range(20), csv.reader(handle, delimiter=separator))]
    widths = [len(row) for row in head]
    return widths.index(max(widths)) if widths else 0


def _time_phases(phases: dict[str, float]) -> None:
    """Wall time of loading, of the detectors and of writing, added up into `phases` during the run."""
    import fba_audit.api
    import fba_audit.writers

    def timed(owner, name: str, phase: str) -> None:
        function = getattr(owner, name)

        def wrapper(*args, **kwargs):
            begin = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                phases[phase] = phases.get(phase, 0.0) + time.perf_counter() - begin

        setattr(owner, name, wrapper)

    timed(fba_audit.api, "load_folder", "load")
    # Wall time: the detectors run two at a time, and the workbook's detector sheets are written meanwhile.
    timed(fba_audit.api, "run_detectors", "detectors")
    timed(fba_audit.writers.Outputs, "finish", "write")  # the rest of the workbook, the JSON and the CSV


def account(skus: int, months: int, seed: int, rate: float | None = None) -> Path:
    """The simulated account's folder in benchmarks/.data/, simulated first when missing."""
    folder = DATA / (f"account_{skus}_{months}_{seed}" + (f"_r{rate}" if rate is not None else ""))
    if not folder.exists():
        # In its own process: a child forked from a parent that grew to the simulator's size would report
        # that size as its own peak (Linux carries the high-water mark of resident memory over fork and exec).
        knob = ["--discrepancy-rate", str(rate)] if rate is not None else []
        subprocess.run([sys.executable, "-m", "fba_audit", "simulate", str(folder), "--skus", str(skus),
                        "--months", str(months), "--seed", str(seed), *knob], check=True, stdout=subprocess.DEVNULL)
    return folder


def _read_through(folder: Path) -> None:
    """Read every file once, so that both measurements start with it in the page cache."""
    for path in folder.iterdir():
        with path.open("rb") as handle:
            while handle.read(16 * 1024**2):
                pass


def measure(mode: str, folder: Path, out: Path, source: str | None = None) -> dict:
    """One measurement in a fresh process; `source`: import fba_audit from that folder instead (`--old`)."""
    env = {**os.environ, "PYTHONPATH": source} if source else None
    result = subprocess.run([sys.executable, __file__, "--child", mode, str(folder), str(out)], check=True,
                            capture_output=True, text=True, env=env)
    return json.loads(result.stdout.strip().splitlines()[-1])


def _spread(values: list[float], unit: str, digits: int = 1) -> str:
    """` (20.5-24.8 s)`: the range of repeated measurements, empty for one."""
    if len(values) < 2:
        return ""
    return f" ({min(values):.{digits}f}-{max(values):.{digits}f}{unit})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skus", type=int, nargs="+", default=[5000, 15000, 50000])
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=1, help="alternate plain and run N times; print medians")
    parser.add_argument("--discrepancy-rate", type=float, help="simulate a high-finding account (findings per "
                                                               "order item, e.g. 0.025)")
    parser.add_argument("--old", help="also run fba-audit from this source folder (e.g. ../main/src), in turn")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    print("| SKUs x months | files on disk | rows read | plain read | fba-audit run | run/plain (wall) | "
          "run/plain (cpu) | rows/s (run) | peak plain | peak run | peak run / disk |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    from fba_audit.simulate import TRUTH_FILE  # here, not at the top: the child imports polars after configuring it

    for skus in args.skus:
        folder = account(skus, args.months, args.seed, args.discrepancy_rate)
        disk = sum(p.stat().st_size for p in folder.iterdir() if p.name != TRUTH_FILE)
        _read_through(folder)
        label = f"{skus:,} x {args.months}" + (f", {args.discrepancy_rate} findings/item" if args.discrepancy_rate
                                                else "")
        versions = [("old", args.old), ("new", None)] if args.old else [("", None)]
        pairs = []
        for _ in range(args.repeat):
            plain = measure("plain", folder, DATA / "out")
            pairs.append((plain, {name: measure("run", folder, DATA / "out", source) for name, source in versions}))
        plain = {key: statistics.median([p[key] for p, _ in pairs]) for key in ("seconds", "cpu_seconds", "peak_bytes")}
        for name, _ in versions:
            runs = [(p, r[name]) for p, r in pairs]
            run = {key: statistics.median([r[key] for _, r in runs]) for key in ("seconds", "cpu_seconds", "peak_bytes")}
            run["rows"] = runs[0][1]["rows"]
            ratio = statistics.median([r["seconds"] / p["seconds"] for p, r in runs])
            print(f"| {label}{' ' + name if name else ''} | {disk / 1e6:,.0f} MB | {run['rows']:,} | "
                  f"{plain['seconds']:.1f} s{_spread([p['seconds'] for p, _ in runs], ' s')} | "
                  f"{run['seconds']:.1f} s{_spread([r['seconds'] for _, r in runs], ' s')} | "
                  f"{ratio:.2f}x{_spread([r['seconds'] / p['seconds'] for p, r in runs], 'x', 2)} | "
                  f"{run['cpu_seconds'] / plain['cpu_seconds']:.2f}x | {run['rows'] / run['seconds']:,.0f} | "
                  f"{plain['peak_bytes'] / 1e6:,.0f} MB | {run['peak_bytes'] / 1e6:,.0f} MB | "
                  f"{run['peak_bytes'] / disk:.2f} |", flush=True)
            phases = {phase: statistics.median([r["phases"][phase] for _, r in runs]) for phase in runs[0][1]["phases"]}
            split = ", ".join(f"{phase} {seconds:.1f} s" for phase, seconds in phases.items())
            print(f"<!-- {label}{' ' + name if name else ''}, run: {split} -->", flush=True)


if __name__ == "__main__":
    main()
