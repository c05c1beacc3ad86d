"""The command line: every exit status, the options a CI job relies on, and the files it writes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fba_audit.cli import app

FIXTURES = Path(__file__).parent / "fixtures" / "detectors"
LOST_UNITS = FIXTURES / "FBA02" / "finds_basic_misplaced_and_damaged_not_reimbursed" / "reports"
NOTHING_TO_CLAIM = FIXTURES / "FBA02" / "clean_already_reimbursed" / "reports"
FBA02_IDS = ["FBA02:US:X00ABC1234:2107733001", "FBA02:US:X00ABC1234:2107733002"]

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_run_writes_the_three_outputs_and_exits_0(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run("run", str(LOST_UNITS), "--out", str(out), "--as-of", "2026-05-15")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["claims.xlsx", "findings.csv", "findings.json"]
    document = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    assert list(document) == ["as_of", "generated_by", "marketplace", "marketplaces", "findings", "follow_up",
                              "recovered", "skipped", "coverage", "input_problems", "files"]
    assert document["as_of"] == "2026-05-15"
    assert [f["finding_id"] for f in document["findings"]] == FBA02_IDS
    assert [(f["status"], f["quantity"], f["amount"]) for f in document["findings"]] == [
        ("claimable", 2, "13.00"), ("claimable", 1, "6.50")]
    assert "FBA02" in result.output and "claimable" in result.output


def test_fail_on_findings_exits_1_when_something_is_claimable(tmp_path: Path) -> None:
    result = run("run", str(LOST_UNITS), "--out", str(tmp_path), "--as-of", "2026-05-15", "--fail-on-findings")
    assert result.exit_code == 1


def test_fail_on_findings_exits_0_when_nothing_is_claimable(tmp_path: Path) -> None:
    result = run("run", str(NOTHING_TO_CLAIM), "--out", str(tmp_path), "--as-of", "2026-05-15",
                 "--fail-on-findings")
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "findings.json").read_text())["findings"] == []


def test_waiting_findings_do_not_fail_the_job(tmp_path: Path) -> None:
    # Five days after the losses the warehouse window has not opened: the findings wait, nothing is claimable.
    result = run("run", str(LOST_UNITS), "--out", str(tmp_path), "--as-of", "2026-04-15", "--fail-on-findings")
    assert result.exit_code == 0, result.output
    statuses = [f["status"] for f in json.loads((tmp_path / "findings.json").read_text())["findings"]]
    assert statuses == ["waiting", "waiting"]


def test_claimed_ids_are_recorded_as_filed_not_hidden(tmp_path: Path) -> None:
    filed = tmp_path / "filed.txt"
    filed.write_text(FBA02_IDS[0] + "\n", encoding="utf-8")
    result = run("run", str(LOST_UNITS), "--out", str(tmp_path / "out"), "--as-of", "2026-05-15",
                 "--claimed", str(filed))
    assert result.exit_code == 0, result.output
    findings = json.loads((tmp_path / "out" / "findings.json").read_text())["findings"]
    # Both findings are still reported; the filed one carries its case (filed on the run's date, no case id yet).
    assert [f["finding_id"] for f in findings] == FBA02_IDS
    assert findings[0]["case"] == {"case_id": None, "filed_on": "2026-05-15", "outcome": "filed", "claimed": "13.00",
                                   "reimbursed": None, "reimbursed_on": None}
    assert findings[1]["case"] is None
    # Only the unfiled one is offered for filing on the Cases sheet.
    import openpyxl

    cases = openpyxl.load_workbook(tmp_path / "out" / "claims.xlsx")["Cases"]
    assert [row[8] for row in cases.iter_rows(min_row=2, values_only=True)][:-1] == [FBA02_IDS[1]]  # then Total


def test_claimed_refuses_a_findings_csv_and_a_binary_file(tmp_path: Path) -> None:
    first = run("run", str(LOST_UNITS), "--out", str(tmp_path / "old"), "--as-of", "2026-05-15")
    assert first.exit_code == 0
    result = runner.invoke(app, ["run", str(LOST_UNITS), "--out", str(tmp_path / "new"), "--as-of", "2026-05-15",
                                 "--claimed", str(tmp_path / "old" / "findings.csv")])
    assert result.exit_code == 2
    assert "this is fba-audit's findings.csv, which lists every finding of a run, not the ones you filed" in " ".join(
        result.output.split())
    binary = tmp_path / "claims.bin"
    binary.write_bytes(b"PK\x03\x04\xff\xfe\x00")
    result = runner.invoke(app, ["run", str(LOST_UNITS), "--out", str(tmp_path / "new"), "--as-of", "2026-05-15",
                                 "--claimed", str(binary)])
    assert result.exit_code == 2
    assert "not a text file of finding ids" in " ".join(result.output.split())


def test_select_and_ignore(tmp_path: Path) -> None:
    result = run("run", str(LOST_UNITS), "--out", str(tmp_path / "a"), "--as-of", "2026-05-15", "--select",
                 "FBA07,fba09")
    document = json.loads((tmp_path / "a" / "findings.json").read_text())
    assert result.exit_code == 0 and document["findings"] == []
    assert {s["code"] for s in document["skipped"]} == {"FBA07", "FBA09"}
    result = run("run", str(LOST_UNITS), "--out", str(tmp_path / "b"), "--as-of", "2026-05-15", "--ignore", "FBA02")
    document = json.loads((tmp_path / "b" / "findings.json").read_text())
    assert result.exit_code == 0 and all(f["code"] != "FBA02" for f in document["findings"])


def test_missing_reports_skip_the_detector_with_the_report_to_download(tmp_path: Path) -> None:
    result = run("run", str(LOST_UNITS), "--out", str(tmp_path), "--as-of", "2026-05-15", "--select", "FBA07")
    skipped = json.loads((tmp_path / "findings.json").read_text())["skipped"]
    assert [s["code"] for s in skipped] == ["FBA07"]
    assert skipped[0]["reason"].startswith("needs transactions, customer_returns: no usable report for it in ")
    assert "Seller Central > Reports > Payments > All Statements" in skipped[0]["download"]
    coverage = json.loads((tmp_path / "findings.json").read_text())["coverage"]
    assert [(c["code"], c["status"], c["judged"], c["not_checked"]) for c in coverage] == [
        ("FBA07", "skipped", None, None)]
    assert coverage[0]["reasons"] == [{"reason": skipped[0]["reason"], "count": None, "items": []}]
    assert "skipped: needs transactions, customer_returns:" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--as-of", "15/05/2026"], "--as-of '15/05/2026' is not a date; write it as YYYY-MM-DD"),
        (["--select", "FBA99"], "unknown detector code FBA99; known codes: FBA01, FBA02"),
        (["--lang", "fr"], "--lang 'fr': use en or zh."),
        (["--marketplace", "XX"], "unknown marketplace 'XX'"),
    ],
)
def test_unusable_options_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["run", str(LOST_UNITS), "--out", str(tmp_path), *args])
    assert result.exit_code == 2
    assert message in result.output
    assert not (tmp_path / "claims.xlsx").exists()


def test_a_folder_without_any_report_exits_2(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "notes.txt").write_text("hello\tworld\n", encoding="utf-8")
    result = runner.invoke(app, ["run", str(reports), "--out", str(tmp_path / "out"), "--as-of", "2026-05-15"])
    assert result.exit_code == 2
    assert "No Seller Central report recognised in" in result.output
    assert not (tmp_path / "out").exists()


def test_unreadable_file_among_good_ones_still_runs(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    shutil.copytree(LOST_UNITS, reports)
    (reports / "notes.txt").write_text("hello\tworld\n", encoding="utf-8")
    result = run("run", str(reports), "--out", str(tmp_path / "out"), "--as-of", "2026-05-15")
    assert result.exit_code == 0
    problems = json.loads((tmp_path / "out" / "findings.json").read_text())["input_problems"]
    # The fixture's reimbursements.txt is a header without rows: said (a possible hole), not an error.
    assert [(p["file"], p["severity"]) for p in problems] == [("notes.txt", "error"),
                                                               ("reimbursements.txt", "warning")]


def test_version_prints_the_version_and_exits_0() -> None:
    from fba_audit import __version__

    result = run("--version")
    assert result.exit_code == 0
    assert result.output == f"fba-audit {__version__}\n"


def test_detectors_lists_all_ten() -> None:
    result = run("detectors")
    assert result.exit_code == 0
    for code in [f"FBA{n:02d}" for n in range(1, 11)]:
        assert code in result.output


def test_explain_prints_the_documentation() -> None:
    result = run("explain", "fba07")
    assert result.exit_code == 0
    assert result.output.startswith("FBA07 (refund-without-return)\n")
    for heading in ("## What it finds", "## Why Amazon owes you", "## Evidence to attach", "## Claim window"):
        assert heading in result.output
    assert "{claim_window}" not in result.output


def test_explain_unknown_code_exits_2() -> None:
    result = runner.invoke(app, ["explain", "FBA99"])
    assert result.exit_code == 2
    assert "Unknown detector 'FBA99'. Run `fba-audit detectors` for the list." in result.output


def test_a_detector_that_fails_is_skipped_and_the_run_exits_2(tmp_path: Path, monkeypatch) -> None:
    import dataclasses

    from fba_audit import api
    from fba_audit.detectors import BY_CODE

    def broken(**_frames):
        raise RuntimeError("boom")

    fba02 = dataclasses.replace(BY_CODE["FBA02"], run=broken)
    monkeypatch.setattr(api, "ALL_DETECTORS", (fba02, BY_CODE["FBA08"]))
    monkeypatch.setattr(api, "BY_CODE", {"FBA02": fba02, "FBA08": BY_CODE["FBA08"]})
    result = run("run", str(LOST_UNITS), "--out", str(tmp_path), "--as-of", "2026-05-15")
    assert result.exit_code == 2
    skipped = json.loads((tmp_path / "findings.json").read_text())["skipped"]
    # The failure is told apart from a detector that merely lacked its reports.
    assert [(s["code"], s["reason"].split(":")[0]) for s in skipped] == [
        ("FBA02", "failed"), ("FBA08", "needs inbound_shipments, inbound_shipment_items")]
    assert skipped[0]["reason"] == "failed: RuntimeError: boom"
    coverage = json.loads((tmp_path / "findings.json").read_text())["coverage"]
    assert [(c["code"], c["status"], c["judged"], c["not_checked"], [r["reason"] for r in c["reasons"]])
            for c in coverage] == [
        ("FBA02", "failed", None, None, ["failed: RuntimeError: boom"]),
        ("FBA08", "skipped", None, None, [skipped[1]["reason"]])]


def test_a_report_feeding_two_missing_datasets_is_named_once(tmp_path: Path) -> None:
    run("run", str(NOTHING_TO_CLAIM), "--out", str(tmp_path), "--as-of", "2026-05-15", "--select", "FBA08")
    (skipped,) = json.loads((tmp_path / "findings.json").read_text())["skipped"]
    assert skipped["reason"].startswith("needs inbound_shipments, inbound_shipment_items: ")
    assert skipped["download"].count("getShipmentItems") == 1


def test_fail_on_findings_counts_only_claims_not_filed_yet(tmp_path: Path) -> None:
    one = tmp_path / "one.txt"
    one.write_text(FBA02_IDS[0] + "\n", encoding="utf-8")
    result = run("run", str(LOST_UNITS), "--out", str(tmp_path / "a"), "--as-of", "2026-05-15", "--claimed", str(one),
                 "--fail-on-findings")
    assert result.exit_code == 1  # the second finding is still to be filed
    both = tmp_path / "both.txt"
    both.write_text("\n".join(FBA02_IDS) + "\n", encoding="utf-8")
    result = run("run", str(LOST_UNITS), "--out", str(tmp_path / "b"), "--as-of", "2026-05-15", "--claimed",
                 str(both), "--fail-on-findings")
    assert result.exit_code == 0, result.output


def test_claimed_takes_a_workbook_staff_filled_in(tmp_path: Path) -> None:
    import datetime as dt

    import openpyxl

    assert run("run", str(LOST_UNITS), "--out", str(tmp_path / "old"), "--as-of", "2026-05-15").exit_code == 0
    book = openpyxl.load_workbook(tmp_path / "old" / "claims.xlsx")
    ws = book["FBA02"]
    headers = [cell.value for cell in ws[1]]
    ws.cell(row=2, column=headers.index("filed_on") + 1, value=dt.datetime(2026, 5, 16))
    ws.cell(row=2, column=headers.index("case_id") + 1, value="19823456781")
    book.save(tmp_path / "old" / "claims.xlsx")
    result = run("run", str(LOST_UNITS), "--out", str(tmp_path / "new"), "--as-of", "2026-05-20", "--claimed",
                 str(tmp_path / "old" / "claims.xlsx"))
    assert result.exit_code == 0, result.output
    findings = json.loads((tmp_path / "new" / "findings.json").read_text())["findings"]
    assert [(f["finding_id"], f["case"] and f["case"]["case_id"]) for f in findings] == [
        (FBA02_IDS[0], "19823456781"), (FBA02_IDS[1], None)]


UNKNOWN_GROUP = FIXTURES / "FBA10" / "clean_unknown_product_group" / "reports"


def test_check_and_run_show_what_a_detector_could_not_judge(tmp_path: Path) -> None:
    """FBA10 ran and found nothing because it knows no category for the SKU: that is said, not hidden."""
    checked = run("check", str(UNKNOWN_GROUP), "--as-of", "2026-05-15")
    assert checked.exit_code == 0, checked.output
    assert "Coverage: what each detector judged, and what it could not" in checked.output
    assert "1 no referral category for the SKU: no" in checked.output
    ran = run("run", str(UNKNOWN_GROUP), "--out", str(tmp_path), "--as-of", "2026-05-15", "--select", "FBA10")
    assert ran.exit_code == 0, ran.output
    assert "1 no referral category for the SKU: no" in ran.output
    (coverage,) = json.loads((tmp_path / "findings.json").read_text())["coverage"]
    assert (coverage["code"], coverage["status"], coverage["judged"], coverage["findings"], coverage["not_checked"]) \
        == ("FBA10", "ran", 0, 0, 1)
    assert coverage["reasons"] == [{
        "reason": "no referral category for the SKU: no referral_category in products.csv and no Fee Preview product "
                  "group that maps to one",
        "count": 1, "items": ["PHONE-CASE: 1 charge(s), 2026-03-12 to 2026-03-12"]}]
