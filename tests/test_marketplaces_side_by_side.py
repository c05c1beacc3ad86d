"""A folder of several stores (issue 24 item 4): each marketplace the files name is audited on its own, with its
own claim windows, rate cards and currency, and the outputs show them side by side, money per currency (never GBP
added to EUR). docs/monthly-run.md, "Several marketplaces in one folder"."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from decimal import Decimal
from pathlib import Path

import openpyxl
import polars as pl
from typer.testing import CliRunner

from fba_audit.api import audit
from fba_audit.cli import app
from fba_audit.reports import load_folder

REPORTS = Path(__file__).parent / "fixtures" / "reports"
US_FEE_PREVIEW = REPORTS / "fee_preview" / "ok_us_2026.txt"  # amazon-store US and CA rows, USD and CAD
LEDGER = REPORTS / "ledger_detail" / "ok_14col.txt"  # names no marketplace
AS_OF = dt.date(2026, 4, 15)

V2_HEADER = ("settlement-id\tsettlement-start-date\tsettlement-end-date\tdeposit-date\ttotal-amount\tcurrency\t"
             "transaction-type\torder-id\tmerchant-order-id\tadjustment-id\tshipment-id\tmarketplace-name\t"
             "amount-type\tamount-description\tamount\tfulfillment-id\tposted-date\tposted-date-time\t"
             "order-item-code\tmerchant-order-item-id\tmerchant-adjustment-item-id\tsku\tquantity-purchased\t"
             "promotion-id")


def settlement(settlement_id: str, domain: str, currency: str, order: str, german: bool = False) -> str:
    """One order of 20.00 for one unit, refunded twice by 12.00: 4.00 refunded over the charge (FBA03), in the
    settlement V2 shape of the store: German stores write decimal commas and dd.mm.yyyy dates (docs/reports.md)."""
    def money(text: str) -> str:
        return text.replace(".", ",") if german else text

    def day(iso: str) -> str:
        return f"{iso[8:10]}.{iso[5:7]}.{iso[:4]}" if german else iso

    def line(kind: str, adjustment: str, amount_type: str, description: str, amount: str, on: str,
             quantity: str = "") -> str:
        return "\t".join([settlement_id, "", "", "", "", "", kind, order, order, adjustment, "", domain, amount_type,
                          description, money(amount), "AFN", day(on), f"{day(on)} 10:00:00 UTC", "40000000000001",
                          "", "", "SKU-MUG", quantity, ""])

    return "\n".join([
        V2_HEADER,
        "\t".join([settlement_id, f"{day('2026-02-01')} 00:00:00 UTC", f"{day('2026-03-12')} 00:00:00 UTC",
                   f"{day('2026-03-14')} 00:00:00 UTC", money("-4.00"), currency]) + "\t" * 18,
        line("Order", "", "ItemPrice", "Principal", "20.00", "2026-02-02", "1"),
        line("Refund", "amzn1:crow:A", "ItemPrice", "Principal", "-12.00", "2026-02-20"),
        line("Refund", "amzn1:crow:B", "ItemPrice", "Principal", "-12.00", "2026-03-05"),
    ]) + "\n"


def three_stores(root: Path) -> Path:
    reports = root / "reports"
    (reports / "UK").mkdir(parents=True)
    (reports / "UK" / "settlement.txt").write_text(
        settlement("25000000001", "Amazon.co.uk", "GBP", "202-0000001-0000001"), encoding="utf-8")
    # A ledger in the UK folder is the UK's; one at the top, beside files of three marketplaces, is nobody's.
    shutil.copyfile(LEDGER, reports / "UK" / "ledger.txt")
    shutil.copyfile(LEDGER, reports / "ledger.txt")
    (reports / "de.txt").write_text(
        settlement("25000000002", "Amazon.de", "EUR", "302-0000001-0000001", german=True), encoding="utf-8")
    (reports / "us.txt").write_text(
        settlement("25000000003", "Amazon.com", "USD", "111-0000001-0000001"), encoding="utf-8")
    shutil.copyfile(US_FEE_PREVIEW, reports / "fees.txt")
    return reports


LEFT_OUT_HINT = ("Put each marketplace's reports in a folder of its own (for example reports/UK/ and reports/DE/), "
                 "or audit one marketplace at a time with --marketplace.")


def test_each_file_is_placed_in_its_marketplace(tmp_path: Path) -> None:
    load = load_folder(three_stores(tmp_path))
    decision = load.marketplace
    assert (decision.code, decision.codes, decision.error) == (None, ("DE", "UK", "US"), None)
    assert decision.placed == {"de.txt": "DE", "us.txt": "US", "UK/settlement.txt": "UK", "UK/ledger.txt": "UK"}
    assert decision.split == ("fees.txt",)
    assert decision.note == ("Marketplaces DE, UK, US, as the reports say, audited side by side: DE (1 file), UK "
                             "(2 files), US (1 file); 1 file with rows of several, each row in its own; 1 file left "
                             "out.")
    assert [(p.file, p.line, p.severity, p.message, p.hint) for p in load.problems] == [
        ("fees.txt", 3, "warning", "1 row (first here) of this file of several marketplaces names none of this "
         "folder's (DE, UK, US) by itself (CA): left out, so that no money goes to the wrong marketplace's audit.",
         LEFT_OUT_HINT),
        ("ledger.txt", None, "error", "does not say which of this folder's marketplaces (DE, UK, US) it is from: "
         "not audited.", LEFT_OUT_HINT),
    ]
    files = {f.file: (f.rows_read, f.rows_kept, f.rows_rejected) for f in load.files}
    assert files["fees.txt"] == (2, 1, 1)  # the CA row is accounted for, as rejected
    assert files["ledger.txt"] == (4, 0, 4)
    # Each part holds its own marketplace's money only.
    for code, currency in (("DE", "EUR"), ("UK", "GBP"), ("US", "USD")):
        part = load.parts[code]
        assert part.datasets["transactions"]["currency"].unique().to_list() == [currency]
        assert part.datasets["transactions"]["amount"].sum() == Decimal("-4.00")
    assert load.parts["UK"].datasets["inventory_ledger"].height == 4
    assert load.parts["DE"].datasets["inventory_ledger"].is_empty()
    assert load.parts["US"].datasets["fee_preview"]["amazon_store"].to_list() == ["US"]
    assert load.parts["DE"].datasets["fee_preview"].is_empty()
    # The folder as a whole still has every kept row once.
    assert load.datasets["transactions"].height == 9


def test_findings_carry_their_marketplace_and_currency(tmp_path: Path) -> None:
    result = audit(three_stores(tmp_path), as_of=AS_OF, select=["FBA03"])
    assert result.marketplace == "DE,UK,US"
    assert result.marketplaces == ["DE", "UK", "US"]
    assert result.findings.select("finding_id", "marketplace", "currency", "amount", "status").rows() == [
        ("FBA03:DE:302-0000001-0000001:SKU-MUG", "DE", "EUR", Decimal("4.00"), "review"),
        ("FBA03:UK:202-0000001-0000001:SKU-MUG", "UK", "GBP", Decimal("4.00"), "review"),
        ("FBA03:US:111-0000001-0000001:SKU-MUG", "US", "USD", Decimal("4.00"), "review"),
    ]
    assert [(p.marketplace, p.findings.height, p.ran) for p in result.parts] == [
        ("DE", 1, ["FBA03"]), ("UK", 1, ["FBA03"]), ("US", 1, ["FBA03"])]


def test_run_shows_one_block_per_marketplace_with_totals_per_currency(tmp_path: Path) -> None:
    reports = three_stores(tmp_path)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["run", str(reports), "--out", str(out), "--as-of", AS_OF.isoformat(),
                                      "--select", "FBA03", "--no-ledger"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    for label in ("DE (EUR)", "UK (GBP)", "US (USD)"):
        assert f"Findings, marketplace {label}" in text
        assert f"{label}: nothing claimable now, no deadlines this week" in text
        assert f"Coverage: what each detector judged, and what it could not, marketplace {label}" in text
    assert "4.00 EUR" in text and "4.00 GBP" in text and "4.00 USD" in text
    assert "All marketplaces (DE, UK, US): nothing claimable now, no deadlines this week" in text

    document = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    assert document["marketplace"] == "DE,UK,US"
    assert [(b["marketplace"], b["currency"], b["findings"], b["by_status"]["review"]) for b in
            document["marketplaces"]] == [
        ("DE", "EUR", 1, {"findings": 1, "units": 0, "value": {"EUR": "4.00"}}),
        ("UK", "GBP", 1, {"findings": 1, "units": 0, "value": {"GBP": "4.00"}}),
        ("US", "USD", 1, {"findings": 1, "units": 0, "value": {"USD": "4.00"}}),
    ]
    assert [[c["code"] for c in b["coverage"]] for b in document["marketplaces"]] == [["FBA03"]] * 3
    assert document["recovered"] is None

    book = openpyxl.load_workbook(out / "claims.xlsx", read_only=True)
    summary = [tuple(c for c in row if c is not None) for row in book["Summary"].iter_rows(values_only=True)]
    assert ("Marketplace", "DE,UK,US") in summary
    at = summary.index(("Claimable now, by marketplace (not filed yet; each in its own currency)",))
    assert summary[at + 1][:5] == ("marketplace", "currency", "findings", "units", "not valued")
    assert [row[:2] for row in summary[at + 2:at + 5]] == [("DE", "EUR"), ("UK", "GBP"), ("US", "USD")]
    sheet = [row for row in book["FBA03"].iter_rows(values_only=True)]
    assert sorted(row[3] for row in sheet[1:4]) == ["DE", "UK", "US"]
    not_checked = [row[:4] for row in book["Not checked"].iter_rows(values_only=True)]
    assert not_checked[:4] == [("marketplace", "code", "name", "ran"), ("DE", "FBA03", "refund-exceeds-charge",
                                "ran"), ("UK", "FBA03", "refund-exceeds-charge", "ran"),
                               ("US", "FBA03", "refund-exceeds-charge", "ran")]


def test_a_claimable_total_never_adds_currencies(tmp_path: Path) -> None:
    from fba_audit.writers.console import grand_total

    findings = pl.DataFrame({
        "finding_id": ["a", "b", "c"], "status": ["claimable"] * 3, "currency": ["GBP", "EUR", "EUR"],
        "amount": [Decimal("10.00"), Decimal("2.50"), Decimal("1.25")], "window_closes": [None, None, None],
    }, schema_overrides={"amount": pl.Decimal(18, 2), "window_closes": pl.Date})
    assert grand_total(findings, AS_OF) == "3.75 EUR + 10.00 GBP claimable now, no deadlines this week"


def test_the_claim_ledger_records_one_run_per_marketplace(tmp_path: Path) -> None:
    import sqlite3

    reports = three_stores(tmp_path)
    ledger = tmp_path / "ledger.sqlite3"
    for _ in range(2):
        result = CliRunner().invoke(app, ["run", str(reports), "--out", str(tmp_path / "out"), "--as-of",
                                          AS_OF.isoformat(), "--select", "FBA03", "--ledger", str(ledger)],
                                    catch_exceptions=False)
        assert result.exit_code == 0, result.output
    with sqlite3.connect(ledger) as db:
        runs = db.execute("select marketplace, findings from runs order by run_id").fetchall()
        findings = db.execute("select finding_id, marketplace, resolution from findings order by finding_id").fetchall()
    assert runs == [("DE", 1), ("UK", 1), ("US", 1)] * 2
    # Seen again in the second run of its own marketplace: none closed by another marketplace's run.
    assert findings == [("FBA03:DE:302-0000001-0000001:SKU-MUG", "DE", None),
                        ("FBA03:UK:202-0000001-0000001:SKU-MUG", "UK", None),
                        ("FBA03:US:111-0000001-0000001:SKU-MUG", "US", None)]
    text = " ".join(result.output.split())
    for label in ("DE (EUR)", "UK (GBP)", "US (USD)"):
        assert f"{label}: claim ledger: {ledger}" in text


def test_claim_windows_are_those_of_each_finding_s_marketplace(tmp_path: Path) -> None:
    """The same two lost Blue Widgets in a UK folder and a US folder (the FBA02 fixture
    finds_basic_misplaced_and_damaged_not_reimbursed): each folder's ledger is placed by the settlement beside it,
    and each finding is judged with its own marketplace's window (never the other's: fba_audit.policy)."""
    from fba_audit.policy import no_window_message, window_for

    case = Path(__file__).parent / "fixtures" / "detectors" / "FBA02" / (
        "finds_basic_misplaced_and_damaged_not_reimbursed")
    reports = tmp_path / "reports"
    for code, domain, currency, order in (("UK", "Amazon.co.uk", "GBP", "202-0000001-0000001"),
                                          ("US", "Amazon.com", "USD", "111-0000001-0000001")):
        (reports / code).mkdir(parents=True)
        for name in ("ledger.txt", "reimbursements.txt"):
            shutil.copyfile(case / "reports" / name, reports / code / name)
        (reports / code / "settlement.txt").write_text(
            settlement(f"2500000001{len(code)}{code}", domain, currency, order), encoding="utf-8")
    as_of = dt.date(2026, 5, 15)
    result = audit(reports, as_of=as_of, select=["FBA02"])
    assert result.marketplaces == ["UK", "US"]
    found = {(row["marketplace"], row["reference_id"]): row for row in result.findings.iter_rows(named=True)}
    assert sorted(found) == [("UK", "2107733001"), ("UK", "2107733002"), ("US", "2107733001"), ("US", "2107733002")]
    # US: the window of the FBA02 golden (expected.csv of that case).
    us = found[("US", "2107733001")]
    assert (us["status"], us["window_opens"], us["window_closes"]) == (
        "claimable", dt.date(2026, 4, 24), dt.date(2026, 6, 9))
    uk = found[("UK", "2107733001")]
    uk_window = window_for("FBA02", "UK", as_of)
    if uk_window is None:
        assert (uk["status"], uk["window_closes"]) == ("review", None)
        assert uk["message"].endswith(no_window_message("UK"))
    else:
        assert uk["window_closes"] is not None
    assert uk["currency"] in (None, "GBP") and us["currency"] in (None, "USD")


def test_check_shows_the_coverage_of_each_marketplace(tmp_path: Path) -> None:
    reports = three_stores(tmp_path)
    shutil.move(reports / "ledger.txt", tmp_path / "ledger.txt")  # nothing left out: check exits 0
    result = CliRunner().invoke(app, ["check", str(reports), "--as-of", AS_OF.isoformat()], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert ("Marketplaces DE, UK, US, as the reports say, audited side by side: DE (1 file), UK (2 files), US (1 "
            "file); 1 file with rows of several, each row in its own.") in text
    for label in ("DE (EUR)", "UK (GBP)", "US (USD)"):
        assert f"Coverage: what each detector judged, and what it could not, marketplace {label}" in text


def test_a_pan_european_settlement_gives_each_line_to_its_store(tmp_path: Path) -> None:
    """One EUR settlement with Amazon.de and Amazon.fr order lines (a Pan-European account settles per currency) and
    a UK one: DE and FR are audited too though no file names either alone; the EUR settlement's lines go to their
    own store, and its lines of no store (the summary, a storage fee) are left out, counted, with the reason."""
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "uk.txt").write_text(settlement("25000000001", "Amazon.co.uk", "GBP", "202-0000001-0000001"),
                                    encoding="utf-8")
    de = settlement("25000000004", "Amazon.de", "EUR", "302-0000001-0000001", german=True).splitlines()
    fr = settlement("25000000004", "Amazon.fr", "EUR", "402-0000001-0000001", german=True).splitlines()
    storage = "\t".join(["25000000004", "", "", "", "", "", "other-transaction", "", "", "", "", "",
                         "other-transaction", "Storage Fee", "-1,50", "", "10.03.2026", "10.03.2026 10:00:00 UTC",
                         "", "", "", "", "", ""])
    de[1] = de[1].replace("\t-4,00\t", "\t-9,50\t")  # the settlement's total: both orders and the fee
    (reports / "eu.txt").write_text("\n".join([*de, *fr[2:], storage]) + "\n", encoding="utf-8")
    load = load_folder(reports)
    assert (load.marketplace.codes, load.marketplace.split) == (("DE", "FR", "UK"), ("eu.txt",))
    assert [(p.file, p.line, p.message) for p in load.problems if p.file == "eu.txt"] == [
        ("eu.txt", 2, "2 rows (first here) of this file of several marketplaces name none of this folder's (DE, FR, "
         "UK) by themselves: left out, so that no money goes to the wrong marketplace's audit."),
    ]
    eu = next(f for f in load.files if f.file == "eu.txt")
    assert (eu.rows_read, eu.rows_kept, eu.rows_rejected) == (8, 6, 2)
    assert {code: part.datasets["transactions"].select("source_line", "marketplace_name", "amount").rows()
            for code, part in sorted(load.parts.items()) if code != "UK"} == {
        "DE": [(3, "Amazon.de", Decimal("20.00")), (4, "Amazon.de", Decimal("-12.00")),
               (5, "Amazon.de", Decimal("-12.00"))],
        "FR": [(6, "Amazon.fr", Decimal("20.00")), (7, "Amazon.fr", Decimal("-12.00")),
               (8, "Amazon.fr", Decimal("-12.00"))],
    }
    result = audit(reports, as_of=AS_OF, select=["FBA03"])
    assert result.findings.select("finding_id", "currency", "amount").rows() == [
        ("FBA03:DE:302-0000001-0000001:SKU-MUG", "EUR", Decimal("4.00")),
        ("FBA03:FR:402-0000001-0000001:SKU-MUG", "EUR", Decimal("4.00")),
        ("FBA03:UK:202-0000001-0000001:SKU-MUG", "GBP", Decimal("4.00")),
    ]
