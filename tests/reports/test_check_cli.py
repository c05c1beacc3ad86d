"""`fba-audit check REPORTS_DIR` through typer's CliRunner: every file listed with its accounting, every problem
printed as `str(problem)`, exit 0 when no problem is an error and 2 otherwise (the other files still listed)."""

from __future__ import annotations

import zipfile
from pathlib import Path

from loader_helpers import FIXTURES, copy_into, redownload
from typer.testing import CliRunner

from fba_audit.cli import app

def check(folder: Path):
    return CliRunner().invoke(app, ["check", str(folder)])


def section(output: str, title: str) -> list[str]:
    """The items printed under `title` ("Problems (2)"), each unwrapped back to one line (items start indented;
    the console wraps long ones at a space)."""
    lines = output.splitlines()
    items: list[str] = []
    for line in lines[lines.index(title) + 1:]:
        if not line.strip():
            break
        if line.startswith("  "):
            items.append(line[2:].rstrip())
        else:
            items[-1] += " " + line.strip()
    return items


def table_rows(output: str) -> dict[str, list[str]]:
    """File -> [report, read, kept, duplicates, rejected, dates, encoding] from the Input files table."""
    rows = {}
    for line in output.splitlines():
        cells = [c.strip() for c in line.split("│")[1:-1]]
        if len(cells) == 8 and cells[0] not in ("", "File"):
            rows[cells[0]] = cells[1:]
    return rows


def good_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "reports"
    copy_into(folder, "ledger_detail/ok_14col.txt", "reimbursements/ok.txt", "fee_preview/ok_us_2026.txt")
    # One marketplace per folder (fba_audit.reports.marketplace): the Amazon.ca settlement, as a US one.
    settlement = (FIXTURES / "settlement_v2" / "ok.txt").read_text(encoding="utf-8")
    us = settlement.replace("Amazon.ca", "Amazon.com").replace("\tCAD\t", "\tUSD\t")
    (folder / "settlement-v2.txt").write_text(us, encoding="utf-8")
    with zipfile.ZipFile(folder / "returns.zip", "w") as archive:
        archive.write(FIXTURES / "customer_returns/ok.txt", "returns.txt")
    return folder


GOOD_ROWS = {
    "ok.txt": ["Reimbursements", "3", "3", "0", "0", "2026-04-29 .. 2026-05-12", "Windows-1252"],
    "ok_14col.txt": ["Inventory Ledger (detailed view)", "4", "4", "0", "0", "2026-05-01 .. 2026-05-08", "UTF-8"],
    "ok_us_2026.txt": ["Fee Preview", "2", "2", "0", "0", "", "UTF-8"],
    "returns.zip!returns.txt": ["FBA customer returns", "2", "2", "0", "0", "2025-06-05 .. 2026-01-14", "UTF-8"],
    "settlement-v2.txt": ["Settlement flat file V2", "8", "8", "0", "0", "2025-10-05 .. 2025-10-09", "UTF-8"],
    "Total": ["5 files", "19", "19", "0", "0", "", ""],
}


def test_check_good_folder_exits_0(tmp_path: Path) -> None:
    result = check(good_folder(tmp_path))
    assert result.exit_code == 0, result.output
    assert table_rows(result.output) == GOOD_ROWS
    assert "Problems (" not in result.output
    assert "Warnings (" not in result.output


def test_check_warnings_alone_exit_0(tmp_path: Path) -> None:
    folder = good_folder(tmp_path)
    copy_into(folder, "ledger_detail/summary_view.txt", "ledger_detail/bad_unknown_reason.txt")
    result = check(folder)
    assert result.exit_code == 0, result.output
    rows = table_rows(result.output)
    assert rows["summary_view.txt"] == ["not recognised", "0", "0", "0", "0", "", "UTF-8"]
    assert rows["bad_unknown_reason.txt"] == ["Inventory Ledger (detailed view)", "3", "3", "0", "0",
                                              "2026-05-06 .. 2026-05-08", "UTF-8"]
    assert section(result.output, "Warnings (2)") == [
        'bad_unknown_reason.txt:2: column Reason has "W" on 2 rows (first here), a value fba-audit does not know; '
        "the rows were kept, but no detector acts on them. If Amazon has added this value, please report it so the "
        "detectors learn it.",
        "summary_view.txt: is an Inventory Ledger (summary view) report, which fba-audit does not use; not read.",
    ]
    assert "Problems (" not in result.output


def test_check_bad_file_exits_2_and_lists_the_other_files(tmp_path: Path) -> None:
    folder = good_folder(tmp_path)
    copy_into(folder, "customer_returns/bad_negative_quantity.txt", "ledger_detail/empty.txt")
    result = check(folder)
    assert result.exit_code == 2, result.output
    rows = table_rows(result.output)
    assert rows == {k: v for k, v in GOOD_ROWS.items() if k != "Total"} | {
        "bad_negative_quantity.txt": ["FBA customer returns", "2", "1", "0", "1", "2026-01-15", "UTF-8"],
        "empty.txt": ["not recognised", "0", "0", "0", "0", "", ""],
        "Total": ["7 files", "21", "20", "0", "1", "", ""],
    }
    assert section(result.output, "Problems (2)") == [
        'bad_negative_quantity.txt:2: column quantity has "-1", must be 0 or more; the row was rejected. '
        f"{redownload('customer_returns')}",
        "empty.txt: is empty. Download the report again; Seller Central sometimes serves an empty file while a "
        "report is still being generated.",
    ]


def test_check_duplicates_are_shown(tmp_path: Path) -> None:
    folder = tmp_path / "reports"
    copy_into(folder, ("settlement_v2/ok.txt", "v2.txt"), ("settlement_v1/ok.txt", "v1.txt"))
    result = check(folder)
    assert result.exit_code == 0, result.output
    rows = table_rows(result.output)
    assert (rows["v1.txt"][1:5], rows["v2.txt"][1:5], rows["Total"][1:5]) == (
        ["8", "0", "8", "0"], ["8", "8", "0", "0"], ["16", "8", "8", "0"])
