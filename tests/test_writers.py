"""The run's outputs: claims.xlsx read back cell by cell, findings.json and findings.csv compared exactly.

Workbooks are never compared as bytes: openpyxl stamps the save time into them (STYLE.md §12.6).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import zipfile
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
import polars as pl
import pytest

import fba_audit
from fba_audit.findings import FINDINGS_COLUMNS, FINDINGS_SCHEMA, Findings
from fba_audit.reports.model import FileSummary, LoadResult, Problem
from fba_audit.coverage import Coverage, Reason
from fba_audit.results import AuditResult, SkippedDetector
from fba_audit.writers import write_all
from fba_audit.writers.csv_out import defuse_formula, write_csv
from fba_audit.writers.excel import evidence_items, group_cases, write_workbook
from fba_audit.writers.i18n import EN, ZH, texts_for
from fba_audit.writers.json_out import write_json

AS_OF = dt.date(2026, 10, 31)
EVIL_SKU = '=HYPERLINK("http://x","y")'
EVIL_MESSAGE = "@SUM(A1) refunded\x01 without return"
EVIL_TITLE = '@Spoons, "Set" of 6'  # a product title is report text too
STAFF_COLUMNS = ["case_group", "filed_on", "case_id", "outcome", "notes"]
SHEET_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
CHART = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"


def finding(finding_id: str, **fields: object) -> dict[str, object]:
    """One valid finding; tests override only what their story needs."""
    code = finding_id.split(":")[0]
    event_date = fields.pop("event_date", dt.date(2026, 10, 1))
    row: dict[str, object] = {
        "finding_id": finding_id,
        "code": code,
        "status": "claimable",
        "marketplace": "US",
        "currency": "USD",
        "sku": "SKU-A",
        "title": "Measuring Spoons",
        "fnsku": "X00ABC123",
        "asin": "B000000001",
        "order_id": None,
        "shipment_id": None,
        "reference_id": None,
        "quantity": 1,
        "amount": Decimal("10.00"),
        "valuation_basis": "cost_file",
        "event_date": event_date,
        "window_opens": event_date + dt.timedelta(days=14),
        "window_closes": event_date + dt.timedelta(days=60),
        "confidence": "high",
        "message": f"{finding_id}: units lost in the warehouse, not reimbursed",
        "evidence": "ledger.tsv:10",
        "case_text": f"Please reimburse {finding_id}.",
    }
    row.update(fields)
    return row


def findings_frame(rows: list[dict[str, object]]) -> pl.DataFrame:
    frame = pl.DataFrame(rows, schema=FINDINGS_SCHEMA, orient="row")
    return Findings.validate(frame).sort("finding_id")


def fba02_lost(n: int, window_closes: dt.date, **fields: object) -> dict[str, object]:
    return finding(
        f"FBA02:US:X00ABC123:2118000100{n}", reference_id=f"2118000100{n}", window_closes=window_closes, **fields
    )


def audit_result(findings: pl.DataFrame) -> AuditResult:
    missing_quantity = Problem(
        file="reimbursements.tsv",
        line=14,
        column="quantity-reimbursed-total",
        value="=cmd|' /C calc'!A0",
        message='column quantity-reimbursed-total has "=cmd|\' /C calc\'!A0", expected a whole number.',
        hint="Re-download the Reimbursements report as tab-delimited text.",
    )
    unknown_column = Problem(
        file="ledger.tsv", line=None, column=None, value=None, message="unexpected column Foo", severity="warning"
    )
    files = [
        FileSummary(
            file="reimbursements.tsv",
            kind="reimbursements",
            datasets=("reimbursements",),
            encoding="utf-8",
            delimiter="\t",
            rows_read=20,
            rows_kept=18,
            duplicates=1,
            rows_rejected=1,
            first_date=dt.date(2026, 9, 1),
            last_date=dt.date(2026, 10, 30),
            problems=[missing_quantity],
        ),
        FileSummary(
            file="ledger.tsv",
            kind="inventory_ledger",
            datasets=("inventory_ledger",),
            encoding="cp1252",
            rows_read=5,
            rows_kept=5,
            problems=[unknown_column],
        ),
    ]
    return AuditResult(
        as_of=AS_OF,
        marketplace="US",
        findings=findings,
        ran=["FBA02", "FBA07", "FBA08"],
        skipped=[
            SkippedDetector(
                code="FBA05",
                name="return-not-restocked",
                reason="needs customer_returns: no FBA customer returns report in ./2026-10/",
                download="Reports > Fulfillment > Customer Returns",
            )
        ],
        load=LoadResult(datasets={}, files=files),
        coverage=[
            Coverage("FBA02", "warehouse-lost-damaged", "ran", "loss or damage adjustment", judged=9, findings=9),
            Coverage.did_not_run("FBA05", "return-not-restocked", "skipped",
                                 "needs customer_returns: no FBA customer returns report in ./2026-10/",
                                 "Reports > Fulfillment > Customer Returns"),
            Coverage("FBA07", "refund-without-return", "ran", "refund", judged=4, findings=2,
                     not_checked=(Reason("the files do not say who fulfilled the order", 2,
                                         ("=1+1 (SKU-A)", "111-2 (SKU-B)")),),
                     notes=("returns.tsv is taken to cover up to 2026-11-20",)),
        ],
    )


@pytest.fixture(scope="module")
def month() -> AuditResult:
    """A month with three detectors and every status.

    FBA02 X00ABC123: seven claimable losses (two closing within a week), plus one waiting and one expired;
    FBA07: one review finding full of formula-like report text and a control character, one claimable;
    FBA08: one inbound shipment with two short FNSKUs.
    """
    rows = [
        fba02_lost(1, dt.date(2026, 11, 3), amount=Decimal("1234.50")),
        fba02_lost(2, dt.date(2026, 11, 7)),
        *(fba02_lost(n, dt.date(2026, 12, n)) for n in range(3, 7)),
        fba02_lost(7, dt.date(2026, 12, 7), amount=None, valuation_basis="none"),
        finding(
            "FBA02:US:X00ZZZ999:21170000001",
            fnsku="X00ZZZ999",
            amount=Decimal("5.00"),
            status="expired",
            window_closes=dt.date(2026, 9, 30),
        ),
        finding(
            "FBA02:US:X00ABC123:21190000001",
            amount=Decimal("7.25"),
            status="waiting",
            event_date=dt.date(2026, 10, 27),
            window_opens=dt.date(2026, 11, 10),
            window_closes=dt.date(2027, 1, 10),
        ),
        finding(
            "FBA07:US:111-1234567-1234567:EVIL",
            status="review",
            sku=EVIL_SKU,
            title=EVIL_TITLE,
            fnsku="-2+3",
            asin="+1-555",
            order_id="111-1234567-1234567",
            reference_id="111-1234567-1234567",
            amount=None,
            valuation_basis="none",
            confidence="medium",
            window_closes=dt.date(2026, 11, 5),
            message=EVIL_MESSAGE,
            evidence="settlement.tsv:12; reimbursements.tsv:(no match)",
            case_text="Order 111-1234567-1234567 was refunded and not returned.",
        ),
        finding(
            "FBA07:US:111-7654321-7654321:SKU-B",
            sku="SKU-B",
            fnsku="X00FBA07",
            order_id="111-7654321-7654321",
            reference_id="111-7654321-7654321",
            amount=Decimal("15.00"),
            valuation_basis="order_refund",
            window_closes=dt.date(2026, 11, 10),
        ),
        *(
            finding(
                f"FBA08:US:FBA15ABCDEF:{fnsku}",
                fnsku=fnsku,
                shipment_id="FBA15ABCDEF",
                reference_id="FBA15ABCDEF",
                quantity=quantity,
                amount=amount,
                window_closes=dt.date(2027, 6, 30),
                evidence=f"shipments.tsv:{line}; ledger.tsv:{line + 1}",
            )
            for fnsku, quantity, amount, line in (
                ("X00SHIP01", 3, Decimal("20.00"), 2),
                ("X00SHIP02", 2, Decimal("30.00"), 4),
            )
        ),
    ]
    return audit_result(findings_frame(rows))


@pytest.fixture(scope="module")
def workbook_path(month: AuditResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_workbook(
        month,
        tmp_path_factory.mktemp("en") / "claims.xlsx",
        detector_titles={"FBA02": "Lost or damaged in the warehouse", "FBA07": "Refund without return"},
    )


@pytest.fixture(scope="module")
def workbook(workbook_path: Path) -> openpyxl.Workbook:
    return openpyxl.load_workbook(workbook_path)


@pytest.fixture(scope="module")
def zh_workbook_path(month: AuditResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_workbook(month, tmp_path_factory.mktemp("zh") / "claims.xlsx", lang="zh")


def values(ws) -> list[list[object]]:
    return [list(row) for row in ws.iter_rows(values_only=True)]


def column(ws, header: str) -> list[object]:
    """The items of one column: the rows the filter covers below the header (the total rows below are no items)."""
    headers = [cell.value for cell in ws[1]]
    index = headers.index(header)
    last = int(re.search(r"\d+$", ws.auto_filter.ref).group())
    return [row[index] for row in ws.iter_rows(min_row=2, max_row=last, values_only=True)]


# ---- i18n ----


def test_english_and_chinese_have_the_same_keys() -> None:
    assert EN.keys() == ZH.keys()
    assert all(ZH.values()), "every Chinese string is filled in"


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown language 'fr'"):
        texts_for("fr")


# ---- workbook structure ----


def test_sheet_names_in_english(workbook: openpyxl.Workbook) -> None:
    assert workbook.sheetnames == [
        "Summary", "Cases", "Follow up", "Expiring soon", "FBA02", "FBA07", "FBA08", "Expired",
        "Not checked", "Input problems", "Files", "Evidence",
    ]


def test_sheet_names_headers_statuses_and_dropdown_in_chinese(zh_workbook_path: Path) -> None:
    book = openpyxl.load_workbook(zh_workbook_path)
    assert book.sheetnames == [
        "汇总", "索赔案件", "跟进", "即将到期", "FBA02", "FBA07", "FBA08", "已过期", "未检查项", "输入问题", "输入文件",
        "证据",
    ]
    ws = book["FBA07"]
    headers = [cell.value for cell in ws[1]]
    assert headers[:4] == ["发现编号", "检测代码", "状态", "站点"]
    assert headers[-5:] == ["案件分组", "提交日期", "案件编号", "结果", "备注"]
    assert column(ws, "状态") == ["待审核", "可索赔"]  # review closes first
    # Amazon reads cases in English; the header says so.
    assert column(ws, "案件文本（英文）")[0] == "Order 111-1234567-1234567 was refunded and not returned."
    assert "英文" in ws.cell(row=1, column=FINDINGS_COLUMNS.index("case_text") + 1).comment.text
    assert ws.data_validations.dataValidation[0].formula1 == '"已提交,已赔付,被拒绝,不提交"'
    summary = book["汇总"]
    assert summary["A1"].value == "FBA 审计：亚马逊应付款项"
    assert summary["A6"].value == "现可索赔（按检测，尚未提交）"
    assert summary["F7"].value == "金额（USD）"
    # The detectors are explained in Chinese beside their codes.
    assert summary["A8"].value == "FBA02"
    assert summary["B8"].value == "商品在亚马逊运营中心丢失或损坏，既未找回也未获赔偿。"


def test_detector_sheet_has_every_field_then_staff_columns(workbook: openpyxl.Workbook) -> None:
    ws = workbook["FBA02"]
    assert [cell.value for cell in ws[1]] == [*FINDINGS_COLUMNS, *STAFF_COLUMNS]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:AA9"  # 27 columns, header + 8 findings
    # claimable (by window_closes), then waiting; the expired one is only summed up, on the Expired sheet
    assert column(ws, "finding_id") == [
        *(f"FBA02:US:X00ABC123:2118000100{n}" for n in range(1, 8)),
        "FBA02:US:X00ABC123:21190000001",
    ]
    assert column(ws, "status") == ["claimable"] * 7 + ["waiting"]


def test_detector_sheet_row_values_types_and_formats(workbook: openpyxl.Workbook) -> None:
    ws = workbook["FBA02"]
    first = {header.value: cell for header, cell in zip(ws[1], ws[2], strict=True)}
    assert {name: cell.value for name, cell in first.items()} == {
        "finding_id": "FBA02:US:X00ABC123:21180001001",
        "code": "FBA02",
        "status": "claimable",
        "marketplace": "US",
        "currency": "USD",
        "sku": "SKU-A",
        "title": "Measuring Spoons",
        "fnsku": "X00ABC123",
        "asin": "B000000001",
        "order_id": None,
        "shipment_id": None,
        "reference_id": "21180001001",
        "quantity": 1,
        "amount": 1234.5,
        "valuation_basis": "cost_file",
        "event_date": dt.datetime(2026, 10, 1),
        "window_opens": dt.datetime(2026, 10, 15),
        "window_closes": dt.datetime(2026, 11, 3),
        "confidence": "high",
        "message": "FBA02:US:X00ABC123:21180001001: units lost in the warehouse, not reimbursed",
        "evidence": "ledger.tsv:10",
        "case_text": "Please reimburse FBA02:US:X00ABC123:21180001001.",
        "case_group": "FBA02-X00ABC123-1",
        "filed_on": None,
        "case_id": None,
        "outcome": None,
        "notes": None,
    }
    assert first["amount"].number_format == "#,##0.00"
    for name in ("event_date", "window_opens", "window_closes", "filed_on"):
        assert first[name].number_format == "yyyy-mm-dd"
    assert first["event_date"].is_date
    assert first["case_text"].alignment.wrap_text
    # A null amount stays empty, not zero.
    assert column(ws, "amount")[6] is None
    assert ws.column_dimensions["A"].width == len("FBA02:US:X00ABC123:21180001001") + 2
    assert ws.column_dimensions["T"].width == 50  # message: capped
    assert ws.column_dimensions["V"].width == 80  # case_text: wrapped


def test_outcome_dropdown_lists_the_staff_outcomes(workbook: openpyxl.Workbook) -> None:
    ws = workbook["FBA02"]
    (dropdown,) = ws.data_validations.dataValidation
    assert dropdown.type == "list"
    assert dropdown.formula1 == '"filed,reimbursed,denied,not filing"'
    assert str(dropdown.sqref) == "Z2:Z9"
    assert ws["Z1"].value == "outcome"


# ---- safety ----


def test_report_text_is_never_a_formula(workbook_path: Path, workbook: openpyxl.Workbook) -> None:
    ws = workbook["FBA07"]
    evil = {header.value: cell for header, cell in zip(ws[1], ws[2], strict=True)}
    assert evil["sku"].value == EVIL_SKU
    assert evil["fnsku"].value == "-2+3"
    assert evil["asin"].value == "+1-555"
    assert evil["title"].value == EVIL_TITLE
    for name in ("sku", "title", "fnsku", "asin", "message"):
        assert evil[name].data_type == "s"
    assert workbook["Input problems"]["D2"].value == "=cmd|' /C calc'!A0"
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula"
    # And in the file itself: no worksheet holds a formula element.
    with zipfile.ZipFile(workbook_path) as archive:
        sheet_parts = [name for name in archive.namelist() if name.startswith("xl/worksheets/sheet")]
        assert len(sheet_parts) == 12
        for part in sheet_parts:
            tree = ElementTree.fromstring(archive.read(part))
            assert tree.find(f".//{SHEET_MAIN}f") is None, part


def test_control_characters_are_replaced_visibly(workbook: openpyxl.Workbook) -> None:
    assert column(workbook["FBA07"], "message")[0] == "@SUM(A1) refunded\ufffd without return"


def test_formula_like_status_words_and_error_codes_stay_text(tmp_path: Path) -> None:
    # "#N/A" would otherwise be stored as an Excel error value.
    result = audit_result(findings_frame([finding("FBA02:US:X:1", sku="#N/A", message="=1+1")]))
    ws = openpyxl.load_workbook(write_workbook(result, tmp_path / "claims.xlsx"))["FBA02"]
    assert (ws["F2"].value, ws["F2"].data_type) == ("#N/A", "s")
    assert (ws["T2"].value, ws["T2"].data_type) == ("=1+1", "s")


# ---- cases ----


def test_seven_claimable_findings_of_one_fnsku_make_cases_of_five_and_two(month: AuditResult) -> None:
    cases = group_cases(month.findings, per_case=5)
    assert [(case.label, len(case.findings)) for case in cases] == [
        ("FBA02-X00ABC123-1", 5),
        ("FBA02-X00ABC123-2", 2),
        ("FBA07-X00FBA07-1", 1),
        ("FBA08-FBA15ABCDEF-1", 2),
    ]
    # Nearest deadline first, so the first case is the urgent one.
    assert [row["finding_id"][-1] for row in cases[0].findings] == ["1", "2", "3", "4", "5"]


def test_cases_group_inbound_codes_by_shipment_and_fall_back_when_the_id_is_missing() -> None:
    frame = findings_frame([
        finding("FBA04:US:FBA15X:A", fnsku="A1", shipment_id="FBA15X"),
        finding("FBA04:US:FBA15X:B", fnsku="B1", shipment_id="FBA15X"),
        finding("FBA10:US:SKU-Z", fnsku=None, sku="SKU-Z"),
        finding("FBA10:US:REF", fnsku=None, sku=None, reference_id="REF-1"),
        finding("FBA10:US:REVIEW", status="review"),
    ])
    assert [(case.label, len(case.findings)) for case in group_cases(frame, per_case=1)] == [
        ("FBA04-FBA15X-1", 1),
        ("FBA04-FBA15X-2", 1),
        ("FBA10-REF-1-1", 1),
        ("FBA10-SKU-Z-1", 1),
    ]


def test_a_case_holds_findings_of_one_marketplace() -> None:
    """A case is filed in one marketplace's Seller Central: in a folder of several marketplaces the same FNSKU lost
    in the UK and in Germany makes two cases, labelled with their marketplace (docs/monthly-run.md)."""
    frame = findings_frame([
        finding("FBA02:UK:X00ABC123:1", marketplace="UK", currency="GBP"),
        finding("FBA02:DE:X00ABC123:1", marketplace="DE", currency="EUR"),
        finding("FBA02:DE:X00ABC123:2", marketplace="DE", currency="EUR"),
    ])
    assert [(case.label, case.marketplace, [f["finding_id"] for f in case.findings])
            for case in group_cases(frame, per_case=5)] == [
        ("FBA02-DE-X00ABC123-1", "DE", ["FBA02:DE:X00ABC123:1", "FBA02:DE:X00ABC123:2"]),
        ("FBA02-UK-X00ABC123-1", "UK", ["FBA02:UK:X00ABC123:1"]),
    ]


def test_per_case_below_one_is_refused(month: AuditResult) -> None:
    with pytest.raises(ValueError, match="per_case must be at least 1"):
        group_cases(month.findings, per_case=0)


def test_cases_sheet_has_one_row_per_case(workbook: openpyxl.Workbook) -> None:
    ws = workbook["Cases"]
    assert values(ws)[0] == [
        "case_group", "code", "findings", "units", "value", "currency", "earliest deadline",
        "reference_ids", "finding_ids", "case_text", "Seller Central", "sku", "fnsku", "asin", "filed_on", "case_id",
        "outcome", "notes",
    ]
    assert [row[:8] for row in values(ws)[1:-1]] == [
        ["FBA02-X00ABC123-1", "FBA02", 5, 5, 1274.5, "USD", dt.datetime(2026, 11, 3),
         "21180001001, 21180001002, 21180001003, 21180001004, 21180001005"],
        ["FBA02-X00ABC123-2", "FBA02", 2, 2, 10, "USD", dt.datetime(2026, 12, 6), "21180001006, 21180001007"],
        ["FBA07-X00FBA07-1", "FBA07", 1, 1, 15, "USD", dt.datetime(2026, 11, 10), "111-7654321-7654321"],
        ["FBA08-FBA15ABCDEF-1", "FBA08", 2, 5, 50, "USD", dt.datetime(2027, 6, 30), "FBA15ABCDEF"],
    ]
    second = values(ws)[2]
    assert second[8] == "FBA02:US:X00ABC123:21180001006\nFBA02:US:X00ABC123:21180001007"
    assert second[9] == (
        "Please reimburse FBA02:US:X00ABC123:21180001006.\n\nPlease reimburse FBA02:US:X00ABC123:21180001007."
    )
    assert ws["E2"].number_format == "#,##0.00"
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:R5"
    # Below the cases (outside the filter): how many cases, findings and units, and the value in the one currency.
    assert values(ws)[-1] == ["Total: 4 rows", None, 10, 13, 1349.5, "USD", None, None, None, None, None,
                              None, None, None, None, None, None, None]
    # The item ids staff need in the case form, and the staff columns, empty until staff file the case.
    assert second[11:] == ["SKU-A", "X00ABC123", "B000000001", None, None, None, None]


def test_case_group_is_written_only_for_claimable_findings(workbook: openpyxl.Workbook) -> None:
    fba02_groups = column(workbook["FBA02"], "case_group")
    assert fba02_groups == ["FBA02-X00ABC123-1"] * 5 + ["FBA02-X00ABC123-2"] * 2 + [None]
    assert column(workbook["FBA07"], "case_group") == [None, "FBA07-X00FBA07-1"]


def test_expiring_soon_lists_open_findings_closing_within_seven_days(workbook: openpyxl.Workbook) -> None:
    rows = values(workbook["Expiring soon"])
    assert rows[0] == [
        "finding_id", "code", "status", "window_closes", "days left", "reference_id", "sku", "fnsku",
        "quantity", "amount", "currency", "case_group", "message",
    ]
    # 2026-11-10 (10 days) is out; the expired and waiting findings are out; the 7th day is in.
    assert [(row[0], row[2], row[4], row[11]) for row in rows[1:-1]] == [
        ("FBA02:US:X00ABC123:21180001001", "claimable", 3, "FBA02-X00ABC123-1"),
        ("FBA07:US:111-1234567-1234567:EVIL", "review", 5, None),
        ("FBA02:US:X00ABC123:21180001002", "claimable", 7, "FBA02-X00ABC123-1"),
    ]


# ---- summary ----


def test_summary_totals_by_detector_and_status(workbook: openpyxl.Workbook) -> None:
    ws = workbook["Summary"]
    assert values(ws) == [
        ["FBA audit: money Amazon owes", None, None, None, None, None],
        ["As of", dt.datetime(2026, 10, 31), None, None, None, None],
        ["Marketplace", "US", None, None, None, None],
        ["Generated by", f"fba-audit {fba_audit.__version__}", None, None, None, None],
        [None] * 6,
        ["Claimable now, by detector (not filed yet)", None, None, None, None, None],
        ["code", "detector", "findings", "units", "not valued", "value USD"],
        ["FBA02", "Lost or damaged in the warehouse", 7, 7, 1, 1284.5],
        ["FBA07", "Refund without return", 1, 1, 0, 15],
        ["FBA08", None, 2, 5, 0, 50],
        ["Total", None, 10, 13, 1, 1349.5],
        [None] * 6,
        ["All findings, by status", None, None, None, None, None],
        [None, "status", "findings", "units", "not valued", "value USD"],
        ["Claimable now", "claimable", 10, 13, 1, 1349.5],
        ["Needs review before filing", "review", 1, 1, 1, None],
        ["Waiting for the window to open", "waiting", 1, 1, 0, 7.25],
        ["Lost: window expired", "expired", 1, 1, 0, 5],
        [None] * 6,
        ["Key dates", None, None, None, None, None],
        ["Nearest deadline (claimable or review)", dt.datetime(2026, 11, 3), "FBA02:US:X00ABC123:21180001001",
         None, None, None],
        ["Earliest waiting window opens", dt.datetime(2026, 11, 10), "FBA02:US:X00ABC123:21190000001",
         None, None, None],
    ]
    assert ws["F8"].number_format == "#,##0.00"
    assert ws["B2"].is_date


def test_summary_has_a_bar_chart_of_claimable_value(workbook_path: Path, workbook: openpyxl.Workbook) -> None:
    (chart,) = workbook["Summary"]._charts
    assert chart.tagname == "barChart"
    with zipfile.ZipFile(workbook_path) as archive:
        chart_xml = ElementTree.fromstring(archive.read("xl/charts/chart1.xml"))
    references = [element.text for element in chart_xml.iter(f"{CHART}f")]
    # One series (USD): titled by its header cell, over the three detector rows, labelled by their codes.
    assert references == ["'Summary'!F7", "'Summary'!$A$8:$A$10", "'Summary'!$F$8:$F$10"]


def test_summary_without_findings_says_none_and_has_no_chart(tmp_path: Path) -> None:
    result = audit_result(findings_frame([]))
    book = openpyxl.load_workbook(write_all(result, tmp_path)["xlsx"])
    assert book.sheetnames == ["Summary", "Cases", "Follow up", "Expiring soon", "Expired", "Not checked",
                               "Input problems", "Files", "Evidence"]
    assert values(book["Expired"]) == [
        ["code", "detector", "deadline month", "findings", "units", "not valued", "value", "currency"],
        ["Total: 0 rows", None, None, 0, 0, 0, None, None]]
    summary = book["Summary"]
    assert summary._charts == []
    assert [row[:2] for row in values(summary)[-2:]] == [
        ["Nearest deadline (claimable or review)", "none"],
        ["Earliest waiting window opens", "none"],
    ]
    assert values(book["Cases"])[1:] == [["Total: 0 rows", None, 0, 0, None, None, None, None, None, None, None,
                                          None, None, None, None, None, None, None]]
    assert book["Cases"].auto_filter.ref == "A1:R1"


# ---- expired findings and Excel's row limit ----


def test_expired_sheet_adds_up_what_late_filing_cost(workbook: openpyxl.Workbook) -> None:
    # The month's one expired finding: FBA02 X00ZZZ999, 1 unit, 5.00 USD, window closed 2026-09-30.
    assert values(workbook["Expired"]) == [
        ["code", "detector", "deadline month", "findings", "units", "not valued", "value", "currency"],
        ["FBA02", "Lost or damaged in the warehouse", "2026-09", 1, 1, 0, 5.0, "USD"],
        ["Total: 1 row", None, None, 1, 1, 0, 5.0, "USD"],
    ]
    assert "findings.csv and findings.json" in workbook["Expired"]["D1"].comment.text
    # The Summary still counts it among all findings by status.
    summary = {row[0]: row[1:] for row in workbook["Summary"].iter_rows(values_only=True) if row and row[0]}
    assert summary["Lost: window expired"][:5] == ("expired", 1, 1, 0, 5.0)


def test_expired_findings_are_summed_per_detector_and_month_and_a_filed_one_stays_listed(tmp_path: Path) -> None:
    from fba_audit.ledger.view import StaffEntry
    from fba_audit.writers import Outputs

    def expired(finding_id: str, closes: dt.date, **fields: object) -> dict[str, object]:
        return finding(finding_id, status="expired", window_closes=closes, **fields)

    rows = [
        expired("FBA02:US:X00A:1", dt.date(2026, 8, 3), amount=Decimal("3.00")),
        expired("FBA02:US:X00A:2", dt.date(2026, 8, 31), amount=Decimal("4.50"), quantity=2),
        expired("FBA02:US:X00A:3", dt.date(2026, 9, 1), amount=None, valuation_basis="none"),
        expired("FBA07:US:111-1:S", dt.date(2026, 8, 15), amount=Decimal("12.00"), quantity=2),
        expired("FBA07:US:111-2:S", dt.date(2026, 8, 16), amount=Decimal("0.01")),  # filed: stays on FBA07
        finding("FBA07:US:111-3:S", window_closes=dt.date(2026, 11, 20)),
    ]
    result = audit_result(findings_frame(rows))
    staff = {"FBA07:US:111-2:S": StaffEntry(filed_on=dt.date(2026, 8, 10), case_id="12345678901")}
    with Outputs(tmp_path, staff=staff) as outputs:
        for code in ("FBA07", "FBA02"):
            outputs.add(code, result.findings.filter(pl.col("code") == code))
        written = outputs.finish(result)
    book = openpyxl.load_workbook(written["xlsx"])
    assert book.sheetnames == ["Summary", "Cases", "Follow up", "Expiring soon", "FBA07", "Expired", "Not checked",
                               "Input problems", "Files", "Evidence"]
    assert values(book["Expired"])[1:] == [
        ["FBA02", None, "2026-08", 2, 3, 0, 7.5, "USD"],
        ["FBA02", None, "2026-09", 1, 1, 1, None, "USD"],
        ["FBA07", None, "2026-08", 1, 2, 0, 12.0, "USD"],
        ["Total: 3 rows", None, None, 4, 6, 1, 19.5, "USD"],
    ]
    fba07 = book["FBA07"]
    assert column(fba07, "finding_id") == ["FBA07:US:111-3:S", "FBA07:US:111-2:S"]
    assert column(fba07, "case_id") == [None, "12345678901"]
    assert sorted({row[0] for row in values(book["Evidence"])[1:-1]}) == ["FBA07:US:111-2:S", "FBA07:US:111-3:S"]
    # findings.csv and findings.json list every finding.
    assert len(json.loads(written["json"].read_text(encoding="utf-8"))["findings"]) == 6
    assert written["csv"].read_bytes().count(b"\r\n") == 1 + 6


def test_a_sheet_longer_than_excel_allows_leaves_the_rest_to_the_csv_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Excel's limit is 1,048,576 rows; 8 here, so that 10 findings do not fit: header, 5 findings, total, note.
    monkeypatch.setattr("fba_audit.writers.excel.EXCEL_MAX_ROWS", 8)
    rows = [fba02_lost(n, dt.date(2026, 11, 10 + n), evidence=f"ledger.tsv:{n}") for n in range(10)]
    ws = openpyxl.load_workbook(write_workbook(audit_result(findings_frame(rows)), tmp_path / "claims.xlsx"))["FBA02"]
    assert ws.max_row == 8
    assert column(ws, "finding_id") == [f"FBA02:US:X00ABC123:2118000100{n}" for n in range(5)]
    assert ws.auto_filter.ref == "A1:AA6"
    at = {name: FINDINGS_COLUMNS.index(name) for name in ("quantity", "amount")}
    total, note = last_rows(ws, 2)
    # The totals still add up all ten.
    assert (total[0], total[at["quantity"]], total[at["amount"]]) == ("Total: 10 rows", 10, 100.0)
    assert note == ["Only the first 5 of 10 rows fit in an Excel sheet: the other 5 are in findings.csv and "
                    "findings.json.", *[None] * (len(note) - 1)]
    outcome = header_letter(ws, "outcome")
    assert str(ws.data_validations.dataValidation[0].sqref) == f"{outcome}2:{outcome}6"


def test_a_sheet_at_excels_limit_exactly_has_no_note(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("fba_audit.writers.excel.EXCEL_MAX_ROWS", 8)
    rows = [fba02_lost(n, dt.date(2026, 11, 10 + n)) for n in range(6)]  # header, 6 findings, total: 8 rows
    ws = openpyxl.load_workbook(write_workbook(audit_result(findings_frame(rows)), tmp_path / "claims.xlsx"))["FBA02"]
    assert ws.max_row == 8
    assert len(column(ws, "finding_id")) == 6
    assert last_rows(ws, 1)[0][0] == "Total: 6 rows"


# ---- the other sheets ----


def test_not_checked_problems_and_files_sheets(workbook: openpyxl.Workbook) -> None:
    assert values(workbook["Not checked"]) == [
        ["code", "name", "ran", "one item is", "items judged", "findings", "reason", "not checked",
         "items not checked", "how the reports were read", "what to download"],
        ["FBA02", "warehouse-lost-damaged", "ran", "loss or damage adjustment", 9, 9, None, 0, None, None, None],
        ["FBA05", "return-not-restocked", "skipped: a report is missing", None, None, None,
         "needs customer_returns: no FBA customer returns report in ./2026-10/", None, None, None,
         "Reports > Fulfillment > Customer Returns"],
        # Report text stays text: "=1+1 ..." is not a formula.
        ["FBA07", "refund-without-return", "ran", "refund", 4, 2, "the files do not say who fulfilled the order", 2,
         "=1+1 (SKU-A), 111-2 (SKU-B)", "returns.tsv is taken to cover up to 2026-11-20", None],
        # Items judged are not added up: one detector's items are not another's.
        ["Total: 3 rows", None, None, None, None, None, None, 2, None, None, None],
    ]
    assert values(workbook["Input problems"]) == [
        ["file", "line", "column", "value", "message", "hint", "severity"],
        ["reimbursements.tsv", 14, "quantity-reimbursed-total", "=cmd|' /C calc'!A0",
         'column quantity-reimbursed-total has "=cmd|\' /C calc\'!A0", expected a whole number.',
         "Re-download the Reimbursements report as tab-delimited text.", "error"],
        ["ledger.tsv", None, None, None, "unexpected column Foo", None, "warning"],
        ["Total: 2 rows", None, None, None, None, None, None],
    ]
    assert values(workbook["Files"]) == [
        ["file", "report kind", "rows read", "rows kept", "duplicates", "rows rejected", "first date", "last date",
         "encoding"],
        ["reimbursements.tsv", "reimbursements", 20, 18, 1, 1, dt.datetime(2026, 9, 1), dt.datetime(2026, 10, 30),
         "utf-8"],
        ["ledger.tsv", "inventory_ledger", 5, 5, 0, 0, None, None, "cp1252"],
        ["Total: 2 rows", None, 25, 23, 1, 1, None, None, None],
    ]
    for sheet in ("Not checked", "Input problems", "Files", "Evidence"):
        assert workbook[sheet].freeze_panes == "A2"


def test_evidence_sheet_has_one_row_per_evidence_item(workbook: openpyxl.Workbook) -> None:
    rows = values(workbook["Evidence"])
    assert rows[0] == ["finding_id", "code", "file", "line", "report row"]
    # Expired findings are not in the workbook one by one, nor their evidence: FBA02:US:X00ZZZ999:21170000001 is not.
    assert len(rows) == 1 + 11 + 2 * 2 + 1
    assert "FBA02:US:X00ZZZ999:21170000001" not in [row[0] for row in rows]
    # The result holds no loaded rows, so there is no report row to show beside file:line.
    assert [row for row in rows[1:-1] if row[1] != "FBA02"] == [
        ["FBA07:US:111-1234567-1234567:EVIL", "FBA07", "settlement.tsv", 12, None],
        ["FBA07:US:111-1234567-1234567:EVIL", "FBA07", "reimbursements.tsv:(no match)", None, None],
        ["FBA07:US:111-7654321-7654321:SKU-B", "FBA07", "ledger.tsv", 10, None],
        ["FBA08:US:FBA15ABCDEF:X00SHIP01", "FBA08", "shipments.tsv", 2, None],
        ["FBA08:US:FBA15ABCDEF:X00SHIP01", "FBA08", "ledger.tsv", 3, None],
        ["FBA08:US:FBA15ABCDEF:X00SHIP02", "FBA08", "shipments.tsv", 4, None],
        ["FBA08:US:FBA15ABCDEF:X00SHIP02", "FBA08", "ledger.tsv", 5, None],
    ]
    assert rows[-1] == ["Total: 15 rows", None, None, None, None]


def test_evidence_items_split_only_at_a_numeric_line() -> None:
    assert evidence_items("ledger.tsv:10; C:\\reports\\x.tsv;reimbursements.tsv:(no match); ") == [
        ("ledger.tsv", 10),
        ("C:\\reports\\x.tsv", None),
        ("reimbursements.tsv:(no match)", None),
    ]


# ---- JSON and CSV ----


@pytest.fixture
def two_findings() -> AuditResult:
    return audit_result(
        findings_frame([
            finding("FBA07:US:111-1:EVIL", sku=EVIL_SKU, title=EVIL_TITLE, fnsku="-2+3", asin=None, amount=None,
                    valuation_basis="none", status="review", message=EVIL_MESSAGE, case_text="Refund\rno return."),
            finding("FBA02:US:X00ABC123:1", amount=Decimal("1234.50"), quantity=3, reference_id="1"),
        ])
    )


def test_json_is_exact(two_findings: AuditResult, tmp_path: Path) -> None:
    document = json.loads(write_json(two_findings, tmp_path / "findings.json").read_text(encoding="utf-8"))
    skipped = [
        {"code": "FBA05", "name": "return-not-restocked",
         "reason": "needs customer_returns: no FBA customer returns report in ./2026-10/",
         "download": "Reports > Fulfillment > Customer Returns"},
    ]
    coverage = [
        {"code": "FBA02", "name": "warehouse-lost-damaged", "status": "ran", "item": "loss or damage adjustment",
         "judged": 9, "findings": 9, "not_checked": 0, "reasons": [], "notes": [], "download": ""},
        {"code": "FBA05", "name": "return-not-restocked", "status": "skipped", "item": "", "judged": None,
         "findings": 0, "not_checked": None,
         "reasons": [{"reason": "needs customer_returns: no FBA customer returns report in ./2026-10/",
                      "count": None, "items": []}],
         "notes": [], "download": "Reports > Fulfillment > Customer Returns"},
        {"code": "FBA07", "name": "refund-without-return", "status": "ran", "item": "refund", "judged": 4,
         "findings": 2, "not_checked": 2,
         "reasons": [{"reason": "the files do not say who fulfilled the order", "count": 2,
                      "items": ["=1+1 (SKU-A)", "111-2 (SKU-B)"]}],
         "notes": ["returns.tsv is taken to cover up to 2026-11-20"], "download": ""},
    ]
    assert document == {
        "as_of": "2026-10-31",
        "generated_by": f"fba-audit {fba_audit.__version__}",
        "marketplace": "US",
        # One block per marketplace audited: one here. Money per status in each currency, never added across.
        "marketplaces": [{
            "marketplace": "US", "currency": "USD", "findings": 2,
            "by_status": {
                "claimable": {"findings": 1, "units": 3, "value": {"USD": "1234.50"}},
                "review": {"findings": 1, "units": 1, "value": {}},
                "waiting": {"findings": 0, "units": 0, "value": {}},
                "expired": {"findings": 0, "units": 0, "value": {}},
            },
            "recovered": None,
            "skipped": skipped,
            "coverage": coverage,
        }],
        "findings": [
            {
                "finding_id": "FBA02:US:X00ABC123:1", "code": "FBA02", "status": "claimable", "marketplace": "US",
                "currency": "USD", "sku": "SKU-A", "title": "Measuring Spoons", "fnsku": "X00ABC123",
                "asin": "B000000001", "order_id": None,
                "shipment_id": None, "reference_id": "1", "quantity": 3, "amount": "1234.50",
                "valuation_basis": "cost_file", "event_date": "2026-10-01", "window_opens": "2026-10-15",
                "window_closes": "2026-11-30", "confidence": "high",
                "message": "FBA02:US:X00ABC123:1: units lost in the warehouse, not reimbursed",
                "evidence": "ledger.tsv:10", "case_text": "Please reimburse FBA02:US:X00ABC123:1.",
                "case": None, "first_seen": None,
            },
            {
                "finding_id": "FBA07:US:111-1:EVIL", "code": "FBA07", "status": "review", "marketplace": "US",
                "currency": "USD", "sku": EVIL_SKU, "title": EVIL_TITLE, "fnsku": "-2+3", "asin": None,
                "order_id": None,
                "shipment_id": None, "reference_id": None, "quantity": 1, "amount": None,
                "valuation_basis": "none", "event_date": "2026-10-01", "window_opens": "2026-10-15",
                "window_closes": "2026-11-30", "confidence": "high", "message": EVIL_MESSAGE,
                "evidence": "ledger.tsv:10", "case_text": "Refund\rno return.",
                "case": None, "first_seen": None,
            },
        ],
        # Without a claim ledger (a library call): nothing to follow up, no recovery figures.
        "follow_up": [],
        "recovered": None,
        "skipped": skipped,
        "coverage": coverage,
        "input_problems": [
            {"file": "reimbursements.tsv", "line": 14, "column": "quantity-reimbursed-total",
             "value": "=cmd|' /C calc'!A0",
             "message": 'column quantity-reimbursed-total has "=cmd|\' /C calc\'!A0", expected a whole number.',
             "hint": "Re-download the Reimbursements report as tab-delimited text.", "severity": "error"},
            {"file": "ledger.tsv", "line": None, "column": None, "value": None, "message": "unexpected column Foo",
             "hint": "", "severity": "warning"},
        ],
        "files": [
            {"file": "reimbursements.tsv", "kind": "reimbursements", "title": None, "datasets": ["reimbursements"],
             "encoding": "utf-8", "delimiter": "\t", "rows_read": 20, "rows_kept": 18, "duplicates": 1,
             "rows_rejected": 1, "first_date": "2026-09-01", "last_date": "2026-10-30"},
            {"file": "ledger.tsv", "kind": "inventory_ledger", "title": None, "datasets": ["inventory_ledger"],
             "encoding": "cp1252", "delimiter": None, "rows_read": 5, "rows_kept": 5, "duplicates": 0,
             "rows_rejected": 0, "first_date": None, "last_date": None},
        ],
    }
    # Key order is part of the format.
    assert list(document) == ["as_of", "generated_by", "marketplace", "marketplaces", "findings", "follow_up",
                              "recovered", "skipped", "coverage", "input_problems", "files"]
    assert list(document["findings"][0]) == [*FINDINGS_COLUMNS, "case", "first_seen"]


def test_csv_is_exact_and_defuses_formulas(two_findings: AuditResult, tmp_path: Path) -> None:
    # Bytes, not read_text(): universal newlines would hide the line ends.
    written = write_csv(two_findings, tmp_path / "findings.csv").read_bytes()
    assert written.startswith(b"\xef\xbb\xbf")
    text = written.decode("utf-8-sig")
    assert text == (
        ",".join(FINDINGS_COLUMNS) + "\r\n"
        "FBA02:US:X00ABC123:1,FBA02,claimable,US,USD,SKU-A,Measuring Spoons,X00ABC123,B000000001,,,1,3,1234.50,"
        "cost_file,"
        "2026-10-01,2026-10-15,2026-11-30,high,"
        '"FBA02:US:X00ABC123:1: units lost in the warehouse, not reimbursed",'
        "ledger.tsv:10,Please reimburse FBA02:US:X00ABC123:1.\r\n"
        "FBA07:US:111-1:EVIL,FBA07,review,US,USD,\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\","
        "\"'@Spoons, \"\"Set\"\" of 6\",'-2+3,,,,,1,,none,"
        "2026-10-01,2026-10-15,2026-11-30,high,'@SUM(A1) refunded\x01 without return,ledger.tsv:10,"
        '"Refund\rno return."\r\n'
    )
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert rows[0]["amount"] == "1234.50"
    assert rows[1]["sku"] == "'" + EVIL_SKU
    assert rows[1]["title"] == "'" + EVIL_TITLE
    assert rows[1]["case_text"] == "Refund\rno return."


def test_csv_starts_with_a_byte_order_mark_so_excel_reads_chinese_text(tmp_path: Path) -> None:
    """Excel on Windows opens a CSV without a BOM in the ANSI code page (cp1252, cp936...): 量勺 would show as
    mojibake. With the UTF-8 BOM it reads UTF-8; csv readers given utf-8-sig (and polars) skip the mark."""
    chinese = audit_result(findings_frame([finding("FBA02:US:X00ABC123:1", title="不锈钢量勺 6件套", sku="勺-01")]))
    written = write_csv(chinese, tmp_path / "findings.csv").read_bytes()
    assert written[:3] == b"\xef\xbb\xbf"
    assert written[3:].startswith(b"finding_id,code,")
    assert written.count(b"\xef\xbb\xbf") == 1
    rows = list(csv.DictReader(io.StringIO(written.decode("utf-8-sig"), newline="")))
    assert [(row["finding_id"], row["sku"], row["title"]) for row in rows] == [
        ("FBA02:US:X00ABC123:1", "勺-01", "不锈钢量勺 6件套")]
    assert pl.read_csv(tmp_path / "findings.csv", infer_schema=False).columns == list(FINDINGS_COLUMNS)


def test_csv_of_no_findings_is_the_header_alone(tmp_path: Path) -> None:
    empty = audit_result(findings_frame([]))
    written = write_csv(empty, tmp_path / "findings.csv").read_bytes()
    assert written == b"\xef\xbb\xbf" + ",".join(FINDINGS_COLUMNS).encode() + b"\r\n"


def test_json_of_no_findings_has_an_empty_array(tmp_path: Path) -> None:
    document = json.loads(write_json(audit_result(findings_frame([])), tmp_path / "findings.json").read_text())
    assert document["findings"] == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [("=1+1", "'=1+1"), ("+1-555", "'+1-555"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"),
     ("\tx", "'\tx"), ("\rx", "'\rx"), ("SKU-1", "SKU-1"), ("", "")],
)
def test_defuse_formula(text: str, expected: str) -> None:
    assert defuse_formula(text) == expected


# ---- files on disk ----


def test_write_all_creates_the_folder_and_writes_only_the_three_files(month: AuditResult, tmp_path: Path) -> None:
    out_dir = tmp_path / "2026-10" / "out"
    paths = write_all(month, out_dir, lang="zh", per_case=3)
    assert paths == {
        "xlsx": out_dir / "claims.xlsx", "json": out_dir / "findings.json", "csv": out_dir / "findings.csv",
    }
    written = sorted(p.name for p in tmp_path.rglob("*") if p.is_file())
    assert written == ["claims.xlsx", "findings.csv", "findings.json"]
    cases = openpyxl.load_workbook(paths["xlsx"])["索赔案件"]
    assert [row[0] for row in values(cases)[1:]][:3] == ["FBA02-X00ABC123-1", "FBA02-X00ABC123-2", "FBA02-X00ABC123-3"]


def test_a_failed_write_leaves_no_partial_workbook(
    month: AuditResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash_half_way(self, filename) -> None:
        Path(filename).write_bytes(b"PK\x03\x04 half a zip")
        raise OSError("disk full")

    monkeypatch.setattr(openpyxl.Workbook, "save", crash_half_way)
    with pytest.raises(OSError, match="disk full"):
        write_workbook(month, tmp_path / "claims.xlsx")
    assert list(tmp_path.iterdir()) == []


def test_a_failure_while_building_sheets_leaves_nothing_behind(
    month: AuditResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_evidence(evidence: str) -> list[tuple[str, int | None]]:
        raise ValueError("unreadable evidence")

    # The Evidence sheet comes last, so every other sheet has been streamed by then.
    monkeypatch.setattr("fba_audit.writers.excel.evidence_items", broken_evidence)
    with pytest.raises(ValueError, match="unreadable evidence"):
        write_workbook(month, tmp_path / "claims.xlsx")
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_keeps_the_previous_workbook(
    month: AuditResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    previous = write_workbook(month, tmp_path / "claims.xlsx")
    before = previous.read_bytes()

    def crash(self, filename) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(openpyxl.Workbook, "save", crash)
    with pytest.raises(RuntimeError):
        write_workbook(month, tmp_path / "claims.xlsx")
    assert previous.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["claims.xlsx"]


def _workbook_contents(path: Path) -> list[tuple[str, list[list[object]], dict[str, float | None]]]:
    book = openpyxl.load_workbook(path)
    return [(ws.title, values(ws), {k: d.width for k, d in ws.column_dimensions.items()}) for ws in book.worksheets]


def test_workbook_begun_while_the_detectors_run_is_the_same_workbook(month: AuditResult, tmp_path: Path) -> None:
    """`Outputs.add` (the detectors' findings as each finishes, in any order, from their own threads) and then
    `finish` give what `write_all` gives from the finished result."""
    import threading

    from fba_audit.writers import Outputs

    whole = write_all(month, tmp_path / "whole", lang="zh", per_case=2)
    in_process = write_workbook(month, tmp_path / "claims.xlsx", lang="zh", per_case=2)
    codes = sorted(set(month.findings["code"]), reverse=True)
    for own_process in (True, False):  # the writer's process, or this one (a small account)
        with Outputs(tmp_path / f"streamed{own_process}", lang="zh", per_case=2, own_process=own_process) as outputs:
            threads = [threading.Thread(target=outputs.add, args=(code, month.findings.filter(pl.col("code") == code)))
                       for code in codes]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            streamed = outputs.finish(month)
        assert len(codes) >= 3
        assert _workbook_contents(streamed["xlsx"]) == _workbook_contents(whole["xlsx"])
        assert _workbook_contents(streamed["xlsx"]) == _workbook_contents(in_process)
        assert streamed["json"].read_bytes() == whole["json"].read_bytes()
        assert streamed["csv"].read_bytes() == whole["csv"].read_bytes()


def test_a_detector_sheet_that_fails_in_the_writer_process_fails_the_finish(month: AuditResult,
                                                                           tmp_path: Path) -> None:
    """The writer's error comes back to the run with what went wrong; nothing is written, no spool is left."""
    from fba_audit.writers import Outputs, WorkbookWriterError

    code = month.findings["code"][0]
    with Outputs(tmp_path, lang="en") as outputs:
        outputs.add(code, month.findings.filter(pl.col("code") == code).drop("status"))
        with pytest.raises(WorkbookWriterError, match=r'^claims.xlsx could not be written: ColumnNotFoundError: .*"status"') as failed:
            outputs.finish(month)
    assert "Traceback" in failed.value.details
    assert list(tmp_path.iterdir()) == []


def test_a_writer_process_killed_part_way_is_an_error_and_the_old_outputs_stay(month: AuditResult,
                                                                              tmp_path: Path) -> None:
    import os
    import signal

    from fba_audit.writers import Outputs, WorkbookWriterError

    before = write_all(month, tmp_path)
    old = {path.name: path.read_bytes() for path in before.values()}
    with Outputs(tmp_path, lang="en") as outputs:
        outputs.add("FBA02", month.findings.filter(pl.col("code") == "FBA02"))
        os.kill(outputs._workbook._process.pid, signal.SIGKILL)  # as the kernel's memory killer would
        with pytest.raises(WorkbookWriterError, match=r"^claims.xlsx could not be written: the process writing it "
                                                      r"was killed by signal 9 before it was saved"):
            outputs.finish(month)
    assert {path.name: path.read_bytes() for path in tmp_path.iterdir()} == old


def test_run_exits_2_with_one_line_when_the_workbook_cannot_be_written(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from fba_audit.cli import app
    from fba_audit.writers.workbook_process import WorkbookProcess

    import os
    import signal

    finish = WorkbookProcess.finish

    def killed_first(self, result) -> None:
        os.kill(self._process.pid, signal.SIGKILL)  # as the kernel's memory killer would
        self._process.wait()
        finish(self, result)

    monkeypatch.setattr("fba_audit.cli.WORKBOOK_PROCESS_FROM_BYTES", 0)  # the small samples too
    monkeypatch.setattr(WorkbookProcess, "finish", killed_first)
    samples = Path(__file__).parent.parent / "sample_reports"
    out = tmp_path / "out"
    outcome = CliRunner().invoke(app, ["run", str(samples), "--out", str(out), "--as-of", "2026-11-22",
                                       "--no-ledger", "--fail-on-findings"])
    assert outcome.exit_code == 2
    assert ("claims.xlsx could not be written: the process writing it was killed by signal 9 before it was saved "
            f"(out of memory?); run again, with fewer months of reports if it happens again. Nothing in {out} was "
            "replaced.") in " ".join(outcome.output.split())
    assert not out.exists() or list(out.iterdir()) == []


@pytest.mark.parametrize(("threshold", "expected"), [(0, "WorkbookProcess"), (10**12, "WorkbookHere")])
def test_run_writes_the_workbook_in_its_own_process_from_a_size_of_reports_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, threshold: int, expected: str
) -> None:
    from typer.testing import CliRunner

    from fba_audit.cli import app
    from fba_audit.writers import workbook_process

    used = []
    for name in ("WorkbookProcess", "WorkbookHere"):
        cls = getattr(workbook_process, name)
        monkeypatch.setattr(cls, "add", lambda self, *args, _add=cls.add, _name=name: (used.append(_name),
                                                                                       _add(self, *args)))
    monkeypatch.setattr("fba_audit.cli.WORKBOOK_PROCESS_FROM_BYTES", threshold)
    samples = Path(__file__).parent.parent / "sample_reports"
    outcome = CliRunner().invoke(app, ["run", str(samples), "--out", str(tmp_path), "--as-of", "2026-11-22",
                                       "--no-ledger"])
    assert outcome.exit_code == 0, outcome.output
    assert used and set(used) == {expected}
    assert "FBA07" in openpyxl.load_workbook(tmp_path / "claims.xlsx").sheetnames


def test_outputs_left_without_finish_write_nothing(month: AuditResult, tmp_path: Path) -> None:
    """A run that stops after some detectors (an error, Ctrl-C) leaves no workbook and no stray spool error."""
    from fba_audit.writers import Outputs

    code = month.findings["code"][0]
    with Outputs(tmp_path / "out") as outputs:
        outputs.add(code, month.findings.filter(pl.col("code") == code))
    assert not (tmp_path / "out").exists()


def test_findings_added_that_the_result_does_not_hold_are_an_error(month: AuditResult, tmp_path: Path) -> None:
    from fba_audit.writers import Outputs, WorkbookWriterError

    other = month.findings.head(1).with_columns(code=pl.lit("FBA99"))
    with Outputs(tmp_path) as outputs:
        outputs.add("FBA99", other)
        with pytest.raises(WorkbookWriterError, match=r"findings of \['FBA99'\] were added but are not in the result"):
            outputs.finish(month)


def test_no_file_name_comes_from_report_content(tmp_path: Path) -> None:
    sneaky = finding("FBA02:US:../../evil:1", fnsku="../../evil", sku="/etc/passwd")
    paths = write_all(audit_result(findings_frame([sneaky])), tmp_path / "out")
    assert {p.name for p in paths.values()} == {"claims.xlsx", "findings.json", "findings.csv"}
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")) == [
        "out", "out/claims.xlsx", "out/findings.csv", "out/findings.json",
    ]
    assert re.fullmatch(r"FBA02-\.\./\.\./evil-1", openpyxl.load_workbook(paths["xlsx"])["Cases"]["A2"].value)


