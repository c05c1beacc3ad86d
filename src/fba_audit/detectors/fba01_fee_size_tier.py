"""FBA fulfillment fees charged at a larger size or weight tier than the item has.

## What it finds
SKUs whose per-unit FBA fulfillment fee (settlement lines `FBAPerUnitFulfillmentFee`, divided by the units of the
order item) is higher than the fee Amazon's rate card gives for the item, by more than max($0.05, 2 %). The expected
fee is computed with the rate card in force on the **charge date** (a charge before 2026-01-15 is judged against the
2025 table), at the price band of the item price of that order, from:

- your own packaged dimensions and weight in `products.csv` (`length`, `width`, `height`, `dimension_unit`,
  `weight`, `weight_unit`), when given; otherwise
- Amazon's own measurements in the Fee Preview (`longest-side`, `median-side`, `shortest-side`,
  `item-package-weight`).

Status:

- `claimable` when your dimensions put the item in a **smaller size tier** than Amazon's measurements do (its
  measurements explain the charge; yours show it is wrong);
- `review` when only Amazon's own data is inconsistent (its measurements imply a lower fee than it charged), when
  your dimensions give the same tier and only the weight differs, when a rate-card value is marked unverified, when
  the charge comes from a Date Range report (its `fba fees` column is the sum of the order line's FBA fees, not the
  per-unit fee alone), when the item price came from the Fee Preview, or when Amazon already credited a fee
  correction for the SKU (subtracted from the amount).

One finding per SKU and rate-card period, for the charges still inside the claim window; charges past it are
grouped in a separate `expired` finding so you see what late filing costs. The amount is the overcharge summed
over the flagged charges (basis `fee_difference`).

Not checked: apparel (Fee Preview product group `Apparel` or your category `Clothing and Accessories`) and
dangerous goods have their own rate cards, which fba-audit does not hold; holiday-peak days whose rates are unknown;
marketplaces without a rate card (see docs/rate-cards.md). A dangerous-goods item can look overcharged here: do not
file for hazmat items.

## Why Amazon owes you
Amazon's "FBA fees reimbursement policy: Weight and dimensions" says Amazon will reimburse FBA fees it confirms were
charged using inaccurate weight or dimensions. Amazon's verified measurement governs, so the claim needs proof: the
item's dimensions and weight in its packaging, photos of a unit with the same FNSKU on a scale and next to a ruler
or tape measure, and the transactions charged. One request per fee charge, within 90 days of the charge.
Source: https://sellercentral.amazon.com/help/hub/reference/external/GL7U4JFSDXUTQAJ (fee table: "FBA fulfillment
fees", https://sellercentral.amazon.com/help/hub/reference/external/GPDC3KPYAGDTVDJP).

## Evidence to attach
- the order ids, charge dates and per-unit fees listed in the finding (settlement or transaction report lines)
- the item's packaged dimensions and weight, with photos of a unit on a scale and with a ruler or tape measure
- the Fee Preview row showing Amazon's measurements and size tier

Amazon may refuse further claims after a pattern of claims where its measurements prove right: measure before
filing.

## Claim window
{claim_window}
"""

from __future__ import annotations

import polars as pl

from fba_audit import ratecards as rc
from fba_audit.context import AuditContext
from fba_audit.detectors import _fees
from fba_audit.detectors._base import Detector, finding_id_str, to_findings
from fba_audit.reports.datasets import in_currency

CODE = "FBA01"
APPAREL_GROUPS = {"apparel"}
APPAREL_CATEGORIES = {"clothing and accessories"}
# The columns of the Fee Preview and products.csv read here.
PREVIEW_COLUMNS = ("sku", "source_file", "source_line", "fnsku", "asin", "product_group", "your_price", "sales_price",
                   "longest_side", "median_side", "shortest_side", "unit_of_dimension", "item_package_weight",
                   "unit_of_weight", "product_size_tier")
PRODUCT_COLUMNS = ("sku", "source_file", "source_line", "length", "width", "height", "dimension_unit", "weight",
                   "weight_unit", "referral_category")


def _tier_rank(table_id: str | None, tier: str | None, ctx: AuditContext, on) -> int | None:
    card = rc.table_for("fulfillment", ctx.marketplace, on)
    names = [t["name"] for t in card.data["tiers"]] if card is not None and card.id == table_id else []
    return names.index(tier) if tier in names else None


