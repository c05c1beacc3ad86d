"""FBA01: the charges it could not judge are kept, per reason and SKU, never dropped (issue 23 item 6).

The frame has the columns of the coverage channel (`reason`, `item`; issue 18 item 9), which `detect` hands over
once that channel is merged; until then `assess` returns it and this test pins it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import polars as pl

from fba_audit.context import AuditContext
from fba_audit.detectors import fba01_fee_size_tier as fba01
from fba_audit.reports import load_folder

CASES = Path(__file__).parents[1] / "fixtures" / "detectors" / "FBA01"


def _assess(case: str, as_of: dt.date) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    load = load_folder(CASES / case / "reports")
    assert load.problems == []
    frames = {d: load.datasets[d] if load.has(d) else None
              for d in ("transactions", "fee_preview", "products", "reimbursements", "sku_economics")}
    return fba01.assess(**frames, ctx=AuditContext(as_of=as_of))


def test_charges_without_an_expected_fee_are_listed_per_sku_with_the_reason() -> None:
    findings, not_judged, judged = _assess("clean_charges_without_a_rate_card_not_judged", dt.date(2026, 3, 31))
    assert findings.is_empty() and judged == 0  # 4 order items, none judged
    assert not_judged.schema == pl.Schema({"reason": pl.String, "item": pl.String})
    assert not_judged.rows() == [
        ("apparel items have their own rate card, which fba-audit does not hold",
         "KIDS-TEE: 2 charge(s), 2026-03-05 to 2026-03-06"),
        ("no US fulfillment rate card for the charge date", "OLD-LAMP: 1 charge(s), 2024-12-20 to 2024-12-20"),
        ("no measurements (no dimensions in products.csv and none in the Fee Preview)",
         "NO-DIMS: 1 charge(s), 2026-03-07 to 2026-03-07"),
    ]


def test_holiday_peak_charges_are_judged_now() -> None:
    # Before issue 23 every charge from 2026-10-15 was left unjudged ("peak amounts not verified").
    findings, not_judged, judged = _assess("finds_peak_charge_judged_by_peak_table", dt.date(2026, 12, 7))
    assert not_judged.is_empty() and judged == 2  # both order items
    assert findings.select("finding_id", "status", "amount").rows() == [
        ("FBA01:US:HOME-TOWEL:us-fba-fulfillment-2026:2026-11", "claimable", Decimal("1.16")),
    ]


def test_uk_charge_above_every_column_is_claimable_once_the_window_allows(monkeypatch) -> None:
    """The UK fee window caps every finding at review until its copy of the policy is read (claim_windows.csv);
    without that cap, the charge above the most expensive column is claimable and the one above only the cheapest is
    not (docs/rate-cards.md, "Which column applies")."""
    import dataclasses

    from fba_audit.detectors import _base

    real = _base.window_for

    def uncapped(code, marketplace, on):
        window = real(code, marketplace, on)
        return None if window is None else dataclasses.replace(window, status_cap=None)

    monkeypatch.setattr(_base, "window_for", uncapped)
    load = load_folder(CASES / "finds_uk_charges_by_fee_column" / "reports")
    frames = {d: load.datasets[d] if load.has(d) else None
              for d in ("transactions", "fee_preview", "products", "reimbursements", "sku_economics")}
    findings, _, _ = fba01.assess(**frames, ctx=AuditContext(as_of=dt.date(2026, 5, 31), marketplace="UK"))
    # 4.35 - 3.49 (remote DE/FR/IT/ES -> UK light envelope 3.39 + 0.10 dangerous goods); after 2026-04-17
    # 2 x (4.42 - 3.54); the T-shirt's 3.04 is above only the local selected-category rate 2.87 + 0.10.
    assert findings.select("finding_id", "status", "amount").rows() == [
        ("FBA01:UK:CASE-ENV:uk-fba-fulfilment-2026:2026-03", "claimable", Decimal("0.86")),
        ("FBA01:UK:CASE-ENV:uk-fba-fulfilment-2026:2026-04", "claimable", Decimal("1.76")),
        ("FBA01:UK:TEE-SHIRT:uk-fba-fulfilment-2026:2026-03", "review", Decimal("0.07")),
    ]