# ---- what staff work from: totals, deadlines, links, evidence rows, printing, widths, Chinese ----


def header_letter(ws, header: str) -> str:
    return openpyxl.utils.get_column_letter([cell.value for cell in ws[1]].index(header) + 1)


def last_rows(ws, n: int) -> list[list[object]]:
    return values(ws)[-n:]


def test_detector_sheet_ends_with_a_total_row_outside_the_filter(workbook: openpyxl.Workbook) -> None:
    ws = workbook["FBA02"]
    last = openpyxl.utils.get_column_letter(ws.max_column)
    assert ws.auto_filter.ref == f"A1:{last}9"  # the 8 findings; the total row below is not sorted or filtered with them
    (total,) = last_rows(ws, 1)
    # 8 findings of 1 unit (the expired one is on the Expired sheet); valued: 1234.50 + 5 x 10.00 (21180001002-06)
    # + 7.25 (waiting).
    assert total[0] == "Total: 8 rows"
    assert total[FINDINGS_COLUMNS.index("quantity")] == 8
    assert total[FINDINGS_COLUMNS.index("amount")] == 1291.75
    assert total[FINDINGS_COLUMNS.index("currency")] == "USD"
    filled = {0, *(FINDINGS_COLUMNS.index(name) for name in ("quantity", "amount", "currency"))}
    assert [value for index, value in enumerate(total) if index not in filled] == [None] * (len(total) - 4)
    cells = ws[10]
    assert cells[0].font.b and cells[FINDINGS_COLUMNS.index("quantity")].font.b
    assert cells[FINDINGS_COLUMNS.index("amount")].number_format == "#,##0.00"
    assert cells[FINDINGS_COLUMNS.index("amount")].data_type == "n"  # a number, never a formula
    # The outcome dropdown stays on the findings' rows.
    outcome = header_letter(ws, "outcome")
    assert str(ws.data_validations.dataValidation[0].sqref) == f"{outcome}2:{outcome}9"


