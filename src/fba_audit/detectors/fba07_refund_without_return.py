"""Customers refunded for Amazon-fulfilled orders who never sent the item back, and Amazon did not reimburse you.

## What it finds
For each refund of an order fulfilled by Amazon (FBA), per order and SKU: the units refunded, minus the units the
FBA customer returns report shows back at a fulfillment center for that order and SKU (any condition: a
customer-damaged return is still a return), minus the units Amazon already reimbursed for that order
(Reimbursements reason `CustomerReturn` or `CustomerServiceIssue`, or a settlement `REVERSAL_REIMBURSEMENT` /
`FREE_REPLACEMENT_REFUND_ITEMS` line with the same order id). Each unit is netted once, oldest refund first.

Amazon's files do not say how many units a refund was for, so fba-audit derives it: the refunded principal divided
by the order's unit price (the order's principal / quantity in your settlement or transaction files, else
item-price / quantity in All Orders), rounded to whole units. The finding says so. When the unit price is unknown,
one unit is assumed and the finding is marked `review`.

Not claimed here:
- refunds of orders you shipped yourself (MFN): Amazon did not handle them;
- **partial refunds** of less than one unit's price: those are price concessions or refunds of returned items
  minus a restocking fee, not a unit the customer kept after a full refund (FBA06 looks at missing restocking-fee
  credits); refunds that are not a whole number of units, or more units than were ordered, are marked `review`;
- refunds you issued yourself outside Amazon (they are not in the settlement files);
- orders whose files do not say who fulfilled them (no `fulfillment-id` on any line and no All Orders row).

If your FBA customer returns report ends less than 30 days after a refund (customers have about 30 days to send
an item back), the return may simply not be in it yet: the finding is marked `review` and says so. Download the
returns report up to the audit date.

## Why Amazon owes you
When Amazon refunds a customer for an FBA order and the item does not come back to a fulfillment center, Amazon
charges the customer and reimburses you; when it does not, you may file a claim. See Amazon's FBA customer returns
policy ([G200379860](https://sellercentral.amazon.com/gp/help/external/200379860): "if an item does not arrive at a
fulfillment center within 45 days of the return request, Amazon will charge the customer and credit your account")
and the customer return and refund reimbursement policy
([G9N934L7Y4SFWPJ4](https://sellercentral.amazon.com/gp/help/external/G9N934L7Y4SFWPJ4)). The amount is the
refunded principal of the unreturned units minus the referral fee Amazon credited back on the refund (basis
`order_refund`).

## Evidence to attach
- the order id and SKU, the refund date and the refund lines of your settlement or transaction report;
- the FBA customer returns report covering the refund date to today, showing no return for the order;
- the Reimbursements report showing no (or only a partial) reimbursement for the order.

## Claim window
{claim_window}
"""

from __future__ import annotations

from functools import partial

import polars as pl

from fba_audit.coverage import Judged, not_checked
from fba_audit.detectors._base import Detector, cents, finding_id, join_evidence, to_findings
from fba_audit.events.refunds import per_day
from fba_audit.detectors._customer_return import (
    fulfillment_channels, money_div, net_by_order, order_prices, with_price_evidence,
    with_refund_evidence,
)

# A refund within 5 % of a whole number of unit prices is that many units (rounding, price changes of cents).
UNIT_TOLERANCE = 0.05
# Customers have about 30 days to send an item back (G200379860): a returns report ending sooner after the
# refund may not show the return yet.
RETURN_GRACE_DAYS = 30
ITEM = "refund of an order item (order, SKU and refund date)"
NO_CHANNEL = ("the files do not say who fulfilled the order (no fulfillment-id on its lines and no All Orders row): "
              "only refunds of orders Amazon fulfilled can be claimed")
BOTH_CHANNELS = "the order's lines disagree on who fulfilled it (some AFN, some MFN)"
# The columns of the refunded orders' transaction lines read for channels, prices and evidence.
LINE_COLUMNS = ("source_file", "source_line", "transaction_type", "order_id", "sku", "order_item_code", "amount_type",
                "amount_description", "amount", "currency", "fulfillment_id", "posted_date", "quantity_purchased")


def _files(frame: pl.DataFrame | None, name: str) -> str:
    files = sorted(set(frame["source_file"].to_list())) if frame is not None and frame.height else []
    return ", ".join(files) if files else f"the {name} report (no rows)"


