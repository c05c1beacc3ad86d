"""A simulated seller account with known truth: the reports fba-audit reads, in Amazon's real formats.

`simulate(out_dir, skus=..., months=..., seed=...)` writes the files a US seller would download from Seller
Central (and save from the Fulfillment Inbound API) for the months before the audit date: two overlapping
Inventory Ledger downloads (tab and quoted CSV), FBA customer returns, Reimbursements and Fee Preview
(Windows-1252), a settlement flat file for every 14-day settlement (the oldest in V1, one zipped), the monthly
and a custom Date Range transaction report of the last weeks (the same money as the flat files of those days,
which an audit must count once), All Orders, the Inbound API JSON and products.csv. The legacy Inventory
Adjustments and Received Inventory reports are not written by default: Amazon retired them on 2023-01-31
(docs/report-formats.md, "Legacy Inventory Adjustments"); the `legacy_adjustments` shape writes them. `shapes`
adds what real folders have and the tidy base account does not (`_shapes.py`: split shipments, unit spellings,
repeated products.csv rows, fee corrections, a sparse returns report, merchant-fulfilled orders, promotions,
legacy reports, Date Range downloads only; `realistic` for all), each with its planted claims and traps. It
also writes `truth.json`:
every planted claim (detector code, business keys, expected status on the audit date, units, value) and every
planted trap (what must not be claimed, and why). The loader recognises the truth file by its content and
leaves it out, so the folder reads as a seller's folder.

The account's ordinary business is clean by construction (every refund has its return, every lost unit is
found or reimbursed inside the data, every closed shipment was received in full, every fee matches the rate
card); the planted stories are the only claims. Output is deterministic: the same arguments give the same bytes.
Generation is vectorised polars over integer cents; Python loops only over report files, settlements and
story variants, never over rows.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import polars as pl

from fba_audit.simulate import _catalog, _fees, _shapes, _windows, _write
from fba_audit.simulate._catalog import SMALL_STANDARD, catalog, code, fee_table, money as money_str, scrambled
from fba_audit.simulate._rng import Rng
from fba_audit.simulate._stories import Planter
from fba_audit.simulate._world import (
    ALNUM62, DAY_US, HOUR_US, Period, at_expr, daytime, describe_returns, finish_orders, make_period, natural_inbound,
    natural_orders, natural_returns, natural_transfers, natural_warehouse, seasonality,
)

DEFAULT_AS_OF = dt.date(2026, 11, 22)
TRUTH_FILE = "truth.json"
SUPPORTED_MARKETPLACES = ("US",)
# Beyond one finding in five order items an account is no longer a seller's: a stress test, not a benchmark.
MAX_DISCREPANCY_RATE = 0.2
_SETTLEMENT_CODE = {
    "Lost_Warehouse": "WAREHOUSE_LOST", "Damaged_Warehouse": "WAREHOUSE_DAMAGE", "Lost_Inbound": "MISSING_FROM_INBOUND",
    "Damaged_Inbound": "INBOUND_CARRIER_DAMAGE", "CustomerReturn": "REVERSAL_REIMBURSEMENT",
    "Reimbursement_Reversal": "COMPENSATED_CLAWBACK",
    # Shape fee_corrections: the itemized correction is in the Reimbursements report too; the non-itemized one
    # only in the settlement (docs/report-formats.md, "Reimbursements in settlement and transaction files").
    "FeeCorrection": "INCORRECT_FEES_ITEMS", "FeeCorrectionNonItemized": "INCORRECT_FEES_NON_ITEMIZED",
}
NOT_IN_REIMBURSEMENTS_REPORT = ("fee-correction-non-itemized",)


@dataclass
class SimulationSummary:
    out_dir: Path
    truth_path: Path
    seed: int
    skus: int
    months: int
    marketplace: str
    as_of: dt.date
    start: dt.date
    end: dt.date
    files: dict[str, int] = field(default_factory=dict)  # file name -> data rows
    bytes_written: int = 0
    claims: dict[str, int] = field(default_factory=dict)  # detector code -> planted claims
    traps: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    shapes: tuple[str, ...] = ()


def _p(*exprs) -> list[pl.Expr]:
    """Columns by position (c0, c1, ...): a report row, in header order."""
    return [(pl.col(e) if isinstance(e, str) else e).alias(f"c{i}") for i, e in enumerate(exprs)]


def _iso(col: str | pl.Expr) -> pl.Expr:
    c = pl.col(col) if isinstance(col, str) else col
    return c.dt.strftime("%Y-%m-%dT%H:%M:%S+00:00")


def simulate(out_dir: Path, *, skus: int, months: int, seed: int, marketplace: str = "US",
             as_of: dt.date | None = None, truth_path: Path | None = None,
             shapes: Iterable[str] | str | None = None,
             discrepancy_rate: float | None = None) -> SimulationSummary:
    """Write a simulated seller account into `out_dir` (created if needed) and its truth file. `shapes`: account
    shapes to add (`_shapes.SHAPES`, or the preset `realistic` for all of them).

    `discrepancy_rate`: about this many planted findings per order item (0.025: 25,000 per million), by planting
    more customer-side stories (refunds without returns, damaged returns, refunds above the charge, restocking
    fees: each with its order, refund, return and settlement lines); the others keep their usual count. Default:
    the usual count of every story, a few per thousand SKUs."""
    started = time.perf_counter()
    shapes = _shapes.resolve(shapes)
    if marketplace.upper() not in SUPPORTED_MARKETPLACES:
        raise ValueError(f"simulate supports {', '.join(SUPPORTED_MARKETPLACES)} only (rate cards), not {marketplace!r}")
    if skus < 1 or months < 1:
        raise ValueError("skus and months must be at least 1")
    if discrepancy_rate is not None and not 0 <= discrepancy_rate <= MAX_DISCREPANCY_RATE:
        raise ValueError(f"discrepancy_rate must be between 0 and {MAX_DISCREPANCY_RATE} findings per order item, "
                         f"got {discrepancy_rate}")
    as_of = as_of or DEFAULT_AS_OF
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = Rng(seed)
    period = make_period(as_of, months)
    last = period.days - 1
    cat = catalog(rng, skus)

    # ---------------------------------------------------------------- stories: who gets what
    planter = Planter(rng, period, cat)
    sales_pool = planter.perm["sku_idx"].to_list()
    fee_skus, fee_plan = planter.fees(sales_pool, set(SMALL_STANDARD))
    restock_skus = planter.restock(sales_pool)
    per_variant = None
    if discrepancy_rate:
        # Expected order items: daily demand is base rate x season x noise of mean 1, and the count drawn per day
        # is floor(demand + uniform), whose mean is the demand (natural_orders).
        order_items = cat["base_rate"].sum() * seasonality(period)["season"].sum()
        per_variant = planter.customer_per_variant(discrepancy_rate, order_items)
    planter.customer(list(sales_pool), per_variant)
    warehouse_skus = planter.warehouse()
    planter.inbound()
    out = planter.out

    # ---------------------------------------------------------------- fees: Amazon's view and the charges
    cat = cat.join(fee_plan.select("sku_idx", fee_code="code", fee_variant="variant"), on="sku_idx", how="left")
    fba01_claim = pl.col("fee_variant") == "size_tier_seller_catalog"
    fba01_review = pl.col("fee_variant") == "size_tier_amazon_inconsistent"
    cat = cat.with_columns(
        amz_length=pl.col("length"), amz_width=pl.col("width"),
        amz_height=pl.when(fba01_claim).then(pl.lit(1.2)).otherwise(pl.col("height")),
        amz_weight=pl.when(fba01_claim).then(pl.col("weight") + 0.35).otherwise(pl.col("weight")),
        chg_height=pl.when(fba01_claim | fba01_review).then(pl.lit(1.2)).otherwise(pl.col("height")),
        chg_weight=pl.when(fba01_claim | fba01_review).then(pl.col("weight") + 0.35).otherwise(pl.col("weight")),
    )
    units = pl.concat([
        cat.select("length", "width", height="chg_height", weight="chg_weight", price_cents="price_cents"),
        cat.select("length", "width", "height", "weight", "price_cents"),
    ]).unique().sort(pl.all()).with_row_index("fee_key").with_columns(pl.col("fee_key").cast(pl.Int64))
    cat = cat.join(units.rename({"fee_key": "charge_key", "height": "chg_height", "weight": "chg_weight"}),
                   on=["length", "width", "chg_height", "chg_weight", "price_cents"], how="left")
    cat = cat.join(units.rename({"fee_key": "true_key"}), on=["length", "width", "height", "weight", "price_cents"],
                   how="left")
    fees = fee_table(units, period.start, period.end).with_columns(
        day=(pl.col("day") - pl.lit(period.start)).dt.total_days().cast(pl.Int64))
    ref = cat.select("category", "price_cents").unique().sort(pl.all())
    ref = ref.with_columns(
        ref_expected=pl.Series([_catalog.referral_cents(c, p, period.end) for c, p in ref.iter_rows()], dtype=pl.Int64),
        ref_jewelry=pl.Series([_catalog.referral_cents("Jewelry", p, period.end) for _, p in ref.iter_rows()],
                              dtype=pl.Int64),
    )
    cat = cat.join(ref, on=["category", "price_cents"], how="left").with_columns(
        ref_charged=pl.when(pl.col("fee_variant").is_in(["referral_rate_seller_category",
                                                          "referral_rate_inferred_category"]))
        .then("ref_jewelry")
        .when((pl.col("fee_code") == "FBA10") & (pl.col("fee_variant") == "trap_within_tolerance"))
        .then(pl.col("ref_expected") + 2)
        .otherwise("ref_expected"),
        fee_trap=(pl.col("fee_code") == "FBA01") & (pl.col("fee_variant") == "trap_within_tolerance"),
    ).sort("sku_idx")

    # ---------------------------------------------------------------- orders
    planted_orders = pl.concat(out.orders, how="diagonal_relaxed") if out.orders else None
    orders = natural_orders(rng, period, cat)
    if planted_orders is not None:
        orders = pl.concat([orders, planted_orders], how="diagonal_relaxed")
    orders = finish_orders(rng, period, orders, cat)
    orders = orders.join(
        cat.select("sku_idx", "charge_key", "true_key", "ref_charged", "ref_expected", "fee_trap"),
        on="sku_idx", how="left",
    ).join(
        fees.select(charge_key="fee_key", ship_day="day", fee_charged="charged_fee_cents",
                    fee_base="charged_base_cents"),
        on=["charge_key", "ship_day"], how="left",
    ).join(
        fees.select(true_key="fee_key", ship_day="day", fee_expected="expected_fee_cents"),
        on=["true_key", "ship_day"], how="left",
    ).with_columns(
        fee_charged=pl.col("fee_charged") + pl.when("fee_trap").then(3).otherwise(0),
        fee_base=pl.col("fee_base") + pl.when("fee_trap").then(3).otherwise(0),
    ).sort("order_no")
    story_skus = set(pl.concat(out.cases, how="diagonal_relaxed")["sku_idx"].to_list()) if out.cases else set()
    orders = _shapes.order_shapes(rng, orders, shapes, fee_skus, story_skus)
    if "date_range_only" in shapes:
        # Date Range reports print Pacific time; shipping between 08:00 and 23:59 UTC keeps the UTC date (which
        # the rate cards are applied by here) and the Pacific date the same, so this shape is about the format only.
        orders = orders.with_columns(ship_us_of_day=8 * HOUR_US + pl.col("ship_us_of_day") % (16 * HOUR_US - 1_000_000))
        orders = orders.with_columns(ship_at=at_expr(period, "ship_day", pl.col("ship_us_of_day")))
    shipped = orders.filter(pl.col("status") == "Shipped")

    # ---------------------------------------------------------------- refunds and returns
    no_returns = pl.Series(fee_skus + restock_skus, dtype=pl.Int64)
    refunds, units_returned = natural_returns(rng, period, orders, cat, no_returns)
    # The seller's own (MFN) orders come back to the seller, never to an Amazon fulfillment center.
    mfn_orders = orders.filter("mfn")["order_no"]
    units_returned = units_returned.filter(~pl.col("order_no").is_in(mfn_orders.implode()))
    story_orders = orders.filter(pl.col("story").is_not_null()).select("story", "order_no")
    if out.refunds:
        planted_refunds = pl.concat(out.refunds, how="diagonal_relaxed").join(story_orders, on="story")
        refunds = pl.concat([refunds, planted_refunds.drop("story")], how="diagonal_relaxed")
    refunds = refunds.join(orders.select("order_no", "sku_idx", "ref_charged", "price_cents", "tax_rate"),
                           on="order_no", how="left").with_columns(
        restocking_tax_cents=-(pl.col("restocking_tax_base_cents") * pl.col("tax_rate")).round(0).cast(pl.Int64),
        commission_back=(pl.col("ref_charged") * pl.col("refund_qty") * pl.col("commission_share")).round(0)
        .cast(pl.Int64),
    ).with_columns(
        refund_commission=-pl.min_horizontal(pl.col("refund_qty") * 500, (pl.col("commission_back") * 0.2).round(0)
                                             .cast(pl.Int64)),
        refund_us=daytime(rng, "refund-time", "order_no"),
    ).sort("refund_day", "order_no").with_row_index("refund_no").with_columns(pl.col("refund_no").cast(pl.Int64))
    refunds = refunds.with_columns(
        refund_at=at_expr(period, "refund_day", pl.col("refund_us")),
        adjustment_id=pl.lit("amzn1:crow:")
        + code(scrambled(pl.col("refund_no"), 62**10, 5_555_555_557, rng.offset("adj", 62**10)), 10, ALNUM62)
        + code(scrambled(pl.col("refund_no"), 62**10, 3_141_592_653, rng.offset("adj2", 62**10)), 10, ALNUM62)
        + pl.lit("Ag"),
        adjustment_item_id=(scrambled(pl.col("refund_no"), 9 * 10**17, 9_876_543_211, rng.offset("adj-item", 9 * 10**17))
                            + 10**18).cast(pl.String),
    )
    if out.units:
        planted_units = pl.concat(out.units, how="diagonal_relaxed").join(story_orders, on="story")
        units_returned = pl.concat([units_returned, planted_units], how="diagonal_relaxed")
    sparse = None
    if "sparse_returns" in shapes:
        refunds, units_returned, sparse = _shapes.quiet_weeks(rng, period, refunds, units_returned, story_orders, out)
    units_returned = describe_returns(rng, units_returned).sort("return_day", "order_no", "unit").with_row_index(
        "return_no").with_columns(pl.col("return_no").cast(pl.Int64))
    units_returned = units_returned.with_columns(
        lpn=pl.lit("LPN") + code(scrambled(pl.col("return_no"), 36**9, 1_000_000_007, rng.offset("lpn", 36**9)), 9),
        ledger_ref=(scrambled(pl.col("return_no"), 9 * 10**13, 4_444_444_447, rng.offset("ret-ref", 9 * 10**13))
                    + 10**13).cast(pl.String),
        returned_at=at_expr(period, "return_day", pl.col("return_us")),
    ).join(orders.select("order_no", "order_id", "price_cents", "fc"), on="order_no", how="left")

    # ---------------------------------------------------------------- reimbursements
    adjustments, reimbursements = natural_warehouse(rng, period, cat, pl.Series(warehouse_skus, dtype=pl.Int64))
    damaged_returns = units_returned.filter(pl.col("reimburse_day").is_not_null()).select(
        "sku_idx", "order_no", day="reimburse_day", reason=pl.lit("CustomerReturn"), cash=pl.lit(1, pl.Int64),
        inventory=pl.lit(0, pl.Int64), per_unit=(pl.col("price_cents") * 0.85).round(0).cast(pl.Int64),
        tag=pl.lit("damaged-return"), original_tag=pl.lit(None, pl.String), case_id=pl.lit(None, pl.String),
        story=pl.lit(None, pl.Int64))
    frames = [reimbursements, damaged_returns]
    corrections = None
    if "fee_corrections" in shapes and not fee_plan.is_empty():
        window = _windows.window_on("FBA01", as_of)
        first_window_day = period.day(as_of - dt.timedelta(days=window.closes_after))
        fixes, paid, non_itemized = _shapes.fee_corrections(rng, period, orders, fee_plan, first_window_day)
        charges = _fee_charges(period, cat, orders, fee_plan).join(
            paid.rename({"paid_cents": "paid"}), on="order_no", how="left").with_columns(pl.col("paid").fill_null(0))
        cents = _shapes.unattributed_cents(charges, non_itemized["day"], non_itemized["share"])
        corrections = {"paid": paid, "day": non_itemized["day"], "cents": cents}
        frames += [fixes, _shapes.non_itemized_row(non_itemized["day"], cents)]
    if out.reimbursements:
        planted_reimb = pl.concat(out.reimbursements, how="diagonal_relaxed").join(
            story_orders.rename({"story": "order_story"}), on="order_story", how="left").drop("order_story")
        frames.append(planted_reimb)
    reimbursements = pl.concat(frames, how="diagonal_relaxed").filter(pl.col("day") <= last)
    reimbursements = reimbursements.with_columns(link=pl.col("story").fill_null(-1)).sort(
        "day", "sku_idx", "reason", "link", "tag").with_row_index("reimb_no").with_columns(
        pl.col("reimb_no").cast(pl.Int64))
    reimbursements = reimbursements.with_columns(
        reimbursement_id=(scrambled(pl.col("reimb_no"), 9 * 10**10, 7_000_000_001, rng.offset("reimb", 9 * 10**10))
                          + 10**10).cast(pl.String),
        approved_at=at_expr(period, "day", daytime(rng, "approval", "reimb_no")),
    )
    originals = reimbursements.filter(pl.col("tag").is_in(["original", "natural-reversed-original"])).select(
        "sku_idx", "link", original_tag="tag", original_id="reimbursement_id", original_reason="reason")
    reimbursements = reimbursements.join(originals, on=["sku_idx", "link", "original_tag"], how="left").join(
        orders.select("order_no", "order_id"), on="order_no", how="left").join(
        cat.select("sku_idx", "sku", "fnsku", "asin", "title"), on="sku_idx", how="left").sort("reimb_no")

    # ---------------------------------------------------------------- inbound shipments
    shipments, items, receipts = natural_inbound(rng, period, cat)
    shipments = shipments.with_columns(story=pl.lit(None, pl.Int64))
    if out.shipments:
        shipments = pl.concat([shipments, pl.concat(out.shipments, how="diagonal_relaxed")], how="diagonal_relaxed")
        items = pl.concat([items, pl.concat(out.items, how="diagonal_relaxed")], how="diagonal_relaxed")
        if out.receipts:
            receipts = pl.concat([receipts, pl.concat(out.receipts, how="diagonal_relaxed")], how="diagonal_relaxed")
    ship_key = ["group", "k", "story"]
    shipments = shipments.with_columns(pl.col("group").fill_null(-1), pl.col("k").fill_null(-1),
                                       pl.col("story").fill_null(-1)).sort("create_day", "planted", *ship_key)
    shipments = shipments.with_row_index("shipment_no").with_columns(pl.col("shipment_no").cast(pl.Int64)).with_columns(
        shipment_id=pl.lit("FBA") + code(scrambled(pl.col("shipment_no"), 36**9, 2_147_483_647,
                                                   rng.offset("shipment", 36**9)), 9),
        created_at=at_expr(period, "create_day", daytime(rng, "created", "shipment_no")),
    )
    for name in ("items", "receipts"):
        frame = items if name == "items" else receipts
        frame = frame.with_columns(*(pl.col(c).fill_null(-1) if c in frame.columns else pl.lit(-1, pl.Int64).alias(c)
                                     for c in ship_key))
        frame = frame.join(shipments.select(*ship_key, "shipment_id", "status"), on=ship_key, how="inner")
        if name == "items":
            items = frame
        else:
            receipts = frame.filter(pl.col("day").is_between(0, last))
    # Amazon's partnered-carrier charge per shipment: 0.25 to 0.60 per unit shipped, posted in a settlement with
    # the shipment id (FBA04 reads it as proof the carrier worked for Amazon).
    inbound_charges = shipments.filter(pl.col("partnered")).join(
        items.group_by("shipment_id").agg(units=pl.col("shipped").sum()), on="shipment_id", how="inner").select(
        "shipment_id", "shipment_no", day="charge_day",
        amount=-(pl.col("units") * rng.integer("inbound-rate", 25, 60, "shipment_no"))).sort("shipment_no")

    # ---------------------------------------------------------------- ledger
    ledger = _ledger(rng, period, cat, shipped.filter(~pl.col("mfn")), units_returned, receipts, adjustments, out)

    # ---------------------------------------------------------------- write the files
    summary = SimulationSummary(out_dir=out_dir, truth_path=truth_path or out_dir / TRUTH_FILE, seed=seed,
                                skus=skus, months=months, marketplace=marketplace.upper(), as_of=as_of,
                                start=period.start, end=period.end)
    ids = _ReportIds(rng)
    _write_ledger(out_dir, period, ledger, ids, summary, legacy="legacy_adjustments" in shapes)
    _write_returns(out_dir, cat, units_returned, ids, summary)
    _write_reimbursements(out_dir, reimbursements, ids, summary)
    _write_fee_preview(out_dir, period, cat, fees, ids, summary)
    only_ranges = "date_range_only" in shapes
    totals = _write_settlements(out_dir, rng, period, cat, shipped, refunds, reimbursements, inbound_charges, summary,
                                write=not only_ranges)
    _write_date_ranges(out_dir, rng, period, cat, shipped, refunds, reimbursements, inbound_charges, totals, summary,
                       monthly=only_ranges)
    _write_all_orders(out_dir, orders, cat, ids, summary)
    _write_inbound(out_dir, period, shipments, items, cat, summary)
    product_shapes = _write_products(out_dir, rng, cat, summary, shapes, story_skus)
    _write_sku_economics(out_dir, period, cat, shipped.filter(~pl.col("mfn")), summary)

    # ---------------------------------------------------------------- truth
    truth = _truth(period, cat, orders, shipments, ledger, out, fee_plan, seed, skus, months, corrections)
    # The folder's latest date: settlement lines of the last data day posted up to 24 hours after it (UTC).
    _shapes.add_truth(shapes, truth, cat, orders, refunds, fee_plan, product_shapes, skus, sparse,
                      folder_end_day=last + 1)
    summary.shapes = tuple(sorted(shapes))
    summary.truth_path.write_text(json.dumps(truth, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    for claim in truth["claims"]:
        summary.claims[claim["code"]] = summary.claims.get(claim["code"], 0) + 1
    for trap in truth["traps"]:
        summary.traps[trap["code"]] = summary.traps.get(trap["code"], 0) + 1
    summary.bytes_written = sum(p.stat().st_size for p in out_dir.iterdir() if p.is_file())
    summary.seconds = time.perf_counter() - started
    return summary


class _ReportIds:
    """Seller Central report ids (file names): 11-digit numbers, one per download."""

    def __init__(self, rng: Rng) -> None:
        self.next = 20_000_000_000 + rng.offset("report-ids", 9_000_000_000)

    def __call__(self) -> str:
        self.next += 1_000_003
        return str(self.next)


# ------------------------------------------------------------------------------------------- ledger

def _ledger(rng: Rng, period: Period, cat: pl.DataFrame, shipped: pl.DataFrame, returned: pl.DataFrame,
            receipts: pl.DataFrame, adjustments: pl.DataFrame, out) -> pl.DataFrame:
    cols = ["sku_idx", "day", "event_type", "reference", "qty", "fc", "disposition", "reason", "reconciled",
            "unreconciled", "story", "tag"]
    none_i, none_s = pl.lit(None, pl.Int64), pl.lit(None, pl.String)
    parts = [
        shipped.select("sku_idx", day="ship_day", event_type=pl.lit("Shipments"), reference=none_s,
                       qty=-pl.col("qty"), fc="fc", disposition=pl.lit("SELLABLE"), reason=none_s, reconciled=none_i,
                       unreconciled=none_i, story=none_i, tag=none_s),
        returned.filter(pl.col("ledger_day").is_not_null()).select(
            "sku_idx", day="ledger_day", event_type=pl.lit("CustomerReturns"), reference="ledger_ref",
            qty=pl.lit(1, pl.Int64), fc="fc", disposition="disposition", reason=none_s, reconciled=none_i,
            unreconciled=none_i, story=pl.col("story") if "story" in returned.columns else none_i, tag=none_s),
        receipts.select("sku_idx", "day", event_type=pl.lit("Receipts"), reference="shipment_id", qty="qty",
                        fc="dest_fc", disposition="disposition", reason=none_s, reconciled=none_i,
                        unreconciled=none_i, story=pl.when(pl.col("story") >= 0).then("story"), tag=none_s),
        adjustments.with_columns(story=none_i).select(cols),
        natural_transfers(rng, period, cat).with_columns(story=none_i).select(cols),
    ]
    if out.adjustments:
        parts.append(pl.concat(out.adjustments, how="diagonal_relaxed").with_columns(reference=none_s).select(cols))
    ledger = pl.concat([p.select(cols) for p in parts], how="vertical_relaxed").filter(
        pl.col("day").is_between(0, period.days - 1))
    ledger = ledger.join(cat.select("sku_idx", "sku", "fnsku", "asin", "title"), on="sku_idx", how="left")
    order = {"Receipts": 0, "Shipments": 1, "CustomerReturns": 2, "WhseTransfers": 3, "Adjustments": 4}
    ledger = ledger.with_columns(_ord=pl.col("event_type").replace_strict(order, return_dtype=pl.Int64)).sort(
        "day", "_ord", "fnsku", "fc", "qty", "reason", "story", "tag", "reference", nulls_last=True, maintain_order=True
    ).drop("_ord").with_row_index("row_no").with_columns(pl.col("row_no").cast(pl.Int64))
    # Adjustment and transfer rows carry numeric reference ids; shipments carry none (as in real files).
    numeric = (scrambled(pl.col("row_no"), 9 * 10**13, 6_666_666_667, rng.offset("ledger-ref", 9 * 10**13))
               + 10**13).cast(pl.String)
    ledger = ledger.with_columns(
        reference=pl.when(pl.col("event_type").is_in(["Adjustments"])).then(numeric)
        .otherwise(pl.col("reference")),
    )
    # The two rows of a warehouse transfer share one reference id.
    transfer_ref = (scrambled(pl.col("day") * 1_000_003 + pl.col("sku_idx"), 9 * 10**13, 8_888_888_889,
                              rng.offset("transfer-ref", 9 * 10**13)) + 10**13).cast(pl.String)
    ledger = ledger.with_columns(reference=pl.when(pl.col("event_type") == "WhseTransfers").then(transfer_ref)
                                 .otherwise(pl.col("reference")))
    return ledger


def _pacific_offsets(period: Period) -> pl.DataFrame:
    """`-0700` in US daylight saving time, `-0800` otherwise, per day (for `Date and Time`)."""
    rows = []
    for day in range(period.days):
        date = period.date(day)
        march = dt.date(date.year, 3, 8) + dt.timedelta(days=(6 - dt.date(date.year, 3, 8).weekday()) % 7)
        november = dt.date(date.year, 11, 1) + dt.timedelta(days=(6 - dt.date(date.year, 11, 1).weekday()) % 7)
        rows.append("-0700" if march <= date < november else "-0800")
    return pl.DataFrame({"day": list(range(period.days)), "tz": rows}, schema={"day": pl.Int64, "tz": pl.String})


def _ledger_frame(period: Period, ledger: pl.DataFrame) -> pl.DataFrame:
    date = pl.lit(period.start) + pl.duration(days=pl.col("day"))
    return ledger.join(_pacific_offsets(period), on="day", how="left").select(*_p(
        date.dt.strftime("%m/%d/%Y"), "fnsku", "asin", "sku", "title", "event_type", "reference", "qty", "fc",
        "disposition", "reason", pl.lit("US"), "reconciled", "unreconciled",
        pl.format("{}T00:00:00{}", date.dt.strftime("%Y-%m-%d"), pl.col("tz")), pl.lit(""),
    ))


def _write_ledger(out_dir: Path, period: Period, ledger: pl.DataFrame, ids: _ReportIds, s: SimulationSummary,
                  legacy: bool = False) -> None:
    if legacy:
        ledger = _write_legacy_adjustments(out_dir, period, ledger, ids, s)
    name = f"{ids()}.txt"
    s.files[name] = _write.write_tab(out_dir / name, _ledger_frame(period, ledger), _write.LEDGER_HEADER, bom=True)
    # A second download, as quoted .csv, of the last 40 % of the same period: its rows are duplicates.
    overlap_from = int(period.days * 0.6)
    name = f"{ids()}.csv"
    s.files[name] = _write.write_quoted_csv(
        out_dir / name, _ledger_frame(period, ledger.filter(pl.col("day") >= overlap_from)), _write.LEDGER_HEADER)


def legacy_days(period: Period) -> int:
    """Days at the start of the data that shape legacy_adjustments gives in legacy reports: 30, but none of the days
    a planted story needs the ledger for (the oldest inbound stories anchor 330 days before the audit date, and
    the legacy Received Inventory report has no disposition to show carrier damage)."""
    return max(0, min(30, period.days - 340))


def _write_legacy_adjustments(out_dir: Path, period: Period, ledger: pl.DataFrame, ids: _ReportIds,
                              s: SimulationSummary) -> pl.DataFrame:
    """Shape legacy_adjustments: the seller has the legacy reports for the first `legacy_days` days of data and
    Inventory Ledger downloads from then on (the loader reads legacy rows inside a ledger download's dates as
    duplicates of it). The Adjustments events of those days are in the legacy Inventory Adjustments report
    (docs/report-formats.md, "What the simulator's account shapes write": the 11-column version with reconciled / unreconciled; adjusted-date as ISO UTC like
    the other FBA flat files), their Receipts in the legacy Received Inventory report; the ledger rows
    from then on are returned. The ledger's reason letters are written with the legacy meanings (docs/report-formats.md,
    "Legacy Inventory Adjustments"): 6 and 7 as E (the legacy 6 meant "damaged by inbound carrier" and it had no 7; E is its damage in the
    fulfillment center), and Q, the ledger's disposition change of a unit found defective, as K (legacy Q meant
    "damaged, cause not attributed", K "damaged as a result of item defect")."""
    early = pl.col("day") < legacy_days(period)
    rows = ledger.filter(early & (pl.col("event_type") == "Adjustments")).with_columns(
        reason=pl.col("reason").replace({"6": "E", "7": "E", "Q": "K"}))
    at = (pl.lit(dt.datetime.combine(period.start, dt.time()), dtype=pl.Datetime("us"))
          + pl.duration(microseconds=pl.col("day") * DAY_US + 9 * HOUR_US + (pl.col("row_no") % 36_000) * 1_000_000))
    frame = rows.select(*_p(
        at.dt.strftime("%Y-%m-%dT%H:%M:%S+00:00"), "reference", "fnsku", "sku", "title", "fc", "qty", "reason",
        "disposition", "reconciled", "unreconciled"))
    name = f"{ids()}.txt"
    s.files[name] = _write.write_tab(out_dir / name, frame, _write.LEGACY_ADJUSTMENTS_HEADER)
    receipts = ledger.filter(early & (pl.col("event_type") == "Receipts") & (pl.col("qty") > 0))
    frame = receipts.select(*_p(
        at.dt.strftime("%Y-%m-%dT%H:%M:%S+00:00"), "fnsku", "sku", "title", "qty", "reference", "fc"))
    name = f"{ids()}.txt"
    s.files[name] = _write.write_tab(out_dir / name, frame, _write.LEGACY_RECEIPTS_HEADER)
    return ledger.filter(~early)


def _write_returns(out_dir: Path, cat: pl.DataFrame, units: pl.DataFrame, ids: _ReportIds,
                   s: SimulationSummary) -> None:
    frame = units.join(cat.select("sku_idx", "sku", "asin", "fnsku", "title"), on="sku_idx", how="left").sort(
        "returned_at", "order_id", "lpn").select(*_p(
        _iso("returned_at"), "order_id", "sku", "asin", "fnsku", "title", pl.lit("1"), "fc", "disposition", "reason",
        "status", "lpn", "customer_comments"))
    name = f"{ids()}.txt"
    s.files[name] = _write.write_tab(out_dir / name, frame, _write.RETURNS_HEADER)


def _write_reimbursements(out_dir: Path, reimb: pl.DataFrame, ids: _ReportIds, s: SimulationSummary) -> None:
    total_qty = pl.col("cash") + pl.col("inventory")
    frame = reimb.filter(~pl.col("tag").is_in(NOT_IN_REIMBURSEMENTS_REPORT)).sort(
        "approved_at", "reimbursement_id").select(*_p(
        _iso("approved_at"), "reimbursement_id", "case_id", "order_id", "reason", "sku", "fnsku", "asin", "title",
        pl.lit("NewItem"), pl.lit("USD"), _write.money("per_unit"), _write.money(pl.col("per_unit") * pl.col("cash").abs()
                                                                              * pl.col("cash").sign()),
        "cash", "inventory", total_qty, "original_id", "original_reason"))
    # Reversals print the original's type; the reason column says Reimbursement_Reversal.
    name = f"{ids()}.txt"
    s.files[name] = _write.write_tab(out_dir / name, frame, _write.REIMBURSEMENTS_HEADER, encoding="cp1252")


def _write_fee_preview(out_dir: Path, period: Period, cat: pl.DataFrame, fees: pl.DataFrame, ids: _ReportIds,
                       s: SimulationSummary) -> None:
    today = fees.filter(pl.col("day") == period.days - 1).select(charge_key="fee_key", fee="charged_fee_cents")
    tier_of = cat.select("amz_length", "amz_width", "amz_height", "amz_weight").unique().sort(pl.all())
    tier_of = tier_of.with_columns(tier_code=pl.Series(
        [_catalog.size_tier_code(row, period.end)[0] for row in tier_of.iter_rows()], dtype=pl.String))
    frame = cat.join(today, on="charge_key", how="left").join(
        tier_of, on=["amz_length", "amz_width", "amz_height", "amz_weight"], how="left").with_columns(
        tier_code=pl.when(pl.col("fee_variant") == "size_tier_amazon_inconsistent")
        .then(pl.lit("UsLargeStandardSize")).otherwise("tier_code"),
        fee=pl.col("fee") + pl.when("fee_trap").then(3).otherwise(0),
    )
    dims = lambda c: pl.col(c).round(2).cast(pl.String)  # noqa: E731
    frame = frame.sort("sku").select(*_p(
        "sku", "fnsku", "asin", pl.lit("US"), "title", "product_group", "brand", pl.lit("Amazon"),
        _write.money("price_cents"), _write.money("price_cents"), dims("amz_length"), dims("amz_width"),
        dims("amz_height"), (pl.col("amz_length") + 2 * (pl.col("amz_width") + pl.col("amz_height"))).round(2)
        .cast(pl.String), pl.lit("inches"), dims("amz_weight"), pl.lit("pounds"), "tier_code", pl.lit("USD"),
        _write.money(pl.col("ref_charged") + pl.col("fee")), _write.money("ref_charged"), pl.lit("0.00"),
        pl.lit("--"), pl.lit("--"), pl.lit("--"), _write.money("fee"), pl.lit("--"), pl.lit("--"), pl.lit("--"),
        pl.lit("--"), pl.lit("--")))
    name = f"{ids()}.txt"
    s.files[name] = _write.write_tab(out_dir / name, frame, _write.FEE_PREVIEW_HEADER, encoding="cp1252")


# ------------------------------------------------------------------------------------------- settlements

def _settlement_lines(rng: Rng, period: Period, cat: pl.DataFrame, shipped: pl.DataFrame, refunds: pl.DataFrame,
                      reimb: pl.DataFrame, inbound_charges: pl.DataFrame, first: int, last: int) -> pl.DataFrame:
    """The money lines (V2 shape: amount-type, amount-description, amount) posted on days first..last."""
    orders_all = shipped
    shipped = shipped.filter(pl.col("ship_day").is_between(first, last))
    refunds = refunds.filter(pl.col("refund_day").is_between(first, last))
    reimb = reimb.filter((pl.col("day") + 3).is_between(first, last))
    s_str = pl.lit(None, pl.String)
    common = dict(adjustment_id=s_str, shipment_id=s_str, order_item_code=s_str, adjustment_item=s_str,
                  qty=pl.lit(None, pl.Int64))
    o = _shipment_parts(rng, shipped).join(cat.select("sku_idx", "sku"), on="sku_idx", how="left")
    channel = pl.when(pl.col("mfn")).then(pl.lit("MFN")).otherwise(pl.lit("AFN"))
    base = dict(tx=pl.lit("Order"), order_id="order_id", adjustment_id=s_str, shipment_id="settlement_shipment_id",
                order_item_code="order_item_code", adjustment_item=s_str, sku="sku", posted_day="ship_day",
                posted_us="ship_us_of_day", fulfillment=channel, promotion_id=s_str)
    orders = pl.concat([
        o.select(**base, amount_type=pl.lit("ItemPrice"), description=pl.lit("Principal"),
                 amount="principal_cents", qty="qty", line=pl.lit(0)),
        o.select(**base, amount_type=pl.lit("ItemFees"), description=pl.lit("Commission"),
                 amount=-pl.col("ref_charged") * pl.col("qty"), qty=pl.lit(None, pl.Int64), line=pl.lit(1)),
        # A merchant-fulfilled order has no FBA fee.
        o.filter(~pl.col("mfn")).select(
            **base, amount_type=pl.lit("ItemFees"), description=pl.lit("FBAPerUnitFulfillmentFee"),
            amount=-pl.col("fee_charged") * pl.col("qty"), qty=pl.lit(None, pl.Int64), line=pl.lit(2)),
        o.filter(pl.col("promo_cents").is_not_null()).select(
            **(base | {"promotion_id": pl.col("promotion_id")}), amount_type=pl.lit("Promotion"),
            description=pl.lit("Principal"), amount=-pl.col("promo_cents"), qty=pl.lit(None, pl.Int64),
            line=pl.lit(3)),
    ])
    r = refunds.join(orders_all.select("order_no", "order_id", "order_item_code", "settlement_shipment_id", "mfn",
                                       "promo_cents", "promotion_id", order_qty="qty"),
                     on="order_no", how="inner").join(cat.select("sku_idx", "sku"), on="sku_idx", how="left")
    rbase = dict(tx=pl.lit("Refund"), order_id="order_id", adjustment_id="adjustment_id", shipment_id=s_str,
                 order_item_code="order_item_code", adjustment_item="adjustment_item_id", sku="sku",
                 posted_day="refund_day", posted_us="refund_us", fulfillment=channel, promotion_id=s_str)
    refund_lines = [
        r.select(**rbase, amount_type=pl.lit("ItemPrice"), description=pl.lit("Principal"),
                 amount="principal_refund_cents", qty="refund_qty", line=pl.lit(0)),
        r.filter(pl.col("restocking_cents").is_not_null()).select(
            **rbase, amount_type=pl.lit("ItemPrice"), description=pl.lit("RestockingFee"), amount="restocking_cents",
            qty=pl.lit(None, pl.Int64), line=pl.lit(1)),
        r.filter(pl.col("restocking_tax_cents").is_not_null()).select(
            **rbase, amount_type=pl.lit("ItemWithheldTax"),
            description=pl.lit("MarketplaceFacilitatorTax-RestockingFee"), amount="restocking_tax_cents", qty=pl.lit(None, pl.Int64), line=pl.lit(4)),
        r.select(**rbase, amount_type=pl.lit("ItemFees"), description=pl.lit("Commission"), amount="commission_back",
                 qty=pl.lit(None, pl.Int64), line=pl.lit(2)),
        r.select(**rbase, amount_type=pl.lit("ItemFees"), description=pl.lit("RefundCommission"),
                 amount="refund_commission", qty=pl.lit(None, pl.Int64), line=pl.lit(3)),
        # The promotion is given back with the refund, in proportion to the units refunded.
        r.filter(pl.col("promo_cents").is_not_null()).select(
            **(rbase | {"promotion_id": pl.col("promotion_id")}), amount_type=pl.lit("Promotion"),
            description=pl.lit("Principal"),
            amount=(pl.col("promo_cents") * pl.col("refund_qty") / pl.col("order_qty")).round(0).cast(pl.Int64),
            qty=pl.lit(None, pl.Int64), line=pl.lit(5)),
    ]
    m = reimb.filter(pl.col("cash") != 0).with_columns(posted_day=pl.col("day") + 3)
    reimb_lines = m.select(
        tx=pl.lit("other-transaction"), order_id="order_id", adjustment_id="reimbursement_id", shipment_id=s_str,
        order_item_code=s_str, adjustment_item=s_str, sku="sku", posted_day="posted_day",
        posted_us=daytime(rng, "reimb-posted", "reimb_no"),
        amount_type=pl.lit("FBA Inventory Reimbursement"),
        description=pl.col("reason").replace_strict(_SETTLEMENT_CODE, return_dtype=pl.String),
        amount=pl.col("per_unit") * pl.col("cash").abs() * pl.col("cash").sign(), qty="cash", line=pl.lit(0))
    charges = inbound_charges.filter(pl.col("day").is_between(first, last))
    inbound = charges.select(
        tx=pl.lit("other-transaction"), order_id=s_str, adjustment_id=s_str, shipment_id="shipment_id",
        order_item_code=s_str, adjustment_item=s_str, sku=s_str, posted_day="day",
        posted_us=daytime(rng, "inbound-charge-time", "shipment_no"), amount_type=pl.lit("other-transaction"),
        description=pl.lit("FBAInboundTransportationFee"), amount="amount", qty=pl.lit(None, pl.Int64),
        line=pl.lit(0))
    # Monthly subscription and storage fees, posted on the 2nd and the 8th of each month.
    months = pl.DataFrame({"day": list(range(first, last + 1))}, schema={"day": pl.Int64}).with_columns(
        dom=(pl.lit(period.start) + pl.duration(days=pl.col("day"))).dt.day())
    subs = months.filter(pl.col("dom") == 2).select(
        tx=pl.lit("other-transaction"), order_id=s_str, **{k: v for k, v in common.items() if k != "qty"}, sku=s_str,
        posted_day="day", posted_us=pl.lit(9 * HOUR_US + 1_234_000_000, pl.Int64),
        amount_type=pl.lit("other-transaction"), description=pl.lit("Subscription Fee"), amount=pl.lit(-3999),
        qty=pl.lit(None, pl.Int64), line=pl.lit(0))
    storage_cents = -(cat.height * 31 + 250)
    storage = months.filter(pl.col("dom") == 8).select(
        tx=pl.lit("other-transaction"), order_id=s_str, **{k: v for k, v in common.items() if k != "qty"}, sku=s_str,
        posted_day="day", posted_us=pl.lit(11 * HOUR_US + 2_345_000_000, pl.Int64),
        amount_type=pl.lit("other-transaction"), description=pl.lit("Storage Fee"),
        amount=(pl.lit(storage_cents) * (0.8 + 0.4 * rng.uniform("storage", "day"))).round(0).cast(pl.Int64),
        qty=pl.lit(None, pl.Int64), line=pl.lit(0))
    lines = pl.concat([orders, *refund_lines, reimb_lines, inbound, subs, storage], how="diagonal_relaxed").filter(
        pl.col("posted_day").is_between(0, period.days - 1)).with_columns(
        fulfillment=pl.col("fulfillment").fill_null(""))
    return lines.with_columns(settlement=pl.col("posted_day") // 14).sort(
        "settlement", "posted_day", "posted_us", "order_id", "tx", "line", nulls_last=True, maintain_order=True)


def _write_settlements(out_dir: Path, rng: Rng, period: Period, cat: pl.DataFrame, shipped: pl.DataFrame,
                       refunds: pl.DataFrame, reimb: pl.DataFrame, inbound_charges: pl.DataFrame,
                       s: SimulationSummary, write: bool = True) -> dict[int, int]:
    """Write the settlement flat files (unless not `write`: shape date_range_only); returns each settlement's total
    in cents (k -> total)."""
    totals: dict[int, int] = {}
    zipped = period.settlements - 2  # one recent settlement arrives zipped
    for k in range(period.settlements):
        part = _settlement_lines(rng, period, cat, shipped, refunds, reimb, inbound_charges, 14 * k, 14 * k + 13)
        settlement_id = _settlement_id(rng, k)
        start, end, deposit = _settlement_times(period, k)
        total = totals[k] = int(part["amount"].sum()) if part.height else 0
        if not write:
            continue
        posted = _posted_at(period)
        v1 = k == 0 and period.settlements >= 3
        if v1:
            iso = "%Y-%m-%dT%H:%M:%S+00:00"
            summary_row = [settlement_id, start.strftime(iso), end.strftime(iso), deposit.strftime(iso),
                           money_str(total), "USD"] + [""] * 30
            frame = _v1_frame(part, posted, settlement_id)
            header = _write.SETTLEMENT_V1_HEADER
        else:
            fmt = "%Y-%m-%d %H:%M:%S UTC"
            summary_row = [settlement_id, start.strftime(fmt), end.strftime(fmt), deposit.strftime(fmt),
                           money_str(total), "USD"] + [""] * 18
            frame = part.select(*_p(
                pl.lit(settlement_id), *[pl.lit("")] * 5, "tx", "order_id", "order_id", "adjustment_id",
                "shipment_id", pl.lit("Amazon.com"), "amount_type", "description", _write.money("amount"),
                "fulfillment", posted.dt.strftime("%Y-%m-%d"), posted.dt.strftime("%Y-%m-%d %H:%M:%S UTC"),
                "order_item_code", pl.lit(""), "adjustment_item", "sku", "qty", "promotion_id"))
            header = _write.SETTLEMENT_V2_HEADER
        frame = frame.select(pl.all().cast(pl.String).fill_null(""))
        frame.columns = [f"c{i}" for i in range(len(header))]
        head = pl.DataFrame([summary_row], schema=frame.columns, orient="row")
        name = f"{settlement_id}.txt"
        rows = _write.write_tab(out_dir / name, pl.concat([head, frame]), header)
        if k == zipped and not v1:
            _write.zip_file(out_dir / name, out_dir / f"{settlement_id}.zip", deposit.timetuple()[:6])
            name = f"{settlement_id}.zip"
        s.files[name] = rows
    return totals


# Date Range `type` and `description` of the settlement lines that are not an order or a refund
# (docs/report-formats.md, "Date Range transaction files"): V2 amount-description -> (type, description).
_DATE_RANGE_OTHER = {
    "WAREHOUSE_LOST": ("Adjustment", "FBA Inventory Reimbursement - Lost:Warehouse"),
    "WAREHOUSE_DAMAGE": ("Adjustment", "FBA Inventory Reimbursement - Damaged:Warehouse"),
    "MISSING_FROM_INBOUND": ("Adjustment", "FBA Inventory Reimbursement - Lost:Inbound"),
    "INBOUND_CARRIER_DAMAGE": ("Adjustment", "FBA Inventory Reimbursement - Damaged:Inbound"),
    "REVERSAL_REIMBURSEMENT": ("Adjustment", "FBA Inventory Reimbursement - Customer Return"),
    "COMPENSATED_CLAWBACK": ("Adjustment", "FBA Inventory Reimbursement - General Adjustment"),
    "INCORRECT_FEES_ITEMS": ("Adjustment", "FBA Inventory Reimbursement - Fee Correction"),
    "INCORRECT_FEES_NON_ITEMIZED": ("Adjustment", "FBA Inventory Reimbursement - Fee Correction"),
    "FBAInboundTransportationFee": ("FBA Inventory Fee", "FBA Amazon-Partnered Carrier Shipment Fee"),
    "Subscription Fee": ("Service Fee", "Subscription"),
    "Storage Fee": ("FBA Inventory Fee", "FBA storage fee"),
}
_PACIFIC = "America/Los_Angeles"


def _date_range_windows(period: Period) -> list[tuple[dt.date, dt.date, str]]:
    """What a seller's bookkeeper downloads besides the settlements: the monthly transaction report of the last whole
    month, and a custom range from its 15th to the end of the data, overlapping it (file names as Seller Central
    gives them, docs/report-formats.md, "Date Range transaction files")."""
    month_end = period.end.replace(day=1) - dt.timedelta(days=1)
    month_start = month_end.replace(day=1)
    windows = []
    if month_start >= period.start:
        windows.append((month_start, month_end, f"{month_start.year}{month_start:%b}MonthlyUnifiedTransaction.csv"))
    since = max(period.start, month_start + dt.timedelta(days=14))
    label = lambda d: f"{d.year}{d:%b}{d.day}"  # noqa: E731
    windows.append((since, period.end, f"{label(since)}-{label(period.end)}CustomUnifiedTransaction.csv"))
    return windows


def _monthly_windows(period: Period) -> list[tuple[dt.date, dt.date, str]]:
    """Shape date_range_only: a monthly transaction report for every calendar month of the data (the first and
    the last as custom ranges where the data starts or ends inside the month), and no settlement flat file."""
    label = lambda d: f"{d.year}{d:%b}{d.day}"  # noqa: E731
    windows, start = [], period.start
    while start <= period.end:
        month_end = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
        until = min(month_end, period.end)
        whole = start.day == 1 and until == month_end
        windows.append((start, until, f"{start.year}{start:%b}MonthlyUnifiedTransaction.csv" if whole
                        else f"{label(start)}-{label(until)}CustomUnifiedTransaction.csv"))
        start = until + dt.timedelta(days=1)
    return windows


def _write_date_ranges(out_dir: Path, rng: Rng, period: Period, cat: pl.DataFrame, shipped: pl.DataFrame,
                       refunds: pl.DataFrame, reimb: pl.DataFrame, inbound_charges: pl.DataFrame,
                       totals: dict[int, int], s: SimulationSummary, monthly: bool = False) -> None:
    """Date Range transaction reports of days the settlement flat files already hold: the same money again, which
    an audit must count once (the loader drops Date Range lines of a settlement it has read from a flat file)."""
    for since, until, name in (_monthly_windows(period) if monthly else _date_range_windows(period)):
        # Pacific time is behind UTC: a local day ends in the early hours of the next UTC day.
        first, last = (since - period.start).days, min((until - period.start).days + 1, period.days - 1)
        lines = _settlement_lines(rng, period, cat, shipped, refunds, reimb, inbound_charges, first, last)
        local = _posted_at(period).dt.replace_time_zone("UTC").dt.convert_time_zone(_PACIFIC)
        lines = lines.with_columns(_local=local).filter(pl.col("_local").dt.date().is_between(since, until))
        item = pl.col("tx").is_in(["Order", "Refund"])
        description = pl.col("description")
        promotion = pl.col("amount_type") == "Promotion"
        on = lambda *names: pl.col("amount").filter(description.is_in(names) & ~promotion).sum()  # noqa: E731
        rows = lines.with_columns(_row=pl.when(item).then(pl.lit(None, pl.String)).otherwise(description)).group_by(
            "settlement", "tx", "order_id", "order_item_code", "adjustment_id", "shipment_id", "sku", "posted_day",
            "posted_us", "_row", "_local", "fulfillment",
        ).agg(
            product_sales=on("Principal"), selling_fees=on("Commission", "RefundCommission"),
            fba_fees=on("FBAPerUnitFulfillmentFee"), withheld=on("MarketplaceFacilitatorTax-RestockingFee"),
            promotions=pl.col("amount").filter(promotion).sum(),
            other=pl.col("amount").filter(~promotion & ~description.is_in(
                ["Principal", "Commission", "RefundCommission", "FBAPerUnitFulfillmentFee",
                 "MarketplaceFacilitatorTax-RestockingFee"])).sum(),
            total=pl.col("amount").sum(), qty=pl.col("qty").max(),
        )
        other = pl.col("_row").replace_strict({k: v[0] for k, v in _DATE_RANGE_OTHER.items()}, default=None,
                                              return_dtype=pl.String)
        rows = rows.join(cat.select("sku", "title"), on="sku", how="left").join(
            shipped.select("order_id", "ship_city", "ship_state", "ship_postal").unique("order_id"), on="order_id",
            how="left",
        ).with_columns(
            type=pl.when(item).then("tx").otherwise(other),
            text=pl.when(item).then("title").otherwise(pl.col("_row").replace_strict(
                {k: v[1] for k, v in _DATE_RANGE_OTHER.items()}, default=None, return_dtype=pl.String)),
        )
        # The payout of each settlement that closed inside the window (a seller owing Amazon gets none).
        closed = [(k, totals[k], _settlement_times(period, k)[1]) for k in totals if totals[k] > 0]
        transfers = pl.DataFrame(
            [(k, -total, end) for k, total, end in closed], orient="row",
            schema={"settlement": pl.Int64, "total": pl.Int64, "_local": pl.Datetime("us")},
        ).with_columns(pl.col("_local").dt.replace_time_zone("UTC").dt.convert_time_zone(_PACIFIC)).filter(
            pl.col("_local").dt.date().is_between(since, until)
        ).with_columns(type=pl.lit("Transfer"), text=pl.lit("To account ending in: 4821"),
                       posted_day=pl.lit(period.days), posted_us=pl.lit(0, pl.Int64))
        rows = pl.concat([rows, transfers], how="diagonal_relaxed").sort(
            "_local", "order_id", "type", "order_item_code", "adjustment_id", "shipment_id", "text", "sku", "total",
            nulls_last=True)
        zero = pl.lit("0")
        is_item = pl.col("type").is_in(["Order", "Refund"])
        frame = rows.select(*_p(
            pl.col("_local").dt.strftime("%b %-d, %Y %-I:%M:%S %p %Z"),
            _settlement_id(rng, pl.col("settlement")).cast(pl.String), "type", "order_id", "sku", "text",
            "qty", pl.when(is_item).then(pl.lit("amazon.com")), pl.when(is_item).then(pl.lit("Standard Orders")),
            # `fulfillment`: Amazon for FBA, Seller for orders the seller shipped.
            pl.when(is_item).then(pl.when(pl.col("fulfillment") == "MFN").then(pl.lit("Seller"))
                                  .otherwise(pl.lit("Amazon"))),
            *[pl.when(is_item).then(c) for c in ("ship_city", "ship_state", "ship_postal")],
            pl.when(is_item).then(pl.lit("MarketplaceFacilitator")), _write.grouped_money("product_sales"),
            *[zero] * 7, _write.grouped_money("promotions"), zero, _write.grouped_money("withheld"), _write.grouped_money("selling_fees"),
            _write.grouped_money("fba_fees"), zero, _write.grouped_money("other"), _write.grouped_money("total")))
        s.files[name] = _write.write_quoted_csv(out_dir / name, frame, _write.DATE_RANGE_HEADER,
                                                preamble=_write.DATE_RANGE_PREAMBLE)


def _settlement_id(rng: Rng, k: int | pl.Expr) -> str | pl.Expr:
    """The id of the k-th settlement of the period (0 = the oldest): text for a number, a number column for a
    column of them."""
    number = 24_000_000_000 + rng.offset("settlement", 900_000_000) + k * 12_345_679
    return number if isinstance(number, pl.Expr) else str(number)


def _posted_at(period: Period) -> pl.Expr:
    """The UTC time (naive) a settlement line was posted, from its `posted_day` and `posted_us`."""
    return (pl.lit(dt.datetime.combine(period.start, dt.time()), dtype=pl.Datetime("us"))
            + pl.duration(microseconds=pl.col("posted_day") * DAY_US + pl.col("posted_us")))


def _shipment_parts(rng: Rng, shipped: pl.DataFrame) -> pl.DataFrame:
    """One row per settlement shipment of an order item: an item split in two shipments (`split_qty` units
    first, the rest later the same day, with its own shipment id) posts two Order groups with the same order id
    and order-item-code, each with its quantity and its own fee lines."""
    if shipped.filter(pl.col("split_qty").is_not_null()).is_empty():
        return shipped
    first = shipped.with_columns(qty=pl.coalesce("split_qty", "qty"))
    second = shipped.filter(pl.col("split_qty").is_not_null()).with_columns(
        qty=pl.col("qty") - pl.col("split_qty"),
        settlement_shipment_id=code(scrambled(pl.col("order_no"), 62**9, 1_000_000_009, rng.offset("ship-id-2", 62**9)),
                                    9, ALNUM62),
        ship_us_of_day=pl.col("ship_us_of_day") + (DAY_US - pl.col("ship_us_of_day")) // 2,
    )
    return pl.concat([first, second]).with_columns(principal_cents=pl.col("price_cents") * pl.col("qty"))


def _settlement_times(period: Period, k: int) -> tuple[dt.datetime, dt.datetime, dt.datetime]:
    """(start, end, deposit) of the k-th settlement, UTC: 14 days each, closing at 07:41:12."""
    start = dt.datetime.combine(period.date(14 * k), dt.time(7, 41, 12))
    end = start + dt.timedelta(days=14)
    return start, end, end + dt.timedelta(days=2)


def _v1_frame(part: pl.DataFrame, posted: pl.Expr, settlement_id: str) -> pl.DataFrame:
    """Settlement V1 (wide) rows: price, fee and other amounts in their own columns."""
    amount = _write.money("amount")
    is_price = pl.col("amount_type") == "ItemPrice"
    # US V1 files print withheld marketplace tax as an item-related fee type (MarketplaceFacilitatorTax-...).
    is_fee = pl.col("amount_type").is_in(["ItemFees", "ItemWithheldTax"])
    is_promo = pl.col("amount_type") == "Promotion"
    is_other = ~is_price & ~is_fee & ~is_promo
    reimb = pl.col("amount_type") == "FBA Inventory Reimbursement"
    # V1 names other transactions in transaction-type; the partnered-carrier charge is "Inbound Transportation
    # Fee" there (genuine Amazon.ca V1 file), with the shipment id in shipment-id (docs/report-formats.md,
    # "Settlement and transaction lines").
    other = pl.col("description").replace({"FBAInboundTransportationFee": "Inbound Transportation Fee"})
    tx = pl.when(reimb).then(pl.col("description")).when(pl.col("tx") == "other-transaction").then(
        other).otherwise(pl.col("tx"))
    empty = pl.lit("")
    return part.select(*_p(
        pl.lit(settlement_id), *[empty] * 5, tx, "order_id", "order_id", "adjustment_id", "shipment_id", pl.lit("Amazon.com"),
        empty, empty, empty, empty,
        "fulfillment",
        posted.dt.strftime("%Y-%m-%dT%H:%M:%S+00:00"), "order_item_code", empty, "adjustment_item", "sku",
        pl.when((pl.col("tx") == "Order") | reimb).then(pl.col("qty").cast(pl.String)).otherwise(empty),
        pl.when(is_price).then("description"), pl.when(is_price).then(amount),
        pl.when(is_fee).then("description"), pl.when(is_fee).then(amount),
        empty, empty, empty,
        pl.when(is_promo).then("promotion_id").otherwise(empty), pl.when(is_promo).then("description").otherwise(empty),
        pl.when(is_promo).then(amount).otherwise(empty), empty, empty,
        pl.when(is_other).then(amount),
    ))


# ------------------------------------------------------------------------------------------- orders, inbound, products

def _write_all_orders(out_dir: Path, orders: pl.DataFrame, cat: pl.DataFrame, ids: _ReportIds,
                      s: SimulationSummary) -> None:
    o = orders.join(cat.select("sku_idx", "sku", "asin", "title"), on="sku_idx", how="left")
    shipped = pl.col("status") == "Shipped"
    priced = pl.col("status") != "Pending"
    cancelled = pl.col("status") == "Cancelled"
    updated = pl.when(shipped).then(pl.col("ship_at") + pl.duration(hours=2)).otherwise(
        pl.col("purchase_at") + pl.duration(minutes=21))
    frame = o.sort("purchase_at", "order_id").select(*_p(
        "order_id", "order_id", _iso("purchase_at"), _iso(updated), "status",
        pl.when("mfn").then(pl.lit("Merchant")).otherwise(pl.lit("Amazon")), pl.lit("Amazon.com"),
        pl.lit(""), "service", "title", "sku", "asin",
        pl.when(shipped).then(pl.lit("Shipped")).when(cancelled).then(pl.lit("Cancelled")).otherwise(pl.lit("Unshipped")),
        pl.when(cancelled).then(0).otherwise(pl.col("qty")),
        pl.when(priced & ~cancelled).then(pl.lit("USD")),
        pl.when(priced & ~cancelled).then(_write.money("principal_cents")),
        pl.when(priced & ~cancelled).then(_write.money("tax_cents")),
        *[pl.lit("")] * 4,
        # item-promotion-discount: written negative, as a discount; its sign is not confirmed (public third-party
        # parsers of All Orders both add it to and subtract it from the item price), and no detector reads it.
        pl.when(pl.col("promo_cents").is_not_null()).then(_write.money(-pl.col("promo_cents"))).otherwise(pl.lit("")),
        pl.lit(""), "ship_city", "ship_state", "ship_postal", pl.lit("US"),
        pl.col("promotion_id").fill_null(""), pl.lit(""),
        pl.when("business").then(pl.lit("true")).otherwise(pl.lit("false")), pl.lit(""), pl.lit(""),
        pl.lit("false")))
    name = f"{ids()}.txt"
    s.files[name] = _write.write_tab(out_dir / name, frame, _write.ALL_ORDERS_HEADER, bom=True)


def _template(text: str, *values: str | pl.Expr) -> pl.Expr:
    """Fill the `{}` slots of `text` (which may hold other braces, e.g. JSON) with the values, in order."""
    pieces = text.split("{}")
    assert len(pieces) == len(values) + 1
    parts: list[pl.Expr] = []
    for piece, value in zip(pieces, [*values, None]):
        parts.append(pl.lit(piece))
        if value is not None:
            parts.append((pl.col(value) if isinstance(value, str) else value).cast(pl.String))
    return pl.concat_str(parts)


def _write_inbound(out_dir: Path, period: Period, shipments: pl.DataFrame, items: pl.DataFrame,
                   cat: pl.DataFrame, s: SimulationSummary) -> None:
    ship = shipments.filter(pl.col("create_day") <= period.days - 1).sort("shipment_no")
    need_by = (pl.lit(period.start) + pl.duration(days=pl.col("need_by_day"))).dt.strftime("%Y-%m-%d")
    created = pl.col("created_at").dt.strftime("%m/%d/%Y %H:%M")
    objects = ship.select(_template(
        '{"ShipmentId": "{}", "ShipmentName": "FBA STA ({})-{}", "ShipFromAddress": {"Name": "Northlake Goods LLC", '
        '"AddressLine1": "1200 Commerce Way", "City": "Reno", "StateOrProvinceCode": "NV", "CountryCode": "US", '
        '"PostalCode": "89502"}, "DestinationFulfillmentCenterId": "{}", "ShipmentStatus": "{}", '
        '"LabelPrepType": "SELLER_LABEL", "AreCasesRequired": true, "ConfirmedNeedByDate": "{}", '
        '"BoxContentsSource": "FEED"}',
        "shipment_id", created, "dest_fc", "dest_fc", "status", need_by).alias("o"))["o"]
    s.files["getShipments.json"] = _write.json_array(out_dir / "getShipments.json", "ShipmentData", objects)
    it = items.join(ship.select("shipment_id", "shipment_no"), on="shipment_id", how="inner").join(
        cat.select("sku_idx", "sku", "fnsku"), on="sku_idx", how="left").sort("shipment_no", "sku")
    objects = it.select(_template(
        '{"ShipmentId": "{}", "SellerSKU": "{}", "FulfillmentNetworkSKU": "{}", "QuantityShipped": {}, '
        '"QuantityReceived": {}, "QuantityInCase": {}, "PrepDetailsList": [{"PrepInstruction": "Labeling", '
        '"PrepOwner": "SELLER"}]}',
        "shipment_id", "sku", "fnsku", "shipped", "received", "case").alias("o"))["o"]
    s.files["getShipmentItems.json"] = _write.json_array(out_dir / "getShipmentItems.json", "ItemData", objects)


def _write_products(out_dir: Path, rng: Rng, cat: pl.DataFrame, s: SimulationSummary,
                    shapes: frozenset[str] = frozenset(), story_skus: set[int] | None = None) -> dict:
    """products.csv; returns what the shapes did to it ({"identical": [sku, ...], "cost": ..., "dimensions": ...,
    "spelled": [sku, ...]})."""
    variant = pl.col("fee_variant")
    no_dims = (variant == "size_tier_amazon_inconsistent") | (
        variant.is_null() & (rng.uniform("no-dims", "sku_idx") < 0.1))
    no_category = (variant == "referral_rate_inferred_category") | (
        variant.is_null() & (rng.uniform("no-category", "sku_idx") < 0.15))
    dim = lambda c: pl.when(no_dims).then(None).otherwise(pl.col(c).round(2).cast(pl.String))  # noqa: E731
    sizes = [dim("length"), dim("width"), dim("height"), pl.when(no_dims).then(None).otherwise(pl.lit("in")),
             dim("weight"), pl.when(no_dims).then(None).otherwise(pl.lit("lb"))]
    if "unit_spellings" in shapes:
        sizes = _shapes.spelled_units(rng, cat, no_dims)
    frame = cat.sort("sku").select(*_p(
        "sku", _write.money("unit_cost_cents"), pl.lit("USD"), *sizes,
        pl.when(no_category).then(None).otherwise(pl.col("category"))), "sku_idx")
    done: dict = {}
    if "unit_spellings" in shapes:
        done["spelled"] = sorted(frame.filter(~pl.col("c6").is_in(["in", "lb"]) & pl.col("c6").is_not_null()
                                              | ~pl.col("c8").is_in(["in", "lb"]) & pl.col("c8").is_not_null())["c0"]
                                 .to_list())
    if "duplicate_products" in shapes:
        frame, dup = _shapes.duplicate_rows(rng, frame, cat, story_skus or set())
        done |= dup
    frame = frame.drop("sku_idx")
    s.files["products.csv"] = _write.write_plain_csv(out_dir / "products.csv", frame, _write.PRODUCTS_HEADER)
    return done


# ------------------------------------------------------------------------------------------- truth

def _write_sku_economics(out_dir: Path, period: Period, cat: pl.DataFrame, shipped: pl.DataFrame,
                         s: SimulationSummary) -> None:
    """One SKU Economics download per calendar month (Fee data: Fulfillment base rate and surcharges): the charged
    FBA fulfillment fee split into base fee and fuel and logistics surcharge. The account is never charged the
    low-inventory-level fee, and these files say so (its columns stay empty), so FBA01 judges the base fee alone."""
    day = pl.lit(period.start) + pl.duration(days=pl.col("ship_day"))
    months = shipped.with_columns(start=day.dt.truncate("1mo")).group_by("start", "sku_idx").agg(
        units=pl.col("qty").sum(), sales=(pl.col("principal_cents")).sum(),
        total=(pl.col("fee_charged") * pl.col("qty")).sum(), base=(pl.col("fee_base") * pl.col("qty")).sum(),
    ).join(cat.select("sku_idx", "sku", "fnsku", "asin"), on="sku_idx", how="left").with_columns(
        end=pl.min_horizontal(pl.col("start").dt.offset_by("1mo").dt.offset_by("-1d"), pl.lit(period.end)),
    ).sort("start", "sku")
    header = _write.SKU_ECONOMICS_HEADER
    for (start,), part in months.partition_by("start", as_dict=True, maintain_order=True).items():
        fuel = pl.col("total") - pl.col("base")
        per_unit = lambda amount: pl.format("{}", (amount / pl.col("units")).round(6))  # noqa: E731
        values = {
            "Amazon store": pl.lit("US"), "Start date": pl.col("start").dt.strftime("%m/%d/%Y"),
            "End date": pl.col("end").dt.strftime("%m/%d/%Y"), "Parent ASIN": pl.col("asin"), "ASIN": pl.col("asin"),
            "FNSKU": pl.col("fnsku"), "MSKU": pl.col("sku"), "Currency code": pl.lit("USD"),
            "Average sales price": per_unit(pl.col("sales") / 100), "Units sold": pl.col("units").cast(pl.String),
            "Units returned": pl.lit("0"), "Net units sold": pl.col("units").cast(pl.String),
            "Sales": _write.money("sales"), "Net sales": _write.money("sales"),
            "Base fulfillment fee per unit": per_unit(pl.col("base") / 100),
            "Base fulfillment fee quantity": pl.col("units").cast(pl.String),
            "Base fulfillment fee total": _write.money("base"),
            "FBA fulfillment fees per unit": per_unit(pl.col("total") / 100),
            "FBA fulfillment fees quantity": pl.col("units").cast(pl.String),
            "FBA fulfillment fees total": _write.money("total"),
            "Fuel and Logistics-related surcharge per unit": pl.when(fuel > 0).then(per_unit(fuel / 100)),
            "Fuel and Logistics-related surcharge quantity": pl.when(fuel > 0).then(pl.col("units").cast(pl.String)),
            "Fuel and Logistics-related surcharge total": pl.when(fuel > 0).then(_write.money(fuel)),
        }
        frame = part.select(*(values.get(name, pl.lit(None, pl.String)).cast(pl.String).alias(f"c{i}")
                              for i, name in enumerate(header)))
        name = f"SKUEconomics_{start:%Y-%m}.csv"
        s.files[name] = _write.write_plain_csv(out_dir / name, frame, header)


def _dec(cents: int | None) -> str | None:
    return None if cents is None else str((Decimal(cents) / 100).quantize(Decimal("0.01")))


def _window(code: str, event: dt.date, as_of: dt.date, *, needs_review: bool = False,
            opens: dt.date | None = None, marketplace: str = "US") -> tuple[dt.date | None, dt.date | None, str]:
    """(window opens, closes, status on as_of) from the simulator's own window table (`_windows`, not
    fba_audit.policy, so that a wrong policy window fails the accuracy tests); `opens` overrides the computed opening
    (inbound: the day a closed shipment's receiving ended)."""
    window = _windows.window_on(code, as_of, marketplace)
    opens, closes = opens or _windows.opens_on(window, event), _windows.closes_on(window, event)
    if as_of < opens:
        return opens, closes, "waiting"
    if as_of > closes:
        return opens, closes, "expired"
    return opens, closes, "review" if window.status_cap == "review" or needs_review else "claimable"


def _truth(period: Period, cat: pl.DataFrame, orders: pl.DataFrame, shipments: pl.DataFrame, ledger: pl.DataFrame,
           out, fee_plan: pl.DataFrame, seed: int, skus: int, months: int, corrections: dict | None = None) -> dict:
    as_of = period.as_of
    claims, traps = [], []
    if out.cases:
        cases = pl.concat(out.cases, how="vertical_relaxed")
        by_story_order = orders.filter(pl.col("story").is_not_null()).select("story", "order_id")
        by_story_ship = shipments.filter(pl.col("story") >= 0).select("story", "shipment_id")
        by_story_ref = ledger.filter(pl.col("tag") == "event").select("story", ledger_reference="reference")
        cases = cases.join(cat.select("sku_idx", "sku", "fnsku", "asin", "price_cents", "ref_charged",
                                      "unit_cost_cents"), on="sku_idx", how="left").with_columns(
            # FBA07 (docs/claim-rules.md, "Valuation": after an order): the refunded principal minus the referral fee
            # returned. FBA09 values a damaged return like other units damaged in Amazon's care: the products.csv
            # unit cost (the refund is only its fallback when there is no cost and no past reimbursement).
            value_cents=pl.when((pl.col("code") == "FBA07") & pl.col("value_cents").is_not_null())
            .then(pl.col("units") * (pl.col("price_cents") - pl.col("ref_charged")))
            .when((pl.col("code") == "FBA09") & pl.col("value_cents").is_not_null())
            .then(pl.col("units") * pl.col("unit_cost_cents"))
            .otherwise(pl.col("value_cents")),
            basis=pl.when((pl.col("code") == "FBA09") & pl.col("value_cents").is_not_null())
            .then(pl.lit("cost_file")).otherwise(pl.col("basis")),
            refunded_principal_cents=pl.when(pl.col("code").is_in(["FBA07", "FBA09"]))
            .then(pl.col("units") * pl.col("price_cents")),
        ).join(
            by_story_order, on="story", how="left").join(by_story_ship, on="story", how="left").join(
            by_story_ref, on="story", how="left").sort("code", "variant", "story")
        for row in cases.iter_rows(named=True):
            keys = {"marketplace": "US", "sku": row["sku"], "fnsku": row["fnsku"],
                    "order_id": row["order_id"] if row["has_order"] else None,
                    "shipment_id": row["shipment_id"] if row["has_shipment"] else None,
                    "reference_id": row["ledger_reference"] if row["has_reference"] else None}
            event = period.date(row["event_day"])
            opens, closes, computed = _window(row["code"], event, as_of, needs_review=row["status"] == "review",
                                              opens=_inbound_opens(row, period))
            if row["status"] == "trap":
                traps.append({"code": row["code"], "variant": row["variant"], "keys": keys,
                              "event_date": event.isoformat(), "why": row["why"]})
                continue
            if computed != row["status"]:
                raise AssertionError(f"{row['code']} {row['variant']}: planned {row['status']}, window says {computed}")
            claims.append({
                "code": row["code"], "variant": row["variant"], "status": row["status"], "keys": keys,
                "event_date": event.isoformat(), "window_opens": opens and opens.isoformat(),
                "window_closes": closes and closes.isoformat(), "units": row["units"],
                "value": _dec(row["value_cents"]), "currency": "USD", "valuation_basis": row["basis"],
                "explanation": row["why"],
            })
            if row["refunded_principal_cents"] is not None:
                claims[-1]["refunded_principal"] = _dec(row["refunded_principal_cents"])
    claims += _fee_truth(period, cat, orders, fee_plan, traps, corrections)
    claims.sort(key=lambda c: (c["code"], c["variant"], json.dumps(c["keys"], sort_keys=True)))
    traps.sort(key=lambda t: (t["code"], t["variant"], json.dumps(t["keys"], sort_keys=True)))
    return {
        "generator": "fba_audit.simulate", "format": 2, "seed": seed, "skus": skus, "months": months,
        "marketplace": "US", "currency": "USD", "as_of": as_of.isoformat(),
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat(),
                   "settlements": period.settlements},
        "complete": True,
        "notes": [
            "claims lists every finding a correct audit should report on as_of; anything else is a false claim. "
            "The account's ordinary activity is clean by construction.",
            "keys are the business keys a finding id is built from; null where the claim has none. "
            "fba_audit.accuracy.KEY_FIELDS says which keys identify a claim of each code.",
            "value: products.csv unit_cost x units for units lost or damaged in Amazon's care (FBA02, FBA04, FBA05, "
            "FBA08, FBA09: a damaged return is valued at cost, as fba_audit.valuation does, the refund being only "
            "its fallback); for FBA07 the refunded principal minus the referral fee credited back (Commission); "
            "the excess refunded for FBA03; none for FBA06 (the restocking fee is not in the reports); the fee "
            "difference summed over the group's charges for FBA01 / FBA10.",
            "FBA01 / FBA10: one claim per SKU, rate-card table (keys.table_id) and charge month (keys.period, "
            "`YYYY-MM`), with the month's charges past the 90-day window in a separate expired claim "
            "(`YYYY-MM:expired`), as the detectors group them (finding id FBA01:US:<sku>:<table_id>:<period>).",
            "FBA01: holiday-peak days are charged the card's peak fee (2026 peak table since issue 23); the "
            "account is never charged the low-inventory-level fee, and its monthly SKU Economics downloads say so, "
            "so the fee difference is claimed whole. FBA01 / FBA10: charges before the first rate-card table "
            "fba-audit holds (fulfillment 2025-01-15, referral 2025-01-01) are not counted.",
            "FBA02 ledger rows: Reconciled Quantity counts found units only; units Amazon reimbursed stay in "
            "Unreconciled Quantity (reimbursements are subtracted from it: docs/claim-rules.md, Netting).",
            "FBA04: carrier damage is claimable only on shipments whose partnered-carrier charge "
            "(FBAInboundTransportationFee; V1 `Inbound Transportation Fee`) is in the settlements, else review; a "
            "shipment that never arrived is always review, its event_date the later of that charge and the "
            "creation date in Amazon's default shipment name (\"FBA STA (MM/DD/YYYY HH:MM)-FC\"). About 70 % of "
            "ordinary shipments use the partnered carrier.",
            "FBA06: only a refund that debited the full principal, withheld tax on a restocking fee "
            "(MarketplaceFacilitatorTax-RestockingFee) and has no RestockingFee credit is a claim (review, no "
            "amount); a partial refund is a trap (the unrefunded part already stayed with the seller).",
            "The settlement covering the first 14 days is a V1 flat file; one recent V2 settlement is zipped; the "
            "Inventory Ledger is downloaded twice (tab .txt, and a quoted .csv of the last 40 % of the period).",
        ],
        "claims": claims,
        "traps": traps,
    }