def test_expiring_soon_total_row(workbook: openpyxl.Workbook) -> None:
    # 3 findings of 1 unit each; 1234.50 and 10.00 valued, the review finding not.
    assert last_rows(workbook["Expiring soon"], 1) == [
        ["Total: 3 rows", None, None, None, None, None, None, None, 3, 1244.5, "USD", None, None]]


def test_totals_are_added_up_per_currency(tmp_path: Path) -> None:
    rows = [
        fba02_lost(1, dt.date(2026, 11, 20), amount=Decimal("10.10")),
        fba02_lost(2, dt.date(2026, 11, 21), amount=Decimal("0.20"), quantity=3),
        fba02_lost(3, dt.date(2026, 11, 22), amount=Decimal("99.99"), currency="CAD", quantity=2),
        fba02_lost(4, dt.date(2026, 11, 23), amount=None, currency=None, valuation_basis="none"),
    ]
    book = openpyxl.load_workbook(write_workbook(audit_result(findings_frame(rows)), tmp_path / "claims.xlsx"))
    ws = book["FBA02"]
    at = {name: FINDINGS_COLUMNS.index(name) for name in ("quantity", "amount", "currency")}
    totals = [[row[0], row[at["quantity"]], row[at["amount"]], row[at["currency"]]] for row in last_rows(ws, 3)]
    # USD and CAD do not add up: the first row counts everything and leaves the money empty.
    assert totals == [
        ["Total: 4 rows", 7, None, None],
        ["Total CAD: 1 row", 2, 99.99, "CAD"],
        ["Total USD: 2 rows", 4, 10.3, "USD"],
    ]


