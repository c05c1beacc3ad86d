"""Amazon refunded a buyer more principal, or more units, than the order charged.

## What it finds
Orders fulfilled by Amazon where the item price (principal) refunded to the buyer, summed over every refund of
that order and SKU in your settlement or transaction files, is more than the principal the order charged, by more
than the larger of 1.00 and 5 % of the charge; or where the refund lines name more units than were bought (and
more money than was charged went back). Only `Principal` (settlement files) or `product sales` (Date Range
files) is compared: refunds of shipping, tax or gift wrap, promotions and `Goodwill` credits are left out.

When a refund line names no quantity, the units refunded are derived as principal refunded / unit price and the
finding says so. An order whose charge is not in your files (it was paid out in an earlier settlement you did
not include) is not reported: a missing charge is missing evidence, not an over-refund. Add the older settlement
or the All Orders report (`item-price`, then marked `medium` confidence) to audit it.

## Why Amazon owes you
For FBA orders Amazon issues the refund and debits your account "for all or part of the refund value" (FBA
customer returns policy, https://sellercentral.amazon.com/gp/help/external/200379860). A refund can only return
what the buyer paid, so principal debited beyond the charge is Amazon's error (a duplicated or mis-keyed refund).
Amazon has no dedicated claim page for this: fba-audit assumes you open a case with Seller Support and marks
every finding `review`.

## Evidence to attach
- Order ID, SKU, the order's principal charged and units bought (settlement lines, cited in the finding)
- Each refund's date, adjustment and principal refunded (settlement lines, cited in the finding)
- The difference, and a request to reverse the principal debited beyond the charge

## Claim window
{claim_window}
"""

from __future__ import annotations

import polars as pl

from fba_audit.context import AuditContext
from fba_audit.coverage import Judged, not_checked
from fba_audit.detectors._base import Detector, evidence_agg, finding_id, join_evidence, to_findings, with_evidence_of
from fba_audit.detectors._refunds import MONEY, charged_per_item, principal_lines, with_order_evidence
from fba_audit.events.refunds import per_refund
from fba_audit.sorted_runs import cum_sum_within, key_starts
from fba_audit.reports.datasets import ID, in_currency

ABSOLUTE_TOLERANCE = pl.lit(1).cast(MONEY)
RELATIVE_TOLERANCE = pl.lit("0.05").cast(pl.Decimal(18, 4))
ITEM = "refunded order item (order and SKU)"
NO_CHARGE = ("the charge is in neither the settlement / transaction files nor All Orders (the order is older than "
             "the files): the refund cannot be compared with it")


def _all_orders_charges(orders: pl.DataFrame | None, currency: str) -> pl.DataFrame:
    """All Orders `item-price` (for all units of the line) per order and SKU, used only where no Order line is in
    the settlement / transaction files."""
    schema = {"order_id": pl.String, "sku": ID, "ao_charged": MONEY, "ao_units": pl.Int64,
              "ao_fulfillment": pl.String, "ao_evidence": pl.String}
    if orders is None or orders.is_empty():
        return pl.DataFrame(schema=schema)
    return (
        orders.filter(
            pl.col("item_price").is_not_null() & in_currency(currency)
        )
        .group_by(pl.col("amazon_order_id").alias("order_id"), "sku")
        .agg(
            pl.col("item_price").sum().cast(MONEY).alias("ao_charged"),
            pl.col("quantity").sum().alias("ao_units"),
            pl.col("fulfillment_channel").replace({"Amazon": "AFN", "Merchant": "MFN"}).drop_nulls().unique().sort()
            .str.join("/").alias("ao_fulfillment"),
            evidence_agg().alias("ao_evidence"),
        )
        .cast(schema)
    )


