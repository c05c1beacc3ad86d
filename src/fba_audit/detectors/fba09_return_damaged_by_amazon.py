"""Customer returns that Amazon or its carrier damaged, not reimbursed.

## What it finds
Rows of the FBA customer returns report whose `detailed-disposition` is `DAMAGED` (damaged while in Amazon's
care) or `CARRIER_DAMAGED` (damaged by the carrier on the way back), whose `status` is not `Reimbursed`, and for
which the Reimbursements report (or a settlement reimbursement line) shows no reimbursement for that order and
unit, whatever its reason (`CustomerReturn`, `Damaged_Warehouse`, ...). One finding per returned unit (license
plate number). When an order has several such units and only some were reimbursed, each reimbursed unit covers
one return, oldest first, and the rest are reported.

Never claimed: `CUSTOMER_DAMAGED`, `DEFECTIVE`, `EXPIRED` or `SELLABLE` returns. Those units stay yours
(damaged by the customer, faulty, expired, or back in stock); claiming them is a false claim.

## Why Amazon owes you
Amazon's FBA customer returns report help page
([200453320](https://sellercentral.amazon.com/gp/help/external/200453320)) defines `DAMAGED` and
`CARRIER_DAMAGED` returns as units Amazon takes responsibility for: ownership passes to Amazon, which
compensates you under its lost and damaged inventory reimbursement policy. When no reimbursement follows, you
may file a claim under the customer return and refund reimbursement policy
([G9N934L7Y4SFWPJ4](https://sellercentral.amazon.com/gp/help/external/G9N934L7Y4SFWPJ4)).

The amount, as for other units damaged in Amazon's care: your unit cost from products.csv (basis `cost_file`),
else the average Amazon paid you per unit for that FNSKU (`past_reimbursements`), else the refunded principal of
the order minus the referral fee credited back (`order_refund`), else no amount. The finding says which.

## Evidence to attach
- the order id, SKU, FNSKU and license plate number of the returned unit;
- the FBA customer returns report row showing the `DAMAGED` or `CARRIER_DAMAGED` disposition;
- the Reimbursements report showing no reimbursement for the order;
- the refund lines of the order, when your settlement or transaction files have them.

## Claim window
{claim_window}

fba-audit counts the window from the refund of the order and SKU in your settlement or transaction files (the
refund nearest the return date). Without one it counts from the return date, which is usually later than the
refund: the finding then says so, and the last day may be earlier than shown.
"""

from __future__ import annotations

from functools import partial

import polars as pl

from fba_audit.coverage import Judged, not_checked
from fba_audit.detectors._base import Detector, evidence_ref, finding_id, join_evidence, to_findings
from fba_audit.events.refunds import per_day
from fba_audit.detectors._customer_return import (
    money_div, net_by_order, order_prices, with_refund_evidence,
)
from fba_audit.reports.datasets import empty_dataset, keyed_like
from fba_audit.valuation import add_valuation

# Help page 200453320: Amazon takes ownership of these and compensates the seller.
CLAIMED_DISPOSITIONS = ["DAMAGED", "CARRIER_DAMAGED"]
# Every `detailed-disposition` Amazon documents (docs/report-formats.md, "FBA customer returns"): any other value is
# not judged. The last two are seen only in third-party code; what they mean for ownership is not documented, so
# they are not claimed.
KNOWN_DISPOSITIONS = ["SELLABLE", "DAMAGED", "CUSTOMER_DAMAGED", "DEFECTIVE", "CARRIER_DAMAGED", "EXPIRED"]
ITEM = "customer return (returns report row)"


