"""Agency batches: accounts per minute with 1 and 2 local workers and through a local Dask cluster.

    python benchmarks/bench_batch.py --accounts 40 --repeat 1

Simulates `--accounts` seller accounts of mixed sizes (one in ten large, the rest small: kept in
benchmarks/.data/ between runs), then times `fba-audit batch` over all of them:
  local-1   --workers 1
  local-2   --workers 2
  dask-2    --scheduler of a LocalCluster with 2 single-threaded worker processes started here (its start-up is
            timed apart and not counted)
and prints total time, accounts per minute, the time ratio to local-1, the largest peak memory of one account's
process, and the Dask overhead against local-2. Each batch writes into a fresh output folder.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

DATA = Path(__file__).parent / ".data"
AS_OF = dt.date(2026, 11, 22)


def accounts(count: int, seed: int) -> Path:
    """`count` simulated accounts: every tenth 2,000 SKUs x 6 months, the others 60-240 SKUs x 3 months."""
    from fba_audit.simulate import simulate

    root = DATA / f"batch-{count}-seed{seed}"
    done = root / ".complete"
    if done.exists():
        return root
    shutil.rmtree(root, ignore_errors=True)
    for n in range(count):
        large = n % 10 == 0
        skus, months = (2000, 6) if large else (60 + 20 * (n % 10), 3)
        with tempfile.TemporaryDirectory() as scratch:
            simulate(root / f"account-{n:03d}", skus=skus, months=months, seed=seed + n,
                     truth_path=Path(scratch) / "truth.json")
    done.write_text("", encoding="utf-8")
    return root


def batch(root: Path, **options: object) -> tuple[float, list]:
    from fba_audit.batch import AccountOptions, run_batch

    with tempfile.TemporaryDirectory(prefix="bench-batch-") as out:
        start = time.perf_counter()
        result = run_batch(str(root), Path(out), defaults=AccountOptions(name="", as_of=AS_OF), **options)
        seconds = time.perf_counter() - start
    failed = [o for o in result.outcomes if o.status != "ran"]
    assert not failed, failed
    return seconds, result.outcomes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=40)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    from distributed import LocalCluster

    root = accounts(args.accounts, args.seed)
    size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
    print(f"{args.accounts} accounts, {size / 1e6:,.0f} MB on disk, in {root}", flush=True)
    figures: dict[str, list[float]] = {"local-1": [], "local-2": [], "dask-2": []}
    peaks: dict[str, float] = {}
    for _ in range(args.repeat):
        for mode, options in (("local-1", {"workers": 1}), ("local-2", {"workers": 2})):
            seconds, outcomes = batch(root, **options)
            figures[mode].append(seconds)
            peaks[mode] = max(o.peak_memory_mb or 0 for o in outcomes)
            print(f"{mode}: {seconds:.1f} s", flush=True)
        started = time.perf_counter()
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                          dashboard_address=":0") as cluster:
            print(f"dask cluster start: {time.perf_counter() - started:.1f} s", flush=True)
            seconds, outcomes = batch(root, scheduler=cluster.scheduler_address)
        figures["dask-2"].append(seconds)
        peaks["dask-2"] = max(o.peak_memory_mb or 0 for o in outcomes)
        print(f"dask-2: {seconds:.1f} s", flush=True)
    one = statistics.median(figures["local-1"])
    print("\n| mode | total | accounts/min | vs 1 worker | largest account peak |")
    print("| --- | --- | --- | --- | --- |")
    for mode, times in figures.items():
        median = statistics.median(times)
        print(f"| {mode} | {median:.1f} s | {args.accounts / median * 60:.1f} | {median / one:.2f}x | "
              f"{peaks[mode]:,.0f} MB |")
    overhead = statistics.median(figures["dask-2"]) / statistics.median(figures["local-2"])
    print(f"\nDask overhead against 2 local workers: {overhead:.2f}x")
    json.dump(figures, sys.stdout)
    print()


if __name__ == "__main__":
    main()
