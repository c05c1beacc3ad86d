"""The coverage contract (fba_audit.coverage): how the items a detector could not judge are counted and listed."""

from __future__ import annotations

import polars as pl
import pytest

from fba_audit.coverage import NOT_CHECKED_SCHEMA, Coverage, Judged, Reason, not_checked, reasons_of
from fba_audit.findings import empty_findings


def test_not_checked_lists_each_item_once_and_reasons_count_them_most_first() -> None:
    refunds = pl.DataFrame({"order_id": ["111-2", "111-1", "111-1", "111-3"], "sku": ["B", "A", "A", None]})
    rows = pl.concat([
        not_checked(refunds.head(3), "no channel", pl.format("{} ({})", "order_id", "sku")),
        not_checked(refunds.tail(1), "no charge", pl.format("{} ({})", "order_id", pl.col("sku").fill_null("-"))),
    ])
    assert dict(rows.schema) == NOT_CHECKED_SCHEMA
    assert reasons_of(rows) == (Reason("no channel", 2, ("111-1 (A)", "111-2 (B)")),
                                Reason("no charge", 1, ("111-3 (-)",)))
    assert reasons_of(rows.clear()) == ()


def test_a_reason_may_come_from_the_data() -> None:
    items = pl.DataFrame({"sku": ["A", "B"], "why": ["no table for 2024-11-20", "no table for 2024-11-21"]})
    assert reasons_of(not_checked(items, pl.col("why"), pl.col("sku"))) == (
        Reason("no table for 2024-11-20", 1, ("A",)), Reason("no table for 2024-11-21", 1, ("B",)))


def test_judged_refuses_a_frame_of_another_shape_and_a_negative_count() -> None:
    with pytest.raises(ValueError, match="not_checked must have the columns"):
        Judged(empty_findings(), item="refund", judged=1, not_checked=pl.DataFrame({"reason": ["x"]}))
    with pytest.raises(ValueError, match="judged must be 0 or more, got -1"):
        Judged(empty_findings(), item="refund", judged=-1)



def test_a_detector_that_did_not_run_stands_for_everything_it_would_have_judged() -> None:
    ran = Coverage.of("FBA07", "refund-without-return", Judged(
        empty_findings(), item="refund", judged=3,
        not_checked=pl.DataFrame({"reason": ["r"] * 3, "item": ["a", "b", "c"]})), findings=0)
    skipped = Coverage.did_not_run("FBA05", "return-not-restocked", "skipped", "needs customer_returns", "Download X")
    assert (ran.status, ran.judged, ran.not_checked_count, ran.not_checked) == (
        "ran", 3, 3, (Reason("r", 3, ("a", "b", "c")),))
    assert (skipped.status, skipped.judged, skipped.not_checked, skipped.download) == (
        "skipped", None, (Reason("needs customer_returns", None),), "Download X")
