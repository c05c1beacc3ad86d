"""A buyer paid a restocking fee on a returned FBA item, but the fee was not credited to you.

## What it finds
Refunds of orders fulfilled by Amazon whose item came back (the order and SKU are in the FBA customer returns
report), where your settlement shows that the buyer was charged a restocking fee (Amazon withheld marketplace
facilitator tax on it: a `MarketplaceFacilitatorTax-RestockingFee` line on the refund), your account was still
debited the full item price of the units refunded (principal refunded at least the unit price charged times the
units refunded), and no `RestockingFee` line credits the fee to you.

It does **not** report a plain partial refund. When the buyer got back only part of the price, Amazon debits
your account only that part (`Principal` on the refund is the amount debited), so the rest of the price already
stays with you: asking Amazon for "charged minus refunded" again would claim money you already have. A partial
refund with a `RestockingFee` line, a full refund with no sign of a restocking fee, a partial refund without a
return (a goodwill refund) and merchant-fulfilled orders are not reported either. Date Range transaction files
are not used: they have no restocking-fee line and one `marketplace withheld tax` total, so neither the fee nor its
tax can be seen there.

## Why Amazon owes you
When Amazon refunds a buyer for your FBA order it debits your account "for all or part of the refund value"
(FBA customer returns policy, https://sellercentral.amazon.com/gp/help/external/200379860), never more than the
buyer got back. A restocking fee is "the charge applied to the buyer when returning a product in certain
categories" (Selling Partner API, Finances `ChargeComponent`); in the settlement it is a positive `RestockingFee`
line, the amount kept from the buyer for you. If the buyer paid it and your account was debited the whole price
without that credit, Amazon kept your fee. Amazon has no claim page for this: fba-audit assumes you open a case
with Seller Support, and every finding is `review`. The fee itself is not in your reports, so no amount is given.

## Evidence to attach
- Order ID, SKU and refund date (settlement lines, cited in the finding)
- The refund lines: the full principal debited and the tax withheld on the restocking fee, with no fee credit
- The FBA customer returns row showing the unit came back

## Claim window
{claim_window}
"""

from __future__ import annotations

import polars as pl

from fba_audit.context import AuditContext
from fba_audit.coverage import Judged, not_checked
from fba_audit.detectors._base import Detector, finding_id, join_evidence, to_findings, with_evidence_of
from fba_audit.detectors._refunds import charged_per_item, principal_lines, with_order_evidence
from fba_audit.reports.datasets import in_currency

FEE_CREDIT = "RestockingFee"
FEE_TAX = "MarketplaceFacilitatorTax-RestockingFee"
SETTLEMENT_FORMATS = ("settlement_v1", "settlement_v2")
ITEM = "refund that withheld tax on a restocking fee (order, SKU and refund)"
NO_CHARGE = "the order's principal charge is not in the settlement files: the debit cannot be compared with it"
NO_CHANNEL = "the files do not say who fulfilled the order (no fulfillment-id on its lines)"


