"""`--seller-country` on `run` and `check` (issue 24): the Digital Services Fee depends on where the seller is
established, which no report says."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from fba_audit.cli import app, main

UK_CASE = (Path(__file__).resolve().parent / "fixtures" / "detectors" / "FBA10"
           / "finds_uk_vat_inclusive_schedules_and_dsf" / "reports")
NO_COUNTRY = ("Digital Services Fee: the country your business is established in is not given (--seller-country, or "
              "seller_country in account.toml); the DSF depends on it")


def fba10(document: dict) -> dict:
    return next(c for c in document["coverage"] if c["code"] == "FBA10")


def test_a_bad_seller_country_is_an_error_saying_what_to_write(tmp_path, capsys) -> None:
    assert main(["run", str(UK_CASE), "--out", str(tmp_path), "--seller-country", "China", "--no-ledger"]) == 2
    assert ("--seller-country: seller country 'China': write the two-letter code of the country your business is "
            "established in, e.g. CN, UK, DE, US.") in capsys.readouterr().err
    assert not (tmp_path / "findings.json").exists()


def test_run_judges_the_dsf_lines_with_the_country_and_lists_them_without(tmp_path) -> None:
    runner = CliRunner()
    with_country, without = tmp_path / "with", tmp_path / "without"
    for out, extra in ((with_country, ["--seller-country", "CN"]), (without, [])):
        result = runner.invoke(app, [
            "run", str(UK_CASE), "--out", str(out), "--as-of", "2026-04-15", "--select", "FBA10", "--no-ledger",
            *extra], catch_exceptions=False)
        assert result.exit_code == 0, result.output
    judged = json.loads((with_country / "findings.json").read_text(encoding="utf-8"))
    assert [f["finding_id"] for f in judged["findings"] if ":dsf-" in f["finding_id"]] == [
        "FBA10:UK:TEE-UK:dsf-2024-other:2026-03"]
    listed = json.loads((without / "findings.json").read_text(encoding="utf-8"))
    assert not [f for f in listed["findings"] if ":dsf-" in f["finding_id"]]
    reasons = {r["reason"]: r["items"] for r in fba10(listed)["reasons"]}
    assert reasons[NO_COUNTRY] == ["TEE-UK: 1 charge(s), 2026-03-09 to 2026-03-09",
                                   "TOY-UK: 2 charge(s), 2026-03-02 to 2026-03-05"]