def detect(*, transactions: pl.DataFrame, orders: pl.DataFrame | None = None, ctx: AuditContext) -> Judged:
    lines = principal_lines(transactions, ctx.currency)
    refunds = per_refund(ctx.events.refunds)
    # The charge: Order lines in the files; else All Orders; else nothing is reported (see the docstring).
    # Only refunded orders matter: a year of Order lines is millions of rows.
    refunded = refunds["order_id"].unique().implode()
    order_lines = lines.filter(pl.col("order_id").is_in(refunded))
    charged = refunds.select("order_id", "sku").unique().join(
        charged_per_item(order_lines), on=["order_id", "sku"], how="left",
        nulls_equal=True,
    )
    if orders is not None:
        # All Orders is read only where the files lack the charge or its channel (see `fulfillment` below).
        complete = (pl.col("charged").is_not_null() & (pl.col("order_fulfillment") != "")).fill_null(False)
        lacking = charged.filter(~complete)
        orders = orders.filter(pl.col("amazon_order_id").is_in(lacking["order_id"].unique().implode()))
    charged = charged.join(_all_orders_charges(orders, ctx.currency), on=["order_id", "sku"], how="left",
                           nulls_equal=True)
    from_files = pl.col("charged").is_not_null()
    charged = charged.select(
        "order_id", "sku", "order_date",
        charged=pl.coalesce("charged", "ao_charged"),
        units_purchased=pl.when(from_files).then(pl.col("units_purchased")).otherwise(pl.col("ao_units")),
        units_unknown=pl.when(from_files).then(pl.col("units_unknown")).otherwise(pl.col("ao_units").is_null()),
        fulfillment=pl.when(from_files & (pl.col("order_fulfillment") != "")).then(pl.col("order_fulfillment"))
        .otherwise(pl.col("ao_fulfillment")),
        charge_source=pl.when(from_files).then(pl.lit("payment files")).otherwise(pl.lit("All Orders")),
        ao_evidence="ao_evidence",
    )
    # A refund of an item whose charge is not in the files cannot be compared with it: counted, not judged.
    unjudged = not_checked(charged.filter(pl.col("charged").is_null() | (pl.col("charged") <= 0)), NO_CHARGE,
                           pl.format("{} ({})", "order_id", pl.col("sku").cast(pl.String).fill_null("-")))
    charged = charged.filter(pl.col("charged") > 0)

    # Refunds in date order, running totals: the refund that first pushes the total over is the event.
    key = ["order_id", "sku"]
    # NOTE: the running totals are taken down the sorted rows, restarting at each key (`cum_sum_within`): a window
    # per key costs a tenth of a second per column over a year of refunds. A refund key is unique per item, so the
    # order is the same.
    running = refunds.join(charged, on=key, how="inner", nulls_equal=True).sort(*key, "refund_date", "refund_key")
    running = running.with_columns(
        _start=key_starts(key), _units=pl.col("units_named").fill_null(0),
        _unnamed=pl.col("units_named").is_null().cast(pl.Int64),
    ).with_columns(
        cum_refunded=cum_sum_within("refunded", "_start"),
        cum_units=cum_sum_within("_units", "_start"),
        all_named=cum_sum_within("_unnamed", "_start") == 0,
        tolerance=pl.max_horizontal(ABSOLUTE_TOLERANCE, (pl.col("charged") * RELATIVE_TOLERANCE).cast(MONEY)),
    ).drop("_start", "_units", "_unnamed")
    over_money = (pl.col("cum_refunded") - pl.col("charged")) > pl.col("tolerance")
    over_units = (
        pl.col("all_named") & ~pl.col("units_unknown")
        & (pl.col("cum_units") > pl.col("units_purchased")) & (pl.col("cum_refunded") > pl.col("charged"))
    )
    crossed = running.filter(over_money | over_units).group_by(key).agg(
        pl.col("refund_date").min().alias("event_date")
    )
    # The totals of the items that crossed only (texts per item over a year of refunds cost a tenth of a second).
    totals = running.join(crossed.select(key), on=key, how="semi", nulls_equal=True).group_by(key).agg(
        pl.col("refunded").sum().alias("refunded"),
        pl.col("units_named").sum().alias("units_refunded"),
        pl.col("units_named").is_not_null().all().alias("units_from_lines"),
        pl.len().alias("refund_count"),
        pl.col("refund_date").cast(pl.String).unique().sort().str.join(", ").alias("refund_dates"),
        pl.col("refund_fulfillment").filter(pl.col("refund_fulfillment") != "").unique().sort().str.join("/")
        .alias("refund_fulfillment"),
        pl.col("charged", "units_purchased", "units_unknown", "fulfillment", "charge_source", "order_date",
               "ao_evidence").first(),
    )
    found = crossed.join(totals, on=key, how="inner", nulls_equal=True)
    # The rows behind each finding, for the few found only (the text for every order costs seconds).
    found = with_evidence_of(found, lines.filter(pl.col("transaction_type") == "Refund"), key, "refund_evidence")
    found = with_order_evidence(found, order_lines).with_columns(
        order_evidence=pl.when(pl.col("charge_source") == "payment files").then("order_evidence")
        .otherwise("ao_evidence"))
    found = found.with_columns(
        fulfillment=pl.coalesce(pl.when(pl.col("fulfillment") != "").then("fulfillment"),
                                pl.when(pl.col("refund_fulfillment") != "").then("refund_fulfillment")),
        excess=(pl.col("refunded") - pl.col("charged")).cast(MONEY),
        unit_price=pl.when(pl.col("units_purchased") > 0).then(pl.col("charged") / pl.col("units_purchased"))
        .cast(MONEY),
        sku_text=pl.col("sku").fill_null("-"),
    )
    # NOTE: merchant-fulfilled refunds are issued by the seller, never claimed (docs/claim-rules.md, "Never claim").
    found = found.filter(pl.col("fulfillment").is_null() | ~pl.col("fulfillment").str.contains("MFN"))
    units_text = pl.when(pl.col("units_from_lines")).then(
        pl.format("{} unit(s) refunded per the refund lines", "units_refunded")
    ).when(pl.col("unit_price").is_not_null()).then(pl.format(
        "about {} unit(s) refunded, derived as principal refunded / unit price {} (the refund lines name no quantity)",
        (pl.col("refunded").cast(pl.Float64) / pl.col("unit_price").cast(pl.Float64)).round(2), "unit_price",
    )).otherwise(pl.lit("units refunded not known (neither the order nor the refund lines name a quantity)"))
    findings = to_findings(found.select(
        finding_id("FBA03", ctx.marketplace, pl.col("order_id"), pl.col("sku")),
        "sku", "order_id", "event_date",
        reference_id=pl.col("order_id"),
        quantity=pl.when(pl.col("units_from_lines")).then(
            (pl.col("units_refunded") - pl.col("units_purchased")).clip(lower_bound=0)
        ).otherwise(0).fill_null(0).cast(pl.Int64),
        amount=pl.col("excess").clip(lower_bound=0),
        valuation_basis=pl.lit("order_refund"),
        # high: charge and refunds from the same settlement files; medium: charge from All Orders, or the
        # fulfillment channel is unknown (Amazon may not be the one who refunded).
        confidence=pl.when((pl.col("charge_source") == "payment files") & pl.col("fulfillment").is_not_null())
        .then(pl.lit("high")).otherwise(pl.lit("medium")),
        message=pl.format(
            "Order {} SKU {}: {} principal refunded in {} refund(s) ({}) against {} charged for {} unit(s) "
            "(per {}), {} over; {}. Amazon has no claim page for this: review before filing.",
            "order_id", "sku_text", "refunded", "refund_count", "refund_dates", "charged",
            pl.col("units_purchased").cast(pl.String).fill_null("?"), "charge_source", "excess", units_text,
        ),
        evidence=join_evidence("order_evidence", "refund_evidence"),
        case_text=pl.format(
            "Order {} (SKU {}): the buyer was charged {} {} of item price (principal) for {} unit(s), but refunds "
            "posted on {} returned {} {} of principal, {} {} more than was charged, and my account was debited for "
            "all of it. A refund cannot exceed what the buyer paid. Please review these refunds and credit the "
            "{} {} refunded in excess.",
            "order_id", "sku_text", "charged", pl.lit(ctx.currency),
            pl.col("units_purchased").cast(pl.String).fill_null("?"),
            "refund_dates", "refunded", pl.lit(ctx.currency), "excess", pl.lit(ctx.currency), "excess",
            pl.lit(ctx.currency),
        ),
        needs_review=pl.lit(True),
    ), code="FBA03", ctx=ctx)
    return Judged(findings, item=ITEM, judged=charged.height, not_checked=unjudged)


DETECTOR = Detector(
    code="FBA03",
    name="refund-exceeds-charge",
    family="refund_anomaly",
    needs=("transactions",),
    optional=("orders",),
    run=detect,
    doc=__doc__,
    events=("refunds",),
)