def _label(tier: str | None) -> str:
    return "an unknown tier" if tier is None else tier.replace("_", " ")


def _price(principal, units: int, fp: dict | None) -> tuple[object, bool] | None:
    """(item price per unit, whether it came from the Fee Preview), or None when there is none."""
    return _price_or_listed(principal, units, _listed(fp))


def _listed(fp: dict | None) -> tuple:
    """The Fee Preview prices `_price` falls back on: (your price, sales price); (None, None) without a row."""
    return (fp["your_price"], fp["sales_price"]) if fp is not None else (None, None)


def _price_or_listed(principal, units: int, listed: tuple) -> tuple[object, bool] | None:
    if principal:
        return principal / units, False
    if listed[0] or listed[1]:
        return listed[0] or listed[1], True
    return None


def _measures(fp: dict | None, prod: dict | None) -> tuple:
    """(Amazon's measurements, your dimensions, apparel): the size arguments of `rc.expected_fulfillment_fee`
    (length, width, height, unit, weight, unit; None when not given in full), and whether the item is apparel."""
    apparel = bool(fp and (fp["product_group"] or "").strip().lower() in APPAREL_GROUPS) or bool(
        prod and (prod["referral_category"] or "").strip().lower() in APPAREL_CATEGORIES)
    amazon = (fp["longest_side"], fp["median_side"], fp["shortest_side"], fp["unit_of_dimension"],
              fp["item_package_weight"], fp["unit_of_weight"]) if fp else None
    seller = (prod["length"], prod["width"], prod["height"], prod["dimension_unit"], prod["weight"],
              prod["weight_unit"]) if prod else None
    amazon, seller = (None if m is None or any(v is None for v in m) else m for m in (amazon, seller))
    return amazon, seller, apparel


_AMAZON_SIZE = ("longest_side", "median_side", "shortest_side", "unit_of_dimension", "item_package_weight",
                "unit_of_weight")
_SELLER_SIZE = ("length", "width", "height", "dimension_unit", "weight", "weight_unit")


def _profiles(previews: pl.DataFrame, catalog: pl.DataFrame) -> pl.DataFrame:
    """Per SKU, in columns, what `_listed` and `_measures` give from its Fee Preview and products.csv rows (the
    profile `_fees.over_limit` groups SKUs by): your price, sales price, Amazon's size and yours (each all null
    unless given in full) and whether the item is apparel."""
    def given(frame: pl.DataFrame, names: tuple[str, ...], prefix: str) -> list[pl.Expr]:
        present = [pl.col(n) if n in frame.columns else pl.lit(None) for n in names]
        complete = pl.all_horizontal([value.is_not_null() for value in present])
        return [pl.when(complete).then(value).alias(f"{prefix}{i}") for i, value in enumerate(present)]

    def lowered(frame: pl.DataFrame, name: str) -> pl.Expr:
        return pl.col(name).cast(pl.String).str.strip_chars().str.to_lowercase() if name in frame.columns else pl.lit(None)

    fee = previews.select(
        "sku", *(pl.col(n) if n in previews.columns else pl.lit(None).alias(n) for n in ("your_price", "sales_price")),
        *given(previews, _AMAZON_SIZE, "_amazon"), _group=lowered(previews, "product_group").is_in(APPAREL_GROUPS))
    own = catalog.select("sku", *given(catalog, _SELLER_SIZE, "_seller"),
                         _category=lowered(catalog, "referral_category").is_in(APPAREL_CATEGORIES))
    return fee.join(own, on="sku", how="full", coalesce=True).with_columns(
        _apparel=pl.col("_group").fill_null(False) | pl.col("_category").fill_null(False),
    ).drop("_group", "_category")


def _from_profile(profile: tuple) -> tuple[tuple, tuple]:
    """A `_profiles` row (less the SKU) as (`_listed`, `_measures`)."""
    your_price, sales_price, *sizes, apparel = profile
    amazon, seller = tuple(sizes[:6]), tuple(sizes[6:])
    return (your_price, sales_price), (None if amazon[0] is None else amazon, None if seller[0] is None else seller,
                                       bool(apparel))


