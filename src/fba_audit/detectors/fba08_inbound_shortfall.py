"""Units missing from a closed inbound shipment, or taken off its received count after it closed.

## What it finds
For each closed inbound shipment and FNSKU: units you shipped minus units Amazon received minus units Amazon
already reimbursed as lost inbound. "Received" is the larger of the shipment's `QuantityReceived` (Fulfillment
Inbound API) and the Inventory Ledger `Receipts` for that shipment, and the finding says which one it used.
It also finds ledger `Receipts` rows with a negative quantity dated after the shipment's last receipt: units
Amazon took back off the received count once the shipment was done.

A shipment still `RECEIVING` 30 days or more after its first receipt is shown as `review` (Amazon cannot research
a shipment until every box is received); a shipment receiving for less than 30 days is not shown. When another
shipment received more units of the same FNSKU than you sent in it, the finding is `review`: Amazon may have
counted the missing units against the wrong shipment.

## Why Amazon owes you
Amazon's FBA inventory reimbursement policy covers units lost when you ship them to Amazon: once the shipment is
eligible for investigation on the Reconcile tab, you can ask Amazon to research the missing units and reimburse
what it cannot find (https://sellercentral.amazon.com/help/hub/reference/external/GEYPWTSQRTXXXMVB). Amazon's
"Reconcile your shipment" page says reconciliation usually takes 16 to 30 days and research needs every box
received (https://sellercentral.amazon.com/gp/help/external/201214140); "Troubleshoot receiving issues" warns
that units can be counted against the wrong shipment id
(https://sellercentral.amazon.com/gp/help/external/200795880).

## Evidence to attach
- The shipment id and, per FNSKU, units shipped and received (Shipping Queue > shipment > Reconcile tab)
- The Inventory Ledger `Receipts` rows for the shipment, including any negative receipt after it closed
- Proof of ownership: the supplier invoice (or signed packing slip) covering the units
- For shipments not sent with an Amazon-partnered carrier: proof of delivery (the bill of lading signed at the
  fulfillment center, or carrier tracking)

## Claim window
{claim_window}
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from fba_audit.context import AuditContext
from fba_audit.coverage import Judged, not_checked
from fba_audit.detectors._base import Detector, finding_id, join_evidence, to_findings, with_evidence_of
from fba_audit.detectors._inbound import receipt_dates, receipts
from fba_audit.valuation import add_valuation

CODE = "FBA08"
RECEIVING_GRACE = dt.timedelta(days=30)  # docs/claim-rules.md, "Thresholds"
ITEM = "shipment item (shipment and FNSKU) of a CLOSED or RECEIVING shipment"
# Shipped but not being received yet: a shortfall cannot be told (FBA04 looks at shipments that never arrive).
ON_THE_WAY = ("SHIPPED", "IN_TRANSIT", "DELIVERED", "CHECKED_IN")
NO_FNSKU = "the shipment item names no FulfillmentNetworkSKU: it cannot be matched with receipts"
NO_STATUS = "the shipment's status is unknown (not in the shipments file): closed or not cannot be told"
TOO_EARLY = "still RECEIVING, less than 30 days after its first receipt: Amazon may still be counting"
UNDATED = "still RECEIVING and no ledger receipt dates it: 30 days after delivery cannot be told"


def detect(*, inbound_shipments, inbound_shipment_items, inventory_ledger, reimbursements,
           transactions=None, products=None, ctx: AuditContext) -> Judged:
    # Shipped and (API) received units per shipment and FNSKU (the item rows as evidence are added to the findings).
    item_rows = inbound_shipment_items.filter(pl.col("fnsku").is_not_null())
    items = item_rows.group_by("shipment_id", "fnsku").agg(
        sku=pl.col("sku").drop_nulls().sort().first(),
        shipped=pl.col("quantity_shipped").sum(),
        api_received=pl.col("quantity_received").fill_null(0).sum(),
    ).sort("shipment_id", "fnsku")
    status = inbound_shipments.select("shipment_id", "shipment_status").unique("shipment_id", keep="first")
    # Units received over plan elsewhere may be this shipment's missing units, counted to the wrong shipment.
    over = items.filter(pl.col("api_received") > pl.col("shipped")).group_by("fnsku").agg(
        over_units=(pl.col("api_received") - pl.col("shipped")).sum(),
        over_in=pl.col("shipment_id").sort().str.join(", "),
    )

    # Ledger receipts: counted up to the shipment's last positive receipt; negative ones after it are reductions.
    rcpts = receipts(inventory_ledger)
    dates = receipt_dates(rcpts)
    rcpts = rcpts.join(dates, on="shipment_id", how="left")
    late = pl.col("date") > pl.col("last_receipt")
    per_report = rcpts.group_by("shipment_id", "fnsku", "source_report").agg(
        before=pl.col("quantity").filter(~late).sum(),
        reduced=(-pl.col("quantity")).filter(late & (pl.col("quantity") < 0)).sum(),
        reduced_on=pl.col("date").filter(late & (pl.col("quantity") < 0)).min(),
    )
    # The legacy Received Inventory report and the ledger may cover the same receipts: never add them up.
    ledger = per_report.group_by("shipment_id", "fnsku").agg(
        pl.col("before", "reduced").max(), pl.col("reduced_on").min()
    ).join(
        rcpts.group_by("shipment_id", "fnsku").agg(
            asin=pl.col("asin").drop_nulls().sort().first(), _in_ledger=pl.lit(True)
        ), on=["shipment_id", "fnsku"], how="left",
    )

    claims = (
        items.join(status, on="shipment_id", how="left")
        .filter(pl.col("shipment_status").is_in(["CLOSED", "RECEIVING"]))
        .join(dates, on="shipment_id", how="left")
        .join(ledger, on=["shipment_id", "fnsku"], how="left")
        .join(over, on="fnsku", how="left")
        .with_columns(pl.col("before", "reduced", "over_units").fill_null(0))
        .with_columns(received=pl.max_horizontal("api_received", "before"))
    )
    item = pl.format("{} ({})", "shipment_id", pl.col("fnsku").cast(pl.String).fill_null("-"))
    statuses = items.join(status, on="shipment_id", how="left")
    on_the_way = statuses.filter(pl.col("shipment_status").is_in(ON_THE_WAY))
    unjudged = [
        not_checked(inbound_shipment_items.filter(pl.col("fnsku").is_null()), NO_FNSKU, item),
        not_checked(statuses.filter(pl.col("shipment_status").is_null()), NO_STATUS, item),
        not_checked(on_the_way, pl.format("shipment still {}: not received yet, so no shortfall can be told",
                                          "shipment_status"), item),
    ]
    closed = pl.col("shipment_status") == "CLOSED"
    # Reductions count only on closed shipments, and only as far as they take the ledger count below shipped.
    reduction = pl.when(closed).then(
        pl.min_horizontal(
            "reduced",
            (pl.min_horizontal("shipped", "before") - (pl.col("before") - pl.col("reduced"))).clip(lower_bound=0),
        )
    ).otherwise(0)
    claims = claims.with_columns(
        shortfall=(pl.col("shipped") - pl.col("received")).clip(lower_bound=0), reduction=reduction
    ).with_columns(quantity=pl.col("shortfall") + pl.col("reduction")).filter(pl.col("quantity") > 0)
    # A receiving shipment is judged only 30 days after its first receipt; undated, it is not judged at all.
    as_of = pl.lit(ctx.as_of, dtype=pl.Date)
    unjudged += [not_checked(claims.filter(~closed & pl.col("first_receipt").is_null()), UNDATED, item),
                 not_checked(claims.filter(~closed & (pl.col("first_receipt") + RECEIVING_GRACE > as_of)), TOO_EARLY,
                             item)]
    judged = statuses.filter(pl.col("shipment_status").is_in(["CLOSED", "RECEIVING"])).height - sum(
        part.height for part in unjudged[-2:])
    claims = claims.filter(closed | (pl.col("first_receipt") + RECEIVING_GRACE <= as_of))
    undated = pl.col("first_receipt").is_null()
    claims = claims.with_columns(
        finding_id("FBA08", ctx.marketplace, pl.col("shipment_id"), pl.col("fnsku")).alias("claim_id"),
        event_date=pl.coalesce("first_receipt", as_of),
        # Closed: the window opened when receiving ended (the last receipt), not 30 days after delivery.
        window_opens=pl.when(undated).then(as_of).when(closed).then(pl.col("last_receipt")),
        received_from=pl.when(pl.col("before") > pl.col("api_received")).then(pl.lit("Inventory Ledger receipts"))
        .otherwise(pl.lit("API QuantityReceived")),
        needs_review=~closed | undated | (pl.col("over_units") > 0)
        | ((pl.col("reduction") > 0) & (pl.col("api_received") > pl.col("before"))),
    )

    # Subtract what Amazon already paid as lost inbound, oldest shipment first, each unit once.
    netted = ctx.events.allocator.net(CODE, claims, keys=["fnsku"]).filter(
        pl.col("units_open") > 0)
    valued = add_valuation(netted.with_columns(quantity=pl.col("units_open")), products=products,
                           reimbursements=reimbursements, currency=ctx.currency)
    # The report rows behind each finding (only for the findings: the text for every shipment costs seconds).
    valued = with_evidence_of(valued, item_rows, ["shipment_id", "fnsku"], "item_evidence")
    valued = with_evidence_of(valued, rcpts, ["shipment_id", "fnsku"], "ledger_evidence").with_columns(
        # A key the ledger has no receipt for was never joined to the ledger's counts.
        ledger_evidence=pl.when(pl.col("_in_ledger")).then("ledger_evidence"))

    note = pl.concat_str([
        pl.when(pl.col("reduction") > 0).then(pl.format(
            " {} unit(s) were taken off the received count on {}, after the shipment's last receipt.",
            "reduction", "reduced_on")),
        pl.when(~closed).then(pl.format(
            " The shipment is still RECEIVING {} days after its first receipt: check the Reconcile tab first.",
            (as_of - pl.col("first_receipt")).dt.total_days())),
        pl.when(undated).then(pl.lit(
            " No ledger receipt dates this shipment: find its delivery date before filing (the claim window "
            "counts from delivery; none is given and the event date is the audit date).")),
        pl.when(pl.col("over_units") > 0).then(pl.format(
            " {} unit(s) of this FNSKU were received over plan in {}: they may be these units, counted "
            "to the wrong shipment.", "over_units", "over_in")),
        pl.when((pl.col("reduction") > 0) & (pl.col("api_received") > pl.col("before"))).then(pl.lit(
            " The API count is above the ledger's: check whether it already reflects the reduction.")),
    ], ignore_nulls=True)
    out = valued.select(
        pl.col("claim_id").alias("finding_id"), "sku", "fnsku", "asin", "shipment_id",
        reference_id=pl.col("shipment_id"), event_date="event_date", quantity="units_open",
        amount="amount", currency="currency", valuation_basis="valuation_basis",
        confidence=pl.when(undated).then(pl.lit("low")).when(pl.col("needs_review")).then(pl.lit("medium"))
        .otherwise(pl.lit("high")),
        message=pl.format(
            "Shipment {} ({}), {}: {} shipped, {} received (from {}; API {}, ledger {}), {} already reimbursed: "
            "{} unit(s) open.{}",
            "shipment_id", "shipment_status", "fnsku", "shipped", "received", "received_from", "api_received",
            pl.when(pl.col("ledger_evidence").is_null()).then(pl.lit("none"))
            .otherwise(pl.col("before").cast(pl.String)),
            "units_reimbursed", "units_open", note),
        evidence=join_evidence("item_evidence", "ledger_evidence", pl.col("reimbursement_evidence").list.join("; ")),
        case_text=pl.format(
            "Inbound shipment {} (first received {}): for FNSKU {} (SKU {}) we shipped {} unit(s), but only {} "
            "are counted as received{}. {} unit(s) remain missing and have not been reimbursed. Please research "
            "and reimburse them. Attached: the supplier invoice for these units and, if the shipment did not use "
            "an Amazon-partnered carrier, the proof of delivery / bill of lading.",
            "shipment_id", pl.coalesce(pl.col("first_receipt").cast(pl.String), pl.lit("date unknown")), "fnsku",
            pl.coalesce("sku", pl.lit("-")), "shipped", pl.col("received") - pl.col("reduction"),
            pl.when(pl.col("reduction") > 0).then(pl.format(
                " ({} unit(s) were taken off the received count on {}, after receiving ended)", "reduction",
                "reduced_on")).otherwise(pl.lit("")),
            "units_open"),
        needs_review="needs_review", window_opens="window_opens",
    )
    findings = to_findings(out, code=CODE, ctx=ctx)
    # An undated finding has no known window: say so with empty dates rather than invent them.
    undated_ids = valued.filter(undated)["claim_id"]
    findings = findings.with_columns(
        [pl.when(pl.col("finding_id").is_in(undated_ids.implode())).then(None).otherwise(pl.col(c)).alias(c)
         for c in ("window_opens", "window_closes")]
    )
    return Judged(findings, item=ITEM, judged=judged, not_checked=pl.concat(unjudged))


DETECTOR = Detector(
    code=CODE, name="inbound-shortfall", family="inbound",
    needs=("inbound_shipments", "inbound_shipment_items", "inventory_ledger", "reimbursements"),
    optional=("transactions", "products"), run=detect, doc=__doc__, events=("reimbursements",),
)