def test_files_sheet_totals_add_up_the_rows_of_every_file(workbook: openpyxl.Workbook) -> None:
    # reimbursements.tsv 20 read, 18 kept, 1 duplicate, 1 rejected; ledger.tsv 5 read, 5 kept.
    assert last_rows(workbook["Files"], 1) == [["Total: 2 rows", None, 25, 23, 1, 1, None, None, None]]


def deadline_rules(ws) -> list[tuple[str, str, list[str], bool, str, str]]:
    return sorted(
        (str(cf.sqref), rule.operator, list(rule.formula), rule.stopIfTrue, rule.dxf.fill.bgColor.rgb,
         rule.dxf.font.color.rgb)
        for cf in ws.conditional_formatting for rule in cf.rules
    )


def test_deadlines_are_coloured_by_the_audit_date_not_the_clock(workbook: openpyxl.Workbook) -> None:
    # Audit date 2026-10-31: red to 2026-11-07 (7 days on), amber from 2026-11-08 to 2026-11-30 (30 days on).
    def rules(ref: str) -> list[tuple[str, str, list[str], bool, str, str]]:
        return [
            (ref, "between", ["DATE(2026,10,31)", "DATE(2026,11,7)"], True, "00FFC7CE", "009C0006"),
            (ref, "between", ["DATE(2026,11,8)", "DATE(2026,11,30)"], True, "00FFEB9C", "009C5700"),
        ]

    closes = header_letter(workbook["FBA02"], "window_closes")
    assert deadline_rules(workbook["FBA02"]) == rules(f"{closes}2:{closes}9")
    assert deadline_rules(workbook["FBA07"]) == rules(f"{closes}2:{closes}3")
    assert deadline_rules(workbook["Cases"]) == rules("G2:G5")
    assert deadline_rules(workbook["Expiring soon"]) == rules("D2:D4")
    for sheet in ("Summary", "Not checked", "Input problems", "Files", "Evidence"):
        assert deadline_rules(workbook[sheet]) == []
    note = workbook["FBA02"][f"{closes}1"].comment.text
    assert note == "Red: the last day to file is within 7 days of the audit date; amber: within 30 days."


