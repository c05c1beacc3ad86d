"""Three months of one simulated seller with the claim ledger, on SQLite and on PostgreSQL.

Month 1 (audit 2026-11-22): the run finds claims; staff file three cases in the workbook: one FBA02 finding on its
detector sheet, the four-finding FBA10 case on the Cases sheet (the entry applies to all four), and one FBA07
finding. Month 2 (2026-12-22): Amazon's Reimbursements report pays the FBA02 case in full and the FBA10 case in
part, both with the case id. Month 3 (2027-01-22): Amazon pays an unfiled FBA09 finding by itself (no case). The
expected amounts are the findings' own amounts as month 1 reported them and the payments written below.
"""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
import json
import shutil
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from fba_audit.cli import app
from fba_audit.simulate import TRUTH_FILE, simulate

runner = CliRunner()

# The filed findings (ids as the simulated account's month-1 run reports them) and their case ids.
FILED_FBA02 = "FBA02:US:X00J9IF7D7:65675330770051"  # 13.50 claimable
FBA10_CASE = [f"FBA10:US:NOR-SPOONS-00018:us-referral-2025:2026-{m}" for m in ("08", "09", "10", "11")]
FILED_FBA07 = "FBA07:US:112-3072703-3882015:BRI-TORCH-00033:2026-08-31"  # 21.24 claimable
PAID_BY_AMAZON = "FBA09:US:112-3040814-4993158:LPNOZ5HZ2KY4"  # 5.71, never filed
CASE_FBA02, CASE_FBA10, CASE_FBA07 = "12345678901", "1234567890", "11223344556"

REIMBURSEMENTS_HEADER = (
    "approval-date\treimbursement-id\tcase-id\tamazon-order-id\treason\tsku\tfnsku\tasin\tproduct-name\tcondition\t"
    "currency-unit\tamount-per-unit\tamount-total\tquantity-reimbursed-cash\tquantity-reimbursed-inventory\t"
    "quantity-reimbursed-total\toriginal-reimbursement-id\toriginal-reimbursement-type"
)


