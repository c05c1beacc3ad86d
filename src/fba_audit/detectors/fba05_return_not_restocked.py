"""Customer returns graded sellable that never came back into your inventory.

## What it finds
Customer returns that the FBA customer returns report lists as `SELLABLE` and returned to stock (status `Unit
returned to inventory`, or `Repackaged Successfully`: Amazon repackaged the unit so it can be sold as new), but
that the Inventory Ledger never credited back. Per FNSKU it counts the restocked return units, takes off the
units reimbursed for those orders (by order id), then the ledger's `CustomerReturns` credits for the FNSKU
dated from 3 days before each return on (the two reports date the same event a little differently), oldest
return first and each credit once. What is left over is assigned to the latest returns.

The ledger and the returns report share no id, so the match is per FNSKU: every finding has `medium`
confidence and says so. Ledger credits of any disposition count, so a return the ledger booked as unsellable
is not claimed here. Returns graded `CUSTOMER_DAMAGED`, `DEFECTIVE`, `DAMAGED`, `CARRIER_DAMAGED` or `EXPIRED`
are never claimed by this detector (FBA09 handles the ones Amazon damaged). Returns outside the period the
ledger download covers are skipped: the ledger cannot prove a missing credit there. A finding is held at
`review` when the ledger ends less than the window's opening allowance after the return, or when the download
has no `CustomerReturns` event at all or no row for the FNSKU (a download filtered by event type or FNSKU
would make every return look uncredited).

## Why Amazon owes you
A unit Amazon received back from a customer and graded sellable is your inventory in Amazon's custody. If it
does not reach your inventory, it is lost in the fulfillment network, and Amazon's lost and damaged inventory
reimbursement policy applies. The FBA customer returns report help page defines `SELLABLE` as "returned to
stock and available for purchase"; the repackaging page says eligible returns are repackaged "so that they can
be sold as new".
Sources: https://sellercentral.amazon.com/help/hub/reference/external/GGEV4254LJJ9BAEG (lost and damaged
inventory reimbursement policy), https://sellercentral.amazon.com/gp/help/external/200453320 (FBA customer
returns report), https://sellercentral.amazon.com/help/hub/reference/external/G201505310 (repackaging).

## Evidence to attach
- The FBA customer returns report row(s): order id, return date, FNSKU, license plate number, disposition, status
- The Inventory Ledger `CustomerReturns` rows for the FNSKU over the same period (they are fewer)
- Any reimbursement already received for the order

## Claim window
{claim_window}
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from fba_audit.context import AuditContext
from fba_audit.coverage import Judged, not_checked
from fba_audit.detectors._base import Detector, evidence_agg, finding_id, join_evidence, to_findings
from fba_audit.detectors._warehouse import ledger_span, ledger_too_short, settle_days, too_short_note
from fba_audit.findings import empty_findings
from fba_audit.netting import allocate, sku_fnsku_map
from fba_audit.valuation import add_valuation

CODE = "FBA05"
RESTOCKED = ["Unit returned to inventory", "Repackaged Successfully"]
SLACK_DAYS = 3  # a ledger credit up to 3 days before the return date still counts (docs/claim-rules.md, "Thresholds")
ITEM = "sellable return restocked (FNSKU, order and license plate)"
NO_LEDGER = "no Inventory Ledger (detailed view) rows: nothing can show whether the return was credited"
NO_FNSKU = "no FNSKU: the return names none and no report pairs its SKU with one"


def detect(*, customer_returns, inventory_ledger, reimbursements, transactions=None, products=None,
           ctx: AuditContext):
    # Sellable returns Amazon says it put back in stock, inside the period the ledger can vouch for.
    restocked = customer_returns.filter(
        (pl.col("detailed_disposition") == "SELLABLE") & pl.col("status").is_in(RESTOCKED))
    item = pl.format("{} (order {}, {})", pl.coalesce(pl.col("fnsku").cast(pl.String), pl.col("sku").cast(pl.String)),
                     "order_id", pl.col("return_date").cast(pl.String))
    first, last = ledger_span(inventory_ledger.filter(pl.col("source_report") == "ledger_detail"))
    if first is None:
        return Judged(empty_findings(), item=ITEM, judged=0, not_checked=not_checked(restocked, NO_LEDGER, item))
    # Only the SKUs of the returns without an FNSKU are paired (a return with an FNSKU keeps it).
    pairs = sku_fnsku_map(inventory_ledger, reimbursements,
                          only=restocked.filter(pl.col("fnsku").is_null())["sku"]).rename({"fnsku": "_mapped"})
    paired = restocked.join(pairs, on="sku", how="left").with_columns(fnsku=pl.coalesce("fnsku", "_mapped"))
    inside = pl.col("return_date").is_between(first + pl.duration(days=SLACK_DAYS), last)
    outside = (f"returned outside the period the Inventory Ledger download covers ({first + dt.timedelta(SLACK_DAYS)} "
               f"to {last}): the ledger cannot show whether it was credited")
    unjudged = pl.concat([not_checked(paired.filter(pl.col("fnsku").is_null()), NO_FNSKU, item),
                          not_checked(paired.filter(pl.col("fnsku").is_not_null() & ~inside), outside, item)])
    returns = (
        paired
        .filter(pl.col("fnsku").is_not_null() & inside)
        .with_columns(key=pl.coalesce("license_plate_number", pl.col("return_date").cast(pl.String)))
    )
    claims = returns.group_by("fnsku", "order_id", "key").agg(
        pl.col("return_date").min().alias("event_date"), pl.col("sku").drop_nulls().sort().first(),
        pl.col("asin").drop_nulls().sort().first(), pl.col("status").sort().first(),
        pl.col("license_plate_number").drop_nulls().sort().first().alias("lpn"),
        pl.col("quantity").sum().alias("returned_qty"),
    ).with_columns(
        claim_id=finding_id(CODE, ctx.marketplace, pl.col("fnsku"), pl.col("order_id"), pl.col("key"))
    ).sort("claim_id")
    # 1. Reimbursements for the order (exact id, any date): those units are settled.
    claims = ctx.events.allocator.net(CODE, claims, keys=["order_id"], quantity="returned_qty",
                                      only_on_or_after_event=False).rename(
        {"units_reimbursed": "reimbursed", "reimbursement_evidence": "paid_evidence"}).drop("reimbursed_by")
    # 2. Ledger CustomerReturns credits of the FNSKU from 3 days before each return, oldest return first.
    credits_rows = inventory_ledger.filter((pl.col("event_type") == "CustomerReturns") & (pl.col("quantity") > 0))
    credits = credits_rows.select(
        "fnsku", "date", units="quantity", event_ref=pl.format("ledger {}:{}", "source_file", "source_line"),
        evidence=pl.format("{}:{}", "source_file", "source_line"),
        original_reimbursement_id=pl.lit(None, dtype=pl.String))
    claims = claims.with_columns(match_from=pl.col("event_date") - pl.duration(days=SLACK_DAYS),
                                 remaining=pl.col("units_open"))
    netted = allocate(claims.drop("units_open"), credits, keys=["fnsku"], event_date="match_from",
                      quantity="remaining").filter(pl.col("units_open") > 0)
    # FNSKU totals for the message and the ledger evidence, for the FNSKUs still open only (the evidence text of
    # every FNSKU costs a tenth of a second).
    earliest = returns.filter(pl.col("fnsku").is_in(netted["fnsku"].unique().implode())).group_by("fnsku").agg(
        pl.col("return_date").min().alias("_from"), pl.col("quantity").sum().alias("returned_units"),
        evidence_agg().alias("fnsku_returns_evidence"),
    ).with_columns(credits_from=pl.col("_from") - pl.duration(days=SLACK_DAYS))
    ledger_side = credits_rows.join(earliest, on="fnsku").filter(
        pl.col("date") >= pl.col("credits_from")
    ).group_by("fnsku").agg(pl.col("quantity").sum().alias("credited_units"), evidence_agg().alias("ledger_evidence"))
    netted = netted.join(earliest, on="fnsku", how="left").join(ledger_side, on="fnsku", how="left").with_columns(
        pl.col("credited_units").fill_null(0), quantity=pl.col("units_open"))
    valued = add_valuation(netted, products=products, reimbursements=reimbursements, currency=ctx.currency)
    days = settle_days(CODE, ctx)
    short = ledger_too_short("event_date", last, days)
    # NOTE: a ledger downloaded for some FNSKUs or event types only would make every return look uncredited:
    # with no CustomerReturns event at all, or no row for the FNSKU, a person checks the download first.
    seen = inventory_ledger["fnsku"].unique().to_list()
    blind = pl.lit(credits_rows.is_empty()) | ~pl.col("fnsku").is_in(seen)
    blind_note = (" The Inventory Ledger download has no CustomerReturns event at all or no row for this FNSKU: "
                  "check it was not filtered by event type or FNSKU before filing.")
    findings = to_findings(valued.select(
        finding_id="claim_id", fnsku="fnsku", sku="sku", asin="asin", order_id="order_id", reference_id="order_id",
        event_date="event_date", quantity="quantity", amount="amount", currency="currency",
        valuation_basis="valuation_basis", confidence=pl.lit("medium"), needs_review=short | blind,
        message=pl.format(
            "Return of order {} on {} ({} unit(s) SELLABLE, {}) was not credited back: for {} the returns report shows "
            "{} restocked unit(s) from {} on and the Inventory Ledger {} CustomerReturns credit(s) from {} on, {} "
            "reimbursed for the order, so {} unit(s) are missing (matched per FNSKU, not by id: medium "
            "confidence).{}{}",
            "order_id", "event_date", "returned_qty", "status", "fnsku", "returned_units", "_from", "credited_units",
            "credits_from", "reimbursed", "quantity",
            pl.when(short).then(pl.lit(too_short_note(last, days))).otherwise(pl.lit("")),
            pl.when(blind).then(pl.lit(blind_note)).otherwise(pl.lit("")),
        ),
        evidence=join_evidence("fnsku_returns_evidence", "ledger_evidence", pl.col("paid_evidence").list.join("; ")),
        case_text=pl.format(
            "The FBA customer returns report shows order {} returned on {}: {} unit(s) of FNSKU {} (MSKU {}, license "
            "plate {}) graded SELLABLE with status \"{}\". The Inventory Ledger shows {} CustomerReturns credit(s) "
            "for this FNSKU from {} on against {} sellable returned unit(s) from {} on, so {} unit(s) never reached my "
            "inventory. Please investigate and reimburse the {} unit(s).",
            "order_id", "event_date", "returned_qty", "fnsku", pl.col("sku").fill_null("-"),
            pl.col("lpn").fill_null("-"), "status", "credited_units", "credits_from", "returned_units", "_from",
            "quantity", "quantity",
        ),
    ), code=CODE, ctx=ctx)
    return Judged(findings, item=ITEM, judged=claims.height, not_checked=unjudged)


DETECTOR = Detector(
    code=CODE,
    name="return-not-restocked",
    family="warehouse",
    needs=("customer_returns", "inventory_ledger", "reimbursements"),
    optional=("transactions", "products"),
    run=detect,
    doc=__doc__,
    events=("reimbursements",),
)