def test_expiring_soon_is_sorted_by_its_deadline(workbook: openpyxl.Workbook) -> None:
    deadlines = column(workbook["Expiring soon"], "window_closes")
    assert deadlines == [dt.datetime(2026, 11, 3), dt.datetime(2026, 11, 5), dt.datetime(2026, 11, 7)]


def links(ws) -> dict[str, tuple[object, str]]:
    return {cell.coordinate: (cell.value, cell.hyperlink.target)
            for row in ws.iter_rows() for cell in row if cell.hyperlink is not None}


def test_ids_link_to_their_seller_central_and_store_pages(workbook: openpyxl.Workbook) -> None:
    fba07 = workbook["FBA07"]
    asin, order = (header_letter(fba07, name) for name in ("asin", "order_id"))
    # The EVIL finding's ASIN "+1-555" is no ASIN: no link, whatever the cell says. The reference_id repeats the
    # order id, linked already in its own column.
    assert links(fba07) == {
        f"{order}2": ("111-1234567-1234567", "https://sellercentral.amazon.com/orders-v3/order/111-1234567-1234567"),
        f"{asin}3": ("B000000001", "https://www.amazon.com/dp/B000000001"),
        f"{order}3": ("111-7654321-7654321", "https://sellercentral.amazon.com/orders-v3/order/111-7654321-7654321"),
    }
    assert fba07[f"{order}2"].font.u == "single" and fba07[f"{order}2"].font.color.rgb == "000563C1"
    fba08 = links(workbook["FBA08"])
    shipment = "https://sellercentral.amazon.com/fba/inbound-shipment/summary/FBA15ABCDEF/contents"
    assert fba08[f"{header_letter(workbook['FBA08'], 'shipment_id')}2"] == ("FBA15ABCDEF", shipment)
    # The FBA02 sheet has neither order nor shipment ids: only the ASINs link.
    assert {value for value, _ in links(workbook["FBA02"]).values()} == {"B000000001"}
    assert links(workbook["Expiring soon"]) == {
        "F3": ("111-1234567-1234567", "https://sellercentral.amazon.com/orders-v3/order/111-1234567-1234567"),
    }
    case_log = header_letter(workbook["Cases"], "Seller Central")
    assert links(workbook["Cases"]) == {
        f"{case_log}{row}": ("Case Log", "https://sellercentral.amazon.com/cu/case-lobby") for row in range(2, 6)}


