"""Overlapping downloads: every row is counted once, and rows_read == rows_kept + duplicates + rows_rejected for
every file (`accounting` checks the identity on each call)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import zipfile
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from loader_helpers import accounting, copy_into

from fba_audit.reports import load_folder

OLDER, NEWER = 1_767_000_000, 1_767_100_000  # file times (seconds); the newer download wins a tie on dates

L14 = ["Date", "FNSKU", "ASIN", "MSKU", "Title", "Event Type", "Reference ID", "Quantity", "Fulfillment Center",
       "Disposition", "Reason", "Country", "Reconciled Quantity", "Unreconciled Quantity"]
L16 = L14 + ["Date and Time", "Store"]


def ledger_row(date: str, event: str, ref: str, qty: str, reason: str = "", rec: str = "", unrec: str = "") -> list:
    return [date, "X00EXAMPL1", "B0EXAMPLE1", "SKU-1", "Widget", event, ref, qty, "PHX7", "SELLABLE", reason, "US",
            rec, unrec]


def write_tab(path: Path, header: list[str], rows: list[list[str]]) -> None:
    path.write_text("".join("\t".join(r) + "\n" for r in [header, *rows]), encoding="utf-8")


def write_quoted(path: Path, header: list[str], rows: list[list[str]]) -> None:
    path.write_text("".join(",".join(f'"{c}"' for c in r) + "\n" for r in [header, *rows]), encoding="utf-8-sig")


def with_time(row: list[str]) -> list[str]:
    month, day, year = row[0].split("/")
    return row + [f"{year}-{month}-{day}T00:00:00-0700", ""]


def test_same_report_plain_and_zipped_is_read_once(tmp_path: Path) -> None:
    folder = tmp_path / "reports"
    (plain,) = copy_into(folder, "ledger_detail/ok_14col.txt")
    with zipfile.ZipFile(folder / "again.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(plain, "ok_14col.txt")
    os.utime(plain, (OLDER, OLDER))
    os.utime(folder / "again.zip", (NEWER, NEWER))
    result = load_folder(folder)
    assert accounting(result) == {"again.zip!ok_14col.txt": (4, 4, 0, 0), "ok_14col.txt": (4, 0, 4, 0)}
    ledger = result.datasets["inventory_ledger"].sort("source_line")
    assert ledger.select("source_file", "source_line", "event_type", "quantity").rows() == [
        ("again.zip!ok_14col.txt", 2, "Receipts", 24),
        ("again.zip!ok_14col.txt", 3, "Shipments", -1),
        ("again.zip!ok_14col.txt", 4, "Adjustments", -2),
        ("again.zip!ok_14col.txt", 5, "CustomerReturns", 1),
    ]
    assert result.problems == []


def test_overlapping_ledger_downloads_newest_values_win(tmp_path: Path) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    # May 1-10 as a 14-column .txt; May 5-15 as a 16-column quoted .csv, in which Amazon has since found one unit
    # of the misplaced adjustment (Unreconciled 2 -> 1).
    write_tab(folder / "ledger-may-1-10.txt", L14, [
        ledger_row("05/01/2026", "Shipments", "", "-1"),
        ledger_row("05/06/2026", "Adjustments", "2107733001", "-2", "M", "0", "2"),
        ledger_row("05/08/2026", "Shipments", "", "-3"),
        ledger_row("05/10/2026", "Shipments", "", "-1"),
    ])
    write_quoted(folder / "ledger-may-5-15.csv", L16, [with_time(r) for r in [
        ledger_row("05/06/2026", "Adjustments", "2107733001", "-2", "M", "1", "1"),
        ledger_row("05/08/2026", "Shipments", "", "-3"),
        ledger_row("05/10/2026", "Shipments", "", "-1"),
        ledger_row("05/15/2026", "Shipments", "", "-2"),
    ]])
    # The newer download is the one covering the later dates, whatever the file times say.
    os.utime(folder / "ledger-may-5-15.csv", (OLDER, OLDER))
    os.utime(folder / "ledger-may-1-10.txt", (NEWER, NEWER))
    result = load_folder(folder)
    assert accounting(result) == {"ledger-may-1-10.txt": (4, 1, 3, 0), "ledger-may-5-15.csv": (4, 4, 0, 0)}
    ledger = result.datasets["inventory_ledger"].sort("date")
    assert ledger.select("source_file", "source_line", "date", "event_type", "quantity", "reconciled_quantity",
                         "unreconciled_quantity", "date_time").rows() == [
        ("ledger-may-1-10.txt", 2, dt.date(2026, 5, 1), "Shipments", -1, None, None, None),
        ("ledger-may-5-15.csv", 2, dt.date(2026, 5, 6), "Adjustments", -2, 1, 1,
         dt.datetime(2026, 5, 6, 7, tzinfo=dt.timezone.utc)),
        ("ledger-may-5-15.csv", 3, dt.date(2026, 5, 8), "Shipments", -3, None, None,
         dt.datetime(2026, 5, 8, 7, tzinfo=dt.timezone.utc)),
        ("ledger-may-5-15.csv", 4, dt.date(2026, 5, 10), "Shipments", -1, None, None,
         dt.datetime(2026, 5, 10, 7, tzinfo=dt.timezone.utc)),
        ("ledger-may-5-15.csv", 5, dt.date(2026, 5, 15), "Shipments", -2, None, None,
         dt.datetime(2026, 5, 15, 7, tzinfo=dt.timezone.utc)),
    ]


def test_identical_rows_in_one_file_are_two_units_and_a_second_download_adds_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    shipped = ledger_row("05/03/2026", "Shipments", "", "-1")
    write_tab(folder / "a-two-copies.txt", L14, [shipped, shipped, ledger_row("05/04/2026", "Shipments", "", "-1")])
    write_tab(folder / "b-one-copy.txt", L14, [shipped, ledger_row("05/04/2026", "Shipments", "", "-1")])
    os.utime(folder / "a-two-copies.txt", (OLDER, OLDER))
    os.utime(folder / "b-one-copy.txt", (NEWER, NEWER))
    result = load_folder(folder)
    assert accounting(result) == {"a-two-copies.txt": (3, 1, 2, 0), "b-one-copy.txt": (2, 2, 0, 0)}
    ledger = result.datasets["inventory_ledger"]
    assert ledger.group_by("date").agg(pl.col("quantity").sum()).sort("date").rows() == [
        (dt.date(2026, 5, 3), -2), (dt.date(2026, 5, 4), -1)]

    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copyfile(folder / "a-two-copies.txt", alone / "a-two-copies.txt")
    single = load_folder(alone)
    assert accounting(single) == {"a-two-copies.txt": (3, 3, 0, 0)}
    assert single.datasets["inventory_ledger"]["quantity"].sum() == -3


def test_same_settlement_as_v1_and_v2_is_read_once_from_v2(load_fixtures) -> None:
    result = load_fixtures("settlement_v1/ok.txt", ("settlement_v2/ok.txt", "ok_v2.txt"))
    assert accounting(result) == {"ok.txt": (8, 0, 8, 0), "ok_v2.txt": (8, 8, 0, 0)}
    assert [(p.severity, str(p)) for p in result.problems] == [
        ("warning", "ok.txt: holds settlement 24000000001, already read from ok_v2.txt; its 8 rows were counted as "
                    "duplicates.")]
    assert result.datasets["settlements"].select("source_file", "settlement_id", "source_format").rows() == [
        ("ok_v2.txt", "24000000001", "settlement_v2")]
    transactions = result.datasets["transactions"]
    assert transactions["source_file"].unique().to_list() == ["ok_v2.txt"]
    assert transactions["amount"].sum() == Decimal("21.79")


def test_date_range_lines_of_a_settlement_already_read_are_duplicates(load_fixtures) -> None:
    # ok_ca.csv holds settlement 24000000001 (the V2 file's); ok_us.csv holds an other settlement.
    result = load_fixtures(("settlement_v2/ok.txt", "ok_v2.txt"), "date_range/ok_ca.csv", "date_range/ok_us.csv")
    assert accounting(result) == {"ok_ca.csv": (2, 0, 2, 0), "ok_us.csv": (3, 3, 0, 0), "ok_v2.txt": (8, 8, 0, 0)}
    transactions = result.datasets["transactions"]
    assert transactions.group_by("source_file").agg(pl.col("amount").sum()).sort("source_file").rows() == [
        ("ok_us.csv", Decimal("-1019.99")), ("ok_v2.txt", Decimal("21.79"))]


def test_legacy_adjustments_inside_the_ledger_period_are_duplicates(tmp_path: Path) -> None:
    folder = tmp_path / "reports"
    copy_into(folder, "ledger_detail/ok_14col.txt", "inventory_adjustments/ok_9col.txt")
    header = ["adjusted-date", "transaction-item-id", "fnsku", "sku", "product-name", "fulfillment-center-id",
              "quantity", "reason", "disposition"]
    write_tab(folder / "adjustments-2026.txt", header, [
        ["2026-04-30T10:00:00+00:00", "923456789011", "X00EXAMPL1", "SKU-1", "Widget", "PHX7", "-1", "M", "SELLABLE"],
        ["2026-05-06T10:00:00+00:00", "923456789012", "X00EXAMPL1", "SKU-1", "Widget", "PHX7", "-2", "M", "SELLABLE"],
        ["2026-05-08T10:00:00+00:00", "923456789013", "X00EXAMPL1", "SKU-1", "Widget", "PHX7", "1", "F", "SELLABLE"],
    ])
    result = load_folder(folder)
    # ok_9col.txt (2021) is outside the ledger's May 1-8 2026: all kept.
    assert accounting(result) == {"adjustments-2026.txt": (3, 1, 2, 0), "ok_14col.txt": (4, 4, 0, 0),
                                  "ok_9col.txt": (3, 3, 0, 0)}
    assert [(p.severity, str(p)) for p in result.problems] == [
        ("warning", "adjustments-2026.txt: 2 rows fall inside the period of the Inventory Ledger download "
                    "(2026-05-01 to 2026-05-08) and were counted as duplicates of it.")]
    legacy = result.datasets["inventory_ledger"].filter(pl.col("source_report") == "inventory_adjustments")
    assert legacy.sort("source_file", "source_line").select("source_file", "source_line").rows() == [
        ("adjustments-2026.txt", 2), ("ok_9col.txt", 2), ("ok_9col.txt", 3), ("ok_9col.txt", 4)]


def _multiset_union(rows: list[dict], identity: tuple[str, ...]) -> list[tuple[str, int]]:
    """The rule, row by row: for each identity, the k-th copy is kept from the newest file that has k copies."""
    copies: dict[tuple, dict[str, list[dict]]] = {}
    for row in sorted(rows, key=lambda r: r["source_line"]):
        copies.setdefault(tuple(row[c] for c in identity), {}).setdefault(row["source_file"], []).append(row)
    kept = []
    for by_file in copies.values():
        newest_first = sorted(by_file.values(), key=lambda rs: -rs[0]["_file_rank"])
        for k in range(max(len(rs) for rs in newest_first)):
            row = next(rs[k] for rs in newest_first if len(rs) > k)
            kept.append((row["source_file"], row["source_line"]))
    return sorted(kept)


@pytest.mark.parametrize("seed", range(25))
def test_merge_is_the_multiset_union_with_the_newest_file_winning(seed: int) -> None:
    import random

    from fba_audit.reports import _dedup

    rng = random.Random(seed)
    dates = [dt.date(2026, 5, d) for d in (1, 2, 3)] + [None]
    rows = []
    for rank, file in enumerate(["a.txt", "b.txt", "c.txt"]):
        for line in range(2, 2 + rng.randint(0, 60)):
            rows.append(dict(source_file=file, source_line=line, _file_rank=rank, return_date=rng.choice(dates),
                             order_id=rng.choice(["o1", "o2", None]), sku="S", fnsku=None,
                             quantity=rng.choice([1, 2]), detailed_disposition=rng.choice(["SELLABLE", "DAMAGED"]),
                             reason=None, license_plate_number=None))
    schema = {"source_file": pl.String, "source_line": pl.Int64, "_file_rank": pl.Int64, "return_date": pl.Date,
              "order_id": pl.String, "sku": pl.String, "fnsku": pl.String, "quantity": pl.Int64,
              "detailed_disposition": pl.String, "reason": pl.String, "license_plate_number": pl.String}
    frame = pl.DataFrame(rows, schema=schema)
    merged = _dedup.merge("customer_returns", frame)
    assert sorted(merged.select("source_file", "source_line").rows()) == _multiset_union(
        rows, _dedup.IDENTITY["customer_returns"])
    assert merged.equals(frame.filter(pl.struct("source_file", "source_line").is_in(merged.select(
        pl.struct("source_file", "source_line")).to_series().implode()))), "rows keep their order"
