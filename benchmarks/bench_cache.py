"""The monthly re-run with the parse cache: a year of downloads read before, plus the new month's files.

    python benchmarks/bench_cache.py --skus 15000 --repeat 3

Takes the simulated account of bench_audit.py (benchmarks/.data/account_<skus>_<months>_<seed>) and splits its
files into last month's folder and this month's new files: a settlement, Date Range or SKU Economics file whose
dates lie within the last 62 days and end within the last 35 days of the account is new. With `--whole-new`, the
downloads that cover the whole period (ledger, orders, returns, reimbursements, inbound shipments, products) are
new as well, as for a seller who downloads them again for the whole year every month.

The folder benchmarks/.data/cache_<...>/reports first holds last month's files only (hard links), `fba-audit run`
fills a cache from it, the new files are added, and the cache is kept as it was. Then, alternating, each in a
fresh process so that peak memory is its own (medians of the pairs, the range beside):
  plain:  bench_audit.plain_read of every file (the yardstick)
  cold:   `fba-audit run --no-cache`
  write:  `fba-audit run` with an empty cache (the first run with the cache on: it parses and stores every file)
  warm:   `fba-audit run` with a copy of last month's cache (what the seller's monthly run does)
  rehash: as warm, without the remembered file hashes (every file hashed again)
  hot:    `fba-audit run` with the cache of the same folder (nothing new)
printing each one's wall time, its load phase (`load_folder`), both as ratios of the plain read, and peak memory.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench_audit import AS_OF, DATA, _read_through, _time_phases, account, plain_read

MODES = ("plain", "cold", "write", "warm", "rehash", "hot")
SHORT_FILE_KINDS = {"settlement_v1", "settlement_v2", "date_range", "sku_economics"}


def child(mode: str, folder: str, out: str, cache: str) -> None:
    import resource

    if mode != "plain":
        from fba_audit._memory import configure_allocator, reports_size

        configure_allocator(reports_size(Path(folder)))
    import polars  # noqa: F401 - imported before the clock starts, in every mode

    before = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    phases: dict[str, float] = {}
    hits = 0
    if mode == "plain":
        for path in sorted(Path(folder).iterdir()):
            plain_read(path)
    elif mode == "dates":
        from fba_audit.reports import load_folder

        files = load_folder(folder).files
        print(json.dumps({f.file: [f.kind, str(f.period_start or f.first_date), str(f.period_end or f.last_date)]
                          for f in files}))
        return
    else:
        from typer.testing import CliRunner

        from fba_audit.cli import app

        _time_phases(phases)
        option = ["--no-cache"] if mode == "cold" else ["--cache", cache]
        result = CliRunner().invoke(app, ["run", folder, "--out", out, "--as-of", AS_OF, "--no-ledger", *option])
        assert result.exit_code == 0, result.output[-3000:]
        said = " ".join(result.output.split())
        if "From the parse cache" in said:
            hits = int(said.split("From the parse cache", 1)[1].split(" (", 1)[1].split(" of ", 1)[0])
    seconds = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime - before.ru_utime - before.ru_stime
    print(json.dumps({"mode": mode, "seconds": seconds, "cpu_seconds": cpu, "peak_bytes": usage.ru_maxrss * 1024,
                      "load": phases.get("load"), "hits": hits}))


def run_child(mode: str, folder: Path, out: Path, cache: Path) -> dict:
    result = subprocess.run([sys.executable, __file__, "--child", mode, str(folder), str(out), str(cache)],
                            check=True, capture_output=True, text=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def new_files(account_folder: Path, whole_new: bool) -> set[str]:
    dates = run_child("dates", account_folder, DATA / "out", DATA / "unused")
    ends = [dt.date.fromisoformat(e) for _, _, e in dates.values() if e != "None"]
    last = max(ends)
    new = set()
    for name, (kind, first, end) in dates.items():
        if kind is None:
            continue
        if first == "None" or end == "None":
            short = False
        else:
            first_day, end_day = dt.date.fromisoformat(first), dt.date.fromisoformat(end)
            short = (last - first_day).days <= 62 and (last - end_day).days <= 35
        if (kind in SHORT_FILE_KINDS and short) or (whole_new and kind not in SHORT_FILE_KINDS):
            new.add(name.split("!", 1)[0])  # an archive member: its archive
    return new


def prepare(account_folder: Path, new: set[str], work: Path) -> tuple[Path, Path]:
    """reports/ with last month's files, its cache filled by a run, then this month's files added."""
    if work.exists():
        shutil.rmtree(work)
    reports, primed = work / "reports", work / "primed"
    reports.mkdir(parents=True)
    from fba_audit.simulate import TRUTH_FILE

    files = [p for p in account_folder.iterdir() if p.name != TRUTH_FILE]
    for path in files:
        if path.name not in new:
            os.link(path, reports / path.name)
    time.sleep(4)  # older than the cache's RACY_SECONDS, as a month-old download is
    run_child("write", reports, work / "out", primed)
    for path in files:
        if path.name in new:
            os.link(path, reports / path.name)
    time.sleep(4)
    return reports, primed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skus", type=int, default=15000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--whole-new", action="store_true", help="whole-period downloads are new files too")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    folder = account(args.skus, args.months, args.seed)
    new = new_files(folder, args.whole_new)
    work = DATA / f"cache_{args.skus}_{args.months}_{args.seed}{'_whole' if args.whole_new else ''}"
    reports, primed = prepare(folder, new, work)
    disk = sum(p.stat().st_size for p in reports.iterdir())
    new_bytes = sum((reports / n).stat().st_size for n in new)
    cache_bytes = sum(p.stat().st_size for p in primed.iterdir())
    _read_through(reports)
    results: dict[str, list[dict]] = {mode: [] for mode in MODES}
    for _ in range(args.repeat):
        for mode in MODES:
            cache = work / "cache"
            if cache.exists():
                shutil.rmtree(cache)
            if mode in ("warm", "rehash"):
                shutil.copytree(primed, cache)
                if mode == "rehash":
                    (cache / "hashes.json").unlink()
            elif mode == "hot":
                shutil.copytree(primed, cache)
                run_child("write", reports, work / "out", cache)
            results[mode].append(run_child(mode, reports, work / "out", cache))
    full_cache = sum(p.stat().st_size for p in (work / "cache").iterdir())
    print(f"{args.skus:,} SKUs x {args.months} months: {len(list(reports.iterdir()))} files, {disk / 1e6:,.0f} MB; "
          f"new this month: {len(new)} files, {new_bytes / 1e6:,.0f} MB ({', '.join(sorted(new))}); cache of last "
          f"month {cache_bytes / 1e6:,.0f} MB, of this month {full_cache / 1e6:,.0f} MB\n")
    print("| run | files from the cache | wall | wall / plain read | CPU / plain read's | load | load / plain read "
          "| peak memory |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    plains = [r["seconds"] for r in results["plain"]]
    plain_cpu = [r["cpu_seconds"] for r in results["plain"]]
    for mode in MODES:
        runs = results[mode]
        wall = [r["seconds"] for r in runs]
        ratio = [r["seconds"] / p for r, p in zip(runs, plains)]
        peak = statistics.median(r["peak_bytes"] for r in runs) / 1e6
        cpu = [r["cpu_seconds"] / p for r, p in zip(runs, plain_cpu)]
        if mode == "plain":
            print(f"| plain read | - | {_med(wall, 's')} | 1.00x | 1.00x | - | - | {peak:,.0f} MB |")
            continue
        load = [r["load"] for r in runs]
        load_ratio = [r["load"] / p for r, p in zip(runs, plains)]
        print(f"| {mode} | {runs[0]['hits']} | {_med(wall, 's')} | {_med(ratio, 'x', 2)} | {_med(cpu, 'x', 2)} | "
              f"{_med(load, 's')} | {_med(load_ratio, 'x', 2)} | {peak:,.0f} MB |", flush=True)


def _med(values: list[float], unit: str, digits: int = 1) -> str:
    middle = f"{statistics.median(values):.{digits}f}{' ' if unit == 's' else ''}{unit}"
    if len(values) < 2:
        return middle
    return f"{middle} ({min(values):.{digits}f}-{max(values):.{digits}f}{' ' if unit == 's' else ''}{unit})"


if __name__ == "__main__":
    main()