def test_a_link_is_never_taken_from_report_text(tmp_path: Path) -> None:
    rows = [
        finding("FBA07:UK:1", marketplace="UK", currency="GBP", order_id="203-1234567-1234567",
                reference_id="203-1234567-1234567", asin="B0UKUKUK01"),
        finding("FBA07:UK:2", marketplace="UK", currency="GBP", asin="https://evil.example/dp/B000000001",
                order_id="=HYPERLINK(\"https://evil.example\",\"203-1234567-1234567\")",
                reference_id="203-1234567-1234567?x=https://evil.example"),
    ]
    result = audit_result(findings_frame(rows))
    result.marketplace = "UK"
    ws = openpyxl.load_workbook(write_workbook(result, tmp_path / "claims.xlsx"))["FBA07"]
    asin, order = (header_letter(ws, name) for name in ("asin", "order_id"))
    assert links(ws) == {
        f"{asin}2": ("B0UKUKUK01", "https://www.amazon.co.uk/dp/B0UKUKUK01"),
        f"{order}2": ("203-1234567-1234567", "https://sellercentral.amazon.co.uk/orders-v3/order/203-1234567-1234567"),
    }
    assert ws[f"{order}3"].value == '=HYPERLINK("https://evil.example","203-1234567-1234567")'
    assert ws[f"{order}3"].data_type == "s"


