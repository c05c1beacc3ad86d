"""The claim ledger piece by piece: migrations, locking, staff entries and their bad cells, payments, follow-up.

Runs are built directly (an AuditResult with the findings and the Reimbursements rows a test needs), so each rule is
checked on a few rows whose amounts are written here.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from decimal import Decimal
from pathlib import Path

import openpyxl
import polars as pl
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from fba_audit.cli import app
from fba_audit.findings import FINDINGS_SCHEMA, Findings
from fba_audit.ledger import schema
from fba_audit.ledger import store as store_module
from fba_audit.ledger.staff import read_workbook
from fba_audit.ledger.store import LedgerBusy, open_ledger
from fba_audit.reports.model import LoadResult
from fba_audit.results import AuditResult
from fba_audit.writers import write_all

runner = CliRunner()
LOST_A = "FBA02:US:X00AAAAAAA:1001"
LOST_B = "FBA02:US:X00BBBBBBB:1002"
REFUND = "FBA07:US:111-0000000-0000001:SKU-C:2026-09-01"


def finding(finding_id: str, **fields: object) -> dict[str, object]:
    code = finding_id[:5]
    fnsku = finding_id.split(":")[2] if code == "FBA02" else None
    row: dict[str, object] = {
        "finding_id": finding_id, "code": code, "status": "claimable", "marketplace": "US", "currency": "USD",
        "sku": f"SKU-{fnsku[-1]}" if fnsku else "SKU-C", "fnsku": fnsku, "asin": None,
        "order_id": "111-0000000-0000001" if code == "FBA07" else None, "shipment_id": None,
        "reference_id": finding_id.split(":")[-1], "quantity": 1, "amount": Decimal("10.00"),
        "valuation_basis": "cost_file", "event_date": dt.date(2026, 9, 1), "window_opens": dt.date(2026, 9, 15),
        "window_closes": dt.date(2027, 3, 1), "confidence": "high", "message": f"{finding_id} owed",
        "evidence": "ledger.tsv:2", "case_text": f"Please reimburse {finding_id}.",
    }
    row.update(fields)
    return row


REIMBURSEMENT_COLUMNS = {
    "source_file": pl.String, "source_line": pl.Int64, "approval_date": pl.Date, "reimbursement_id": pl.String,
    "case_id": pl.String, "amazon_order_id": pl.String, "reason": pl.String, "sku": pl.String, "fnsku": pl.String,
    "currency": pl.String, "amount_total": pl.Decimal(18, 2), "quantity_reimbursed_total": pl.Int64,
    "original_reimbursement_id": pl.String, "original_reimbursement_type": pl.String,
}


def payment(reimbursement_id: str, day: dt.date, amount: str, *, case_id: str | None = None, fnsku: str | None = None,
            order_id: str | None = None, reason: str = "Lost_Warehouse", units: int = 1,
            original: str | None = None) -> dict[str, object]:
    return {"source_file": "reimbursements.txt", "source_line": 2, "approval_date": day,
            "reimbursement_id": reimbursement_id, "case_id": case_id, "amazon_order_id": order_id, "reason": reason,
            "sku": None, "fnsku": fnsku, "currency": "USD", "amount_total": Decimal(amount),
            "quantity_reimbursed_total": units, "original_reimbursement_id": original,
            "original_reimbursement_type": "Lost_Warehouse" if original else None}


TRANSACTION_COLUMNS = {
    "source_file": pl.String, "source_line": pl.Int64, "settlement_id": pl.String, "transaction_type": pl.String,
    "order_id": pl.String, "shipment_id": pl.String, "amount_type": pl.String, "amount_description": pl.String,
    "amount": pl.Decimal(18, 2), "currency": pl.String, "posted_date": pl.Date, "sku": pl.String,
    "quantity_purchased": pl.Int64,
}


def month(as_of: dt.date, findings: list[dict[str, object]], payments: list[dict[str, object]] = (),
          ran: tuple[str, ...] = ("FBA02", "FBA07"), settlement: list[dict[str, object]] = ()) -> AuditResult:
    frame = Findings.validate(pl.DataFrame(findings, schema=FINDINGS_SCHEMA, orient="row")).sort("finding_id")
    reimbursements = pl.DataFrame(list(payments), schema=REIMBURSEMENT_COLUMNS, orient="row")
    transactions = pl.DataFrame(list(settlement), schema=TRANSACTION_COLUMNS, orient="row")
    load = LoadResult(datasets={"reimbursements": reimbursements, "transactions": transactions}, files=[])
    return AuditResult(as_of=as_of, marketplace="US", findings=frame, ran=list(ran), load=load)


@pytest.fixture
def sqlite_ledger(tmp_path: Path) -> str:
    return str(tmp_path / "ledger.sqlite3")


# ---- storage ----


def test_migrations_build_exactly_the_schema_the_code_uses(ledger_url: str) -> None:
    with open_ledger(ledger_url) as ledger:
        assert ledger.revision() == "0002"
        inspector = sa.inspect(ledger.engine)
        tables = {name: [c["name"] for c in inspector.get_columns(name)] for name in inspector.get_table_names()
                  if name != "alembic_version"}
    assert tables == {name: [c.name for c in table.columns] for name, table in schema.metadata.tables.items()}


def test_a_ledger_written_by_an_older_version_upgrades_in_place(tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config
    from importlib import resources

    path = tmp_path / "old.sqlite3"
    engine = sa.create_engine(f"sqlite:///{path}")
    config = Config()
    config.set_main_option("script_location", str(resources.files("fba_audit.ledger") / "migrations"))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0001")  # what fba-audit wrote before runs had an out_dir
        conn.exec_driver_sql("INSERT INTO runs (recorded_at, as_of, marketplace, version, detectors_ran, findings) "
                             "VALUES ('2026-10-01 10:00:00', '2026-10-01', 'US', '0.0.9', 'FBA02', 3)")
    engine.dispose()
    with open_ledger(path) as ledger:
        assert ledger.revision() == "0002"
        with ledger.engine.connect() as conn:
            rows = conn.execute(sa.select(schema.runs.c.version, schema.runs.c.findings, schema.runs.c.out_dir)).all()
    assert rows == [("0.0.9", 3, None)]


def test_a_path_a_folder_a_url_and_the_environment_choose_the_ledger(tmp_path: Path, monkeypatch) -> None:
    assert store_module.resolve(tmp_path / "x.sqlite3") == f"sqlite:///{tmp_path / 'x.sqlite3'}"
    assert store_module.resolve(tmp_path) == f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    assert store_module.resolve("postgresql://me@db/ledger") == "postgresql+psycopg://me@db/ledger"
    monkeypatch.setenv("FBA_AUDIT_LEDGER", str(tmp_path / "env.sqlite3"))
    assert store_module.resolve(None) == f"sqlite:///{tmp_path / 'env.sqlite3'}"
    monkeypatch.delenv("FBA_AUDIT_LEDGER")
    assert store_module.resolve(None) == f"sqlite:///{store_module.default_location()}"
    assert store_module.default_location().name == "ledger.sqlite3"
    with pytest.raises(ValueError, match="give a file path \\(SQLite\\) or a postgresql://user@host/database URL"):
        store_module.resolve("mysql://me@db/ledger")


def test_a_run_waits_for_another_and_fails_clearly_when_it_holds_on(sqlite_ledger: str, monkeypatch) -> None:
    with open_ledger(sqlite_ledger) as ledger:
        monkeypatch.setattr(store_module, "LOCK_WAIT_SECONDS", 1)
        ledger.engine.dispose()
        ledger.engine = sa.create_engine(ledger.url, connect_args={"timeout": 1})
        store_module._sqlite_begins_immediate(ledger.engine)
        other = sqlite3.connect(ledger.location, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another fba-audit in the middle of recording
        try:
            with pytest.raises(LedgerBusy, match="is in use by another fba-audit run \\(waited 1 s\\); nothing was "
                                                 "recorded. Run again when the other run has finished."):
                ledger.record_run(month(dt.date(2026, 10, 1), [finding(LOST_A)]))
        finally:
            other.execute("ROLLBACK")
            other.close()
        with ledger.engine.connect() as conn:
            assert conn.execute(sa.select(sa.func.count()).select_from(schema.runs)).scalar_one() == 0
            assert conn.execute(sa.select(sa.func.count()).select_from(schema.findings)).scalar_one() == 0


def test_a_postgresql_run_fails_clearly_while_another_holds_the_ledger(postgres_url: str, monkeypatch) -> None:
    import psycopg

    monkeypatch.setattr(store_module, "LOCK_WAIT_SECONDS", 1)
    with open_ledger(postgres_url) as ledger:
        url = sa.engine.make_url(ledger.url)
        with psycopg.connect(host=url.query["host"], port=url.query["port"], user="postgres",
                             dbname=url.database) as other:
            other.execute(f"SELECT pg_advisory_xact_lock({store_module.PG_LOCK_KEY})")
            with pytest.raises(LedgerBusy, match="is in use by another fba-audit run"):
                ledger.record_run(month(dt.date(2026, 10, 1), [finding(LOST_A)]))
        with ledger.engine.connect() as conn:
            assert conn.execute(sa.select(sa.func.count()).select_from(schema.runs)).scalar_one() == 0


def test_two_runs_at_once_both_record_one_after_the_other(ledger_url: str) -> None:
    open_ledger(ledger_url).close()
    errors: list[BaseException] = []

    def record(as_of: dt.date) -> None:
        try:
            with open_ledger(ledger_url) as ledger:
                ledger.record_run(month(as_of, [finding(LOST_A), finding(LOST_B)]))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=record, args=(dt.date(2026, 10, day),)) for day in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with open_ledger(ledger_url) as ledger, ledger.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(schema.runs)).scalar_one() == 2
        assert conn.execute(sa.select(sa.func.count()).select_from(schema.finding_runs)).scalar_one() == 4
        seen = conn.execute(sa.select(schema.findings.c.first_seen, schema.findings.c.last_seen)).all()
    assert sorted(seen) == [(dt.date(2026, 10, 1), dt.date(2026, 10, 2))] * 2


# ---- staff entries ----


def workbook_for(tmp_path: Path, ledger_url: str, findings: list[dict[str, object]]) -> Path:
    result = month(dt.date(2026, 10, 1), findings)
    with open_ledger(ledger_url) as ledger:
        result.ledger = ledger.record_run(result)
    return write_all(result, tmp_path / "out")["xlsx"]


def fill(path: Path, sheet: str, row: int, **cells: object) -> None:
    book = openpyxl.load_workbook(path)
    ws = book[sheet]
    headers = [cell.value for cell in ws[1]]
    for header, value in cells.items():
        ws.cell(row=row, column=headers.index(header) + 1, value=value)
    book.save(path)


def test_bad_cells_are_named_and_the_rest_of_the_import_is_kept(tmp_path: Path, sqlite_ledger: str) -> None:
    third = "FBA02:US:X00CCCCCCC:1003"
    path = workbook_for(tmp_path, sqlite_ledger, [finding(LOST_A), finding(LOST_B), finding(third), finding(REFUND)])
    # FBA02 rows 2..4 are LOST_A, LOST_B, third (nearest deadline, then id); columns X..AA are the staff columns.
    fill(path, "FBA02", 2, filed_on="next week", case_id="12345", outcome="paid")
    fill(path, "FBA02", 3, finding_id=third, case_id="19823456781")  # typed over with another finding's id
    fill(path, "FBA02", 4, finding_id="FBA02:US:X00CCCCCCC:9999", filed_on=dt.datetime(2026, 10, 3))
    fill(path, "FBA07", 2, filed_on=dt.datetime(2026, 10, 2), case_id=19823456782.0, outcome="denied")
    with open_ledger(sqlite_ledger) as ledger:
        problems = ledger.import_workbook(path, today=dt.date(2026, 10, 5))
        entries = ledger.staff_entries()
    assert [(p.sheet, p.cell, p.message) for p in problems] == [
        ("FBA02", "X2", "filed_on 'next week' is not a date; enter the day the case was filed, e.g. 2026-11-25."),
        ("FBA02", "Y2", "case_id '12345' is not an Amazon case id: 10 or 11 digits, as Seller Central's case log "
                        "shows it (e.g. 19823456781)."),
        ("FBA02", "Z2", "outcome 'paid' is not in the list; pick one of filed, reimbursed, denied, not filing."),
        ("FBA02", "A3", f"the row's finding_id '{third}' belongs to sku SKU-C, but the row shows sku SKU-B: the "
                        "finding id was edited. Put back the id fba-audit wrote. The row's entries were not imported."),
        ("FBA02", "A4", "finding id 'FBA02:US:X00CCCCCCC:9999' was not reported by any run recorded in the ledger; "
                        "it may have been edited. Put back the id fba-audit wrote (the Evidence sheet lists every "
                        "id); the row's entries were not imported."),
    ]
    assert str(problems[0]) == ("claims.xlsx, sheet FBA02, cell X2: filed_on 'next week' is not a date; enter the day "
                                "the case was filed, e.g. 2026-11-25.")
    # The good row went in (a case id Excel stored as a number reads back as its digits).
    assert entries == {REFUND: entries[REFUND]}
    assert (entries[REFUND].filed_on, entries[REFUND].case_id, entries[REFUND].outcome) == (
        dt.date(2026, 10, 2), "19823456782", "denied")


def test_a_chinese_workbook_reads_back_the_same(tmp_path: Path, sqlite_ledger: str) -> None:
    result = month(dt.date(2026, 10, 1), [finding(LOST_A)])
    with open_ledger(sqlite_ledger) as ledger:
        result.ledger = ledger.record_run(result)
    path = write_all(result, tmp_path / "zh", lang="zh")["xlsx"]
    fill(path, "FBA02", 2, **{"提交日期": dt.datetime(2026, 10, 3), "案件编号": "19823456781", "结果": "被拒绝"})
    rows = read_workbook(path).rows
    assert [(r.sheet, r.finding_ids, r.filed_on, r.case_id, r.outcome) for r in rows] == [
        ("FBA02", (LOST_A,), dt.date(2026, 10, 3), "19823456781", "denied")]


# ---- Amazon's payments and follow-up ----


def filed(ledger_url: str, *ids: str, case_id: str, on: dt.date = dt.date(2026, 10, 2), outcome: str = "filed"):
    with open_ledger(ledger_url) as ledger:
        assert ledger.record_case(finding_ids=list(ids), case_id=case_id, filed_on=on, outcome=outcome, notes=None,
                                  source="test", today=on) == []


def test_a_reversal_reopens_a_paid_case(ledger_url: str) -> None:
    findings = [finding(LOST_A, amount=Decimal("12.00"))]
    with open_ledger(ledger_url) as ledger:
        ledger.record_run(month(dt.date(2026, 10, 1), findings))
    filed(ledger_url, LOST_A, case_id="19823456781")
    paid = payment("70000000001", dt.date(2026, 10, 20), "12.00", case_id="19823456781", fnsku="X00AAAAAAA")
    with open_ledger(ledger_url) as ledger:
        view = ledger.record_run(month(dt.date(2026, 10, 31), findings, [paid]))
    assert view.cases[LOST_A].outcome == "paid"
    assert (view.recovered_this_month, view.follow_up) == (Decimal("12.00"), [])
    # Amazon found the unit and took the money back: no case id on the reversal, only the original's id.
    back = payment("70000000002", dt.date(2026, 11, 3), "-12.00", fnsku="X00AAAAAAA", reason="Reimbursement_Reversal",
                   units=-1, original="70000000001")
    with open_ledger(ledger_url) as ledger:
        view = ledger.record_run(month(dt.date(2026, 11, 20), findings, [paid, back]))
    assert view.cases[LOST_A].outcome == "reversed"
    assert view.cases[LOST_A].reimbursed == Decimal("0.00")
    assert [(i.kind, i.case_id, i.outstanding) for i in view.follow_up] == [
        ("reversed", "19823456781", Decimal("12.00"))]
    assert view.follow_up[0].action.startswith("Amazon took back a payment on case 19823456781 (reimbursement "
                                               "70000000002): check in the Inventory Ledger")
    assert (view.recovered_this_month, view.recovered_this_year) == (Decimal("-12.00"), Decimal("0.00"))


def test_a_denied_case_is_followed_up_inside_the_reopen_window_only(ledger_url: str) -> None:
    with open_ledger(ledger_url) as ledger:
        ledger.record_run(month(dt.date(2026, 10, 1), [finding(REFUND)]))
    filed(ledger_url, REFUND, case_id="19823456781", on=dt.date(2026, 10, 2), outcome="denied")
    with open_ledger(ledger_url) as ledger:
        inside = ledger.record_run(month(dt.date(2026, 10, 20), [finding(REFUND)]))
        after = ledger.record_run(month(dt.date(2026, 11, 2), [finding(REFUND)]))
    # data/follow_up.csv: denied cases may be reopened for 30 days from the outcome (2026-10-02 + 30).
    assert [(i.kind, i.act_by) for i in inside.follow_up] == [("denied", dt.date(2026, 11, 1))]
    assert after.follow_up == []


def test_unpaid_follow_up_starts_after_the_documented_days(ledger_url: str) -> None:
    with open_ledger(ledger_url) as ledger:
        ledger.record_run(month(dt.date(2026, 10, 1), [finding(LOST_A)]))
    filed(ledger_url, LOST_A, case_id="19823456781", on=dt.date(2026, 10, 2))
    with open_ledger(ledger_url) as ledger:
        early = ledger.record_run(month(dt.date(2026, 10, 15), [finding(LOST_A)]))
        due = ledger.record_run(month(dt.date(2026, 10, 16), [finding(LOST_A)]))
    assert early.follow_up == []  # 13 days after filing
    assert [(i.kind, i.action) for i in due.follow_up] == [
        ("unpaid", "Case 19823456781 is unpaid 14 days after filing: reply on the case in Seller Central's case log "
                   "asking for the status (do not open a new case for the same units).")]


def test_old_payments_in_the_first_reports_are_not_taken_for_payments_of_new_findings(ledger_url: str) -> None:
    # The detectors already netted this payment (it is in the same reports): it must not close the finding.
    old = payment("70000000009", dt.date(2026, 9, 20), "10.00", fnsku="X00AAAAAAA")
    with open_ledger(ledger_url) as ledger:
        view = ledger.record_run(month(dt.date(2026, 10, 1), [finding(LOST_A)], [old]))
        again = ledger.record_run(month(dt.date(2026, 10, 31), [finding(LOST_A)], [old]))
    assert (view.recovered_this_year, again.recovered_this_year, again.closed) == (
        Decimal("0.00"), Decimal("0.00"), {})


def test_a_settlement_reimbursement_line_pays_a_finding_by_its_order_id(ledger_url: str) -> None:
    # A V1 settlement line of the refund-without-return reimbursement (docs/report-formats.md, "Reimbursements in settlement and transaction files": transaction-type
    # REVERSAL_REIMBURSEMENT, the order id, the money in other-amount), with no Reimbursements report in the folder.
    line = {"source_file": "settlement.txt", "source_line": 7, "settlement_id": "12345678901",
            "transaction_type": "REVERSAL_REIMBURSEMENT", "order_id": "111-0000000-0000001", "shipment_id": None,
            "amount_type": "other-transaction", "amount_description": "REVERSAL_REIMBURSEMENT",
            "amount": Decimal("10.00"), "currency": "USD", "posted_date": dt.date(2026, 10, 20), "sku": "SKU-C",
            "quantity_purchased": 1}
    with open_ledger(ledger_url) as ledger:
        ledger.record_run(month(dt.date(2026, 10, 1), [finding(REFUND)]))
        view = ledger.record_run(month(dt.date(2026, 10, 31), [], settlement=[line]))
        rows = {row["finding_id"]: row for row in ledger.export_rows()}
    assert (view.recovered_this_month, view.closed) == (Decimal("10.00"), {"paid_by_amazon": 1})
    assert (rows[REFUND]["resolution"], rows[REFUND]["paid_to_finding"]) == ("paid_by_amazon", Decimal("10.00"))
    assert [(d.code, d.paid_without_case) for d in view.by_detector] == [("FBA07", Decimal("10.00"))]


def test_a_finding_that_goes_away_is_recorded_never_dropped(ledger_url: str) -> None:
    with open_ledger(ledger_url) as ledger:
        ledger.record_run(month(dt.date(2026, 10, 1), [finding(LOST_A), finding(REFUND)]))
        # FBA07 did not run this time (its reports were missing): its finding stays open.
        view = ledger.record_run(month(dt.date(2026, 10, 31), [], ran=("FBA02",)))
        rows = {row["finding_id"]: row for row in ledger.export_rows()}
        back = ledger.record_run(month(dt.date(2026, 11, 30), [finding(LOST_A), finding(REFUND)]))
        again = {row["finding_id"]: row for row in ledger.export_rows()}
    assert view.closed == {"evidence_changed": 1}
    assert (rows[LOST_A]["resolution"], rows[REFUND]["resolution"]) == ("evidence_changed", None)
    assert back.closed == {}
    assert again[LOST_A]["resolution"] is None  # reported again: open again


# ---- the command line ----


def test_ledger_commands_record_a_case_and_show_the_status(tmp_path: Path, sqlite_ledger: str) -> None:
    with open_ledger(sqlite_ledger) as ledger:
        ledger.record_run(month(dt.date(2026, 10, 1), [finding(LOST_A), finding(LOST_B)]))
    result = runner.invoke(app, ["ledger", "case", LOST_A, LOST_B, "--case-id", "19823456781", "--filed-on",
                                 "2026-10-02", "--ledger", sqlite_ledger])
    assert result.exit_code == 0, result.output
    assert f"recorded case 19823456781 for {LOST_A}, {LOST_B}" in result.output
    result = runner.invoke(app, ["ledger", "status", "--ledger", sqlite_ledger])
    assert result.exit_code == 0, result.output
    assert "│ FBA02 │ 2026-10 │     1 │   20.00 │ 0.00 │    1 │" in result.output
    bad = runner.invoke(app, ["ledger", "case", LOST_A, "--case-id", "ABC", "--ledger", sqlite_ledger])
    assert bad.exit_code == 2
    assert "--case-id 'ABC' is not an Amazon case id: 10 or 11 digits" in bad.output
    unknown = runner.invoke(app, ["ledger", "case", "FBA02:US:NOPE:1", "--ledger", sqlite_ledger])
    assert unknown.exit_code == 2
    assert "finding id 'FBA02:US:NOPE:1' was not reported by any run recorded in the ledger" in unknown.output


def test_ledger_import_exits_2_on_a_bad_cell_and_keeps_the_good_ones(tmp_path: Path, sqlite_ledger: str) -> None:
    path = workbook_for(tmp_path, sqlite_ledger, [finding(LOST_A), finding(LOST_B)])
    fill(path, "FBA02", 2, case_id="19823456781", filed_on=dt.datetime(2026, 10, 2))
    fill(path, "FBA02", 3, outcome="maybe")
    result = runner.invoke(app, ["ledger", "import", str(path), "--ledger", sqlite_ledger])
    assert result.exit_code == 2
    assert "sheet FBA02, cell Z3: outcome 'maybe' is not in the list" in " ".join(result.output.split())
    with open_ledger(sqlite_ledger) as ledger:
        assert list(ledger.staff_entries()) == [LOST_A]


def test_no_ledger_writes_no_ledger_and_reports_no_recovery(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "ledger.sqlite3"
    monkeypatch.setenv("FBA_AUDIT_LEDGER", str(target))
    reports = Path(__file__).parents[1] / "fixtures" / "detectors" / "FBA02" / \
        "finds_basic_misplaced_and_damaged_not_reimbursed" / "reports"
    result = runner.invoke(app, ["run", str(reports), "--out", str(tmp_path / "out"), "--as-of", "2026-05-15",
                                 "--no-ledger"])
    assert result.exit_code == 0, result.output
    assert not target.exists()
    assert "claim ledger" not in result.output
    import json

    document = json.loads((tmp_path / "out" / "findings.json").read_text())
    assert (document["recovered"], document["follow_up"]) == (None, [])