def _bases(measures: tuple, price, on, ctx: AuditContext, *, amazon_too: bool = True) -> tuple:
    """(Amazon's, yours, the one the charge is judged on): the expected fee from Amazon's measurements and from
    your dimensions (each None when not given or not convertible); yours when it gives a fee. Without `amazon_too`,
    Amazon's is left out (None) when yours gives a fee."""
    amazon_size, seller_size, apparel = measures

    def compute(size: tuple | None) -> rc.FeeResult | None:
        if size is None:
            return None
        try:
            return rc.expected_fulfillment_fee(*size, price, marketplace=ctx.marketplace, on=on, apparel=apparel)
        except ValueError:
            return None  # a unit the rate card cannot convert (e.g. "mm"): no basis rather than a guess

    seller = compute(seller_size)
    if not amazon_too and seller is not None and seller.fee is not None:
        return None, seller, seller
    amazon = compute(amazon_size)
    return amazon, seller, seller if seller is not None and seller.fee is not None else amazon


def _expected(item: dict, fp: dict | None, prod: dict | None, ctx: AuditContext) -> dict | None:
    """The expected fee for one charged order item, or None when nothing can be said."""
    units, on = item["units"], item["posted_date"]
    reasons = set()
    found = _price(item["principal"], units, fp)
    if found is None:
        return None
    price, from_preview = found
    if from_preview:
        reasons.add("the item price was taken from the Fee Preview (no Principal line for the order)")
    amazon, seller, basis = _bases(_measures(fp, prod), price, on, ctx)
    if basis is None or basis.fee is None:
        return None  # no table, apparel, unknown peak rates, or no tier fits: never a guess
    charged_pu = item["charged"] / units
    if charged_pu - basis.fee <= _fees.tolerance(basis.fee, floor="0.05", share="0.02"):
        return None
    # Amazon's tier: from its measurements, else from the Fee Preview size-tier code.
    amazon_tier = amazon.tier.tier if amazon is not None and amazon.tier is not None else (
        rc.tier_for_size_tier_code(fp["product_size_tier"] or "", marketplace=ctx.marketplace) if fp else None)
    if basis is seller:
        mine = _tier_rank(basis.table_id, seller.tier.tier, ctx, on)
        theirs = _tier_rank(basis.table_id, amazon_tier, ctx, on)
        if theirs is None:
            reasons.add("Amazon's size tier for the item is unknown")
        elif mine == theirs:
            reasons.add("your dimensions give the same size tier as Amazon's; only the weight band differs")
        elif mine > theirs:
            reasons.add("Amazon's own measurements give a smaller tier than your dimensions, yet it charged more")
    else:
        reasons.add("only Amazon's own measurements disagree with the charge (no dimensions in products.csv)")
    if not basis.verified:
        reasons.add(f"a rate-card value used ({basis.table_id}) is marked unverified")
    if item["source_format"] == _fees.DATE_RANGE:
        reasons.add("the Date Range 'fba fees' column may include other FBA fees of the order line")
    return {
        "order_id": item["order_id"], "sku": item["sku"], "posted_date": on, "units": units,
        "charged_pu": charged_pu, "expected_pu": basis.fee, "overcharge": item["charged"] - basis.fee * units,
        "table_id": basis.table_id, "reasons": reasons, "evidence": item["evidence"],
        "basis": "your dimensions" if basis is seller else "Amazon's measurements", "tier": basis.tier.tier,
        "amazon_tier": amazon_tier,
    }