@pytest.mark.parametrize(
    ("kind", "value", "marketplace", "expected"),
    [
        ("order", "111-1234567-1234567", "US", "https://sellercentral.amazon.com/orders-v3/order/111-1234567-1234567"),
        ("order", "503-1234567-1234567", "JP",
         "https://sellercentral.amazon.co.jp/orders-v3/order/503-1234567-1234567"),
        ("order", "702-1234567-1234567", "CA", "https://sellercentral.amazon.ca/orders-v3/order/702-1234567-1234567"),
        ("order", "028-1234567-1234567", "DE", "https://sellercentral.amazon.de/orders-v3/order/028-1234567-1234567"),
        ("order", "111-1234567-12345678", "US", None),
        ("order", " 111-1234567-1234567", "US", None),
        ("order", "111-1234567-1234567\n", "US", None),
        ("order", "١١١-1234567-1234567", "US", None),  # Arabic-Indic digits are digits to \d, not to Amazon
        ("order", "S01-1234567-1234567", "US", None),  # a seller's own order id form, not Amazon's
        ("order", "111-1234567-1234567", "XX", None),  # no marketplace we know: no host to build on
        ("asin", "B07XJ8C8F5", "UK", "https://www.amazon.co.uk/dp/B07XJ8C8F5"),
        ("asin", "0316769487", "MX", "https://www.amazon.com.mx/dp/0316769487"),  # a book's ASIN is its ISBN-10
        ("asin", "b07xj8c8f5", "US", None),
        ("asin", "B07XJ8C8F", "US", None),
        ("shipment", "FBA15GBW843C", "JP",
         "https://sellercentral.amazon.co.jp/fba/inbound-shipment/summary/FBA15GBW843C/contents"),
        ("shipment", "FBA15GBW843C/../../x", "US", None),
        ("reference", "FBA15GBW843C", "AU",
         "https://sellercentral.amazon.com.au/fba/inbound-shipment/summary/FBA15GBW843C/contents"),
        ("reference", "21180001001", "US", None),
        ("case_log", None, "BE", "https://sellercentral.amazon.com.be/cu/case-lobby"),
    ],
)
def test_link_addresses(kind: str, value: object, marketplace: str, expected: str | None) -> None:
    from fba_audit.writers.links import url_for

    assert url_for(kind, value, marketplace) == expected


def test_every_marketplace_has_a_seller_central_host() -> None:
    from fba_audit.context import MARKETPLACE_CURRENCY
    from fba_audit.writers.links import DOMAINS

    assert set(DOMAINS) == set(MARKETPLACE_CURRENCY)


def test_every_sheet_prints_landscape_one_page_wide_with_its_header_on_every_page(
    workbook: openpyxl.Workbook,
) -> None:
    for ws in workbook.worksheets:
        setup = (ws.page_setup.orientation, ws.page_setup.fitToWidth, ws.page_setup.fitToHeight,
                 ws.sheet_properties.pageSetUpPr.fitToPage)
        assert setup == ("landscape", 1, 0, True), ws.title
        assert ws.print_title_rows == (None if ws.title == "Summary" else "$1:$1"), ws.title


def test_summary_columns_fit_the_detector_titles(tmp_path: Path, month: AuditResult) -> None:
    from fba_audit.detectors import ALL_DETECTORS

    titles = {d.code: d.title for d in ALL_DETECTORS}
    ws = openpyxl.load_workbook(write_workbook(month, tmp_path / "claims.xlsx", detector_titles=titles))["Summary"]
    # The longest claimable detector's title, FBA07's: "Customers refunded for Amazon-fulfilled orders who never sent
    # the item back, and Amazon did not reimburse you." (110 characters), plus 2.
    assert ws["B9"].value == titles["FBA07"] and len(titles["FBA07"]) == 110
    assert ws.column_dimensions["B"].width == 112
    # The longest label: "Claimable now, by detector (not filed yet)" (42 characters), plus 2.
    assert ws.column_dimensions["A"].width == 44


def test_a_long_report_text_column_is_capped(tmp_path: Path) -> None:
    rows = [finding("FBA02:US:1", sku="S" * 300)]
    ws = openpyxl.load_workbook(write_workbook(audit_result(findings_frame(rows)), tmp_path / "claims.xlsx"))["FBA02"]
    assert ws.column_dimensions[header_letter(ws, "sku")].width == 50


