"""Units lost or damaged in a fulfillment center, not found and not reimbursed.

## What it finds
Inventory Ledger `Adjustments` rows where Amazon reported your units misplaced (reason `M` or `5`) or damaged at
the fulfillment center (`E`, `6`, `7`), for the units Amazon has neither found nor reimbursed. When the download
has an `Unreconciled Quantity`, that is the starting point (Amazon has already taken off the units it found or
paid); older downloads without it are netted against units found later for the same FNSKU (reasons `F`, `N`, or
an MSKU starting `Amazon.Found.`). Then every `Lost_Warehouse` / `Damaged_Warehouse` reimbursement approved on
or after the event (Reimbursements report, or settlement `WAREHOUSE_LOST` / `WAREHOUSE_DAMAGE` lines when the
report does not show it) is taken off, each unit once, oldest loss first; a `Reimbursement_Reversal` gives units
back.

Units disposed of (`D`) or donated (`G`) are listed as `review`: claim them only if you did not ask for the
disposal. Never listed: damage to units that were already customer-damaged, defective or distributor-damaged
(`H`, `K`, `U`), disposition changes, corrections and SKU merges (`Q`, `P`, `O`, `3`, `4`).

Rows of the legacy Inventory Adjustments report (discontinued 2023) are read with that report's own meanings
(docs/report-formats.md, "Legacy Inventory Adjustments"): `M` misplaced, `E` damaged at the fulfillment center
and `5` unrecoverable are claimed; `D` (also "unrecoverable" there, "disposed" in today's ledger) and `Q`
(damaged, cause unknown) are `review`; `6` meant "damaged by the inbound carrier" and belongs to FBA04; `H`, `K`,
`U` never.

## Why Amazon owes you
Amazon's FBA lost and damaged inventory reimbursement policy: when inventory is lost or damaged while in
Amazon's fulfillment network, Amazon reimburses you (from 2025-03-31 at the manufacturing cost) unless the unit
is found. The Inventory Ledger help page says that for unreconciled quantities with reason codes for "Damaged at
Amazon fulfillment center" and "Inventory misplaced", you may be eligible for reimbursement.
Sources: https://sellercentral.amazon.com/help/hub/reference/external/G4FKT5KQWFFJ7LDN (Inventory Ledger,
reason codes), https://sellercentral.amazon.com/help/hub/reference/external/GGEV4254LJJ9BAEG (lost and damaged
inventory reimbursement policy).

## Evidence to attach
- The Inventory Ledger adjustment: date, Reference ID, FNSKU, quantity, reason code and fulfillment center
- The found units and reimbursements already netted (listed in the evidence column)
- For a manufacturing-cost valuation: your invoice showing the unit cost

## Claim window
{claim_window}
"""

from __future__ import annotations

import polars as pl

from fba_audit.context import AuditContext
from fba_audit.coverage import Judged
from fba_audit.detectors._base import Detector, evidence_agg, finding_id, join_evidence, to_findings
from fba_audit.detectors._warehouse import ledger_span, ledger_too_short, settle_days, too_short_note
from fba_audit.netting import allocate, allocate_with_usage
from fba_audit.valuation import add_valuation

CODE = "FBA02"
# (source_report, reason) -> what happened. Anything else is not a warehouse loss (see the docstring).
KINDS = {
    "ledger_detail": {"M": "lost", "5": "lost", "E": "damaged", "6": "damaged", "7": "damaged",
                      "D": "disposed", "G": "donated"},
    "inventory_adjustments": {"M": "lost", "5": "unrecoverable", "E": "damaged", "D": "unrecoverable_d",
                              "Q": "damaged_unattributed"},
}
REVIEW_KINDS = ["disposed", "donated", "unrecoverable_d", "damaged_unattributed"]
WORDS = {"lost": "misplaced (lost)", "damaged": "damaged at the fulfillment center",
         "unrecoverable": "unrecoverable (lost or too damaged to process)", "unrecoverable_d": "unrecoverable",
         "damaged_unattributed": "damaged, cause not attributed", "disposed": "disposed of", "donated": "donated"}
# Review kinds: what the seller must check before filing (added to the message, never to the case text).
CHECKS = {"unrecoverable_d": " Check first: D also means a disposal you asked for.",
          "damaged_unattributed": " Check first: Amazon did not say who damaged these units.",
          "disposed": " Check first that you did not ask for this disposal (removal orders).",
          "donated": " Check first that you did not ask for this donation."}
FOUND_REASONS = ["F", "N"]
ITEM = "loss or damage adjustment (FNSKU and reference id)"


def _kind() -> pl.Expr:
    expr = pl.lit(None, dtype=pl.String)
    for report, codes in KINDS.items():
        for reason, kind in codes.items():
            expr = pl.when((pl.col("source_report") == report) & (pl.col("reason") == reason)).then(
                pl.lit(kind)).otherwise(expr)
    return expr


