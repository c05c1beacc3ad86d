"""`fba-audit check` on a returns file with one enormous line: the time must grow with the line's length, not its
square (issue 22: a 16 MB line took 93 s when the rejected value was echoed in full).

    python benchmarks/bench_long_line.py --mb '1 4 16' --repeat 3

Each size is a two-row FBA customer returns file (the genuine header and rows of the test fixture) with one line of
that many megabytes between the rows, checked by a fresh `fba-audit check` process (start-up included: it is most of
the time at 1 MB). Prints the best of N wall times per size and the ratio to the smallest size.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FIXTURE = Path(__file__).resolve().parent.parent / "tests/fixtures/reports/customer_returns/ok.txt"


def folder_with_line(root: Path, megabytes: int) -> Path:
    header, first, second = FIXTURE.read_text(encoding="utf-8").splitlines(keepends=True)[:3]
    folder = root / f"line_{megabytes}mb"
    folder.mkdir()
    (folder / "returns.txt").write_text(header + first + "y" * (megabytes * 1_000_000) + "\n" + second,
                                        encoding="utf-8")
    return folder


def timed_check(folder: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "fba_audit", "check", str(folder)], capture_output=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 2:  # the long line is rejected, so check reports a problem
        raise SystemExit(f"check exited {done.returncode}: {done.stderr.decode(errors='replace')[-500:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", default="1 4 16", help="line sizes in MB, space-separated")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sizes = [int(s) for s in args.mb.split()]
    with tempfile.TemporaryDirectory() as tmp:
        folders = {mb: folder_with_line(Path(tmp), mb) for mb in sizes}
        best = {mb: min(timed_check(folders[mb]) for _ in range(args.repeat)) for mb in sizes}
    print("| line MB | check s (best of %d) | / smallest |" % args.repeat)
    print("| ---: | ---: | ---: |")
    for mb in sizes:
        print(f"| {mb} | {best[mb]:.2f} | {best[mb] / best[sizes[0]]:.2f}x |")


if __name__ == "__main__":
    main()