def test_chinese_workbook_explains_each_english_case_text_in_chinese(zh_workbook_path: Path) -> None:
    book = openpyxl.load_workbook(zh_workbook_path)
    ws = book["FBA07"]
    headers = [cell.value for cell in ws[1]]
    at = headers.index("案件文本（英文）")
    assert headers[at + 1] == "案件说明（中文）"
    assert column(ws, "案件文本（英文）") == [
        "Order 111-1234567-1234567 was refunded and not returned.",
        "Please reimburse FBA07:US:111-7654321-7654321:SKU-B.",
    ]
    assert column(ws, "案件说明（中文）") == [
        "FBA07：请亚马逊赔偿已退款但买家未退回的商品。1 件，金额未估值，请自行核算；参考编号 111-1234567-1234567；"
        "提交前需人工审核，截止日 2026-11-05。",
        "FBA07：请亚马逊赔偿已退款但买家未退回的商品。1 件，金额 15.00 USD；参考编号 111-7654321-7654321；"
        "请于 2026-11-10 前提交。",
    ]
    assert column(book["FBA02"], "案件说明（中文）")[-1:] == [
        "FBA02：请亚马逊赔偿在运营中心丢失或损坏、既未找回也未赔偿的商品。1 件，金额 7.25 USD；"
        "索赔窗口于 2026-11-10 开启。",
    ]
    cases = book["索赔案件"]
    assert [cell.value for cell in cases[1]][-10:] == ["案件文本（英文）", "案件说明（中文）", "卖家平台", "SKU", "FNSKU",
                                                       "ASIN", "提交日期", "案件编号", "结果", "备注"]
    assert column(cases, "案件说明（中文）") == [
        "FBA02：请亚马逊赔偿在运营中心丢失或损坏、既未找回也未赔偿的商品。本案件含 5 项发现，共 5 件，"
        "金额 1,274.50 USD；请于 2026-11-03 前提交。",
        "FBA02：请亚马逊赔偿在运营中心丢失或损坏、既未找回也未赔偿的商品。本案件含 2 项发现，共 2 件，"
        "金额 10.00 USD；请于 2026-12-06 前提交。",
        "FBA07：请亚马逊赔偿已退款但买家未退回的商品。本案件含 1 项发现，共 1 件，金额 15.00 USD；"
        "请于 2026-11-10 前提交。",
        "FBA08：请亚马逊核查入库货件中缺少的商品，赔偿未接收的数量。本案件含 2 项发现，共 5 件，"
        "金额 50.00 USD；请于 2027-06-30 前提交。",
    ]
    assert links(cases)[f"{header_letter(cases, '卖家平台')}2"] == (
        "案件日志", "https://sellercentral.amazon.com/cu/case-lobby")
    assert last_rows(cases, 1)[0][:6] == ["合计：4 行", None, 10, 13, 1349.5, "USD"]
    assert deadline_rules(cases)[0][:3] == ("G2:G5", "between", ["DATE(2026,10,31)", "DATE(2026,11,7)"])
    assert book["证据"]["E1"].value == "报告原行"
    for sheet in book.worksheets:
        assert sheet.page_setup.orientation == "landscape"


def test_english_workbook_has_no_chinese_column(workbook: openpyxl.Workbook) -> None:
    assert "explanation (Chinese)" not in [cell.value for cell in workbook["FBA07"][1]]
    assert "explanation (Chinese)" not in [cell.value for cell in workbook["Cases"][1]]


def test_every_detector_has_a_chinese_case_explanation() -> None:
    from fba_audit.detectors import ALL_DETECTORS
    from fba_audit.writers.i18n import CASE_ASKS_ZH

    assert sorted(CASE_ASKS_ZH) == sorted(d.code for d in ALL_DETECTORS)


def test_evidence_sheet_shows_the_cited_report_rows(tmp_path: Path) -> None:
    ledger = pl.DataFrame(
        {
            "source_file": ["ledger.tsv", "ledger.tsv", "ledger.tsv"],
            "source_line": [3, 4, 5],
            "date": [dt.date(2026, 9, 1), dt.date(2026, 9, 2), dt.date(2026, 9, 3)],
            "date_time": [dt.datetime(2026, 9, 1, 14, 5, 9), None, None],
            "fnsku": ["X00ABC123", "X00ABC123", "X00OTHER1"],
            "event_type": ["Adjustments", "Adjustments", "Adjustments"],
            "reference_id": ["21180001001", "21180001002", "21180009999"],
            "quantity": [-2, -1, -7],
            "disposition": ["SELLABLE", "SELLABLE", ""],
            "reason": ["M", "=cmd|' /C calc'!A0", "M"],
            "source_report": ["ledger_detail"] * 3,
        },
        schema_overrides={"date_time": pl.Datetime("us", "UTC"), "fnsku": pl.Categorical(),
                          "source_file": pl.Categorical()},
    )
    reimbursements = pl.DataFrame(
        {"source_file": ["reimbursements.tsv"], "source_line": [14], "reimbursement_id": ["9" * 200],
         "amount_total": [Decimal("12.34")]},
        schema_overrides={"amount_total": pl.Decimal(18, 2)},
    )
    rows = [
        fba02_lost(1, dt.date(2026, 11, 20), evidence="ledger.tsv:3; order price: reimbursements.tsv:14"),
        fba02_lost(2, dt.date(2026, 11, 21), evidence="ledger.tsv:4; ledger.tsv:99; reimbursements.tsv:(no match)"),
    ]
    result = audit_result(findings_frame(rows))
    result.load.files[1].kind = "ledger_detail"  # the Inventory Ledger's report kind, whose headers are shown
    result.load.datasets.update({"inventory_ledger": ledger, "reimbursements": reimbursements})
    ws = openpyxl.load_workbook(write_workbook(result, tmp_path / "claims.xlsx"))["Evidence"]
    first, second = (f"FBA02:US:X00ABC123:2118000100{n}" for n in (1, 2))
    assert values(ws) == [
        ["finding_id", "code", "file", "line", "report row"],
        # Under Amazon's headers; the date and time as Amazon writes them; the row's empty values left out; a
        # column the loader derived (source_report) is not the file's.
        [first, "FBA02", "ledger.tsv", 3,
         "Date=2026-09-01; Date and Time=2026-09-01T14:05:09+00:00; FNSKU=X00ABC123; Event Type=Adjustments; "
         "Reference ID=21180001001; Quantity=-2; Disposition=SELLABLE; Reason=M"],
        # A labelled item finds its row; a value longer than 80 characters is cut visibly.
        [first, "FBA02", "order price: reimbursements.tsv", 14,
         f"reimbursement-id={'9' * 79}…; amount-total=12.34"],
        [second, "FBA02", "ledger.tsv", 4,
         "Date=2026-09-02; FNSKU=X00ABC123; Event Type=Adjustments; Reference ID=21180001002; Quantity=-1; "
         "Disposition=SELLABLE; Reason==cmd|' /C calc'!A0"],
        # A line that is in no loaded frame shows nothing; the file:line still stands.
        [second, "FBA02", "ledger.tsv", 99, None],
        [second, "FBA02", "reimbursements.tsv:(no match)", None, None],
        ["Total: 5 rows", None, None, None, None],
    ]
    assert ws.column_dimensions["E"].width == 50


def test_grand_total_line(month: AuditResult) -> None:
    from fba_audit.writers.console import grand_total

    # Claimable: FBA02 1234.50 + 5 x 10.00, FBA07 15.00, FBA08 20.00 + 30.00 = 1349.50, and 21180001007 not valued.
    # Deadlines 2026-10-31..2026-11-07: 21180001001 (11-03), the FBA07 review finding (11-05), 21180001002 (11-07).
    assert grand_total(month.findings, AS_OF) == (
        "1,349.50 USD claimable now (+1 claimable finding not valued), 3 deadlines this week")
    assert grand_total(month.findings, dt.date(2026, 11, 9)) == (
        "1,349.50 USD claimable now (+1 claimable finding not valued), 1 deadline this week")
    assert grand_total(findings_frame([]), AS_OF) == "nothing claimable now, no deadlines this week"
    # A claim the ledger knows a case for is not money to claim now, nor a deadline to meet.
    claimable_ids = month.findings.filter(pl.col("status") == "claimable").sort("finding_id")["finding_id"]
    filed = {claimable_ids[0]: None}
    assert grand_total(month.findings, AS_OF, filed) == (
        "115.00 USD claimable now (+1 claimable finding not valued; 1 claimable finding already filed), "
        "2 deadlines this week")
    two_currencies = findings_frame([
        fba02_lost(1, dt.date(2026, 11, 20), amount=Decimal("208.41")),
        fba02_lost(2, dt.date(2026, 11, 1), amount=Decimal("10.00"), currency="CAD"),
        fba02_lost(3, dt.date(2026, 11, 2), amount=Decimal("5.00"), status="waiting"),
        fba02_lost(4, dt.date(2026, 11, 2), amount=Decimal("5.00"), status="expired"),
    ])
    assert grand_total(two_currencies, AS_OF) == "10.00 CAD + 208.41 USD claimable now, 1 deadline this week"


def test_run_prints_the_grand_total(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from fba_audit.cli import app

    reports = Path(__file__).parent / "fixtures" / "detectors" / "FBA02" / \
        "finds_basic_misplaced_and_damaged_not_reimbursed" / "reports"
    result = CliRunner().invoke(app, ["run", str(reports), "--out", str(tmp_path), "--as-of", "2026-05-15"])
    assert result.exit_code == 0, result.output
    # 13.00 + 6.50 claimable; their windows close on 2026-06-09 and 2026-06-11, more than a week after 2026-05-15.
    assert "\n19.50 USD claimable now, no deadlines this week\n" in result.output
    # On 2026-06-03 the week runs to 2026-06-10: one of the two.
    result = CliRunner().invoke(app, ["run", str(reports), "--out", str(tmp_path), "--as-of", "2026-06-03"])
    assert "\n19.50 USD claimable now, 1 deadline this week\n" in result.output
