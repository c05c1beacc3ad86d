"""Where the load's time goes, per report kind: each file of a simulated account loaded alone by
`fba_audit.reports.load_folder` (the compact load of `fba-audit run`), against polars reading the same file plainly.

    python benchmarks/bench_kinds.py --skus 15000 --repeat 3

For every file of the account (benchmarks/.data/account_<skus>_<months>_<seed>, simulated if missing, as
bench_audit.py does) it times, in this one process, the best of N:
  plain: `bench_audit.plain_read` (polars.read_csv from the path, every column as text; polars.read_json)
  load:  `load_folder` of a folder holding only that file (recognise, type, check, validate, account)
and prints one row per report kind, the kinds that cost most beyond the plain read first. A file loaded alone is
not loaded quite as in a run: a run reads small files two at a time, and reads Date Range rows of settlements a flat
file gave without parsing them. The totals here are therefore not bench_audit's load phase; the split is what to
read, to see which kind a change to the loader should aim at.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench_audit import account, plain_read

from fba_audit._memory import configure_allocator

configure_allocator()  # as the `fba-audit` command does, before polars is imported


@dataclass
class KindTotals:
    files: int = 0
    rows: int = 0
    bytes: int = 0
    plain: float = 0.0
    load: float = 0.0


def best_of(repeat: int, action) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


def measure(folder: Path, repeat: int) -> dict[str, KindTotals]:
    from fba_audit.detectors import columns_read
    from fba_audit.reports import load_folder
    from fba_audit.simulate import TRUTH_FILE

    columns = columns_read()
    kinds: dict[str, KindTotals] = {}
    for path in sorted(folder.iterdir()):
        if path.name == TRUTH_FILE:
            continue
        # A hard link (the loader does not follow links out of the folder), next to the account: same file system.
        with tempfile.TemporaryDirectory(dir=folder.parent) as alone:
            os.link(path, Path(alone) / path.name)
            loaded = []
            load = best_of(repeat, lambda: loaded.append(load_folder(alone, columns=columns)))
            (summary,) = loaded[-1].files
            plain = best_of(repeat, lambda: plain_read(path))
        totals = kinds.setdefault(summary.kind or "not recognised", KindTotals())
        totals.files += 1
        totals.rows += summary.rows_read
        totals.bytes += path.stat().st_size
        totals.plain += plain
        totals.load += load
    return kinds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skus", type=int, default=15000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3, help="best of N for each file")
    args = parser.parse_args()
    folder = account(args.skus, args.months, args.seed)
    kinds = measure(folder, args.repeat)
    print(f"{args.skus:,} SKUs x {args.months} months, each file alone, best of {args.repeat}:\n")
    print("| report kind | files | rows | MB | plain read | load | load / plain | load - plain | µs a row (load) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    everything = KindTotals()
    for kind, t in sorted(kinds.items(), key=lambda item: item[1].plain - item[1].load):
        print(_row(kind, t))
        for field in ("files", "rows", "bytes", "plain", "load"):
            setattr(everything, field, getattr(everything, field) + getattr(t, field))
    print(_row("**all**", everything))


def _row(kind: str, t: KindTotals) -> str:
    per_row = f"{t.load / t.rows * 1e6:.2f}" if t.rows else "-"
    return (f"| {kind} | {t.files} | {t.rows:,} | {t.bytes / 1e6:,.0f} | {t.plain:.2f} s | {t.load:.2f} s | "
            f"{t.load / t.plain:.2f}x | {t.load - t.plain:+.2f} s | {per_row} |")


if __name__ == "__main__":
    main()