def _inbound_opens(row: dict, period: Period) -> dt.date | None:
    """FBA04 / FBA08 open the window of a CLOSED shipment on its last receipt (all planted receipts but the
    negative one fall on the anchor day, the first receipt; the FBA08 shortfall story has a second one a day
    later)."""
    if row["code"] == "FBA08" and row["variant"] in ("shortfall",):
        return period.date(row["event_day"] + 1)
    if row["code"] in ("FBA04", "FBA08") and row["variant"] not in (
            "carrier_damaged_waiting", "shipment_never_arrived", "shipment_never_arrived_own_carrier"):
        return period.date(row["event_day"])
    return None


def _fee_charges(period: Period, cat: pl.DataFrame, orders: pl.DataFrame, fee_plan: pl.DataFrame) -> pl.DataFrame:
    """The overcharged order items of the planted fee SKUs (not the traps) that the fee detectors can judge: one
    row per order item with code, variant, plan_status, sku, fnsku, table_id, ship_day, qty, diff (cents)."""
    window = _windows.window_on("FBA01", period.as_of)
    first_day = period.day(period.as_of - dt.timedelta(days=window.closes_after))
    # The rate-card table in force on each charge day (a handful of Python calls per day, not per row).
    dates = [period.date(d) for d in range(period.days)]
    tables = pl.DataFrame({
        "ship_day": list(range(period.days)),
        "FBA01": [getattr(_fees.card_on(d), "id", None) for d in dates],
        "FBA10": [_fees.referral_schedule_on(d) for d in dates],
    }, schema={"ship_day": pl.Int64, "FBA01": pl.String, "FBA10": pl.String}).unpivot(
        index="ship_day", variable_name="code", value_name="table_id")
    plan = fee_plan.join(cat.select("sku_idx", "sku", "fnsku"), on="sku_idx", how="left")
    return orders.filter(pl.col("status") == "Shipped").join(
        plan.filter(pl.col("status") != "trap").rename({"status": "plan_status"}), on="sku_idx", how="inner").join(
        tables, on=["code", "ship_day"], how="left").filter(
        # No claim on days the rate card has no amounts or no table at all (before
        # the first fulfillment / referral table fba-audit holds): the detectors never guess a fee.
        ((pl.col("code") != "FBA01") | pl.col("fee_expected").is_not_null()) & pl.col("table_id").is_not_null()
    ).with_columns(
        diff=pl.when(pl.col("code") == "FBA01").then(pl.col("fee_charged") - pl.col("fee_expected"))
        .otherwise(pl.col("ref_charged") - pl.col("ref_expected")) * pl.col("qty"),
        month=(pl.lit(period.start) + pl.duration(days=pl.col("ship_day"))).dt.strftime("%Y-%m"),
        expired=pl.col("ship_day") < first_day,
    )


