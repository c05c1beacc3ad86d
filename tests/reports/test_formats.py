"""Inputs that made false claims, false alarms or silent holes (issue 22, items 8, 11, 13, 14 and 15): date forms
a file mixes, CR line ends, files re-saved by a spreadsheet program, workbooks, pasted-together downloads and the
marketplace a folder is from. Every fixture is synthetic, written in Amazon's formats (docs/report-formats.md)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from fba_audit.reports import load_folder

V2_HEADER = ("settlement-id\tsettlement-start-date\tsettlement-end-date\tdeposit-date\ttotal-amount\tcurrency\t"
             "transaction-type\torder-id\tmerchant-order-id\tadjustment-id\tshipment-id\tmarketplace-name\t"
             "amount-type\tamount-description\tamount\tfulfillment-id\tposted-date\tposted-date-time\t"
             "order-item-code\tmerchant-order-item-id\tmerchant-adjustment-item-id\tsku\tquantity-purchased\t"
             "promotion-id")


def v2_line(kind: str, amount_type: str, description: str, amount: str, posted: str, posted_time: str,
            order: str = "", sku: str = "", settlement: str = "5481723011", market: str = "Amazon.com") -> str:
    """One transaction line of a settlement V2 file (24 columns)."""
    fulfillment = "AFN" if order else ""
    return "\t".join([settlement, "", "", "", "", "", kind, order, order, "", "", market if order else "",
                      amount_type, description, amount, fulfillment, posted, posted_time, "", "", "", sku,
                      "1" if amount_type == "ItemPrice" and description == "Principal" else "", ""])


def v2_file(total: str, lines: list[str], currency: str = "USD", settlement: str = "5481723011") -> str:
    summary = "\t".join([settlement, "2017-02-16 18:16:34 UTC", "2017-03-02 18:16:34 UTC",
                         "2017-03-04 18:16:34 UTC", total, currency] + [""] * 18)
    return "\n".join([V2_HEADER, summary, *lines]) + "\n"


# A 2017 US settlement V2 shaped like the genuine one of issue 22 item 13: every posted-date is 2017-03-02 but
# that of the Cost of Advertising line, written 2017-03-02T18:16:34+00:00 (ISO 8601 with an offset).
US_2017 = [
    v2_line("Order", "ItemPrice", "Principal", "529.99", "2017-03-02", "2017-03-02 10:01:02 UTC",
            "111-0000001-0000001", "SKU-A"),
    v2_line("Order", "ItemFees", "Commission", "-79.50", "2017-03-02", "2017-03-02 10:01:02 UTC",
            "111-0000001-0000001", "SKU-A"),
    v2_line("Order", "ItemFees", "FBAPerUnitFulfillmentFee", "-4.99", "2017-03-02", "2017-03-02 10:01:02 UTC",
            "111-0000001-0000001", "SKU-A"),
    v2_line("ServiceFee", "Cost of Advertising", "TransactionTotalAmount", "-501.28", "2017-03-02T18:16:34+00:00",
            "2017-03-02T18:16:34+00:00"),
]


def write(folder: Path, name: str, text: str, *, newline: str = "\n", encoding: str = "utf-8") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(text.replace("\n", newline).encode(encoding))
    return path


def problems(result) -> list[tuple[str, str]]:
    return [(p.severity, str(p)) for p in result.problems]


# ------------------------------------------------------------------------------ item 13: a date in another form

def test_a_settlement_line_dated_iso_8601_with_an_offset_is_read(tmp_path: Path) -> None:
    # 529.99 - 79.50 - 4.99 - 501.28 = -55.78: the line counts, and the settlement adds up.
    write(tmp_path, "5481723011.txt", v2_file("-55.78", US_2017))
    result = load_folder(tmp_path)
    assert problems(result) == []
    (summary,) = result.files
    assert (summary.rows_read, summary.rows_kept, summary.rows_rejected) == (5, 5, 0)
    lines = result.datasets["transactions"].sort("source_line")
    advertising = lines.filter(lines["amount_type"] == "Cost of Advertising").row(0, named=True)
    assert advertising["source_line"] == 6
    assert advertising["amount"] == Decimal("-501.28")
    assert advertising["posted_date"] == dt.date(2017, 3, 2)
    assert advertising["posted_at"] == dt.datetime(2017, 3, 2, 18, 16, 34, tzinfo=dt.timezone.utc)
    assert lines["posted_date"].to_list() == [dt.date(2017, 3, 2)] * 4


def test_a_bare_date_in_another_form_is_still_rejected(tmp_path: Path) -> None:
    # The second chance is for the forms Amazon writes: a day that does not exist is in none of them.
    rows = US_2017[:3] + [US_2017[3].replace("2017-03-02T18:16:34+00:00\t2017-03-02T18:16:34+00:00",
                                             "2017-02-30\t2017-03-02 18:16:34 UTC")]
    write(tmp_path, "s.txt", v2_file("-55.78", rows))
    result = load_folder(tmp_path)
    where = ("Check the file, or download the Settlement flat file V2 again (Seller Central > Reports > Payments > "
             "All Statements > Download Flat File V2).")
    assert problems(result) == [
        ("error", f's.txt:6: column posted-date has "2017-02-30", expected a date; the row was rejected. {where}'),
        ("warning", "s.txt:2: settlement 5481723011 has total-amount -55.78 but its rows add up to 445.50: line "
                    "s.txt:6 was rejected (see above), so its money is missing. Correct or re-download those "
                    "lines; until then the settlement's money is incomplete."),
    ]


def test_the_totals_warning_names_every_rejected_money_line(tmp_path: Path) -> None:
    rows = [US_2017[0].replace("529.99", "529,99x"), US_2017[1].replace("-79.50", "-79.505"), *US_2017[2:]]
    write(tmp_path, "s.txt", v2_file("-55.78", rows))
    result = load_folder(tmp_path)
    totals = [str(p) for p in result.problems if p.column == "total-amount"]
    assert totals == [
        "s.txt:2: settlement 5481723011 has total-amount -55.78 but its rows add up to -506.27: lines s.txt:3, "
        "s.txt:4 were rejected (see above), so their money is missing. Correct or re-download those lines; until "
        "then the settlement's money is incomplete."]


# --------------------------------------------------------------------------------- item 14: CR-only line ends

def test_a_settlement_with_cr_only_line_ends_is_read_whole(tmp_path: Path) -> None:
    write(tmp_path, "resaved.txt", v2_file("-55.78", US_2017), newline="\r")
    result = load_folder(tmp_path)
    assert problems(result) == []
    (summary,) = result.files
    assert (summary.kind, summary.rows_read, summary.rows_kept) == ("settlement_v2", 5, 5)
    assert result.datasets["transactions"].sort("source_line")["source_line"].to_list() == [3, 4, 5, 6]


def test_a_cp1252_file_with_cr_only_line_ends_is_read_whole(tmp_path: Path) -> None:
    text = v2_file("-55.78", [US_2017[0].replace("SKU-A", "SKU-Crème"), *US_2017[1:]])
    write(tmp_path, "resaved.txt", text, newline="\r", encoding="cp1252")
    result = load_folder(tmp_path)
    assert problems(result) == []
    skus = result.datasets["transactions"].sort("source_line")["sku"].to_list()
    assert skus == ["SKU-Crème", "SKU-A", "SKU-A", None]


def test_a_recognised_report_without_rows_is_a_problem(tmp_path: Path) -> None:
    write(tmp_path, "header_only.txt", V2_HEADER + "\n")
    result = load_folder(tmp_path)
    assert problems(result) == [(
        "warning", "header_only.txt: has the header of a Settlement flat file V2 report but no rows under it: "
                   "nothing was read from it. If nothing happened in the period it covers, that is expected; "
                   "otherwise download the report again (Seller Central > Reports > Payments > All Statements > "
                   "Download Flat File V2).")]


# --------------------------------------------------------------- item 11: workbooks and spreadsheet re-saves

RESAVED_HINT = ("Use Amazon's original download: download the Settlement flat file V2 again (Seller Central > "
                "Reports > Payments > All Statements > Download Flat File V2) and do not open and save it in a spreadsheet "
                "program.")
WORKBOOK_HINT = ("Put Amazon's original download of the report (.txt or .csv, as Seller Central gives it) in the "
                 "folder instead: fba-audit reads reports as Amazon writes them, and a workbook has lost Amazon's "
                 "exact values.")


def test_an_xlsx_workbook_is_named_for_what_it_is(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    for row in (V2_HEADER.split("\t"), *(line.split("\t") for line in US_2017)):
        book.active.append(row)
    book.save(tmp_path / "settlement.xlsx")
    (tmp_path / "settlement.xls").write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 504)
    result = load_folder(tmp_path)
    assert problems(result) == [
        ("error", f"settlement.xls: is an Excel 97-2003 workbook (.xls), not a text report; not read. {WORKBOOK_HINT}"),
        ("error", f"settlement.xlsx: is an Excel workbook (.xlsx), not a text report; not read. {WORKBOOK_HINT}"),
    ]
    assert all(f.header_cells == () for f in result.files)


def test_a_settlement_re_saved_by_excel_is_said_once_and_not_audited(tmp_path: Path) -> None:
    # Excel wrote the settlement id of every line as 5.48172E+09: the lines parse, with ids of no settlement.
    rows = [line.replace("5481723011\t", "5.48172E+09\t", 1) for line in US_2017]
    write(tmp_path, "resaved.txt", v2_file("-55.78", rows))
    result = load_folder(tmp_path)
    resaved = [(p.severity, str(p)) for p in result.problems if p.line is None]
    assert resaved == [(
        "error", 'resaved.txt: was re-saved by a spreadsheet program ("5.48172E+09" in column settlement-id (line '
                 "3), a value Amazon does not write there): its ids, dates and amounts may have been changed; not "
                 f"audited. {RESAVED_HINT}")]
    (summary,) = result.files
    assert (summary.rows_read, summary.rows_kept, summary.rows_rejected) == (5, 0, 5)
    assert result.datasets["transactions"].is_empty() and result.datasets["settlements"].is_empty()
    assert not result.has("transactions")


def test_short_dates_where_amazon_writes_iso_are_a_sign_of_a_re_save(tmp_path: Path) -> None:
    rows = [line.replace("\t2017-03-02\t", "\t3/2/2017\t") for line in US_2017[:3]]
    write(tmp_path, "resaved.txt", v2_file("445.50", rows))
    result = load_folder(tmp_path)
    assert [str(p) for p in result.problems if p.line is None] == [
        'resaved.txt: was re-saved by a spreadsheet program ("3/2/2017" in column posted-date (line 3), a value '
        "Amazon does not write there): its ids, dates and amounts may have been changed; not audited. "
        + RESAVED_HINT]


def test_a_semicolon_separated_report_is_a_re_save(tmp_path: Path) -> None:
    write(tmp_path, "resaved.txt", v2_file("-55.78", US_2017).replace("\t", ";"))
    result = load_folder(tmp_path)
    assert [str(p) for p in result.problems] == [
        "resaved.txt: was re-saved by a spreadsheet program (fields separated by semicolons, which Amazon does not "
        f"write): its ids, dates and amounts may have been changed; not audited. {RESAVED_HINT}"]


# ---------------------------------------------------------- item 15: Date Range downloads pasted together

DATE_RANGE_HEADER = (
    '"date/time","settlement id","type","order id","sku","description","quantity","marketplace","account type",'
    '"fulfillment","order city","order state","order postal","tax collection model","product sales",'
    '"product sales tax","shipping credits","shipping credits tax","gift wrap credits","giftwrap credits tax",'
    '"Regulatory Fee","Tax On Regulatory Fee","promotional rebates","promotional rebates tax",'
    '"marketplace withheld tax","selling fees","fba fees","other transaction fees","other","total"')


def date_range_line(when: str, settlement: str, kind: str, order: str, sales: str, selling: str, fba: str,
                    total: str, market: str = "amazon.com") -> str:
    fields = [when, settlement, kind, order, "SKU-1", "Widget", "1", market, "Standard Orders", "Amazon", "AUSTIN",
              "TX", "78701", "MarketplaceFacilitator", sales, "0", "0", "0", "0", "0", "0", "0", "0", "0", "0",
              selling, fba, "0", "0", total]
    return ",".join(f'"{f}"' for f in fields)


ORDER_1 = date_range_line("Jan 5, 2021 1:23:45 PM PST", "14000000001", "Order", "113-0000000-0000001", "25.00",
                          "-3.75", "-4.05", "17.20")
REFUND_1 = date_range_line("Jan 9, 2021 10:02:11 AM PST", "14000000001", "Refund", "113-0000000-0000001",
                           "-25.00", "3.00", "0", "-22.00")
ORDER_2 = date_range_line("Jan 10, 2021 8:00:00 AM PST", "14000000001", "Order", "113-0000000-0000002", "25.00",
                          "-3.75", "-4.05", "17.20")
ORDER_3 = date_range_line("Jan 12, 2021 9:30:00 AM PST", "14000000002", "Order", "113-0000000-0000003", "25.00",
                          "-3.75", "-4.05", "17.20")


def test_a_date_range_file_pasted_from_two_downloads_counts_each_line_once(tmp_path: Path) -> None:
    # Download 1 (Jan 5 to 10) and download 2 (Jan 9 to 12) pasted one under the other (lines 2-4, then 5-7): the
    # refund of Jan 9 and the order of Jan 10 are in both.
    write(tmp_path, "assembled.csv", "\n".join([DATE_RANGE_HEADER, ORDER_1, REFUND_1, ORDER_2,
                                                 REFUND_1, ORDER_2, ORDER_3]) + "\n")
    result = load_folder(tmp_path)
    assert problems(result) == [(
        "warning", "assembled.csv:5: looks assembled from several downloads pasted together (the date/time or "
                   "settlement id goes back at line 5; lines repeat in runs): 2 lines (5, 6) repeat lines of an "
                   "earlier part byte for byte and were counted as duplicates, so that no copied line counts twice. "
                   "Download the whole period as one Date Range report instead (Seller Central makes one for up to "
                   "365 days at a time), or keep each download as a file of its own: fba-audit merges overlapping "
                   "downloads.")]
    (summary,) = result.files
    assert (summary.rows_read, summary.rows_kept, summary.duplicates) == (6, 4, 2)
    assert sorted(result.datasets["transactions"]["source_line"].unique().to_list()) == [2, 3, 4, 7]


def test_the_copied_refund_makes_no_claim(tmp_path: Path) -> None:
    from fba_audit.api import audit

    write(tmp_path, "assembled.csv", "\n".join([DATE_RANGE_HEADER, ORDER_1, REFUND_1, ORDER_2,
                                                 REFUND_1, ORDER_2, ORDER_3]) + "\n")
    result = audit(tmp_path, as_of=dt.date(2021, 2, 1), select=["FBA03"])
    assert result.ran == ["FBA03"] and result.findings.is_empty()


def test_two_spellings_of_the_marketplace_are_named_among_the_signs(tmp_path: Path) -> None:
    # An older download writes Amazon.com; the two newer ones, which overlap on Jan 9 and 10, write amazon.com.
    older = date_range_line("Dec 5, 2019 1:00:00 PM PST", "12000000001", "Order", "113-0000000-0000009", "25.00",
                            "-3.75", "-4.05", "17.20", market="Amazon.com")
    write(tmp_path, "assembled.csv", "\n".join([DATE_RANGE_HEADER, older, ORDER_1, REFUND_1, ORDER_2, REFUND_1,
                                                 ORDER_3]) + "\n")
    result = load_folder(tmp_path)
    assert problems(result) == [(
        "warning", "assembled.csv:6: looks assembled from several downloads pasted together (the date/time or "
                   "settlement id goes back at line 6; the marketplace is written Amazon.com and amazon.com): line 6 "
                   "repeats a line of an earlier part byte for byte and was counted as a duplicate, so that no "
                   "copied line counts twice. Download the whole period as one Date Range report instead (Seller "
                   "Central makes one for up to 365 days at a time), or keep each download as a file of its own: "
                   "fba-audit merges overlapping downloads.")]


def test_identical_lines_amazon_writes_are_kept(tmp_path: Path) -> None:
    # One order item shipped in two parts posts two identical lines (in order, no jump back): two events.
    write(tmp_path, "one_download.csv", "\n".join([DATE_RANGE_HEADER, ORDER_1, ORDER_2, ORDER_2, ORDER_3]) + "\n")
    result = load_folder(tmp_path)
    assert problems(result) == []
    (summary,) = result.files
    assert (summary.rows_read, summary.rows_kept, summary.duplicates) == (4, 4, 0)


def test_a_download_listed_newest_first_keeps_its_identical_lines(tmp_path: Path) -> None:
    # The same download in the other order: the time never goes back against the file's own direction.
    write(tmp_path, "newest_first.csv", "\n".join([DATE_RANGE_HEADER, ORDER_3, ORDER_2, ORDER_2, REFUND_1,
                                                    ORDER_1]) + "\n")
    result = load_folder(tmp_path)
    assert problems(result) == []
    (summary,) = result.files
    assert (summary.rows_read, summary.rows_kept, summary.duplicates) == (5, 5, 0)


def test_a_file_name_with_glob_characters_is_read_whole(tmp_path: Path) -> None:
    # polars took "settlement [copy].txt" for a glob pattern that matched nothing: 0 rows, found only by the
    # no-rows warning.
    write(tmp_path, "settlement [copy].txt", v2_file("-55.78", US_2017))
    other = [line.replace("5481723011", "5481723012", 1) for line in US_2017]
    write(tmp_path, "settlement*?.txt", v2_file("-55.78", other, settlement="5481723012"))
    result = load_folder(tmp_path)
    assert problems(result) == []
    assert [(f.file, f.rows_read, f.rows_kept) for f in result.files] == [
        ("settlement [copy].txt", 5, 5), ("settlement*?.txt", 5, 5)]
