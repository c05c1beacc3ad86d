"""Product titles on findings (issue 18 item 10): staff know products by name, not by SKU.

The loader keeps one title per SKU from the reports that print one; the run attaches it to every finding after the
detectors; the workbook, findings.json and findings.csv show it next to the SKU, as text, never as a formula.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import shutil
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from fba_audit.api import audit, with_titles
from fba_audit.detectors import columns_read
from fba_audit.findings import FINDINGS_COLUMNS, FINDINGS_SCHEMA
from fba_audit.reports import load_folder
from fba_audit.writers import write_all

FIXTURES = Path(__file__).resolve().parent / "fixtures"
REPORTS = FIXTURES / "reports"
DESK_MAT = FIXTURES / "detectors" / "FBA01" / "finds_seller_dims_smaller_tier" / "reports"
EVIL_TITLE = '=HYPERLINK("http://x","Desk Mat")'


def copy_reports(folder: Path, *names: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy(REPORTS / name, folder / name.replace("/", "_"))
    return folder


@pytest.mark.parametrize("compact", [False, True], ids=["full load", "compact load"])
def test_one_title_per_sku_from_the_most_trusted_report(tmp_path, compact):
    folder = copy_reports(tmp_path / "reports", "ledger_detail/ok_15col.txt", "customer_returns/ok.txt",
                          "reimbursements/ok.txt", "all_orders/ok.txt", "fee_preview/ok_us_2026.txt")
    result = load_folder(folder, columns=columns_read() if compact else None)
    assert result.titles.sort("sku").rows() == [
        ("LVA1004-UPC", "Air Pressure Mattress Pad"),  # only the returns report names it
        # The Fee Preview says "Travel Wallet", All Orders and returns "Widget": the Fee Preview is the listing now.
        ("SKU-1", "Travel Wallet"),
        ("SKU-2", "Travel Wallet"),  # the ledger's Title, over the reimbursement's product-name
    ]


def test_the_newest_download_gives_the_title(tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    text = (DESK_MAT / "fee_preview.txt").read_text(encoding="utf-8")
    for name, title, when in (("fee_preview_may.txt", "Desk Mat, Grey", 1_780_000_000),
                              ("fee_preview_june.txt", "Desk Mat, Grey, 80 x 30 cm", 1_782_000_000)):
        (folder / name).write_text(text.replace("Example item", title), encoding="utf-8")
        os.utime(folder / name, (when, when))
    assert load_folder(folder).titles.rows() == [("DESK-MAT", "Desk Mat, Grey, 80 x 30 cm")]


def test_findings_show_the_title_next_to_the_sku_as_text_in_every_output(tmp_path):
    folder = tmp_path / "reports"
    shutil.copytree(DESK_MAT, folder)
    preview = folder / "fee_preview.txt"
    preview.write_text(preview.read_text(encoding="utf-8").replace("Example item", EVIL_TITLE), encoding="utf-8")

    result = audit(folder, as_of=dt.date(2026, 5, 15), select=["FBA01"])
    assert result.findings.select("finding_id", "sku", "title").rows() == [
        ("FBA01:US:DESK-MAT:us-fba-fulfillment-2026:2026-03", "DESK-MAT", EVIL_TITLE)]

    paths = write_all(result, tmp_path / "out")
    (finding,) = json.loads(paths["json"].read_text(encoding="utf-8"))["findings"]
    assert (finding["sku"], finding["title"]) == ("DESK-MAT", EVIL_TITLE)  # JSON keeps text exactly
    assert list(finding)[5:7] == ["sku", "title"]
    with open(paths["csv"], encoding="utf-8", newline="") as handle:
        (row,) = csv.DictReader(handle)
    assert row["title"] == "'" + EVIL_TITLE  # a spreadsheet shows it as text
    sheet = openpyxl.load_workbook(paths["xlsx"])["FBA01"]
    headers = [cell.value for cell in sheet[1]]
    assert headers[headers.index("sku") + 1] == "title"
    title = sheet.cell(row=2, column=headers.index("title") + 1)
    assert (title.value, title.data_type) == (EVIL_TITLE, "s")


def test_the_workbook_in_chinese_names_the_title_column(tmp_path):
    result = audit(DESK_MAT, as_of=dt.date(2026, 5, 15), select=["FBA01"])
    paths = write_all(result, tmp_path / "out", lang="zh")
    headers = [cell.value for cell in openpyxl.load_workbook(paths["xlsx"])["FBA01"][1]]
    assert headers[headers.index("SKU") + 1] == "商品名称"
    assert openpyxl.load_workbook(paths["xlsx"])["FBA01"].cell(row=2, column=headers.index("SKU") + 2).value == (
        "Example item")


def test_with_titles_fills_only_what_the_detector_left_empty():
    def finding(finding_id: str, sku: str | None, title: str | None) -> dict:
        return {name: None for name in FINDINGS_COLUMNS} | {"finding_id": finding_id, "sku": sku, "title": title}

    findings = pl.DataFrame([finding("FBA02:B", "SKU-2", None), finding("FBA02:A", "SKU-1", "Named by the detector"),
                             finding("FBA04:C", None, None), finding("FBA02:D", "SKU-9", None)],
                            schema=FINDINGS_SCHEMA, orient="row")
    titles = pl.DataFrame({"sku": ["SKU-1", "SKU-2"], "title": ["Travel Wallet", "Desk Mat"]})
    assert with_titles(findings, titles).select("finding_id", "title").rows() == [
        ("FBA02:A", "Named by the detector"), ("FBA02:B", "Desk Mat"), ("FBA02:D", None), ("FBA04:C", None)]
    assert with_titles(findings, titles).columns == list(FINDINGS_COLUMNS)
