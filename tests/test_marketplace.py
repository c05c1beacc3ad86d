"""The marketplace of a run is read from the reports (issue 22 item 8): Amazon.ca settlements audited as US gave
"no findings", US reports audited as UK gave false claims. `run`, `check` and `fba_audit.api.audit` share one
rule (fba_audit.reports.marketplace)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fba_audit.api import MarketplaceMismatch, audit
from fba_audit.cli import app
from fba_audit.reports import load_folder

REPORTS = Path(__file__).parent / "fixtures" / "reports"
CA_V1 = REPORTS / "settlement_v1" / "ok.txt"  # Amazon.ca, CAD (the genuine V1 files' shape)
CA_V2 = REPORTS / "settlement_v2" / "ok.txt"  # Amazon.ca, CAD
DE_V2 = REPORTS / "settlement_v2" / "ok_de.txt"  # Amazon.de, EUR
US_FEE_PREVIEW = REPORTS / "fee_preview" / "ok_us_2026.txt"  # amazon-store US and CA, USD and CAD
LEDGER = REPORTS / "ledger_detail" / "ok_14col.txt"  # says no marketplace
AS_OF = "2025-11-20"

runner = CliRunner()


def folder(tmp_path: Path, *files: Path | tuple[Path, str]) -> Path:
    reports = tmp_path / "reports"
    reports.mkdir()
    for item in files:
        source, name = item if isinstance(item, tuple) else (item, item.name)
        shutil.copyfile(source, reports / name)
    return reports


def cli(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_ca_settlements_are_audited_as_ca_by_default(tmp_path: Path) -> None:
    reports = folder(tmp_path, (CA_V1, "v1.txt"), (CA_V2, "v2.txt"))
    result = cli("run", str(reports), "--out", str(tmp_path / "out"), "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "out" / "findings.json").read_text())["marketplace"] == "CA"
    assert ("Marketplace CA, as the reports say: v1.txt (marketplace-name Amazon.ca; currency CAD), v2.txt "
            "(marketplace-name Amazon.ca; currency CAD).") in " ".join(result.output.split())


def test_a_marketplace_the_reports_contradict_is_an_input_error(tmp_path: Path) -> None:
    reports = folder(tmp_path, (CA_V2, "v2.txt"))
    expected = ("--marketplace US contradicts the reports, which are from CA: v2.txt (marketplace-name Amazon.ca; "
                "currency CAD). Leave --marketplace out (auto) to audit them as what they are, or pass the folder "
                "of your US reports.")
    result = cli("run", str(reports), "--out", str(tmp_path / "out"), "--as-of", AS_OF, "--marketplace", "US")
    assert result.exit_code == 2
    assert expected in " ".join(result.output.split())
    assert not (tmp_path / "out" / "findings.json").exists()
    checked = cli("check", str(reports), "--marketplace", "us")
    assert checked.exit_code == 2
    assert expected in " ".join(checked.output.split())
    with pytest.raises(MarketplaceMismatch, match="^--marketplace US contradicts the reports, which are from CA"):
        audit(reports, as_of=dt.date(2025, 11, 20), marketplace="US")


def test_us_reports_with_marketplace_uk_make_no_claims(tmp_path: Path) -> None:
    reports = folder(tmp_path, (US_FEE_PREVIEW, "fees.txt"), (LEDGER, "ledger.txt"))
    result = cli("run", str(reports), "--out", str(tmp_path / "out"), "--as-of", AS_OF, "--marketplace", "UK")
    assert result.exit_code == 2
    assert ("--marketplace UK contradicts the reports, which are from CA, US: fees.txt (amazon-store CA, US; "
            "currency CAD, USD).") in " ".join(result.output.split())
    assert not (tmp_path / "out" / "findings.json").exists()


def test_a_folder_of_two_marketplaces_is_audited_side_by_side_or_one_at_a_time(tmp_path: Path) -> None:
    """Auto: each marketplace in its own part (tests/test_marketplaces_side_by_side.py has the outputs); the
    ledger, which names none, cannot be told apart beside files of two and is left out, with its reason.
    --marketplace DE: the other marketplace's file is left out, as before issue 24."""
    reports = folder(tmp_path, (CA_V2, "ca.txt"), (DE_V2, "de.txt"), (LEDGER, "ledger.txt"))
    result = cli("run", str(reports), "--out", str(tmp_path / "auto"), "--as-of", AS_OF, "--no-ledger")
    assert result.exit_code == 0, result.output
    assert ("Marketplaces CA, DE, as the reports say, audited side by side: CA (1 file), DE (1 file); 1 file left "
            "out.") in " ".join(result.output.split())
    document = json.loads((tmp_path / "auto" / "findings.json").read_text())
    assert (document["marketplace"], [b["marketplace"] for b in document["marketplaces"]]) == ("CA,DE", ["CA", "DE"])
    assert [(p["file"], p["message"]) for p in document["input_problems"]] == [
        ("ledger.txt", "does not say which of this folder's marketplaces (CA, DE) it is from: not audited.")]
    assert cli("check", str(reports)).exit_code == 2  # the ledger was not usable

    load = load_folder(reports, marketplace="DE")
    assert load.marketplace.code == "DE"
    assert load.marketplace.note == "Marketplace DE (--marketplace DE); 1 file of other marketplaces left out."
    assert [str(p) for p in load.problems] == [
        "ca.txt: is not a DE report (marketplace-name Amazon.ca; currency CAD), and this run audits DE "
        "(--marketplace DE): not audited. Audit it in a run of its own marketplace."]
    ca = next(f for f in load.files if f.file == "ca.txt")
    assert (ca.rows_read, ca.rows_kept, ca.rows_rejected, ca.usable) == (8, 0, 8, False)
    assert load.datasets["transactions"]["source_file"].unique().to_list() == ["de.txt"]
    assert load.datasets["settlements"]["currency"].to_list() == ["EUR"]

    result = cli("run", str(reports), "--out", str(tmp_path / "de"), "--as-of", AS_OF, "--marketplace", "DE")
    assert result.exit_code == 0, result.output
    document = json.loads((tmp_path / "de" / "findings.json").read_text())
    assert document["marketplace"] == "DE"
    assert [p["file"] for p in document["input_problems"]] == ["ca.txt"]


