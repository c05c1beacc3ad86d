"""FBA07 derives the units of a refund from money (Amazon's files do not say): exact at the tolerance's edges."""

from __future__ import annotations

from decimal import Decimal

import polars as pl

from fba_audit.detectors.fba07_refund_without_return import _with_units

SOURCE = "the order's settlement lines"


def units_of(refunded: str, unit_price: str | None, ordered: int | None) -> tuple:
    refunds = pl.DataFrame(
        {"refunded": [Decimal(refunded)], "unit_price": [None if unit_price is None else Decimal(unit_price)],
         "quantity_ordered": [ordered], "price_source": [SOURCE]},
        schema={"refunded": pl.Decimal(18, 2), "unit_price": pl.Decimal(18, 2), "quantity_ordered": pl.Int64,
                "price_source": pl.String},
    )
    return _with_units(refunds).select("units", "review", "confidence", "how").row(0)


def test_whole_units_and_the_five_per_cent_tolerance() -> None:
    assert units_of("25.98", "12.99", 2) == (2, False, "high", f"25.98 refunded / 12.99 unit price from {SOURCE}")
    # 0.96 and 1.04 unit prices are one unit (price changes of cents); exactly 1.05 is still inside the tolerance.
    assert units_of("9.60", "10.00", 1)[:3] == (1, False, "high")
    assert units_of("10.40", "10.00", 1)[:3] == (1, False, "high")
    assert units_of("10.50", "10.00", 1)[:3] == (1, False, "high")
    assert units_of("10.51", "10.00", 1) == (
        1, True, "medium", f"10.51 refunded / 10.00 unit price from {SOURCE} (not a whole number of units)")


def test_a_partial_refund_of_less_than_a_unit_is_no_unit() -> None:
    assert units_of("5.00", "10.00", 1) == (
        0, True, "medium", f"5.00 refunded / 10.00 unit price from {SOURCE} (not a whole number of units)")
    assert units_of("9.49", "10.00", 1)[:2] == (0, True)


def test_more_units_than_ordered_are_capped_and_reviewed() -> None:
    assert units_of("30.00", "10.00", 2) == (
        2, True, "medium", f"30.00 refunded / 10.00 unit price from {SOURCE}, capped at the 2 unit(s) ordered")


def test_an_unknown_price_assumes_one_unit_for_review() -> None:
    assert units_of("30.00", None, None) == (
        1, True, "low", "unit price unknown (no Order line or All Orders row): 1 unit assumed")
