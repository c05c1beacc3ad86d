"""Inbound units damaged by the carrier, or whole shipments that never arrived, not reimbursed.

## What it finds
- Units the fulfillment center received as carrier-damaged: Inventory Ledger `Receipts` rows with disposition
  `CARRIER_DAMAGED` (per shipment and FNSKU), and rows of the legacy Inventory Adjustments report with reason `6`
  ("damaged by inbound carrier" in that report's meanings).
- Shipments still `SHIPPED` or `IN_TRANSIT` with nothing received 30 days or more after they left you. The
  Inbound API gives no ship date, so the date is the later of Amazon's partnered-carrier charge for the shipment
  (settlement files) and the creation date in Amazon's default shipment name ("FBA STA (04/20/2026 10:14)-...");
  both are on or before the ship date. These are always `review`: only you know when and how it shipped.

Units already reimbursed as lost or damaged inbound (`Lost_Inbound`, `Damaged_Inbound`, settlement
`MISSING_FROM_INBOUND`, `INBOUND_CARRIER_DAMAGE`) are subtracted, oldest first. Carrier-damaged units that the
ledger later moves to fulfillment-center damage (current reason code `6`) are left to FBA02.

## Why Amazon owes you
Amazon's lost and damaged inventory policy covers inventory "lost or damaged by a partnered carrier while
inbound" (https://sellercentral.amazon.com/gp/help/external/G200213130), and its shipment-to-Amazon claims page
explains how to claim units lost or damaged when you ship them to Amazon
(https://sellercentral.amazon.com/help/hub/reference/external/GEYPWTSQRTXXXMVB). Damage by a carrier you hired
yourself is a claim against that carrier, so a carrier-damaged finding is `claimable` only when your files show
the shipment was partnered: Amazon's partnered-carrier charge for it in the settlement files, `IsPartnered` true in
the Fulfillment Inbound API `getTransportDetails` response saved as JSON beside the shipment files, or `yes` in an
`is_partnered` column of your inbound shipments CSV. Otherwise it is `review`; and when they show it was *not*
partnered (`IsPartnered` false, `is_partnered` no), the finding says the claim goes to your carrier, not to Amazon,
and its case text is written for the carrier.

## Evidence to attach
- The shipment id and the Inventory Ledger `Receipts` rows showing the carrier-damaged units
- Proof of ownership: the supplier invoice (or signed packing slip) for the units
- For shipments not sent with an Amazon-partnered carrier: proof of delivery (bill of lading signed at the
  fulfillment center, or carrier tracking)

## Claim window
{claim_window}
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from fba_audit.context import AuditContext
from fba_audit.detectors._base import Detector, evidence_agg, evidence_ref, finding_id, join_evidence, to_findings
from fba_audit.detectors._inbound import (
    carriers, name_dates, receipt_dates, receipts,
)
from fba_audit.coverage import Judged, no_items_left_out, not_checked
from fba_audit.netting import allocate
from fba_audit.reports.datasets import ID
from fba_audit.valuation import add_valuation

CODE = "FBA04"
NOT_ARRIVED_AFTER = dt.timedelta(days=30)  # docs/claim-rules.md, "Thresholds"
_COLUMNS = ("claim_id", "kind", "shipment_id", "reference_id", "fnsku", "sku", "asin", "event_date", "quantity",
            "row_evidence", "window_opens", "needs_review", "undated", "partnered", "own", "carrier_evidence",
            "carrier_shown_by", "handed")
ITEM = "carrier-damaged receipt or shipment that never arrived (shipment and FNSKU)"
TOO_EARLY = "shipped less than 30 days before the audit date with nothing received yet: too early to call it lost"
NO_SHIPMENTS = ("No inbound shipments file (getShipments / getShipmentItems): shipments that never arrived were not "
                "looked for; only carrier-damaged receipts were judged.")


def _handed_to_fba02(inventory_ledger: pl.DataFrame) -> pl.DataFrame:
    """Current-ledger reason 6 (carrier-damaged units moved to fulfillment-center damage) as allocate events."""
    rows = inventory_ledger.filter(
        (pl.col("source_report") == "ledger_detail") & (pl.col("event_type") == "Adjustments")
        & (pl.col("reason") == "6") & (pl.col("quantity") < 0)
    )
    return rows.select("fnsku", "date", units=-pl.col("quantity"), event_ref=pl.col("reference_id").fill_null("-"),
                       evidence=evidence_ref(), original_reimbursement_id=pl.lit(None, dtype=pl.String))


def detect(*, inventory_ledger, reimbursements, inbound_shipments=None, inbound_shipment_items=None,
           inbound_transport=None, transactions=None, products=None, ctx: AuditContext) -> Judged:
    as_of = pl.lit(ctx.as_of, dtype=pl.Date)
    rcpts = receipts(inventory_ledger)
    dates = receipt_dates(rcpts)
    charges = carriers(transactions, inbound_transport, inbound_shipments)
    status = (inbound_shipments.select("shipment_id", "shipment_status").unique("shipment_id", keep="first")
              if inbound_shipments is not None else pl.DataFrame(schema={"shipment_id": pl.String,
                                                                          "shipment_status": pl.String}))

    # (a) Units received carrier-damaged, per shipment and FNSKU; the window counts from the shipment's delivery.
    damaged = rcpts.filter((pl.col("disposition") == "CARRIER_DAMAGED") & (pl.col("quantity") > 0)).group_by(
        "shipment_id", "fnsku").agg(
        sku=pl.col("sku").drop_nulls().sort().first(), asin=pl.col("asin").drop_nulls().sort().first(),
        quantity=pl.col("quantity").sum(), damaged_on=pl.col("date").min(), row_evidence=evidence_agg(),
    ).join(dates, on="shipment_id", how="left").join(status, on="shipment_id", how="left").join(
        charges, on="shipment_id", how="left").sort("shipment_id", "fnsku")
    damaged = damaged.with_columns(
        finding_id(CODE, ctx.marketplace, pl.col("shipment_id"), pl.col("fnsku"), pl.lit("damaged")).alias("claim_id"),
        kind=pl.lit("damaged"), reference_id=pl.col("shipment_id"), event_date=pl.col("first_receipt"),
        # A closed shipment opened its window when receiving ended; otherwise policy's 30 days after delivery.
        window_opens=pl.when(pl.col("shipment_status") == "CLOSED").then(pl.col("last_receipt")),
        partnered=pl.col("partnered").fill_null(False), own=pl.col("own").fill_null(False), undated=pl.lit(False),
    ).with_columns(
        # Claimable only when the shipment is shown to be partnered and nothing says otherwise.
        needs_review=~pl.col("partnered") | pl.col("own") | (pl.col("shipment_status").is_not_null()
                                                             & (pl.col("shipment_status") != "CLOSED")),
    )
    # Units the ledger later moved to fulfillment-center damage are FBA02's claim: one unit, one claim.
    handed = allocate(damaged.select("claim_id", "fnsku", "event_date", "quantity"), _handed_to_fba02(inventory_ledger),
                      keys=["fnsku"]).select("claim_id", handed="units_reimbursed", open="units_open")
    damaged = damaged.join(handed, on="claim_id").with_columns(quantity="open").filter(pl.col("quantity") > 0)

    # (a') Legacy Inventory Adjustments reason 6: damaged by the inbound carrier (old meaning); no shipment id.
    legacy = inventory_ledger.filter(
        (pl.col("source_report") == "inventory_adjustments") & (pl.col("reason") == "6") & (pl.col("quantity") < 0)
    ).with_columns(
        finding_id(CODE, ctx.marketplace, pl.col("fnsku"), pl.col("reference_id"), pl.lit("damaged")).alias("claim_id"),
        kind=pl.lit("legacy"), shipment_id=pl.lit(None, dtype=pl.String), event_date=pl.col("date"),
        quantity=pl.coalesce("unreconciled_quantity", -pl.col("quantity")), row_evidence=evidence_ref(),
        window_opens=pl.lit(None, dtype=pl.Date), needs_review=pl.lit(True), undated=pl.lit(False),
        partnered=pl.lit(False), own=pl.lit(False), carrier_evidence=pl.lit(None, dtype=pl.String),
        carrier_shown_by=pl.lit(None, dtype=pl.String), handed=pl.lit(0, dtype=pl.Int64),
    ).filter(pl.col("quantity") > 0)

    parts = [damaged.select(_COLUMNS), legacy.select(_COLUMNS)]
    too_early = no_items_left_out()
    # (b) Shipments SHIPPED / IN_TRANSIT with nothing received anywhere, dated by the best lower bound we have.
    if inbound_shipments is not None and inbound_shipment_items is not None:
        received_any = rcpts.filter(pl.col("quantity") > 0).select("shipment_id").unique()
        moving = inbound_shipments.filter(pl.col("shipment_status").is_in(["SHIPPED", "IN_TRANSIT"])).select(
            "shipment_id", "shipment_status").unique("shipment_id", keep="first")
        items = inbound_shipment_items.join(moving, on="shipment_id", how="semi").filter(
            pl.col("fnsku").is_not_null())
        nothing = items.group_by("shipment_id").agg(got=pl.col("quantity_received").fill_null(0).sum()).filter(
            pl.col("got") == 0).join(received_any, on="shipment_id", how="anti").select("shipment_id")
        lost = items.join(nothing, on="shipment_id", how="semi").group_by("shipment_id", "fnsku").agg(
            sku=pl.col("sku").drop_nulls().sort().first(), quantity=pl.col("quantity_shipped").sum(),
            row_evidence=evidence_agg(),
        ).join(moving, on="shipment_id").join(charges, on="shipment_id", how="left").join(
            name_dates(inbound_shipments, ctx.marketplace), on="shipment_id", how="left").sort("shipment_id", "fnsku")
        lost = lost.with_columns(left_by=pl.max_horizontal("charged_on", "created_on"))
        recent = pl.col("left_by").is_not_null() & (pl.col("left_by") + NOT_ARRIVED_AFTER > as_of)
        too_early = not_checked(lost.filter(recent), TOO_EARLY, pl.format("{} ({})", "shipment_id", "fnsku"))
        lost = lost.filter(~recent).with_columns(
            finding_id(CODE, ctx.marketplace, pl.col("shipment_id"), pl.col("fnsku"), pl.lit("not-received"))
            .alias("claim_id"),
            kind=pl.lit("not_received"), reference_id=pl.col("shipment_id"), asin=pl.lit(None, dtype=ID),
            event_date=pl.coalesce("left_by", as_of), window_opens=pl.when(pl.col("left_by").is_null()).then(as_of),
            needs_review=pl.lit(True), undated=pl.col("left_by").is_null(),
            partnered=pl.col("partnered").fill_null(False), own=pl.col("own").fill_null(False),
            handed=pl.lit(0, dtype=pl.Int64),
        ).filter(pl.col("quantity") > 0)
        parts.append(lost.select(_COLUMNS))
    claims = pl.concat(parts, how="vertical_relaxed")

    # Subtract inbound reimbursements by FNSKU, oldest claim first, each unit once (after FBA08's shortfalls:
    # fba_audit.events.allocator).
    netted = ctx.events.allocator.net(CODE, claims, keys=["fnsku"]).filter(
        pl.col("units_open") > 0)
    valued = add_valuation(netted.with_columns(claimed=pl.col("quantity"), quantity=pl.col("units_open")),
                           products=products,
                           reimbursements=reimbursements, currency=ctx.currency)

    kind = pl.col("kind")
    what = (pl.when(kind == "not_received").then(pl.format(
        "Shipment {} is still {} with nothing received: {} unit(s) of {} shipped, {} already reimbursed, {} open.",
        "shipment_id", "shipment_status", "claimed", "fnsku", "units_reimbursed", "units_open"))
        .when(kind == "legacy").then(pl.format(
            "{} unit(s) of {} damaged by the inbound carrier (legacy adjustment {}) on {}; {} already reimbursed.",
            "units_open", "fnsku", "reference_id", "event_date", "units_reimbursed"))
        .otherwise(pl.format(
            "{} unit(s) of {} in shipment {} received carrier-damaged (first receipt {}); {} already reimbursed.",
            "units_open", "fnsku", "shipment_id", "event_date", "units_reimbursed")))
    note = pl.concat_str([
        pl.when(kind == "not_received").then(pl.when(pl.col("undated")).then(pl.lit(
            " No ship date is known (the Inbound API gives none and the shipment name has none): "
            "no window is given and the event date is the audit date; check when it shipped.")).otherwise(pl.format(
                " It left you no earlier than {} ({} days before the audit date): check carrier tracking "
                "before filing.",
                "event_date", (as_of - pl.col("event_date")).dt.total_days()))),
        pl.when(kind == "legacy").then(pl.lit(
            " The legacy adjustment names no shipment, so whether an Amazon-partnered carrier brought it is unknown: "
            "Amazon pays for carrier damage on partnered-carrier shipments; with your own carrier, claim from the "
            "carrier.")),
        pl.when((kind == "damaged") & ~pl.col("partnered") & ~pl.col("own")).then(pl.lit(
            " Nothing shows that an Amazon-partnered carrier took this shipment (no partnered-carrier charge in the "
            "settlement files, no getTransportDetails response, no is_partnered column): Amazon pays for carrier "
            "damage on partnered-carrier shipments; with your own carrier, claim from the carrier.")),
        pl.when((kind != "legacy") & pl.col("partnered") & ~pl.col("own")).then(pl.format(
            " Amazon-partnered carrier, shown by {}.", "carrier_shown_by")),
        pl.when(~pl.col("partnered") & pl.col("own")).then(pl.format(
            " Not claimable with Amazon: the shipment did not use an Amazon-partnered carrier ({}), so the claim goes "
            "to your carrier.", "carrier_shown_by")),
        pl.when(pl.col("partnered") & pl.col("own")).then(pl.format(
            " Your files disagree on the carrier ({}): check who carried the shipment before filing.",
            "carrier_shown_by")),
        pl.when((kind == "damaged") & (pl.col("handed") > 0)).then(pl.format(
            " {} more unit(s) were moved to fulfillment-center damage (reason 6) and are left to FBA02.", "handed")),
    ], ignore_nulls=True)
    case = (pl.when(kind == "not_received").then(pl.format(
        "Inbound shipment {} still shows status {} and no units received. {} unit(s) of FNSKU {} (SKU {}) were "
        "shipped and have not been reimbursed. Please locate the shipment or reimburse the units.",
        "shipment_id", "shipment_status", "units_open", "fnsku", pl.coalesce("sku", pl.lit("-"))))
        .otherwise(pl.format(
            "{} unit(s) of FNSKU {} (SKU {}) were received damaged by the inbound carrier ({} {}) and have not been "
            "reimbursed. Please reimburse them.", "units_open", "fnsku", pl.coalesce("sku", pl.lit("-")),
            pl.when(kind == "legacy").then(pl.lit("inventory adjustment")).otherwise(pl.lit("shipment")),
            "reference_id")))
    out = valued.join(status, on="shipment_id", how="left").select(
        pl.col("claim_id").alias("finding_id"), "sku", "fnsku", "asin", "shipment_id", "reference_id", "event_date",
        quantity="units_open", amount="amount", currency="currency", valuation_basis="valuation_basis",
        confidence=pl.when(pl.col("own") & ~pl.col("partnered")).then(pl.lit("low"))
        .when(kind == "damaged").then(pl.lit("high"))
        .when((kind == "legacy") | pl.col("partnered")).then(pl.lit("medium")).otherwise(pl.lit("low")),
        message=pl.concat_str([what, note]),
        evidence=join_evidence("row_evidence", "carrier_evidence", pl.col("reimbursement_evidence").list.join("; ")),
        # Shown not partnered: the text is for the claim to the seller's own carrier, not a Seller Central case.
        case_text=pl.when((kind == "damaged") & pl.col("own") & ~pl.col("partnered")).then(pl.format(
            "Claim for damage in transit: shipment {} was delivered to an Amazon fulfillment center, which received {} "
            "unit(s) of SKU {} damaged by the carrier (first receipt {}). Attached: the bill of lading and proof of "
            "delivery, and the supplier invoice for these units.",
            "shipment_id", "units_open", pl.coalesce("sku", "fnsku"), "event_date",
        )).otherwise(pl.concat_str([case, pl.lit(
            " Attached: the supplier invoice for these units and, if the shipment did not use an Amazon-partnered "
            "carrier, the proof of delivery / bill of lading.")])),
        needs_review="needs_review", window_opens="window_opens",
    )
    findings = to_findings(out, code=CODE, ctx=ctx)
    # An undated finding has no known window: empty dates rather than invented ones.
    undated_ids = valued.filter(pl.col("undated"))["claim_id"].implode()
    findings = findings.with_columns(
        [pl.when(pl.col("finding_id").is_in(undated_ids)).then(None).otherwise(pl.col(c)).alias(c)
         for c in ("window_opens", "window_closes")]
    )
    notes = (NO_SHIPMENTS,) if inbound_shipments is None or inbound_shipment_items is None else ()
    return Judged(findings, item=ITEM, judged=claims.height, not_checked=too_early, notes=notes)


DETECTOR = Detector(
    code=CODE, name="inbound-carrier-lost-damaged", family="inbound",
    needs=("inventory_ledger", "reimbursements"),
    optional=("inbound_shipments", "inbound_shipment_items", "inbound_transport", "transactions", "products"),
    run=detect, doc=__doc__, events=("reimbursements",),
)
