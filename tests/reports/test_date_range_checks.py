"""Date Range reports: rows whose amounts do not add up to their total, the JP points column, and lines a
settlement flat file already gives."""

from __future__ import annotations

import datetime as dt
import zipfile
from decimal import Decimal
from pathlib import Path

from fba_audit.reports import load_folder

HEADER = ('"date/time","settlement id","type","order id","sku","description","quantity","marketplace",'
          '"fulfillment","product sales","selling fees","fba fees","other","total"')


def test_row_whose_amounts_miss_the_total_is_kept_with_a_warning(tmp_path: Path) -> None:
    (tmp_path / "range.csv").write_text("\n".join([
        HEADER,
        '"Jan 5, 2026 1:23:45 PM PST","111","Order","113-1","SKU-1","Widget","1","amazon.com","Amazon","25.00",'
        '"-3.75","-4.05","0","17.20"',
        '"Jan 6, 2026 1:23:45 PM PST","111","Order","113-2","SKU-1","Widget","1","amazon.com","Amazon","25.00",'
        '"-3.75","-4.05","0","20.00"',
    ]) + "\n", encoding="utf-8")
    result = load_folder(tmp_path)
    assert [str(p) for p in result.problems] == [
        "range.csv:3: 1 row (first here) have amounts that do not add up to their total: the file may have a "
        "column fba-audit does not read; the rows were kept. Please report the file's header so that fba-audit "
        "learns the column."
    ]
    assert result.files[0].rows_kept == 2


def test_japanese_points_column_is_a_money_line(tmp_path: Path) -> None:
    header = '"日付/時間","決済番号","トランザクションの種類","注文番号","SKU","説明","数量","商品売上","Amazonポイントの費用","合計"'
    row = '"2026/01/05 13:23:45 JST","222","注文","250-1","SKU-J","品物","1","1000","-10","990"'
    (tmp_path / "jp.csv").write_bytes((header + "\n" + row + "\n").encode("cp932"))
    result = load_folder(tmp_path)
    assert result.problems == []
    lines = result.datasets["transactions"].sort("amount_description")
    assert lines.select("transaction_type", "amount_description", "amount").rows() == [
        ("Order", "AmazonPointsCost", Decimal("-10.00")), ("Order", "ProductSales", Decimal("1000.00"))]


V2_HEADER = ("settlement-id\tsettlement-start-date\tsettlement-end-date\tdeposit-date\ttotal-amount\tcurrency\t"
             "transaction-type\torder-id\tmerchant-order-id\tadjustment-id\tshipment-id\tmarketplace-name\t"
             "amount-type\tamount-description\tamount\tfulfillment-id\tposted-date\tposted-date-time\t"
             "order-item-code\tmerchant-order-item-id\tmerchant-adjustment-item-id\tsku\tquantity-purchased\t"
             "promotion-id")


def _settlement_and_range(folder: Path) -> None:
    """Settlement 333 as a V2 flat file, and a Date Range file with two of its rows (one with an amount that does
    not parse) and one row of settlement 444, which no flat file gives."""
    folder.mkdir(parents=True, exist_ok=True)
    summary = "333\t2026-01-01 00:00:00 UTC\t2026-01-15 00:00:00 UTC\t2026-01-17 00:00:00 UTC\t25.00\tUSD" + "\t" * 18
    line = ("333\t\t\t\t\t\tOrder\t113-3\t113-3\t\tShp1\tAmazon.com\tItemPrice\tPrincipal\t25.00\tAFN\t2026-01-05\t"
            "2026-01-05 20:00:00 UTC\t999\t\t\tSKU-1\t1\t")
    (folder / "settlement.txt").write_text("\n".join([V2_HEADER, summary, line]) + "\n", encoding="utf-8")
    (folder / "range.csv").write_text("\n".join([
        HEADER,
        '"Jan 5, 2026 12:00:00 PM PST","333","Order","113-3","SKU-1","Widget","1","amazon.com","Amazon","25.00",'
        '"0","0","0","25.00"',
        '"Jan 4, 2026 9:00:00 AM PST","333","Order","113-4","SKU-1","Widget","1","amazon.com","Amazon","2 5.00",'
        '"0","0","0","25.00"',
        '"Jan 20, 2026 8:00:00 AM PST","444","Order","113-5","SKU-1","Widget","1","amazon.com","Amazon","25.00",'
        '"0","0","0","25.00"',
    ]) + "\n", encoding="utf-8")


def test_lines_of_a_settlement_read_from_a_flat_file_are_duplicates(tmp_path: Path, monkeypatch) -> None:
    """Counted as duplicates whether the Date Range file is known before reading (read after the flat files, its
    repeated rows skipped unparsed) or only after (its lines dropped once every file has been read)."""
    from fba_audit.reports import loader

    _settlement_and_range(tmp_path / "plain")
    _settlement_and_range(tmp_path / "zipped")
    with zipfile.ZipFile(tmp_path / "zipped" / "range.zip", "w") as archive:
        archive.write(tmp_path / "zipped" / "range.csv", "range.csv")
    (tmp_path / "zipped" / "range.csv").unlink()
    results = [load_folder(tmp_path / "plain"), load_folder(tmp_path / "zipped")]
    monkeypatch.setattr(loader, "_sniff_kind", lambda source: None)
    results.append(load_folder(tmp_path / "plain"))
    # Plain, zipped (its kind is sniffed inside the archive), and not recognised before reading.
    for result, repeated_bad_value in zip(results, [False, False, True]):
        by_file = {f.file.removeprefix("range.zip!"): f for f in result.files}
        ranged = by_file["range.csv"]
        # Read unparsed, the repeated row's bad amount is no problem; parsed, it is rejected, not double counted.
        assert (ranged.rows_read, ranged.duplicates, ranged.rows_rejected, ranged.rows_kept) == (
            (3, 2, 0, 1) if not repeated_bad_value else (3, 1, 1, 1))
        assert (ranged.first_date, ranged.last_date) == (
            (dt.date(2026, 1, 4), dt.date(2026, 1, 20)) if not repeated_bad_value else
            (dt.date(2026, 1, 5), dt.date(2026, 1, 20)))
        duplicates = ("2 rows belong to settlement 333, already read from a settlement flat file; they were counted "
                      "as duplicates." if not repeated_bad_value else
                      "1 row belongs to settlement 333, already read from a settlement flat file; it was counted as "
                      "duplicate.")
        rejected = ('range.csv:3: column product sales has "2 5.00", expected an amount with at most two decimals '
                    "such as 12.34 or -6.38; the row was rejected. Check the file, or download the Date Range "
                    "transaction report again (Seller Central > Reports > Payments > Date Range Reports > Generate "
                    "Report (Transaction) > Download).")
        assert [str(p) for p in ranged.problems] == (
            [rejected, f"range.csv: {duplicates}"] if repeated_bad_value else [f"{ranged.file}: {duplicates}"])
        lines = result.datasets["transactions"].sort("order_id")
        assert lines.select("settlement_id", "order_id", "source_format", "amount").rows() == [
            ("333", "113-3", "settlement_v2", Decimal("25.00")), ("444", "113-5", "date_range", Decimal("25.00"))]