def detect(*, customer_returns: pl.DataFrame, transactions: pl.DataFrame, ctx: AuditContext) -> Judged:
    key = ["order_id", "sku"]
    # NOTE: lazy until filtered: the settlement lines are nearly all of a year's transactions (millions of rows).
    money = transactions.lazy().filter(
        pl.col("source_format").is_in(list(SETTLEMENT_FORMATS))
        & in_currency(ctx.currency)
    )
    # Only orders with a refund can have a restocking fee: a year of Order lines is millions of rows.
    refunded = money.filter(pl.col("transaction_type") == "Refund").select(
        pl.col("order_id").drop_nulls().unique()).collect()["order_id"].implode()
    money = money.filter(pl.col("order_id").is_in(refunded)).collect()
    lines = principal_lines(money, ctx.currency)
    # Every line of each refund (one refund = one adjustment id), with what it says about a restocking fee. (Every
    # refund line with an order id is of a refunded order.)
    refund_lines = money.filter(
        (pl.col("transaction_type") == "Refund") & pl.col("order_id").is_not_null()
    ).with_columns(refund_key=pl.coalesce("adjustment_id", pl.col("posted_date").cast(pl.String), pl.lit("-")))
    # NOTE: only a refund with a line of restocking-fee tax can be a finding, so only those are grouped (the texts
    # per refund, and per return below, over a year of refunds cost a tenth of a second each).
    taxed = refund_lines.filter(pl.col("amount_description") == FEE_TAX).select(*key, "refund_key").unique()
    refunds = refund_lines.join(taxed, on=[*key, "refund_key"], how="semi", nulls_equal=True).group_by(
        *key, "refund_key").agg(
        (-pl.col("amount").filter(
            (pl.col("amount_type") == "ItemPrice") & pl.col("amount_description").is_in(["Principal"])
        ).sum()).alias("refunded"),
        pl.col("quantity_purchased").drop_nulls().abs().max().alias("units_named"),
        (pl.col("amount_description") == FEE_CREDIT).any().alias("fee_credited"),
        (pl.col("amount_description") == FEE_TAX).any().alias("fee_charged_to_buyer"),
        pl.col("fulfillment_id").drop_nulls().unique().sort().str.join("/").alias("refund_fulfillment"),
        pl.col("posted_date").min().alias("event_date"),
    )
    taxed_items = taxed.select(key).unique()
    charged = charged_per_item(lines.join(taxed_items, on=key, how="semi", nulls_equal=True))
    returned = customer_returns.join(taxed_items, on=key, how="semi", nulls_equal=True).group_by(*key).agg(
        pl.col("quantity").sum().alias("units_returned"),
        pl.col("return_date").min().alias("return_date"),
        pl.col("detailed_disposition").drop_nulls().unique().sort().str.join("/").alias("dispositions"),
    )
    candidates = refunds.filter(pl.col("fee_charged_to_buyer") & ~pl.col("fee_credited")).join(
        returned, on=key, how="inner", nulls_equal=True)
    with_charge = candidates.join(charged, on=key, how="inner", nulls_equal=True).with_columns(
        fulfillment=pl.coalesce(
            pl.when(pl.col("order_fulfillment") != "").then("order_fulfillment"),
            pl.when(pl.col("refund_fulfillment") != "").then("refund_fulfillment"),
        ))
    refund_item = pl.format("{} ({}, refund {})", "order_id", pl.col("sku").cast(pl.String).fill_null("-"),
                            "refund_key")
    unjudged = pl.concat([
        not_checked(candidates.join(charged, on=key, how="anti", nulls_equal=True), NO_CHARGE, refund_item),
        not_checked(with_charge.filter(pl.col("fulfillment").is_null()), NO_CHANNEL, refund_item),
    ])
    found = (
        with_charge
        # NOTE: the seller issues merchant-fulfilled refunds and charges its own restocking fees: never claimed.
        .filter(pl.col("fulfillment").is_not_null() & ~pl.col("fulfillment").str.contains("MFN"))
        # Only a full principal debit of the units refunded (named on the refund, else the units returned): after
        # a partial debit the unrefunded part of the price is already yours.
        .with_columns(pl.col("units_purchased").fill_null(1))
        .with_columns(units_refunded=pl.min_horizontal(
            pl.coalesce("units_named", "units_returned"), pl.col("units_purchased")).clip(lower_bound=1))
        .filter(pl.col("refunded") * pl.col("units_purchased") >= pl.col("charged") * pl.col("units_refunded"))
        .sort(*key, "refund_key")
    )
    # The rows behind each finding (only for the few found: the text for every refund and return costs seconds).
    found = with_order_evidence(found, lines)
    found = with_evidence_of(found, refund_lines, [*key, "refund_key"], "refund_evidence")
    found = with_evidence_of(found, customer_returns, key, "return_evidence")
    findings = to_findings(found.select(
        finding_id("FBA06", ctx.marketplace, pl.col("order_id"), pl.col("sku"), pl.col("refund_key")),
        "sku", "order_id", "event_date",
        reference_id=pl.col("order_id"),
        quantity=pl.col("units_refunded").cast(pl.Int64),
        # The fee's amount is not in the seller's reports: no amount rather than a guess (docs/claim-rules.md,
        # "Thresholds").
        confidence=pl.lit("medium"),
        message=pl.format(
            "Order {} SKU {}: the refund of {} withheld tax on a restocking fee the buyer paid, yet your account was "
            "debited the full {} principal ({} charged) and no RestockingFee line credits you; {} unit(s) returned "
            "on {} ({}). The fee amount is not in your reports. Amazon has no claim page for this: review before "
            "filing.",
            "order_id", pl.col("sku").fill_null("-"), "event_date", "refunded", "charged", "units_returned",
            "return_date", "dispositions",
        ),
        evidence=join_evidence("order_evidence", "refund_evidence", "return_evidence"),
        case_text=pl.format(
            "Order {} (SKU {}): the unit was returned to your fulfillment center on {}. The refund posted on {} "
            "(adjustment {}) debited my account the full {} {} of item price and withheld marketplace tax on a "
            "restocking fee charged to the buyer, but no restocking fee was credited to my account. Please credit "
            "the restocking fee kept from the buyer on this refund.",
            "order_id", pl.col("sku").fill_null("-"), "return_date", "event_date", "refund_key", "refunded",
            pl.lit(ctx.currency),
        ),
        needs_review=pl.lit(True),
    ), code="FBA06", ctx=ctx)
    return Judged(findings, item=ITEM, judged=refunds.height - unjudged.height, not_checked=unjudged)


DETECTOR = Detector(
    code="FBA06",
    name="restocking-fee-not-credited",
    family="refund_anomaly",
    needs=("customer_returns", "transactions"),
    run=detect,
    doc=__doc__,
)