def detect(*, transactions: pl.DataFrame, fee_preview: pl.DataFrame, products: pl.DataFrame | None = None,
           reimbursements: pl.DataFrame | None = None, ctx: AuditContext) -> pl.DataFrame:
    # Per-unit fulfillment fee charged per order item, with the item price for the price band.
    items = _fees.order_items(transactions, ctx, fee="fulfillment", price=("principal",))
    store = pl.col("amazon_store").is_null() | (pl.col("amazon_store") == ctx.marketplace)
    currency = in_currency(ctx.currency)
    previews = _fees.sku_rows(fee_preview.filter(store & currency), PREVIEW_COLUMNS)
    catalog = _fees.sku_rows(products, PRODUCT_COLUMNS)
    # The expected fee depends on the SKU's measurements and Fee Preview prices, the item price and the rate card
    # of the charge date only: it is looked up once per such profile, price and fee regime, and only the order items
    # charged more than it plus the tolerance are kept.
    def limit(profile: tuple, on, amounts: list, units: int):
        listed, size = _from_profile(profile)
        if (found := _price_or_listed(amounts[0], units, listed)) is None:
            return None
        basis = _bases(size, found[0], on, ctx, amazon_too=False)[2]
        if basis is None or basis.fee is None:
            return None
        return basis.fee + _fees.tolerance(basis.fee, floor="0.05", share="0.02")

    flagged = items.with_evidence(
        _fees.over_limit(items.frame, "fulfillment", ["principal"], ctx, _profiles(previews, catalog), limit)
    ).sort(_fees.ITEM_KEYS)
    previews, catalog = (_fees.one_per_sku(frame, flagged["sku"]) for frame in (previews, catalog))
    # Those few are compared one by one (the check that decides, with the review reasons).
    charges = [c for item in flagged.iter_rows(named=True)
               if (c := _expected(item, previews.get(item["sku"]), catalog.get(item["sku"]), ctx)) is not None]
    rows = []
    for g in _fees.group_charges(CODE, ctx, charges, _fees.fee_corrections(reimbursements, transactions, ctx)):
        fp, prod, c = previews.get(g["sku"]), catalog.get(g["sku"]), g["charges"][-1]
        charged = _fees.span([r["charged_pu"] for r in g["charges"]])
        expected = _fees.span([r["expected_pu"] for r in g["charges"]])
        review = "; review: " + "; ".join(g["reasons"]) if g["reasons"] else ""
        yours = (f"{prod['length']:g} x {prod['width']:g} x {prod['height']:g} {prod['dimension_unit']}, "
                 f"{prod['weight']:g} {prod['weight_unit']}") if c["basis"] == "your dimensions" else None
        theirs = (f"{fp['longest_side']:g} x {fp['median_side']:g} x {fp['shortest_side']:g} {fp['unit_of_dimension']}, "
                  f"{fp['item_package_weight']:g} {fp['unit_of_weight']}") if fp and fp["longest_side"] else "not shown"
        rows.append({
            "finding_id": finding_id_str(CODE, ctx.marketplace, g["sku"], g["table_id"], g["period"]),
            "sku": g["sku"], "fnsku": fp and fp["fnsku"], "asin": fp and fp["asin"],
            "reference_id": fp and fp["asin"], "event_date": g["event_date"], "quantity": g["quantity"],
            "amount": g["amount"], "valuation_basis": "fee_difference", "needs_review": bool(g["reasons"]),
            "confidence": "medium" if g["reasons"] and c["basis"] == "your dimensions" else (
                "low" if g["reasons"] else "high"),
            "message": (
                f"SKU {g['sku']} was charged {charged} per unit in FBA fulfillment fees on {g['quantity']} unit(s) "
                f"from {g['event_date']} to {g['last_date']}, but {c['basis']} give {_label(c['tier'])} at "
                f"{expected} per unit ({g['table_id']}): {_fees.money(g['amount'])} overcharged{review}."
            ),
            "evidence": _fees.join_refs(g["evidence"], fp and f"{fp['source_file']}:{fp['source_line']}",
                                        prod and yours and f"{prod['source_file']}:{prod['source_line']}"),
            "case_text": (
                f"Please review the FBA fulfillment fees charged for SKU {g['sku']} (ASIN {fp and fp['asin'] or '-'}, "
                f"FNSKU {fp and fp['fnsku'] or '-'}). It was charged {charged} per unit in FBA fulfillment fees. "
                + (f"Amazon's measurements ({theirs}) put the item in {_label(c['amazon_tier'])}, but the item in its "
                   f"packaging measures {yours}, which is {_label(c['tier'])}" if yours else
                   f"Amazon's own measurements ({theirs}) put the item in {_label(c['tier'])}")
                + f", with an expected fee of {expected} per unit under the rate card in force on the charge dates. "
                f"Transactions: {_fees.order_list(g['charges'])}. Total overcharge: {_fees.money(g['gross'])} "
                f"{ctx.currency} on {g['quantity']} unit(s). " + _fees.correction_note(g)
                + ("Attached: photos of a unit on a scale and with a ruler or tape measure showing its dimensions. "
                   if yours else "")
                + "Please re-measure the item and reimburse the difference under the FBA fees reimbursement policy "
                "for weight and dimensions."
            ),
        })
    frame = pl.DataFrame(rows, schema=_fees.FINDING_ROW_SCHEMA)
    return to_findings(frame, code=CODE, ctx=ctx)


DETECTOR = Detector(
    code=CODE, name="fee-size-tier", family="fee", needs=("transactions", "fee_preview"),
    optional=("products", "reimbursements"), run=detect, doc=__doc__,
)
