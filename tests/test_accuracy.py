"""The detectors against simulated accounts with known truth, and `fba_audit.accuracy.compare` itself."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import polars as pl
import pytest

from fba_audit.accuracy import KEY_FIELDS, compare, render_markdown
from fba_audit.api import audit
from fba_audit.findings import FINDINGS_SCHEMA
from fba_audit.simulate import TRUTH_FILE, simulate

AS_OF = dt.date(2026, 11, 22)
CODES = [f"FBA{n:02d}" for n in range(1, 11)]
SEEDS = (1, 2)


@pytest.fixture(scope="module", params=SEEDS, ids=[f"seed{s}" for s in SEEDS])
def measured(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(f"acc{request.param}") / "reports"
    simulate(folder, skus=40, months=4, seed=request.param, as_of=AS_OF)
    truth = json.loads((folder / TRUTH_FILE).read_text(encoding="utf-8"))
    result = audit(folder, as_of=AS_OF)
    assert result.skipped == []
    return truth, result.findings, compare(truth, result.findings)


@pytest.mark.parametrize("code", CODES)
def test_every_planted_claim_found_exactly_and_nothing_else(measured, code) -> None:
    truth, _, report = measured
    row = report.detectors[code]
    problems = [m.describe() for m in report.mismatches if m.code == code]
    assert row.planted > 0, f"{code}: nothing planted"
    assert any(t["code"] == code for t in truth["traps"]), f"{code}: no trap planted"
    assert problems == []
    assert (row.matched, row.missed, row.false_claims, row.trap_hits, row.extra) == (row.planted, 0, 0, 0, 0)
    assert row.found == row.planted
    assert (row.status_mismatches, row.unit_mismatches, row.value_mismatches) == (0, 0, 0)
    if row.planted_actionable:
        assert row.recall == 1.0 and row.precision == 1.0


def test_the_fixes_are_planted(measured) -> None:
    """FBA04 partnered / own-carrier and never-arrived stories, FBA06 traps, fee claims per table and month."""
    truth, findings, _ = measured
    claims = {(c["code"], c["variant"]): c for c in truth["claims"]}
    traps = {(t["code"], t["variant"]) for t in truth["traps"]}
    assert claims[("FBA04", "carrier_damaged_receipt")]["status"] == "claimable"
    assert claims[("FBA04", "carrier_damaged_own_carrier")]["status"] == "review"
    assert claims[("FBA04", "shipment_never_arrived")]["status"] == "review"
    assert claims[("FBA04", "shipment_never_arrived_own_carrier")]["status"] == "review"
    assert ("FBA04", "trap_in_transit_recent") in traps
    fba06 = claims[("FBA06", "restocking_fee_not_credited")]
    assert (fba06["status"], fba06["value"], fba06["valuation_basis"]) == ("review", None, "none")
    assert {("FBA06", "trap_partial_refund"), ("FBA06", "trap_partial_refund_fee_tax")} <= traps
    assert all(c["valuation_basis"] == "cost_file" for c in truth["claims"] if c["code"] == "FBA09")
    fee = [c for c in truth["claims"] if c["code"] in ("FBA01", "FBA10")]
    ids = {f"{c['code']}:US:{c['keys']['sku']}:{c['keys']['table_id']}:{c['keys']['period']}" for c in fee}
    assert ids == set(findings.filter(pl.col("code").is_in(["FBA01", "FBA10"]))["finding_id"])


# ------------------------------------------------------------------------------------------- compare, by hand

def _claim(code: str, status: str, units: int, value: str | None, variant: str = "v", **keys) -> dict:
    base = {"marketplace": "US", "sku": None, "fnsku": None, "order_id": None, "shipment_id": None,
            "reference_id": None}
    return {"code": code, "variant": variant, "status": status, "keys": base | keys, "units": units, "value": value}


def _findings(*rows: dict) -> pl.DataFrame:
    defaults = {"marketplace": "US", "currency": "USD", "valuation_basis": "none", "confidence": "high",
                "event_date": AS_OF, "message": "", "evidence": "", "case_text": ""}
    full = [{name: (defaults | row).get(name) for name in FINDINGS_SCHEMA} for row in rows]
    return pl.DataFrame(full, schema=FINDINGS_SCHEMA, orient="row")


def _finding(code: str, status: str, quantity: int, amount: str | None, finding_id: str, **keys) -> dict:
    return {"code": code, "status": status, "quantity": quantity,
            "amount": None if amount is None else Decimal(amount), "finding_id": finding_id} | keys


def test_compare_counts_a_miss_a_false_claim_a_trap_hit_and_mismatches() -> None:
    truth = {
        "claims": [
            _claim("FBA07", "claimable", 1, "20.00", order_id="111-1", sku="A"),  # found exactly
            _claim("FBA07", "claimable", 1, "15.00", variant="missed", order_id="111-2", sku="B"),  # not found
            _claim("FBA02", "claimable", 2, "8.00", fnsku="X1", reference_id="R1"),  # wrong value
            _claim("FBA04", "claimable", 3, "9.00", shipment_id="FBA1", fnsku="X2"),  # wrong status and units
            _claim("FBA01", "claimable", 4, "1.20", sku="S", table_id="t-2026", period="2026-10"),
        ],
        "traps": [{"code": "FBA09", "variant": "trap_customer_damaged", "keys": {
            "marketplace": "US", "sku": "C", "fnsku": None, "order_id": "111-3", "shipment_id": None,
            "reference_id": None}}],
    }
    findings = _findings(
        _finding("FBA07", "claimable", 1, "20.00", "FBA07:US:111-1:A:2026-08-01", order_id="111-1", sku="A"),
        _finding("FBA02", "claimable", 2, "8.01", "FBA02:US:X1:R1", fnsku="X1", reference_id="R1"),
        _finding("FBA04", "review", 2, "9.00", "FBA04:US:FBA1:X2:damaged", shipment_id="FBA1", fnsku="X2"),
        _finding("FBA01", "claimable", 4, "1.20", "FBA01:US:S:t-2026:2026-10", sku="S"),
        _finding("FBA01", "expired", 1, "0.30", "FBA01:US:S:t-2026:2026-07:expired", sku="S"),  # unplanted, expired
        _finding("FBA09", "claimable", 1, "5.00", "FBA09:US:111-3:LPN1", order_id="111-3", sku="C"),  # trap
        _finding("FBA03", "review", 0, "5.00", "FBA03:US:111-9:D", order_id="111-9", sku="D"),  # false claim
    )
    report = compare(truth, findings)
    d = report.detectors
    assert (d["FBA07"].planted, d["FBA07"].matched, d["FBA07"].missed) == (2, 1, 1)
    assert d["FBA07"].recall == 0.5 and d["FBA07"].precision == 1.0
    assert d["FBA02"].value_mismatches == 1 and d["FBA02"].unit_mismatches == 0
    assert (d["FBA04"].status_mismatches, d["FBA04"].unit_mismatches, d["FBA04"].value_mismatches) == (1, 1, 0)
    assert d["FBA04"].recall == 1.0  # review is still a claim found; the status mismatch is counted apart
    assert (d["FBA01"].matched, d["FBA01"].extra, d["FBA01"].false_claims) == (1, 1, 0)
    assert (d["FBA09"].false_claims, d["FBA09"].trap_hits, d["FBA09"].precision) == (1, 1, 0.0)
    assert (d["FBA03"].false_claims, d["FBA03"].trap_hits, d["FBA03"].planted) == (1, 0, 0)
    assert d["FBA05"].recall is None and d["FBA05"].precision is None
    kinds = sorted(m.kind for m in report.mismatches)
    assert kinds == ["extra", "false", "missed", "status", "trap", "units", "value"]
    assert not report.exact
    total = report.total
    assert (total.planted, total.traps, total.found, total.false_claims, total.trap_hits) == (5, 1, 7, 2, 1)
    value = next(m for m in report.mismatches if m.kind == "value")
    assert (value.expected, value.got) == (Decimal("8.00"), Decimal("8.01"))


def test_compare_prefers_the_finding_with_the_planted_status_and_counts_the_other() -> None:
    truth = {"claims": [_claim("FBA08", "claimable", 4, "4.00", shipment_id="FBA9", fnsku="X")], "traps": []}
    findings = _findings(
        _finding("FBA08", "claimable", 4, "4.00", "FBA08:US:FBA9:X", shipment_id="FBA9", fnsku="X"),
        _finding("FBA08", "review", 4, "4.00", "FBA08:US:FBA9:X:dup", shipment_id="FBA9", fnsku="X"),
    )
    report = compare(truth, findings)
    assert (report.detectors["FBA08"].matched, report.detectors["FBA08"].false_claims) == (1, 1)
    assert report.detectors["FBA08"].status_mismatches == 0


def test_exact_report_and_markdown() -> None:
    truth = {"claims": [_claim("FBA06", "review", 1, None, order_id="111-5", sku="E")], "traps": []}
    findings = _findings(_finding("FBA06", "review", 1, None, "FBA06:US:111-5:E:amzn1", order_id="111-5", sku="E"))
    report = compare(truth, findings)
    assert report.exact
    text = render_markdown(report)
    assert text.splitlines()[0].startswith("| code | planted | traps | found |")
    assert "| FBA06 | 1 | 0 | 1 | 1 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 100.0 % | 100.0 % |" in text
    assert "| **all** |" in text and "Disagreements" not in text
    merged = report.merge(report)
    assert merged.detectors["FBA06"].planted == 2 and merged.exact


def test_every_code_has_a_key() -> None:
    assert sorted(KEY_FIELDS) == CODES


def test_detectors_run_two_at_a_time_give_the_findings_of_one_at_a_time(monkeypatch, tmp_path) -> None:
    from fba_audit import api

    folder = tmp_path / "reports"
    simulate(folder, skus=40, months=4, seed=3, as_of=AS_OF)
    handed_over: list[tuple[str, pl.DataFrame]] = []
    filed = ["FBA02:US:never-filed", None]
    together = audit(folder, as_of=AS_OF, on_findings=lambda code, found: handed_over.append((code, found)))
    monkeypatch.setattr(api, "DETECTOR_THREADS", 1)
    alone = audit(folder, as_of=AS_OF)
    assert together.ran == alone.ran == CODES
    assert together.findings.height > 0
    assert together.findings.equals(alone.findings)
    # Each detector's findings are handed over once, as they are in the result (claimed ones left out).
    assert sorted(code for code, _ in handed_over) == CODES
    assert pl.concat([found for _, found in handed_over]).sort("finding_id").equals(together.findings)
    filed[1] = together.findings["finding_id"][0]
    handed_over.clear()
    fewer = audit(folder, as_of=AS_OF, claimed=filed, on_findings=lambda code, found: handed_over.append((code, found)))
    assert fewer.findings.height == together.findings.height - 1
    assert pl.concat([found for _, found in handed_over]).sort("finding_id").equals(fewer.findings)


@pytest.mark.parametrize("rate", [0.03, 0.08])
def test_exact_at_a_high_discrepancy_rate(rate, tmp_path) -> None:
    """`simulate --discrepancy-rate`: many more customer-side stories (per order, sharing SKUs), every one found
    exactly and no trap claimed; about `rate` of the order items are customer-side findings."""
    folder = tmp_path / "reports"
    summary = simulate(folder, skus=60, months=5, seed=3, as_of=AS_OF, discrepancy_rate=rate)
    usual = simulate(tmp_path / "usual", skus=60, months=5, seed=3, as_of=AS_OF)
    truth = json.loads((folder / TRUTH_FILE).read_text(encoding="utf-8"))
    result = audit(folder, as_of=AS_OF)
    report = compare(truth, result.findings)
    assert [m.describe() for m in report.mismatches] == []
    for code, row in report.detectors.items():
        assert (row.matched, row.missed, row.false_claims, row.trap_hits, row.extra) == (row.planted, 0, 0, 0, 0), code
    customer = sum(summary.claims[code] for code in ("FBA03", "FBA06", "FBA07", "FBA09"))
    assert customer > 3 * sum(usual.claims[code] for code in ("FBA03", "FBA06", "FBA07", "FBA09"))
    order_items = result.load.datasets["orders"].height
    assert 0.8 * rate <= customer / order_items <= 1.2 * rate
    # The other stories keep their usual count.
    assert {code: n for code, n in summary.claims.items() if code in ("FBA02", "FBA04", "FBA05", "FBA08")} == {
        code: n for code, n in usual.claims.items() if code in ("FBA02", "FBA04", "FBA05", "FBA08")}