@pytest.fixture(scope="module")
def account(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("account") / "reports"
    simulate(folder, skus=40, months=3, seed=3)
    (folder / TRUTH_FILE).unlink()
    return folder


def run_month(reports: Path, out: Path, as_of: str, ledger: str):
    result = runner.invoke(app, ["run", str(reports), "--out", str(out), "--as-of", as_of, "--ledger", ledger],
                           catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output, json.loads((out / "findings.json").read_text(encoding="utf-8"))


def add_reimbursements(reports: Path, name: str, rows: list[list[str]]) -> None:
    """A Reimbursements report download (tab-separated, Amazon's header) with these lines."""
    lines = [REIMBURSEMENTS_HEADER] + ["\t".join(row) for row in rows]
    (reports / name).write_text("\n".join(lines) + "\n", encoding="utf-8")


def staff_fill(workbook: Path, sheet: str, id_header: str, finding_id: str, entries: dict[str, object]) -> None:
    book = openpyxl.load_workbook(workbook)
    ws = book[sheet]
    headers = [cell.value for cell in ws[1]]
    for row in ws.iter_rows(min_row=2):
        if finding_id in str(row[headers.index(id_header)].value).split("\n"):
            for header, value in entries.items():
                row[headers.index(header)].value = value
            break
    else:
        raise AssertionError(f"{finding_id} not on {sheet}")
    book.save(workbook)


def findings_by_id(document: dict) -> dict[str, dict]:
    return {f["finding_id"]: f for f in document["findings"]}


def cases_sheet_ids(workbook: Path) -> set[str]:
    ws = openpyxl.load_workbook(workbook)["Cases"]
    headers = [cell.value for cell in ws[1]]
    at = headers.index("finding_ids")
    return {fid for row in ws.iter_rows(min_row=2, values_only=True) for fid in str(row[at]).split("\n")}


def test_three_months_of_claims(account: Path, tmp_path: Path, ledger_url: str) -> None:
    reports, out = tmp_path / "reports", tmp_path / "claims"
    shutil.copytree(account, reports)

    # ---- month 1: findings, then staff file three cases in the workbook ----
    output, month1 = run_month(reports, out, "2026-11-22", ledger_url)
    found = findings_by_id(month1)
    assert {fid: found[fid]["status"] for fid in [FILED_FBA02, *FBA10_CASE, FILED_FBA07]} == {
        fid: "claimable" for fid in [FILED_FBA02, *FBA10_CASE, FILED_FBA07]}
    assert [found[fid]["amount"] for fid in [FILED_FBA02, *FBA10_CASE, FILED_FBA07, PAID_BY_AMAZON]] == [
        "13.50", "2.60", "6.50", "7.15", "6.50", "21.24", "5.71"]
    assert all(f["case"] is None and f["first_seen"] == "2026-11-22" for f in month1["findings"])
    assert month1["recovered"] == {"this_month": "0.00", "this_year": "0.00", "currency": "USD"}
    assert "claim ledger: " in output
    workbook = out / "claims.xlsx"
    staff_fill(workbook, "FBA02", "finding_id", FILED_FBA02,
               {"filed_on": dt.datetime(2026, 11, 25), "case_id": CASE_FBA02, "outcome": "filed"})
    staff_fill(workbook, "Cases", "finding_ids", FBA10_CASE[0],
               {"filed_on": dt.datetime(2026, 11, 25), "case_id": int(CASE_FBA10), "notes": "fee category"})
    staff_fill(workbook, "FBA07", "finding_id", FILED_FBA07,
               {"filed_on": "2026-11-26", "case_id": CASE_FBA07, "outcome": "filed"})

    # ---- month 2: Amazon pays the FBA02 case in full and the FBA10 case in part ----
    add_reimbursements(reports, "reimbursements-2026-12.txt", [
        ["2026-12-10T09:59:13+00:00", "71234567801", CASE_FBA02, "", "Lost_Warehouse", "HAV-BOARD-00013",
         "X00J9IF7D7", "", "Board", "NewItem", "USD", "13.50", "13.50", "1", "0", "1", "", ""],
        ["2026-12-12T15:02:44+00:00", "71234567802", CASE_FBA10, "", "FeeCorrection", "NOR-SPOONS-00018", "", "",
         "Spoons", "NewItem", "USD", "10.00", "10.00", "0", "0", "0", "", ""],
    ])
    output, month2 = run_month(reports, out, "2026-12-22", ledger_url)
    assert list(out.glob("claims.backup-*.xlsx")), "the workbook with staff's entries was kept"
    found = findings_by_id(month2)
    assert found[FILED_FBA07]["case"] == {"case_id": CASE_FBA07, "filed_on": "2026-11-26", "outcome": "filed",
                                          "claimed": "21.24", "reimbursed": None, "reimbursed_on": None}
    for fid in FBA10_CASE:
        if fid in found:
            assert found[fid]["case"] == {"case_id": CASE_FBA10, "filed_on": "2026-11-25", "outcome": "partly paid",
                                          "claimed": "22.75", "reimbursed": "10.00", "reimbursed_on": "2026-12-12"}
            assert found[fid]["first_seen"] == "2026-11-22"
    assert month2["recovered"] == {"this_month": "23.50", "this_year": "23.50", "currency": "USD"}
    # Filed claims are not money to claim now: the console's grand total and the Summary count them apart.
    filed_now = [found[fid] for fid in sorted({FILED_FBA02, FILED_FBA07, *FBA10_CASE})
                 if fid in found and found[fid]["status"] == "claimable"]
    assert [f["finding_id"] for f in filed_now] == [FILED_FBA07, FBA10_CASE[-1]]
    to_claim = sum(Decimal(f["amount"]) for f in month2["findings"] if f["status"] == "claimable" and f["amount"]
                   and f not in filed_now)
    assert f"{to_claim:,.2f} USD claimable now (" in output
    assert "2 claimable findings already filed)" in output
    summary = list(openpyxl.load_workbook(out / "claims.xlsx")["Summary"].iter_rows(values_only=True))
    already = next(row for row in summary if row[0] == "Claimable, already filed (claim ledger)")
    assert (already[2], already[3], Decimal(str(already[5]))) == (  # findings, units, value in USD
        2, sum(f["quantity"] for f in filed_now), sum(Decimal(f["amount"]) for f in filed_now))

    # ---- month 3: Amazon pays an unfiled finding by itself ----
    add_reimbursements(reports, "reimbursements-2027-01.txt", [
        ["2027-01-08T10:11:12+00:00", "71234567803", "", "112-3040814-4993158", "CustomerReturn",
         "HAV-EARRINGS-00024", "X00J9OYZ1O", "", "Earrings", "NewItem", "USD", "5.71", "5.71", "1", "0", "1", "",
         ""],
    ])
    output, month3 = run_month(reports, out, "2027-01-22", ledger_url)
    found = findings_by_id(month3)
    # The paid case is closed, the partly paid and the unpaid one are in Follow up, with what to do.
    assert [(item["kind"], item["case_id"], item["finding_ids"], item["claimed"], item["reimbursed"],
             item["outstanding"]) for item in month3["follow_up"]] == [
        ("partly paid", CASE_FBA10, FBA10_CASE, "22.75", "10.00", "12.75"),
        ("unpaid", CASE_FBA07, [FILED_FBA07], "21.24", None, "21.24"),
    ]
    assert month3["follow_up"][0]["action"] == (
        f"Amazon paid 10.00 of 22.75 on case {CASE_FBA10} (reimbursement 71234567802): reply on the case asking for "
        "the remaining 12.75, quoting the reimbursement id.")
    assert month3["follow_up"][1]["action"].startswith(f"Case {CASE_FBA07} is unpaid 57 days after filing: reply")
    # No filed finding is offered again as a new claim.
    filed = {FILED_FBA02, FILED_FBA07, *FBA10_CASE}
    assert not filed & cases_sheet_ids(out / "claims.xlsx")
    assert all(found[fid]["case"] is not None for fid in filed if fid in found)
    # Money recovered, exact to the cent: January holds only Amazon's own payment of the FBA09 finding.
    assert month3["recovered"] == {"this_month": "5.71", "this_year": "5.71", "currency": "USD"}
    assert "Recovered: 5.71 USD this month, 5.71 USD this year" in output
    assert ("Cases: claimed 57.49 USD, paid 23.50 USD (recovery rate 40.9 %), paid without a case 5.71 USD; "
            "2 to follow up") in output

    # The Follow up sheet and the Summary say the same.
    book = openpyxl.load_workbook(out / "claims.xlsx")
    follow = [row for row in book["Follow up"].iter_rows(min_row=2, values_only=True)
              if not str(row[0]).startswith("Total")]  # the sheet's total row
    assert [(row[0], row[1], row[7]) for row in follow] == [("partly paid", CASE_FBA10, 12.75),
                                                          ("unpaid", CASE_FBA07, 21.24)]
    summary = {row[0]: row[1:] for row in book["Summary"].iter_rows(values_only=True) if row and row[0]}
    assert summary["Recovered this month"][:2] == (5.71, "USD")
    assert summary["Recovered this year"][:2] == (5.71, "USD")
    assert [summary[code][1:5] for code in ("FBA02", "FBA07", "FBA09", "FBA10")] == [
        (13.5, 13.5, 1, 0), (21.24, 0, 0, 0), (0, 0, None, 5.71), (22.75, 10, 0.44, 0)]
    # The staff entries are still on the new workbook (written back from the ledger).
    fba07 = book["FBA07"]
    headers = [cell.value for cell in fba07[1]]
    row = next(r for r in fba07.iter_rows(min_row=2, values_only=True) if r[0] == FILED_FBA07)
    assert (row[headers.index("filed_on")], row[headers.index("case_id")], row[headers.index("outcome")]) == (
        dt.datetime(2026, 11, 26), CASE_FBA07, "filed")

    # The ledger's own record: the paid finding closed as paid, Amazon's automatic payment closed its finding,
    # each case recorded once although the workbook was read back three times.
    export = tmp_path / "ledger.csv"
    result = runner.invoke(app, ["ledger", "export", str(export), "--ledger", ledger_url], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    with open(export, encoding="utf-8", newline="") as stream:
        rows = {row["finding_id"]: row for row in csv.DictReader(stream)}
    assert (rows[FILED_FBA02]["resolution"], rows[FILED_FBA02]["state"]) == ("paid", "paid")
    assert (rows[PAID_BY_AMAZON]["resolution"], rows[PAID_BY_AMAZON]["paid_to_finding"]) == ("paid_by_amazon", "5.71")
    assert rows[FBA10_CASE[2]]["notes"] == "fee category"
    from fba_audit.ledger.store import open_ledger

    import hashlib

    import sqlalchemy as sa

    from fba_audit.ledger import schema

    with open_ledger(ledger_url) as ledger:
        with ledger.engine.connect() as conn:
            inputs = conn.execute(sa.select(schema.run_inputs.c.run_id, schema.run_inputs.c.file,
                                            schema.run_inputs.c.sha256)).all()
        # Every run lists its input files with their content hashes; month 2 and 3 added one download each.
        first = len(list(account.iterdir()))
        assert [sum(1 for i in inputs if i.run_id == run) for run in (1, 2, 3)] == [first, first + 1, first + 2]
        added = next(i for i in inputs if i.file == "reimbursements-2027-01.txt")
        assert added.sha256 == hashlib.sha256((reports / "reimbursements-2027-01.txt").read_bytes()).hexdigest()
        recorded = [e for e in ledger.events() if e["action"] == "case recorded"]
        assert len(recorded) == 3
        assert [(e["actor"], e["source"]) for e in recorded] == [("workbook", str(out / "claims.xlsx"))] * 3
