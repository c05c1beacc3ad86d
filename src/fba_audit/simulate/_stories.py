"""Planted discrepancies and traps: one story per key, dated relative to the audit date, with its truth.

A story is a small frame of rows (one per planted case) built with polars expressions; its variant fixes what
is planted (an order refunded without return, a lost unit partly reimbursed, ...) and where its anchor event
falls relative to the audit date, so that the expected status (claimable, review, waiting, expired) is clear
of every window edge by a few days. Variants that do not fit in the simulated period are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from fba_audit.simulate._rng import Rng
from fba_audit.simulate._world import HOUR_US, PLACES, Period

RATE = 0.002  # planted cases per SKU, per variant (at least one each)
TAXED_PLACES = tuple(i for i, p in enumerate(PLACES) if p[3] > 0)


@dataclass(frozen=True)
class Variant:
    code: str
    name: str
    status: str  # expected status on the audit date, or "trap"
    offsets: tuple[int, int]  # days before the audit date of the anchor event
    lead: int = 0  # days the story needs before its anchor
    tail: int = 0  # days it needs after its anchor (inside the data)
    why: str = ""


# --------------------------------------------------------------------------------------- customer side
# Anchor: the refund day. The order is placed 8 days before it and shipped the next day.
CUSTOMER = (
    Variant("FBA07", "refund_without_return", "claimable", (65, 100), 8, 0,
            "Refunded, no return in the returns report, no reimbursement."),
    Variant("FBA07", "refund_without_return_window_closing", "claimable", (116, 118), 8, 0,
            "As above; the 120-day window closes 2 to 4 days after the audit date."),
    Variant("FBA07", "refund_without_return_waiting", "waiting", (12, 45), 8, 0,
            "Refunded less than 60 days ago: the window has not opened."),
    Variant("FBA07", "refund_without_return_expired", "expired", (126, 170), 8, 0,
            "Refunded more than 120 days ago."),
    Variant("FBA07", "refund_without_return_partly_reimbursed", "claimable", (65, 100), 8, 22,
            "2 units refunded, none returned, Amazon reimbursed 1 (CustomerReturn with the order id): 1 unit owed."),
    Variant("FBA07", "trap_reimbursed", "trap", (65, 100), 8, 30,
            "Refund without return already reimbursed: Reimbursements CustomerReturn with the order id and the "
            "settlement's REVERSAL_REIMBURSEMENT line."),
    Variant("FBA07", "trap_late_return", "trap", (65, 100), 8, 52,
            "The return arrived 50 days after the refund (after the refund, but before the audit): not claimable."),
    Variant("FBA09", "trap_customer_damaged", "trap", (65, 100), 8, 4,
            "Returned CUSTOMER_DAMAGED (a return, so no FBA07 either): never claimable."),
    Variant("FBA09", "trap_defective", "trap", (65, 100), 8, 4,
            "Returned DEFECTIVE: never claimable."),
    Variant("FBA09", "return_damaged_by_amazon", "claimable", (65, 100), 8, 4,
            "Return with detailed-disposition DAMAGED, status not Reimbursed, no reimbursement."),
    Variant("FBA09", "return_carrier_damaged", "claimable", (65, 100), 8, 4,
            "Return with detailed-disposition CARRIER_DAMAGED, not reimbursed."),
    Variant("FBA09", "return_damaged_waiting", "waiting", (12, 45), 8, 4,
            "DAMAGED return refunded less than 60 days ago."),
    Variant("FBA09", "return_damaged_expired", "expired", (126, 170), 8, 4,
            "DAMAGED return refunded more than 120 days ago."),
    Variant("FBA09", "trap_damaged_reimbursed", "trap", (65, 100), 8, 12,
            "DAMAGED return with status Reimbursed and a CustomerReturn reimbursement for the order."),
    Variant("FBA03", "refund_exceeds_charge", "review", (10, 100), 8, 4,
            "Refunded principal larger than the principal charged, by max(5.00, 25 %); returned SELLABLE."),
    Variant("FBA03", "refund_exceeds_charge_expired", "expired", (126, 170), 8, 4,
            "As above, refunded more than 120 days ago."),
    Variant("FBA03", "trap_within_tolerance", "trap", (10, 100), 8, 4,
            "Refund larger than the charge by 0.50, under the max(1.00, 5 %) tolerance."),
    Variant("FBA06", "restocking_fee_not_credited", "review", (10, 100), 8, 4,
            "Returned (CUSTOMER_DAMAGED), full principal debited, a MarketplaceFacilitatorTax-RestockingFee line "
            "(the buyer paid a restocking fee) and no RestockingFee credit; no amount (the fee is not in the "
            "reports)."),
    Variant("FBA06", "restocking_fee_not_credited_expired", "expired", (126, 170), 8, 4,
            "As above, refunded more than 120 days ago."),
    Variant("FBA06", "trap_partial_refund", "trap", (10, 100), 8, 4,
            "Returned, 80 % of the principal refunded and debited, no restocking-fee lines: the other 20 % already "
            "stayed with the seller, nothing is owed."),
    Variant("FBA06", "trap_partial_refund_fee_tax", "trap", (10, 100), 8, 4,
            "Returned, 80 % of the principal debited, a MarketplaceFacilitatorTax-RestockingFee line and no credit: "
            "the seller was debited only what the buyer got back, so the fee already stayed with the seller."),
    Variant("FBA06", "trap_restocking_fee_credited", "trap", (10, 100), 8, 4,
            "Full principal refunded, a MarketplaceFacilitatorTax-RestockingFee line and a RestockingFee line "
            "(+20 %) crediting the seller."),
)
# Anchor: the return day (FBA05 counts from it). Order 12 days before, refund 3 days before.
RESTOCK = (
    Variant("FBA05", "return_not_restocked", "claimable", (20, 45), 12, 0,
            "SELLABLE return, status Unit returned to inventory, no CustomerReturns credit in the ledger; the "
            "SKU's only return."),
    Variant("FBA05", "return_not_restocked_waiting", "waiting", (3, 10), 12, 0,
            "As above, returned less than 14 days ago."),
    Variant("FBA05", "return_not_restocked_expired", "expired", (66, 85), 12, 0,
            "As above, returned more than 60 days ago."),
    Variant("FBA05", "trap_credited_before_return_date", "trap", (20, 45), 12, 0,
            "The ledger credited the unit 2 days before the return date (inside the 3-day allowance)."),
)
# Anchor: the ledger event day.
WAREHOUSE = (
    # First, so that SKU 0 (whose title has accents) appears in the Windows-1252 Reimbursements report.
    Variant("FBA02", "trap_reimbursed", "trap", (30, 45), 0, 12, "M -2 and Lost_Warehouse 2 units 10 days later."),
    Variant("FBA02", "lost", "claimable", (20, 45), 0, 0, "M -2, unreconciled 2, nothing found or paid."),
    Variant("FBA02", "lost_window_closing", "claimable", (56, 58), 0, 0,
            "Reason 5 (misplaced) -1; the 60-day window closes 2 to 4 days after the audit date."),
    Variant("FBA02", "damaged_waiting", "waiting", (3, 10), 0, 0, "E -1 then P +1, less than 14 days ago."),
    Variant("FBA02", "lost_expired", "expired", (66, 85), 0, 0, "M -1 more than 60 days ago."),
    Variant("FBA02", "lost_then_partly_found", "claimable", (30, 45), 0, 8,
            "M -3, then F +1 six days later: reconciled 1, unreconciled 2."),
    Variant("FBA02", "lost_partly_reimbursed", "claimable", (30, 45), 0, 12,
            "M -3 (unreconciled 3), Lost_Warehouse 1 unit approved 7 days later: 2 owed."),
    Variant("FBA02", "damaged_carrier_inventory", "claimable", (20, 45), 0, 0, "Reason 6 -1 then P +1."),
    Variant("FBA02", "damaged_expired_inventory", "claimable", (20, 45), 0, 0, "Reason 7 -1 then P +1."),
    Variant("FBA02", "trap_found_reimbursed_reversed", "trap", (30, 55), 0, 20,
            "M -1, Lost_Warehouse 1, F +1, then Reimbursement_Reversal (cash -1, inventory +1, total 0)."),
    Variant("FBA02", "trap_damaged_reimbursed", "trap", (20, 45), 0, 10,
            "E -1, P +1, Damaged_Warehouse 1 unit, O -1 (transferred to Amazon)."),
    Variant("FBA02", "trap_reason_H", "trap", (20, 45), 0, 0, "H -1 (customer-damaged unit re-dispositioned), P +1."),
    Variant("FBA02", "trap_reason_K", "trap", (20, 45), 0, 0, "K -1 (defective unit re-dispositioned), P +1."),
    Variant("FBA02", "trap_reason_U", "trap", (20, 45), 0, 0, "U -1 (distributor-damaged unit re-dispositioned), P +1."),
)
# Anchor: the first receipt day of a planted shipment (created 8 days before).
INBOUND = (
    Variant("FBA08", "shortfall", "claimable", (40, 90), 8, 1, "CLOSED, shipped 48, received 40 (API and ledger)."),
    Variant("FBA08", "shortfall_partly_reimbursed", "claimable", (40, 90), 8, 20,
            "CLOSED, shipped 36, received 30, Lost_Inbound 2 units: 4 owed."),
    Variant("FBA08", "negative_receipt_after_close", "claimable", (40, 90), 8, 20,
            "CLOSED, shipped 24, received 24, then a ledger Receipts -2 for the shipment 20 days later."),
    Variant("FBA08", "shortfall_expired", "expired", (285, 330), 8, 1, "CLOSED shortfall of 4, first receipt over 9 months ago."),
    Variant("FBA08", "trap_shortfall_reimbursed", "trap", (40, 90), 8, 16,
            "CLOSED, shipped 30, received 27, Lost_Inbound 3 units."),
    Variant("FBA08", "trap_still_receiving", "trap", (3, 8), 8, 0,
            "RECEIVING (not closed): shipped 40, received 30 so far."),
    Variant("FBA04", "carrier_damaged_receipt", "claimable", (40, 90), 8, 0,
            "CLOSED, 60 shipped and received, 3 of them received CARRIER_DAMAGED, not reimbursed; the settlement "
            "shows Amazon's partnered-carrier charge for the shipment (FBAInboundTransportationFee)."),
    Variant("FBA04", "carrier_damaged_own_carrier", "review", (40, 90), 8, 0,
            "CLOSED, 36 shipped and received, 2 of them CARRIER_DAMAGED, not reimbursed; no partnered-carrier "
            "charge for the shipment (the seller's own carrier: a claim against the carrier, so only review)."),
    Variant("FBA04", "carrier_damaged_waiting", "waiting", (5, 15), 8, 0,
            "RECEIVING (partnered carrier): 2 units received CARRIER_DAMAGED less than 30 days ago."),
    Variant("FBA04", "carrier_damaged_expired", "expired", (285, 330), 8, 0,
            "CLOSED (partnered carrier), 2 units received CARRIER_DAMAGED over 9 months ago."),
    Variant("FBA04", "trap_carrier_damaged_reimbursed", "trap", (40, 90), 8, 14,
            "CLOSED (partnered carrier), 2 units received CARRIER_DAMAGED, Damaged_Inbound 2 units."),
    Variant("FBA04", "shipment_never_arrived", "review", (50, 75), 8, 0,
            "IN_TRANSIT, nothing received; Amazon's partnered-carrier charge posted the day after creation (the "
            "event date, 57 to 82 days before the audit date). Always review: only the seller knows when it left."),
    Variant("FBA04", "shipment_never_arrived_own_carrier", "review", (50, 75), 8, 0,
            "IN_TRANSIT, nothing received, no partnered-carrier charge: dated from the creation date in Amazon's "
            "default shipment name \"FBA STA (MM/DD/YYYY HH:MM)-FC\" (the event date)."),
    Variant("FBA04", "trap_in_transit_recent", "trap", (2, 14), 8, 0,
            "IN_TRANSIT, nothing received, partnered-carrier charge 9 to 21 days before the audit date: under the "
            "30 days after which a shipment counts as never arrived."),
)
FEES = (
    Variant("FBA01", "size_tier_seller_catalog", "claimable", (0, 90)),
    Variant("FBA01", "size_tier_amazon_inconsistent", "review", (0, 90)),
    Variant("FBA01", "trap_within_tolerance", "trap", (0, 90)),
    Variant("FBA10", "referral_rate_seller_category", "claimable", (0, 90)),
    Variant("FBA10", "referral_rate_inferred_category", "review", (0, 90)),
    Variant("FBA10", "trap_within_tolerance", "trap", (0, 90)),
)
FEE_WHY = {
    ("FBA01", "size_tier_seller_catalog"): "products.csv gives a small-standard package; Amazon measured it "
    "thicker and heavier (Fee Preview) and charges the large-standard fee.",
    ("FBA01", "size_tier_amazon_inconsistent"): "No dimensions in products.csv; Amazon's own Fee Preview "
    "dimensions give small standard, but it prints UsLargeStandardSize and charges the large-standard fee.",
    ("FBA01", "trap_within_tolerance"): "Fulfillment fee charged 0.03 above the rate card, under max(0.05, 2 %).",
    ("FBA10", "referral_rate_seller_category"): "products.csv gives the category; Commission charged at the "
    "Jewelry rate (20 %).",
    ("FBA10", "referral_rate_inferred_category"): "No category in products.csv (Fee Preview product-group "
    "gives it); Commission charged at the Jewelry rate (20 %).",
    ("FBA10", "trap_within_tolerance"): "Commission 0.02 above the schedule, under max(0.05, 1 % of price).",
}
# Planted sales of the fee SKUs, in days before the audit date (so each has charges inside the 90-day window).
FEE_ORDER_OFFSETS = (8, 20, 33, 45, 60, 75, 88, 110, 140)


@dataclass
class Planted:
    """Everything the stories add to the account, plus their truth."""

    orders: list[pl.DataFrame] = field(default_factory=list)  # story, sku_idx, day, qty, purchase_us, ship_lag_us
    refunds: list[pl.DataFrame] = field(default_factory=list)  # story, refund_day, refund_qty, principal_refund_cents, ...
    units: list[pl.DataFrame] = field(default_factory=list)  # returned units
    adjustments: list[pl.DataFrame] = field(default_factory=list)
    reimbursements: list[pl.DataFrame] = field(default_factory=list)
    shipments: list[pl.DataFrame] = field(default_factory=list)
    items: list[pl.DataFrame] = field(default_factory=list)
    receipts: list[pl.DataFrame] = field(default_factory=list)
    cases: list[pl.DataFrame] = field(default_factory=list)  # truth rows (claims and traps)


def _count(skus: int) -> int:
    return max(1, round(RATE * skus))


def _offsets(period: Period, variant: Variant) -> tuple[int, int] | None:
    """The days before the audit date the variant's anchor may fall on, inside the data; None if there are none."""
    lo, hi = variant.offsets
    a = period.as_of_day
    lo = max(lo, a - (period.days - 1) + variant.tail)
    hi = min(hi, a - 1 - variant.lead)
    return (lo, hi) if lo <= hi else None