def _with_units(refunds: pl.DataFrame) -> pl.DataFrame:
    """`refunds` plus units refunded = refunded principal / unit price, rounded to whole units (`units`), whether to
    review (`review`, `confidence`) and why (`how`).

    Worked in whole cents, exactly: with r and p the refund and the unit price in cents and t = 1 / UNIT_TOLERANCE,
    units = floor(r / p + 1/t) = floor((t r + p) / (t p)), and r / p is off a whole number u by more than the
    tolerance when t |r - u p| > p.
    """
    per = round(1 / UNIT_TOLERANCE)
    r, p = cents("refunded"), cents("unit_price")
    rounded = (per * r + p) // (per * p)
    remainder = r % p
    whole = per * pl.min_horizontal(remainder, p - remainder) <= p  # near the nearest whole number
    ordered = pl.col("quantity_ordered")
    capped = ordered.is_not_null() & (rounded > ordered)
    known = pl.col("unit_price").is_not_null() & (p > 0)
    review = (per * (r - rounded * p).abs() > p) | capped
    how = pl.format("{} refunded / {} unit price from {}", "refunded", "unit_price", "price_source")
    how = pl.when(capped).then(pl.format("{}, capped at the {} unit(s) ordered", how, ordered)).otherwise(how)
    how = pl.when(whole).then(how).otherwise(pl.format("{} (not a whole number of units)", how))
    return refunds.with_columns(
        units=pl.when(~known).then(1).when(capped).then(ordered).otherwise(rounded).cast(pl.Int64),
        review=~known | review,
        confidence=pl.when(~known).then(pl.lit("low")).when(review).then(pl.lit("medium")).otherwise(pl.lit("high")),
        how=pl.when(known).then(how).otherwise(pl.lit("unit price unknown (no Order line or All Orders row): 1 unit "
                                                      "assumed")),
    )