def detect(*, customer_returns, reimbursements, transactions=None, products=None, ctx):
    disposition = pl.col("detailed_disposition").cast(pl.String).str.strip_chars().str.to_uppercase()
    status = pl.col("status").cast(pl.String).str.strip_chars().str.to_lowercase()
    unknown = customer_returns.filter(~disposition.is_in(KNOWN_DISPOSITIONS) & (pl.col("quantity") > 0))
    unjudged = not_checked(
        unknown,
        pl.format("detailed-disposition {} is not one Amazon documents: who is responsible for the damage is unknown",
                  pl.coalesce(disposition, pl.lit("(empty)"))),
        pl.format("{} ({}, {}:{})", "order_id", pl.col("sku").cast(pl.String).fill_null("-"), "source_file",
                  "source_line"))
    damaged = customer_returns.filter(
        disposition.is_in(CLAIMED_DISPOSITIONS) & (status.is_null() | (status != "reimbursed"))
        & (pl.col("quantity") > 0)
    ).with_columns(
        # The license plate number names the unit; without one, the item and return date do.
        _unit=pl.coalesce("license_plate_number",
                          pl.format("{}-{}", pl.coalesce("fnsku", "sku"), pl.col("return_date"))),
        return_evidence=evidence_ref(), disposition=disposition,
    )
    damaged = damaged.with_columns(
        claim_id=finding_id("FBA09", ctx.marketplace, pl.col("order_id"), pl.col("_unit")),
        _n=pl.int_range(pl.len()).over("order_id", "_unit", order_by="source_line"),
    ).with_columns(  # identical rows without a license plate number: number them
        claim_id=pl.when(pl.len().over("claim_id") > 1).then(pl.format("{}:{}", "claim_id", pl.col("_n") + 1))
        .otherwise("claim_id"),
    )
    # The window counts from the refund nearest the return (same order and SKU), else from the return date.
    txn = transactions if transactions is not None else keyed_like(empty_dataset("transactions"), damaged,
                                                                   ["order_id", "sku"])
    # Only the damaged returns' orders matter: a year of refunds is hundreds of thousands of lines.
    txn = txn.filter(pl.col("order_id").is_in(damaged["order_id"].drop_nulls().unique().implode()))
    refunds = keyed_like(per_day(ctx.events.refunds, only=damaged["order_id"]), damaged, ["order_id", "sku"])
    refunds = refunds.join(order_prices(txn, None, ctx.currency, only=refunds["order_id"]), on=["order_id", "sku"],
                           how="left")
    nearest = damaged.select("claim_id", "order_id", "sku", "return_date").join(
        refunds, on=["order_id", "sku"], how="inner"
    ).sort("claim_id", (pl.col("refund_date") - pl.col("return_date")).abs(), "refund_date").unique(
        "claim_id", keep="first"
    ).drop("order_id", "sku", "return_date")
    claims = damaged.join(nearest, on="claim_id", how="left").with_columns(
        event_date=pl.coalesce("refund_date", "return_date")
    )
    # Any reimbursement of the order and unit (sku, then fnsku, then the order) settles it, oldest return first.
    netted = net_by_order(claims, ctx.events.allocator.take("FBA09"), items=("sku", "fnsku"),
                          spend=partial(ctx.events.allocator.spend, "FBA09"))
    ctx.events.allocator.release("FBA09")
    # What Amazon paid for the order's other damaged returns belongs in the evidence of the one still open.
    order_paid = netted.group_by("order_id").agg(
        pl.col("units_reimbursed").sum().alias("_order_paid"), pl.col("quantity").sum().alias("_order_units"),
        pl.col("reimbursement_evidence").list.explode(keep_nulls=False, empty_as_null=False).unique().sort()
        .str.join("; ").alias("_order_ev"),
    )
    netted = netted.join(order_paid, on="order_id", how="left").filter(pl.col("units_open") > 0)
    valued = add_valuation(netted.with_columns(quantity=pl.col("units_open")), products=products,
                           reimbursements=reimbursements, currency=ctx.currency)
    # Else the order's refund: refunded principal less the referral fee credited back, per refunded unit.
    per_unit = []
    for r in valued.iter_rows(named=True):
        units = 1
        if r["refunded"] is not None and r["unit_price"] is not None:
            units = max(1, round(r["refunded"] / r["unit_price"]))
        net = None if r["refunded"] is None else r["refunded"] - max(r["fee_returned"], 0)
        per_unit.append(money_div(net, units))
    use_refund = (pl.col("valuation_basis") == "none") & pl.col("_refund_unit").is_not_null()
    valued = valued.with_columns(_refund_unit=pl.Series(per_unit, dtype=pl.Decimal(18, 2))).with_columns(
        amount=pl.when(use_refund).then((pl.col("_refund_unit") * pl.col("quantity")).cast(pl.Decimal(18, 2)))
        .otherwise("amount"),
        valuation_basis=pl.when(use_refund).then(pl.lit("order_refund")).otherwise("valuation_basis"),
        valuation_note=pl.when(use_refund).then(pl.format(
            "refunded principal less the referral fee credited back, {} {} per unit (refund of {})", "_refund_unit",
            pl.lit(ctx.currency), "refund_date")).otherwise("valuation_note"),
        currency=pl.when(use_refund).then(pl.lit(ctx.currency)).otherwise("currency"),
    )
    valued = with_refund_evidence(valued, txn, ctx.currency)
    no_refund = pl.col("refund_date").is_null()
    findings = to_findings(valued.select(
        "order_id", "sku", "fnsku", "asin", "event_date", "quantity", "amount", "currency", "valuation_basis",
        finding_id=pl.col("claim_id"), reference_id=pl.col("order_id"),
        confidence=pl.when(no_refund).then(pl.lit("medium")).otherwise(pl.lit("high")),
        message=pl.format(
            "Return {} of order {} ({}) came back {} on {} with status {}, {} unit(s) not reimbursed ({} of the "
            "order's {} damaged unit(s) reimbursed); value: {}{}.",
            "_unit", "order_id", "sku", "disposition", "return_date", pl.col("status").fill_null("(empty)"),
            "quantity", "_order_paid", "_order_units", "valuation_note",
            pl.when(no_refund).then(pl.lit(
                "; claim window counted from the return date: no refund of this order and SKU in the transactions "
                "given")).otherwise(pl.format("; claim window counted from the refund on {}", "refund_date")),
        ),
        evidence=join_evidence(
            pl.format("return: {}", "return_evidence"),
            pl.format("refund: {}", "refund_evidence"),
            pl.when(pl.col("_order_paid") == 0).then(pl.lit(
                "no reimbursement for the order in " + (", ".join(sorted(set(reimbursements["source_file"])))
                                                         or "the Reimbursements report (no rows)")))
            .otherwise(pl.format("reimbursed for other units of the order: {}", "_order_ev")),
        ),
        case_text=pl.format(
            "Order {} (SKU {}, FNSKU {}): the customer return with license plate number {} was received at {} on {} "
            "with disposition {}, so Amazon took ownership of the unit, but no reimbursement appears in my "
            "Reimbursements report and the return status is {}. Please reimburse {} unit(s).",
            "order_id", "sku", pl.col("fnsku").fill_null("-"), pl.col("license_plate_number").fill_null("(none)"),
            pl.col("fulfillment_center_id").fill_null("the fulfillment center"), "return_date", "disposition",
            pl.col("status").fill_null("(empty)"), "quantity",
        ),
    ), code="FBA09", ctx=ctx)
    return Judged(findings, item=ITEM, judged=customer_returns.height - unknown.height, not_checked=unjudged)


DETECTOR = Detector(code="FBA09", name="return-damaged-by-amazon", family="customer_return",
                    needs=("customer_returns", "reimbursements"), optional=("transactions", "products"),
                    run=detect, doc=__doc__, events=("refunds", "reimbursements"))
