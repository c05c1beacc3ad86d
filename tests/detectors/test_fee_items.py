"""The order items the fee detectors (FBA01, FBA10) judge: units summed like fees, fee lines tied by order id and
SKU when no order-item-code ties them, and what still cannot be tied kept with its reason (never dropped)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import polars as pl
from polars.testing import assert_frame_equal

from fba_audit.context import AuditContext
from fba_audit.detectors import _fees
from fba_audit.reports import load_folder

HEADER = ("settlement-id\tsettlement-start-date\tsettlement-end-date\tdeposit-date\ttotal-amount\tcurrency\t"
          "transaction-type\torder-id\tmerchant-order-id\tadjustment-id\tshipment-id\tmarketplace-name\tamount-type\t"
          "amount-description\tamount\tfulfillment-id\tposted-date\tposted-date-time\torder-item-code\t"
          "merchant-order-item-id\tmerchant-adjustment-item-id\tsku\tquantity-purchased\tpromotion-id")
CTX = AuditContext(as_of=dt.date(2026, 5, 15), marketplace="US")


def settlement(folder: Path, lines: list[tuple]) -> Path:
    """A settlement V2 file of Order lines (order, shipment, type, description, amount, date, code, sku, quantity)."""
    rows = ["\t".join(["25900000041", "", "", "", "", "", "Order", order, order, "", ship, "Amazon.com", typ, desc,
                       amount, "AFN", date, f"{date} 10:00:00 UTC", code, "", "", sku, qty])
            for order, ship, typ, desc, amount, date, code, sku, qty in lines]
    total = sum(Decimal(line[4]) for line in lines)
    summary = "\t".join(["25900000041", "2026-03-01 00:00:00 UTC", "2026-03-15 00:00:00 UTC",
                         "2026-03-17 00:00:00 UTC", str(total), "USD", *[""] * 18])
    folder.mkdir()
    (folder / "settlement.txt").write_text("\n".join([HEADER, summary, *rows]) + "\n", encoding="utf-8")
    return folder


def test_fee_lines_tied_by_order_and_sku_and_the_rest_kept_with_a_reason(tmp_path: Path) -> None:
    load = load_folder(settlement(tmp_path / "reports", [
        # A: the fee line has no order-item-code and no quantity; the Principal line of the order and SKU has 2.
        ("113-0000041-0000001", "DxA", "ItemPrice", "Principal", "39.98", "2026-03-05", "70000000000001", "MAT", "2"),
        ("113-0000041-0000001", "DxA", "ItemFees", "FBAPerUnitFulfillmentFee", "-9.20", "2026-03-05", "", "MAT", ""),
        # B: a fee line with nothing to tie it to (its Principal line is in no file given): not judged, kept.
        ("113-0000041-0000002", "DxB", "ItemFees", "FBAPerUnitFulfillmentFee", "-4.60", "2026-03-06", "", "MAT", ""),
        # C: an ordinary item, tied by its order-item-code.
        ("113-0000041-0000003", "DxC", "ItemPrice", "Principal", "19.99", "2026-03-07", "70000000000003", "MAT", "1"),
        ("113-0000041-0000003", "DxC", "ItemFees", "FBAPerUnitFulfillmentFee", "-4.60", "2026-03-07",
         "70000000000003", "MAT", ""),
    ]))
    assert load.problems == []
    items = _fees.order_items(load.datasets["transactions"], CTX, fee="fulfillment", price=("principal",))
    judged = items.frame.select(pl.col("order_id").cast(pl.String), "item", "units", "charged", "principal").sort(
        "order_id").rows()
    assert judged == [
        ("113-0000041-0000001", _fees.BY_ORDER, 2, Decimal("9.20"), Decimal("39.98")),
        ("113-0000041-0000003", "70000000000003", 1, Decimal("4.60"), Decimal("19.99")),
    ]
    assert_frame_equal(items.unjudged, pl.DataFrame(
        [("113-0000041-0000002", "MAT", dt.date(2026, 3, 6), Decimal("4.60"),
          "fee lines not tied to a quantity: no quantity-purchased on the order item, nor on its order and SKU")],
        schema=_fees.UNJUDGED_SCHEMA, orient="row"))
    # The evidence of the tied item names both of its lines.
    flagged = items.with_evidence(items.frame.filter(pl.col("item") == _fees.BY_ORDER))
    assert flagged["evidence"].to_list() == ["settlement.txt:3; settlement.txt:4"]


def test_fba10_spreads_corrections_after_fba01_alone_or_run_after_it() -> None:
    """FBA10 gets what a fee correction leaves after FBA01's fulfillment fee overcharges: the same whether FBA01
    ran first on the same frames (its overcharges remembered) or not at all."""
    from fba_audit.detectors import BY_CODE, columns_read

    folder = Path(__file__).parents[1] / "fixtures" / "detectors" / "FBA10" / "finds_order_correction_rest_after_fba01"
    alone = BY_CODE["FBA10"].run_on(load_folder(folder / "reports", columns=columns_read()), CTX)
    load = load_folder(folder / "reports", columns=columns_read())
    fulfillment = BY_CODE["FBA01"].run_on(load, CTX)
    after = BY_CODE["FBA10"].run_on(load, CTX)
    assert_frame_equal(after, alone)
    assert (fulfillment["amount"].to_list(), after["amount"].to_list()) == ([Decimal("1.06")], [Decimal("1.86")])


def test_remembered_value_goes_with_its_frames_only() -> None:
    """FBA01's overcharges are reused for the same frame objects and context, recomputed for others, and forgotten
    when their frames go (a frame that went earlier does not drop a newer value)."""
    import gc

    first, second = pl.DataFrame({"x": [1]}), pl.DataFrame({"x": [2]})
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    assert _fees.remembered("test", (first, None), CTX, compute) == 1
    assert _fees.remembered("test", (first, None), CTX, compute) == 1
    assert _fees.remembered("test", (first, None), AuditContext(as_of=dt.date(2026, 6, 1)), compute) == 2
    assert _fees.remembered("test", (second, None), CTX, compute) == 3
    del first
    gc.collect()
    assert "test" in _fees._REMEMBERED
    del second
    gc.collect()
    assert "test" not in _fees._REMEMBERED


def test_fba01_lists_fee_lines_tied_to_no_quantity_as_not_judged(tmp_path: Path) -> None:
    """FBA01's not-judged frame (the coverage channel's columns) holds the fee lines `_fees.OrderItems.unjudged`
    keeps, with their reason; they are not counted as judged."""
    from fba_audit.detectors import fba01_fee_size_tier as fba01

    folder = settlement(tmp_path / "reports", [
        ("113-0000041-0000002", "DxB", "ItemFees", "FBAPerUnitFulfillmentFee", "-4.60", "2026-03-06", "", "MAT", ""),
    ])
    preview = Path(__file__).parents[1] / "fixtures" / "detectors" / "FBA01" / "finds_seller_dims_smaller_tier"
    (folder / "fee_preview.txt").write_text(
        (preview / "reports" / "fee_preview.txt").read_text(encoding="utf-8").replace("DESK-MAT", "MAT"),
        encoding="utf-8")
    load = load_folder(folder)
    assert load.problems == []
    findings, not_judged, judged = fba01.assess(transactions=load.datasets["transactions"],
                                                fee_preview=load.datasets["fee_preview"], ctx=CTX)
    assert findings.is_empty() and judged == 0
    assert not_judged.rows() == [(_fees.NOT_TIED, "MAT: 1 charge(s), 2026-03-06 to 2026-03-06")]


def test_fba10_reports_fee_lines_tied_to_no_quantity_as_not_checked(tmp_path: Path) -> None:
    """The same untied fee lines reach FBA10's coverage (`fba_audit.coverage.Judged`), with the reason, per SKU."""
    from fba_audit.coverage import Reason, reasons_of
    from fba_audit.detectors import BY_CODE

    folder = settlement(tmp_path / "reports", [
        ("113-0000041-0000002", "DxB", "ItemFees", "Commission", "-3.00", "2026-03-06", "", "MAT", ""),
    ])
    load = load_folder(folder)
    assert load.problems == []
    judged = BY_CODE["FBA10"].judge(load, CTX)
    assert judged.findings.is_empty() and judged.judged == 0
    assert reasons_of(judged.not_checked) == (
        Reason(_fees.NOT_TIED, 1, ("MAT: 1 charge(s), 2026-03-06 to 2026-03-06",)),)