def detect(*, transactions, customer_returns, reimbursements, orders=None, ctx):
    # Refunds of orders Amazon fulfilled (some line says AFN, none says MFN).
    refunds = per_day(ctx.events.refunds)
    # Only refunded orders matter: a year of orders is millions of rows, picked out once here.
    refunded = refunds["order_id"].unique().implode()
    # (Narrowed to what the helpers below read before anything is copied.)
    refunded_lines = transactions.lazy().filter(pl.col("order_id").is_in(refunded)).select(LINE_COLUMNS).collect()
    refunded_orders = orders.filter(pl.col("amazon_order_id").is_in(refunded)) if orders is not None else None
    channels = fulfillment_channels(refunded_lines, refunded_orders)
    refund_item = pl.format("{} ({}, refunded {})", "order_id", pl.col("sku").cast(pl.String).fill_null("-"),
                            pl.col("refund_date").cast(pl.String))
    unjudged = pl.concat([
        not_checked(refunds.join(channels, on="order_id", how="anti"), NO_CHANNEL, refund_item),
        not_checked(refunds.join(channels.filter(pl.col("afn") & pl.col("mfn")), on="order_id", how="semi"),
                    BOTH_CHANNELS, refund_item),
    ])
    judged = refunds.height - unjudged.height
    refunds = refunds.join(channels.filter(pl.col("afn") & ~pl.col("mfn")).select("order_id"), on="order_id",
                           how="semi")
    refunds = refunds.join(order_prices(refunded_lines, refunded_orders, ctx.currency, only=refunds["order_id"]),
                           on=["order_id", "sku"], how="left")
    # Units per refund; a partial refund of less than one unit is not a refund of a unit (see the docstring).
    claims = _with_units(refunds).filter(pl.col("units") > 0).with_columns(
        finding_id("FBA07", ctx.marketplace, pl.col("order_id"), pl.col("sku"), pl.col("refund_date"))
        .alias("claim_id"),
        event_date=pl.col("refund_date"), quantity=pl.col("units"),
    )
    # Net the units that came back (any disposition), then what Amazon reimbursed for the order.
    returned = customer_returns.select(
        "order_id", "sku", "fnsku", date=pl.col("return_date"), units=pl.col("quantity"),
        event_ref=pl.coalesce("license_plate_number", pl.format("{}:{}", "source_file", "source_line")),
        evidence=pl.format("{}:{}", "source_file", "source_line"),
        original_reimbursement_id=pl.lit(None, pl.String),
    )
    after_returns = net_by_order(claims, returned, items=("sku",)).rename(
        {"units_reimbursed": "units_returned", "reimbursement_evidence": "return_evidence"}
    ).drop("units_open", "reimbursed_by")
    paid = ctx.events.allocator.take("FBA07")  # CustomerReturn, CustomerServiceIssue and their settlement codes
    netted = net_by_order(after_returns.with_columns(_all=pl.col("quantity"),
                                                     quantity=pl.col("quantity") - pl.col("units_returned")),
                          paid, items=("sku",), spend=partial(ctx.events.allocator.spend, "FBA07")
                          ).with_columns(quantity=pl.col("_all")).drop("_all")
    ctx.events.allocator.release("FBA07")
    still_open = netted.filter(pl.col("units_open") > 0)
    # A returns report whose period ends too soon after the refund cannot show that nothing came back. Its period
    # is what the download or the folder says (fba_audit.reports.periods), not its last row.
    period = ctx.periods.get("customer_returns")
    covered_until = period.until if period is not None else customer_returns["return_date"].max()
    how_covered = period.explanation if period is not None else f"its last row is {covered_until}"
    too_soon = (pl.lit(covered_until, pl.Date) < pl.col("refund_date").dt.offset_by(f"{RETURN_GRACE_DAYS}d")
                if covered_until is not None else pl.lit(False))
    values = [money_div(r["refunded"] - max(r["fee_returned"], 0), r["quantity"]) * r["units_open"]
              for r in still_open.select("refunded", "fee_returned", "quantity", "units_open").iter_rows(named=True)]
    still_open = still_open.with_columns(amount=pl.Series(values, dtype=pl.Decimal(18, 2)), too_soon=too_soon)
    still_open = with_refund_evidence(still_open, refunded_lines, ctx.currency)
    still_open = with_price_evidence(still_open, refunded_lines, refunded_orders, ctx.currency)
    returns_files = _files(customer_returns, "FBA customer returns")
    paid_files = _files(reimbursements, "Reimbursements")
    findings = to_findings(still_open.select(
        "order_id", "sku", "event_date", "amount",
        finding_id=pl.col("claim_id"), reference_id=pl.col("order_id"), quantity=pl.col("units_open"),
        valuation_basis=pl.lit("order_refund"),
        needs_review=pl.col("review") | pl.col("too_soon"),
        confidence=pl.when(pl.col("too_soon") & (pl.col("confidence") == "high")).then(pl.lit("medium"))
        .otherwise(pl.col("confidence")),
        message=pl.format(
            "Order {} ({}): {} unit(s) refunded on {} ({}), {} returned, {} reimbursed: {} unit(s) never came back{}.",
            "order_id", "sku", "quantity", "refund_date", "how", "units_returned", "units_reimbursed", "units_open",
            pl.when(pl.col("too_soon")).then(pl.lit(
                f"; {how_covered}: under {RETURN_GRACE_DAYS} days after the refund, so check for a late return"))
            .otherwise(pl.lit("")),
        ),
        evidence=join_evidence(
            pl.format("refund: {}", "refund_evidence"),
            pl.format("order price: {}", "price_evidence"),
            pl.when(pl.col("units_returned") == 0).then(pl.lit(f"no return in {returns_files}"))
            .otherwise(pl.format("returned: {}", pl.col("return_evidence").list.join("; "))),
            pl.when(pl.col("units_reimbursed") == 0).then(pl.lit(f"no reimbursement for the order in {paid_files}"))
            .otherwise(pl.format("reimbursed: {}", pl.col("reimbursement_evidence").list.join("; "))),
        ),
        case_text=pl.format(
            "Order {} (SKU {}): the customer was refunded {} {} on {} for {} unit(s), and {} unit(s) were never "
            "returned to a fulfillment center (the FBA customer returns report shows {} returned) nor reimbursed. "
            "Please reimburse the {} unreturned unit(s) under the FBA customer return and refund reimbursement policy.",
            "order_id", "sku", "refunded", pl.lit(ctx.currency), "refund_date", "quantity", "units_open",
            "units_returned", "units_open",
        ),
    ), code="FBA07", ctx=ctx)
    notes = (f"Returns judged with the FBA customer returns report: {how_covered}.",) if period is not None else ()
    return Judged(findings, item=ITEM, judged=judged, not_checked=unjudged, notes=notes)


DETECTOR = Detector(code="FBA07", name="refund-without-return", family="customer_return",
                    needs=("transactions", "customer_returns", "reimbursements"), optional=("orders",),
                    run=detect, doc=__doc__, events=("refunds", "reimbursements"))
