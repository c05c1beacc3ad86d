"""Loading speed and memory: `load_folder` against a plain `polars.read_csv` of the same files.

    python benchmarks/bench_load.py --ledger-rows 10000000 --settlement-rows 10000000

Writes a synthetic Inventory Ledger (16-column tab file, as the SP-API serves it) and a settlement flat file
V2 into benchmarks/.data/ (kept between runs), then times, each in a fresh process so peak memory is its own:
  plain: polars.read_csv of both files, every column as text (the floor: no parsing at all)
  load:  fba_audit.reports.load_folder (recognise, type, validate with pandera, de-duplicate, account)
and prints rows per second, peak RSS and the ratio load/plain. Run it on an otherwise idle machine; the
figures in docs/performance.md were taken this way.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import polars as pl

DATA = Path(__file__).parent / ".data"

LEDGER_HEADER = ["Date", "FNSKU", "ASIN", "MSKU", "Title", "Event Type", "Reference ID", "Quantity",
                 "Fulfillment Center", "Disposition", "Reason", "Country", "Reconciled Quantity",
                 "Unreconciled Quantity", "Date and Time", "Store"]
V2_HEADER = ["settlement-id", "settlement-start-date", "settlement-end-date", "deposit-date", "total-amount",
             "currency", "transaction-type", "order-id", "merchant-order-id", "adjustment-id", "shipment-id",
             "marketplace-name", "amount-type", "amount-description", "amount", "fulfillment-id", "posted-date",
             "posted-date-time", "order-item-code", "merchant-order-item-id", "merchant-adjustment-item-id", "sku",
             "quantity-purchased", "promotion-id"]


def make_ledger(path: Path, rows: int) -> None:
    i = pl.int_range(rows, eager=True)
    day = (i % 365).cast(pl.Int32)
    frame = pl.DataFrame({"i": i, "day": day}).with_columns(
        d=pl.date(2025, 1, 1) + pl.duration(days=pl.col("day")),
    ).select(
        pl.col("d").dt.strftime("%m/%d/%Y").alias("Date"),
        pl.format("X00{}", (pl.col("i") % 50000).cast(pl.String).str.zfill(7)).alias("FNSKU"),
        pl.format("B0{}", (pl.col("i") % 50000).cast(pl.String).str.zfill(8)).alias("ASIN"),
        pl.format("SKU-{}", pl.col("i") % 50000).alias("MSKU"),
        pl.lit("Example product title, 2 pack").alias("Title"),
        pl.when(pl.col("i") % 50 == 0).then(pl.lit("Adjustments")).when(pl.col("i") % 20 == 1)
        .then(pl.lit("CustomerReturns")).when(pl.col("i") % 30 == 2).then(pl.lit("Receipts"))
        .otherwise(pl.lit("Shipments")).alias("Event Type"),
        pl.when(pl.col("i") % 50 == 0).then(pl.format("2107{}", pl.col("i"))).otherwise(pl.lit(""))
        .alias("Reference ID"),
        pl.when(pl.col("i") % 30 == 2).then(pl.lit("12")).otherwise(pl.lit("-1")).alias("Quantity"),
        pl.lit("PHX7").alias("Fulfillment Center"),
        pl.lit("SELLABLE").alias("Disposition"),
        pl.when(pl.col("i") % 50 == 0).then(pl.lit("M")).otherwise(pl.lit("")).alias("Reason"),
        pl.lit("US").alias("Country"),
        pl.when(pl.col("i") % 50 == 0).then(pl.lit("0")).otherwise(pl.lit("")).alias("Reconciled Quantity"),
        pl.when(pl.col("i") % 50 == 0).then(pl.lit("1")).otherwise(pl.lit("")).alias("Unreconciled Quantity"),
        (pl.col("d").dt.strftime("%Y-%m-%d") + pl.lit("T00:00:00-0700")).alias("Date and Time"),
        pl.lit("").alias("Store"),
    )
    frame.write_csv(path, separator="\t", quote_style="never")


def make_settlement(path: Path, rows: int) -> None:
    i = pl.int_range(rows, eager=True)
    kinds = ["Principal", "Commission", "FBAPerUnitFulfillmentFee", "Shipping"]
    amounts = ["19.50", "-2.93", "-3.37", "4.99"]
    types = ["ItemPrice", "ItemFees", "ItemFees", "ItemPrice"]
    frame = pl.DataFrame({"i": i}).select(
        pl.lit("25889786381").alias("settlement-id"), *[pl.lit("").alias(c) for c in V2_HEADER[1:6]],
        pl.lit("Order").alias("transaction-type"),
        pl.format("111-{}-{}", (pl.col("i") // 4 % 10_000_000).cast(pl.String).str.zfill(7),
                  (pl.col("i") // 4).cast(pl.String).str.zfill(7)).alias("order-id"),
        pl.lit("").alias("merchant-order-id"), pl.lit("").alias("adjustment-id"),
        pl.lit("PxRHfj7GG").alias("shipment-id"), pl.lit("Amazon.com").alias("marketplace-name"),
        pl.col("i").mod(4).replace_strict(dict(enumerate(types)), return_dtype=pl.String).alias("amount-type"),
        pl.col("i").mod(4).replace_strict(dict(enumerate(kinds)), return_dtype=pl.String)
        .alias("amount-description"),
        pl.col("i").mod(4).replace_strict(dict(enumerate(amounts)), return_dtype=pl.String).alias("amount"),
        pl.lit("AFN").alias("fulfillment-id"), pl.lit("2026-03-14").alias("posted-date"),
        pl.lit("2026-03-14 08:49:04 UTC").alias("posted-date-time"),
        (pl.col("i") // 4 + 155037952465161).cast(pl.String).alias("order-item-code"),
        pl.lit("").alias("merchant-order-item-id"), pl.lit("").alias("merchant-adjustment-item-id"),
        pl.format("SKU-{}", pl.col("i") // 4 % 50000).alias("sku"),
        pl.when(pl.col("i") % 4 == 0).then(pl.lit("1")).otherwise(pl.lit("")).alias("quantity-purchased"),
        pl.lit("").alias("promotion-id"),
    )
    per_order = sum(float(a) for a in amounts)
    total = f"{per_order * (rows // 4) + sum(float(a) for a in amounts[: rows % 4]):.2f}"
    summary = "\t".join(["25889786381", "2026-03-13 20:21:38 UTC", "2026-03-27 20:21:38 UTC",
                         "2026-03-29 20:21:38 UTC", total, "USD"] + [""] * 18)
    with open(path, "w", encoding="utf-8") as out:
        out.write("\t".join(V2_HEADER) + "\n" + summary + "\n")
    with open(path, "a", encoding="utf-8") as out:
        frame.write_csv(out, separator="\t", quote_style="never", include_header=False)


def child(mode: str, folder: str) -> None:
    import resource

    before = resource.getrusage(resource.RUSAGE_SELF)
    cpu_before = before.ru_utime + before.ru_stime
    start = time.perf_counter()
    if mode == "plain":
        rows = 0
        for path in sorted(Path(folder).iterdir()):
            rows += pl.read_csv(path, separator="\t", infer_schema=False, quote_char=None).height
    else:
        from fba_audit.reports import load_folder

        result = load_folder(folder)
        rows = sum(f.rows_read for f in result.files)
        assert all(f.rows_read == f.rows_kept for f in result.files), [f.problems[:3] for f in result.files]
    seconds = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    # CPU seconds (all threads) survive a busy machine better than wall time; both are reported.
    cpu = usage.ru_utime + usage.ru_stime - cpu_before
    print(json.dumps({"mode": mode, "rows": rows, "seconds": seconds, "cpu_seconds": cpu,
                      "peak_bytes": usage.ru_maxrss * 1024}))


def measure(mode: str, folder: Path, repeat: int) -> dict:
    runs = []
    for _ in range(repeat):
        out = subprocess.run([sys.executable, __file__, "--child", mode, str(folder)], check=True,
                             capture_output=True, text=True)
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    runs.sort(key=lambda r: r["seconds"])
    return runs[len(runs) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ledger-rows", type=int, default=1_000_000)
    parser.add_argument("--settlement-rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    folder = DATA / f"load_{args.ledger_rows}_{args.settlement_rows}"
    if not folder.exists():
        folder.mkdir(parents=True)
        make_ledger(folder / "ledger.txt", args.ledger_rows)
        make_settlement(folder / "settlement.txt", args.settlement_rows)
    size = sum(p.stat().st_size for p in folder.iterdir())
    plain = measure("plain", folder, args.repeat)
    load = measure("load", folder, args.repeat)
    rows = load["rows"]
    print(f"input: {rows:,} rows, {size / 1e6:,.0f} MB on disk")
    for result in (plain, load):
        print(f"{result['mode']:>6}: {result['seconds']:7.2f} s wall  {result['cpu_seconds']:7.2f} s cpu  "
              f"{rows / result['seconds']:>12,.0f} rows/s  peak {result['peak_bytes'] / 1e6:8,.0f} MB")
    print(f" ratio load/plain: {load['seconds'] / plain['seconds']:.2f}x wall time, "
          f"{load['cpu_seconds'] / plain['cpu_seconds']:.2f}x cpu time, "
          f"{load['peak_bytes'] / plain['peak_bytes']:.2f}x peak memory; "
          f"input on disk {size / 1e6:,.0f} MB")


if __name__ == "__main__":
    main()
