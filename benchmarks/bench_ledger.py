"""Recording a run in the claim ledger: 25,000 findings on SQLite (and on PostgreSQL with --ledger URL).

    python benchmarks/bench_ledger.py                       # a fresh SQLite file in a temporary folder
    python benchmarks/bench_ledger.py --ledger postgresql://postgres@/bench?host=/tmp/pg&port=5499

Times `Ledger.record_run` (one transaction: the run, its findings and their statuses, matching payments, closing
what went away, and reading back what the outputs show) for
  first:  a new ledger, every finding new (inserts);
  second: the next month, the same findings seen again (updates), 500 of them gone, 500 new;
each repeated --repeat times on a fresh ledger, and prints the median wall time and the median CPU time of this
process (on a shared machine the CPU time varies less; the database server's own CPU time is not in it). The
PostgreSQL database must exist and be empty. Figures are in docs/performance.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import polars as pl

from fba_audit.findings import FINDINGS_SCHEMA
from fba_audit.ledger.store import open_ledger
from fba_audit.reports.model import LoadResult
from fba_audit.results import AuditResult


def findings(count: int, first: int = 0) -> pl.DataFrame:
    n = pl.int_range(first, first + count, eager=True)
    fnsku = pl.format("X00{}", n.cast(pl.String).str.zfill(7))
    frame = pl.DataFrame({"n": n}).select(
        finding_id=pl.format("FBA02:US:{}:{}", fnsku, (n + 10**10).cast(pl.String)),
        code=pl.lit("FBA02"), status=pl.lit("claimable"), marketplace=pl.lit("US"), currency=pl.lit("USD"),
        sku=pl.format("SKU-{}", n), title=pl.format("Product {}", n), fnsku=fnsku, asin=pl.lit(None, pl.String), order_id=pl.lit(None, pl.String),
        shipment_id=pl.lit(None, pl.String), reference_id=(n + 10**10).cast(pl.String), quantity=pl.lit(1, pl.Int64),
        amount=pl.lit(Decimal("12.34"), pl.Decimal(18, 2)), valuation_basis=pl.lit("cost_file"),
        event_date=pl.lit(dt.date(2026, 10, 1)), window_opens=pl.lit(dt.date(2026, 10, 15)),
        window_closes=pl.lit(dt.date(2026, 11, 30)), confidence=pl.lit("high"), message=pl.lit("lost"),
        evidence=pl.lit("ledger.tsv:2"), case_text=pl.lit("Please reimburse."),
    )
    return frame.cast(FINDINGS_SCHEMA).sort("finding_id")


def result(frame: pl.DataFrame, as_of: dt.date) -> AuditResult:
    return AuditResult(as_of=as_of, marketplace="US", findings=frame, ran=["FBA02"],
                       load=LoadResult(datasets={}, files=[]))


def reset(url: str) -> None:
    from fba_audit.ledger import schema

    with open_ledger(url) as ledger, ledger.engine.begin() as conn:
        conn.exec_driver_sql(f"TRUNCATE {', '.join(t.name for t in schema.metadata.sorted_tables)} RESTART IDENTITY")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--findings", type=int, default=25_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--ledger", help="a postgresql:// URL of an empty database (default: a new SQLite file)")
    args = parser.parse_args()
    month1 = result(findings(args.findings), dt.date(2026, 10, 31))
    month2 = result(findings(args.findings, first=500), dt.date(2026, 11, 30))
    times: dict[str, list[float]] = {"first": [], "second": []}
    cpu: dict[str, list[float]] = {"first": [], "second": []}
    with tempfile.TemporaryDirectory() as folder:
        for attempt in range(args.repeat):
            url = args.ledger or str(Path(folder) / f"ledger-{attempt}.sqlite3")
            if args.ledger:
                reset(url)
            with open_ledger(url) as ledger:
                for label, month in (("first", month1), ("second", month2)):
                    started, started_cpu = time.perf_counter(), time.process_time()
                    view = ledger.record_run(month)
                    times[label].append(time.perf_counter() - started)
                    cpu[label].append(time.process_time() - started_cpu)
                    assert len(view.first_seen) == args.findings
    where = "PostgreSQL" if args.ledger else "SQLite"
    for label, values in times.items():
        print(f"{where} {label:6} run, {args.findings:,} findings: median {statistics.median(values):.3f} s "
              f"(min {min(values):.3f}, max {max(values):.3f}, {len(values)} runs); CPU median "
              f"{statistics.median(cpu[label]):.3f} s")


if __name__ == "__main__":
    main()
