"""Account shapes: what real seller folders hold that the base simulation does not, each switched on by name.

The base account is tidy: every order item ships in one shipment, products.csv spells units one way and lists
each SKU once, Amazon never corrects a fee, the returns report runs to the last day, every order is fulfilled by
Amazon and sold at list price, and settlement flat files hold the money. Real folders are messier, and every mess
below once made the auditor miss a claim or make a false one (issue 18). Each shape plants what it is about in
the reports, in Amazon's formats, and says in truth.json what a correct audit must and must not claim:

- `split_shipments`: order items with 2 or more units shipped in two shipments: two settlement Order groups
  with the same order id and order-item-code, each with its own quantity and fee lines (docs/report-formats.md,
  "What the simulator's account shapes write"). Units and fees are summed over both.
- `unit_spellings`: products.csv dimensions and weights as sellers type them (`inches`, `cm`, `mm`, `lbs`,
  `pounds`, `ounces`, `kg`, `g`, ...), the numbers converted exactly.
- `duplicate_products`: SKUs listed twice in products.csv, identically (one row) or with a different unit cost
  or dimensions (an input problem; what the lines agree on is still used).
- `fee_corrections`: Amazon's fee corrections (Reimbursements `FeeCorrection`, settlement `INCORRECT_FEES_ITEMS`
  naming the order, and `INCORRECT_FEES_NON_ITEMIZED` naming nothing), which pay part of the overcharges.
- `sparse_returns`: a sparse returns report (ordinary returns about one in two months) silent for the last 60
  days: it covers the period the folder covers, so refunds without return stay claimable; where the planted
  stories make it dense (large accounts), the silence says it was cut short, and those refunds are `review`.
- `mfn_orders`: SKUs the seller ships itself (fulfillment-id `MFN`, All Orders `Merchant`): no FBA fee, and
  their refunds have no FBA return, which is never an FBA07 claim.
- `promotions`: promotional discounts on orders (`Promotion`/`Principal` lines with a `promotion-id`, All Orders
  `item-promotion-discount`, Date Range `promotional rebates`), reversed on refunds.
- `legacy_adjustments`: the first days' inventory events come in the legacy Inventory Adjustments report
  (`GET_FBA_FULFILLMENT_INVENTORY_ADJUSTMENTS_DATA`) and Received Inventory report (docs/report-formats.md)
  instead of the ledger, whose downloads start after them (12-month accounts: the first 24 days).
- `date_range_only`: no settlement flat file: the money comes in monthly Date Range transaction reports only
  (docs/report-formats.md), which have no order-item-code, shipment id or per-fee lines.

`realistic` switches every shape on; the accuracy bench runs it (benchmarks/bench_accuracy.py).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable
from decimal import Decimal

import polars as pl

SHAPES: dict[str, str] = {
    "split_shipments": "order items shipped in two shipments",
    "unit_spellings": "products.csv units as sellers spell them",
    "duplicate_products": "SKUs listed twice in products.csv",
    "fee_corrections": "fee corrections Amazon already paid",
    "sparse_returns": "a sparse returns report, silent for its last 60 days",
    "mfn_orders": "merchant-fulfilled orders",
    "promotions": "promotional discounts on orders",
    "legacy_adjustments": "legacy Adjustments and Received Inventory reports for the first days, then the ledger",
    "date_range_only": "Date Range transaction reports only, no settlement files",
}
PRESETS: dict[str, tuple[str, ...]] = {"realistic": tuple(SHAPES)}


def resolve(names: Iterable[str] | str | None) -> frozenset[str]:
    """Shape names (or a preset) -> the set of shapes; `-` and `_` are the same, case does not matter."""
    if names is None:
        return frozenset()
    if isinstance(names, str):
        names = [names]
    chosen: set[str] = set()
    for raw in names:
        for part in str(raw).replace(",", " ").split():
            name = part.strip().lower().replace("-", "_")
            if name in PRESETS:
                chosen.update(PRESETS[name])
            elif name in SHAPES:
                chosen.add(name)
            else:
                known = ", ".join([*(n.replace("_", "-") for n in SHAPES), *PRESETS])
                raise ValueError(f"unknown account shape {part!r}; use one of {known}")
    return frozenset(chosen)


# ------------------------------------------------------------------------------------------- products.csv

# Spellings written for each unit (report: fba_audit.reports.products accepts them all).
_LENGTH_SPELLINGS = ("inches", "inch", "Inches", "cm", "mm", "centimeters")
_WEIGHT_SPELLINGS = ("lbs", "pounds", "Pounds", "ounces", "oz", "kg", "g")


def _fixed(value: pl.Expr, places: int) -> pl.Expr:
    """An integer number of 10^-places units as exact decimal text (`254` with 2 places -> `2.54`)."""
    whole = (value // 10**places).cast(pl.String)
    frac = (value % 10**places).cast(pl.String).str.zfill(places)
    return pl.format("{}.{}", whole, frac)


def exact_metric_weights(weights: Iterable[float]) -> set[float]:
    """The weights (pounds, 2 decimals) that come back exactly from kg and g: Decimal(kg) x (1000 / 453.59237) is not
    always the pound figure again, and a weight 1e-27 over a boundary is charged the next pound."""
    exact = set()
    for w in weights:
        pounds = Decimal(str(round(w, 2)))
        kg, grams = pounds * Decimal("0.45359237"), pounds * Decimal("453.59237")
        # Read back as a reader converting with Decimal does (28 digits): kg x (1000 / 453.59237), g / 453.59237.
        if kg * (1000 / Decimal("453.59237")) == pounds and grams * (1 / Decimal("453.59237")) == pounds:
            exact.add(round(w, 2))
    return exact


def spelled_units(rng, cat: pl.DataFrame, no_dims: pl.Expr) -> list[pl.Expr]:
    """length, width, height, dimension_unit, weight, weight_unit columns with the seller's spellings (the same
    sizes, converted exactly: 1 in = 2.54 cm, 1 lb = 16 oz = 0.45359237 kg)."""
    metric_ok = pl.col("weight").round(2).is_in(sorted(exact_metric_weights(cat["weight"].unique().to_list())))
    dim_unit = rng.pick("shape-dim-unit", _LENGTH_SPELLINGS, "sku_idx")
    weight_unit = pl.when(~metric_ok & rng.pick("shape-weight-unit", _WEIGHT_SPELLINGS, "sku_idx").is_in(["kg", "g"]))\
        .then(pl.lit("lbs")).otherwise(rng.pick("shape-weight-unit", _WEIGHT_SPELLINGS, "sku_idx"))

    def length(c: str) -> pl.Expr:
        hundredths = (pl.col(c) * 100).round(0).cast(pl.Int64)
        return (pl.when(dim_unit.is_in(["cm", "centimeters"])).then(_fixed(hundredths * 254, 4))
                .when(dim_unit == "mm").then(_fixed(hundredths * 254, 3))
                .otherwise(_fixed(hundredths, 2)))

    hundredths = (pl.col("weight") * 100).round(0).cast(pl.Int64)
    weight = (pl.when(weight_unit.is_in(["ounces", "oz"])).then(_fixed(hundredths * 16, 2))
              .when(weight_unit == "kg").then(_fixed(hundredths * 45_359_237, 10))
              .when(weight_unit == "g").then(_fixed(hundredths * 45_359_237, 7))
              .otherwise(_fixed(hundredths, 2)))
    blank = lambda e: pl.when(no_dims).then(None).otherwise(e)  # noqa: E731
    return [blank(length("length")), blank(length("width")), blank(length("height")), blank(dim_unit),
            blank(weight), blank(weight_unit)]


def duplicate_rows(rng, frame: pl.DataFrame, cat: pl.DataFrame, story_skus: set[int]) -> tuple[pl.DataFrame, dict]:
    """products.csv rows (c0..c9 by position, `sku_idx` kept) with repeated SKUs: about 4 % listed twice
    identically (every fee SKU among the candidates), 1 % with another unit cost (never a SKU whose claims are
    valued at cost), 0.5 % with other dimensions (never a fee SKU). Returns the rows and {kind: [sku, ...]}."""
    fee = pl.col("fee_variant").is_not_null()
    quiet = ~pl.col("sku_idx").is_in(sorted(story_skus))
    u = rng.uniform("shape-dup-products", "sku_idx")
    kinds = cat.select("sku_idx", "sku", kind=pl.when((u < 0.04) | (fee & (u < 0.5))).then(pl.lit("identical"))
                       .when(quiet & (u < 0.05)).then(pl.lit("cost"))
                       .when(quiet & ~fee & (u < 0.055)).then(pl.lit("dimensions")), u=u)
    # At least one of each kind, from the SKUs that may have it.
    for kind, may in (("cost", quiet & ~fee), ("dimensions", quiet & ~fee & pl.col("height").is_not_null())):
        if kinds.filter(pl.col("kind") == kind).is_empty():
            pick = kinds.join(cat.select("sku_idx", "fee_variant", "height"), on="sku_idx").filter(
                pl.col("kind").is_null() & may).sort("u", "sku_idx").head(1)["sku_idx"]
            kinds = kinds.with_columns(kind=pl.when(pl.col("sku_idx").is_in(pick.implode())).then(pl.lit(kind))
                                       .otherwise("kind"))
    kinds = kinds.filter(pl.col("kind").is_not_null()).drop("u")
    repeat = frame.join(kinds.select("sku_idx", "kind"), on="sku_idx", how="inner").with_columns(
        c1=pl.when(pl.col("kind") == "cost").then(
            _fixed(((pl.col("c1").cast(pl.Float64) * 100).round(0).cast(pl.Int64) * 11 + 5) // 10, 2))
        .otherwise("c1"),
        c5=pl.when((pl.col("kind") == "dimensions") & pl.col("c5").is_not_null()).then(
            pl.format("{}", (pl.col("c5").cast(pl.Float64) + 1.0).round(2))).otherwise("c5"),
    )
    by_kind = {k: sorted(kinds.filter(pl.col("kind") == k)["sku"].to_list()) for k in ("identical", "cost", "dimensions")}
    out = pl.concat([frame.with_columns(_dup=pl.lit(0)), repeat.drop("kind").with_columns(_dup=pl.lit(1))],
                    how="vertical_relaxed").sort("c0", "_dup").drop("_dup")
    return out, by_kind


# ------------------------------------------------------------------------------------------- orders

def order_shapes(rng, orders: pl.DataFrame, shapes: frozenset[str], fee_skus: Iterable[int],
                 story_skus: Iterable[int]) -> pl.DataFrame:
    """Add the per-order-item shape columns (null / False when a shape is off):
    `mfn` (the seller shipped it), `split_qty` (units of the first of two shipments), `promo_cents` and
    `promotion_id` (a promotional discount on the item). Fee SKUs and story SKUs stay plain, so that the planted
    stories keep their meaning; the shapes meet the fee claims through the other SKUs' traps and through splits."""
    plain = pl.col("sku_idx").is_in(sorted(set(story_skus) | set(fee_skus)))
    natural = pl.col("story").is_null() & ~pl.col("planted") if "story" in orders.columns else ~pl.col("planted")
    mfn_skus: list[int] = []
    if "mfn_orders" in shapes:
        # About 3 % of the plain SKUs, at least one.
        draws = orders.filter(natural & ~plain).select("sku_idx").unique().with_columns(
            u=rng.uniform("shape-mfn-sku", "sku_idx")).sort("u", "sku_idx")
        mfn_skus = draws.filter((pl.col("u") < 0.03) | (pl.int_range(pl.len()) == 0))["sku_idx"].to_list()
    orders = orders.with_columns(mfn=natural & pl.col("sku_idx").is_in(sorted(mfn_skus)))
    split = (pl.lit("split_shipments" in shapes) & natural & ~pl.col("mfn") & (pl.col("qty") >= 2)
             & (pl.col("status") == "Shipped") & (rng.uniform("shape-split", "order_no") < 0.3))
    promo = (pl.lit("promotions" in shapes) & natural & ~plain & ~pl.col("mfn") & ~split
             & (pl.col("status") == "Shipped")
             & (rng.uniform("shape-promo", "order_no") < 0.08))
    share = rng.integer("shape-promo-share", 5, 25, "order_no")
    return orders.with_columns(
        split_qty=pl.when(split).then(pl.col("qty") // 2),
        promo_cents=pl.when(promo).then((pl.col("principal_cents") * share / 100).round(0).cast(pl.Int64)),
        # Amazon promotion ids as the settlement `promotion-id` prints them (14 upper-case letters and digits).
        promotion_id=pl.when(promo).then(pl.lit("A") + pl.format(
            "{}", (rng.integer("shape-promo-id", 10**12, 10**13 - 1, "sku_idx")).cast(pl.String))),
    )


# ------------------------------------------------------------------------------------------- fee corrections

def fee_corrections(rng, period, orders: pl.DataFrame, fee_plan: pl.DataFrame, first_window_day: int
                    ) -> tuple[pl.DataFrame, pl.DataFrame, dict | None]:
    """Amazon's fee corrections for some overcharged SKUs: (itemized corrections as reimbursement rows, the order
    items they pay: order_no, paid_cents; the non-itemized correction: {"day", "cents"} or None).

    Half of the claimable fee SKUs get an itemized correction (Reimbursements `FeeCorrection` with the order id,
    settlement `INCORRECT_FEES_ITEMS`) for their last charge inside the claim window: the whole overcharge of
    that order item for a quarter of them, half of it for the others. One non-itemized correction
    (`INCORRECT_FEES_NON_ITEMIZED`, no order, no SKU) is posted 30 days before the audit date for 60 % of the
    overcharges still unpaid on that day: it may have paid any of them, so they are `review`, not subtracted."""
    last = period.days - 1
    claimable = fee_plan.filter(pl.col("status") == "claimable").with_columns(
        u=rng.uniform("shape-correction-sku", "sku_idx")).sort("u", "sku_idx")
    chosen = claimable.filter((pl.col("u") < 0.5) | (pl.int_range(pl.len()) == 0)).drop("u")  # at least one
    items = orders.filter(pl.col("status") == "Shipped").join(chosen.select("sku_idx", "code"), on="sku_idx",
                                                              how="inner")
    items = items.with_columns(
        overcharge=pl.when(pl.col("code") == "FBA01").then(pl.col("fee_charged") - pl.col("fee_expected"))
        .otherwise(pl.col("ref_charged") - pl.col("ref_expected")) * pl.col("qty"),
    ).filter((pl.col("ship_day") >= first_window_day) & (pl.col("ship_day") <= last - 5)
             & (pl.col("overcharge") > 0)).sort("sku_idx", "ship_day", "order_no")
    picked = items.group_by("sku_idx").agg(pl.all().last()).sort("sku_idx").with_columns(
        paid_cents=pl.when(rng.uniform("shape-correction-full", "sku_idx") < 0.25).then("overcharge")
        .otherwise(pl.max_horizontal(pl.lit(1), pl.col("overcharge") // 2)))
    reimbursements = picked.select(
        "sku_idx", "order_no", day=pl.col("ship_day") + 3, reason=pl.lit("FeeCorrection"), cash=pl.lit(1, pl.Int64),
        inventory=pl.lit(0, pl.Int64), per_unit="paid_cents", tag=pl.lit("fee-correction"),
        original_tag=pl.lit(None, pl.String), case_id=pl.lit(None, pl.String), story=pl.lit(None, pl.Int64))
    paid = picked.select("order_no", "paid_cents")
    return reimbursements, paid, {"day": period.as_of_day - 30, "share": 0.6}


def non_itemized_row(day: int, cents: int) -> pl.DataFrame:
    """The non-itemized correction as a reimbursement-shaped row that only the settlement prints."""
    return pl.DataFrame([{
        "sku_idx": None, "order_no": None, "day": day - 3, "reason": "FeeCorrectionNonItemized", "cash": 1,
        "inventory": 0, "per_unit": cents, "tag": "fee-correction-non-itemized", "original_tag": None,
        "case_id": None, "story": None}], schema={
        "sku_idx": pl.Int64, "order_no": pl.Int64, "day": pl.Int64, "reason": pl.String, "cash": pl.Int64,
        "inventory": pl.Int64, "per_unit": pl.Int64, "tag": pl.String, "original_tag": pl.String,
        "case_id": pl.String, "story": pl.Int64})


def mark_unattributed(charges: pl.DataFrame, day: int, cents: int) -> pl.DataFrame:
    """`marked`: the charges a non-itemized correction of `cents` posted on `day` may have paid: those posted on or
    before it with an overcharge left, fulfillment fees before referral fees, oldest first (then by order id and
    SKU), until its amount is used up (claim_rules.md: a correction pays once, for what it names; one that names
    nothing is checked by a person)."""
    left = pl.col("diff") - pl.col("paid")
    eligible = (pl.col("ship_day") <= day) & (left > 0)
    ranked = charges.with_row_index("_i").with_columns(
        _rank=pl.when(pl.col("code") == "FBA01").then(0).otherwise(1), _left=pl.when(eligible).then(left).otherwise(0))
    ranked = ranked.sort("_rank", "ship_day", "order_id", "sku", "_i").with_columns(_cum=pl.col("_left").cum_sum())
    return ranked.with_columns(marked=(pl.col("_left") > 0) & (pl.col("_cum") - pl.col("_left") < cents)).sort(
        "_i").drop("_i", "_rank", "_left", "_cum")


def unattributed_cents(charges: pl.DataFrame, day: int, share: float) -> int:
    """The non-itemized correction's amount: `share` of the overcharges unpaid on `day`."""
    open_ = charges.filter((pl.col("ship_day") <= day) & (pl.col("diff") > pl.col("paid")))
    return max(1, int(round(float((open_["diff"] - open_["paid"]).sum()) * share)))


# ------------------------------------------------------------------------------------------- sparse returns

QUIET_DAYS = 60
NATURAL_RETURNS_PER_DAY = 0.015  # a small seller's pace: about one ordinary return in two months


def quiet_weeks(rng, period, refunds: pl.DataFrame, units: pl.DataFrame, story_orders: pl.DataFrame, out
                ) -> tuple[pl.DataFrame, pl.DataFrame, dict]:
    """A sparse returns report: ordinary returns at about one in two months (the other returned order items are neither
    returned nor refunded) and none in the last QUIET_DAYS days of data (the order items returned then, natural or
    planted stories, are left out with their refunds, reimbursements and truth). Returns (refunds, units, what the
    returns report then looks like: rows, first and last return day)."""
    cutoff = period.days - 1 - QUIET_DAYS
    natural = units.filter(pl.col("story").is_null()) if "story" in units.columns else units
    orders = natural.select("order_no").unique().sort("order_no")
    keep = min(1.0, NATURAL_RETURNS_PER_DAY * period.days / max(1, natural.height))
    # The seller's first ordinary return is kept: the report runs from the start of the data, at a sparse pace.
    first = natural.sort("return_day", "order_no").head(1)["order_no"]
    thinned = orders.filter((rng.uniform("shape-sparse-returns", "order_no") >= keep)
                            & ~pl.col("order_no").is_in(first.implode()))["order_no"]
    late = pl.concat([units.filter(pl.col("return_day") > cutoff)["order_no"], thinned]).unique()
    stories = set(story_orders.filter(pl.col("order_no").is_in(late.implode()))["story"].to_list())
    refunds = refunds.filter(~pl.col("order_no").is_in(late.implode()))
    units = units.filter(~pl.col("order_no").is_in(late.implode()))
    out.reimbursements[:] = [f.filter(~pl.col("story").is_in(sorted(stories)).fill_null(False))
                             for f in out.reimbursements]
    out.cases[:] = [f.filter(~pl.col("story").is_in(sorted(stories))) for f in out.cases]
    shape = {"rows": units.height, "first_day": units["return_day"].min(), "last_day": units["return_day"].max()}
    return refunds, units, shape


def returns_cut_short(report: dict, folder_end_day: int) -> bool:
    """Whether the returns report looks downloaded for a shorter period than the folder, by the rule the issue
    gives (fba_audit.reports.periods, restated): it stops more than 7 days before the folder's latest date, has at
    least 10 rows, and at its own pace (rows per day over its span) a silence that long happens less than once
    in 100 downloads (Poisson: exp(-rate x gap) < 0.01)."""
    if not report["rows"] or report["last_day"] is None:
        return False
    gap = folder_end_day - report["last_day"]
    span = max(1, report["last_day"] - report["first_day"] + 1)
    return gap > 7 and report["rows"] >= 10 and math.exp(-report["rows"] / span * gap) < 0.01


# ------------------------------------------------------------------------------------------- truth

_TRAPS_PER_KIND = 100  # at most this many traps of one kind per shape: a sample is enough to catch a false claim


def _keys(sku: str, fnsku: str, order_id: str | None = None) -> dict:
    return {"marketplace": "US", "sku": sku, "fnsku": fnsku, "order_id": order_id, "shipment_id": None,
            "reference_id": None, "table_id": None, "period": None}


def _sample(frame: pl.DataFrame, skus: int, *by: str) -> pl.DataFrame:
    return frame.sort(*by).head(min(_TRAPS_PER_KIND, max(3, skus // 50)))


def add_truth(shapes: frozenset[str], truth: dict, cat: pl.DataFrame, orders: pl.DataFrame, refunds: pl.DataFrame,
              fee_plan: pl.DataFrame, products: dict, skus: int, sparse: dict | None = None,
              folder_end_day: int = 0) -> None:
    """The shapes' traps (what a correct audit must not claim), the planted claims they touch (`shapes` on a
    claim), and truth["shapes"]: the shapes on, with what each planted."""
    claims, traps = truth["claims"], truth["traps"]
    if not shapes:
        return
    start = dt.date.fromisoformat(truth["period"]["start"])
    o = orders.join(cat.select("sku_idx", "sku", "fnsku"), on="sku_idx", how="left")
    refunded = o.join(refunds.select("order_no").unique(), on="order_no", how="semi")
    fee_skus = set(fee_plan["sku_idx"].to_list())
    touched: dict[str, set[tuple[str, str]]] = {}  # shape -> {(code, sku)} of planted claims it touches
    info: dict[str, dict] = {}

    def trap(shape: str, code: str, variant: str, row: dict, why: str, order: bool = False) -> None:
        traps.append({"code": code, "variant": variant, "keys": _keys(row["sku"], row["fnsku"],
                                                                     row["order_id"] if order else None),
                      "event_date": None, "shapes": [shape], "why": why})

    def refund_traps(shape: str, code: str, variant: str, items: pl.DataFrame, why: str) -> None:
        """A trap for each of (a sample of) `items` that was refunded, keyed by its order."""
        for row in _sample(items.join(refunded.select("order_no"), on="order_no", how="semi"), skus,
                           "order_id").iter_rows(named=True):
            trap(shape, code, variant, row, why, order=True)

    if "split_shipments" in shapes:
        split = o.filter(pl.col("split_qty").is_not_null())
        plain = split.filter(~pl.col("sku_idx").is_in(sorted(fee_skus))).unique("sku").select("sku", "fnsku")
        for row in _sample(plain, skus, "sku").iter_rows(named=True):
            for code in ("FBA01", "FBA10"):
                trap("split_shipments", code, "trap_split_shipment_correct_fee", row,
                     "Order items shipped in two shipments (two settlement Order groups, one order-item-code), "
                     "every fee as the rate card says: units and fees summed over both, no overcharge.")
        refund_traps("split_shipments", "FBA03", "trap_split_shipment_refund", split,
                     "Refund of an item shipped in two shipments: the principal refunded equals both shipments' "
                     "principal together.")
        touched["split_shipments"] = {(c, s) for s in split.filter(pl.col("sku_idx").is_in(sorted(fee_skus)))["sku"]
                                      for c in ("FBA01", "FBA10")}
        info["split_shipments"] = {"order_items": split.height}
    if "mfn_orders" in shapes:
        mfn = o.filter("mfn")
        for row in mfn.unique("sku").sort("sku").iter_rows(named=True):
            trap("mfn_orders", "FBA01", "trap_merchant_fulfilled", row,
                 "SKU the seller ships itself (fulfillment-id MFN): no FBA fulfillment fee to judge.")
        refund_traps("mfn_orders", "FBA07", "trap_merchant_fulfilled_refund", mfn,
                     "Refund of a merchant-fulfilled order: the return goes to the seller, never to Amazon.")
        info["mfn_orders"] = {"skus": mfn["sku"].n_unique(), "order_items": mfn.height}
    if "promotions" in shapes:
        promo = o.filter(pl.col("promo_cents").is_not_null())
        for row in _sample(promo.unique("sku").select("sku", "fnsku"), skus, "sku").iter_rows(named=True):
            trap("promotions", "FBA10", "trap_promotion", row,
                 "Promotional discount on some orders; Commission charged on the full item price, the higher of "
                 "the fees with and without the promotion: not an overcharge.")
        refund_traps("promotions", "FBA03", "trap_promotion_refund", promo,
                     "Refund of a promoted order: Principal refunded in full and the promotion given back "
                     "(Refund/Promotion line): the principal refunded equals the principal charged.")
        info["promotions"] = {"order_items": promo.height}
    if "unit_spellings" in shapes:
        spelled = set(products.get("spelled", []))
        touched["unit_spellings"] = {("FBA01", s) for s in spelled}
        info["unit_spellings"] = {"skus": len(spelled)}
    if "duplicate_products" in shapes:
        listed = set(products.get("identical", [])) | set(products.get("cost", []))
        touched["duplicate_products"] = {(c, s) for s in listed for c in ("FBA01", "FBA10")}
        by_sku = cat.select("sku", "fnsku")
        for sku in products.get("dimensions", []):
            row = by_sku.filter(pl.col("sku") == sku).row(0, named=True)
            trap("duplicate_products", "FBA01", "trap_conflicting_dimensions", row,
                 "products.csv lists the SKU twice with different heights: its dimensions are not used (an input "
                 "problem names both lines), so nothing is claimed from them.")
        info["duplicate_products"] = {k: products.get(k, []) for k in ("identical", "cost", "dimensions")}
    if "sparse_returns" in shapes:
        # Refunds without return whose 30 days for a return end after the report's last row: the report covers
        # the folder's period (claimable as planted) unless it looks cut short (then check for a late return).
        report = sparse or {}
        cut = returns_cut_short(report, folder_end_day) if report else False
        last = report.get("last_day")
        for claim in claims:
            if claim["code"] != "FBA07" or last is None:
                continue
            refund_day = (dt.date.fromisoformat(claim["event_date"]) - start).days
            if refund_day + 30 > last:
                claim["shapes"] = sorted(set(claim.get("shapes", [])) | {"sparse_returns"})
                if cut and claim["status"] == "claimable":
                    claim["status"] = "review"
        info["sparse_returns"] = {"quiet_days": QUIET_DAYS, "report_rows": report.get("rows"),
                                  "looks_cut_short": cut}
    if "date_range_only" in shapes:
        info["date_range_only"] = _date_range_only(claims)
    for shape in ("fee_corrections", "legacy_adjustments"):
        if shape in shapes:
            info[shape] = {}
    for claim in claims:
        tags = set(claim.get("shapes", []))
        tags |= {shape for shape, pairs in touched.items() if (claim["code"], claim["keys"]["sku"]) in pairs}
        if tags:
            claim["shapes"] = sorted(tags)
    for shape in sorted(shapes):
        info.setdefault(shape, {})
        info[shape] = {"description": SHAPES[shape], **info[shape],
                       "claims": sum(shape in c.get("shapes", []) for c in claims),
                       "traps": sum(shape in t.get("shapes", []) for t in traps)}
    truth["shapes"] = {k: info[k] for k in sorted(info)}
    traps.sort(key=lambda t: (t["code"], t["variant"], _sort_keys(t["keys"])))


def _date_range_only(claims: list[dict]) -> dict:
    """What Date Range reports cannot show, and what a correct audit then says: their `fba fees` and `selling
    fees` columns sum every fee of a kind (FBA01 / FBA10 `review`: another fee may be in the sum); they print no
    shipment id, so no partnered-carrier charge ties to a shipment (FBA04 `review`, as with the seller's own
    carrier); `marketplace withheld tax` sums every withheld tax, so a restocking fee's tax is not visible (no
    FBA06 claim can be made: it is not checked)."""
    not_visible = [c for c in claims if c["code"] == "FBA06"]
    claims[:] = [c for c in claims if c["code"] != "FBA06"]
    for claim in claims:
        if claim["status"] == "claimable" and claim["code"] in ("FBA01", "FBA10", "FBA04") and (
                claim["code"] != "FBA04" or claim["variant"] == "carrier_damaged_receipt"):
            claim["status"] = "review"
            claim["shapes"] = sorted(set(claim.get("shapes", [])) | {"date_range_only"})
    return {"not_visible": [{"code": c["code"], "variant": c["variant"], "keys": c["keys"]} for c in not_visible]}


def _sort_keys(keys: dict) -> str:
    return json.dumps(keys, sort_keys=True)
