"""Inputs that made false claims, false alarms or silent holes (issue 22, items 8, 11, 13, 14 and 15): date forms
a file mixes, CR line ends, files re-saved by a spreadsheet program, workbooks, pasted-together downloads and the
marketplace a folder is from. Every fixture is synthetic, written in Amazon's formats (report_formats.md)."""

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

RESAVED_HINT = ("Use Amazon's original download: download the Settlement flat file V2 again (Seller Central > Reports > "
                "Payments > All Statements > Download Flat File V2) and do not open and save it in a spreadsheet "
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