def detect(*, inventory_ledger, reimbursements, transactions=None, products=None, ctx: AuditContext):
    ledger = inventory_ledger.with_columns(kind=_kind())
    # One claim per adjustment (FNSKU + Reference ID; the date when Amazon gave no id).
    losses = (
        ledger.filter(
            (pl.col("event_type") == "Adjustments") & (pl.col("quantity") < 0) & pl.col("kind").is_not_null()
        )
        .with_columns(key=pl.coalesce("reference_id", pl.col("date").cast(pl.String)))
        .group_by("fnsku", "key")
        .agg(
            pl.col("date").min().alias("event_date"), pl.col("kind").sort().first(),
            pl.col("reason").sort().first(), pl.col("source_report").sort().first(),
            pl.col("sku").drop_nulls().sort().first(),
            pl.col("asin").drop_nulls().sort().first(), pl.col("fulfillment_center").drop_nulls().sort().first(),
            (-pl.col("quantity").sum()).alias("gross"),
            pl.when(pl.col("unreconciled_quantity").is_not_null().all())
            .then(pl.col("unreconciled_quantity").sum()).alias("unreconciled"),
            evidence_agg().alias("row_evidence"),
        )
        .with_columns(claim_id=finding_id(CODE, ctx.marketplace, pl.col("fnsku"), pl.col("key")))
        .sort("claim_id")
    )
    # Amazon's Unreconciled Quantity already nets found and reimbursed units; without it, net found units
    # (F, N, Amazon.Found.* MSKUs) of the FNSKU dated on or after the loss, oldest loss first, each unit once.
    found = ledger.filter(
        (pl.col("quantity") > 0)
        & (((pl.col("event_type") == "Adjustments") & pl.col("reason").is_in(FOUND_REASONS))
           | pl.col("sku").cast(pl.String).str.starts_with("Amazon.Found."))
    ).select("fnsku", "date", units="quantity", event_ref=pl.format("found {}:{}", "source_file", "source_line"),
             evidence=pl.format("{}:{}", "source_file", "source_line"),
             original_reimbursement_id=pl.lit(None, dtype=pl.String))
    by_found = losses.filter(pl.col("unreconciled").is_null() & ~pl.col("kind").is_in(REVIEW_KINDS))
    netted = allocate(by_found.with_columns(quantity=pl.col("gross")), found, keys=["fnsku"]).select(
        "claim_id", found_units="units_reimbursed", found_evidence=pl.col("reimbursement_evidence").list.join("; "))
    losses = losses.join(netted, on="claim_id", how="left").with_columns(
        pl.col("found_units").fill_null(0),
        quantity=pl.coalesce(pl.col("unreconciled").clip(0, pl.col("gross")),
                             pl.col("gross") - pl.col("found_units").fill_null(0)),
    )
    # Subtract Lost/Damaged_Warehouse reimbursements approved on or after the event, oldest loss first.
    # NOTE: review-only rows (disposals, ...) are netted on their own against the same reimbursements, so they can
    # never take a reimbursement away from a real loss (that would turn a paid loss into a false claim); the cost
    # is that a review row may show fewer open units than it has. Only the real losses use reimbursements up.
    paid = ctx.events.allocator.take(CODE)  # Lost_Warehouse, Damaged_Warehouse
    review = pl.col("kind").is_in(REVIEW_KINDS)
    real, used = allocate_with_usage(losses.filter(~review), paid, keys=["fnsku"])
    ctx.events.allocator.spend(CODE, used)
    ctx.events.allocator.release(CODE)
    open_ = pl.concat([real, allocate(losses.filter(review), paid, keys=["fnsku"])]).filter(pl.col("units_open") > 0)
    valued = add_valuation(open_.with_columns(quantity=pl.col("units_open")), products=products,
                           reimbursements=reimbursements, currency=ctx.currency)
    days = settle_days(CODE, ctx)
    _, last = ledger_span(inventory_ledger)
    short = ledger_too_short("event_date", last, days)
    what = pl.col("kind").replace_strict(WORDS, return_dtype=pl.String)
    check = pl.col("kind").replace_strict(CHECKS, default="", return_dtype=pl.String)
    report = pl.when(pl.col("source_report") == "inventory_adjustments").then(
        pl.lit("Inventory Adjustments report")).otherwise(pl.lit("Inventory Ledger"))
    counted = (
        pl.when(pl.col("unreconciled").is_not_null())
        .then(pl.format("Amazon lists {} unreconciled", "unreconciled"))
        .when(review).then(pl.lit("found units are not netted against it"))
        .otherwise(pl.format("no Unreconciled Quantity in the download and {} found later", "found_units"))
    )
    findings = to_findings(valued.select(
        finding_id="claim_id", fnsku="fnsku", sku="sku", asin="asin", reference_id="key",
        event_date="event_date", quantity="quantity", amount="amount", currency="currency",
        valuation_basis="valuation_basis",
        confidence=pl.when(review).then(pl.lit("low"))
        .when(pl.col("unreconciled").is_not_null()).then(pl.lit("high")).otherwise(pl.lit("medium")),
        needs_review=review | short,
        message=pl.format(
            "Adjustment {} on {}: {} unit(s) of {} {} (reason {}); {}, {} reimbursed since: {} unit(s) to claim.{}{}",
            "key", "event_date", "gross", "fnsku", what, "reason", counted, "units_reimbursed", "quantity", check,
            pl.when(short).then(pl.lit(too_short_note(last, days))).otherwise(pl.lit("")),
        ),
        evidence=join_evidence("row_evidence", "found_evidence", pl.col("reimbursement_evidence").list.join("; ")),
        case_text=pl.format(
            "The {} shows adjustment {} dated {}: {} unit(s) of FNSKU {} (MSKU {}) {} (fulfillment center {}, "
            "reason code {}). {} of these units have not been found or reimbursed. Please investigate and "
            "reimburse the {} unit(s).",
            report, "key", "event_date", "gross", "fnsku", pl.col("sku").fill_null("-"), what,
            pl.col("fulfillment_center").fill_null("-"), "reason", "quantity", "quantity",
        ),
    ), code=CODE, ctx=ctx)
    # Every loss adjustment is judged: netted to nothing, or a finding.
    return Judged(findings, item=ITEM, judged=losses.height)


DETECTOR = Detector(
    code=CODE,
    name="warehouse-lost-damaged",
    family="warehouse",
    needs=("inventory_ledger", "reimbursements"),
    optional=("transactions", "products"),
    run=detect,
    doc=__doc__,
    events=("reimbursements",),
)