def _fee_truth(period: Period, cat: pl.DataFrame, orders: pl.DataFrame, fee_plan: pl.DataFrame,
               traps: list, corrections: dict | None = None) -> list[dict]:
    """FBA01 / FBA10: the fee difference per SKU, rate-card table and charge month, split into the charges still
    inside the 90-day window and those past it (`<YYYY-MM>:expired`), as the fee detectors group them.
    `corrections` (shape fee_corrections): {"paid": order_no, paid_cents; "day", "cents": the non-itemized one}."""
    claims: list[dict] = []
    if fee_plan.is_empty():
        return claims
    window = _windows.window_on("FBA01", period.as_of)
    plan = fee_plan.join(cat.select("sku_idx", "sku", "fnsku"), on="sku_idx", how="left")
    for row in plan.filter(pl.col("status") == "trap").sort("code", "variant", "sku").iter_rows(named=True):
        keys = {"marketplace": "US", "sku": row["sku"], "fnsku": row["fnsku"], "order_id": None, "shipment_id": None,
                "reference_id": None, "table_id": None, "period": None}
        traps.append({"code": row["code"], "variant": row["variant"], "keys": keys, "event_date": None,
                      "why": _stories_fee_why(row["code"], row["variant"])})
    charges = _fee_charges(period, cat, orders, fee_plan).with_columns(paid=pl.lit(0, pl.Int64),
                                                                       marked=pl.lit(False))
    if corrections is not None:
        charges = charges.drop("paid").join(corrections["paid"].rename({"paid_cents": "paid"}), on="order_no",
                                            how="left").with_columns(pl.col("paid").fill_null(0))
        charges = _shapes.mark_unattributed(charges, corrections["day"], corrections["cents"])
    groups = charges.group_by("code", "variant", "plan_status", "sku", "fnsku", "table_id", "month", "expired").agg(
        units=pl.col("qty").sum(), value=pl.col("diff").sum() - pl.col("paid").sum(),
        first=pl.col("ship_day").min(), last=pl.col("ship_day").max(), paid=pl.col("paid").sum(),
        marked=pl.col("marked").any(),
    ).sort("code", "variant", "sku", "table_id", "month", "expired")
    for g in groups.iter_rows(named=True):
        first, last_charge = period.date(g["first"]), period.date(g["last"])
        group = f"{g['month']}:expired" if g["expired"] else g["month"]
        keys = {"marketplace": "US", "sku": g["sku"], "fnsku": g["fnsku"], "order_id": None, "shipment_id": None,
                "reference_id": None, "table_id": g["table_id"], "period": group}
        if g["value"] <= 0:
            traps.append({"code": g["code"], "variant": "trap_paid_by_fee_correction", "keys": keys,
                          "event_date": first.isoformat(), "shapes": ["fee_corrections"],
                          "why": "Amazon's itemized fee correction paid the whole overcharge of the month: settled."})
            continue
        status = g["plan_status"]
        if g["paid"] or g["marked"]:
            status = "review"
        claims.append({
            "code": g["code"], "variant": g["variant"] + ("_expired" if g["expired"] else ""),
            "status": "expired" if g["expired"] else status, "keys": keys,
            "event_date": first.isoformat(), "window_opens": first.isoformat(),
            "window_closes": (first + dt.timedelta(days=window.closes_after)).isoformat(),
            "units": g["units"], "value": _dec(g["value"]), "currency": "USD", "valuation_basis": "fee_difference",
            "explanation": _stories_fee_why(g["code"], g["variant"]) + f" Charges posted {first} to {last_charge} "
            f"under {g['table_id']} with a known rate-card fee"
            + (" (all before the 90-day window)." if g["expired"] else " (inside the 90-day window).")
            + (f" Amazon's itemized fee correction already paid {_dec(g['paid'])} of it." if g["paid"] else "")
            + (" A non-itemized fee correction may have paid part of it (review)." if g["marked"] else ""),
        })
        if g["paid"] or g["marked"]:
            claims[-1]["shapes"] = ["fee_corrections"]
    return claims


def _stories_fee_why(code_: str, variant: str) -> str:
    from fba_audit.simulate._stories import FEE_WHY
    return FEE_WHY[(code_, variant)]


__all__ = ["DEFAULT_AS_OF", "SimulationSummary", "TRUTH_FILE", "simulate"]