def test_reports_that_name_no_marketplace_are_audited_as_us_and_the_run_says_so(tmp_path: Path) -> None:
    reports = folder(tmp_path, (LEDGER, "ledger.txt"))
    result = cli("run", str(reports), "--out", str(tmp_path / "out"), "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    assert ("No report says which marketplace it is from: audited as US, the default. If your reports are from "
            "another marketplace, pass --marketplace.") in " ".join(result.output.split())
    assert json.loads((tmp_path / "out" / "findings.json").read_text())["marketplace"] == "US"


def test_a_unified_fee_preview_agrees_with_each_of_its_stores(tmp_path: Path) -> None:
    # A 2026 US Fee Preview lists a SKU once per store of the North American account (docs/report-formats.md, "Fee Preview"): it
    # agrees with a CA settlement, and alone it names no one marketplace.
    stores = [line.split("\t")[3] for line in US_FEE_PREVIEW.read_text(encoding="utf-8").splitlines()[1:]]
    assert sorted(set(stores)) == ["CA", "US"]
    reports = folder(tmp_path, (US_FEE_PREVIEW, "fees.txt"), (CA_V2, "ca.txt"))
    load = load_folder(reports)
    assert (load.marketplace.code, load.marketplace.error, load.problems) == ("CA", None, [])
    alone = load_folder(tmp_path / "reports", marketplace="US")
    assert (alone.marketplace.code, alone.marketplace.left_out) == ("US", {"ca.txt": alone.problems[0].message})


def test_an_unknown_marketplace_code_is_refused_before_reading(tmp_path: Path) -> None:
    reports = folder(tmp_path, (LEDGER, "ledger.txt"))
    result = cli("check", str(reports), "--marketplace", "XX")
    assert result.exit_code == 2
    assert "--marketplace 'XX': use auto or one of AE, AU, BE, BR, CA, DE" in " ".join(result.output.split())


@pytest.mark.parametrize(("value", "column", "code"), [
    ("Amazon.com", "marketplace_name", "US"),
    ("amazon.com", "marketplace_name", "US"),  # Date Range files of later years
    ("Amazon.ca", "marketplace_name", "CA"),
    ("Non-Amazon CA", "marketplace_name", "CA"),  # MCF lines of the genuine Amazon.ca V1 files
    ("Non-Amazon", "sales_channel", None),  # All Orders MCF orders: no marketplace
    ("Amazon.co.uk", "sales_channel", "UK"),
    ("Amazon.co.jp", "marketplace_name", "JP"),
    ("US", "amazon_store", "US"),
    ("GB", "amazon_store", "UK"),
    ("SI CA Prod Marketplace", "marketplace_name", None),
])
def test_marketplace_codes_from_amazon_s_values(value: str, column: str, code: str | None) -> None:
    from fba_audit.reports.marketplace import marketplace_code

    assert marketplace_code(value, column) == code


def test_file_names_in_the_marketplace_error_are_plain_text(tmp_path: Path) -> None:
    reports = folder(tmp_path, (CA_V2, "[bold]ca.txt"))
    result = cli("check", str(reports), "--marketplace", "US")
    assert result.exit_code == 2
    assert "[bold]ca.txt (marketplace-name Amazon.ca; currency CAD)" in " ".join(result.output.split())


def test_the_currency_of_products_csv_says_nothing_about_the_marketplace(tmp_path: Path) -> None:
    # A Canadian seller may keep unit costs in USD: products.csv is the seller's own file, not Amazon's.
    reports = folder(tmp_path, (CA_V2, "ca.txt"), (REPORTS / "products" / "ok.csv", "products.csv"))
    load = load_folder(reports)
    assert (load.marketplace.code, load.marketplace.error, load.problems) == ("CA", None, [])
    assert "USD" in (REPORTS / "products" / "ok.csv").read_text(encoding="utf-8")


def test_a_folder_of_two_marketplaces_gives_the_same_workbook_from_the_writers_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The workbook's own process gets each marketplace's part (coverage, ledger) without its frames, and writes
    what the run's process writes."""
    import openpyxl

    reports = folder(tmp_path, (CA_V2, "ca.txt"), (DE_V2, "de.txt"))
    books = []
    for threshold, name in ((0, "process"), (10**12, "here")):
        monkeypatch.setattr("fba_audit.cli.WORKBOOK_PROCESS_FROM_BYTES", threshold)
        result = cli("run", str(reports), "--out", str(tmp_path / name), "--as-of", AS_OF, "--no-ledger")
        assert result.exit_code == 0, result.output
        book = openpyxl.load_workbook(tmp_path / name / "claims.xlsx")
        books.append([(ws.title, [list(row) for row in ws.iter_rows(values_only=True)]) for ws in book.worksheets])
    assert books[0] == books[1]
    not_checked = dict(books[0])["Not checked"]
    assert {row[0] for row in not_checked[1:-1]} == {"CA", "DE"}