def _anchor(rng: Rng, period: Period, variant: Variant, frame: pl.DataFrame) -> pl.DataFrame | None:
    """Give each story an anchor day inside its offsets, the data period and its lead/tail; None if impossible."""
    offsets = _offsets(period, variant)
    if offsets is None:
        return None
    lo, hi = offsets
    a = period.as_of_day
    return frame.with_columns(
        anchor=(a - (lo + (rng.uniform("anchor-" + variant.name, "story") * (hi - lo + 1)).floor())).cast(pl.Int64))


class Planter:
    def __init__(self, rng: Rng, period: Period, catalog: pl.DataFrame) -> None:
        self.rng, self.period, self.catalog = rng, period, catalog
        self.out = Planted()
        self.next_story = 0
        order = catalog.select("sku_idx", "template", perm=rng.uniform("pool", "sku_idx")).sort("perm")
        self.perm = order
        self.sales_taken: set[int] = set()

    # --------------------------------------------------------------------------------- helpers
    def _stories(self, variant: Variant, sku_idx: list[int]) -> pl.DataFrame | None:
        if not sku_idx:
            return None
        n = len(sku_idx)
        frame = pl.DataFrame({"sku_idx": sku_idx, "story": list(range(self.next_story, self.next_story + n))},
                             schema={"sku_idx": pl.Int64, "story": pl.Int64})
        self.next_story += n
        frame = _anchor(self.rng, self.period, variant, frame)
        if frame is None:
            return None
        return frame.join(self.catalog.select("sku_idx", "price_cents", "unit_cost_cents", "fc", "fnsku", "sku"),
                          on="sku_idx", how="left")

    def _take(self, pool: list[int], n: int) -> list[int]:
        taken = pool[:n]
        del pool[:n]
        return taken

    def _case(self, frame: pl.DataFrame, variant: Variant, *, event_day: pl.Expr, units: pl.Expr,
              value: pl.Expr | None, basis: str, order: bool = False, shipment: bool = False,
              reference: bool = False) -> None:
        self.out.cases.append(frame.select(
            "story", "sku_idx",
            code=pl.lit(variant.code), variant=pl.lit(variant.name), status=pl.lit(variant.status),
            event_day=event_day, units=units.cast(pl.Int64),
            value_cents=(value if value is not None else pl.lit(None)).cast(pl.Int64),
            basis=pl.lit(basis), why=pl.lit(variant.why),
            has_order=pl.lit(order), has_shipment=pl.lit(shipment), has_reference=pl.lit(reference),
        ))

    # --------------------------------------------------------------------------------- customer side
    def customer_per_variant(self, discrepancy_rate: float, order_items: float) -> int:
        """Customer stories per variant for about `discrepancy_rate` findings per order item from the customer
        side's claims alone (at least the usual count): an account with many refunds and returns, the
        settlement-heavy kind. Only the variants that fit in the period count (no expired ones in 3 months)."""
        claims = sum(1 for v in CUSTOMER if v.status != "trap" and _offsets(self.period, v) is not None)
        return max(_count(self.catalog.height), round(discrepancy_rate * order_items / max(claims, 1)))

    def customer(self, pool: list[int], per_variant: int | None = None) -> None:
        """The customer-side stories; `per_variant` of each (default: the usual count for the catalog's size). They
        are per order, so any number of them can share the SKUs of `pool`."""
        n = per_variant or _count(self.catalog.height)
        i = 0
        for variant in CUSTOMER:
            skus = [pool[(i + k) % len(pool)] for k in range(n)] if pool else []
            i += n
            s = self._stories(variant, skus)
            if s is None:
                continue
            self._customer_story(variant, s)

    def _order(self, s: pl.DataFrame, purchase_day: pl.Expr, qty: int, place: pl.Expr | None = None) -> None:
        self.out.orders.append(s.select(
            "story", "sku_idx", day=purchase_day, qty=pl.lit(qty, pl.Int64),
            purchase_us=pl.lit(14 * HOUR_US, pl.Int64), ship_lag_us=pl.lit(20 * HOUR_US, pl.Int64),
            cancelled=pl.lit(False), planted=pl.lit(True),
            place=(place if place is not None else pl.lit(None)).cast(pl.Int64)))

    def _refund(self, s: pl.DataFrame, qty: int, principal: pl.Expr, restocking: pl.Expr | None = None,
                share: float = 1.0, restocking_tax_base: pl.Expr | None = None) -> None:
        """A refund on the anchor day. `restocking`: a RestockingFee credit to the seller; `restocking_tax_base`:
        the restocking fee the buyer paid, on which Amazon withholds marketplace facilitator tax (a
        MarketplaceFacilitatorTax-RestockingFee line, at the order's ship-to tax rate)."""
        self.out.refunds.append(s.select(
            "story", refund_day="anchor", refund_qty=pl.lit(qty, pl.Int64),
            principal_refund_cents=principal.cast(pl.Int64),
            restocking_cents=(restocking if restocking is not None else pl.lit(None)).cast(pl.Int64),
            restocking_tax_base_cents=(restocking_tax_base if restocking_tax_base is not None
                                       else pl.lit(None)).cast(pl.Int64),
            commission_share=pl.lit(share)))

    def _return(self, s: pl.DataFrame, day: pl.Expr, disposition: str, status: str, *, ledger: pl.Expr | None,
                reimburse: pl.Expr | None = None, unit: int = 0) -> None:
        self.out.units.append(s.select(
            "story", "sku_idx", unit=pl.lit(unit, pl.Int64), return_day=day, disposition=pl.lit(disposition),
            status=pl.lit(status), ledger_day=(ledger if ledger is not None else pl.lit(None)).cast(pl.Int64),
            reimburse_day=(reimburse if reimburse is not None else pl.lit(None)).cast(pl.Int64)))

    def _reimburse(self, s: pl.DataFrame, day: pl.Expr, reason: str, cash: int, per_unit: pl.Expr, *,
                   by_order: bool, inventory: int = 0, tag: str = "", original_tag: str | None = None) -> None:
        self.out.reimbursements.append(s.select(
            "sku_idx", "story", day=day, reason=pl.lit(reason), order_story=pl.col("story") if by_order else pl.lit(None, pl.Int64),
            cash=pl.lit(cash, pl.Int64), inventory=pl.lit(inventory, pl.Int64), per_unit=per_unit.cast(pl.Int64),
            tag=pl.lit(tag), original_tag=pl.lit(original_tag, pl.String), case_id=pl.lit(None, pl.String)))

    def _customer_story(self, v: Variant, s: pl.DataFrame) -> None:
        r = pl.col("anchor")
        price = pl.col("price_cents")
        name = v.name
        qty = 2 if name.endswith("partly_reimbursed") else 1
        # A restocking fee carries marketplace facilitator tax: ship those orders to a state with sales tax.
        taxed = self.rng.integer("taxed-place", 0, len(TAXED_PLACES) - 1, "story").replace_strict(
            dict(enumerate(TAXED_PLACES)), return_dtype=pl.Int64)
        self._order(s, r - 8, qty, place=taxed if v.code == "FBA06" else None)
        if v.code == "FBA07":
            self._refund(s, qty, -price * qty)
            if name.endswith("partly_reimbursed"):
                self._reimburse(s, r + 20, "CustomerReturn", 1, (price * 0.85).round(0), by_order=True)
                self._case(s, v, event_day=r, units=pl.lit(1), value=price, basis="order_refund", order=True)
            elif name == "trap_reimbursed":
                self._reimburse(s, r + 25, "CustomerReturn", 1, (price * 0.85).round(0), by_order=True)
                self._case(s, v, event_day=r, units=pl.lit(1), value=None, basis="none", order=True)
            elif name == "trap_late_return":
                self._return(s, r + 50, "SELLABLE", "Unit returned to inventory", ledger=r + 50)
                self._case(s, v, event_day=r, units=pl.lit(1), value=None, basis="none", order=True)
            else:
                self._case(s, v, event_day=r, units=pl.lit(1), value=price, basis="order_refund", order=True)
        elif v.code == "FBA09":
            self._refund(s, 1, -price)
            if name in ("trap_customer_damaged", "trap_defective"):
                disposition = "CUSTOMER_DAMAGED" if name == "trap_customer_damaged" else "DEFECTIVE"
                self._return(s, r + 4, disposition, "Unit returned to inventory", ledger=r + 4)
                self._case(s, v, event_day=r, units=pl.lit(1), value=None, basis="none", order=True)
                if name == "trap_customer_damaged":
                    self._case(s, Variant("FBA07", "trap_returned_customer_damaged", "trap", v.offsets,
                                          why="Refund with a (customer-damaged) return: not a refund without return."),
                               event_day=r, units=pl.lit(1), value=None, basis="none", order=True)
            elif name == "trap_damaged_reimbursed":
                self._return(s, r + 4, "DAMAGED", "Reimbursed", ledger=None, reimburse=r + 9)
                self._case(s, v, event_day=r, units=pl.lit(1), value=None, basis="none", order=True)
            else:
                disposition = "CARRIER_DAMAGED" if "carrier" in name else "DAMAGED"
                self._return(s, r + 4, disposition, "Unit returned to inventory", ledger=None)
                self._case(s, v, event_day=r, units=pl.lit(1), value=price, basis="order_refund", order=True)
        elif v.code == "FBA03":
            excess = pl.lit(50) if name.startswith("trap") else pl.max_horizontal(pl.lit(500), (price * 0.25).round(0))
            self._refund(s, 1, -(price + excess))
            self._return(s, r + 4, "SELLABLE", "Unit returned to inventory", ledger=r + 4)
            # The excess is money, not units: no unit was refunded beyond those bought.
            self._case(s, v, event_day=r, units=pl.lit(0), value=None if name.startswith("trap") else excess,
                       basis="none" if name.startswith("trap") else "order_refund", order=True)
        elif v.code == "FBA06":
            fee = (price * 0.2).round(0)
            if name == "trap_partial_refund":
                self._refund(s, 1, -(price - fee), share=0.8)
            elif name == "trap_partial_refund_fee_tax":
                self._refund(s, 1, -(price - fee), share=0.8, restocking_tax_base=fee)
            elif name == "trap_restocking_fee_credited":
                self._refund(s, 1, -price, restocking=fee, restocking_tax_base=fee)
            else:
                self._refund(s, 1, -price, restocking_tax_base=fee)
            self._return(s, r + 4, "CUSTOMER_DAMAGED", "Unit returned to inventory", ledger=r + 4)
            # The detector gives no amount: the restocking fee itself is not in the seller's reports.
            self._case(s, v, event_day=r, units=pl.lit(1), value=None, basis="none", order=True)

    # --------------------------------------------------------------------------------- FBA05
    def restock(self, pool: list[int]) -> list[int]:
        used = []
        n = _count(self.catalog.height)
        for v in RESTOCK:
            skus = self._take(pool, n)
            used += skus
            s = self._stories(v, skus)
            if s is None:
                continue
            t = pl.col("anchor")
            self._order(s, t - 12, 1)
            self._refund(s, 1, -pl.col("price_cents"))
            ledger = (t - 2) if v.name.startswith("trap") else None
            self._return(s, t, "SELLABLE", "Unit returned to inventory", ledger=ledger)
            trap = v.status == "trap"
            self._case(s, v, event_day=t, units=pl.lit(1), value=None if trap else pl.col("unit_cost_cents"),
                       basis="none" if trap else "cost_file", order=True)
        return used

    # --------------------------------------------------------------------------------- FBA02
    def warehouse(self) -> list[int]:
        pool = self.perm["sku_idx"].to_list()
        pool.remove(0)
        pool.insert(0, 0)
        used = []
        n = _count(self.catalog.height)
        for v in WAREHOUSE:
            skus = self._take(pool, n)
            used += skus
            s = self._stories(v, skus)
            if s is None:
                continue
            e = pl.col("anchor")
            rows = []

            def adj(day, qty, disposition, reason, reconciled, unreconciled, tag, frame=s):
                rows.append(frame.select("sku_idx", "fc", "story", day=day, qty=pl.lit(qty, pl.Int64),
                                         disposition=pl.lit(disposition), reason=pl.lit(reason),
                                         reconciled=pl.lit(reconciled, pl.Int64),
                                         unreconciled=pl.lit(unreconciled, pl.Int64), tag=pl.lit(tag)))

            cost = pl.col("unit_cost_cents")
            name = v.name
            if name == "lost":
                adj(e, -2, "SELLABLE", "M", 0, 2, "event")
                units = 2
            elif name == "lost_window_closing":
                adj(e, -1, "SELLABLE", "5", 0, 1, "event")
                units = 1
            elif name == "damaged_waiting":
                adj(e, -1, "SELLABLE", "E", 0, 1, "event")
                adj(e, 1, "WAREHOUSE_DAMAGED", "P", None, None, "p")
                units = 1
            elif name == "lost_expired":
                adj(e, -1, "SELLABLE", "M", 0, 1, "event")
                units = 1
            elif name == "lost_then_partly_found":
                adj(e, -3, "SELLABLE", "M", 1, 2, "event")
                adj(e + 6, 1, "SELLABLE", "F", 1, 0, "found")
                units = 2
            elif name == "lost_partly_reimbursed":
                adj(e, -3, "SELLABLE", "M", 0, 3, "event")
                self._reimburse(s, e + 7, "Lost_Warehouse", 1, cost, by_order=False)
                units = 2
            elif name == "damaged_carrier_inventory":
                adj(e, -1, "CARRIER_DAMAGED", "6", 0, 1, "event")
                adj(e, 1, "WAREHOUSE_DAMAGED", "P", None, None, "p")
                units = 1
            elif name == "damaged_expired_inventory":
                adj(e, -1, "EXPIRED", "7", 0, 1, "event")
                adj(e, 1, "WAREHOUSE_DAMAGED", "P", None, None, "p")
                units = 1
            elif name == "trap_reimbursed":
                adj(e, -2, "SELLABLE", "M", 0, 2, "event")
                self._reimburse(s, e + 10, "Lost_Warehouse", 2, cost, by_order=False)
                units = 0
            elif name == "trap_found_reimbursed_reversed":
                adj(e, -1, "SELLABLE", "M", 1, 0, "event")
                self._reimburse(s, e + 5, "Lost_Warehouse", 1, cost, by_order=False, tag="original")
                adj(e + 9, 1, "SELLABLE", "F", 1, 0, "found")
                self._reimburse(s, e + 14, "Reimbursement_Reversal", -1, -cost, by_order=False, inventory=1,
                                original_tag="original")
                units = 0
            elif name == "trap_damaged_reimbursed":
                adj(e, -1, "SELLABLE", "E", 0, 1, "event")
                adj(e, 1, "WAREHOUSE_DAMAGED", "P", None, None, "p")
                self._reimburse(s, e + 8, "Damaged_Warehouse", 1, cost, by_order=False)
                adj(e + 8, -1, "WAREHOUSE_DAMAGED", "O", None, None, "o")
                units = 0
            else:  # trap_reason_H / K / U
                code = name[-1]
                disposition = {"H": "CUSTOMER_DAMAGED", "K": "DEFECTIVE", "U": "DISTRIBUTOR_DAMAGED"}[code]
                adj(e, -1, disposition, code, 0, 1, "event")
                adj(e, 1, "WAREHOUSE_DAMAGED", "P", None, None, "p")
                units = 0
            self.out.adjustments.append(pl.concat(rows, how="vertical_relaxed").with_columns(
                event_type=pl.lit("Adjustments")))
            trap = v.status == "trap"
            self._case(s, v, event_day=e, units=pl.lit(units), value=None if trap else cost * units,
                       basis="none" if trap else "cost_file", reference=True)
        return used

    # --------------------------------------------------------------------------------- FBA04 / FBA08
    def inbound(self) -> list[int]:
        pool = self.perm["sku_idx"].to_list()[::-1]
        used = []
        n = _count(self.catalog.height)
        for v in INBOUND:
            skus = self._take(pool, n)
            used += skus
            s = self._stories(v, skus)
            if s is None:
                continue
            f = pl.col("anchor")
            name = v.name
            status = "CLOSED"
            receipts: list[tuple[pl.Expr, int, str]] = []
            reimb = None
            if name == "shortfall":
                shipped, received, units = 48, 40, 8
                receipts = [(f, 30, "SELLABLE"), (f + 1, 10, "SELLABLE")]
            elif name == "shortfall_partly_reimbursed":
                shipped, received, units = 36, 30, 4
                receipts = [(f, 30, "SELLABLE")]
                reimb = ("Lost_Inbound", 2, f + 20)
            elif name == "negative_receipt_after_close":
                shipped, received, units = 24, 24, 2
                receipts = [(f, 24, "SELLABLE"), (f + 20, -2, "SELLABLE")]
            elif name == "shortfall_expired":
                shipped, received, units = 30, 26, 4
                receipts = [(f, 26, "SELLABLE")]
            elif name == "trap_shortfall_reimbursed":
                shipped, received, units = 30, 27, 0
                receipts = [(f, 27, "SELLABLE")]
                reimb = ("Lost_Inbound", 3, f + 15)
            elif name == "trap_still_receiving":
                shipped, received, units, status = 40, 30, 0, "RECEIVING"
                receipts = [(f, 30, "SELLABLE")]
            elif name == "carrier_damaged_receipt":
                shipped, received, units = 60, 60, 3
                receipts = [(f, 57, "SELLABLE"), (f, 3, "CARRIER_DAMAGED")]
            elif name == "carrier_damaged_own_carrier":
                shipped, received, units = 36, 36, 2
                receipts = [(f, 34, "SELLABLE"), (f, 2, "CARRIER_DAMAGED")]
            elif name == "carrier_damaged_waiting":
                shipped, received, units, status = 48, 40, 2, "RECEIVING"
                receipts = [(f, 38, "SELLABLE"), (f, 2, "CARRIER_DAMAGED")]
            elif name == "carrier_damaged_expired":
                shipped, received, units = 30, 30, 2
                receipts = [(f, 28, "SELLABLE"), (f, 2, "CARRIER_DAMAGED")]
            elif name == "trap_carrier_damaged_reimbursed":
                shipped, received, units = 30, 30, 0
                receipts = [(f, 28, "SELLABLE"), (f, 2, "CARRIER_DAMAGED")]
                reimb = ("Damaged_Inbound", 2, f + 12)
            else:  # shipment_never_arrived*, trap_in_transit_recent: the anchor is the (never happened) delivery
                shipped, received, status = 24, 0, "IN_TRANSIT"
                units = 0 if name.startswith("trap") else 24
            # Amazon's partnered-carrier charge (FBAInboundTransportationFee) posts the day after creation; a
            # shipment sent with the seller's own carrier has none.
            partnered = not name.endswith("own_carrier")
            self.out.shipments.append(s.select(
                "story", create_day=f - 8, need_by_day=f + 6, dest_fc="fc", status=pl.lit(status),
                planted=pl.lit(True), partnered=pl.lit(partnered), charge_day=f - 7))
            self.out.items.append(s.select("story", "sku_idx", shipped=pl.lit(shipped, pl.Int64),
                                           received=pl.lit(received, pl.Int64), case=pl.lit(6, pl.Int64)))
            for day, qty, disposition in receipts:
                self.out.receipts.append(s.select("story", "sku_idx", day=day, qty=pl.lit(qty, pl.Int64),
                                                  disposition=pl.lit(disposition), dest_fc="fc"))
            if reimb is not None:
                self._reimburse(s, reimb[2], reimb[0], reimb[1], pl.col("unit_cost_cents"), by_order=False)
            trap = v.status == "trap"
            # Never arrived: dated from the partnered-carrier charge, else from the creation date in the shipment
            # name (FBA04 takes the later of the two); received: from the first receipt (delivery).
            event = {"shipment_never_arrived": f - 7, "shipment_never_arrived_own_carrier": f - 8}.get(name, f)
            self._case(s, v, event_day=event, units=pl.lit(units),
                       value=None if trap else pl.col("unit_cost_cents") * units,
                       basis="none" if trap else "cost_file", shipment=True)
        return used

    # --------------------------------------------------------------------------------- FBA01 / FBA10
    def fees(self, pool: list[int], small_standard: set[int]) -> tuple[list[int], pl.DataFrame]:
        """Choose the fee SKUs; returns (SKUs used, per-SKU fee plan: sku_idx, code, variant)."""
        n = _count(self.catalog.height)
        templates = dict(zip(self.catalog["sku_idx"].to_list(), self.catalog["template"].to_list()))
        categories = dict(zip(self.catalog["sku_idx"].to_list(), self.catalog["category"].to_list()))
        plan = {"sku_idx": [], "code": [], "variant": [], "status": []}
        used = []
        for v in FEES:
            if v.code == "FBA01" and v.status != "trap":
                eligible = [i for i in pool if templates[i] in small_standard]
            elif v.code == "FBA10" and v.status != "trap":
                eligible = [i for i in pool if categories[i] != "Jewelry"]
            else:
                eligible = list(pool)
            chosen = eligible[:n]
            for i in chosen:
                pool.remove(i)
                plan["sku_idx"].append(i)
                plan["code"].append(v.code)
                plan["variant"].append(v.name)
                plan["status"].append(v.status)
            used += chosen
        frame = pl.DataFrame(plan, schema={"sku_idx": pl.Int64, "code": pl.String, "variant": pl.String,
                                           "status": pl.String})
        # Guaranteed sales inside (and before) the 90-day window for every fee SKU.
        a = self.period.as_of_day
        offsets = [o for o in FEE_ORDER_OFFSETS if 1 <= a - o - 2 and a - o + 1 <= self.period.days - 1]
        if used and offsets:
            grid = pl.DataFrame({"sku_idx": used}, schema={"sku_idx": pl.Int64}).join(
                pl.DataFrame({"off": offsets}, schema={"off": pl.Int64}), how="cross")
            self.out.orders.append(grid.select(
                "sku_idx", story=pl.lit(None, pl.Int64), day=a - pl.col("off") - 1, qty=pl.lit(1, pl.Int64),
                purchase_us=pl.lit(15 * HOUR_US, pl.Int64), ship_lag_us=pl.lit(19 * HOUR_US, pl.Int64),
                cancelled=pl.lit(False), planted=pl.lit(True)))
        return used, frame
