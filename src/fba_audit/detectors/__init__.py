"""Every detector, in code order. Adding one = one import + one line in ALL_DETECTORS.

A tuple, so nobody can `+=` it at import time; no folder scanning (tests/test_registry.py checks that every
`fbaNN_*.py` module on disk is listed here).
"""

from __future__ import annotations

from fba_audit.detectors import fba01_fee_size_tier
from fba_audit.detectors import fba02_warehouse_lost_damaged
from fba_audit.detectors import fba03_refund_exceeds_charge
from fba_audit.detectors import fba04_inbound_carrier_lost_damaged
from fba_audit.detectors import fba05_return_not_restocked
from fba_audit.detectors import fba06_restocking_fee_not_credited
from fba_audit.detectors import fba07_refund_without_return
from fba_audit.detectors import fba08_inbound_shortfall
from fba_audit.detectors import fba09_return_damaged_by_amazon
from fba_audit.detectors import fba10_referral_fee_rate
from fba_audit.detectors._base import Detector
from fba_audit.reports.datasets import DATASET_MODELS, dataset_schema

ALL_DETECTORS: tuple[Detector, ...] = (
    fba01_fee_size_tier.DETECTOR,
    fba02_warehouse_lost_damaged.DETECTOR,
    fba03_refund_exceeds_charge.DETECTOR,
    fba04_inbound_carrier_lost_damaged.DETECTOR,
    fba05_return_not_restocked.DETECTOR,
    fba06_restocking_fee_not_credited.DETECTOR,
    fba07_refund_without_return.DETECTOR,
    fba08_inbound_shortfall.DETECTOR,
    fba09_return_damaged_by_amazon.DETECTOR,
    fba10_referral_fee_rate.DETECTOR,
)

BY_CODE: dict[str, Detector] = {d.code: d for d in ALL_DETECTORS}

# Detectors that share work: FBA01 and FBA10 group the order lines once for both (detectors/_fees.py) and the
# groups are held until both have run. Run back to back, they are not held while the eight others run.
RUN_TOGETHER: tuple[tuple[str, ...], ...] = (("FBA01", "FBA10"),)


def run_order(detectors: list[Detector]) -> list[Detector]:
    """`detectors` as given, except that the members of a `RUN_TOGETHER` group run right after its first one."""
    partners = {code: group for group in RUN_TOGETHER for code in group}
    ordered: list[Detector] = []
    for detector in detectors:
        if detector in ordered:
            continue
        group = partners.get(detector.code, (detector.code,))
        ordered += [d for d in detectors if d.code in group and d not in ordered]
    return ordered


# Columns that no detector, nor netting or valuation, reads. An audit drops them as soon as each file is
# validated: on a big account most of the memory is order and settlement text nobody looks at again. Every
# golden case runs on this compact load (tests/detectors), so a detector that starts reading one fails there.
# The product titles among them are still read once by the loader, for the findings' `title` (LoadResult.titles).
UNREAD_COLUMNS: dict[str, frozenset[str]] = {
    "inventory_ledger": frozenset({"date_time", "title", "country", "reconciled_quantity", "store"}),
    "customer_returns": frozenset({"returned_at", "product_name", "customer_comments"}),
    "reimbursements": frozenset({"approved_at", "case_id", "product_name", "quantity_reimbursed_cash",
                                 "quantity_reimbursed_inventory"}),
    "fee_preview": frozenset({"product_name", "brand", "fulfilled_by", "length_and_girth", "estimated_fee_total",
                              "estimated_referral_fee_per_unit", "estimated_variable_closing_fee",
                              "expected_fulfillment_fee_per_unit"}),
    "transactions": frozenset({"merchant_order_id", "marketplace_name", "posted_at"}),
    "settlements": frozenset({"start_at", "end_at", "deposit_at", "total_amount"}),
    "orders": frozenset({"merchant_order_id", "purchase_date", "purchased_at", "last_updated_at", "order_status",
                         "sales_channel", "item_status", "item_tax", "shipping_price", "shipping_tax",
                         "gift_wrap_price", "gift_wrap_tax", "item_promotion_discount", "ship_promotion_discount",
                         "product_name", "ship_country", "is_business_order"}),
    "fulfilled_shipments": frozenset({"shipment_id", "amazon_order_item_id", "shipped_at", "quantity_shipped",
                                      "ship_country", "fulfillment_channel"}),
    "inbound_shipments": frozenset({"destination_fulfillment_center_id", "confirmed_need_by_date"}),
    "inbound_shipment_items": frozenset({"quantity_in_case", "release_date"}),
}


def columns_read() -> dict[str, tuple[str, ...]]:
    """Per dataset, the columns the detectors read (what `fba_audit.api.audit` asks the loader to keep)."""
    return {d: tuple(c for c in dataset_schema(d) if c not in UNREAD_COLUMNS.get(d, ())) for d in DATASET_MODELS}
